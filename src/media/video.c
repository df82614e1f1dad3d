/* SPDX-License-Identifier: Apache-2.0 */
/* video.c - mp4v video in an MP4 file, set up as OpenCV 4.x's FFmpeg
 * backend sets up cv2.VideoWriter(path, fourcc('m','p','4','v'), fps,
 * (W, H)) (modules/videoio/src/cap_ffmpeg_impl.hpp was read for behaviour):
 *  - W and H rounded down to even; bitrate = fps*W*H, to which OpenCV adds
 *    half of it twice (stream setup, then open): 2*fps*W*H in the end, also
 *    the bit-rate tolerance; qmin 3; GOP 12; time base 1/round(fps); codec
 *    tag 'mp4v'; the MP4 muxer's global-header flag; max_delay 0.7 s;
 *  - each BGR24 frame converted to YUV420P by swscale with SWS_BICUBIC, from
 *    rows padded to 32 bytes (OpenCV's aligned copy), into a malloc'd picture
 *    with packed planes; pts = frame index;
 *  - packets rescaled to the stream's time base and written with
 *    av_write_frame; at the end the encoder is drained and the trailer
 *    written.
 * The file is written into memory through a seekable AVIOContext, which the
 * MP4 muxer treats as it treats a file (it seeks back to patch sizes). */
#include "media/video.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include "core/dynlib.h"

/* FFmpeg is opened on the first video, not linked: its libraries and their
 * codec dependencies are over a hundred shared objects whose loading and
 * constructors cost about 40 ms of every start (bench/startup.c), and only
 * random-mm's video items use them. The headers give each function's type
 * and the soname (lib<name>.so.<major> of the version built against), so a
 * call through ff.* is checked as a direct call would be. The table is filled
 * once for the process (pthread_once) and read-only afterwards. */
#define VIDEO_STR2(x) #x
#define VIDEO_STR(x) VIDEO_STR2(x)
#define VIDEO_FNS(X)                                                                               \
    X(av_codec_get_id)                                                                             \
    X(av_frame_alloc)                                                                              \
    X(av_frame_free)                                                                               \
    X(av_free)                                                                                     \
    X(av_freep)                                                                                    \
    X(av_guess_format)                                                                             \
    X(av_image_fill_arrays)                                                                        \
    X(av_image_get_buffer_size)                                                                    \
    X(av_log_set_level)                                                                            \
    X(av_malloc)                                                                                   \
    X(av_packet_alloc)                                                                             \
    X(av_packet_free)                                                                              \
    X(av_packet_rescale_ts)                                                                        \
    X(av_packet_unref)                                                                             \
    X(av_strerror)                                                                                 \
    X(av_write_frame)                                                                              \
    X(av_write_trailer)                                                                            \
    X(avcodec_alloc_context3)                                                                      \
    X(avcodec_find_encoder)                                                                        \
    X(avcodec_free_context)                                                                        \
    X(avcodec_open2)                                                                               \
    X(avcodec_parameters_from_context)                                                             \
    X(avcodec_receive_packet)                                                                      \
    X(avcodec_send_frame)                                                                          \
    X(avformat_alloc_context)                                                                      \
    X(avformat_free_context)                                                                       \
    X(avformat_new_stream)                                                                         \
    X(avformat_write_header)                                                                       \
    X(avio_alloc_context)                                                                          \
    X(avio_context_free)                                                                           \
    X(avio_flush)                                                                                  \
    X(sws_freeContext)                                                                             \
    X(sws_getContext)                                                                              \
    X(sws_scale)

static struct video_ff {
    VIDEO_FNS(SB_DYNLIB_FIELD)
    char error[512]; /* why FFmpeg could not be used; "" when it can */
} ff;

