/* SPDX-License-Identifier: Apache-2.0 */
/* result.c - result JSON files back into memory (see result.h). */
#include "sweep/result.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/file.h"

/* Copies text into out with the bare tokens NaN, Infinity and -Infinity
 * (outside strings) replaced by null, keeping every other byte, so jansson's
 * line/column positions stay close to the file's. */
static void sanitize(const char *s, size_t n, sb_buf *out)
{
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\' && i + 1 < n) {
                sb_buf_putc(out, c);
                c = s[++i];
            } else if (c == '"') {
                in_str = false;
            }
            sb_buf_putc(out, c);
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == 'N' && n - i >= 3 && !memcmp(s + i, "NaN", 3)) {
            sb_buf_puts(out, "null");
            i += 2;
            continue;
        } else if (c == 'I' && n - i >= 8 && !memcmp(s + i, "Infinity", 8)) {
            sb_buf_puts(out, "null");
            i += 7;
            continue;
        } else if (c == '-' && n - i >= 9 && !memcmp(s + i, "-Infinity", 9)) {
            sb_buf_puts(out, "null");
            i += 8;
            continue;
        }
        sb_buf_putc(out, c);
    }
}

static int parse_err(sb_err *err, const char *path, size_t line, const json_error_t *je)
{
    bool eof = strstr(je->text, "end of") != NULL || strstr(je->text, "premature") != NULL;
    return sb_err_set(err, "%s: line %zu column %d: %s%s", path, line ? line : (size_t)je->line,
                      je->column, je->text, eof ? " (is the file truncated?)" : "");
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* One JSON object per line. */
static int load_lines(const char *path, const char *s, size_t n, bool allow_tail, json_t *arr,
                      bool *truncated_tail, sb_err *err)
{
    size_t line = 0, i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        line++;
        if (!blank(s + i, end - i)) {
            json_error_t je;
            json_t *o = json_loadb(s + i, end - i, 0, &je);
            bool last = blank(s + end, n - end);
            if (!o && allow_tail && last) {
                *truncated_tail = true;
                return 0;
            }
            if (!o)
                return parse_err(err, path, line, &je);
            if (!json_is_object(o)) {
                json_decref(o);
                return sb_err_set(err, "%s: line %zu: a JSON Lines row must be an object", path,
                                  line);
            }
            json_array_append_new(arr, o);
        }
        i = end + 1;
    }
    return 0;
}

int sweep_json_load(const char *path, bool allow_truncated_tail, json_t **objs,
                    sweep_file_kind *kind, bool *truncated_tail, sb_err *err)
{
    *objs = NULL;
    bool tail = false;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return sb_err_set(err, "%s: no such file", path);
    if ((size_t)st.st_size > SWEEP_RESULT_MAX_BYTES)
        return sb_err_set(err, "%s: %lld bytes is more than the %zu MiB a result file may have",
                          path, (long long)st.st_size, SWEEP_RESULT_MAX_BYTES >> 20);
    sb_buf raw, txt;
    sb_buf_init(&raw);
    sb_buf_init(&txt);
    if (sb_read_file(path, &raw, err) != 0) {
        sb_buf_free(&raw);
        return -1;
    }
    if (blank(raw.data, raw.len)) {
        sb_buf_free(&raw);
        return sb_err_set(err, "%s: the file is empty", path);
    }
    sanitize(raw.data, raw.len, &txt);
    sb_buf_free(&raw);
    json_t *arr = json_array();
    json_error_t je;
    /* A whole-file object first; when that fails past the first line the
     * file may be JSON Lines. */
    json_t *one = json_loadb(txt.data, txt.len, 0, &je);
    int rc = 0;
    if (one && json_is_object(one)) {
        json_array_append_new(arr, one);
    } else if (one && json_is_array(one)) {
        json_decref(one);
        rc = sb_err_set(err,
                        "%s: a JSON list, not a result object (a result file holds one "
                        "object, or one object per line)",
                        path);
    } else if (one) {
        json_decref(one);
        rc = sb_err_set(err, "%s: not a JSON object", path);
    } else {
        const char *nl = memchr(txt.data, '\n', txt.len);
        bool multi = nl && !blank(nl, txt.len - (size_t)(nl - txt.data));
        rc = multi ? load_lines(path, txt.data, txt.len, allow_truncated_tail, arr, &tail, err)
                   : parse_err(err, path, 0, &je);
    }
    sb_buf_free(&txt);
    if (rc == 0 && json_array_size(arr) == 0)
        rc = sb_err_set(err, "%s: no JSON object in the file", path);
    if (rc != 0) {
        json_decref(arr);
        return -1;
    }
    json_t *first = json_array_get(arr, 0);
    const char *type = json_string_value(json_object_get(first, "type"));
    if (type && !strcmp(type, "sweep")) {
        *kind = SWEEP_FILE_SWEEP;
    } else {
        *kind = SWEEP_FILE_RESULT;
        size_t i;
        json_t *o;
        json_array_foreach(arr, i, o)
        {
            const char *miss = !json_object_get(o, "duration")    ? "duration"
                               : !json_object_get(o, "completed") ? "completed"
                                                                  : NULL;
            if (miss) {
                sb_err_set(err,
                           "%s: %s%zu is not a benchmark result: it has no \"%s\" field "
                           "(expected the JSON of `servebench serve --save-result` or "
                           "`vllm bench serve --save-result`)",
                           path, json_array_size(arr) > 1 ? "object " : "object ", i + 1, miss);
                json_decref(arr);
                return -1;
            }
        }
    }
    if (truncated_tail)
        *truncated_tail = tail;
    *objs = arr;
    return 0;
}

double sweep_json_num(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

bool sweep_is_config_key(const char *key)
{
    static const char *const cfg[] = {"num_prompts",     "request_rate",      "burstiness",
                                      "max_concurrency", "ramp_up_start_rps", "ramp_up_end_rps"};
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
        if (!strcmp(key, cfg[i]))
            return true;
    return false;
}
