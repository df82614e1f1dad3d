/* openai.c - OpenAI completions body (backends openai, vllm, lmdeploy,
 * scalellm, sglang, llama.cpp), key order as reference section 3.3. */
#include "backend/backend.h"

#include <string.h>

void bk_build_completions(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", p->model, strlen(p->model));
    bk_set_str(o, "prompt", r->prompt, r->prompt_bytes);
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