static void video_load(void)
{
    static const char *const libs[] = {
        "libavutil.so." VIDEO_STR(LIBAVUTIL_VERSION_MAJOR),
        "libswscale.so." VIDEO_STR(LIBSWSCALE_VERSION_MAJOR),
        "libavcodec.so." VIDEO_STR(LIBAVCODEC_VERSION_MAJOR),
        "libavformat.so." VIDEO_STR(LIBAVFORMAT_VERSION_MAJOR),
    };
    static const char *const names[] = {VIDEO_FNS(SB_DYNLIB_NAME)};
    void *syms[sizeof names / sizeof *names];
    if (sb_dynlib_open(libs, sizeof libs / sizeof *libs, names, syms, sizeof names / sizeof *names,
                       ff.error, sizeof ff.error) != 0)
        return;
    size_t i = 0;
#define VIDEO_FN_SET(f) memcpy(&ff.f, &syms[i++], sizeof ff.f);
    VIDEO_FNS(VIDEO_FN_SET)
#undef VIDEO_FN_SET
    /* FFmpeg prints warnings (such as "Bitrate ... is extremely low" for tiny
     * frames) to stderr by default; servebench reports failures through
     * sb_err, so its log is silenced once, for the process. */
    ff.av_log_set_level(AV_LOG_QUIET);
}

#define VIDEO_IO_BUF 32768
#define VIDEO_ROW_ALIGN 32 /* OpenCV's CV_STEP_ALIGNMENT */
#define VIDEO_TAIL_PAD 32  /* OpenCV's CV_SIMD_SIZE: swscale may read past the end */

/* The MP4 file being written: a byte array with a write position. */
typedef struct video_mem {
    uint8_t *data;
    size_t len, cap, pos;
} video_mem;

struct sb_video {
    uint32_t w, h; /* even encoded size */
    uint32_t in_h; /* rows the caller fills (odd H included) */
    size_t stride; /* bytes per input row */
    uint8_t *in;   /* BGR24 input rows */
    uint8_t *yuv;  /* the YUV420P picture's planes */
    AVFrame *pic;
    AVFormatContext *oc;
    AVStream *st;
    AVCodecContext *c;
    struct SwsContext *sws;
    AVIOContext *io;
    video_mem mem;
    int64_t frame_idx;
};

#if LIBAVFORMAT_VERSION_MAJOR >= 61
typedef const uint8_t io_bytes;
#else
typedef uint8_t io_bytes;
#endif

static int mem_write(void *opaque, io_bytes *buf, int n)
{
    video_mem *m = opaque;
    if (n <= 0)
        return 0;
    size_t end = m->pos + (size_t)n;
    if (end > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < end)
            cap *= 2;
        m->data = sb_xrealloc(m->data, cap);
        m->cap = cap;
    }
    if (m->pos > m->len) /* a seek past the end leaves zeros, as a file does */
        memset(m->data + m->len, 0, m->pos - m->len);
    memcpy(m->data + m->pos, buf, (size_t)n);
    m->pos = end;
    if (end > m->len)
        m->len = end;
    return n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    video_mem *m = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
        return (int64_t)m->len;
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)m->pos;
        break;
    case SEEK_END:
        base = (int64_t)m->len;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (base + off < 0)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

static int av_fail(sb_err *err, const char *what, int code)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];
    ff.av_strerror(code, msg, sizeof msg);
    return sb_err_set(err, "video: %s failed: %s", what, msg);
}

/* cap_ffmpeg_impl.hpp's time base: fps as frame_rate / frame_rate_base with
 * the base a power of ten, within 0.001. */
static AVRational video_rate(double fps)
{
    int rate = (int)(fps + 0.5), base = 1;
    while (fabs((double)rate / base - fps) > 0.001 && base < 1000000) {
        base *= 10;
        rate = (int)(fps * base + 0.5);
    }
    return (AVRational){rate, base};
}

/* The codec context as icv_configure_video_stream_FFMPEG and open() leave
 * it before avcodec_open2. */
