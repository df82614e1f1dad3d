/* SPDX-License-Identifier: Apache-2.0 */
/* test_mm_video.c - random-mm's video items (reference 4.2):
 *  - the numpy draws: skipping a video's T*H*W*3 uint8 draws, or taking them
 *    in pieces, leaves the Generator exactly where one np_gen_bytes call does
 *    (what lets the encoder draw frames later, on a worker);
 *  - media/video.c's MP4, read back with libavformat/libavcodec: the 'mp4v'
 *    tag, 30 fps, T frames of the even-rounded size, luma close to the frames
 *    given (PSNR), the same bytes for the same frames, OpenCV's size limits;
 *  - random-mm requests with video buckets against a committed output of the
 *    Python reference model (tests/gen/ds_ref_random_mm.py with numpy and
 *    Debian's python3-opencv on FFmpeg 5.1; tests/mm_video_diff.sh makes the
 *    same comparison live): prompts after videos (draw order), part layout,
 *    every byte; and thread count and batching do not change them. */
#include "dsfx.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "config/config.h"
#include "media/video.h"
#include "dataset/dataset.h"
#include "dataset/ds_mm.h"

/* ---------------- numpy draws ---------------- */

static int same_gen(const np_gen *a, const np_gen *b)
{
    return a->state == b->state && a->inc == b->inc && a->has_uint32 == b->has_uint32 &&
           (!a->has_uint32 || a->uinteger == b->uinteger);
}

static void test_skip_bytes_leaves_the_stream_where_the_draw_does(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 3, 4, 5, 7, 8, 9, 12, 1000, 12345, 64 * 64 * 3 * 4 + 1};
    uint8_t *sink = malloc(64 * 64 * 3 * 4 + 2);
    for (int odd = 0; odd < 2; odd++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            np_gen a, b;
            np_gen_seed(&a, 42 + i);
            if (odd) /* a buffered 32-bit half pending, as after an odd draw */
                (void)np_gen_next32(&a);
            b = a;
            np_gen_bytes(&a, sizes[i], sink);
            np_gen_skip_bytes(&b, sizes[i]);
            if (!same_gen(&a, &b))
                fail_msg("skip of %zu bytes (half pending %d) differs from the draw", sizes[i],
                         odd);
            assert_true(np_gen_next64(&a) == np_gen_next64(&b));
        }
    }
    free(sink);
}

static void test_bytes_in_pieces_equal_one_draw(void **state)
{
    (void)state;
    enum { N = 3 * 37 * 53 + 5 };
    uint8_t whole[N], pieces[N];
    np_gen a, b;
    np_gen_seed(&a, 7);
    (void)np_gen_next32(&a);
    b = a;
    np_gen_bytes(&a, N, whole);
    np_gen_bytes_state s = {0, 0};
    const size_t cut[] = {1, 2, 3, 5, 111, 4, 159, 0, 6};
    size_t at = 0;
    for (size_t k = 0; at < N; k++) {
        size_t n = cut[k % (sizeof cut / sizeof cut[0])];
        if (n > N - at)
            n = N - at;
        np_gen_bytes_part(&b, &s, n, pieces + at);
        at += n;
    }
    assert_memory_equal(whole, pieces, N);
    assert_true(same_gen(&a, &b));
}

static void test_advance_equals_steps(void **state)
{
    (void)state;
    np_gen a, b;
    np_gen_seed(&a, 123);
    b = a;
    for (int i = 0; i < 100003; i++)
        (void)np_gen_next64(&a);
    np_gen_advance(&b, 100003);
    assert_true(np_gen_next64(&a) == np_gen_next64(&b));
}

/* ---------------- the MP4 ---------------- */

/* Encodes t frames of h x w drawn from default_rng(seed) as random-mm does
 * (the raw draws, read by the writer as B, G, R). frames gets the draws. */
