/* SPDX-License-Identifier: Apache-2.0 */
/* tokenize_cmd.c - `servebench tokenize`: encode text, count tokens, decode
 * ids, or encode a JSONL file in batch with every core (output order kept).
 *
 * This is the command-line face of the tokenizer module and the tool a user
 * checks a prompt length with; it prints exactly what tok_encode/tok_decode
 * return. Batch mode splits the lines into one contiguous range per thread,
 * each with its own tok_ctx, and prints the ranges in order. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/commands.h"
#include "cli/opt.h"
#include "tokenizer/tokenizer.h"

static const char *USAGE =
    "usage: servebench tokenize [--tokenizer T] [--text S | --jsonl FILE | --decode IDS]\n"
    "                           [--ids | --count | --info] [--add-special-tokens]\n"
    "                           [--skip-special-tokens] [--threads N]\n"
    "                           [--tokenizer-compat transformers|transformers5|tokenizers]\n"
    "\n"
    "Encodes text with a Hugging Face tokenizer.json as transformers does (the Rust\n"
    "`tokenizers` library plus tokenizer_config.json's rules), or decodes ids. Text\n"
    "comes from --text, else from stdin.\n"
    "\n"
    "  --tokenizer T          tokenizer.json(.gz), a directory holding one, or a model\n"
    "                         name found offline in the Hugging Face cache\n"
    "                         (default: the bundled GPT-2 tokenizer)\n"
    "  --text S               text to encode (default: read stdin to EOF)\n"
    "  --text-pair S          encode the pair (text, S), as transformers' text_pair\n"
    "  --ids                  print the ids as a JSON array (default)\n"
    "  --count                print only the number of ids\n"
    "  --decode 1,2,3         decode these ids and print the text\n"
    "  --add-special-tokens   apply the post-processor (BOS etc.) when encoding\n"
    "  --skip-special-tokens  drop special tokens when decoding\n"
    "  --jsonl FILE           encode the \"text\" of each JSON line of FILE; prints one\n"
    "                         {\"ids\":[...],\"count\":N} line per input line, in order;\n"
    "                         a line {\"ids\":[...]} is decoded to {\"text\":\"...\"};\n"
    "                         a \"text_pair\" string makes the line a pair;\n"
    "                         a line's \"add_special_tokens\"/\"skip_special_tokens\"\n"
    "                         booleans override the flags for that line\n"
    "  --threads N            threads for --jsonl (default: all cores)\n"
    "  --info                 print the tokenizer's facts as JSON (vocab sizes,\n"
    "                         special ids, tokens added per sequence, bos/eos)\n"
    "  --tokenizer-compat R   rules over tokenizer.json: transformers (default: 4.56-4.57,\n"
    "                         as vLLM requires), transformers5 (no decode clean-up for\n"
    "                         BPE models) or tokenizers (the bare Rust library)\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 ok, 1 the work failed (bad tokenizer file, bad input line),\n"
    "2 bad usage. See docs/tokenize.md.\n";

typedef struct opts {
    const char *spec, *text, *jsonl, *decode, *pair;
    bool count, info, add_special, skip_special;
    long threads;
    tok_compat compat;
} opts;

static const cli_opt tok_flags[] = {
    {"tokenizer", true},
    {"text", true},
    {"text-pair", true},
    {"ids", false},
    {"count", false},
    {"decode", true},
    {"add-special-tokens", false},
    {"skip-special-tokens", false},
    {"jsonl", true},
    {"threads", true},
    {"info", false},
    {"tokenizer-compat", true},
};

static int parse_opts(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    cli_args a = {.argc = argc, .argv = argv, .i = 1};
    size_t row;
    const char *v;
    sb_err err;
    sb_err_clear(&err);
    for (;;) {
        int k =
            cli_args_next(&a, tok_flags, sizeof tok_flags / sizeof tok_flags[0], &row, &v, &err);
        if (k == CLI_ARG_END)
            break;
        if (k == CLI_ARG_HELP) {
            fputs(USAGE, stdout);
            return -1;
        }
        if (k < 0) {
            fprintf(stderr, "servebench tokenize: %s (see --help)\n", err.msg);
            return SB_EXIT_USAGE;
        }
        if (k == CLI_ARG_WORD) {
            fprintf(stderr, "servebench tokenize: unexpected argument '%s'\n", v);
            return SB_EXIT_USAGE;
        }
        const char *name = tok_flags[row].name;
        char *end;
        if (!strcmp(name, "tokenizer"))
            o->spec = v;
        else if (!strcmp(name, "text"))
            o->text = v;
        else if (!strcmp(name, "text-pair"))
            o->pair = v;
        else if (!strcmp(name, "ids"))
            o->count = false;
        else if (!strcmp(name, "count"))
            o->count = true;
        else if (!strcmp(name, "decode"))
            o->decode = v;
        else if (!strcmp(name, "add-special-tokens"))
            o->add_special = true;
        else if (!strcmp(name, "skip-special-tokens"))
            o->skip_special = true;
        else if (!strcmp(name, "jsonl"))
            o->jsonl = v;
        else if (!strcmp(name, "info"))
            o->info = true;
        else if (!strcmp(name, "tokenizer-compat")) {
            if (tok_compat_parse(v, &o->compat) < 0) {
                fprintf(stderr,
                        "servebench tokenize: --tokenizer-compat: '%s' is not transformers, "
                        "transformers5 or tokenizers\n",
                        v);
                return SB_EXIT_USAGE;
            }
        } else if (!strcmp(name, "threads")) {
            o->threads = strtol(v, &end, 10);
            if (*end || o->threads < 1 || o->threads > 1024) {
                fprintf(stderr, "servebench tokenize: --threads: '%s' is not 1..1024\n", v);
                return SB_EXIT_USAGE;
            }
        } else { /* a row of tok_flags without a handler */
            fprintf(stderr, "servebench tokenize: --%s: not supported yet\n", name);
            return SB_EXIT_USAGE;
        }
    }
    if (o->pair && (o->jsonl || o->decode || o->info)) {
        fprintf(stderr, "servebench tokenize: --text-pair goes with --text or stdin\n");
        return SB_EXIT_USAGE;
    }
    if ((o->text != NULL) + (o->jsonl != NULL) + (o->decode != NULL) > 1) {
        fprintf(stderr, "servebench tokenize: give only one of --text, --jsonl, --decode\n");
        return SB_EXIT_USAGE;
    }
    return 0;
}

