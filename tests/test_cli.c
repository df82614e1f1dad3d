/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli.c - `servebench serve` flags: the seed command lines of
 * shared/reference/seed-commands.md parse to the expected config, plus the
 * parsing rules (=, underscores, nargs lists, dotted JSON), bad values with
 * their messages, defaults, help and the docs listing every flag. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Splits a command line on spaces (no quoting needed by these tests) into a
 * NULL-terminated argv whose argv[0] is "serve". */
typedef struct args {
    char *buf;
    char *argv[128];
    int argc;
} args;

static void split(args *a, const char *line)
{
    a->buf = strdup(line);
    a->argc = 0;
    a->argv[a->argc++] = "serve";
    for (char *save = NULL, *t = strtok_r(a->buf, " \n\\", &save); t;
         t = strtok_r(NULL, " \n\\", &save))
        a->argv[a->argc++] = t;
    a->argv[a->argc] = NULL;
}

static int parse(const char *line, sb_config *cfg, sb_buf *notes, sb_err *err)
{
    args a;
    split(&a, line);
    int rc = cli_parse_serve(a.argc, a.argv, cfg, notes, err);
    free(a.buf);
    return rc;
}

static void parse_ok(const char *line, sb_config *cfg, sb_buf *notes)
{
    sb_err err = {{0}};
    int rc = parse(line, cfg, notes, &err);
    if (rc != CLI_PARSED)
        print_error("parse failed: %s\n", err.msg);
    assert_int_equal(rc, CLI_PARSED);
}

/* Expects a usage error whose message contains want. */
static void parse_bad(const char *line, const char *want)
{
    sb_config cfg;
    sb_buf notes;
    sb_err err = {{0}};
    sb_buf_init(&notes);
    assert_int_equal(parse(line, &cfg, &notes, &err), -1);
    if (!strstr(err.msg, want))
        print_error("message '%s' lacks '%s'\n", err.msg, want);
    assert_non_null(strstr(err.msg, want));
    sb_buf_free(&notes);
}

static void cli_seed1_old_script_random_with_concurrency(void **state)
{
    (void)state;
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok("--host 0.0.0.0 --port 8802 --backend vllm \\\n"
             "  --model /workspace/DeepSeek-R1-0528-tokenizer --dataset-name random "
             "--max-concurrency 10 \\\n  --num-prompts 50 --random-input-len 1024 "
             "--random-output-len 1024 --ignore-eos",
             &c, &n);
    assert_string_equal(c.host, "0.0.0.0");
    assert_int_equal(c.port, 8802);
    assert_string_equal(c.backend, "vllm");
    assert_string_equal(c.model, "/workspace/DeepSeek-R1-0528-tokenizer");
    assert_string_equal(c.ds.name, "random");
    assert_int_equal(c.max_concurrency, 10);
    assert_int_equal(c.ds.num_prompts, 50);
    assert_int_equal(c.ds.random_input_len, 1024);
    assert_int_equal(c.ds.random_output_len, 1024);
    assert_true(c.ignore_eos);
    assert_true(isinf(c.request_rate));
    assert_null(c.base_url);
    assert_int_equal(n.len, 0); /* nothing to warn about */
    sb_config_free(&c);
    sb_buf_free(&n);
}

static void cli_seed2_new_cli_sharegpt_chat_with_underscore(void **state)
{
    (void)state;
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok("--backend vllm --base_url http://127.0.0.1:9400 --model qwen32b \\\n"
             "  --tokenizer /mnt/data/models/DeepSeek-R1-Distill-Qwen-32B --endpoint-type "
             "openai-chat \\\n  --endpoint /v1/chat/completions --dataset-name sharegpt \\\n"
             "  --dataset-path /mnt/data/tools/vllm/ShareGPT_V3_unfiltered_cleaned_split.json \\\n"
             "  --sharegpt-output-len 1024 --percentile-metrics ttft,tpot,itl,e2el "
             "--metric-percentiles 95,99 \\\n  --num-prompts 16 --request-rate 8",
             &c, &n);
    assert_string_equal(c.base_url, "http://127.0.0.1:9400");
    /* --endpoint-type is --backend's other name: the later one wins, with a warning */
    assert_string_equal(c.backend, "openai-chat");
    assert_non_null(strstr(n.data, "--backend given more than once"));
    assert_string_equal(c.tokenizer, "/mnt/data/models/DeepSeek-R1-Distill-Qwen-32B");
    assert_string_equal(c.endpoint, "/v1/chat/completions");
    assert_string_equal(c.ds.name, "sharegpt");
    assert_string_equal(c.ds.path,
                        "/mnt/data/tools/vllm/ShareGPT_V3_unfiltered_cleaned_split.json");
    assert_int_equal(c.ds.sharegpt_output_len, 1024);
    assert_string_equal(c.percentile_metrics, "ttft,tpot,itl,e2el");
    assert_int_equal(c.n_metric_percentiles, 2);
    assert_true(c.metric_percentiles[0] == 95.0 && c.metric_percentiles[1] == 99.0);
    assert_int_equal(c.ds.num_prompts, 16);
    assert_true(c.request_rate == 8.0);
    sb_config_free(&c);
    sb_buf_free(&n);
}

