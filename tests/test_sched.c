/* SPDX-License-Identifier: Apache-2.0 */
/* test_sched.c - the arrival schedule against the reference computation
 * (vllm's get_request delay_ts, run with real numpy by
 * tests/gen/gen_rng_vectors.py into tests/data/rng/sched.json), the
 * reference's validation messages, and the sender's deadlines. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "sched/sched.h"

static json_t *load_sched_vectors(void)
{
    char path[4096];
    const char *dir = getenv("SB_RNG_VECTOR_DIR");
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/sched.json", dir);
    } else {
        char *p = tu_data_path("rng/sched.json");
        snprintf(path, sizeof path, "%s", p);
        free(p);
    }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        fail_msg("%s:%d: %s", path, je.line, je.text);
    return root;
}

static double hexd(json_t *v)
{
    const char *s = json_string_value(v);
    if (!s)
        fail_msg("expected a float.hex string");
    return strtod(s, NULL);
}

static void config_from_case(json_t *c, sched_opts *cfg)
{
    *cfg = (sched_opts){.ramp_up = SCHED_RAMP_NONE};
    cfg->request_rate = hexd(json_object_get(c, "rate"));
    cfg->burstiness = hexd(json_object_get(c, "burstiness"));
    const char *ramp = json_string_value(json_object_get(c, "ramp"));
    if (!strcmp(ramp, "linear"))
        cfg->ramp_up = SCHED_RAMP_LINEAR;
    else if (!strcmp(ramp, "exponential"))
        cfg->ramp_up = SCHED_RAMP_EXPONENTIAL;
    if (cfg->ramp_up != SCHED_RAMP_NONE) {
        cfg->ramp_up_start_rps = (double)json_integer_value(json_object_get(c, "start"));
        cfg->ramp_up_end_rps = (double)json_integer_value(json_object_get(c, "end"));
    }
}

static void check_case(json_t *c, size_t ci)
{
    sched_opts cfg;
    config_from_case(c, &cfg);
    size_t n = (size_t)json_integer_value(json_object_get(c, "n"));
    np_rs rs;
    np_rs_seed(&rs, (uint32_t)json_integer_value(json_object_get(c, "seed")));
    sched_plan p;
    sb_err err = {{0}};
    if (sched_plan_build(&cfg, n, &rs, NULL, &p, &err) < 0)
        fail_msg("case %zu: %s", ci, err.msg);
    json_t *offs = json_object_get(c, "offsets");
    assert_int_equal(p.n, json_array_size(offs));
    for (size_t i = 0; i < n; i++) {
        double want = hexd(json_array_get(offs, i));
        if (memcmp(&want, &p.offset_s[i], sizeof want) != 0)
            fail_msg("case %zu request %zu: offset want %a got %a", ci, i, want, p.offset_s[i]);
        assert_true(i == 0 || p.offset_ns[i] >= p.offset_ns[i - 1]);
        assert_true(fabs((double)p.offset_ns[i] - want * 1e9) <= 0.5 + want * 1e-6);
    }
    json_t *ev = json_object_get(c, "events");
    assert_int_equal(p.n_events, json_array_size(ev));
    for (size_t e = 0; e < p.n_events; e++) {
        json_t *pair = json_array_get(ev, e);
        size_t idx = (size_t)json_integer_value(json_array_get(pair, 1));
        assert_true(p.events[e].rps == (double)json_integer_value(json_array_get(pair, 0)));
        assert_int_equal(p.events[e].request_index, idx);
        assert_int_equal(p.events[e].at_ns, e == 0 ? 0 : p.offset_ns[idx]);
    }
    sched_plan_free(&p);
}

static void offsets_and_events_match_the_reference(void **state)
{
    (void)state;
    json_t *root = load_sched_vectors();
    json_t *cases = json_object_get(root, "cases");
    assert_true(json_array_size(cases) > 0);
    for (size_t i = 0; i < json_array_size(cases); i++)
        check_case(json_array_get(cases, i), i);
    json_decref(root);
}

/* Builds with the given load shape and returns the error message ("" = ok). */
static const char *build_msg(sched_opts *cfg, size_t n, sb_err *err)
{
    np_rs rs;
    np_rs_seed(&rs, 0);
    sched_plan p;
    err->msg[0] = '\0';
    if (sched_plan_build(cfg, n, &rs, NULL, &p, err) == 0)
        sched_plan_free(&p);
    return err->msg;
}

