/* SPDX-License-Identifier: Apache-2.0 */
/* tok_cache.c - a binary copy of the parsed part of a BPE tokenizer.json that
 * costs most of its load: the vocab map, the merge map (both exactly as
 * tok_map.c lays them out in memory) and the rest of the file's text with
 * model.vocab / model.merges cut out, which jansson then parses in well
 * under a millisecond. Reading the JSON costs tens of ms for GPT-2 (gunzip,
 * scanning, a hash insert per token and three lookups per merge), the copy a
 * few (bench/startup.c), and start-up is part of what a user waits for.
 *
 * One file per tokenizer.json (named by a hash of its real path) under
 * $SERVEBENCH_TOKENIZER_CACHE, else $XDG_CACHE_HOME/servebench/tokenizers, else
 * ~/.cache/servebench/tokenizers; SERVEBENCH_TOKENIZER_CACHE=off turns it off. The
 * copy is used only when the tokenizer.json it was made from has the same
 * stat data (size, modification and change times to the ns, inode, device),
 * the format and the hash function are this build's, and the whole payload
 * matches its checksum; anything else (stale, truncated, corrupt) is a miss,
 * the JSON is parsed and the copy written anew (to a temporary file renamed
 * into place, so concurrent runs never read half a file). Every offset and
 * id read back is checked before the maps are used. Failing to write is not
 * an error: the cache only saves time.
 *
 * The stat data stands for the content, as in git's index and make: reading
 * and hashing the JSON at every load cost about half a millisecond for
 * GPT-2's 0.5 MB .gz, and grows with the file (plain tokenizer.json files
 * are up to tens of MB). Any write changes
 * the change time (which no user call can set back), and a rename or copy
 * over the file changes the inode. What stat cannot see is a write in the
 * same timestamp tick as the stat the copy was made from (coarse file
 * system clocks): a file changed within TOKC_RACY_NS before the copy was
 * written is "racy" and its content hash (kept for every copy) is checked
 * at each load, until a load finds the file settled and writes the copy
 * anew with a later write time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tokenizer/tok_internal.h"

/* Bump when anything written here, or the map layout or tok_hash, changes. */
#define TOKC_VERSION 6 /* 6: the letters table (tok_chunk_letters) */
#define TOKC_MAX_SLOTS ((uint64_t)1 << 28)
#define TOKC_MAX_BYTES ((uint64_t)1 << 32)
/* A tokenizer.json changed less than this before its copy was written may
 * have changed again within the same timestamp tick: its content is checked
 * (2 s: FAT's mtime granularity, the coarsest a Linux file system has). */
#define TOKC_RACY_NS ((int64_t)2000000000)

static const char tokc_magic[8] = {'S', 'B', 'T', 'O', 'K', 'C', '\n', 0};

/* A 4-lane multiply-xor hash: the payload is megabytes and read at every
 * start, so the checksum must run at memory speed (tok_hash, one multiply
 * per 8 bytes in a chain, is about four times slower). Not cryptographic:
 * it detects a damaged or foreign file, not a forged one. */
static uint64_t tokc_hash(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h[4] = {seed ^ 0x9e3779b97f4a7c15ULL, seed + n, ~seed, seed ^ 0xc2b2ae3d27d4eb4fULL};
    while (n >= 32) {
        for (size_t i = 0; i < 4; i++) {
            uint64_t w;
            memcpy(&w, s + 8 * i, 8);
            h[i] = (h[i] ^ w) * 0x9fb21c651e98df25ULL;
            h[i] ^= h[i] >> 31;
        }
        s += 32;
        n -= 32;
    }
    uint64_t r =
        h[0] ^ (h[1] << 1 | h[1] >> 63) ^ (h[2] << 2 | h[2] >> 62) ^ (h[3] << 3 | h[3] >> 61);
    return tok_hash(s, n) ^ (r * 0xd6e8feb86659fd93ULL);
}

