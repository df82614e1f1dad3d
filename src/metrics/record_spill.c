/* SPDX-License-Identifier: Apache-2.0 */
/* record_spill.c - kept generated texts, in memory up to a budget, then in
 * an unlinked temporary file (record.h: rec_store_spill_setup).
 *
 * Texts arrive in completion order and are read back in request order (the
 * metrics' token counts, then the result JSON's generated_texts), so each
 * spilled text keeps its offset in its own record: rec_store_keep and the
 * steady-state window move records and the offsets go with them. Writes go
 * through a 256 KiB buffer; a text is either wholly in the buffer or wholly
 * in the file, never split, so a read is one copy from one of the two.
 * Reads go through a 1 MiB window, which serves the many short texts of a
 * run that finished roughly in order with one pread per window. The file is
 * unlinked at once (O_TMPFILE where the file system has it), so nothing is
 * left behind by a crash or a kill. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "metrics/record_spill.h"

#define SPILL_PEND_CAP (256u << 10)
#define SPILL_WINDOW (1u << 20)

struct rec_spill {
    char *dir;
    size_t hold_bytes; /* texts held in memory before spilling starts */
    size_t held;       /* bytes of texts held in memory now */
    int fd;            /* -1 until the first spilled text */
    uint64_t size;     /* bytes in the file; buffered bytes follow at this offset */
    sb_buf pend;       /* written, not yet in the file */
    char why[320];     /* why spilling stopped, "" while it works */
    char *win;         /* read window: file bytes [win_off, win_off + win_len) */
    size_t win_cap, win_len;
    uint64_t win_off;
};

void rec_store_spill_setup(rec_store *s, const char *dir, size_t hold_bytes)
{
    rec_store_spill_free(s);
    struct rec_spill *sp = sb_xcalloc(1, sizeof *sp);
    sp->dir = sb_xstrdup(dir && *dir ? dir : ".");
    sp->hold_bytes = hold_bytes;
    sp->fd = -1;
    sb_buf_init(&sp->pend);
    s->spill = sp;
}

void rec_store_spill_free(rec_store *s)
{
    struct rec_spill *sp = s->spill;
    if (!sp)
        return;
    if (sp->fd >= 0)
        close(sp->fd);
    sb_buf_free(&sp->pend);
    free(sp->win);
    free(sp->dir);
    free(sp);
    s->spill = NULL;
}

static void stop(struct rec_spill *sp, const char *what, int e)
{
    snprintf(sp->why, sizeof sp->why, "%s the generated texts' spill file in %s: %s", what, sp->dir,
             strerror(e));
}