static void cli_seed3_defaults_for_everything_else(void **state)
{
    (void)state;
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok("--model Qwen/Qwen3-4B --host 127.0.0.1 --port 8000 \\\n"
             "  --random-input-len 1024 --random-output-len 1024 --num-prompts 5",
             &c, &n);
    assert_string_equal(c.model, "Qwen/Qwen3-4B");
    assert_string_equal(c.backend, "openai");
    assert_string_equal(c.endpoint, "/v1/completions");
    assert_string_equal(c.ds.name, "random");
    assert_int_equal(c.ds.num_prompts, 5);
    assert_int_equal(c.ds.random_output_len, 1024);
    assert_true(isinf(c.request_rate));
    assert_true(c.burstiness == 1.0);
    assert_int_equal(c.max_concurrency, -1);
    assert_int_equal(c.ds.seed, 0);
    assert_null(c.percentile_metrics);
    assert_int_equal(c.n_metric_percentiles, 1);
    assert_true(c.metric_percentiles[0] == 99.0);
    assert_false(c.goodput_set);
    assert_false(c.save_result);
    assert_true(c.ds.random_range_ratio_in == 0.0 && c.ds.random_range_ratio_out == 0.0);
    assert_true(isnan(c.temperature));
    assert_int_equal(c.logprobs, -1);
    sb_config_free(&c);
    sb_buf_free(&n);
}

static void cli_seed4_sharegpt_completions(void **state)
{
    (void)state;
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok("--backend vllm --model Valdemardi/DeepSeek-R1-Distill-Llama-70B-AWQ \\\n"
             "  --endpoint /v1/completions --dataset-name sharegpt \\\n"
             "  --dataset-path /vllm-workspace/data/ShareGPT_V3_unfiltered_cleaned_split.json "
             "--num-prompts 100",
             &c, &n);
    assert_string_equal(c.model, "Valdemardi/DeepSeek-R1-Distill-Llama-70B-AWQ");
    assert_string_equal(c.ds.name, "sharegpt");
    assert_int_equal(c.ds.num_prompts, 100);
    assert_int_equal(c.ds.sharegpt_output_len, -1);
    sb_config_free(&c);
    sb_buf_free(&n);
}

static void cli_equals_underscores_and_lists(void **state)
{
    (void)state;
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok("--request_rate=inf --max_concurrency=4 --num-prompts=3 --metadata a=1 b=x=y "
             "--goodput ttft:500 tpot:50 --lora-modules l1 l2 --header X-A=1 Authorization=Bearer"
             " --result-dir=out --sim --sim-arg=--ttft-ms=20 --sim-arg --itl-ms=5 "
             "--random-range-ratio={\"input\":0.1,\"output\":0.5} --seed 42",
             &c, &n);
    assert_true(isinf(c.request_rate));
    assert_int_equal(c.max_concurrency, 4);
    assert_int_equal(c.n_metadata, 2);
    assert_string_equal(c.metadata[1].key, "b");
    assert_string_equal(c.metadata[1].value, "x=y"); /* split at the first '=' */
    assert_true(c.goodput_set);
    assert_true(c.goodput_ttft_ms == 500 && c.goodput_tpot_ms == 50 && isnan(c.goodput_e2el_ms));
    assert_int_equal(c.n_lora_modules, 2);
    assert_string_equal(c.lora_modules[1], "l2");
    assert_int_equal(c.n_headers, 2);
    assert_string_equal(c.headers[1].value, "Bearer");
    assert_string_equal(c.result_dir, "out");
    assert_true(c.sim);
    assert_int_equal(c.n_sim_args, 2);
    assert_string_equal(c.sim_args[0], "--ttft-ms=20");
    assert_string_equal(c.sim_args[1], "--itl-ms=5");
    assert_true(c.ds.random_range_ratio_in == 0.1 && c.ds.random_range_ratio_out == 0.5);
    assert_int_equal(c.ds.seed, 42);
    sb_buf s;
    sb_buf_init(&s);
    cli_serve_summary(&c, &s);
    assert_non_null(strstr(s.data, "header=['X-A=<redacted>', 'Authorization=<redacted>']"));
    assert_null(strstr(s.data, "Bearer"));
    assert_non_null(strstr(s.data, "random_range_ratio={'input': 0.1, 'output': 0.5}"));
    assert_non_null(strstr(s.data, "request_rate=inf"));
    sb_buf_free(&s);
    sb_config_free(&c);
    sb_buf_free(&n);
}