static void invalid_load_shapes_give_the_reference_messages(void **state)
{
    (void)state;
    sched_opts cfg;
    sb_err err;
    cfg = (sched_opts){.request_rate = INFINITY, .burstiness = 1.0};
    cfg.ramp_up = SCHED_RAMP_LINEAR;
    cfg.ramp_up_start_rps = 1;
    cfg.ramp_up_end_rps = 5;
    cfg.request_rate = 10;
    assert_string_equal(build_msg(&cfg, 10, &err),
                        "When using ramp-up, do not specify --request-rate. The request rate "
                        "will be controlled by ramp-up parameters.");
    cfg.request_rate = INFINITY;
    cfg.ramp_up_end_rps = NAN;
    assert_string_equal(build_msg(&cfg, 10, &err),
                        "When using --ramp-up-strategy, both --ramp-up-start-rps and "
                        "--ramp-up-end-rps must be specified");
    cfg.ramp_up_end_rps = 0.5;
    assert_non_null(strstr(build_msg(&cfg, 10, &err), "whole numbers"));
    /* Regression: 2^53 + 1 rounds to 2^53, where v + 1 == v; that spun forever. */
    cfg.ramp_up_start_rps = cfg.ramp_up_end_rps = 9007199254740993.0;
    assert_non_null(strstr(build_msg(&cfg, 10, &err), "whole numbers"));
    cfg.ramp_up_start_rps = cfg.ramp_up_end_rps = 9007199254740991.0;
    assert_string_equal(build_msg(&cfg, 10, &err), "");
    cfg.ramp_up_start_rps = 1;
    cfg.ramp_up_end_rps = 2e7;
    assert_non_null(strstr(build_msg(&cfg, 10, &err), "more than 10000000 rate change events"));
    cfg.ramp_up_end_rps = -2;
    assert_string_equal(build_msg(&cfg, 10, &err),
                        "Ramp-up start and end RPS must be non-negative");
    cfg.ramp_up_end_rps = 0;
    assert_string_equal(build_msg(&cfg, 10, &err), "Ramp-up start RPS must be less than end RPS");
    cfg.ramp_up = SCHED_RAMP_EXPONENTIAL;
    cfg.ramp_up_start_rps = 0;
    cfg.ramp_up_end_rps = 4;
    assert_string_equal(build_msg(&cfg, 10, &err),
                        "For exponential ramp-up, the start RPS cannot be 0.");
    cfg.ramp_up = SCHED_RAMP_LINEAR; /* the reference asserts on request 0's rate 0 */
    assert_string_equal(build_msg(&cfg, 10, &err), "Obtained non-positive request rate 0.0.");
    cfg.ramp_up = SCHED_RAMP_NONE;
    cfg.request_rate = 0;
    assert_string_equal(build_msg(&cfg, 10, &err), "Obtained non-positive request rate 0.0.");
    cfg.request_rate = -2.5;
    assert_string_equal(build_msg(&cfg, 10, &err), "Obtained non-positive request rate -2.5.");
    cfg.request_rate = 10;
    cfg.burstiness = 0;
    assert_string_equal(build_msg(&cfg, 10, &err),
                        "A positive burstiness factor is expected, but given 0.0.");
    cfg.burstiness = -1e-7;
    assert_string_equal(build_msg(&cfg, 10, &err),
                        "A positive burstiness factor is expected, but given -1e-07.");
    cfg.burstiness = NAN;
    assert_string_equal(build_msg(&cfg, 10, &err),
                        "A positive burstiness factor is expected, but given nan.");
    cfg.burstiness = 1;
    assert_string_equal(build_msg(&cfg, 0, &err), "No requests provided.");
    assert_string_equal(build_msg(&cfg, 3, &err), "");
}

