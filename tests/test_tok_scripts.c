/* SPDX-License-Identifier: Apache-2.0 */
/* test_tok_scripts.c - the Unicode Script table of the UnicodeScripts
 * pre-tokenizer (src/tokenizer/tok_scripts.c, generated): known code points
 * of many scripts, the Unicode 9.0 values HF's table keeps, code points
 * assigned after 9.0 being Any, the edges of the code space; and the
 * pre-tokenizer's splits on HF's own unit-test texts (the exhaustive check
 * against the Rust library is tests/scripts_diff.sh). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tokenizer/tok_internal.h"
#include "tokenizer/tok_scripts.h"
#include "tokenizer/tokenizer.h"

typedef struct known {
    uint32_t cp;
    const char *script;
} known;

static const known KNOWN[] = {
    {0x0000, "Common"},
    {'0', "Common"},
    {' ', "Common"}, /* the pre-tokenizer, not the table, makes ' ' Any */
    {'$', "Common"},
    {'A', "Latin"},
    {'z', "Latin"},
    {0x00AA, "Latin"},
    {0x00D7, "Common"}, /* multiplication sign inside the Latin-1 letters */
    {0x00E9, "Latin"},
    {0x01C5, "Latin"},
    {0x0301, "Inherited"},
    {0x0391, "Greek"},
    {0x0410, "Cyrillic"},
    {0x0531, "Armenian"},
    {0x05D0, "Hebrew"},
    {0x0627, "Arabic"},
    {0x0660, "Arabic"},
    {0x064B, "Inherited"},
    {0x0915, "Devanagari"},
    {0x0964, "Common"},
    {0x0E01, "Thai"},
    {0x0E3F, "Common"},
    {0x10A0, "Georgian"},
    {0x1200, "Ethiopic"},
    {0x13A0, "Cherokee"},
    {0x2581, "Common"},
    {0x3000, "Common"},
    {0x3002, "Common"},
    {0x3042, "Hiragana"},
    {0x30A2, "Katakana"},
    {0x30FC, "Common"}, /* the pre-tokenizer makes it Han */
    {0xFF76, "Katakana"},
    {0x4E00, "Han"},
    {0x9FD5, "Han"}, /* last CJK ideograph of Unicode 9.0 */
    {0xAC00, "Hangul"},
    {0xFEFF, "Common"},
    {0xFFFD, "Common"},
    {0x10330, "Gothic"},
    {0x1D518, "Common"},
    {0x1F600, "Common"},
    {0x1F1EB, "Common"},
    {0x20000, "Han"},
    {0x2B820, "Han"}, /* CJK Extension E, Unicode 8.0 */
    {0xE0100, "Inherited"},
    {0x1E900, "Adlam"}, /* Unicode 9.0 scripts */
    {0x17000, "Tangut"},
    {0x104B0, "Osage"},
    {0x11C00, "Bhaiksuki"},
    /* Unicode 9.0 values a later version changed */
    {0x0589, "Common"},
    {0x061C, "Common"},
    {0x0953, "Devanagari"},
    {0x0954, "Devanagari"},
    /* Any: unassigned in 9.0, private use, noncharacters */
    {0x0378, "Any"},
    {0x9FD6, "Any"},   /* CJK ideograph of Unicode 10.0 */
    {0x20BF, "Any"},   /* bitcoin sign, 10.0 */
    {0x11D00, "Any"},  /* Masaram Gondi, 10.0 */
    {0x2CEB0, "Any"},  /* CJK Extension F, 10.0 */
    {0x1F970, "Any"},  /* emoji of 11.0 */
    {0x1E4D0, "Any"},  /* Nag Mundari, 15.0 */
    {0x30000, "Any"},  /* CJK Extension G, 13.0 */
    {0xE000, "Any"},   /* private use */
    {0xFFFF, "Any"},   /* noncharacter */
    {0xD800, "Any"},   /* surrogate */
    {0x10FFFF, "Any"}, /* last code point */
};