static void cli_dotted_extra_body_builds_json(void **state)
{
    (void)state;
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok("--extra-body {\"a\":1,\"keep\":true} --extra-body.a 2 --extra_body.b.c 1k "
             "--extra-body.name x --extra-body.stop+ a,2",
             &c, &n);
    json_t *j = json_loads(c.extra_body, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 2);
    assert_true(json_is_true(json_object_get(j, "keep")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "b"), "c")), 1000);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "x");
    json_t *stop = json_object_get(j, "stop");
    assert_int_equal(json_array_size(stop), 2);
    assert_string_equal(json_string_value(json_array_get(stop, 0)), "a");
    assert_int_equal(json_integer_value(json_array_get(stop, 1)), 2);
    json_decref(j);
    sb_config_free(&c);
    sb_buf_free(&n);
}

static void cli_unknown_flag_suggests_closest(void **state)
{
    (void)state;
    parse_bad("--modle x", "unknown option --modle (did you mean --model?)");
    parse_bad("--request-rat 5", "did you mean --request-rate?");
    parse_bad("--max_concurency 5", "did you mean --max-concurrency?");
    parse_bad("stray", "unrecognized argument: 'stray'");
    parse_bad("--backend opena", "invalid choice: 'opena' (did you mean 'openai'?");
    parse_bad("--host.x 1", "only JSON-object flags");
}

static void cli_bad_values_are_usage_errors(void **state)
{
    (void)state;
    parse_bad("--request-rate abc", "--request-rate: invalid float value: 'abc'");
    parse_bad("--request-rate 0", "--request-rate must be > 0");
    parse_bad("--num-prompts 1.5", "--num-prompts: invalid int value: '1.5'");
    parse_bad("--port 70000", "--port 70000");
    parse_bad("--max-concurrency 0", "--max-concurrency must be a positive integer");
    parse_bad("--max-concurrency -3", "--max-concurrency must be a positive integer");
    parse_bad("--random-range-ratio 1.0", "each ratio must be in [0, 1)");
    parse_bad("--random-range-ratio {\"input\":0.1}", "neither a number nor a JSON object");
    parse_bad("--metric-percentiles 99,abc", "'abc' is not a percentile");
    parse_bad("--burstiness 0", "--burstiness must be > 0");
    parse_bad("--ignore-eos=yes", "takes no value");
    parse_bad("--model", "--model needs a value");
    parse_bad("--model --port 1", "--model needs a value");
    parse_bad("--metadata", "--metadata needs a value");
    parse_bad("--metadata novalue", "please use KEY=VALUE format");
    parse_bad("--header Foo", "--header: invalid item 'Foo'");
    parse_bad("--extra-body [1,2]", "--extra-body: not a JSON object");
    parse_bad("--seed -1", "--seed: invalid value '-1'");
    parse_bad("--plot-timeline --timeline-itl-thresholds 25", "Invalid --timeline-itl-thresholds");
}

static void cli_goodput_messages_are_the_references(void **state)
{
    (void)state;
    parse_bad("--goodput ttft=5", "Invalid format found for service level objectives. Specify "
                                  "service level objectives for goodput as \"KEY:VALUE\" pairs");
    parse_bad("--goodput ttft:abc", "Invalid format found");
    parse_bad("--goodput itl:5", "Invalid metric name found, itl: 5.0. The service level "
                                 "objective name should be one of ['ttft', 'tpot', 'e2el']. ");
    parse_bad("--goodput itl:123456789", "Invalid metric name found, itl: 123456789.0.");
    parse_bad("--goodput e2el:-1", "Invalid value found, e2el: -1.0. The service level "
                                   "objective value should be non-negative.");
}

