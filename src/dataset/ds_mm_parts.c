/* SPDX-License-Identifier: Apache-2.0 */
/* ds_mm_parts.c - chat content parts as the reference's datasets build them
 * (vllm/benchmarks/datasets/datasets.py: CustomDataset.sample, HuggingFaceDataset), rendered in
 * Python json.dumps style:
 *  - the image rule (process_image on a string): http://, https://, file://
 *    and data:image/ strings are URLs as they are, anything else file://<path>;
 *  - custom_image "content" rows: text / image / image_url parts, checked
 *    and rewritten as CustomImageDataset._process_content_part does (an
 *    image_url dict keeps its other keys, after "url");
 *  - apply_multimodal_chat_transformation: a text part written
 *    {"text": ..., "type": "text"} (that key order) before the items. */
#include <string.h>

#include "core/pyfmt.h"
#include "dataset/ds_mm.h"

/* json.dumps of a JSON value (objects keep their order, as jansson does). */
static void py_json(sb_buf *out, json_t *v)
{
    if (json_is_string(v)) {
        pyfmt_json_string(out, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        sb_buf_printf(out, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        pyfmt_json_number(out, json_real_value(v));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        sb_buf_putc(out, '[');
        json_array_foreach(v, i, x)
        {
            if (i)
                sb_buf_puts(out, ", ");
            py_json(out, x);
        }
        sb_buf_putc(out, ']');
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        int first = 1;
        sb_buf_putc(out, '{');
        json_object_foreach(v, k, x)
        {
            sb_buf_puts(out, first ? "" : ", ");
            first = 0;
            pyfmt_json_string(out, k, strlen(k));
            sb_buf_puts(out, ": ");
            py_json(out, x);
        }
        sb_buf_putc(out, '}');
    } else {
        sb_buf_puts(out, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
    }
}

void mm_py_json(sb_buf *out, json_t *v)
{
    py_json(out, v);
}

static void sep(sb_buf *parts)
{
    if (parts->len)
        sb_buf_puts(parts, ", ");
}

void mm_image_url_part(sb_buf *parts, const char *s, json_t *image_url)
{
    static const char *const as_is[] = {"http://", "https://", "file://", "data:image/"};
    int keep = 0;
    for (size_t i = 0; i < sizeof as_is / sizeof as_is[0]; i++)
        keep |= !strncmp(s, as_is[i], strlen(as_is[i]));
    sb_buf url;
    sb_buf_init(&url);
    sb_buf_printf(&url, "%s%s", keep ? "" : "file://", s);
    sep(parts);
    sb_buf_puts(parts, "{\"type\": \"image_url\", \"image_url\": {\"url\": ");
    pyfmt_json_string(parts, url.data, url.len);
    const char *k;
    json_t *x;
    if (image_url)
        json_object_foreach(image_url, k, x)
        {
            if (!strcmp(k, "url"))
                continue;
            sb_buf_puts(parts, ", ");
            pyfmt_json_string(parts, k, strlen(k));
            sb_buf_puts(parts, ": ");
            py_json(parts, x);
        }
    sb_buf_puts(parts, "}}");
    sb_buf_free(&url);
}

static int content_part(json_t *part, size_t i, sb_buf *parts, sb_buf *text, sb_err *err)
{
    if (!json_is_object(part))
        return sb_err_set(err, "content[%zu]: each item in 'content' must be a dictionary", i);
    const char *type = json_string_value(json_object_get(part, "type"));
    if (type && !strcmp(type, "text")) {
        json_t *t = json_object_get(part, "text");
        if (!json_is_string(t))
            return sb_err_set(err,
                              "content[%zu]: text content parts must contain a string "
                              "'text'",
                              i);
        sep(parts);
        sb_buf_puts(parts, "{\"type\": \"text\", \"text\": ");
        pyfmt_json_string(parts, json_string_value(t), json_string_length(t));
        sb_buf_putc(parts, '}');
        sb_buf_append(text, json_string_value(t), json_string_length(t));
        return 0;
    }
    if (type && !strcmp(type, "image")) {
        json_t *img = json_object_get(part, "image");
        if (!json_is_string(img))
            return sb_err_set(err,
                              "content[%zu]: image content parts must contain an 'image' "
                              "string (URL, file path or base64 data URL)",
                              i);
        mm_image_url_part(parts, json_string_value(img), NULL);
        return 0;
    }
    if (type && !strcmp(type, "image_url")) {
        json_t *u = json_object_get(part, "image_url");
        if (json_is_string(u)) {
            mm_image_url_part(parts, json_string_value(u), NULL);
            return 0;
        }
        json_t *url = json_object_get(u, "url");
        if (!json_is_object(u) || !json_is_string(url))
            return sb_err_set(err,
                              "content[%zu]: image URL content parts must contain an "
                              "'image_url' string or a dictionary with a string 'url'",
                              i);
        mm_image_url_part(parts, json_string_value(url), u);
        return 0;
    }
    return sb_err_set(err,
                      "content[%zu]: content parts must have type 'text', 'image', or "
                      "'image_url'",
                      i);
}

int mm_content_parts(json_t *content, sb_buf *parts, sb_buf *text, sb_err *err)
{
    if (!json_is_array(content))
        return sb_err_set(err, "'content' must be a list of text and image content "
                               "dictionaries");
    if (json_array_size(content) == 0)
        return sb_err_set(err, "'content' must contain at least one item");
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        if (content_part(part, i, parts, text, err) != 0)
            return -1;
    }
    return 0;
}

void mm_chat_wrap(sb_buf *out, const char *prompt, size_t len, const char *parts, size_t n)
{
    sb_buf_puts(out, "{\"text\": ");
    pyfmt_json_string(out, prompt, len);
    sb_buf_puts(out, ", \"type\": \"text\"}");
    if (n) {
        sb_buf_puts(out, ", ");
        sb_buf_append(out, parts, n);
    }
}
