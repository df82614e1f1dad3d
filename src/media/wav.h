/* SPDX-License-Identifier: Apache-2.0 */
/* wav.h - an audio file re-written as 16-bit PCM WAV in memory, as the
 * reference's custom_audio does with python-soundfile (sf.read(path) as
 * float64, then sf.write(buf, y, sr, format="WAV"), whose default subtype is
 * PCM_16). Both sides go through libsndfile, so the bytes match. */
#ifndef SB_WAV_H
#define SB_WAV_H

#include "core/buf.h"
#include "core/err.h"

/* Reads any file libsndfile reads (WAV, FLAC, OGG, ...) and appends the WAV
 * bytes to out. 0, or -1 with err naming path. */
int sb_wav_reencode(const char *path, sb_buf *out, sb_err *err);
/* Duration in seconds (frames / sample rate, as soundfile.info reports it) of
 * the WAV that starts at byte start of wav and runs to its end. */
int sb_wav_duration(sb_buf *wav, size_t start, double *seconds, sb_err *err);

#endif