typedef struct tokc_header {
    char magic[8];
    uint32_t version, header_size;
    uint32_t sslot_size, pslot_size; /* sizeof the slot structs */
    uint64_t hash_probe;             /* tok_hash of a fixed string */
    uint64_t src_size, src_hash;
    int64_t src_mtime_s, src_mtime_ns;
    int64_t src_ctime_s, src_ctime_ns;
    uint64_t src_ino, src_dev;
    int64_t written_s, written_ns; /* CLOCK_REALTIME when the copy was made */
    uint64_t text_len;             /* compact text */
    uint64_t vocab_mask, vocab_n, vocab_blob_len;
    uint64_t merges_mask, merges_n;
    uint64_t has_bl_pair;         /* 0 or 1: tok_model.bl_pair follows */
    uint64_t dec_n, dec_blob_len; /* tok.dec_*: ids (0: none), bytes */
    uint64_t letters_key;         /* tok_chunk_letters_key, 0: no letters table */
    uint64_t payload_hash;        /* of everything after the header */
} tokc_header;

#define TOKC_BL_PAIR_BYTES (65536 * sizeof(struct tok_bpair))

static uint64_t tokc_probe(void)
{
    return tok_hash("servebench tokenizer cache", 26);
}

/* The cache directory (malloc'd), or NULL when the cache is off. */
static char *tokc_dir(void)
{
    const char *env = getenv("SERVEBENCH_TOKENIZER_CACHE");
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    sb_buf d;
    sb_buf_init(&d);
    if (env) {
        if (!*env || !strcmp(env, "off") || !strcmp(env, "0"))
            return NULL;
        sb_buf_printf(&d, "%s", env);
    } else if (xdg && xdg[0] == '/') { /* XDG: a relative value is ignored */
        sb_buf_printf(&d, "%s/servebench/tokenizers", xdg);
    } else if (home && *home) {
        sb_buf_printf(&d, "%s/.cache/servebench/tokenizers", home);
    } else {
        return NULL;
    }
    return sb_buf_steal(&d);
}

static int64_t ts_ns(int64_t s, int64_t ns)
{
    return s * 1000000000 + ns;
}

int tok_cache_key_of(const char *path, tok_cache_key *key)
{
    memset(key, 0, sizeof *key);
    struct stat st;
    char *dir = tokc_dir();
    char *real = realpath(path, NULL);
    if (!dir || !real || stat(real, &st) != 0) {
        free(dir);
        free(real);
        return -1;
    }
    key->size = (uint64_t)st.st_size;
    key->mtime_s = (int64_t)st.st_mtim.tv_sec;
    key->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
    key->ctime_s = (int64_t)st.st_ctim.tv_sec;
    key->ctime_ns = (int64_t)st.st_ctim.tv_nsec;
    key->ino = (uint64_t)st.st_ino;
    key->dev = (uint64_t)st.st_dev;
    sb_buf f;
    sb_buf_init(&f);
    sb_buf_printf(&f, "%s/%016llx.tokc", dir, (unsigned long long)tok_hash(real, strlen(real)));
    key->dir = dir;
    key->file = sb_buf_steal(&f);
    free(real);
    return 0;
}

void tok_cache_key_content(tok_cache_key *key, const sb_buf *raw)
{
    key->hash = tokc_hash(raw->data, raw->len, 1);
    key->have_hash = true;
}

void tok_cache_key_free(tok_cache_key *key)
{
    free(key->dir);
    free(key->file);
    memset(key, 0, sizeof *key);
}

static bool read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        c += r;
        n -= (size_t)r;
    }
    return true;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t r = write(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        c += r;
        n -= (size_t)r;
    }
    return true;
}

static bool pow2_mask(uint64_t mask)
{
    return mask >= 15 && mask < TOKC_MAX_SLOTS && ((mask + 1) & mask) == 0;
}

