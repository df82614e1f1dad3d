/* SPDX-License-Identifier: Apache-2.0 */
/* test_sim_hostile.c - the simulator against careless and hostile clients,
 * over real sockets: requests cut short by a close (the CLOSE-WAIT busy loop),
 * a TLS ClientHello on the plain port, pipelined garbage, oversized and
 * trickled headers (slowloris), connections that never send, half-closed
 * connections, RSTs, a client that never reads, and the record of a client
 * that leaves because of an injected corrupt chunk.
 *
 * Each attack checks what the server must do (answer, close, drop with a
 * recorded reason) and that a /health probe still answers. The CPU bounds are
 * the regression test of the busy loop: the server runs in this process, the
 * test thread sleeps while it is measured, so this process's CPU time over an
 * idle second is the server's. They are loose (5% of one core where the bug
 * spun a whole core), and the probe bound (2 s, where the target is 50 ms)
 * holds on a loaded machine; measured figures are printed for bench/sim.md. */
#include "testutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "sim/sim.h"
#include "test_sim_client.h"

/* Short limits so each case takes well under a second of waiting. */
static sim_server *start_limited(const char *record, const char *extra)
{
    sim_opts o;
    sim_opts_default(&o);
    sb_err err;
    sb_err_clear(&err);
    char buf[256];
    snprintf(buf, sizeof buf, "sim %s", extra ? extra : "");
    char *argv[32];
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
        argv[argc++] = t;
    assert_int_equal(sim_opts_parse(&o, argc, argv, &err), 0);
    o.port = 0;
    o.quiet = 1;
    o.max_header_bytes = 4096;
    o.max_body_bytes = 1000;
    o.max_out_bytes = 64 << 10;
    o.read_timeout_ms = 300;
    o.write_timeout_ms = 400;
    o.idle_timeout_ms = 600;
    o.record_path = record;
    sim_server *s = sim_start_opts(&o, &err);
    if (!s)
        print_error("sim_start_opts: %s\n", err.msg);
    assert_non_null(s);
    return s;
}

static uint64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * SB_NS_PER_S +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

/* The server's CPU share of one core over one second in which the test
 * thread only sleeps. */
static double idle_cpu_share(void)
{
    uint64_t c0 = cpu_ns(), t0 = sb_now_ns();
    usleep(1000000);
    return (double)(cpu_ns() - c0) / (double)(sb_now_ns() - t0);
}

static double worst_probe_ms;

/* GET /health on a fresh connection; fails the test unless it answers 200.
 * Returns the latency in ms. */
static double probe(int port)
{
    uint64_t t0 = sb_now_ns();
    sc_resp r;
    assert_int_equal(sc_do(port, "GET", "/health", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    sc_resp_free(&r);
    double ms = (double)(sb_now_ns() - t0) / 1e6;
    if (ms > worst_probe_ms)
        worst_probe_ms = ms;
    assert_true(ms < 2000);
    return ms;
}

/* Sockets of this server's port in TCP state st (/proc/net/tcp, IPv4). */
static int tcp_state_count(int port, int st)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        unsigned lport = 0, state = 0;
        if (sscanf(line, " %*d: %*8x:%x %*8x:%*x %x", &lport, &state) == 2 && (int)lport == port &&
            (int)state == st)
            n++;
    }
    fclose(f);
    return n;
}
#define TCP_CLOSE_WAIT 8

/* Reads until end of input or error; returns 1 when it ended with an RST. */
static int read_all(int fd, sb_buf *out)
{
    char tmp[65536];
    for (;;) {
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 && errno == ECONNRESET;
        sb_buf_append(out, tmp, (size_t)n);
    }
}

static void idle_server_uses_no_cpu(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    probe(sim_port(s));
    double share = idle_cpu_share();
    print_message("idle CPU: %.2f%% of one core\n", share * 100);
    assert_true(share < 0.05);
    sim_stop(s);
}

