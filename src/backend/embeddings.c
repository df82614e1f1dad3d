/* SPDX-License-Identifier: Apache-2.0 */
/* embeddings.c - the embedding and pooling bodies of vllm/benchmarks/lib/endpoint_request_func.py:
 * async_request_openai_embeddings, async_request_vllm_rerank: openai-embeddings (`input`),
 * openai-embeddings-chat (`messages`), infinity-embeddings (`input`, no truncation key) and
 * vllm-pooling (`truncate_prompt_tokens` before `input`). None is streamed; prompt_len
 * comes from usage.prompt_tokens of the answer. A request with a list of
 * texts (--random-batch-size > 1) sends the list as `input`. Key order is
 * the reference dict's; ignore_eos and --extra-body follow (bk_build_body). */
#include "backend/backend.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyfmt.h"

/* `input`: the text, or the list of texts of a batched request. */
static void set_input(pyjson_obj *o, const bk_req *r)
{
    if (r->forms.n_texts)
        bk_set_str_list(o, "input", r->forms.texts, r->forms.text_bytes, r->forms.n_texts);
    else
        bk_set_str(o, "input", r->prompt, r->prompt_bytes);
}

static void set_ignore_eos(const bk_params *p, pyjson_obj *o)
{
    if (p->ignore_eos)
        bk_set_raw(o, "ignore_eos", "true");
}

void bk_build_embeddings(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", bk_model(p, r), strlen(bk_model(p, r)));
    set_input(o, r);
    bk_set_int(o, "truncate_prompt_tokens", -1);
    set_ignore_eos(p, o);
}

/* messages = [{"role": "user", "content": [text part, multimodal parts...]}]
 * with the parts after the text, or before it (mm_first: vlm2vec), as
 * vllm/benchmarks/lib/endpoint_request_func.py: _get_chat_content. */
static void embeddings_chat(const bk_params *p, const bk_req *r, const char *text, size_t n,
                            bool mm_first, pyjson_obj *o)
{
    bk_set_str(o, "model", bk_model(p, r), strlen(bk_model(p, r)));
    sb_buf m;
    sb_buf_init(&m);
    sb_buf_puts(&m, "[{\"role\": \"user\", \"content\": [");
    if (mm_first && r->forms.mm_parts_bytes) {
        sb_buf_append(&m, r->forms.mm_parts, r->forms.mm_parts_bytes);
        sb_buf_puts(&m, ", ");
    }
    sb_buf_puts(&m, "{\"type\": \"text\", \"text\": ");
    pyfmt_json_string(&m, text, n);
    sb_buf_puts(&m, "}");
    if (!mm_first && r->forms.mm_parts_bytes) {
        sb_buf_puts(&m, ", ");
        sb_buf_append(&m, r->forms.mm_parts, r->forms.mm_parts_bytes);
    }
    sb_buf_puts(&m, "]}]");
    pyjson_obj_set(o, "messages", m.data, m.len);
    sb_buf_free(&m);
    bk_set_int(o, "truncate_prompt_tokens", -1);
    set_ignore_eos(p, o);
}

void bk_build_embeddings_chat(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    embeddings_chat(p, r, r->prompt, r->prompt_bytes, false, o);
}

/* CLIP (_preprocess_clip): a request with an image sends an empty text. */
void bk_build_embeddings_clip(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bool image = r->forms.mm_parts_bytes > 0;
    embeddings_chat(p, r, image ? "" : r->prompt, image ? 0 : r->prompt_bytes, false, o);
}

/* The number at the end of the request's x-request-id, or -1
 * (_try_extract_request_idx: re.search(r"(\d+)$", request_id)). */
static long request_index(const bk_req *r)
{
    if (!r->request_id)
        return -1;
    const char *end = r->request_id + strlen(r->request_id), *d = end;
    while (d > r->request_id && isdigit((unsigned char)d[-1]))
        d--;
    if (d == end || end - d > 18)
        return -1; /* no digits; or more than a long holds (never with our ids) */
    return strtol(d, NULL, 10);
}

/* VLM2Vec (_preprocess_vlm2vec): image parts first; even request numbers (and
 * requests without an id) send an image-only instruction, odd ones the
 * instruction with the prompt as its question. */
void bk_build_embeddings_vlm2vec(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    if (!r->forms.mm_parts_bytes) {
        embeddings_chat(p, r, r->prompt, r->prompt_bytes, true, o);
        return;
    }
    long idx = request_index(r);
    sb_buf t;
    sb_buf_init(&t);
    if (idx < 0 || idx % 2 == 0)
        sb_buf_puts(&t, "Represent the given image.");
    else {
        sb_buf_puts(&t, "Represent the given image with the following question: ");
        sb_buf_append(&t, r->prompt, r->prompt_bytes);
    }
    embeddings_chat(p, r, t.data, t.len, true, o);
    sb_buf_free(&t);
}

/* Infinity without a text: `input` = the multimodal item's URL and
 * `modality` = its type up to the first "_" ("image_url" -> "image"). The
 * reference takes multi_modal_content as one dict; with several items its
 * request fails on an assertion, here the first item is sent. */
static void infinity_item(pyjson_obj *o, const bk_req *r)
{
    sb_buf t;
    sb_buf_init(&t);
    sb_buf_putc(&t, '[');
    sb_buf_append(&t, r->forms.mm_parts, r->forms.mm_parts_bytes);
    sb_buf_putc(&t, ']');
    json_t *parts = json_loads(t.data, 0, NULL), *item = json_array_get(parts, 0);
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *url =
        type ? json_string_value(json_object_get(json_object_get(item, type), "url")) : NULL;
    if (url) {
        bk_set_str(o, "input", url, strlen(url));
        size_t n = strcspn(type, "_");
        bk_set_str(o, "modality", type, n);
    } else {
        bk_set_str(o, "input", "", 0); /* a part without a URL: the server says why */
    }
    json_decref(parts);
    sb_buf_free(&t);
}

/* Infinity: no truncate_prompt_tokens (its API has none); a request whose
 * text is empty sends its image instead. clip: an image blanks the text. */
static void infinity(const bk_params *p, const bk_req *r, bool clip, pyjson_obj *o)
{
    bk_set_str(o, "model", bk_model(p, r), strlen(bk_model(p, r)));
    bool image = r->forms.mm_parts_bytes > 0;
    bool text = r->forms.n_texts || (r->prompt_bytes > 0 && !(clip && image));
    if (text || !image)
        set_input(o, r);
    else
        infinity_item(o, r);
    set_ignore_eos(p, o);
}

void bk_build_infinity(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    infinity(p, r, false, o);
}

void bk_build_infinity_clip(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    infinity(p, r, true, o);
}

/* /pooling: truncate_prompt_tokens comes before input in the reference dict. */
void bk_build_pooling(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", bk_model(p, r), strlen(bk_model(p, r)));
    bk_set_int(o, "truncate_prompt_tokens", -1);
    set_input(o, r);
    set_ignore_eos(p, o);
}
