/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_template_msgs.c - libFuzzer target: the real chat templates of
 * tests/data/templates rendered with arbitrary messages.
 *
 * fuzz_template fuzzes template sources; this one keeps the templates that
 * ship with models (Llama 3, Qwen 3, Mistral, Gemma 3, DeepSeek V3) and
 * fuzzes what users feed them: roles, contents (any bytes, invalid UTF-8
 * included), message counts and order, add_generation_prompt and
 * --chat-template-kwargs JSON. Byte 0 picks the template and the flags; the
 * rest is split at NUL bytes into role, content, role, content, ... (with
 * flag bit 2, the last part is the kwargs JSON). A render must give text or
 * an sb_err (a template's raise_exception included), never a crash, leak or
 * hang. Run from the source root (SB_SOURCE_DIR overrides). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "template/template.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"llama3", "qwen3", "mistral", "gemma3", "deepseek_v3"};
#define N_TMPL (sizeof names / sizeof names[0])
static tmpl *g_tmpl[N_TMPL];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *root = getenv("SB_SOURCE_DIR");
    for (size_t i = 0; i < N_TMPL; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/tests/data/templates/%s.jinja", root ? root : ".",
                 names[i]);
        sb_buf src;
        sb_buf_init(&src);
        sb_err err;
        if (sb_read_file(path, &src, &err) != 0 || !(g_tmpl[i] = tmpl_compile(src.data, &err))) {
            fprintf(stderr, "fuzz_template_msgs: %s: %s\n", path, err.msg);
            abort();
        }
        sb_buf_free(&src);
    }
    return 0;
}

#define MAX_PARTS 33

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    char *buf = malloc(size);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    const char *parts[MAX_PARTS];
    size_t np = 0;
    for (char *p = buf; np < MAX_PARTS; p += strlen(p) + 1) {
        parts[np++] = p;
        if (p + strlen(p) >= buf + size - 1)
            break;
    }
    const char *kwargs = NULL;
    if ((sel & 4) && np > 1)
        kwargs = parts[--np];
    tmpl_msg msgs[MAX_PARTS / 2];
    size_t nm = 0;
    for (size_t i = 0; i + 1 < np; i += 2)
        msgs[nm++] = (tmpl_msg){parts[i], parts[i + 1]};
    tmpl_vars vars = {.bos_token = (sel & 8) ? NULL : "<s>",
                      .eos_token = "</s>",
                      .add_generation_prompt = (sel & 16) != 0,
                      .kwargs_json = kwargs};
    sb_buf out;
    sb_buf_init(&out);
    sb_err err;
    sb_err_clear(&err);
    if (tmpl_render(g_tmpl[(sel >> 5) % N_TMPL], msgs, nm, &vars, &out, &err) != 0 && !err.msg[0])
        abort();
    sb_buf_free(&out);
    free(buf);
    return 0;
}
