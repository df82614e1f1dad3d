/* SPDX-License-Identifier: Apache-2.0 */
/* tok_wordpiece.c - WordPiece (greedy longest match first, "##" for
 * continuations, whole word -> unk when any part is missing or the word is
 * longer than max_input_chars_per_word) and WordLevel (whole word or unk). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

static void wordlevel(const tok_model *m, const char *w, size_t n, tok_ids *out)
{
    int32_t id = tok_smap_get(&m->vocab, w, n);
    if (id < 0)
        id = m->unk_id;
    if (id >= 0)
        tok_ids_push(out, id);
}

void tok_wordpiece_encode(const tok_model *m, const tok_piece *pc, const char *buf, tok_ids *out)
{
    const char *w = buf + pc->off;
    size_t n = pc->len;
    if (m->kind == TOK_MODEL_WORDLEVEL) {
        wordlevel(m, w, n, out);
        return;
    }
    if (tok_utf8_count(w, n) > m->max_chars) {
        tok_ids_push(out, m->unk_id);
        return;
    }
    size_t mark = out->n, pl = strlen(m->cont_prefix);
    char stack[512];
    for (size_t start = 0; start < n;) {
        int32_t id = -1;
        size_t end = n;
        while (start < end) {
            size_t len = end - start + (start ? pl : 0);
            char *t = len <= sizeof stack ? stack : sb_xmalloc(len);
            size_t o = 0;
            if (start) {
                memcpy(t, m->cont_prefix, pl);
                o = pl;
            }
            memcpy(t + o, w + start, end - start);
            id = tok_smap_get(&m->vocab, t, len);
            if (t != stack)
                free(t);
            if (id >= 0)
                break;
            do /* back one char */
                end--;
            while (end > start && ((unsigned char)w[end] & 0xC0) == 0x80);
        }
        if (id < 0) {
            out->n = mark;
            tok_ids_push(out, m->unk_id);
            return;
        }
        tok_ids_push(out, id);
        start = end;
    }
}
