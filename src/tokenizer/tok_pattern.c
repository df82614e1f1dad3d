/* SPDX-License-Identifier: Apache-2.0 */
/* tok_pattern.c - the {"String": s} | {"Regex": r} pattern object that HF's
 * Split pre-tokenizer and Replace normalizer/decoder share. A literal string
 * is matched with memmem rather than compiled, as HF does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

int tok_pattern_parse(tok_pattern *p, json_t *j, const char *path, sb_err *err)
{
    memset(p, 0, sizeof *p);
    json_t *s = json_object_get(j, "String");
    json_t *r = json_object_get(j, "Regex");
    if (json_is_string(s)) {
        p->len = json_string_length(s);
        p->str = sb_xstrndup(json_string_value(s), p->len);
        return 0;
    }
    if (json_is_string(r)) {
        p->re = tok_regex_new(json_string_value(r), err);
        if (!p->re)
            return sb_err_prefix(err, "%s.Regex: ", path);
        return 0;
    }
    return sb_err_set(err, "%s: pattern must be {\"String\": ...} or {\"Regex\": ...}", path);
}

void tok_pattern_free(tok_pattern *p)
{
    free(p->str);
    tok_regex_free(p->re);
    memset(p, 0, sizeof *p);
}

bool tok_pattern_find(const tok_pattern *p, tok_rematch *md, const char *s, size_t n, size_t start,
                      size_t *ms, size_t *me)
{
    if (p->re)
        return tok_regex_find(p->re, md, s, n, start, ms, me);
    if (!p->str || p->len == 0 || start >= n)
        return false;
    const char *hit = memmem(s + start, n - start, p->str, p->len);
    if (!hit)
        return false;
    *ms = (size_t)(hit - s);
    *me = *ms + p->len;
    return true;
}
