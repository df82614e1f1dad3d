/* SPDX-License-Identifier: Apache-2.0 */
/* tgi.c - Hugging Face text-generation-inference /generate_stream body
 * (legacy reference table, benchmarks/backend_request_func.py (v0.8.5)). */
#include "backend/backend.h"

#include <stdio.h>

void bk_build_tgi(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "inputs", r->prompt, r->prompt_bytes);
    char params[256];
    snprintf(params, sizeof params,
             "{\"max_new_tokens\": %d, \"do_sample\": true, \"temperature\": 0.01, "
             "\"top_p\": 0.99, \"truncate\": %d, \"ignore_eos_token\": %s}",
             (int)r->output_len, (int)r->prompt_len, p->ignore_eos ? "true" : "false");
    bk_set_raw(o, "parameters", params);
}