/* The reproduction: part of a request line, then close. */
static void cut_short_requests_close_without_spinning(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int port = sim_port(s);
    for (int i = 0; i < 50; i++) {
        int fd = sc_connect(port);
        assert_true(fd >= 0);
        const char *part =
            i % 2 ? "GET / HTTP/1.1\r\n" : "POST /v1/completions HTTP/1.1\r\nContent-Le";
        assert_int_equal(sc_send_all(fd, part, strlen(part)), 0);
        close(fd);
    }
    double ms = probe(port);
    usleep(100000);
    double share = idle_cpu_share();
    print_message("50 cut-short requests: probe %.2f ms, then CPU %.2f%% of one core\n", ms,
                  share * 100);
    assert_true(share < 0.05);
    assert_int_equal(tcp_state_count(port, TCP_CLOSE_WAIT), 0);
    sim_totals t;
    sim_get_totals(s, &t);
    assert_int_equal(t.read_timeouts, 0); /* closed at the end of input, not by a timeout */
    sim_stop(s);
}

static const unsigned char client_hello[] = {
    0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x5a, 0x11, 0x22, 0x33,
    0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x01, 0x02,
};

/* An https:// client on the plain port gets a 400 at once, not a wait. */
static void tls_hello_gets_400_at_once(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int fd = sc_connect(sim_port(s));
    assert_true(fd >= 0);
    uint64_t t0 = sb_now_ns();
    assert_int_equal(sc_send_all(fd, (const char *)client_hello, sizeof client_hello), 0);
    sb_buf out;
    sb_buf_init(&out);
    assert_int_equal(read_all(fd, &out), 0);
    close(fd);
    double ms = (double)(sb_now_ns() - t0) / 1e6;
    print_message("TLS ClientHello: 400 and close after %.2f ms\n", ms);
    assert_non_null(out.data);
    assert_true(strncmp(out.data, "HTTP/1.1 400 ", 13) == 0);
    assert_non_null(strstr(out.data, "not an HTTP/1.x request"));
    sim_totals t;
    sim_get_totals(s, &t);
    assert_int_equal(t.read_timeouts, 0); /* not the 300 ms read timeout */
    sb_buf_free(&out);
    probe(sim_port(s));
    sim_stop(s);
}