/* The payload's parts in file order (text, vocab slots, vocab blob, merge
 * slots, [byte pairs], [decode offsets, bytes, clean bits], [letters]) with
 * their sizes from a header whose counts are within the caps; returns how
 * many. */
/* 4 always, 1 with the byte pair table, 3 with the decode table, 1 letters */
#define TOKC_PARTS 9
static int tokc_sizes(const tokc_header *h, size_t *sizes)
{
    int n = 0;
    sizes[n++] = (size_t)h->text_len;
    sizes[n++] = (size_t)(h->vocab_mask + 1) * sizeof(struct tok_sslot);
    sizes[n++] = (size_t)h->vocab_blob_len;
    sizes[n++] = (size_t)(h->merges_mask + 1) * sizeof(struct tok_pslot);
    if (h->has_bl_pair)
        sizes[n++] = TOKC_BL_PAIR_BYTES;
    if (h->dec_n) {
        sizes[n++] = (size_t)(h->dec_n + 1) * 4;
        sizes[n++] = (size_t)h->dec_blob_len;
        sizes[n++] = (size_t)h->dec_n / 8 + 1;
    }
    if (h->letters_key)
        sizes[n++] = TOK_LETTERS_BYTES;
    return n;
}

/* Each part starts on a 64-byte boundary after the header, so the arrays
 * can be used in place where the file is mapped. Fills offs (may be NULL)
 * and returns the file size. The caps keep every term below 2^36, so the sum
 * cannot overflow. */
#define TOKC_ALIGN 64
static uint64_t tokc_offsets(const size_t *sizes, int n, size_t *offs)
{
    uint64_t at = (sizeof(tokc_header) + TOKC_ALIGN - 1) & ~(uint64_t)(TOKC_ALIGN - 1);
    for (int i = 0; i < n; i++) {
        if (offs)
            offs[i] = (size_t)at;
        at += sizes[i];
        if (i + 1 < n)
            at = (at + TOKC_ALIGN - 1) & ~(uint64_t)(TOKC_ALIGN - 1);
    }
    return at;
}

/* The later of the source's modification and change times, in ns. */
static int64_t src_changed_ns(const tok_cache_key *key)
{
    int64_t m = ts_ns(key->mtime_s, key->mtime_ns), c = ts_ns(key->ctime_s, key->ctime_ns);
    return m > c ? m : c;
}

bool tok_cache_settled(const tok_cache_key *key)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return ts_ns((int64_t)now.tv_sec, (int64_t)now.tv_nsec) - src_changed_ns(key) >= TOKC_RACY_NS;
}

/* The header is this build's, was made from the file key describes, and the
 * sizes of its parts add up to file_size. */
static bool header_ok(const tokc_header *h, const tok_cache_key *key, uint64_t file_size)
{
    if (memcmp(h->magic, tokc_magic, sizeof tokc_magic) != 0 || h->version != TOKC_VERSION ||
        h->header_size != sizeof *h || h->sslot_size != sizeof(struct tok_sslot) ||
        h->pslot_size != sizeof(struct tok_pslot) || h->hash_probe != tokc_probe())
        return false;
    if (h->src_size != key->size || h->src_mtime_s != key->mtime_s ||
        h->src_mtime_ns != key->mtime_ns || h->src_ctime_s != key->ctime_s ||
        h->src_ctime_ns != key->ctime_ns || h->src_ino != key->ino || h->src_dev != key->dev)
        return false;
    if (!pow2_mask(h->vocab_mask) || !pow2_mask(h->merges_mask) || h->vocab_n > h->vocab_mask ||
        h->merges_n > h->merges_mask || h->text_len > TOKC_MAX_BYTES ||
        h->vocab_blob_len > TOKC_MAX_BYTES || h->vocab_blob_len >= UINT32_MAX)
        return false;
    if (h->has_bl_pair > 1 || h->dec_n > TOK_MAX_ID || h->dec_blob_len > TOKC_MAX_BYTES ||
        (!h->dec_n && h->dec_blob_len))
        return false;
    size_t sizes[TOKC_PARTS];
    int n = tokc_sizes(h, sizes);
    return tokc_offsets(sizes, n, NULL) == file_size;
}

