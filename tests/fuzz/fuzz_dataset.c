/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_dataset.c - libFuzzer target for the dataset file parsers: the first
 * byte picks the dataset (sharegpt JSON, custom JSONL, burstgpt CSV, hf
 * JSON/JSONL, spec_bench JSONL), the rest is the file. Any input must give
 * requests or an sb_err, never a crash or a leak. The tokenizer is GPT-2 from
 * tests/data (override with SB_FUZZ_TOKENIZER); run from the source root:
 *   build-fuzz/tests/fuzz/fuzz_dataset -max_total_time=60 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset/dataset.h"

static tok *g_tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *p = getenv("SB_FUZZ_TOKENIZER");
    sb_err err;
    g_tok = tok_load(p ? p : "tests/data/datasets/gpt2", &err);
    if (!g_tok) {
        fprintf(stderr, "fuzz_dataset: %s\n", err.msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const char *const names[] = {"sharegpt", "custom", "burstgpt", "hf", "spec_bench"};
    static const char *const exts[] = {".json", ".jsonl", ".csv", ".jsonl", ".jsonl"};
    if (size < 1)
        return 0;
    unsigned pick = data[0] % 5;
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_dataset_%d%s", (int)getpid(), exts[pick]);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    sb_dataset_opts o;
    memset(&o, 0, sizeof o);
    o.name = (char *)names[pick];
    o.path = path;
    o.num_prompts = 4;
    o.input_len = o.output_len = o.sharegpt_output_len = o.hf_output_len = -1;
    o.custom_output_len = -1;
    o.spec_bench_output_len = 8;
    o.skip_chat_template = true;
    o.burstgpt_use_timestamps = data[0] & 0x80;
    sb_dataset ds;
    sb_err err;
    if (dataset_load(&o, g_tok, "openai", &ds, &err) == 0)
        dataset_free(&ds);
    unlink(path);
    return 0;
}
