/* SPDX-License-Identifier: Apache-2.0 */
/* openai_chat.c - OpenAI chat completions body (backend openai-chat),
 * vllm/benchmarks/lib/endpoint_request_func.py: async_request_openai_chat_completions: one user
 * message whose content is a list holding one text part, then the request's multimodal parts
 * (images, audio) in dataset order. The text part is always there, even for an empty prompt: the
 * reference's _get_chat_content never drops it. When the dataset's prompt already was a list of
 * parts (mm_content_only), that list is the content as it is. A multi-turn session's request
 * carries its whole rendered "messages" list instead (bk_req.chat_messages), and so does a
 * dataset row with pre-built messages (sb_prompt_forms.chat_messages: hf BFCL). */
#include "backend/backend.h"

#include <string.h>

static void bk_chat_tail(const bk_params *p, const bk_req *r, pyjson_obj *o);

void bk_build_chat(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", bk_model(p, r), strlen(bk_model(p, r)));
    if (r->chat_messages || r->forms.chat_messages) {
        /* a session's history, or the dataset's pre-built list (hf BFCL) */
        if (r->chat_messages)
            pyjson_obj_set(o, "messages", r->chat_messages, r->chat_messages_bytes);
        else
            pyjson_obj_set(o, "messages", r->forms.chat_messages, r->forms.chat_messages_bytes);
        bk_chat_tail(p, r, o);
        return;
    }
    sb_buf m;
    sb_buf_init(&m);
    /* Multimodal parts can be megabytes of base64: reserve once. */
    sb_buf_reserve(&m, r->prompt_bytes + r->forms.mm_parts_bytes + 96);
    sb_buf_puts(&m, "[{\"role\": \"user\", \"content\": [");
    if (!r->forms.mm_content_only) {
        sb_buf_puts(&m, "{\"type\": \"text\", \"text\": ");
        pyfmt_json_string(&m, r->prompt, r->prompt_bytes);
        sb_buf_putc(&m, '}');
    }
    if (r->forms.mm_parts && r->forms.mm_parts_bytes) {
        if (!r->forms.mm_content_only)
            sb_buf_puts(&m, ", ");
        sb_buf_append(&m, r->forms.mm_parts, r->forms.mm_parts_bytes);
    }
    sb_buf_puts(&m, "]}]");
    pyjson_obj_set(o, "messages", m.data, m.len);
    sb_buf_free(&m);
    bk_chat_tail(p, r, o);
}

/* The keys after "messages", in the reference's order. */
static void bk_chat_tail(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_int(o, "max_completion_tokens", r->output_len);
    bk_set_raw(o, "stream", "true");
    bk_set_raw(o, "stream_options", "{\"include_usage\": true}");
    if (p->ignore_eos)
        bk_set_raw(o, "ignore_eos", "true");
}