static int open_file(struct rec_spill *sp)
{
#ifdef O_TMPFILE
    sp->fd = open(sp->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (sp->fd >= 0)
        return 0;
#endif
    /* No O_TMPFILE (older kernels, some file systems): a named file,
     * unlinked as soon as it is open. */
    sb_buf path;
    sb_buf_init(&path);
    sb_buf_printf(&path, "%s/.servebench-texts-XXXXXX", sp->dir);
    sp->fd = mkostemp(path.data, O_CLOEXEC);
    int e = errno;
    if (sp->fd >= 0)
        unlink(path.data);
    sb_buf_free(&path);
    if (sp->fd < 0) {
        stop(sp, "cannot create", e);
        return -1;
    }
    return 0;
}

/* Writes p[0..n) at the end of the file; the size moves only when all of
 * it is there, so a failed write leaves nothing that a read could reach. */
static int put(struct rec_spill *sp, const char *p, size_t n)
{
    uint64_t at = sp->size;
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(sp->fd, p + done, n - done, (off_t)(at + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            stop(sp, "cannot write to", w < 0 ? errno : ENOSPC);
            return -1;
        }
        done += (size_t)w;
    }
    sp->size += n;
    return 0;
}

static int flush(struct rec_spill *sp)
{
    if (sp->pend.len == 0)
        return 0;
    if (put(sp, sp->pend.data, sp->pend.len) != 0)
        return -1;
    sb_buf_reset(&sp->pend);
    return 0;
}

/* Appends a text; its offset in *off. -1 (nothing appended) once spilling
 * has failed. */
static int spill(struct rec_spill *sp, const char *text, size_t len, uint64_t *off)
{
    if (sp->why[0] || (sp->fd < 0 && open_file(sp) != 0))
        return -1;
    if (sp->pend.len + len > SPILL_PEND_CAP && flush(sp) != 0)
        return -1;
    if (len >= SPILL_PEND_CAP) { /* a long text goes straight to the file */
        *off = sp->size;
        return put(sp, text, len);
    }
    *off = sp->size + sp->pend.len;
    sb_buf_append(&sp->pend, text, len);
    return 0;
}

void rec_store_set_text(rec_store *s, size_t i, const char *text, size_t len)
{
    sb_record *r = &s->recs[i];
    struct rec_spill *sp = s->spill;
    if (s->lock)
        pthread_mutex_lock(s->lock);
    if (r->text && sp)
        sp->held -= sp->held < r->text_len ? sp->held : r->text_len;
    free(r->text);
    r->text = NULL;
    r->text_spilled = false;
    r->text_len = len;
    uint64_t off = 0;
    if (sp && sp->held + len > sp->hold_bytes && spill(sp, text, len, &off) == 0) {
        r->text_spilled = true;
        r->text_off = off;
    } else {
        r->text = sb_xstrndup(text ? text : "", len);
        if (sp)
            sp->held += len;
    }
    if (s->lock)
        pthread_mutex_unlock(s->lock);
}

bool rec_store_has_text(const rec_store *s, size_t i)
{
    return s->recs[i].text || s->recs[i].text_spilled;
}

const char *rec_store_text(const rec_store *s, size_t i, size_t *len, sb_err *err)
{
    const sb_record *r = &s->recs[i];
    *len = 0;
    if (r->text) {
        *len = r->text_len;
        return r->text;
    }
    struct rec_spill *sp = s->spill;
    if (!r->text_spilled || !sp || r->text_len == 0)
        return "";
    uint64_t off = r->text_off;
    if (off >= sp->size) { /* still in the write buffer */
        *len = r->text_len;
        return sp->pend.data + (off - sp->size);
    }
    assert(off + r->text_len <= sp->size); /* a text is never split by a flush */
    if (off < sp->win_off || off + r->text_len > sp->win_off + sp->win_len) {
        size_t want = r->text_len > SPILL_WINDOW ? r->text_len : SPILL_WINDOW;
        if (want > sp->size - off)
            want = (size_t)(sp->size - off);
        if (sp->win_cap < want) {
            free(sp->win);
            sp->win = sb_xmalloc(want);
            sp->win_cap = want;
        }
        sp->win_len = 0;
        sp->win_off = off;
        while (sp->win_len < want) {
            ssize_t n = pread(sp->fd, sp->win + sp->win_len, want - sp->win_len,
                              (off_t)(off + sp->win_len));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                int e = n < 0 ? errno : 0;
                sb_err_set(err,
                           "reading request %zu's generated text back from the spill file in %s at "
                           "byte %llu: %s",
                           i, sp->dir, (unsigned long long)(off + sp->win_len),
                           e ? strerror(e) : "the file ends early");
                sp->win_len = 0;
                return NULL;
            }
            sp->win_len += (size_t)n;
        }
    }
    *len = r->text_len;
    return sp->win + (off - sp->win_off);
}

const char *rec_store_spill_error(const rec_store *s)
{
    return s->spill && s->spill->why[0] ? s->spill->why : NULL;
}

uint64_t rec_store_spilled_bytes(const rec_store *s)
{
    return s->spill ? s->spill->size + s->spill->pend.len : 0;
}
