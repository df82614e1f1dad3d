/* SPDX-License-Identifier: Apache-2.0 */
/* sim_record.c - the --record ground truth, one JSON line per request.
 *
 * Written when a request ends (completed, faulted or abandoned), from the
 * loop thread, through stdio buffering: one fwrite-sized append per request
 * keeps recording off the per-token path. Times are the server's
 * CLOCK_MONOTONIC nanoseconds, the clock sb_now_ns() reads, so a client on the
 * same machine can line its own timestamps up with these. Schema: docs/sim.md. */
#include <inttypes.h>
#include <string.h>

#include "core/pyfmt.h"
#include "sim/sim_internal.h"

static const char *api_name(int api)
{
    switch (api) {
    case SIM_API_CHAT:
        return "chat";
    case SIM_API_TGI:
        return "tgi";
    case SIM_API_TRT:
        return "tensorrt-llm";
    case SIM_API_EMBED:
        return "embeddings";
    case SIM_API_POOLING:
        return "pooling";
    case SIM_API_RERANK:
        return "rerank";
    case SIM_API_RESPONSES:
        return "responses";
    default:
        return "completions";
    }
}

void sim_record_write(sim_server *s, const sim_req *r, const char *outcome, int status)
{
    if (!s->rec)
        return;
    sb_buf *b = &s->scratch2;
    sb_buf_reset(b);
    sb_buf_printf(b, "{\"seq\":%" PRIu64 ",\"request_id\":", r->seq);
    pyfmt_json_string_as(b, r->request_id, strlen(r->request_id), false);
    sb_buf_puts(b, ",\"model\":");
    const char *model = sim_model_name(&s->o, r->model_ref);
    pyfmt_json_string_as(b, model, strlen(model), false);
    sb_buf_printf(b,
                  ",\"api\":\"%s\",\"stream\":%s,\"status\":%d,\"outcome\":\"%s\","
                  "\"arrival_ns\":%" PRIu64 ",\"start_ns\":%" PRIu64 ",\"first_token_ns\":%" PRIu64
                  ",\"end_ns\":%" PRIu64 ",\"prompt_tokens\":%u,\"max_tokens\":%u,"
                  "\"output_tokens\":%u,\"emitted_tokens\":%u,\"tokens_per_chunk\":%d,"
                  "\"cached_tokens\":%u,\"emit_ns\":[",
                  api_name(r->api), r->stream ? "true" : "false", status, outcome, r->arrival_ns,
                  r->start_ns, r->first_ns, r->last_ns, r->prompt_tokens, r->max_tokens,
                  r->out_tokens, r->emitted, s->o.tokens_per_chunk, r->cached_tokens);
    for (uint32_t i = 0; i < r->chunks && i < r->emit_cap; i++)
        sb_buf_printf(b, "%s%" PRIu64, i ? "," : "", r->emit_ns[i]);
    sb_buf_printf(b, "],\"first_token_plan_ns\":%" PRIu64, r->first_plan_ns);
    if (r->session_id[0]) {
        sb_buf_puts(b, ",\"session_id\":");
        pyfmt_json_string_as(b, r->session_id, strlen(r->session_id), false);
    }
    if (r->rec_messages) /* --record-messages */
        sb_buf_printf(b, ",%s", r->rec_messages);
    sb_buf_puts(b, "}\n");
    fwrite(b->data, 1, b->len, s->rec);
}
