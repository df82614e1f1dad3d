#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""capture_server.py - a stand-in pooling server for the differential tests:
writes every POST body it receives, keyed by its x-request-id, one JSON line
each ({"id", "path", "body"}) to OUT, and answers 200 with a body that has
no `usage`, so the client keeps its own prompt_len (the value under test).
Prints "PORT <n>" once listening on an ephemeral port.
usage: capture_server.py OUT"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out = open(sys.argv[1], 'w', encoding='utf-8')
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply({'object': 'list', 'data': [{'id': 'm', 'object': 'model'}]})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0'))).decode('utf-8')
        with lock:
            out.write(json.dumps({'id': self.headers.get('x-request-id'), 'path': self.path,
                                  'body': body}) + '\n')
            out.flush()
        self.reply({'object': 'list', 'data': []})

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
print('PORT', srv.server_address[1], flush=True)
srv.serve_forever()