/* Numbers in messages read as Python's repr(float) (values from CPython). */
static void messages_print_numbers_like_python_repr(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *repr;
    } cases[] = {
        {-0.0, "-0.0"},
        {-1e-07, "-1e-07"},
        {-123456789012345680.0, "-1.2345678901234568e+17"},
        {-0.1, "-0.1"},
        {-1e16, "-1e+16"},
        {-9999999999999998.0, "-9999999999999998.0"},
        {-0.0001, "-0.0001"},
        {-1.5e-05, "-1.5e-05"},
        {-2.5, "-2.5"},
        {-100.0, "-100.0"},
        {-1e300, "-1e+300"},
        {-5e-324, "-5e-324"},
        {-1.0 / 3.0, "-0.3333333333333333"},
        {-INFINITY, "-inf"},
    };
    sched_opts cfg;
    cfg = (sched_opts){.request_rate = INFINITY, .burstiness = 1.0};
    cfg.request_rate = 10;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "A positive burstiness factor is expected, but given %s.",
                 cases[i].repr);
        cfg.burstiness = cases[i].v;
        sb_err err;
        assert_string_equal(build_msg(&cfg, 3, &err), want);
    }
}

static void infinite_rate_sends_everything_at_zero_without_drawing(void **state)
{
    (void)state;
    sched_opts cfg;
    cfg = (sched_opts){.request_rate = INFINITY, .burstiness = 1.0};
    np_rs rs, fresh;
    np_rs_seed(&rs, 9);
    np_rs_seed(&fresh, 9);
    sched_plan p;
    sb_err err;
    assert_int_equal(sched_plan_build(&cfg, 100, &rs, NULL, &p, &err), 0);
    for (size_t i = 0; i < p.n; i++)
        assert_int_equal(p.offset_ns[i], 0);
    assert_int_equal(p.n_events, 0);
    /* The global RandomState is shared with datasets: no draw may be consumed. */
    assert_int_equal(np_rs_next32(&rs), np_rs_next32(&fresh));
    sched_plan_free(&p);
}

static void last_request_goes_out_at_n_over_rate(void **state)
{
    (void)state;
    sched_opts cfg;
    cfg = (sched_opts){.request_rate = INFINITY, .burstiness = 1.0};
    cfg.request_rate = 250;
    cfg.burstiness = 0.3;
    np_rs rs;
    np_rs_seed(&rs, 1234);
    sched_plan p;
    sb_err err;
    assert_int_equal(sched_plan_build(&cfg, 5000, &rs, NULL, &p, &err), 0);
    assert_int_equal(p.offset_ns[p.n - 1], 20 * SB_NS_PER_S); /* 5000 / 250 s */
    assert_true(p.offset_ns[0] > 0); /* the first request waits one gap too */
    sched_plan_free(&p);
}

static void deadlines_are_absolute_so_nothing_drifts(void **state)
{
    (void)state;
    sched_opts cfg;
    cfg = (sched_opts){.request_rate = INFINITY, .burstiness = 1.0};
    cfg.request_rate = 3;
    cfg.burstiness = INFINITY;
    sched_plan p;
    sb_err err;
    assert_int_equal(sched_plan_build(&cfg, 3000, NULL, NULL, &p, &err), 0);
    uint64_t start = 123456789;
    /* Request 2999 is due exactly 1000 s after the start, however late the
     * earlier sends were: its deadline does not depend on them. */
    assert_int_equal(sched_deadline_ns(&p, 2999, start), start + 1000 * SB_NS_PER_S);
    for (size_t i = 0; i < p.n; i++) {
        uint64_t want = (uint64_t)llround((double)(i + 1) / 3.0 * 1e9);
        uint64_t got = sched_deadline_ns(&p, i, start) - start;
        assert_true(got + 1 >= want && got <= want + 1);
    }
    sched_plan_free(&p);
}

static void due_requests_are_found_from_a_cursor(void **state)
{
    (void)state;
    sched_opts cfg;
    cfg = (sched_opts){.request_rate = INFINITY, .burstiness = 1.0};
    double ts[6] = {0.0, 0.0, 1.0, 1.0, 2.5, 4.0};
    sched_plan p;
    sb_err err;
    assert_int_equal(sched_plan_build(&cfg, 6, NULL, ts, &p, &err), 0);
    uint64_t s0 = 1000;
    assert_int_equal(sched_due(&p, 0, s0, 999), 0); /* before the start */
    assert_int_equal(sched_due(&p, 0, s0, s0), 2);  /* both t=0 requests */
    assert_int_equal(sched_due(&p, 2, s0, s0 + 999999999), 2);
    assert_int_equal(sched_due(&p, 2, s0, s0 + SB_NS_PER_S), 4);
    assert_int_equal(sched_due(&p, 4, s0, s0 + 3 * SB_NS_PER_S), 5); /* late wake: 2.5 due */
    assert_int_equal(sched_due(&p, 5, s0, s0 + 60 * SB_NS_PER_S), 6);
    assert_int_equal(sched_due(&p, 6, s0, s0 + 60 * SB_NS_PER_S), 6);
    sched_plan_free(&p);
    /* Infinite rate: everything is due at once. */
    assert_int_equal(sched_plan_build(&cfg, 50, NULL, NULL, &p, &err), 0);
    assert_int_equal(sched_due(&p, 0, s0, s0), 50);
    sched_plan_free(&p);
}

