/* SPDX-License-Identifier: Apache-2.0 */
/* wav.c - audio file -> PCM_16 WAV bytes through libsndfile (see wav.h).
 * The samples pass through doubles exactly as python-soundfile passes them
 * (normalised read, normalised write), and the output goes through
 * libsndfile's virtual I/O into an sb_buf so the header is written the way
 * a seekable BytesIO gets it. */
#include "media/wav.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "core/dynlib.h"

typedef struct wav_mem {
    sb_buf *b;
    size_t start; /* where this file begins in b */
    sf_count_t pos;
} wav_mem;

/* libsndfile is opened on the first audio file, not linked: with its codecs
 * (FLAC, Vorbis, Opus, MP3...) it is a dozen shared objects loaded at every
 * start otherwise (core/dynlib.h), and only custom_audio uses it. */
#define WAV_FNS(X)                                                                                 \
    X(sf_close)                                                                                    \
    X(sf_command)                                                                                  \
    X(sf_open)                                                                                     \
    X(sf_open_virtual)                                                                             \
    X(sf_readf_double)                                                                             \
    X(sf_strerror)                                                                                 \
    X(sf_writef_double)

static struct wav_sf {
    WAV_FNS(SB_DYNLIB_FIELD)
    char error[512]; /* why libsndfile could not be used; "" when it can */
} sf;

static void wav_load(void)
{
    static const char *const libs[] = {"libsndfile.so.1"}; /* its soname since 1.0 */
    static const char *const names[] = {WAV_FNS(SB_DYNLIB_NAME)};
    void *syms[sizeof names / sizeof *names];
    if (sb_dynlib_open(libs, 1, names, syms, sizeof names / sizeof *names, sf.error,
                       sizeof sf.error) != 0)
        return;
    size_t i = 0;
#define WAV_FN_SET(f) memcpy(&sf.f, &syms[i++], sizeof sf.f);
    WAV_FNS(WAV_FN_SET)
#undef WAV_FN_SET
}

/* 0 when libsndfile is usable, else -1 with err. */
static int wav_ready(sb_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, wav_load);
    return sf.error[0] ? sb_err_set(err, "audio: libsndfile: %s", sf.error) : 0;
}

static sf_count_t mem_len(void *u)
{
    wav_mem *m = u;
    return (sf_count_t)(m->b->len - m->start);
}

static sf_count_t mem_seek(sf_count_t off, int whence, void *u)
{
    wav_mem *m = u;
    sf_count_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? mem_len(u) : 0;
    if (base + off < 0)
        return -1;
    m->pos = base + off;
    return m->pos;
}

static sf_count_t mem_read(void *ptr, sf_count_t n, void *u)
{
    wav_mem *m = u;
    sf_count_t avail = mem_len(u) - m->pos;
    if (n > avail)
        n = avail > 0 ? avail : 0;
    memcpy(ptr, m->b->data + m->start + m->pos, (size_t)n);
    m->pos += n;
    return n;
}

static sf_count_t mem_write(const void *ptr, sf_count_t n, void *u)
{
    wav_mem *m = u;
    size_t end = m->start + (size_t)m->pos + (size_t)n;
    if (end > m->b->len) {
        sb_buf_reserve(m->b, end - m->b->len);
        memset(m->b->data + m->b->len, 0, end - m->b->len);
        m->b->len = end;
        m->b->data[end] = '\0';
    }
    memcpy(m->b->data + m->start + m->pos, ptr, (size_t)n);
    m->pos += n;
    return n;
}

static sf_count_t mem_tell(void *u)
{
    return ((wav_mem *)u)->pos;
}

