/* SPDX-License-Identifier: Apache-2.0 */
/* flag_dotted.c - dotted options for JSON-object flags, as vLLM's
 * FlexibleArgumentParser turns `--extra-body.foo 1 --extra-body.bar x` into
 * `--extra-body '{"foo": 1, "bar": "x"}'` (vllm/utils/argparse_utils.py:
 * FlexibleArgumentParser.parse_args). */
#include "cli/flag_dotted.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/flags.h"
#include "core/buf.h"

/* vLLM's human_readable_int: 1k/1m/1g/1t decimal (fractions allowed),
 * 1K/1M/1G/1T binary (integers only). */
static int human_int(const char *s, json_int_t *out)
{
    size_t n = strlen(s);
    if (n < 2)
        return -1;
    char suf = s[n - 1];
    const char *dec = strchr("kmgt", suf), *bin = strchr("KMGT", suf);
    if (!dec && !bin)
        return -1;
    char *num = sb_xstrndup(s, n - 1), *end;
    errno = 0;
    double v = strtod(num, &end);
    bool ok = end != num && !*end && isdigit((unsigned char)num[0]) && !errno;
    bool integral = !strchr(num, '.');
    free(num);
    if (!ok || (bin && !integral))
        return -1;
    double mult = 1;
    int k = (int)((dec ? dec - "kmgt" : bin - "KMGT") + 1);
    for (int i = 0; i < k; i++)
        mult *= dec ? 1000.0 : 1024.0;
    *out = (json_int_t)(v * mult);
    return 0;
}

static json_t *parse_value(const char *v)
{
    json_error_t je;
    json_t *j = json_loads(v, JSON_DECODE_ANY, &je);
    if (j)
        return j;
    json_int_t i;
    if (human_int(v, &i) == 0)
        return json_integer(i);
    return json_string(v);
}

static json_t *list_value(const char *v)
{
    json_t *arr = json_array();
    char *copy = sb_xstrdup(v), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(arr, parse_value(t));
    free(copy);
    return arr;
}

static json_t *obj_for(dotted_set *d, size_t idx, sb_err *err)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->idx[i] == idx)
            return d->obj[i];
    if (d->n == DOTTED_MAX) {
        sb_err_set(err, "too many different dotted JSON flags");
        return NULL;
    }
    d->idx[d->n] = idx;
    d->obj[d->n] = json_object();
    return d->obj[d->n++];
}

int dotted_add(dotted_set *d, size_t idx, const char *flag, const char *path, const char *value,
               sb_err *err)
{
    json_t *o = obj_for(d, idx, err);
    if (!o)
        return -1;
    char *p = sb_xstrdup(path), *save = NULL;
    char *key = strtok_r(p, ".", &save);
    if (!key) {
        free(p);
        return sb_err_set(err, "--%s.%s: empty key", flag, path);
    }
    for (char *next = strtok_r(NULL, ".", &save); next; next = strtok_r(NULL, ".", &save)) {
        json_t *child = json_object_get(o, key);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(o, key, child);
        }
        o = child;
        key = next;
    }
    size_t kl = strlen(key);
    if (kl > 1 && key[kl - 1] == '+') {
        key[kl - 1] = '\0';
        json_object_set_new(o, key, list_value(value));
    } else {
        json_object_set_new(o, key, parse_value(value));
    }
    free(p);
    return 0;
}

int dotted_apply(dotted_set *d, sb_config *cfg, sb_err *err)
{
    (void)err;
    for (size_t i = 0; i < d->n; i++) {
        const cli_flag *f = &cli_flags[d->idx[i]];
        char **slot = (char **)((char *)cfg + f->off);
        json_t *base = *slot ? json_loads(*slot, 0, NULL) : NULL;
        if (!base)
            base = json_object();
        json_object_update_recursive(base, d->obj[i]);
        char *text = json_dumps(base, JSON_COMPACT);
        json_decref(base);
        free(*slot);
        *slot = sb_xstrdup(text);
        free(text);
    }
    return 0;
}

void dotted_free(dotted_set *d)
{
    for (size_t i = 0; i < d->n; i++)
        json_decref(d->obj[i]);
    d->n = 0;
}
