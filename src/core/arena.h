/* SPDX-License-Identifier: Apache-2.0 */
/* arena.h - bump allocator for data that lives as long as a run.
 *
 * Datasets, prompts and error strings are allocated here and freed all at
 * once with sb_arena_free: one owner, no per-object free. Not thread-safe;
 * each thread that needs one owns its own. */
#ifndef SB_ARENA_H
#define SB_ARENA_H

#include <stddef.h>

typedef struct sb_arena_block sb_arena_block;
typedef struct sb_arena {
    sb_arena_block *head;
    size_t block_size;
    size_t total_bytes; /* bytes handed out, for memory reports */
} sb_arena;

void sb_arena_init(sb_arena *a, size_t block_size); /* 0 = 1 MiB */
void sb_arena_free(sb_arena *a);
void *sb_arena_alloc(sb_arena *a, size_t n);  /* 16-byte aligned, uninitialised */
void *sb_arena_calloc(sb_arena *a, size_t n); /* zeroed */
char *sb_arena_strndup(sb_arena *a, const char *s, size_t n);
char *sb_arena_strdup(sb_arena *a, const char *s);

#endif
