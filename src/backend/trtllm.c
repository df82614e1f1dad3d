/* SPDX-License-Identifier: Apache-2.0 */
/* trtllm.c - TensorRT-LLM Triton ensemble generate_stream body (section
 * 3.10); with ignore_eos the reference asks for min_length = max_tokens. */
#include "backend/backend.h"

void bk_build_trtllm(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_raw(o, "accumulate_tokens", "true");
    bk_set_str(o, "text_input", r->prompt, r->prompt_bytes);
    bk_set_raw(o, "temperature", "0.0");
    bk_set_raw(o, "top_p", "1.0");
    bk_set_int(o, "max_tokens", r->output_len);
    bk_set_raw(o, "stream", "true");
    if (p->ignore_eos)
        bk_set_int(o, "min_length", r->output_len);
}
