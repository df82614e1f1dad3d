#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""audio_form_ref.py - the multipart bodies the reference's openai-audio
request function (endpoint_request_func.py, async_request_openai_audio)
sends, built with the real aiohttp FormData and python-soundfile, for a
custom_audio file read in order (no shuffle). aiohttp's random boundary is
replaced by servebench's fixed one so the bytes are comparable. Writes one
JSON line per row: {"content_type", "body_b64", "duration"}.
usage: audio_form_ref.py ROWS.jsonl MODEL OUTPUT_LEN IGNORE_EOS(0|1) EXTRA_BODY_JSON BOUNDARY"""
import asyncio, base64, io, json, sys

import aiohttp
import soundfile as sf

rows_path, model, out_len, ignore_eos, extra, boundary = sys.argv[1:7]


class Sink:
    def __init__(self):
        self.data = b''

    async def write(self, chunk):
        self.data += bytes(chunk)


async def body(wav, payload):
    form = aiohttp.FormData()
    form._writer = aiohttp.MultipartWriter('form-data', boundary=boundary)
    form.add_field('file', wav, filename='audio.wav', content_type='audio/wav')
    for key, value in payload.items():
        form.add_field(key, str(value))
    mp = form()
    sink = Sink()
    await mp.write(sink)
    return mp.headers['Content-Type'], sink.data


def main():
    for line in open(rows_path, encoding='utf-8'):
        if not line.strip():
            continue
        row = json.loads(line)
        y, sr = sf.read(row['audio'])
        buf = io.BytesIO()
        sf.write(buf, y, sr, format='WAV')
        buf.seek(0)
        duration = sf.info(buf).duration
        buf.seek(0)
        payload = {'model': model, 'max_completion_tokens': int(out_len), 'stream': True,
                   'language': 'en', 'stream_include_usage': True,
                   'stream_continuous_usage_stats': True}
        if ignore_eos == '1':
            payload['ignore_eos'] = True
        payload.update(json.loads(extra))
        ctype, data = asyncio.run(body(buf, payload))
        print(json.dumps({'content_type': ctype, 'body_b64': base64.b64encode(data).decode(),
                          'duration': duration}))


main()
