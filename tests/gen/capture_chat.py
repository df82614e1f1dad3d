#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""capture_chat.py - a minimal OpenAI chat/completions endpoint for body checks: every
POST body is appended (as one JSON string line) to OUT, and the answer is a
two-chunk SSE stream (one token, then usage); /tokenize and /detokenize are
404 and not recorded. Prints "listening PORT".
usage: capture_chat.py OUT"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out = open(sys.argv[1], 'a', encoding='utf-8')

class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        if self.path.endswith('tokenize'):
            # no /tokenize, as an OpenAI endpoint: serve's alignment says "not checked"
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        out.write(json.dumps(body.decode('utf-8')) + '\n')
        out.flush()
        # "text" too, so completions backends (choices[0].text) can use it.
        sse = ('data: {"choices": [{"text": "x", "delta": {"content": "x"}}]}\n\n'
               'data: {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}\n\n'
               'data: [DONE]\n\n').encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream')
        self.send_header('Content-Length', str(len(sse)))
        self.end_headers()
        self.wfile.write(sse)

srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
print('listening', srv.server_address[1], flush=True)
srv.serve_forever()
