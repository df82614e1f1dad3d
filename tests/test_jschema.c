/* SPDX-License-Identifier: Apache-2.0 */
/* test_jschema.c - the structured-output schema subset (schema/jschema.h):
 * each keyword accepts what it should and rejects what it should, text that
 * is not JSON is told apart from JSON the schema rejects, and what the
 * generator makes for many seeds always passes the check. */
#include "testutil.h"

#include <jansson.h>
#include <string.h>

#include "schema/jschema.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    assert_non_null(v);
    return v;
}

static jschema_verdict check(const char *schema, const char *answer)
{
    json_t *s = js(schema);
    jschema_verdict v = jschema_check_text(s, answer, strlen(answer));
    json_decref(s);
    return v;
}

#define MATCH(s, a) assert_int_equal(check(s, a), JSCHEMA_MATCH)
#define MISMATCH(s, a) assert_int_equal(check(s, a), JSCHEMA_MISMATCH)

static void keywords(void **state)
{
    (void)state;
    const char *obj = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},"
                      "\"b\":{\"type\":\"string\"}},\"required\":[\"a\"],"
                      "\"additionalProperties\":false}";
    MATCH(obj, "{\"a\": 1}");
    MATCH(obj, " {\"a\": 2.0, \"b\": \"x\"}\n"); /* 2.0 is an integer */
    MISMATCH(obj, "{\"b\": \"x\"}");             /* required */
    MISMATCH(obj, "{\"a\": 1, \"c\": 0}");       /* additionalProperties false */
    MISMATCH(obj, "{\"a\": 1.5}");               /* integer */
    MISMATCH(obj, "{\"a\": 1, \"b\": 2}");       /* property type */
    MISMATCH(obj, "[1]");                        /* type */
    MATCH("{\"additionalProperties\":{\"type\":\"number\"}}", "{\"x\": 1.5}");
    MISMATCH("{\"additionalProperties\":{\"type\":\"number\"}}", "{\"x\": \"1\"}");
    const char *num = "{\"type\":\"number\",\"minimum\":1,\"maximum\":2}";
    MATCH(num, "1");
    MATCH(num, "2");
    MISMATCH(num, "0.5");
    MISMATCH(num, "2.5");
    MISMATCH("{\"exclusiveMinimum\":1}", "1");
    MISMATCH("{\"exclusiveMaximum\":1}", "1");
    MATCH("{\"enum\":[\"x\",3,null]}", "null");
    MISMATCH("{\"enum\":[\"x\",3,null]}", "\"y\"");
    MATCH("{\"const\":{\"k\":[1]}}", "{\"k\":[1]}");
    MISMATCH("{\"const\":{\"k\":[1]}}", "{\"k\":[2]}");
    const char *arr = "{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":1,"
                      "\"maxItems\":2}";
    MATCH(arr, "[true]");
    MISMATCH(arr, "[]");
    MISMATCH(arr, "[true,false,true]");
    MISMATCH(arr, "[1]");
    MATCH("{\"type\":\"string\",\"minLength\":2,\"maxLength\":2}", "\"\\u00e9\\u00e9\"");
    MISMATCH("{\"type\":\"string\",\"minLength\":2}", "\"a\"");
    MATCH("{\"type\":[\"string\",\"null\"]}", "null");
    MISMATCH("{\"type\":[\"string\",\"null\"]}", "0");
    MATCH("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "3");
    MISMATCH("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "true");
    MISMATCH("{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"integer\"}]}", "3");
    MISMATCH("{\"allOf\":[{\"minimum\":0},{\"maximum\":1}]}", "2");
    MATCH("{\"pattern\":\"^z\"}", "\"a\""); /* not in the subset: not checked */
}

static void invalid_json(void **state)
{
    (void)state;
    assert_int_equal(check("{}", "{\"a\": 1"), JSCHEMA_INVALID_JSON);
    assert_int_equal(check("{}", ""), JSCHEMA_INVALID_JSON);
    assert_int_equal(check("{}", "{} {}"), JSCHEMA_INVALID_JSON);
    assert_int_equal(check("{}", "Sure! {\"a\": 1}"), JSCHEMA_INVALID_JSON);
    /* nesting past the cap: no match, no crash */
    /* a deep answer under a shallow schema is checked as deep as the schema goes; a schema
     * nested past the cap (64 levels) rejects instead of recursing further */
    char deep[401];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    deep[400] = '\0';
    assert_int_equal(check("{\"items\":{\"items\":{}}}", deep), JSCHEMA_MATCH);
    sb_buf sch;
    sb_buf_init(&sch);
    for (int k = 0; k < 100; k++)
        sb_buf_puts(&sch, "{\"items\":");
    sb_buf_puts(&sch, "{}");
    for (int k = 0; k < 100; k++)
        sb_buf_putc(&sch, '}');
    assert_int_equal(check(sch.data, deep), JSCHEMA_MISMATCH);
    sb_buf_free(&sch);
}

static void generated_answers_match(void **state)
{
    (void)state;
    const char *schemas[] = {
        ("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":8,"
         "\"maxLength\":9},\"age\":{\"type\":\"integer\",\"exclusiveMinimum\":17,\"maximum\":18},"
         "\"w\":{\"type\":\"number\",\"minimum\":-2.5,\"exclusiveMaximum\":-2.4},"
         "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\\\"\",3]},\"minItems\":3},"
         "\"nested\":{\"properties\":{\"ok\":{\"type\":\"boolean\"},\"z\":{\"type\":\"null\"}},"
         "\"required\":[\"ok\",\"extra\"]}},\"required\":[\"name\",\"age\"],"
         "\"additionalProperties\":false}"),
        ("{\"type\":\"array\",\"items\":{\"type\":[\"null\",\"integer\"],\"maximum\":-1000},"
         "\"maxItems\":1}"),
        "{\"anyOf\":[{\"type\":\"string\",\"maxLength\":2},{\"type\":\"integer\"}]}",
        "{\"const\":\"\\u00e9\"}",
        "{}",
    };
    sb_buf b;
    sb_buf_init(&b);
    for (size_t k = 0; k < sizeof schemas / sizeof schemas[0]; k++) {
        json_t *s = js(schemas[k]);
        for (uint64_t seed = 0; seed < 200; seed++) {
            sb_buf_reset(&b);
            jschema_generate(s, seed, &b);
            for (size_t i = 0; i < b.len; i++) /* ASCII: the sim slices it into tokens */
                assert_true((unsigned char)b.data[i] < 0x80);
            if (jschema_check_text(s, b.data, b.len) != JSCHEMA_MATCH)
                fail_msg("schema %zu seed %llu: %.*s", k, (unsigned long long)seed, (int)b.len,
                         b.data);
        }
        sb_buf_reset(&b);
        jschema_generate(s, 7, &b);
        char *first = sb_xstrndup(b.data, b.len);
        sb_buf_reset(&b);
        jschema_generate(s, 7, &b); /* deterministic from the seed */
        assert_memory_equal(first, b.data, b.len);
        free(first);
        json_decref(s);
    }
    sb_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keywords),
        cmocka_unit_test(invalid_json),
        cmocka_unit_test(generated_answers_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
