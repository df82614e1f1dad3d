/* SPDX-License-Identifier: Apache-2.0 */
/* prompt.h - the forms a request's prompt can take besides one text (the
 * reference's SampleRequest.prompt may be a list of strings, token ids, or
 * chat parts with images and audio). The dataset module fills them in its
 * requests (dataset.h) and the backend module writes them into bodies
 * (backend.h); both hold this one struct, so run/ copies it whole. */
#ifndef SB_PROMPT_H
#define SB_PROMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sb_prompt_forms {
    /* At most one of ids / texts is set; the request's text prompt is then "".
     *  - ids: token ids sent as the prompt itself (timed_trace);
     *  - texts: a list of strings (--random-batch-size > 1 batches for the
     *    embeddings backends; random-rerank: texts[0] = query, rest = documents). */
    const int32_t *ids;
    uint32_t n_ids;
    const char *const *texts;
    const size_t *text_bytes;
    uint32_t n_texts;
    /* Multimodal content parts (random-mm, custom_image, custom_audio),
     * pre-rendered in Python json.dumps style as JSON objects joined by ", "
     * (no brackets); chat bodies put them after the text part. */
    const char *mm_parts;
    size_t mm_parts_bytes;
    /* mm_parts is the whole content list (the prompt was already a list of
     * parts: custom_image "content" rows, --enable-multimodal-chat), so chat
     * bodies add no text part of their own. */
    bool mm_content_only;
    /* custom_audio Whisper style (openai-audio, vllm/benchmarks/lib/endpoint_request_func.py:
     * async_request_openai_audio; vllm/benchmarks/datasets/datasets.py: CustomDataset.sample): the
     * row's audio re-written as 16-bit WAV (media/wav.c), sent as the multipart "file" field.
     * NULL/0 otherwise. */
    const unsigned char *audio_wav;
    size_t audio_wav_bytes;
    /* Pre-built chat messages (vllm/benchmarks/datasets/datasets.py: SampleRequest.chat_messages;
     * hf BFCL rows), rendered in json.dumps style: the chat body sends this list as its
     * "messages". NULL otherwise. */
    const char *chat_messages;
    size_t chat_messages_bytes;
    /* Per-request body keys (SampleRequest.request_overrides): "tools" (a rendered list) and
     * "tool_choice" (a rendered value), merged after --extra-body as the reference's
     * {**extra_body, **request_overrides}. NULL otherwise. */
    const char *tools;
    size_t tools_bytes;
    const char *tool_choice;
    /* Structured output (ours, after vllm/benchmarks/benchmark_serving_structured_output.py): a
     * JSON schema object rendered compactly, sent as chat's response_format json_schema or
     * completions' structured_outputs.json, and the answer checked against it. NULL otherwise. */
    const char *json_schema;
    size_t json_schema_bytes;
} sb_prompt_forms;

#endif