static int encode(uint32_t w, uint32_t h, uint32_t t, uint64_t seed, sb_buf *mp4, uint8_t **frames,
                  sb_err *err)
{
    np_gen g;
    np_gen_seed(&g, seed);
    size_t fb = (size_t)w * h * 3;
    *frames = malloc(fb * t);
    np_gen_bytes(&g, fb * t, *frames);
    sb_video *v = sb_video_new(w, h, 30.0, err);
    if (!v)
        return -1;
    int rc = 0;
    for (uint32_t f = 0; f < t && rc == 0; f++) {
        size_t stride;
        uint8_t *in = sb_video_frame(v, &stride);
        for (uint32_t r = 0; r < h; r++)
            memcpy(in + r * stride, *frames + f * fb + (size_t)r * w * 3, (size_t)w * 3);
        rc = sb_video_write(v, err);
    }
    if (rc == 0)
        rc = sb_video_finish(v, mp4, err);
    sb_video_free(v);
    return rc;
}

typedef struct rd {
    const uint8_t *p;
    size_t n, pos;
} rd;

static int rd_read(void *o, uint8_t *buf, int n)
{
    rd *r = o;
    size_t k = r->n - r->pos < (size_t)n ? r->n - r->pos : (size_t)n;
    if (k == 0)
        return AVERROR_EOF;
    memcpy(buf, r->p + r->pos, k);
    r->pos += k;
    return (int)k;
}

static int64_t rd_seek(void *o, int64_t off, int whence)
{
    rd *r = o;
    if (whence == AVSEEK_SIZE)
        return (int64_t)r->n;
    int64_t base = (whence & ~AVSEEK_FORCE) == SEEK_CUR   ? (int64_t)r->pos
                   : (whence & ~AVSEEK_FORCE) == SEEK_END ? (int64_t)r->n
                                                          : 0;
    if (base + off < 0 || base + off > (int64_t)r->n)
        return -1;
    r->pos = (size_t)(base + off);
    return (int64_t)r->pos;
}

typedef struct decoded {
    int frames, w, h;
    unsigned tag;
    AVRational rate;
    enum AVCodecID codec;
    double min_psnr_y, first_psnr_y;
} decoded;

/* PSNR of the decoded luma against BT.601 limited-range luma of the input
 * (what the writer's BGR24 -> YUV420P conversion computes); chroma is left
 * out: 4:2:0 averages away most of the colour of noise. */
static double psnr_y(const AVFrame *fr, const uint8_t *bgr, uint32_t w_in)
{
    double se = 0;
    for (int y = 0; y < fr->height; y++)
        for (int x = 0; x < fr->width; x++) {
            const uint8_t *p = bgr + ((size_t)y * w_in + (size_t)x) * 3;
            double want = 16.0 + (65.481 * p[2] + 128.553 * p[1] + 24.966 * p[0]) / 255.0;
            double d = fr->data[0][(size_t)y * fr->linesize[0] + (size_t)x] - want;
            se += d * d;
        }
    double mse = se / ((double)fr->width * fr->height);
    return mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : 99.0;
}

static void decode(const sb_buf *mp4, const uint8_t *frames, uint32_t w_in, uint32_t h_in,
                   decoded *d)
{
    memset(d, 0, sizeof *d);
    d->min_psnr_y = 99;
    rd r = {(const uint8_t *)mp4->data, mp4->len, 0};
    uint8_t *iobuf = av_malloc(4096);
    AVIOContext *io = avio_alloc_context(iobuf, 4096, 0, &r, rd_read, NULL, rd_seek);
    AVFormatContext *fc = avformat_alloc_context();
    fc->pb = io;
    assert_int_equal(avformat_open_input(&fc, NULL, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(fc, NULL) >= 0);
    assert_int_equal(fc->nb_streams, 1);
    AVStream *st = fc->streams[0];
    d->tag = st->codecpar->codec_tag;
    d->codec = st->codecpar->codec_id;
    d->rate = st->avg_frame_rate;
    const AVCodec *dec = avcodec_find_decoder(d->codec);
    assert_non_null(dec);
    AVCodecContext *c = avcodec_alloc_context3(dec);
    assert_true(avcodec_parameters_to_context(c, st->codecpar) >= 0);
    assert_int_equal(avcodec_open2(c, dec, NULL), 0);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    size_t fb = (size_t)w_in * h_in * 3;
    for (int more = 1; more;) {
        int rc = av_read_frame(fc, pkt);
        more = rc >= 0;
        assert_true(avcodec_send_packet(c, more ? pkt : NULL) >= 0);
        av_packet_unref(pkt);
        while (avcodec_receive_frame(c, fr) == 0) {
            d->w = fr->width;
            d->h = fr->height;
            assert_int_equal(fr->format, AV_PIX_FMT_YUV420P);
            double p = psnr_y(fr, frames + (size_t)d->frames * fb, w_in);
            if (d->frames == 0)
                d->first_psnr_y = p;
            if (p < d->min_psnr_y)
                d->min_psnr_y = p;
            d->frames++;
        }
    }
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&c);
    avformat_close_input(&fc);
    av_freep(&io->buffer);
    avio_context_free(&io);
}