static void print_ids(FILE *f, const tok_ids *ids)
{
    fputc('[', f);
    for (size_t i = 0; i < ids->n; i++)
        fprintf(f, i ? ",%d" : "%d", ids->v[i]);
    fputc(']', f);
}

static int read_stdin(sb_buf *b)
{
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        sb_buf_append(b, chunk, n);
    return ferror(stdin) ? -1 : 0;
}

static int do_decode(const tok *t, const opts *o)
{
    tok_ids ids;
    tok_ids_init(&ids);
    const char *p = o->decode;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < INT32_MIN || v > INT32_MAX || (*end && *end != ',')) {
            fprintf(stderr, "servebench tokenize: --decode: bad id at \"%s\"\n", p);
            tok_ids_free(&ids);
            return SB_EXIT_USAGE;
        }
        tok_ids_push(&ids, (int32_t)v);
        p = *end ? end + 1 : end;
    }
    sb_buf out;
    sb_buf_init(&out);
    sb_err err = {{0}};
    int rc = tok_decode(t, ids.v, ids.n, o->skip_special, &out, &err);
    if (rc == 0)
        printf("%s\n", out.data);
    else
        fprintf(stderr, "servebench tokenize: %s\n", err.msg);
    sb_buf_free(&out);
    tok_ids_free(&ids);
    return rc == 0 ? SB_EXIT_OK : SB_EXIT_FAIL;
}

static int do_text(const tok *t, const opts *o)
{
    sb_buf in;
    sb_buf_init(&in);
    if (o->text)
        sb_buf_puts(&in, o->text);
    else if (read_stdin(&in) < 0) {
        fprintf(stderr, "servebench tokenize: error reading stdin\n");
        sb_buf_free(&in);
        return SB_EXIT_FAIL;
    }
    tok_ids ids;
    tok_ids_init(&ids);
    sb_err err = {{0}};
    int rc = o->pair ? tok_encode_pair(t, in.data ? in.data : "", in.len, o->pair, strlen(o->pair),
                                       o->add_special, &ids, &err)
                     : tok_encode(t, in.data ? in.data : "", in.len, o->add_special, &ids, &err);
    if (rc < 0)
        fprintf(stderr, "servebench tokenize: %s\n", err.msg);
    else if (o->count)
        printf("%zu\n", ids.n);
    else {
        print_ids(stdout, &ids);
        putchar('\n');
    }
    tok_ids_free(&ids);
    sb_buf_free(&in);
    return rc < 0 ? SB_EXIT_FAIL : SB_EXIT_OK;
}

