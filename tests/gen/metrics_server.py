#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""metrics_server.py - a Prometheus endpoint shaped like NVIDIA's dcgm-exporter
for the telemetry tests, plus broken ones. GET /metrics: two GPUs whose
utilisation is 40 and 80 %, framebuffer used 1000 + 10 x scrape number and
2000 MiB, power 100 and 300 W, SM clock 1400 and 1600 MHz. GET /garbage: a
body that is not the text format. GET /slow: answers after 3 s. GET /flaky:
/metrics, but every third request answers HTTP 503 (gaps in a series). Prints
"listening PORT". usage: metrics_server.py"""
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

scrapes = 0
flaky = 0


class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def reply(self, body):
        data = body.encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain; version=0.0.4')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        global scrapes, flaky
        if self.path == '/flaky':
            flaky += 1
            if flaky % 3 == 0:
                self.send_response(503)
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
        if self.path in ('/metrics', '/flaky'):
            scrapes += 1
            rows = []
            for name, kind, vals in (
                    ('DCGM_FI_DEV_GPU_UTIL', 'gauge', (40, 80)),
                    ('DCGM_FI_DEV_FB_USED', 'gauge', (1000 + 10 * scrapes, 2000)),
                    ('DCGM_FI_DEV_POWER_USAGE', 'gauge', (100.0, 300.0)),
                    ('DCGM_FI_DEV_SM_CLOCK', 'gauge', (1400, 1600))):
                rows.append(f'# HELP {name} x.\n# TYPE {name} {kind}')
                for g, v in enumerate(vals):
                    rows.append(f'{name}{{gpu="{g}",UUID="GPU-{g}",device="nvidia{g}",'
                                f'modelName="NVIDIA H100 80GB HBM3",Hostname="h"}} {v}')
            self.reply('\n'.join(rows) + '\n')
        elif self.path == '/garbage':
            self.reply('<html>not metrics</html>\n')
        elif self.path == '/slow':
            time.sleep(3)
            self.reply('m 1\n')
        else:
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()


srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
print('listening', srv.server_address[1], flush=True)
srv.serve_forever()