static void cli_ramp_up_rules(void **state)
{
    (void)state;
    parse_bad("--ramp-up-strategy linear --request-rate 5 --ramp-up-start-rps 1 "
              "--ramp-up-end-rps 2",
              "When using ramp-up, do not specify --request-rate.");
    parse_bad("--ramp-up-strategy linear --ramp-up-start-rps 1",
              "both --ramp-up-start-rps and --ramp-up-end-rps must be specified");
    parse_bad("--ramp-up-strategy linear --ramp-up-start-rps 5 --ramp-up-end-rps 2",
              "Ramp-up start RPS must be less than end RPS");
    parse_bad("--ramp-up-strategy exponential --ramp-up-start-rps 0 --ramp-up-end-rps 2",
              "For exponential ramp-up, the start RPS cannot be 0.");
    parse_bad("--ramp-up-strategy linear --ramp-up-start-rps -1 --ramp-up-end-rps 2",
              "must be non-negative");
    parse_bad("--ramp-up-strategy fast", "invalid choice: 'fast'");
    parse_bad("--ramp-up-start-rps 1.5", "invalid int value: '1.5'");
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok("--ramp-up-strategy exponential --ramp-up-start-rps 1 --ramp-up-end-rps 20", &c, &n);
    assert_int_equal(c.ramp_up, SB_RAMP_EXPONENTIAL);
    assert_true(c.ramp_up_start_rps == 1 && c.ramp_up_end_rps == 20);
    sb_config_free(&c);
    sb_buf_free(&n);
}

static void cli_dataset_and_backend_rules(void **state)
{
    (void)state;
    parse_bad("--dataset-path x.json", "cannot be used with --dataset-name random");
    parse_bad("--dataset-name prefix_repetition --dataset-path x", "prefix_repetition");
    parse_bad("--dataset-name sharegpt", "needs --dataset-path");
    parse_bad("--backend tgi --endpoint /generate_stream --temperature 0",
              "Sampling parameters are only supported by openai-compatible backends");
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    /* legacy --dataset = ShareGPT path; generic lengths copied */
    parse_ok("--dataset /data/sg.json --output-len 77 --input-len 33 --trust-remote-code "
             "--append-result --percentile-metrics ttft,bogus",
             &c, &n);
    assert_string_equal(c.ds.name, "sharegpt");
    assert_string_equal(c.ds.path, "/data/sg.json");
    assert_int_equal(c.ds.sharegpt_output_len, 77);
    assert_int_equal(c.ds.random_output_len, 77);
    assert_int_equal(c.ds.custom_output_len, 77);
    assert_int_equal(c.ds.random_input_len, 33);
    assert_true(c.save_result);
    assert_non_null(strstr(n.data, "--trust-remote-code is accepted for compatibility"));
    assert_non_null(strstr(n.data, "'bogus' is not one of"));
    assert_non_null(strstr(n.data, "legacy name"));
    sb_config_free(&c);
    sb_buf_free(&n);
}

