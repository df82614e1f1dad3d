/* SPDX-License-Identifier: Apache-2.0 */
/* ds_mm_encode.c - random-mm's images encoded on every core. The pixels
 * must be drawn in request order from one numpy stream, but JPEG encoding
 * and base64 (~15 ms for a 720x1280 image, 90% of random-mm's time) depend
 * on nothing else: random-mm queues each drawn image here and encodes a
 * batch at a time, so the output is the same whatever the thread count
 * (SB_THREADS caps it, as for the random dataset).
 *
 * Videos (~0.3 s for 16 frames of 720x1280) are not drawn up front: 44 MB
 * of frames each would be held for nothing. The job keeps a copy of the
 * generator where the frames start and the stream jumps past them; the
 * worker then draws and encodes one frame at a time (media/video.c). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "media/jpeg.h"
#include "media/video.h"
#include "dataset/ds_mm.h"

/* A new zeroed job of w x h at the end of the queue. */
static mm_image_job *new_job(mm_encoder *e, uint32_t w, uint32_t h)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->jobs = sb_xrealloc(e->jobs, e->cap * sizeof *e->jobs);
    }
    mm_image_job *j = &e->jobs[e->n++];
    memset(j, 0, sizeof *j);
    j->w = w;
    j->h = h;
    return j;
}

uint8_t *mm_encoder_add(mm_encoder *e, uint32_t w, uint32_t h)
{
    mm_image_job *j = new_job(e, w, h);
    size_t bytes = (size_t)w * h * 3;
    j->px = sb_xmalloc(bytes ? bytes : 1);
    e->px_bytes += bytes;
    return j->px;
}

void mm_encoder_add_video(mm_encoder *e, uint32_t w, uint32_t h, uint32_t t, np_gen *g)
{
    mm_image_job *j = new_job(e, w, h);
    j->t = t;
    j->g = *g;
    size_t frame = (size_t)w * h * 3;
    np_gen_skip_bytes(g, frame * t);
    /* What the batch will hold: a frame on a worker, and the part (noise
     * compresses to ~1/6 in mp4v, ~1/4 once in base64). */
    e->px_bytes += frame + frame / 4 * t;
}

typedef struct enc_run {
    mm_encoder *e;
    atomic_size_t next;
    atomic_int failed;
    sb_err err;
    pthread_mutex_t lock;
} enc_run;

/* generate_synthetic_video: the t x h x w x 3 draws, frame by frame, go to
 * cv2.VideoWriter as they are (OpenCV reads them as B, G, R), then
 * process_video's video_url part. */
static int encode_video(mm_image_job *j, sb_buf *mp4, sb_err *err)
{
    sb_video *v = sb_video_new(j->w, j->h, 30.0, err);
    int rc = v ? 0 : -1;
    np_gen_bytes_state bs = {0, 0};
    for (uint32_t f = 0; rc == 0 && f < j->t; f++) {
        size_t stride;
        uint8_t *px = sb_video_frame(v, &stride);
        for (uint32_t r = 0; r < j->h; r++)
            np_gen_bytes_part(&j->g, &bs, (size_t)j->w * 3, px + (size_t)r * stride);
        rc = sb_video_write(v, err);
    }
    sb_buf_reset(mp4);
    if (rc == 0)
        rc = sb_video_finish(v, mp4, err);
    sb_video_free(v);
    if (rc != 0)
        return sb_err_prefix(err, "random-mm video (%u, %u, %u): ", j->h, j->w, j->t);
    sb_buf_init(&j->part);
    sb_buf_reserve(&j->part, mp4->len / 3 * 4 + 80);
    sb_buf_puts(&j->part, "{\"type\": \"video_url\", \"video_url\": {\"url\": "
                          "\"data:video/mp4;base64,");
    sb_b64_encode(&j->part, mp4->data, mp4->len);
    sb_buf_puts(&j->part, "\"}}");
    return 0;
}

/* process_image on the drawn array: JPEG, then the image_url part. */
static int encode_one(mm_image_job *j, sb_buf *jpeg, sb_err *err)
{
    if (j->t > 1)
        return encode_video(j, jpeg, err);
    sb_buf_reset(jpeg);
    if (sb_jpeg_encode_rgb(j->px, j->w, j->h, jpeg, err) != 0)
        return -1;
    sb_buf_init(&j->part);
    sb_buf_reserve(&j->part, jpeg->len / 3 * 4 + 80);
    sb_buf_puts(&j->part, "{\"type\": \"image_url\", \"image_url\": {\"url\": "
                          "\"data:image/jpeg;base64,");
    sb_b64_encode(&j->part, jpeg->data, jpeg->len);
    sb_buf_puts(&j->part, "\"}}");
    free(j->px);
    j->px = NULL;
    return 0;
}

static void *enc_thread(void *arg)
{
    enc_run *r = arg;
    sb_buf jpeg;
    sb_buf_init(&jpeg);
    size_t i;
    while (!atomic_load(&r->failed) && (i = atomic_fetch_add(&r->next, 1)) < r->e->n) {
        sb_err err;
        if (encode_one(&r->e->jobs[i], &jpeg, &err) != 0) {
            pthread_mutex_lock(&r->lock);
            if (!atomic_exchange(&r->failed, 1))
                r->err = err;
            pthread_mutex_unlock(&r->lock);
        }
    }
    sb_buf_free(&jpeg);
    return NULL;
}

int mm_encoder_run(mm_encoder *e, sb_err *err)
{
    size_t nt = dataset_threads(e->n);
    enc_run r = {.e = e};
    atomic_init(&r.next, 0);
    atomic_init(&r.failed, 0);
    pthread_mutex_init(&r.lock, NULL);
    pthread_t th[64];
    size_t started = 0;
    for (size_t k = 1; k < nt; k++) {
        if (pthread_create(&th[k], NULL, enc_thread, &r) != 0)
            break;
        started = k;
    }
    enc_thread(&r);
    for (size_t k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
    pthread_mutex_destroy(&r.lock);
    if (atomic_load(&r.failed)) {
        *err = r.err;
        return -1;
    }
    return 0;
}

void mm_encoder_clear(mm_encoder *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->jobs[i].px);
        sb_buf_free(&e->jobs[i].part);
    }
    e->n = 0;
    e->px_bytes = 0;
}

void mm_encoder_free(mm_encoder *e)
{
    mm_encoder_clear(e);
    free(e->jobs);
    memset(e, 0, sizeof *e);
}