static AVCodecContext *video_codec_ctx(sb_video *v, const AVCodec *codec, double fps)
{
    AVCodecContext *c = ff.avcodec_alloc_context3(codec);
    if (!c)
        return NULL;
    double bitrate = fmin(fps * v->w * v->h, (double)INT_MAX / 2);
    int ibitrate = (int)(bitrate + 0.5);
    int64_t lbit = (int64_t)ibitrate + ibitrate / 2;
    c->codec_id = codec->id;
    c->codec_type = AVMEDIA_TYPE_VIDEO;
    c->codec_tag = MKTAG('m', 'p', '4', 'v');
    c->bit_rate = lbit < INT_MAX ? lbit : INT_MAX;
    c->qmin = 3;
    c->width = (int)v->w;
    c->height = (int)v->h;
    AVRational r = video_rate(fps);
    c->time_base = (AVRational){r.den, r.num};
    c->gop_size = 12;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    if (v->oc->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    v->st->avg_frame_rate = r;
    v->st->time_base = c->time_base;
    lbit = c->bit_rate + (int64_t)(bitrate / 2);
    c->bit_rate = lbit < INT_MAX ? lbit : INT_MAX;
    c->bit_rate_tolerance = (int)c->bit_rate;
    return c;
}

static int video_open_codec(sb_video *v, double fps, sb_err *err)
{
    const AVOutputFormat *fmt = ff.av_guess_format(NULL, "video.mp4", NULL);
    if (!fmt)
        return sb_err_set(err, "video: this FFmpeg has no MP4 muxer");
    enum AVCodecID id = ff.av_codec_get_id(fmt->codec_tag, MKTAG('m', 'p', '4', 'v'));
    const AVCodec *codec = ff.avcodec_find_encoder(id);
    if (!codec)
        return sb_err_set(err, "video: this FFmpeg has no MPEG-4 Part 2 (mp4v) encoder");
    v->oc = ff.avformat_alloc_context();
    if (!v->oc)
        return sb_err_set(err, "video: out of memory");
    v->oc->oformat = fmt;
    v->oc->max_delay = (int)(0.7 * AV_TIME_BASE);
    v->st = ff.avformat_new_stream(v->oc, NULL);
    if (!v->st)
        return sb_err_set(err, "video: could not add the video stream");
    v->c = video_codec_ctx(v, codec, fps);
    if (!v->c)
        return sb_err_set(err, "video: out of memory");
    int rc = ff.avcodec_open2(v->c, codec, NULL);
    if (rc < 0)
        return av_fail(err, "opening the mpeg4 encoder", rc);
    rc = ff.avcodec_parameters_from_context(v->st->codecpar, v->c);
    return rc < 0 ? av_fail(err, "copying the codec parameters", rc) : 0;
}

static int video_open_output(sb_video *v, sb_err *err)
{
    uint8_t *iobuf = ff.av_malloc(VIDEO_IO_BUF);
    if (!iobuf)
        return sb_err_set(err, "video: out of memory");
    v->io = ff.avio_alloc_context(iobuf, VIDEO_IO_BUF, 1, &v->mem, NULL, mem_write, mem_seek);
    if (!v->io) {
        ff.av_free(iobuf);
        return sb_err_set(err, "video: out of memory");
    }
    v->oc->pb = v->io;
    int rc = ff.avformat_write_header(v->oc, NULL);
    if (rc < 0)
        return av_fail(err, "writing the MP4 header", rc);
    return 0;
}

static int video_alloc_frames(sb_video *v, sb_err *err)
{
    v->in = sb_xcalloc(v->stride * v->in_h + VIDEO_TAIL_PAD, 1);
    v->pic = ff.av_frame_alloc();
    if (!v->pic)
        return sb_err_set(err, "video: out of memory");
    v->pic->format = AV_PIX_FMT_YUV420P;
    v->pic->width = (int)v->w;
    v->pic->height = (int)v->h;
    int size = ff.av_image_get_buffer_size(AV_PIX_FMT_YUV420P, (int)v->w, (int)v->h, 1);
    if (size < 0)
        return av_fail(err, "sizing the YUV picture", size);
    v->yuv = sb_xmalloc((size_t)size);
    ff.av_image_fill_arrays(v->pic->data, v->pic->linesize, v->yuv, AV_PIX_FMT_YUV420P, (int)v->w,
                            (int)v->h, 1);
    v->sws = ff.sws_getContext((int)v->w, (int)v->h, AV_PIX_FMT_BGR24, (int)v->w, (int)v->h,
                               AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
    if (!v->sws)
        return sb_err_set(err, "video: no BGR24 to YUV420P conversion for %ux%u", v->w, v->h);
    return 0;
}

sb_video *sb_video_new(uint32_t w, uint32_t h, double fps, sb_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, video_load);
    if (ff.error[0]) {
        sb_err_set(err, "video: FFmpeg: %s; random-mm video items need it", ff.error);
        return NULL;
    }
    if (!(fps > 0) || fps > 1e6) {
        sb_err_set(err, "video: frame rate %g is not > 0", fps);
        return NULL;
    }
    /* OpenCV drops an odd last column/row and refuses what is left empty. */
    uint32_t ew = w & ~1u, eh = h & ~1u;
    if (ew == 0 || eh == 0 || ew > SB_VIDEO_MAX_DIM || eh > SB_VIDEO_MAX_DIM) {
        sb_err_set(err, "video: frame size %ux%u (W x H) is outside 2..%d", w, h, SB_VIDEO_MAX_DIM);
        return NULL;
    }
    sb_video *v = sb_xcalloc(1, sizeof *v);
    v->w = ew;
    v->h = eh;
    v->in_h = h;
    v->stride = ((size_t)w * 3 + VIDEO_ROW_ALIGN - 1) & ~(size_t)(VIDEO_ROW_ALIGN - 1);
    if (video_open_codec(v, fps, err) != 0 || video_alloc_frames(v, err) != 0 ||
        video_open_output(v, err) != 0) {
        sb_video_free(v);
        return NULL;
    }
    return v;
}

uint8_t *sb_video_frame(sb_video *v, size_t *stride)
{
    *stride = v->stride;
    return v->in;
}

/* icv_av_write_frame_FFMPEG: send (a frame, or NULL to drain), then write
 * every packet the encoder hands back. */
static int video_send(sb_video *v, AVFrame *frame, sb_err *err)
{
    int rc = ff.avcodec_send_frame(v->c, frame);
    if (rc < 0)
        return av_fail(err, "sending a frame to the mpeg4 encoder", rc);
    AVPacket *pkt = ff.av_packet_alloc();
    if (!pkt)
        return sb_err_set(err, "video: out of memory");
    for (;;) {
        rc = ff.avcodec_receive_packet(v->c, pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            break;
        if (rc < 0) {
            ff.av_packet_free(&pkt);
            return av_fail(err, "encoding a frame", rc);
        }
        pkt->stream_index = v->st->index;
        ff.av_packet_rescale_ts(pkt, v->c->time_base, v->st->time_base);
        rc = ff.av_write_frame(v->oc, pkt);
        ff.av_packet_unref(pkt);
        if (rc < 0) {
            ff.av_packet_free(&pkt);
            return av_fail(err, "writing a video packet", rc);
        }
    }
    ff.av_packet_free(&pkt);
    return 0;
}

int sb_video_write(sb_video *v, sb_err *err)
{
    const uint8_t *src[4] = {v->in, NULL, NULL, NULL};
    const int src_stride[4] = {(int)v->stride, 0, 0, 0};
    if (ff.sws_scale(v->sws, src, src_stride, 0, (int)v->h, v->pic->data, v->pic->linesize) < 0)
        return sb_err_set(err, "video: colour conversion of frame %lld failed",
                          (long long)v->frame_idx);
    v->pic->pts = v->frame_idx++;
    return video_send(v, v->pic, err);
}

int sb_video_finish(sb_video *v, sb_buf *out, sb_err *err)
{
    /* OpenCV drains only when a frame was sent (a NULL first frame is a
     * no-op there); the trailer is written either way. */
    if (v->frame_idx > 0 && video_send(v, NULL, err) != 0)
        return -1;
    int rc = ff.av_write_trailer(v->oc);
    if (rc < 0)
        return av_fail(err, "writing the MP4 trailer", rc);
    ff.avio_flush(v->io);
    sb_buf_append(out, v->mem.data, v->mem.len);
    return 0;
}

void sb_video_free(sb_video *v)
{
    if (!v)
        return;
    if (v->sws)
        ff.sws_freeContext(v->sws);
    ff.av_frame_free(&v->pic);
    free(v->yuv);
    free(v->in);
    ff.avcodec_free_context(&v->c);
    if (v->io) {
        ff.av_freep(&v->io->buffer);
        ff.avio_context_free(&v->io);
    }
    if (v->oc) {
        v->oc->pb = NULL;
        ff.avformat_free_context(v->oc);
    }
    free(v->mem.data);
    free(v);
}