static void trace_timestamps_are_used_as_is(void **state)
{
    (void)state;
    sched_opts cfg;
    cfg = (sched_opts){.request_rate = INFINITY, .burstiness = 1.0};
    double ts[5] = {0.0, 1.5, 1.25, 3.0, -1.0};
    sched_plan p;
    sb_err err;
    assert_int_equal(sched_plan_build(&cfg, 5, NULL, ts, &p, &err), 0);
    assert_true(p.offset_s[2] == 1.25 && p.offset_s[4] == -1.0);
    /* Sent in list order: an earlier stamp after a later one goes right after it. */
    uint64_t want[5] = {0, 1500000000u, 1500000000u, 3000000000u, 3000000000u};
    for (int i = 0; i < 5; i++)
        assert_int_equal(p.offset_ns[i], want[i]);
    sched_plan_free(&p);
    /* Gamma gaps without a RandomState: an error, not a crash. */
    cfg.request_rate = 5;
    assert_int_equal(sched_plan_build(&cfg, 5, NULL, NULL, &p, &err), -1);
    assert_non_null(strstr(err.msg, "RandomState"));
    ts[3] = NAN;
    assert_int_equal(sched_plan_build(&cfg, 5, NULL, ts, &p, &err), -1);
    assert_string_equal(err.msg, "send offset of request 3 is not a number");
}

/* Any mix of hostile numbers either builds a sane plan or says why. */
static void random_load_shapes_never_crash(void **state)
{
    (void)state;
    const double vals[] = {0,     -1,   1e-300, 1e-9,     0.5,       1,    3,   1000,
                           1e300, 1e15, NAN,    INFINITY, -INFINITY, 7.25, 2e7, 9007199254740993.0};
    const size_t nv = sizeof vals / sizeof vals[0];
    py_random pick;
    py_random_seed(&pick, 2024);
    sched_opts cfg;
    cfg = (sched_opts){.request_rate = INFINITY, .burstiness = 1.0};
    for (int it = 0; it < 3000; it++) {
        cfg.request_rate = vals[py_random_randbelow(&pick, nv)];
        cfg.burstiness = vals[py_random_randbelow(&pick, nv)];
        cfg.ramp_up = (sched_ramp)py_random_randbelow(&pick, 3);
        cfg.ramp_up_start_rps = vals[py_random_randbelow(&pick, nv)];
        cfg.ramp_up_end_rps = vals[py_random_randbelow(&pick, nv)];
        size_t n = (size_t)py_random_randbelow(&pick, 50);
        np_rs rs;
        np_rs_seed(&rs, (uint32_t)it);
        sched_plan p;
        sb_err err = {{0}};
        if (sched_plan_build(&cfg, n, &rs, NULL, &p, &err) == 0) {
            assert_int_equal(p.n, n);
            for (size_t i = 1; i < n; i++)
                assert_true(p.offset_ns[i] >= p.offset_ns[i - 1]);
            sched_plan_free(&p);
        } else {
            assert_true(err.msg[0] != '\0');
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offsets_and_events_match_the_reference),
        cmocka_unit_test(invalid_load_shapes_give_the_reference_messages),
        cmocka_unit_test(messages_print_numbers_like_python_repr),
        cmocka_unit_test(infinite_rate_sends_everything_at_zero_without_drawing),
        cmocka_unit_test(last_request_goes_out_at_n_over_rate),
        cmocka_unit_test(deadlines_are_absolute_so_nothing_drifts),
        cmocka_unit_test(trace_timestamps_are_used_as_is),
        cmocka_unit_test(due_requests_are_found_from_a_cursor),
        cmocka_unit_test(random_load_shapes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