/* A good request then garbage in one write: its answer, a 400, a clean close. */
static void pipelined_garbage_gets_400_after_the_good_answer(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int fd = sc_connect(sim_port(s));
    const char req[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                       "\x01\x02garbage \xff\r\n\r\nGET /health HTTP/1.1\r\n\r\n";
    assert_int_equal(sc_send_all(fd, req, sizeof req - 1), 0);
    sb_buf out;
    sb_buf_init(&out);
    assert_int_equal(read_all(fd, &out), 0);
    close(fd);
    assert_true(strncmp(out.data, "HTTP/1.1 200 ", 13) == 0);
    const char *second = strstr(out.data + 1, "HTTP/1.1 ");
    assert_non_null(second);
    assert_true(strncmp(second, "HTTP/1.1 400 ", 13) == 0);
    assert_null(strstr(second + 1, "HTTP/1.1 ")); /* nothing after the garbage is served */
    sb_buf_free(&out);
    probe(sim_port(s));
    sim_stop(s);
}

/* A refused body keeps coming after the answer: the client still reads the
 * 413 (a lingering close, not an RST that would destroy it). */
static void refused_body_answer_survives_the_rest_of_the_body(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int fd = sc_connect(sim_port(s));
    const char head[] = "POST /v1/completions HTTP/1.1\r\nContent-Length: 200000\r\n\r\n";
    assert_int_equal(sc_send_all(fd, head, sizeof head - 1), 0);
    usleep(50000); /* the answer is out before the rest of the body comes */
    char *body = sb_xmalloc(200000);
    memset(body, 'x', 200000);
    assert_int_equal(sc_send_all(fd, body, 200000), 0);
    free(body);
    sb_buf out;
    sb_buf_init(&out);
    int reset = read_all(fd, &out);
    close(fd);
    assert_int_equal(reset, 0);
    assert_non_null(out.data);
    assert_true(strncmp(out.data, "HTTP/1.1 413 ", 13) == 0);
    sb_buf_free(&out);
    probe(sim_port(s));
    sim_stop(s);
}

static void oversized_headers_get_431(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int fd = sc_connect(sim_port(s));
    sb_buf req;
    sb_buf_init(&req);
    sb_buf_puts(&req, "GET /health HTTP/1.1\r\n");
    while (req.len < 6000)
        sb_buf_puts(&req, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    /* In small pieces, as a trickling client would send them. */
    for (size_t off = 0; off < req.len; off += 500) {
        size_t n = req.len - off < 500 ? req.len - off : 500;
        if (sc_send_all(fd, req.data + off, n) != 0)
            break; /* the server answered and closed before the rest */
        probe(sim_port(s));
    }
    sb_buf out;
    sb_buf_init(&out);
    read_all(fd, &out);
    close(fd);
    assert_non_null(out.data);
    assert_true(strncmp(out.data, "HTTP/1.1 431 ", 13) == 0);
    sb_buf_free(&out);
    sb_buf_free(&req);
    sim_stop(s);
}

/* Headers trickled forever: a 408 once the read timeout passes, the server
 * answering others meanwhile. */
static void slowloris_gets_408_after_the_read_timeout(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int port = sim_port(s);
    enum { N = 20 };
    int fds[N];
    uint64_t t0 = sb_now_ns();
    for (int i = 0; i < N; i++) {
        fds[i] = sc_connect(port);
        assert_int_equal(sc_send_all(fds[i], "GET /health HTTP/1.1\r\n", 22), 0);
    }
    /* One header byte per connection every 50 ms, far past the 300 ms limit. */
    int answered = 0;
    for (int round = 0; round < 40 && answered < N; round++) {
        usleep(50000);
        answered = 0;
        for (int i = 0; i < N; i++) {
            char c;
            if (recv(fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
                answered++;
            else
                send(fds[i], "X", 1, MSG_NOSIGNAL);
        }
        probe(port);
    }
    double waited = (double)(sb_now_ns() - t0) / 1e6;
    for (int i = 0; i < N; i++) {
        sb_buf out;
        sb_buf_init(&out);
        read_all(fds[i], &out);
        close(fds[i]);
        assert_non_null(out.data);
        assert_true(strncmp(out.data, "HTTP/1.1 408 ", 13) == 0);
        sb_buf_free(&out);
    }
    print_message("slowloris x%d: all cut off after %.0f ms (limit 300 ms); worst probe %.2f ms\n",
                  N, waited, worst_probe_ms);
    assert_true(waited >= 300);
    sim_totals t;
    sim_get_totals(s, &t);
    assert_int_equal(t.read_timeouts, N);
    sim_stop(s);
}

/* Connections that never send (half-open, from the server's side) cost
 * nothing and close after the idle timeout. */
static void silent_connections_close_after_the_idle_timeout(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int port = sim_port(s);
    enum { N = 100 };
    int fds[N];
    for (int i = 0; i < N; i++)
        assert_true((fds[i] = sc_connect(port)) >= 0);
    probe(port);
    uint64_t t0 = sb_now_ns();
    for (int i = 0; i < N; i++) {
        char c;
        assert_true(recv(fds[i], &c, 1, 0) == 0); /* closed by the server, nothing sent */
        close(fds[i]);
    }
    double ms = (double)(sb_now_ns() - t0) / 1e6;
    print_message("%d silent connections closed within %.0f ms (idle limit 600 ms)\n", N, ms);
    sim_totals t;
    sim_get_totals(s, &t);
    assert_true(t.idle_timeouts >= N);
    sim_stop(s);
}

/* A half-closed client (request, then shutdown of its sending side) gets its
 * answer and a close; a cut-short request then shutdown is just closed. */
static void half_closed_connections_are_answered_and_closed(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int port = sim_port(s);
    int fd = sc_connect(port);
    const char req[] = "GET /health HTTP/1.1\r\n\r\n";
    assert_int_equal(sc_send_all(fd, req, sizeof req - 1), 0);
    shutdown(fd, SHUT_WR);
    sb_buf out;
    sb_buf_init(&out);
    assert_int_equal(read_all(fd, &out), 0);
    close(fd);
    assert_true(strncmp(out.data, "HTTP/1.1 200 ", 13) == 0);
    sb_buf_reset(&out);
    fd = sc_connect(port);
    assert_int_equal(sc_send_all(fd, "GET /health HT", 14), 0);
    shutdown(fd, SHUT_WR);
    assert_int_equal(read_all(fd, &out), 0);
    assert_int_equal(out.len, 0);
    close(fd);
    /* A stream request then a half-close: counted as a disconnect (vLLM
     * aborts it), the connection closed, not left streaming to nobody. */
    fd = sc_connect(port);
    assert_int_equal(sc_send(fd, "POST", "/v1/completions", NULL,
                             "{\"prompt\":\"x\",\"max_tokens\":100000,\"stream\":true}"),
                     0);
    shutdown(fd, SHUT_WR);
    sb_buf_reset(&out);
    read_all(fd, &out);
    close(fd);
    sb_buf_free(&out);
    usleep(100000);
    sim_totals t;
    sim_get_totals(s, &t);
    assert_int_equal(t.client_gone, 1);
    assert_int_equal(tcp_state_count(port, TCP_CLOSE_WAIT), 0);
    double share = idle_cpu_share();
    assert_true(share < 0.05);
    probe(port);
    sim_stop(s);
}

static void reset_close(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* RSTs mid-header, mid-body and mid-stream: the stream is abandoned and
 * recorded so, and the server keeps serving. */
static void resets_are_survived_and_recorded(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, "--ttft-ms 1 --itl-ms 5");
    int port = sim_port(s);
    for (int i = 0; i < 20; i++) {
        int fd = sc_connect(port);
        assert_int_equal(sc_send_all(fd, "GET /heal", 9), 0);
        reset_close(fd);
        fd = sc_connect(port);
        const char *h = "POST /v1/completions HTTP/1.1\r\nContent-Length: 500\r\n\r\n{\"pro";
        assert_int_equal(sc_send_all(fd, h, strlen(h)), 0);
        reset_close(fd);
    }
    int fd = sc_connect(port);
    assert_int_equal(sc_send(fd, "POST", "/v1/completions", NULL,
                             "{\"prompt\":\"x\",\"max_tokens\":100000,\"stream\":true}"),
                     0);
    char c[256];
    assert_true(recv(fd, c, sizeof c, 0) > 0); /* the stream has started */
    reset_close(fd);
    probe(port);
    usleep(100000);
    sim_totals t;
    sim_get_totals(s, &t);
    assert_int_equal(t.client_gone, 1);
    assert_int_equal(t.requests, 1);
    assert_true(idle_cpu_share() < 0.05);
    sim_stop(s);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* A stream as fast as the loop can make it to a client that never reads: the
 * output stops at the cap and the client is dropped after the write timeout,
 * recorded as "write_timeout". */
static void non_reading_stream_is_capped_and_dropped(void **state)
{
    (void)state;
    char path[] = "/tmp/sb_sim_hostileXXXXXX";
    int tfd = mkstemp(path);
    assert_true(tfd >= 0);
    close(tfd);
    sim_server *s = start_limited(path, "--ttft-ms 0 --itl-ms 0");
    int fd = sc_connect(sim_port(s));
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    long rss0 = rss_kb();
    assert_int_equal(sc_send(fd, "POST", "/v1/completions", NULL,
                             "{\"prompt\":\"x\",\"max_tokens\":16000000,\"stream\":true,"
                             "\"ignore_eos\":true}"),
                     0);
    usleep(200000);
    probe(sim_port(s));
    usleep(800000); /* past the 400 ms write timeout */
    long grown = rss_kb() - rss0;
    print_message("non-reading stream: RSS grew %ld KiB before the drop (cap 64 KiB)\n", grown);
    assert_true(grown < 16 * 1024);
    sim_totals t;
    sim_get_totals(s, &t);
    assert_int_equal(t.write_timeouts, 1);
    assert_int_equal(t.client_gone, 1);
    close(fd);
    sim_stop(s);
    sb_buf rec;
    sb_buf_init(&rec);
    assert_int_equal(tu_read_file(path, &rec), 0);
    unlink(path);
    json_t *j = json_loads(rec.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "outcome")), "write_timeout");
    json_decref(j);
    sb_buf_free(&rec);
}

/* Cheap requests pipelined without reading the answers: the server stops
 * reading once its output reaches the cap (the client's sends stall) instead
 * of buffering answers without limit, and drops the client after the write
 * timeout. */
static void pipelined_flood_without_reading_is_capped(void **state)
{
    (void)state;
    sim_server *s = start_limited(NULL, NULL);
    int small = 4096;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sim_port(s))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    const char req[] = "GET /v1/models HTTP/1.1\r\n\r\n";
    size_t sent = 0;
    /* Until sends have stalled for 200 ms: the server no longer reads. Without
     * the cap it reads and answers forever and this runs to the 10 s limit. */
    uint64_t start = sb_now_ns(), last = start, now = start;
    while ((now = sb_now_ns()) - last < 200 * SB_NS_PER_MS && now - start < 10 * SB_NS_PER_S) {
        ssize_t n = send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            last = sb_now_ns();
        } else {
            usleep(1000);
        }
    }
    assert_true(now - last >= 200 * SB_NS_PER_MS);
    probe(sim_port(s));
    sim_totals t;
    sim_get_totals(s, &t);
    print_message("pipelined flood: stalled after %zu requests, %llu response bytes sent "
                  "(cap 64 KiB plus the socket buffers)\n",
                  sent / (sizeof req - 1), (unsigned long long)t.bytes_out);
    for (int i = 0; i < 100 && t.write_timeouts == 0; i++) {
        usleep(20000);
        sim_get_totals(s, &t);
    }
    assert_int_equal(t.write_timeouts, 1);
    close(fd);
    sim_stop(s);
}

/* The client leaves because of the simulator's own corrupt chunk: the record
 * says "malformed", not "client_gone". */
static void client_leaving_on_a_corrupt_chunk_is_recorded_as_malformed(void **state)
{
    (void)state;
    char path[] = "/tmp/sb_sim_hostileXXXXXX";
    int tfd = mkstemp(path);
    assert_true(tfd >= 0);
    close(tfd);
    sim_server *s = start_limited(path, "--malformed-rate 1 --ttft-ms 1 --itl-ms 20");
    int fd = sc_connect(sim_port(s));
    assert_int_equal(sc_send(fd, "POST", "/v1/completions", NULL,
                             "{\"prompt\":\"x\",\"max_tokens\":50,\"stream\":true,"
                             "\"ignore_eos\":true}"),
                     0);
    sb_buf raw;
    sb_buf_init(&raw);
    char tmp[4096];
    while (!raw.data || !strstr(raw.data, "\"text\n\n")) {
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        assert_true(n > 0);
        sb_buf_append(&raw, tmp, (size_t)n);
    }
    close(fd); /* as a client whose parser refuses the chunk */
    sb_buf_free(&raw);
    usleep(100000);
    sim_totals t;
    sim_get_totals(s, &t);
    assert_int_equal(t.client_gone, 0);
    assert_int_equal(t.faults, 1);
    sim_stop(s);
    sb_buf rec;
    sb_buf_init(&rec);
    assert_int_equal(tu_read_file(path, &rec), 0);
    unlink(path);
    json_t *j = json_loads(rec.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "outcome")), "malformed");
    json_decref(j);
    sb_buf_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idle_server_uses_no_cpu),
        cmocka_unit_test(cut_short_requests_close_without_spinning),
        cmocka_unit_test(tls_hello_gets_400_at_once),
        cmocka_unit_test(pipelined_garbage_gets_400_after_the_good_answer),
        cmocka_unit_test(refused_body_answer_survives_the_rest_of_the_body),
        cmocka_unit_test(oversized_headers_get_431),
        cmocka_unit_test(slowloris_gets_408_after_the_read_timeout),
        cmocka_unit_test(silent_connections_close_after_the_idle_timeout),
        cmocka_unit_test(half_closed_connections_are_answered_and_closed),
        cmocka_unit_test(resets_are_survived_and_recorded),
        cmocka_unit_test(non_reading_stream_is_capped_and_dropped),
        cmocka_unit_test(pipelined_flood_without_reading_is_capped),
        cmocka_unit_test(client_leaving_on_a_corrupt_chunk_is_recorded_as_malformed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    print_message("worst /health probe during the attacks: %.2f ms\n", worst_probe_ms);
    return rc;
}
