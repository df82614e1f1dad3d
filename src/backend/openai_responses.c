/* SPDX-License-Identifier: Apache-2.0 */
/* openai_responses.c - OpenAI Responses API body (backend openai-responses,
 * ours; upstream is adding it): POST /v1/responses with the prompt as the
 * "input" string, "max_output_tokens" for the output length and
 * "stream": true, the fields OpenAI documents for a streamed response. The
 * answer comes back as typed SSE events (stream.c). vLLM's ignore_eos is
 * sent only when asked for, as the Responses API has no such field. */
#include "backend/backend.h"

#include <string.h>

void bk_build_responses(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", p->model, strlen(p->model));
    bk_set_str(o, "input", r->prompt, r->prompt_bytes);
    bk_set_int(o, "max_output_tokens", r->output_len);
    bk_set_raw(o, "stream", "true");
    if (p->ignore_eos)
        bk_set_raw(o, "ignore_eos", "true");
}