/* Every slot points at a whole record inside the blob with a sane id: what
 * lookups read. */
static bool maps_ok(const tok_maps *m)
{
    size_t n = 0, blen = m->vocab.blob.len;
    /* tok_smap_next walks the blob record by record (index_ids, the
     * U+2581 scan): every record must lie whole inside it */
    for (size_t at = 0; at < blen; n++) {
        int32_t val;
        uint32_t len;
        if (blen - at < 8)
            return false;
        memcpy(&val, m->vocab.blob.data + at, 4);
        memcpy(&len, m->vocab.blob.data + at + 4, 4);
        size_t step = 8 + (size_t)len + (4 - (len & 3));
        if (val < 0 || val >= TOK_MAX_ID || len > blen || step > blen - at)
            return false;
        at += step;
    }
    if (n != m->vocab.n)
        return false;
    n = 0;
    for (size_t i = 0; i <= m->vocab.mask; i++) {
        uint32_t off = m->vocab.slots[i].off;
        if (!off)
            continue;
        size_t at = (size_t)off - 1;
        int32_t val;
        uint32_t len;
        if (at % 4 || at + 8 > blen)
            return false;
        memcpy(&val, m->vocab.blob.data + at, 4);
        memcpy(&len, m->vocab.blob.data + at + 4, 4);
        if (val < 0 || val >= TOK_MAX_ID || len > blen - at - 8)
            return false;
        n++;
    }
    if (n != m->vocab.n)
        return false;
    /* (every merge's ids are checked against the vocabulary where the model
     * takes the map over: tok_model.c parse_merges) */
    for (size_t i = 0; m->dec_off && i < m->dec_n; i++)
        if (m->dec_off[i] > m->dec_off[i + 1])
            return false;
    return true;
}

/* Whether p points into the mapped copy of m (then it is not free()d). */
static bool in_map(const tok_maps *m, const void *p)
{
    const char *c = p, *base = m->map;
    return base && c >= base && c < base + m->map_len;
}

static bool in_range(const void *base, size_t len, const void *p)
{
    const char *c = p, *b = base;
    return b && c >= b && c < b + len;
}

void tok_cache_detach(tok *t)
{
    if (!t->cache_map)
        return;
    void *b = t->cache_map;
    size_t n = t->cache_map_len;
    tok_model *m = &t->model;
    if (in_range(b, n, m->vocab.slots))
        m->vocab.slots = NULL;
    if (in_range(b, n, m->vocab.blob.data))
        sb_buf_init(&m->vocab.blob);
    if (in_range(b, n, m->merges.slots))
        m->merges.slots = NULL;
    if (in_range(b, n, m->bl_pair))
        m->bl_pair = NULL;
    if (in_range(b, n, t->dec_off))
        t->dec_off = NULL;
    if (in_range(b, n, t->dec_blob))
        t->dec_blob = NULL;
    if (in_range(b, n, t->dec_clean))
        t->dec_clean = NULL;
    if (in_range(b, n, t->letters))
        t->letters = NULL;
    munmap(b, n);
    t->cache_map = NULL;
    t->cache_map_len = 0;
}

void tok_maps_release(tok_maps *m)
{
    if (m->vocab.slots && !in_map(m, m->vocab.slots))
        tok_smap_free(&m->vocab);
    if (!in_map(m, m->merges.slots))
        tok_pmap_free(&m->merges);
    if (!in_map(m, m->bl_pair))
        free(m->bl_pair);
    if (!in_map(m, m->dec_off))
        free(m->dec_off);
    if (!in_map(m, m->dec_blob))
        free(m->dec_blob);
    if (!in_map(m, m->dec_clean))
        free(m->dec_clean);
    if (!in_map(m, m->letters))
        free(m->letters);
    memset(m, 0, sizeof *m);
}