static void print_info(const tok *t)
{
    const int32_t *sp;
    size_t ns = tok_special_ids(t, &sp);
    json_t *o = json_object();
    json_t *arr = json_array();
    for (size_t i = 0; i < ns; i++)
        json_array_append_new(arr, json_integer(sp[i]));
    json_object_set_new(o, "path", json_string(tok_source_path(t)));
    json_object_set_new(o, "vocab_size", json_integer((json_int_t)tok_vocab_size(t)));
    json_object_set_new(o, "vocab_size_with_added",
                        json_integer((json_int_t)tok_vocab_size_with_added(t)));
    json_object_set_new(o, "num_special_tokens_to_add",
                        json_integer((json_int_t)tok_num_special_to_add(t)));
    json_object_set_new(o, "all_special_ids", arr);
    json_object_set_new(o, "bos_token",
                        tok_bos_token(t) ? json_string(tok_bos_token(t)) : json_null());
    json_object_set_new(o, "eos_token",
                        tok_eos_token(t) ? json_string(tok_eos_token(t)) : json_null());
    json_object_set_new(o, "has_chat_template", json_boolean(tok_chat_template(t) != NULL));
    json_object_set_new(o, "tokenizer_compat", json_string(tok_compat_name(tok_compat_of(t))));
    json_object_set_new(o, "clean_up_tokenization_spaces", json_boolean(tok_cleans_up(t)));
    double mml = tok_model_max_length(t);
    json_object_set_new(o, "model_max_length",
                        mml < 9e15 && mml == (double)(json_int_t)mml ? json_integer((json_int_t)mml)
                                                                     : json_real(mml));
    char *s = json_dumps(o, JSON_COMPACT);
    printf("%s\n", s);
    free(s);
    json_decref(o);
}

/* ---- batch --------------------------------------------------------------- */

typedef struct batch_job {
    const tok *t;
    const opts *o;
    const char *file;
    char **lines;
    size_t *lens;
    size_t first, n; /* line range (0-based) */
    sb_buf out;
    sb_buf err; /* first error, if any */
} batch_job;

