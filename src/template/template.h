/* SPDX-License-Identifier: Apache-2.0 */
/* template.h - renders Hugging Face chat templates (a Jinja2 subset) in C.
 *
 * Chat templates live in tokenizer_config.json as Jinja2 source; transformers
 * renders them with jinja2's sandbox, trim_blocks and lstrip_blocks on, plus
 * raise_exception() and strftime_now(). This module implements the part of
 * Jinja2 those templates use and renders exactly what jinja2 would. */
#ifndef SB_TEMPLATE_H
#define SB_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct tmpl_msg {
    const char *role;    /* "system", "user", "assistant" */
    const char *content; /* UTF-8 text */
} tmpl_msg;

typedef struct tmpl_vars {
    const char *bos_token; /* NULL = undefined in the template */
    const char *eos_token;
    bool add_generation_prompt;
    /* Extra template variables as a JSON object (--chat-template-kwargs), or
     * NULL. They are set after the ones above, so they may override them. */
    const char *kwargs_json;
} tmpl_vars;

/* A parsed template: compile once, render many times (each render uses its
 * own arena, so one tmpl may be rendered from several threads at once). */
typedef struct tmpl tmpl;

/* Parses src (jinja2 with transformers' settings). NULL with err naming the
 * line and column on a syntax error, unknown tag, filter or test. */
tmpl *tmpl_compile(const char *src, sb_err *err);
void tmpl_free(tmpl *t);

/* Renders t as transformers' apply_chat_template would: `messages` = msgs,
 * add_generation_prompt, bos_token/eos_token when not NULL, tools = None,
 * documents = None, plus vars->kwargs_json. Appends to out; on error out is
 * left as it was and err names the template line. */
int tmpl_render(const tmpl *t, const tmpl_msg *msgs, size_t n_msgs, const tmpl_vars *vars,
                sb_buf *out, sb_err *err);

/* Renders t with every variable taken from a JSON object (messages may then
 * carry any fields: tool_calls, content lists, ...). Appends to out. */
int tmpl_render_json(const tmpl *t, const char *context_json, sb_buf *out, sb_err *err);

/* One-shot tmpl_compile + tmpl_render (compiling is the costly part: prefer
 * compiling once and rendering per prompt). Returns 0, or -1 with err naming
 * the template line and what failed (syntax error, unknown filter,
 * raise_exception message). */
int tmpl_render_chat(const char *src, const tmpl_msg *msgs, size_t n_msgs, const tmpl_vars *vars,
                     sb_buf *out, sb_err *err);

#endif
