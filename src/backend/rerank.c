/* SPDX-License-Identifier: Apache-2.0 */
/* rerank.c - vLLM's /rerank body (vllm/benchmarks/lib/endpoint_request_func.py:
 * async_request_openai_embeddings, async_request_vllm_rerank, vllm-rerank): the request's list of
 * texts is [query, documents...] (random-rerank), sent as
 * {"model", "query", "documents", "truncate_prompt_tokens": -1}. Unlike the
 * other pooling calls the reference adds neither ignore_eos nor
 * --extra-body here (the backend row sets no_extra_body). */
#include "backend/backend.h"

#include <string.h>

void bk_build_rerank(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", bk_model(p, r), strlen(bk_model(p, r)));
    if (r->forms.n_texts) {
        bk_set_str(o, "query", r->forms.texts[0], r->forms.text_bytes[0]);
        bk_set_str_list(o, "documents", r->forms.texts + 1, r->forms.text_bytes + 1,
                        r->forms.n_texts - 1);
    } else {
        /* The reference asserts a list; validation (cli) only lets
         * random-rerank reach this backend, so this is a safety net: the
         * server answers the missing documents with a 4xx. */
        bk_set_str(o, "query", r->prompt, r->prompt_bytes);
        bk_set_raw(o, "documents", "[]");
    }
    bk_set_int(o, "truncate_prompt_tokens", -1);
}
