/* SPDX-License-Identifier: Apache-2.0 */
/* pretok.c - the tokenizer's pre-tokenizer and Unicode Script table, for the
 * differential shell tests (tests/scripts_diff.sh):
 *   sb_pretok scripts
 *       prints the script table as runs, one "FIRST LAST NAME" line each (hex
 *       code points, every code point 0..10FFFF looked up with tok_script)
 *   sb_pretok pieces TOKENIZER FILE.jsonl
 *       for each {"text": ...} line, prints the pre-tokenizer's pieces (no
 *       normalizer, no added tokens, as the Rust library's
 *       pre_tokenizer.pre_tokenize_str) as [[piece, first char, end char], ...]
 * Exit 1 on a tokenizer or input error. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"
#include "tokenizer/tok_scripts.h"
#include "tokenizer/tokenizer.h"

static int dump_scripts(void)
{
    uint32_t first = 0;
    uint8_t cur = tok_script(0);
    for (uint32_t cp = 1; cp <= 0x110000; cp++) {
        uint8_t s = cp <= 0x10FFFF ? tok_script(cp) : 255;
        if (s == cur)
            continue;
        const char *name = tok_script_name(cur);
        printf("%X %X %s\n", (unsigned)first, (unsigned)(cp - 1), name ? name : "?");
        first = cp;
        cur = s;
    }
    return 0;
}

/* Char offset of byte offset `to`, counting on from (*byte, *chars). */
static size_t chars_at(const char *text, size_t to, size_t *byte, size_t *chars)
{
    if (to < *byte)
        *byte = *chars = 0;
    *chars += tok_utf8_count(text + *byte, to - *byte);
    *byte = to;
    return *chars;
}

static int pieces(const char *spec, const char *file)
{
    sb_err err = {{0}};
    tok *t = tok_load_compat(spec, TOK_COMPAT_TOKENIZERS, &err);
    if (!t) {
        fprintf(stderr, "sb_pretok: %s\n", err.msg);
        return 1;
    }
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "sb_pretok: cannot open %s\n", file);
        tok_free(t);
        return 1;
    }
    tok_scratch sc;
    tok_scratch_init(&sc, t);
    int rc = 0;
    size_t lineno = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        json_error_t je;
        json_t *j = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &je);
        json_t *jt = json_object_get(j, "text");
        if (!json_is_string(jt)) {
            fprintf(stderr, "sb_pretok: %s:%zu: not a {\"text\": ...} line\n", file, lineno);
            json_decref(j);
            rc = 1;
            break;
        }
        const char *text = json_string_value(jt);
        tok_pretokenize(t, text, json_string_length(jt), &sc);
        json_t *out = json_array();
        size_t sb = 0, sc_ = 0, eb = 0, ec = 0; /* start and end cursors */
        for (size_t i = 0; i < sc.a.n; i++) {
            const tok_piece *pc = &sc.a.v[i];
            sb_buf s;
            sb_buf_init(&s);
            if (pc->bytelevel)
                for (size_t k = 0; k < pc->len; k++)
                    tok_buf_put_cp(&s, t->model.bl_cp[(uint8_t)sc.a.buf.data[pc->off + k]]);
            else
                sb_buf_append(&s, sc.a.buf.data + pc->off, pc->len);
            size_t a = chars_at(text, pc->src, &sb, &sc_);
            size_t b = chars_at(text, pc->src_end, &eb, &ec);
            json_array_append_new(out, json_pack("[s%[II]]", s.data ? s.data : "", s.len,
                                                 (json_int_t)a, (json_int_t)b));
            sb_buf_free(&s);
        }
        char *dump = json_dumps(out, JSON_COMPACT);
        puts(dump);
        free(dump);
        json_decref(out);
        json_decref(j);
    }
    free(line);
    fclose(f);
    tok_scratch_free(&sc);
    tok_free(t);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "scripts") == 0)
        return dump_scripts();
    if (argc == 4 && strcmp(argv[1], "pieces") == 0)
        return pieces(argv[2], argv[3]);
    fprintf(stderr, "usage: %s scripts | pieces TOKENIZER FILE.jsonl\n", argv[0]);
    return 2;
}
