/* config_file.c - `--config FILE.yaml`: flags written as YAML keys.
 *
 * vLLM's FlexibleArgumentParser expands a YAML mapping into command-line
 * options, the command line winning over the file (reference doc section 1).
 * Only the YAML that such files use is read: one `key: value` per line,
 * `# comments`, quoted scalars, `[a, b]` inline lists and `- item` block
 * lists; `true` becomes a bare flag and `false` leaves it out. Anything else
 * is an error naming the file and line, never a guess. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/flags.h"

typedef struct words {
    char **v;
    int n, cap;
} words;

static void push(words *w, char *s)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->v = sb_xrealloc(w->v, (size_t)w->cap * sizeof *w->v);
    }
    w->v[w->n++] = s;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Removes a trailing comment (outside quotes) and matching outer quotes. */
static char *scalar(char *s)
{
    char q = 0;
    for (char *c = s; *c; c++) {
        if ((*c == '"' || *c == '\'') && (!q || q == *c))
            q = q ? 0 : *c;
        else if (*c == '#' && !q && (c == s || isspace((unsigned char)c[-1]))) {
            *c = '\0';
            break;
        }
    }
    s = trim(s);
    size_t n = strlen(s);
    if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

static void push_key(words *w, const char *key)
{
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_printf(&b, "--%s", key);
    push(w, sb_buf_steal(&b));
}

/* One "key: value" line; a value-less key opens a block list. */
static int line_kv(words *w, char *line, const char *path, int ln, bool *open_list, sb_err *err)
{
    char *colon = strchr(line, ':');
    if (!colon)
        return sb_err_set(err, "--config %s:%d: expected 'key: value'", path, ln);
    *colon = '\0';
    char *key = trim(line), *val = scalar(colon + 1);
    if (!*key)
        return sb_err_set(err, "--config %s:%d: empty key", path, ln);
    *open_list = false;
    if (!*val) {
        push_key(w, key);
        *open_list = true;
    } else if (!strcmp(val, "true") || !strcmp(val, "True")) {
        push_key(w, key);
    } else if (!strcmp(val, "false") || !strcmp(val, "False")) {
        /* store_true flags stay off */
    } else if (val[0] == '[') {
        size_t n = strlen(val);
        if (val[n - 1] != ']')
            return sb_err_set(err, "--config %s:%d: unclosed '['", path, ln);
        val[n - 1] = '\0';
        push_key(w, key);
        char *save = NULL;
        for (char *t = strtok_r(val + 1, ",", &save); t; t = strtok_r(NULL, ",", &save))
            push(w, sb_xstrdup(scalar(t)));
    } else {
        push_key(w, key);
        push(w, sb_xstrdup(val));
    }
    return 0;
}

static int parse_lines(words *w, FILE *f, const char *path, sb_err *err)
{
    char buf[8192];
    bool open_list = false;
    int ln = 0;
    while (fgets(buf, sizeof buf, f)) {
        ln++;
        if (!strchr(buf, '\n') && !feof(f))
            return sb_err_set(err, "--config %s:%d: line longer than %zu bytes", path, ln,
                              sizeof buf - 1);
        char *line = trim(buf);
        if (!*line || *line == '#' || !strcmp(line, "---"))
            continue;
        if (line[0] == '-' && (line[1] == ' ' || line[1] == '\0')) {
            if (!open_list)
                return sb_err_set(err, "--config %s:%d: list item without a key above it", path,
                                  ln);
            push(w, sb_xstrdup(scalar(line + 1)));
            continue;
        }
        if (line_kv(w, line, path, ln, &open_list, err) < 0)
            return -1;
    }
    return 0;
}

int cli_config_file_words(const char *path, char ***out, int *n_out, sb_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return sb_err_set(err, "--config %s: %s", path, strerror(errno));
    words w = {0};
    int rc = parse_lines(&w, f, path, err);
    fclose(f);
    if (rc < 0) {
        for (int i = 0; i < w.n; i++)
            free(w.v[i]);
        free(w.v);
        return -1;
    }
    *out = w.v;
    *n_out = w.n;
    return 0;
}
