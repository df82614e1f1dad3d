/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_sim_api.c - libFuzzer target for the simulator's request bodies on
 * the endpoints added for pooling (/v1/embeddings, /pooling, /rerank:
 * sim_pool.c) and audio (/v1/audio/transcriptions and /translations,
 * multipart forms: sim_audio.c).
 *
 * The bodies take the path a real request takes: one simulator runs
 * in-process (zero latency, small context so answers stay short) and each
 * input is sent to it over a loopback socket as one well-framed POST with
 * "Connection: close"; the whole answer is read. Byte 0 picks the endpoint;
 * for audio with its top bit set the Content-Type value comes from the input
 * (up to the first newline), else it is multipart/form-data with boundary
 * "b". The rest is the body. The server must answer every request with a
 * status line (2xx/4xx/5xx) and close; a crash, leak or UB on its thread
 * stops the fuzzer as it would on ours. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/buf.h"
#include "sim/sim.h"

static sim_server *g_sim;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char *args[] = {"sim",
                    "--port",
                    "0",
                    "--quiet",
                    "--ttft-ms",
                    "0",
                    "--itl-ms",
                    "0",
                    "--max-model-len",
                    "48",
                    "--embedding-dim",
                    "3",
                    "--tokens-per-chunk",
                    "8",
                    NULL};
    sb_err err;
    g_sim = sim_start((int)(sizeof args / sizeof args[0]) - 1, args, &err);
    if (!g_sim) {
        fprintf(stderr, "fuzz_sim_api: %s\n", err.msg);
        abort();
    }
    return 0;
}

static int connect_sim(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sim_port(g_sim))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        abort(); /* the server is gone */
    return fd;
}

/* Sends req, reads until the server closes; returns the answer. */
static void exchange(const sb_buf *req, sb_buf *resp)
{
    int fd = connect_sim();
    for (size_t off = 0; off < req->len;) {
        ssize_t w = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* an early answer and close is allowed */
        off += (size_t)w;
    }
    char chunk[16384];
    for (;;) {
        ssize_t r = recv(fd, chunk, sizeof chunk, 0);
        if (r < 0) {
            fprintf(stderr, "fuzz_sim_api: no answer within 30 s\n");
            abort();
        }
        if (r == 0)
            break;
        sb_buf_append(resp, chunk, (size_t)r);
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const char *const paths[] = {"/v1/embeddings",
                                        "/pooling",
                                        "/rerank",
                                        "/v1/rerank",
                                        "/v2/rerank",
                                        "/v1/audio/transcriptions",
                                        "/v1/audio/translations"};
    if (size < 1)
        return 0;
    unsigned pick = (data[0] & 0x7f) % 7;
    const char *body = (const char *)data + 1;
    size_t n = size - 1;
    char ctype[256] = "application/json";
    if (pick >= 5 && (data[0] & 0x80)) {
        const char *nl = memchr(body, '\n', n);
        size_t k = nl ? (size_t)(nl - body) : n;
        snprintf(ctype, sizeof ctype, "%.*s", (int)(k < 200 ? k : 200), body);
        ctype[strcspn(ctype, "\r\n")] = '\0'; /* one header line */
        body += nl ? k + 1 : k;
        n -= nl ? k + 1 : k;
    } else if (pick >= 5) {
        strcpy(ctype, "multipart/form-data; boundary=b");
    }
    sb_buf req, resp;
    sb_buf_init(&req);
    sb_buf_init(&resp);
    sb_buf_printf(&req,
                  "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                  paths[pick], ctype, n);
    sb_buf_append(&req, body, n);
    exchange(&req, &resp);
    int status = 0;
    if (resp.len < 12 || sscanf(resp.data, "HTTP/1.1 %3d", &status) != 1 || status < 200 ||
        status > 599) {
        fprintf(stderr, "fuzz_sim_api: no status line in the answer (%zu bytes)\n", resp.len);
        abort();
    }
    sb_buf_free(&req);
    sb_buf_free(&resp);
    return 0;
}