static void cli_duplicates_warn_and_keep_last(void **state)
{
    (void)state;
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok("--num-prompts 5 --num_prompts 7 --metadata a=1 --metadata b=2", &c, &n);
    assert_int_equal(c.ds.num_prompts, 7);
    assert_int_equal(c.n_metadata, 1);
    assert_string_equal(c.metadata[0].key, "b");
    assert_non_null(strstr(n.data, "warning: --num-prompts given more than once"));
    assert_non_null(strstr(n.data, "warning: --metadata given more than once"));
    sb_config_free(&c);
    sb_buf_free(&n);
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/sbcfgXXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* --config FILE.yaml: keys become flags, the command line wins silently. */
static void cli_config_yaml_expands_to_flags(void **state)
{
    (void)state;
    char *path = write_tmp("# bench settings\n---\nnum_prompts: 5\nmodel: \"org/m\"\n"
                           "ignore-eos: true\ndisable_tqdm: false\nmetadata: [a=1, 'b=2']\n"
                           "goodput:\n  - ttft:100\n  - tpot:10\nrequest-rate: 5  # rps\n");
    char line[256];
    snprintf(line, sizeof line, "--config %s --num-prompts 9", path);
    sb_config c;
    sb_buf n;
    sb_buf_init(&n);
    parse_ok(line, &c, &n);
    assert_int_equal(c.ds.num_prompts, 9);
    assert_string_equal(c.model, "org/m");
    assert_true(c.ignore_eos);
    assert_false(c.disable_tqdm);
    assert_int_equal(c.n_metadata, 2);
    assert_string_equal(c.metadata[1].value, "2");
    assert_true(c.goodput_ttft_ms == 100 && c.goodput_tpot_ms == 10);
    assert_true(c.request_rate == 5.0);
    assert_null(strstr(n.data ? n.data : "", "more than once"));
    sb_config_free(&c);
    sb_buf_free(&n);
    unlink(path);
    free(path);
    path = write_tmp("model: m\njust words\n");
    snprintf(line, sizeof line, "--config=%s", path);
    char want[256];
    snprintf(want, sizeof want, "--config %s:3:1: could not find expected ':'", path);
    parse_bad(line, want);
    unlink(path);
    free(path);
    parse_bad("--config /no/such.yaml", "--config /no/such.yaml: No such file");
    parse_bad("--config a.yaml --config b.yaml", "--config given more than once");
}

static void cli_help_lists_every_flag_and_docs_match(void **state)
{
    (void)state;
    sb_config c;
    sb_buf n, help, doc;
    sb_err err;
    sb_buf_init(&n);
    sb_buf_init(&help);
    sb_buf_init(&doc);
    assert_int_equal(parse("--model x --help", &c, &n, &err), CLI_HELP);
    cli_serve_help(&help);
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/serve.md", tu_env("SB_SOURCE_DIR"));
    assert_int_equal(tu_read_file(path, &doc), 0);
    for (size_t i = 0; i < cli_flag_count(); i++) {
        char want[128];
        snprintf(want, sizeof want, "--%s", cli_flag_name(i));
        if (!strstr(help.data, want) || !strstr(doc.data, want))
            print_error("%s missing from --help or docs/serve.md\n", want);
        assert_non_null(strstr(help.data, want));
        assert_non_null(strstr(doc.data, want));
    }
    /* the docs' flag tables are exactly the generated ones */
    sb_buf md;
    sb_buf_init(&md);
    cli_serve_help_markdown(&md);
    if (!strstr(doc.data, md.data))
        print_error("docs/serve.md flag tables differ from `servebench serve --help-markdown`\n");
    assert_non_null(strstr(doc.data, md.data));
    sb_buf_free(&md);
    sb_buf_free(&n);
    sb_buf_free(&help);
    sb_buf_free(&doc);
}

static void cli_binary_exit_status_and_messages(void **state)
{
    (void)state;
    char cmd[4096];
    sb_buf out;
    sb_buf_init(&out);
    snprintf(cmd, sizeof cmd, "%s serve --modle x", tu_env("SB_BIN"));
    assert_int_equal(tu_run(cmd, 1, &out), 2);
    assert_non_null(strstr(out.data, "servebench serve: error: unknown option --modle "
                                     "(did you mean --model?)"));
    sb_buf_reset(&out);
    snprintf(cmd, sizeof cmd, "%s serve --help", tu_env("SB_BIN"));
    assert_int_equal(tu_run(cmd, 0, &out), 0);
    assert_non_null(strstr(out.data, "Load shape:"));
    sb_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cli_seed1_old_script_random_with_concurrency),
        cmocka_unit_test(cli_seed2_new_cli_sharegpt_chat_with_underscore),
        cmocka_unit_test(cli_seed3_defaults_for_everything_else),
        cmocka_unit_test(cli_seed4_sharegpt_completions),
        cmocka_unit_test(cli_equals_underscores_and_lists),
        cmocka_unit_test(cli_dotted_extra_body_builds_json),
        cmocka_unit_test(cli_unknown_flag_suggests_closest),
        cmocka_unit_test(cli_bad_values_are_usage_errors),
        cmocka_unit_test(cli_goodput_messages_are_the_references),
        cmocka_unit_test(cli_ramp_up_rules),
        cmocka_unit_test(cli_dataset_and_backend_rules),
        cmocka_unit_test(cli_duplicates_warn_and_keep_last),
        cmocka_unit_test(cli_config_yaml_expands_to_flags),
        cmocka_unit_test(cli_help_lists_every_flag_and_docs_match),
        cmocka_unit_test(cli_binary_exit_status_and_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