/* Writes frames x channels doubles as PCM_16 WAV appended to out. */
int sb_wav_from_doubles(const double *y, size_t frames, int channels, int rate, const char *what,
                        sb_buf *out, sb_err *err)
{
    if (wav_ready(err) != 0)
        return -1;
    if (channels < 1 || rate < 1)
        return sb_err_set(err, "%s: %d channels at %d Hz is not an audio format", what, channels,
                          rate);
    SF_INFO out_info = {
        .samplerate = rate, .channels = channels, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    wav_mem m = {.b = out, .start = out->len, .pos = 0};
    SNDFILE *o = sf.sf_open_virtual(&io, SFM_WRITE, &out_info, &m);
    int rc = 0;
    if (!o)
        rc = sb_err_set(err, "%s: cannot write WAV: %s", what, sf.sf_strerror(NULL));
    else if (sf.sf_command(o, SFC_SET_CLIPPING, NULL, SF_TRUE),
             sf.sf_writef_double(o, y, (sf_count_t)frames) != (sf_count_t)frames)
        rc = sb_err_set(err, "%s: writing WAV failed: %s", what, sf.sf_strerror(o));
    if (o && sf.sf_close(o) != 0 && rc == 0)
        rc = sb_err_set(err, "%s: finishing WAV failed", what);
    return rc;
}

/* The samples of an open file re-written as WAV (closes in). */
static int reencode_open(SNDFILE *in, const SF_INFO *in_info, const char *what, sb_buf *out,
                         sb_err *err)
{
    /* python-soundfile turns clipping on for every file it opens; with it
     * libsndfile scales doubles by 0x8000 instead of 0x7FFF on write. */
    sf.sf_command(in, SFC_SET_CLIPPING, NULL, SF_TRUE);
    size_t n = (size_t)in_info->frames * (size_t)in_info->channels;
    double *y = sb_xmalloc((n ? n : 1) * sizeof *y);
    sf_count_t got = sf.sf_readf_double(in, y, in_info->frames);
    sf.sf_close(in);
    int rc;
    if (got != in_info->frames)
        rc = sb_err_set(err, "%s: audio ends after %lld of %lld frames", what, (long long)got,
                        (long long)in_info->frames);
    else
        rc = sb_wav_from_doubles(y, (size_t)in_info->frames, in_info->channels, in_info->samplerate,
                                 what, out, err);
    free(y);
    return rc;
}

int sb_wav_reencode(const char *path, sb_buf *out, sb_err *err)
{
    if (wav_ready(err) != 0)
        return -1;
    SF_INFO in_info = {0};
    SNDFILE *in = sf.sf_open(path, SFM_READ, &in_info);
    if (!in)
        return sb_err_set(err, "%s: cannot read audio: %s", path, sf.sf_strerror(NULL));
    return reencode_open(in, &in_info, path, out, err);
}

int sb_wav_reencode_mem(const void *data, size_t n, const char *what, sb_buf *out, sb_err *err)
{
    if (wav_ready(err) != 0)
        return -1;
    sb_buf src;
    sb_buf_init(&src);
    sb_buf_append(&src, data, n);
    wav_mem m = {.b = &src, .start = 0, .pos = 0};
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    SF_INFO in_info = {0};
    SNDFILE *in = sf.sf_open_virtual(&io, SFM_READ, &in_info, &m);
    int rc = in ? reencode_open(in, &in_info, what, out, err)
                : sb_err_set(err, "%s: cannot read audio bytes: %s", what, sf.sf_strerror(NULL));
    sb_buf_free(&src);
    return rc;
}

int sb_wav_duration(sb_buf *wav, size_t start, double *seconds, sb_err *err)
{
    if (wav_ready(err) != 0)
        return -1;
    wav_mem m = {.b = wav, .start = start};
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    SF_INFO info = {0};
    SNDFILE *f = sf.sf_open_virtual(&io, SFM_READ, &info, &m);
    if (!f)
        return sb_err_set(err, "cannot read back the WAV bytes: %s", sf.sf_strerror(NULL));
    sf.sf_close(f);
    /* soundfile.info(f).duration: frames / samplerate as a float division */
    *seconds = info.samplerate > 0 ? (double)info.frames / info.samplerate : 0.0;
    return 0;
}
