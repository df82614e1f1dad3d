/* SPDX-License-Identifier: Apache-2.0 */
/* template.c - the public face of the template module (see template.h).
 *
 * Compiling normalises the source the way jinja2 does before lexing (every
 * \r\n and \r becomes \n, one trailing newline is dropped: keep_trailing_newline
 * is off in transformers), then lexes and parses into an arena owned by the
 * tmpl. Rendering builds the variables transformers passes to
 * apply_chat_template (messages, add_generation_prompt, the special tokens,
 * tools=None, documents=None, then any kwargs) in a per-render arena, so a
 * compiled template is read-only and may be shared between threads. */
#include "template/template.h"
#include "template/tmpl_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tmpl {
    sb_arena arena;
    tmpl_node *root;
    tmpl_tok *toks; /* only while compiling */
};

_Noreturn void tmpl_throw(tmpl_fail *f, int line, int col, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sb_err_set(f->err, "chat template line %d column %d: %s", line, col, msg);
    longjmp(f->jb, 1);
}

static char *normalise(sb_arena *ar, const char *src, size_t *n_out)
{
    size_t n = strlen(src);
    char *d = sb_arena_alloc(ar, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '\r') {
            d[k++] = '\n';
            if (i + 1 < n && src[i + 1] == '\n')
                i++;
        } else {
            d[k++] = src[i];
        }
    }
    if (k && d[k - 1] == '\n')
        k--;
    d[k] = '\0';
    *n_out = k;
    return d;
}

tmpl *tmpl_compile(const char *src, sb_err *err)
{
    tmpl *t = sb_xcalloc(1, sizeof *t);
    sb_arena_init(&t->arena, (size_t)64 * 1024);
    tmpl_fail f = {.err = err};
    if (setjmp(f.jb)) {
        tmpl_free(t);
        return NULL;
    }
    size_t n, ntok;
    char *s = normalise(&t->arena, src, &n);
    tmpl_tok *toks = tmpl_lex(s, n, &t->arena, &f, &ntok, &t->toks);
    t->root = tmpl_parse(toks, ntok, &t->arena, &f);
    free(t->toks);
    t->toks = NULL;
    return t;
}

void tmpl_free(tmpl *t)
{
    if (!t)
        return;
    free(t->toks);
    sb_arena_free(&t->arena);
    free(t);
}

/* ---- JSON context → values ---- */

static tmpl_val from_json(sb_arena *ar, json_t *j, int depth)
{
    if (depth > 200)
        return tmpl_v_none();
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        tmpl_val d = tmpl_v_dict(ar, json_object_size(j));
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
        {
            tmpl_val k = tmpl_v_str(sb_arena_strdup(ar, key), strlen(key));
            tmpl_dict_set(ar, d.u.d, k, from_json(ar, v, depth + 1));
        }
        return d;
    }
    case JSON_ARRAY: {
        tmpl_val l = tmpl_v_list(ar, json_array_size(j));
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) tmpl_list_push(ar, l.u.l, from_json(ar, v, depth + 1));
        return l;
    }
    case JSON_STRING: {
        size_t n = json_string_length(j);
        return tmpl_v_str(sb_arena_strndup(ar, json_string_value(j), n), n);
    }
    case JSON_INTEGER:
        return tmpl_v_int((int64_t)json_integer_value(j));
    case JSON_REAL:
        return tmpl_v_float(json_real_value(j));
    case JSON_TRUE:
        return tmpl_v_bool(true);
    case JSON_FALSE:
        return tmpl_v_bool(false);
    default:
        return tmpl_v_none();
    }
}

/* Parses a JSON object and sets each member as a root variable. */
static int set_json_vars(tmpl_ctx *c, const char *json, const char *what, sb_err *err)
{
    json_error_t je;
    json_t *root = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!root)
        return sb_err_set(err, "%s: invalid JSON at line %d column %d: %s", what, je.line,
                          je.column, je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return sb_err_set(err, "%s: expected a JSON object", what);
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        tmpl_scope_set_root(c, sb_arena_strdup(c->ar, key), from_json(c->ar, v, 0));
    }
    json_decref(root);
    return 0;
}

