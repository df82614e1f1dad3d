# SPDX-License-Identifier: Apache-2.0
"""tls_front.py CERT KEY TARGET_PORT - a TLS front for a plain-HTTP server.

Listens on an ephemeral 127.0.0.1 port, prints "listening PORT", and for each
connection completes a TLS handshake with CERT/KEY and pipes bytes both ways
to 127.0.0.1:TARGET_PORT. A handshake the client refuses just closes that
connection. Used by tests/serve_tls.sh (the simulator itself speaks only
plain HTTP)."""
import socket
import ssl
import sys
import threading

cert, key, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(128)
print("listening", ls.getsockname()[1], flush=True)


def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(raw):
    try:
        tls = ctx.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError):
        raw.close()
        return
    up = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(up, tls), daemon=True).start()
    pipe(tls, up)


while True:
    conn, _ = ls.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
