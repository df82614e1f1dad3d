/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_template.c - libFuzzer target: any bytes as a chat template.
 *
 * The input is split at the first NUL: the part before is the template source,
 * the part after (if any) is a JSON render context. Compiling and rendering
 * must end in output or an sb_err, never a crash, leak or hang (the evaluator
 * bounds nesting, range() and output size). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    size_t src_len = strlen(buf);
    const char *ctx = src_len < size ? buf + src_len + 1 : NULL;
    sb_err err;
    tmpl *t = tmpl_compile(buf, &err);
    if (t) {
        sb_buf out;
        sb_buf_init(&out);
        tmpl_msg msgs[2] = {{"system", "Be brief."}, {"user", "Hello {{ x }} \xe4\xb8\x96"}};
        tmpl_vars vars = {.bos_token = "<s>", .eos_token = "</s>", .add_generation_prompt = true};
        if (ctx && *ctx)
            tmpl_render_json(t, ctx, &out, &err);
        else
            tmpl_render(t, msgs, 2, &vars, &out, &err);
        sb_buf_free(&out);
        tmpl_free(t);
    }
    free(buf);
    return 0;
}