void tok_maps_free(tok_maps *m)
{
    void *map = m->map;
    size_t len = m->map_len;
    tok_maps_release(m);
    if (map)
        munmap(map, len);
}

/* The copy is mapped (read-only) rather than read into fresh memory: reading 5 MB (GPT-2) cost
 * more in page clearing and copying than all the rest of the load. The
 * tokenizer keeps the mapping (tok.cache_map, tok_cache_detach). The
 * file is never rewritten in place (tok_cache_put renames a new one over
 * it), so the mapping stays whole while other runs refresh the cache. */
int tok_cache_get(tok_cache_key *key, sb_buf *text, tok_maps *maps)
{
    memset(maps, 0, sizeof *maps);
    sb_buf_init(text);
    key->racy = false;
    if (!key->file)
        return -1;
    int fd = open(key->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    tokc_header h;
    if (fstat(fd, &st) != 0 || !read_all(fd, &h, sizeof h) ||
        !header_ok(&h, key, (uint64_t)st.st_size)) {
        close(fd);
        return -1;
    }
    if (src_changed_ns(key) > ts_ns(h.written_s, h.written_ns) - TOKC_RACY_NS) {
        key->racy = true;
        if (!key->have_hash) {
            close(fd);
            return TOK_CACHE_NEED_CONTENT;
        }
        if (key->hash != h.src_hash) {
            close(fd);
            return -1;
        }
    }
    /* Read-only: the pages are the page cache's own, not copies (a
     * writable private mapping populated up front is copied page by page:
     * 2 ms for GPT-2's 5 MB). Nothing writes a loaded tokenizer's maps. Not
     * populated up front either: the checksum reads the file in order, and
     * the kernel maps the pages around each fault in batches (0.1 ms less
     * than MAP_POPULATE for GPT-2). */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return -1;
    maps->map = map;
    maps->map_len = (size_t)st.st_size;
    size_t sizes[TOKC_PARTS], offs[TOKC_PARTS];
    int n = tokc_sizes(&h, sizes);
    tokc_offsets(sizes, n, offs);
    char *base = map;
    uint64_t ph = 2;
    for (int i = 0; i < n; i++)
        ph = tokc_hash(base + offs[i], sizes[i], ph);
    if (ph != h.payload_hash) {
        tok_maps_free(maps);
        return -1;
    }
    int k = 0;
    sb_buf_append(text, base + offs[k], sizes[k]);
    k++;
    tok_smap *v = &maps->vocab;
    v->slots = (struct tok_sslot *)(void *)(base + offs[k++]);
    v->mask = (size_t)h.vocab_mask;
    v->n = (size_t)h.vocab_n;
    sb_buf_init(&v->blob);
    v->blob.data = base + offs[k++];
    v->blob.len = v->blob.cap = (size_t)h.vocab_blob_len;
    maps->merges.slots = (struct tok_pslot *)(void *)(base + offs[k++]);
    maps->merges.mask = (size_t)h.merges_mask;
    maps->merges.n = (size_t)h.merges_n;
    if (h.has_bl_pair)
        maps->bl_pair = (struct tok_bpair *)(void *)(base + offs[k++]);
    if (h.dec_n) {
        maps->dec_n = (size_t)h.dec_n;
        maps->dec_off = (uint32_t *)(void *)(base + offs[k++]);
        maps->dec_blob = base + offs[k++];
        maps->dec_clean = (uint8_t *)(base + offs[k++]);
    }
    /* computed with this build's tables, else left out (computed anew) */
    if (h.letters_key) {
        if (h.letters_key == tok_chunk_letters_key())
            maps->letters = (uint8_t *)(base + offs[k]);
        k++;
    }
    if (!maps_ok(maps) ||
        (h.dec_n && (maps->dec_off[0] != 0 || maps->dec_off[h.dec_n] != h.dec_blob_len))) {
        tok_maps_free(maps);
        sb_buf_free(text);
        return -1;
    }
    return 0;
}

/* mkdir -p of dir (its parents 0755 as XDG asks for ~/.cache, itself 0700). */
static void make_dirs(const char *dir)
{
    char *p = sb_xstrdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        (void)mkdir(p, 0755);
        *s = '/';
    }
    (void)mkdir(p, 0700);
    free(p);
}