static void known_code_points(void **state)
{
    (void)state;
    size_t bad = 0;
    for (size_t i = 0; i < sizeof KNOWN / sizeof *KNOWN; i++) {
        const char *got = tok_script_name(tok_script(KNOWN[i].cp));
        if (!got || strcmp(got, KNOWN[i].script) != 0) {
            print_error("U+%04X: %s, want %s\n", (unsigned)KNOWN[i].cp, got ? got : "(null)",
                        KNOWN[i].script);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void fixed_ids_and_names(void **state)
{
    (void)state;
    assert_string_equal(tok_script_name(TOK_SCRIPT_ANY), "Any");
    assert_string_equal(tok_script_name(TOK_SCRIPT_COMMON), "Common");
    assert_string_equal(tok_script_name(TOK_SCRIPT_INHERITED), "Inherited");
    assert_string_equal(tok_script_name(TOK_SCRIPT_HAN), "Han");
    assert_string_equal(tok_script_name(TOK_SCRIPT_HIRAGANA), "Hiragana");
    assert_string_equal(tok_script_name(TOK_SCRIPT_KATAKANA), "Katakana");
    /* Unicode 9.0 has 137 scripts with code points (Zyyy, Zinh included) */
    assert_int_equal(tok_script_count(), 138);
    assert_null(tok_script_name((uint8_t)tok_script_count()));
    assert_int_equal(tok_script(0x110000), TOK_SCRIPT_ANY);
    assert_int_equal(tok_script(0xFFFFFFFF), TOK_SCRIPT_ANY);
    /* every code point has a valid id; every script has code points */
    unsigned seen[256] = {0};
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t id = tok_script(cp);
        assert_true(id < tok_script_count());
        seen[id]++;
    }
    for (unsigned id = 0; id < tok_script_count(); id++)
        assert_true(seen[id] > 0);
}

/* Pieces of `text` as "piece|piece|..." through a tokenizer.json whose
 * pre-tokenizer is `pre` (JSON). */
static char *pieces(const char *pre, const char *text)
{
    char dir[] = "/tmp/sb_scripts_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":%s,"
            "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"WordLevel\","
            "\"unk_token\":\"<unk>\",\"vocab\":{\"<unk>\":0}}}",
            pre);
    fclose(f);
    sb_err err = {{0}};
    tok *t = tok_load_compat(path, TOK_COMPAT_TOKENIZERS, &err);
    if (!t)
        print_error("%s\n", err.msg);
    assert_non_null(t);
    tok_scratch sc;
    tok_scratch_init(&sc, t);
    tok_pretokenize(t, text, strlen(text), &sc);
    sb_buf out;
    sb_buf_init(&out);
    for (size_t i = 0; i < sc.a.n; i++) {
        if (i)
            sb_buf_putc(&out, '|');
        sb_buf_append(&out, sc.a.buf.data + sc.a.v[i].off, sc.a.v[i].len);
    }
    sb_buf_putc(&out, '\0');
    tok_scratch_free(&sc);
    tok_free(t);
    remove(path);
    rmdir(dir);
    return out.data;
}

static void expect_pieces(const char *pre, const char *text, const char *want)
{
    char *got = pieces(pre, text);
    if (strcmp(got, want) != 0)
        print_error("\"%s\": got \"%s\", want \"%s\"\n", text, got, want);
    assert_string_equal(got, want);
    free(got);
}

/* HF's unit tests (unicode_scripts/pre_tokenizer.rs) and the edges it
 * implies: leading ' ' and Any chars are dropped, an all-Any text gives no
 * piece, ' ' joins the script around it, marks are Inherited (their own
 * piece), U+30FC and kana join Han. */
static void splits_as_hf(void **state)
{
    (void)state;
    const char *us = "{\"type\":\"UnicodeScripts\"}";
    expect_pieces(us, "どこで生れ。Yes", "どこで生れ|。|Yes");
    expect_pieces(us, "Apples are りんご 林檎", "Apples are |りんご 林檎");
    expect_pieces(us, "  a b ", "a b ");
    expect_pieces(us, "   ", "");
    expect_pieces(us, "", "");
    expect_pieces(us, "\xE2\x82\xBF a", "a");                             /* U+20BF is Any */
    expect_pieces(us, "a\xE2\x82\xBF\xD0\xB1", "a\xE2\x82\xBF|\xD0\xB1"); /* a₿б */
    expect_pieces(us, "ラーメン ramen", "ラーメン |ramen");
    expect_pieces(us,
                  "ab\xCC\x81"
                  "c",
                  "ab|\xCC\x81|c"); /* combining acute: Inherited */
    expect_pieces(us,
                  "1\xE3\x80\x80"
                  "2 x",
                  "1\xE3\x80\x80"
                  "2 |x"); /* U+3000 is Common */
    expect_pieces(us, "Привет мир!", "Привет мир|!");
    const char *seq = "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"UnicodeScripts\"},"
                      "{\"type\":\"WhitespaceSplit\"}]}";
    expect_pieces(seq, " Hello 世界 again", "Hello|世界|again");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_code_points),
        cmocka_unit_test(fixed_ids_and_names),
        cmocka_unit_test(splits_as_hf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
