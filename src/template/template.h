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
} tmpl_vars;

/* Renders src with `messages` = msgs and the given variables, appending to
 * out. Returns 0, or -1 with err naming the template line and what failed
 * (syntax error, unknown filter, raise_exception message). */
int tmpl_render_chat(const char *src, const tmpl_msg *msgs, size_t n_msgs, const tmpl_vars *vars,
                     sb_buf *out, sb_err *err);

#endif
