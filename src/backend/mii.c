/* SPDX-License-Identifier: Apache-2.0 */
/* mii.c - DeepSpeed-MII body (benchmarks/backend_request_func.py (v0.8.5)): not streamed, so TTFT
 * is 0 and the latency ends when the whole JSON answer has arrived. */
#include "backend/backend.h"

void bk_build_mii(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    (void)p;
    bk_set_str(o, "prompt", r->prompt, r->prompt_bytes);
    bk_set_int(o, "max_tokens", r->output_len);
    bk_set_raw(o, "temperature", "0.01");
    bk_set_raw(o, "top_p", "1.0");
}
