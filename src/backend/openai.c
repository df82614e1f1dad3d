/* SPDX-License-Identifier: Apache-2.0 */
/* openai.c - OpenAI completions body (backends openai, vllm, lmdeploy,
 * scalellm, sglang, llama.cpp), key order as vllm/benchmarks/lib/endpoint_request_func.py:
 * async_request_openai_completions.
 *
 * "prompt" is the text, or, for the reference's list prompts, a JSON list in
 * json.dumps style (", " between items): token ids (timed_trace) or strings
 * (batches). */
#include "backend/backend.h"

#include <string.h>

static void set_prompt(pyjson_obj *o, const bk_req *r)
{
    if (r->forms.texts) {
        bk_set_str_list(o, "prompt", r->forms.texts, r->forms.text_bytes, r->forms.n_texts);
        return;
    }
    if (!r->forms.ids) {
        bk_set_str(o, "prompt", r->prompt, r->prompt_bytes);
        return;
    }
    sb_buf t;
    sb_buf_init(&t);
    sb_buf_putc(&t, '[');
    for (uint32_t i = 0; i < r->forms.n_ids; i++)
        sb_buf_printf(&t, "%s%d", i ? ", " : "", (int)r->forms.ids[i]);
    sb_buf_putc(&t, ']');
    pyjson_obj_set(o, "prompt", t.data, t.len);
    sb_buf_free(&t);
}

void bk_build_completions(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", bk_model(p, r), strlen(bk_model(p, r)));
    set_prompt(o, r);
    bk_set_raw(o, "repetition_penalty", "1.0");
    bk_set_int(o, "max_tokens", r->output_len);
    if (p->logprobs >= 0)
        bk_set_int(o, "logprobs", p->logprobs);
    else
        bk_set_raw(o, "logprobs", "null");
    bk_set_raw(o, "stream", "true");
    bk_set_raw(o, "stream_options", "{\"include_usage\": true}");
    if (p->ignore_eos)
        bk_set_raw(o, "ignore_eos", "true");
}
