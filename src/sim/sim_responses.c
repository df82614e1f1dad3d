/* SPDX-License-Identifier: Apache-2.0 */
/* sim_responses.c - the OpenAI Responses API endpoint, POST /v1/responses.
 *
 * The body OpenAI documents: "model", "input" (a string, or a list of
 * messages whose "content" is a string or a list of {"type": "input_text",
 * "text"} parts), "max_output_tokens", "stream" (only true: the simulator
 * streams), and vLLM's "ignore_eos". Prompt tokens are the input texts
 * counted as the other endpoints count a prompt (no chat template). The
 * answer is the typed event stream: response.created, then per chunk
 * response.output_text.delta events (response.reasoning_text.delta for the
 * first --reasoning-tokens tokens, response.function_call_arguments.delta
 * for the last --tool-call-tokens), then response.completed with
 * response.usage {input_tokens, output_tokens, total_tokens}; no [DONE]. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"

/* The input's text, appended to out; -1 with msg when the shape is wrong. */
static int input_text(json_t *in, sb_buf *out, char *msg, size_t cap)
{
    if (json_is_string(in)) {
        sb_buf_append(out, json_string_value(in), json_string_length(in));
        return 0;
    }
    if (!json_is_array(in) || json_array_size(in) == 0) {
        snprintf(msg, cap, "'input' is required: a string or a non-empty list of messages");
        return -1;
    }
    size_t i, j;
    json_t *m, *part;
    json_array_foreach(in, i, m)
    {
        json_t *content = json_object_get(m, "content");
        if (json_is_string(content)) {
            sb_buf_append(out, json_string_value(content), json_string_length(content));
            continue;
        }
        if (!json_is_array(content)) {
            snprintf(msg, cap, "input[%zu].content must be a string or a list of parts", i);
            return -1;
        }
        json_array_foreach(content, j, part)
        {
            json_t *text = json_object_get(part, "text");
            if (!json_is_string(text)) {
                snprintf(msg, cap, "input[%zu].content[%zu] has no 'text' string", i, j);
                return -1;
            }
            sb_buf_append(out, json_string_value(text), json_string_length(text));
        }
    }
    return 0;
}

int sim_responses_handle(sim_conn *c, const sim_http_req *hr)
{
    if (!sim_str_eq(hr->path, "/v1/responses"))
        return 0;
    if (!sim_str_eq(hr->method, "POST")) {
        sim_api_respond(c, 405, "application/json", "{\"detail\":\"Method Not Allowed\"}", 31);
        return 1;
    }
    sim_api_init_req(c, SIM_API_RESPONSES, hr);
    char msg[512] = "";
    json_error_t jerr;
    json_t *body = json_loadb(hr->body, hr->body_len, JSON_ALLOW_NUL, &jerr);
    json_t *model = json_object_get(body, "model"), *stream = json_object_get(body, "stream");
    json_t *max = json_object_get(body, "max_output_tokens");
    json_t *eos = json_object_get(body, "ignore_eos");
    sb_buf text;
    sb_buf_init(&text);
    if (!json_is_object(body))
        snprintf(msg, sizeof msg, "the request body must be a JSON object");
    else if (model && !json_is_string(model))
        snprintf(msg, sizeof msg, "'model' must be a string");
    else if (!json_is_true(stream))
        snprintf(msg, sizeof msg, "'stream' must be true (the simulator's /v1/responses streams)");
    else if (max && !json_is_null(max) && (!json_is_integer(max) || json_integer_value(max) < 1))
        snprintf(msg, sizeof msg, "'max_output_tokens' must be an integer >= 1");
    else if (eos && !json_is_boolean(eos))
        snprintf(msg, sizeof msg, "'ignore_eos' must be a boolean");
    else
        input_text(json_object_get(body, "input"), &text, msg, sizeof msg);
    if (msg[0]) {
        sim_api_bad_request(c, msg);
    } else {
        const char *t = text.data ? text.data : "";
        size_t pt = sim_prompt_tokens(c, t, text.len, NULL, 0);
        c->req.stream = 1;
        sim_api_admit(c, model ? json_string_value(model) : NULL, pt < 1 ? 1 : (long)pt,
                      json_is_integer(max) ? (long)json_integer_value(max) : -1, 0,
                      json_is_true(eos));
    }
    sb_buf_free(&text);
    json_decref(body);
    return 1;
}

static void event(sim_conn *c, sb_buf *b, const char *type)
{
    sb_buf_printf(b, "event: %s\ndata: {\"type\":\"%s\",\"sequence_number\":%" PRIu32 ",", type,
                  type, c->req.chunks);
}

static void delta_event(sim_conn *c, sb_buf *b, const char *type, uint32_t from, uint32_t to)
{
    const sim_req *r = &c->req;
    event(c, b, type);
    sb_buf_printf(b, "\"item_id\":\"%s_%s\",\"output_index\":0,\"content_index\":0,\"delta\":\"",
                  !strcmp(type, "response.function_call_arguments.delta") ? "fc" : "msg", r->id);
    for (uint32_t i = from; i < to; i++)
        sim_emit_token_text(r, i, b);
    sb_buf_puts(b, "\"}\n\n");
}

void sim_responses_chunk(sim_conn *c, sb_buf *b, uint32_t first, uint32_t n)
{
    const sim_req *r = &c->req;
    if (first == 0) {
        event(c, b, "response.created");
        sb_buf_printf(
            b,
            "\"response\":{\"id\":\"resp_%s\",\"object\":\"response\",\"created_at\":%" PRIu64
            ",\"status\":\"in_progress\",\"model\":\"%s\",\"output\":[],\"usage\":null}}\n\n",
            r->id, r->created_s, sim_model_resp(c));
    }
    uint64_t nt = (uint64_t)c->srv->o.tool_call_tokens, nr = (uint64_t)c->srv->o.reasoning_tokens;
    uint64_t end = (uint64_t)first + n, tool_from = r->out_tokens > nt ? r->out_tokens - nt : 0;
    uint32_t a = (uint32_t)(nr < first ? first : nr > end ? end : nr);
    uint32_t t = (uint32_t)(tool_from < a ? a : tool_from > end ? end : tool_from);
    if (a > first)
        delta_event(c, b, "response.reasoning_text.delta", first, a);
    if (t > a)
        delta_event(c, b, "response.output_text.delta", a, t);
    if (end > t)
        delta_event(c, b, "response.function_call_arguments.delta", t, (uint32_t)end);
}

void sim_responses_end(sim_conn *c, sb_buf *b)
{
    const sim_req *r = &c->req;
    event(c, b, "response.completed");
    sb_buf_printf(b,
                  "\"response\":{\"id\":\"resp_%s\",\"object\":\"response\",\"created_at\":%" PRIu64
                  ",\"status\":\"completed\",\"model\":\"%s\",\"usage\":{\"input_tokens\":%" PRIu32
                  ",\"output_tokens\":%" PRIu32 ",\"total_tokens\":%" PRIu32 "}}}\n\n",
                  r->id, r->created_s, sim_model_resp(c), r->prompt_tokens, r->emitted,
                  r->prompt_tokens + r->emitted);
}