static bool write_part(int fd, const void *p, size_t n, size_t pad)
{
    static const char zeros[TOKC_ALIGN];
    return write_all(fd, p, n) && write_all(fd, zeros, pad);
}

void tok_cache_put(const tok_cache_key *key, const char *text, size_t text_len, const tok *t)
{
    const tok_model *m = &t->model;
    if (!key->file || !key->have_hash || m->kind != TOK_MODEL_BPE || !m->vocab.slots ||
        !m->merges.slots || m->vocab.blob.len >= UINT32_MAX)
        return;
    tokc_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, tokc_magic, sizeof tokc_magic);
    h.version = TOKC_VERSION;
    h.header_size = sizeof h;
    h.sslot_size = sizeof(struct tok_sslot);
    h.pslot_size = sizeof(struct tok_pslot);
    h.hash_probe = tokc_probe();
    h.src_size = key->size;
    h.src_hash = key->hash;
    h.src_mtime_s = key->mtime_s;
    h.src_mtime_ns = key->mtime_ns;
    h.src_ctime_s = key->ctime_s;
    h.src_ctime_ns = key->ctime_ns;
    h.src_ino = key->ino;
    h.src_dev = key->dev;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    h.written_s = (int64_t)now.tv_sec;
    h.written_ns = (int64_t)now.tv_nsec;
    h.text_len = text_len;
    h.vocab_mask = m->vocab.mask;
    h.vocab_n = m->vocab.n;
    h.vocab_blob_len = m->vocab.blob.len;
    h.merges_mask = m->merges.mask;
    h.merges_n = m->merges.n;
    h.has_bl_pair = m->bl_pair != NULL;
    const void *parts[TOKC_PARTS];
    int n = 0;
    parts[n++] = text;
    parts[n++] = m->vocab.slots;
    parts[n++] = m->vocab.blob.data;
    parts[n++] = m->merges.slots;
    if (m->bl_pair)
        parts[n++] = m->bl_pair;
    if (t->dec_off && t->n_total) {
        h.dec_n = t->n_total;
        h.dec_blob_len = t->dec_off[t->n_total];
        parts[n++] = t->dec_off;
        parts[n++] = t->dec_blob;
        parts[n++] = t->dec_clean;
    }
    if (t->letters) {
        h.letters_key = tok_chunk_letters_key();
        parts[n++] = t->letters;
    }
    size_t sizes[TOKC_PARTS], offs[TOKC_PARTS];
    if (tokc_sizes(&h, sizes) != n)
        return;
    uint64_t total = tokc_offsets(sizes, n, offs);
    uint64_t ph = 2;
    for (int i = 0; i < n; i++)
        ph = tokc_hash(parts[i], sizes[i], ph);
    h.payload_hash = ph;
    make_dirs(key->dir);
    sb_buf tmp;
    sb_buf_init(&tmp);
    sb_buf_printf(&tmp, "%s.XXXXXX", key->file);
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        sb_buf_free(&tmp);
        return;
    }
    bool ok = write_part(fd, &h, sizeof h, offs[0] - sizeof h);
    for (int i = 0; ok && i < n; i++)
        ok = write_part(fd, parts[i], sizes[i],
                        (i + 1 < n ? offs[i + 1] : (size_t)total) - offs[i] - sizes[i]);
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.data, key->file) != 0)
        (void)unlink(tmp.data);
    sb_buf_free(&tmp);
}