/* A line's own "add_special_tokens" / "skip_special_tokens" overrides the flag. */
static bool line_flag(json_t *j, const char *key, bool dflt)
{
    json_t *v = json_object_get(j, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static int encode_line(batch_job *b, tok_ctx *ctx, json_t *j, tok_ids *ids, size_t i)
{
    sb_err err = {{0}};
    json_t *text = json_object_get(j, "text"), *pair = json_object_get(j, "text_pair");
    bool sp = line_flag(j, "add_special_tokens", b->o->add_special);
    ids->n = 0;
    if (pair && !json_is_string(pair)) {
        sb_buf_printf(&b->err, "%s:%zu: \"text_pair\" is not a string", b->file, i + 1);
        return -2;
    }
    if ((pair ? tok_encode_pair(b->t, json_string_value(text), json_string_length(text),
                                json_string_value(pair), json_string_length(pair), sp, ids, &err)
              : tok_encode_ctx(b->t, ctx, json_string_value(text), json_string_length(text), sp,
                               ids, &err)) < 0) {
        sb_buf_printf(&b->err, "%s:%zu: %s", b->file, i + 1, err.msg);
        return -2;
    }
    sb_buf_puts(&b->out, "{\"ids\":[");
    for (size_t k = 0; k < ids->n; k++)
        sb_buf_printf(&b->out, k ? ",%d" : "%d", ids->v[k]);
    sb_buf_printf(&b->out, "],\"count\":%zu}\n", ids->n);
    return 0;
}

/* {"ids":[...]} lines are decoded: one {"text": "..."} line each. */
static int decode_line(batch_job *b, json_t *j, tok_ids *ids, size_t i)
{
    json_t *arr = json_object_get(j, "ids");
    ids->n = 0;
    for (size_t k = 0; k < json_array_size(arr); k++) {
        json_t *v = json_array_get(arr, k);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX) {
            sb_buf_printf(&b->err, "%s:%zu: ids[%zu] is not a token id", b->file, i + 1, k);
            return -2;
        }
        tok_ids_push(ids, (int32_t)json_integer_value(v));
    }
    sb_buf text;
    sb_buf_init(&text);
    sb_err err = {{0}};
    if (tok_decode(b->t, ids->v, ids->n, line_flag(j, "skip_special_tokens", b->o->skip_special),
                   &text, &err) < 0) {
        sb_buf_printf(&b->err, "%s:%zu: %s", b->file, i + 1, err.msg);
        sb_buf_free(&text);
        return -2;
    }
    json_t *o = json_pack("{s:s%}", "text", text.data, text.len);
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    sb_buf_printf(&b->out, "%s\n", line);
    free(line);
    json_decref(o);
    sb_buf_free(&text);
    return 0;
}

static void *batch_run(void *arg)
{
    batch_job *b = arg;
    tok_ctx *ctx = tok_ctx_new(b->t);
    tok_ids ids;
    tok_ids_init(&ids);
    for (size_t i = b->first; i < b->first + b->n && b->err.len == 0; i++) {
        json_error_t je;
        json_t *j = json_loadb(b->lines[i], b->lens[i], JSON_ALLOW_NUL, &je);
        json_t *text = json_object_get(j, "text");
        json_t *idv = json_object_get(j, "ids");
        int rc = json_is_string(text) ? encode_line(b, ctx, j, &ids, i)
                 : json_is_array(idv) ? decode_line(b, j, &ids, i)
                                      : -1;
        if (rc == -1 && b->err.len == 0) {
            sb_buf_printf(&b->err, "%s:%zu: %s", b->file, i + 1,
                          j ? "expected a \"text\" string or an \"ids\" array" : "malformed JSON");
            if (!j)
                sb_buf_printf(&b->err, " at column %d: %s", je.column, je.text);
        }
        json_decref(j);
    }
    tok_ids_free(&ids);
    tok_ctx_free(ctx);
    return NULL;
}

/* Splits buf into non-empty lines (blank lines are skipped, like pandas). */
static size_t split_lines(char *buf, size_t len, char ***lines, size_t **lens)
{
    size_t n = 0, cap = 1024;
    *lines = malloc(cap * sizeof **lines);
    *lens = malloc(cap * sizeof **lens);
    for (size_t i = 0; i < len;) {
        char *nl = memchr(buf + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - buf) : len;
        size_t k = e;
        if (k > i && buf[k - 1] == '\r')
            k--;
        bool blank = true;
        for (size_t q = i; q < k && blank; q++)
            blank = buf[q] == ' ' || buf[q] == '\t';
        if (!blank) {
            if (n == cap) {
                cap *= 2;
                *lines = realloc(*lines, cap * sizeof **lines);
                *lens = realloc(*lens, cap * sizeof **lens);
            }
            (*lines)[n] = buf + i;
            (*lens)[n++] = k - i;
        }
        i = e + 1;
    }
    return n;
}

static int do_jsonl(const tok *t, const opts *o)
{
    FILE *f = fopen(o->jsonl, "rb");
    if (!f) {
        fprintf(stderr, "servebench tokenize: %s: cannot open\n", o->jsonl);
        return SB_EXIT_USAGE;
    }
    sb_buf in;
    sb_buf_init(&in);
    char chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_buf_append(&in, chunk, got);
    fclose(f);
    char **lines;
    size_t *lens;
    size_t n = split_lines(in.data ? in.data : "", in.len, &lines, &lens);
    long nt = o->threads ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (nt < 1)
        nt = 1;
    if ((size_t)nt > n)
        nt = n ? (long)n : 1;
    batch_job *jobs = calloc((size_t)nt, sizeof *jobs);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    size_t per = n / (size_t)nt, extra = n % (size_t)nt, at = 0;
    for (long i = 0; i < nt; i++) {
        batch_job *b = &jobs[i];
        *b = (batch_job){.t = t,
                         .o = o,
                         .file = o->jsonl,
                         .lines = lines,
                         .lens = lens,
                         .first = at,
                         .n = per + ((size_t)i < extra)};
        at += b->n;
        pthread_create(&th[i], NULL, batch_run, b);
    }
    int rc = SB_EXIT_OK;
    for (long i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        if (rc == SB_EXIT_OK && jobs[i].err.len) {
            fprintf(stderr, "servebench tokenize: %s\n", jobs[i].err.data);
            rc = SB_EXIT_FAIL;
        }
        if (rc == SB_EXIT_OK && jobs[i].out.len)
            fwrite(jobs[i].out.data, 1, jobs[i].out.len, stdout);
        sb_buf_free(&jobs[i].out);
        sb_buf_free(&jobs[i].err);
    }
    free(jobs);
    free(th);
    free(lines);
    free(lens);
    sb_buf_free(&in);
    return rc;
}

int tokenize_cmd(int argc, char **argv)
{
    opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? SB_EXIT_OK : rc;
    sb_err err = {{0}};
    tok *t = tok_load_compat(o.spec ? o.spec : tok_default_spec(), o.compat, &err);
    if (!t) {
        fprintf(stderr, "servebench tokenize: %s\n", err.msg);
        return SB_EXIT_FAIL;
    }
    if (o.info)
        print_info(t);
    else if (o.decode)
        rc = do_decode(t, &o);
    else if (o.jsonl)
        rc = do_jsonl(t, &o);
    else
        rc = do_text(t, &o);
    tok_free(t);
    return rc;
}
