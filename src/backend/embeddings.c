/* embeddings.c - OpenAI /v1/embeddings body (pooling, section 3.9): not
 * streamed; prompt_len comes from usage.prompt_tokens of the answer. */
#include "backend/backend.h"

#include <string.h>

void bk_build_embeddings(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", p->model, strlen(p->model));
    bk_set_str(o, "input", r->prompt, r->prompt_bytes);
    bk_set_int(o, "truncate_prompt_tokens", -1);
    if (p->ignore_eos)
        bk_set_raw(o, "ignore_eos", "true");
}
