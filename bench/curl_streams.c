/* SPDX-License-Identifier: Apache-2.0 */
/* curl_streams.c - the floor of libcurl's memory per in-flight stream.
 *
 * bench/stream_memory.sh compares servebench's peak RSS per extra stream
 * with this program's: N streamed POSTs started at once on one libcurl multi
 * handle (one easy handle per stream, HTTP/1.1, a new connection each, the
 * smallest receive buffer curl accepts, an error buffer), the body thrown
 * away, run to the end; it prints N and its own peak RSS in KiB. Nothing of
 * servebench is in it, so the difference between two N is what libcurl
 * itself keeps per stream (easy handle, connection, socket hash entry,
 * receive buffer, header buffer), the part a servebench change cannot cut.
 *
 * usage: bench_curl_streams N URL [RECV_BUFFER_BYTES] */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static size_t drop(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s N URL [RECV_BUFFER_BYTES]\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    long recv_buf = argc > 3 ? strtol(argv[3], NULL, 10) : 1024;
    if (n < 1 || n > 100000) {
        fprintf(stderr, "N: want 1..100000\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *m = curl_multi_init();
    static const char body[] =
        "{\"model\": \"sim\", \"prompt\": \"a b c d e f g h i j k l m n o p\", "
        "\"max_tokens\": 16, \"stream\": true, "
        "\"stream_options\": {\"include_usage\": true}}";
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    CURL **easy = calloc((size_t)n, sizeof *easy);
    char(*errbuf)[CURL_ERROR_SIZE] = calloc((size_t)n, sizeof *errbuf);
    if (!easy || !errbuf) {
        free(easy);
        free(errbuf);
        return 1;
    }
    for (long i = 0; i < n; i++) {
        CURL *c = easy[i] = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL, argv[2]);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf[i]);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, recv_buf);
        curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_multi_add_handle(m, c);
    }
    int running = 1, failed = 0;
    while (running) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left)))
        failed += msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%ld %ld %d\n", n, ru.ru_maxrss, failed);
    for (long i = 0; i < n; i++) {
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    free(easy);
    free(errbuf);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
