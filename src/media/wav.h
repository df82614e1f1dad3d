/* SPDX-License-Identifier: Apache-2.0 */
/* wav.h - an audio file re-written as 16-bit PCM WAV in memory, as the
 * reference's custom_audio does with python-soundfile (sf.read(path) as
 * float64, then sf.write(buf, y, sr, format="WAV"), whose default subtype is
 * PCM_16). Both sides go through libsndfile, so the bytes match. */
#ifndef SB_WAV_H
#define SB_WAV_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Reads any file libsndfile reads (WAV, FLAC, OGG, ...) and appends the WAV
 * bytes to out. 0, or -1 with err naming path. */
int sb_wav_reencode(const char *path, sb_buf *out, sb_err *err);
/* The same for audio file bytes in memory (what names them in messages). */
int sb_wav_reencode_mem(const void *data, size_t n, const char *what, sb_buf *out, sb_err *err);
/* frames x channels interleaved samples in [-1, 1] (a decoded array, as
 * soundfile.write(buf, y, sr, format="WAV") gets it) as PCM_16 WAV appended
 * to out. */
int sb_wav_from_doubles(const double *y, size_t frames, int channels, int rate, const char *what,
                        sb_buf *out, sb_err *err);
/* Duration in seconds (frames / sample rate, as soundfile.info reports it) of
 * the WAV that starts at byte start of wav and runs to its end. */
int sb_wav_duration(sb_buf *wav, size_t start, double *seconds, sb_err *err);

#endif
