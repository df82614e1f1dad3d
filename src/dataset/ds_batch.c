/* SPDX-License-Identifier: Apache-2.0 */
/* ds_batch.c - prompts grouped into list requests: --random-batch-size B > 1
 * for the random dataset (vllm/benchmarks/datasets/datasets.py: RandomDataset.sample, batch_size >
 * 1) and the [query, documents...] requests of random-rerank (vllm/benchmarks/datasets/datasets.py:
 * RandomDatasetForReranking.sample).
 *
 * Matches the reference's loop `for i in range(0, N, B)`: the last group may
 * be shorter; the expected output length is 0; the id is the group number
 * (prefix + i // B), which is the request's position in the new list. The
 * texts point at prompts already in the dataset's arenas: nothing is copied. */
#include <string.h>

#include "dataset/ds_internal.h"

int dataset_group(sb_dataset *ds, long batch, const dataset_group_head *head, sb_err *err)
{
    if (batch < 1)
        return sb_err_set(err, "--random-batch-size must be >= 1, got %ld", batch);
    size_t b = (size_t)batch, groups = 0, extra = head ? 1 : 0;
    /* In place: group j is written to reqs[j] after reqs[j*B ...] were read,
     * and j <= j*B, so nothing unread is overwritten. */
    for (size_t i = 0; i < ds->n; i += b, groups++) {
        size_t k = ds->n - i < b ? ds->n - i : b;
        const char **texts = sb_arena_alloc(&ds->arena, (k + extra) * sizeof *texts);
        size_t *bytes = sb_arena_alloc(&ds->arena, (k + extra) * sizeof *bytes);
        int64_t sum = 0;
        if (head) {
            texts[0] = head->text;
            bytes[0] = head->bytes;
            sum = head->len_once + head->len_per_item * (int64_t)k;
        }
        for (size_t j = 0; j < k; j++) {
            const sb_request *q = &ds->reqs[i + j];
            if (q->forms.n_texts || q->forms.n_ids || q->forms.mm_parts)
                return sb_err_set(err,
                                  "--random-batch-size: request %zu is not a plain text "
                                  "prompt and cannot be batched",
                                  i + j);
            texts[extra + j] = q->prompt;
            bytes[extra + j] = q->prompt_bytes;
            sum += q->prompt_len;
        }
        sb_request *r = &ds->reqs[groups];
        memset(r, 0, sizeof *r);
        r->prompt = "";
        r->timestamp_s = -1;
        r->has_request_id = 1;
        r->forms.texts = texts;
        r->forms.text_bytes = bytes;
        r->forms.n_texts = (uint32_t)(k + extra);
        r->prompt_len = (int32_t)sum;
        r->output_len = 0;
    }
    ds->n = groups;
    return 0;
}
