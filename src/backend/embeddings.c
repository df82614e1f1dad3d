/* embeddings.c - the embedding and pooling bodies of vllm/benchmarks/lib/endpoint_request_func.py:
 * async_request_openai_embeddings, async_request_vllm_rerank: openai-embeddings (`input`),
 * openai-embeddings-chat (`messages`), infinity-embeddings (`input`, no truncation key) and
 * vllm-pooling (`truncate_prompt_tokens` before `input`). None is streamed; prompt_len
 * comes from usage.prompt_tokens of the answer. A request with a list of
 * texts (--random-batch-size > 1) sends the list as `input`. Key order is
 * the reference dict's; ignore_eos and --extra-body follow (bk_build_body). */
#include "backend/backend.h"

#include <string.h>

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
    bk_set_str(o, "model", p->model, strlen(p->model));
    set_input(o, r);
    bk_set_int(o, "truncate_prompt_tokens", -1);
    set_ignore_eos(p, o);
}

/* messages = [{"role": "user", "content": [{"type": "text", "text": prompt},
 * multimodal parts...]}] (the reference's _get_chat_messages, parts last). */
void bk_build_embeddings_chat(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", p->model, strlen(p->model));
    sb_buf m;
    sb_buf_init(&m);
    sb_buf_puts(&m, "[{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": ");
    pyfmt_json_string(&m, r->prompt, r->prompt_bytes);
    sb_buf_puts(&m, "}");
    if (r->forms.mm_parts_bytes) {
        sb_buf_puts(&m, ", ");
        sb_buf_append(&m, r->forms.mm_parts, r->forms.mm_parts_bytes);
    }
    sb_buf_puts(&m, "]}]");
    pyjson_obj_set(o, "messages", m.data, m.len);
    sb_buf_free(&m);
    bk_set_int(o, "truncate_prompt_tokens", -1);
    set_ignore_eos(p, o);
}

/* Infinity: no truncate_prompt_tokens (its API has none). */
void bk_build_infinity(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", p->model, strlen(p->model));
    set_input(o, r);
    set_ignore_eos(p, o);
}

/* /pooling: truncate_prompt_tokens comes before input in the reference dict. */
void bk_build_pooling(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", p->model, strlen(p->model));
    bk_set_int(o, "truncate_prompt_tokens", -1);
    set_input(o, r);
    set_ignore_eos(p, o);
}