/* ---- rendering ---- */

static void chat_vars(tmpl_ctx *c, const tmpl_msg *msgs, size_t n, const tmpl_vars *vars)
{
    tmpl_val list = tmpl_v_list(c->ar, n);
    for (size_t i = 0; i < n; i++) {
        tmpl_val m = tmpl_v_dict(c->ar, 2);
        tmpl_dict_set(c->ar, m.u.d, tmpl_v_cstr("role"),
                      msgs[i].role ? tmpl_v_cstr(msgs[i].role) : tmpl_v_none());
        tmpl_dict_set(c->ar, m.u.d, tmpl_v_cstr("content"),
                      msgs[i].content ? tmpl_v_cstr(msgs[i].content) : tmpl_v_none());
        tmpl_list_push(c->ar, list.u.l, m);
    }
    tmpl_scope_set_root(c, "messages", list);
    tmpl_scope_set_root(c, "tools", tmpl_v_none());
    tmpl_scope_set_root(c, "documents", tmpl_v_none());
    tmpl_scope_set_root(c, "add_generation_prompt",
                        tmpl_v_bool(vars && vars->add_generation_prompt));
    if (vars && vars->bos_token)
        tmpl_scope_set_root(c, "bos_token", tmpl_v_cstr(vars->bos_token));
    if (vars && vars->eos_token)
        tmpl_scope_set_root(c, "eos_token", tmpl_v_cstr(vars->eos_token));
}

typedef struct render_job {
    const tmpl_msg *msgs;
    size_t n_msgs;
    const tmpl_vars *vars;
    const char *context_json;
} render_job;

static int render(const tmpl *t, const render_job *job, sb_buf *out, sb_err *err)
{
    sb_arena ar;
    sb_arena_init(&ar, (size_t)64 * 1024);
    tmpl_fail f = {.err = err};
    tmpl_sb buf;
    tmpl_sb_init(&buf, &ar);
    tmpl_ctx c = {.ar = &ar, .fail = &f, .out = &buf};
    int rc = 0;
    if (setjmp(f.jb)) {
        rc = -1;
        goto done;
    }
    tmpl_scope_set_root(&c, "add_generation_prompt", tmpl_v_bool(false));
    if (job->context_json) {
        if (set_json_vars(&c, job->context_json, "template context", err) < 0) {
            rc = -1;
            goto done;
        }
    } else {
        chat_vars(&c, job->msgs, job->n_msgs, job->vars);
        if (job->vars && job->vars->kwargs_json &&
            set_json_vars(&c, job->vars->kwargs_json, "chat template kwargs", err) < 0) {
            rc = -1;
            goto done;
        }
    }
    tmpl_exec(&c, t->root);
    sb_buf_append(out, buf.p ? buf.p : "", buf.n);
done:
    sb_arena_free(&ar);
    return rc;
}

int tmpl_render(const tmpl *t, const tmpl_msg *msgs, size_t n_msgs, const tmpl_vars *vars,
                sb_buf *out, sb_err *err)
{
    render_job job = {.msgs = msgs, .n_msgs = n_msgs, .vars = vars};
    return render(t, &job, out, err);
}

int tmpl_render_json(const tmpl *t, const char *context_json, sb_buf *out, sb_err *err)
{
    render_job job = {.context_json = context_json};
    return render(t, &job, out, err);
}

int tmpl_render_chat(const char *src, const tmpl_msg *msgs, size_t n_msgs, const tmpl_vars *vars,
                     sb_buf *out, sb_err *err)
{
    tmpl *t = tmpl_compile(src, err);
    if (!t)
        return -1;
    int rc = tmpl_render(t, msgs, n_msgs, vars, out, err);
    tmpl_free(t);
    return rc;
}