static void test_video_reads_back_as_mp4v_30fps_frames(void **state)
{
    (void)state;
    const uint32_t cases[][3] = {{64, 64, 4}, {53, 37, 13}, {2, 2, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t w = cases[i][0], h = cases[i][1], t = cases[i][2];
        sb_buf mp4;
        sb_buf_init(&mp4);
        uint8_t *frames;
        sb_err err;
        if (encode(w, h, t, 9, &mp4, &frames, &err) != 0)
            fail_msg("%ux%ux%u: %s", w, h, t, err.msg);
        assert_true(mp4.len > 32);
        assert_memory_equal(mp4.data + 4, "ftypisom", 8);
        decoded d;
        decode(&mp4, frames, w, h, &d);
        assert_int_equal(d.codec, AV_CODEC_ID_MPEG4);
        assert_int_equal(d.tag, MKTAG('m', 'p', '4', 'v'));
        assert_int_equal(d.rate.num, 30);
        assert_int_equal(d.rate.den, 1);
        assert_int_equal(d.frames, (int)t);
        /* OpenCV drops an odd last column and row. */
        assert_int_equal(d.w, (int)(w & ~1u));
        assert_int_equal(d.h, (int)(h & ~1u));
        /* Noise luma predicted by its mean scores ~15.7 dB; the intra
         * frame of a small video keeps most detail (OpenCV's own output
         * decodes to the same numbers). */
        if (w >= 16 && !(d.min_psnr_y > 18.0 && d.first_psnr_y > 30.0))
            fail_msg("%ux%ux%u: luma PSNR first %.1f min %.1f dB", w, h, t, d.first_psnr_y,
                     d.min_psnr_y);
        free(frames);
        sb_buf_free(&mp4);
    }
}

static void test_video_same_frames_same_bytes(void **state)
{
    (void)state;
    sb_buf a, b;
    sb_buf_init(&a);
    sb_buf_init(&b);
    uint8_t *fa, *fb;
    sb_err err;
    assert_int_equal(encode(33, 17, 3, 5, &a, &fa, &err), 0);
    assert_int_equal(encode(33, 17, 3, 5, &b, &fb, &err), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    free(fa);
    free(fb);
    sb_buf_reset(&b);
    assert_int_equal(encode(33, 17, 3, 6, &b, &fb, &err), 0);
    assert_true(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
    free(fb);
    sb_buf_free(&a);
    sb_buf_free(&b);
}

static void test_video_refuses_what_opencv_cannot_open(void **state)
{
    (void)state;
    const uint32_t bad[][2] = {{1, 8}, {8, 1}, {8192, 2}, {2, 8193}, {0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_err err;
        sb_err_clear(&err);
        sb_video *v = sb_video_new(bad[i][0], bad[i][1], 30.0, &err);
        assert_null(v);
        if (!strstr(err.msg, "outside 2..8191"))
            fail_msg("%ux%u: '%s'", bad[i][0], bad[i][1], err.msg);
    }
    sb_err err;
    sb_video *v = sb_video_new(8191, 3, 30.0, &err); /* 8190 x 2 once rounded */
    if (!v)
        fail_msg("8191x3: %s", err.msg);
    sb_video_free(v);
}

/* ---------------- random-mm with videos ---------------- */

typedef dsfx fx;

/* The flags tests/data/datasets/mm/random_mm_video_ref.jsonl was made with:
 * ds_ref_random_mm.py NODE_MODULES gpt2/tokenizer.json 6 20 4 0.25 2 11 2 1.0
 *   '{"image": 2, "video": 2}' '{(16, 16, 3): 0.4, (9, 11, 2): 0.3, (6, 5, 1): 0.3}' */
static void ref_opts(fx *f)
{
    sb_dataset_opts *o = &f->cfg.ds;
    dsfx_set_str(&o->name, "random-mm");
    dsfx_set_str(&o->random_mm_bucket_config,
                 "{(16, 16, 3): 0.4, (9, 11, 2): 0.3, (6, 5, 1): 0.3}");
    dsfx_set_str(&o->random_mm_limit_mm_per_prompt, "{\"image\": 2, \"video\": 2}");
    o->random_mm_base_items_per_request = 2;
    o->random_mm_num_mm_items_range_ratio = 1.0;
    o->num_prompts = 6;
    o->random_input_len = 20;
    o->random_output_len = 4;
    o->random_range_ratio_in = o->random_range_ratio_out = 0.25;
    o->random_prefix_len = 2;
    o->seed = 11;
}

static int load(fx *f, sb_dataset *ds, sb_err *err)
{
    sb_err_clear(err);
    return dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", ds, err);
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *q = s; q && (q = strstr(q, needle)); q++)
        n++;
    return n;
}

static void test_random_mm_videos_match_reference_model(void **state)
{
    fx *f = *state;
    ref_opts(f);
    sb_dataset ds;
    sb_err err;
    if (load(f, &ds, &err) != 0)
        fail_msg("random-mm: %s", err.msg);
    char *path = tu_data_path("datasets/mm/random_mm_video_ref.jsonl");
    sb_buf text;
    sb_buf_init(&text);
    assert_int_equal(tu_read_file(path, &text), 0);
    size_t i = 0, videos = 0, images = 0, after_video = 0, prev_videos = 0;
    for (char *line = strtok(text.data, "\n"); line; line = strtok(NULL, "\n"), i++) {
        json_t *row = json_loads(line, 0, NULL);
        assert_non_null(row);
        assert_true(i < ds.n);
        const sb_request *r = &ds.reqs[i];
        /* A prompt after a video is right only if the video's draws were
         * all taken, in place. */
        assert_string_equal(r->prompt, json_string_value(json_object_get(row, "prompt")));
        after_video += prev_videos > 0;
        assert_int_equal(r->prompt_len, json_integer_value(json_object_get(row, "prompt_len")));
        assert_int_equal(r->output_len, json_integer_value(json_object_get(row, "output_tokens")));
        json_t *parts = json_object_get(row, "mm_parts");
        prev_videos = 0;
        if (parts) {
            assert_non_null(r->forms.mm_parts);
            assert_int_equal(r->forms.mm_parts_bytes, json_string_length(parts));
            assert_memory_equal(r->forms.mm_parts, json_string_value(parts),
                                r->forms.mm_parts_bytes);
            prev_videos =
                count(r->forms.mm_parts, "{\"type\": \"video_url\", \"video_url\": {\"url\": "
                                         "\"data:video/mp4;base64,AAAAHGZ0eXBpc29t");
            videos += prev_videos;
            images += count(r->forms.mm_parts, "{\"type\": \"image_url\", \"image_url\": {\"url\": "
                                               "\"data:image/jpeg;base64,");
        } else {
            assert_null(r->forms.mm_parts);
        }
        json_decref(row);
    }
    assert_int_equal(i, ds.n);
    /* The fixture holds videos (two in a request, the video limit), images
     * and requests drawn after videos. */
    assert_true(videos >= 6 && images >= 3 && after_video >= 3);
    sb_buf_free(&text);
    free(path);
    dataset_free(&ds);
}

static void test_random_mm_videos_threads_and_batches_do_not_change_output(void **state)
{
    fx *f = *state;
    ref_opts(f);
    dsfx_set_str(&f->cfg.ds.random_mm_bucket_config, "{(12, 10, 2): 0.5, (7, 9, 1): 0.25, "
                                                     "(4, 6, 5): 0.25}");
    f->cfg.ds.num_prompts = 16;
    sb_dataset a, b;
    sb_err err;
    if (load(f, &a, &err) != 0)
        fail_msg("random-mm: %s", err.msg);
    setenv("SB_THREADS", "1", 1);
    setenv("SB_MM_BATCH_BYTES", "1", 1);
    int rc = load(f, &b, &err);
    unsetenv("SB_THREADS");
    unsetenv("SB_MM_BATCH_BYTES");
    if (rc != 0)
        fail_msg("random-mm: %s", err.msg);
    assert_int_equal(a.n, b.n);
    size_t videos = 0;
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.reqs[i].prompt, b.reqs[i].prompt);
        assert_int_equal(a.reqs[i].forms.mm_parts_bytes, b.reqs[i].forms.mm_parts_bytes);
        if (a.reqs[i].forms.mm_parts) {
            assert_memory_equal(a.reqs[i].forms.mm_parts, b.reqs[i].forms.mm_parts,
                                a.reqs[i].forms.mm_parts_bytes);
            videos += count(a.reqs[i].forms.mm_parts, "\"video_url\": {");
        }
    }
    assert_true(videos > 8);
    dataset_free(&a);
    dataset_free(&b);
}

static void test_random_mm_video_bucket_limits(void **state)
{
    fx *f = *state;
    const char *bad[] = {"{(1, 8, 4): 1}", "{(8, 1, 2): 1}", "{(8192, 8, 2): 1}",
                         "{(8, 9000, 2): 1}", "{(8, 8, 100001): 1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ref_opts(f);
        dsfx_set_str(&f->cfg.ds.random_mm_bucket_config, bad[i]);
        sb_dataset ds;
        sb_err err;
        assert_int_equal(load(f, &ds, &err), -1);
        if (!strstr(err.msg, "video bucket") || !strstr(err.msg, "needs 2 <= H, W <= 8191"))
            fail_msg("%s: '%s'", bad[i], err.msg);
        assert_int_equal(ds.n, 0);
    }
    /* With a video limit of 0 no video is ever opened, as in the reference. */
    ref_opts(f);
    dsfx_set_str(&f->cfg.ds.random_mm_bucket_config, "{(1, 8, 4): 0.5, (6, 5, 1): 0.5}");
    dsfx_set_str(&f->cfg.ds.random_mm_limit_mm_per_prompt, "{\"image\": 2, \"video\": 0}");
    sb_dataset ds;
    sb_err err;
    if (load(f, &ds, &err) != 0)
        fail_msg("video limit 0: %s", err.msg);
    size_t images = 0;
    for (size_t i = 0; i < ds.n; i++) {
        assert_true(!ds.reqs[i].forms.mm_parts || !strstr(ds.reqs[i].forms.mm_parts, "video_url"));
        images += count(ds.reqs[i].forms.mm_parts, "image_url\": {");
    }
    assert_true(images > 0);
    dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skip_bytes_leaves_the_stream_where_the_draw_does),
        cmocka_unit_test(test_bytes_in_pieces_equal_one_draw),
        cmocka_unit_test(test_advance_equals_steps),
        cmocka_unit_test(test_video_reads_back_as_mp4v_30fps_frames),
        cmocka_unit_test(test_video_same_frames_same_bytes),
        cmocka_unit_test(test_video_refuses_what_opencv_cannot_open),
        cmocka_unit_test_setup_teardown(test_random_mm_videos_match_reference_model, dsfx_setup,
                                        dsfx_teardown),
        cmocka_unit_test_setup_teardown(
            test_random_mm_videos_threads_and_batches_do_not_change_output, dsfx_setup,
            dsfx_teardown),
        cmocka_unit_test_setup_teardown(test_random_mm_video_bucket_limits, dsfx_setup,
                                        dsfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
