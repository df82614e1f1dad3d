#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Golden renders for tests/test_template.c, made with real jinja2.

Run: /usr/bin/python3 tests/gen/gen_template_golden.py   (Debian python3-jinja2)

It writes, under tests/data/templates/:
  - <family>.jinja: the chat_template of each /work/shared/tokenizers/<family>/
    tokenizer_config.json (or $SB_TOKENIZERS/<family>/...), plus mistral.jinja,
    which is hand-written here because that tokenizer_config.json has none;
  - golden.jsonl: one line per (template, case): the full render context as JSON,
    and either the expected output or the expected error.
The feat_*.jinja templates in that folder are hand-written and read as they are;
extra/*.jinja are third-party chat templates (see extra/README.md), rendered over
the same conversations as the real families.

With `--live SEED N` it prints, instead, N seeded random conversations per
template as golden lines on stdout; `--live-expr SEED N` prints N random
expressions and `--live-ws SEED N` N random whitespace layouts the same way
(tests/test_template.c runs these when python3-jinja2 is installed, as
differential tests against jinja2 itself).

The environment emulates transformers' apply_chat_template (chat_template_utils
in transformers 4.4x): ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True) with the loopcontrols extension and a {% generation %} tag
that just renders its body, `tojson` replaced by json.dumps(ensure_ascii=False),
and the globals raise_exception and strftime_now. The context is messages,
tools=None, documents=None, add_generation_prompt and the tokenizer's special
tokens (those that are not None), then any extra kwargs. The output is
deterministic: re-running gives byte-identical files.
"""
import json
import os
import random
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.exceptions import TemplateError, TemplateSyntaxError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "templates")
TOKENIZERS = os.environ.get("SB_TOKENIZERS", "/work/shared/tokenizers")
FAMILIES = ["qwen3", "llama3", "deepseek_v3", "gemma3"]

# Mistral-7B-Instruct's published chat template (v0.1/v0.2 style), written out
# here because the mistral tokenizer_config.json in the shared data has none.
MISTRAL = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}"
    "{% endif %}{% endfor %}"
)


class GenerationTag(Extension):
    """transformers' AssistantTracker outside of assistant-mask mode."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def special_tokens(family):
    path = os.path.join(TOKENIZERS, family, "tokenizer_config.json")
    if family == "mistral":
        return {"bos_token": "<s>", "eos_token": "</s>"}
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    out = {}
    for name in ("bos_token", "eos_token"):
        v = cfg.get(name)
        if isinstance(v, dict):
            v = v.get("content")
        if v:
            out[name] = v
    return out


def chat_template(family):
    if family == "mistral":
        return MISTRAL
    path = os.path.join(TOKENIZERS, family, "tokenizer_config.json")
    with open(path, encoding="utf-8") as f:
        t = json.load(f)["chat_template"]
    if isinstance(t, list):
        t = next(x["template"] for x in t if x["name"] == "default")
    return t


SONNET_PROMPT = ("Pick as many lines as you can from these poem lines:\n"
                 "FROM fairest creatures we desire increase,\n"
                 "That thereby beauty's rose might never die,\n")


def u(text):
    return {"role": "user", "content": text}


def a(text):
    return {"role": "assistant", "content": text}


def s(text):
    return {"role": "system", "content": text}


# (name, messages, add_generation_prompt, extra kwargs)
CHAT_CASES = [
    ("single_user_gen", [u(SONNET_PROMPT)], True, {}),
    ("single_user_nogen", [u(SONNET_PROMPT)], False, {}),
    ("short_user_gen", [u("Hello, world!")], True, {}),
    ("system_user", [s("You are a helpful assistant."), u("What is 2+2?")], True, {}),
    ("multi_turn", [u("Hi"), a("Hello! How can I help?"), u("Tell me a joke.")], True, {}),
    ("multi_turn_nogen", [u("Hi"), a("Hello!"), u("Bye"), a("Goodbye.")], False, {}),
    ("unicode", [u("  Grüße, 世界! 👋🏽 naïve café\u00a0NBSP\u2028LS\u3000 e\u0301 ")], True, {}),
    ("whitespace_edges", [u("\n\n  leading and trailing  \n\t")], True, {}),
    ("empty_content", [u("")], True, {}),
    ("template_like_text", [u("{{ not a tag }} {% if %} {# c #} <|im_start|> [INST]")], True, {}),
    ("long_prompt", [u(SONNET_PROMPT * 40)], True, {}),
    ("think_history", [u("Q1"), a("<think>\nreasoning\n</think>\n\nA1"), u("Q2")], True, {}),
    ("two_users", [u("first"), u("second")], True, {}),
    ("enable_thinking_false", [u("Hello")], True, {"enable_thinking": False}),
]

PARTS = [{"role": "system", "content": [{"type": "text", "text": "Sys as parts."}]},
         {"role": "user", "content": [{"type": "text", "text": " Look: "}, {"type": "image"},
                                      {"type": "image_url", "image_url": {"url": "x"}},
                                      {"type": "text", "text": "what is it? "}]}]
TOOL_CALL = {"type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}
TOOL_CASES = [
    ("content_parts", PARTS, True, {}),
    ("tool_round_trip",
     [u("Weather in Paris?"),
      {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
      {"role": "tool", "content": "{\"temp\": 21}"}],
     True, {}),
]
RICH_MESSAGES = [
    s("Be brief."), u("Weather in Paris?"),
    {"role": "assistant", "content": "", "reasoning_content": "need weather",
     "tool_calls": [{"id": "call_000000001", "type": "function",
                     "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "tool_call_id": "call_000000001", "content": "21C"},
    {"role": "tool", "tool_call_id": "call_000000002", "content": "sunny"},
    u("Thanks!")]
RICH_DOCS = [{"title": "Paris", "text": "Capital of France. \"Quoted\" é"}]
QWEN_TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]


def feature_context():
    return {
        "messages": [u("Hi there"), a("Hello")],
        "add_generation_prompt": True,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "tools": None,
        "documents": None,
        "x": 42,
        "nested": {"a": {"b": "deep"}, "list": [10, 20, 30], "f": 2.5, "uni": "é✓"},
        "users": [
            {"name": "al", "age": 31, "active": True},
            {"name": "bo", "age": 25, "active": False},
            {"name": "cy", "age": 40, "active": True},
        ],
    }


# Templates that must fail; `line` is jinja2's reported line where it has one.
ERROR_CASES = [
    ("err_unclosed_if", "{% if true %}never closed"),
    ("err_bad_expr", "line one\n{{ 1 + }}"),
    ("err_unknown_filter", "a\nb\n{{ x | no_such_filter }}"),
    ("err_unknown_tag", "{% frobnicate %}"),
    ("err_unclosed_var", "{{ x "),
    ("err_unclosed_comment", "{# never closed"),
    ("err_raise", "{{ raise_exception('custom failure message') }}"),
    ("err_undefined_attr", "{{ missing.attr }}"),
    ("err_type_add", "{{ 1 + 'a' }}"),
    ("err_unterminated_string", "{{ 'abc }}"),
    ("err_bad_bracket", "{{ (1, 2] }}"),
    ("err_break_outside_loop", "{% if true %}\n{% break %}{% endif %}"),
    ("err_unknown_test", "{{ 1 is frobbed }}"),
    ("err_undefined_call", "{{ nothing_here() }}"),
    ("err_include", "{% include 'x.jinja' %}"),
]


def render(env, source, ctx):
    try:
        return {"output": env.from_string(source).render(**ctx)}
    except TemplateSyntaxError as e:
        return {"error": str(e.message), "line": e.lineno}
    except TemplateError as e:
        if type(e) is TemplateError:  # raise_exception(): the message must come through
            return {"error": str(e), "raised": True}
        return {"error": str(e)}
    except Exception as e:  # raise_exception, UndefinedError, TypeError, ...
        return {"error": str(e)}


def chat_context(family, messages, gen, extra):
    ctx = {"messages": messages, "tools": None, "documents": None,
           "add_generation_prompt": gen}
    ctx.update(special_tokens(family))
    ctx.update(extra)
    return ctx


def extra_templates(with_clock):
    """Templates that call strftime_now render today's date, so they can only
    be compared live (with_clock), never against a stored golden."""
    d = os.path.join(OUT, "extra")
    for fname in sorted(os.listdir(d)):
        if fname.endswith(".jinja"):
            with open(os.path.join(d, fname), encoding="utf-8") as f:
                src = f.read()
            if with_clock or "strftime_now" not in src:
                yield "extra/" + fname[:-6], src


FRAGMENTS = ["Hello", "world", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2028", "\u3000",
             "\u0085", "\x0b", "世界", "👋🏽", "e\u0301", "Straße", "{{ x }}", "{% if %}", "<s>",
             "[INST]", "<|im_start|>", "'quote'", '"dq"', "\\", "</think>", "<think>", "42",
             "Ünïcödé", "a\r\nb", "\x00", "\x1f"]


def random_text(rng):
    return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 8)))


def random_messages(rng):
    msgs = []
    if rng.random() < 0.4:
        msgs.append(s(random_text(rng)))
    for i in range(rng.randint(1, 5)):
        role = "user" if i % 2 == 0 else "assistant"
        if rng.random() < 0.08:
            role = rng.choice(["user", "assistant", "system"])
        msgs.append({"role": role, "content": random_text(rng)})
    return msgs


def live(seed, n):
    env = make_env()
    rng = random.Random(seed)
    templates = [(f, chat_template(f)) for f in FAMILIES + ["mistral"]] + list(extra_templates(True))
    for name, src in templates:
        family = name if name in FAMILIES + ["mistral"] else "mistral"
        for i in range(n):
            ctx = chat_context(family, random_messages(rng), rng.random() < 0.7, {})
            line = {"template": name, "case": f"live_{seed}_{i}", "context": ctx,
                    **render(env, src, ctx)}
            print(json.dumps(line, ensure_ascii=False))


ATOMS = ["0", "1", "2", "3", "7", "-4", "42", "100", "0.1", "0.2", "2.5", "-0.0", "1e20", "1e-7",
         "'abc'", "'H\u00e9llo w\u00f6rld'", "'  pad  '", "'a,b,,c'", "''", "'\u00df'", "'l'",
         "'Hello World'", "'x\\ny'", "[1, 2, 3]", "[3, 1, 2]", "['b', 'A', 'c']", "[]", "(1, 'a')",
         "{'k': 1, 'j': [2]}", "{}", "none", "true", "false", "x", "nested", "users", "missing",
         "messages", "nested.a", "nested.list", "nested.f", "nested.uni", "users[0]",
         "messages[0].content", "messages[1]['role']"]
BINOPS = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", "<=", ">", ">=", "in", "not in",
          "and", "or"]
FILTERS = ["upper", "lower", "trim", "length", "first", "last", "list", "string", "int", "float",
           "tojson", "reverse|list", "sort", "unique|list", "sum", "abs", "round", "title", "capitalize",
           "wordcount", "join(', ')", "default('d')", "items|list", "min", "max", "trim('a')",
           "replace('l', 'L')", "indent(2)", "tojson(indent=1)", "map('string')|list", "select|list",
           "reject|list", "first|string", "d(7, true)", "list|length", "escape"]
METHODS = ["strip()", "upper()", "split(',')", "split()", "startswith('a')", "endswith('d')",
           "replace('a', 'b')", "title()", "count('l')", "find('l')", "lstrip('H')", "rstrip()",
           "get('k')", "get('a', 0)", "items()|list", "keys()|list", "values()|list",
           "capitalize()", "lower()", "rsplit(',', 1)", "splitlines()"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "odd", "even",
         "lower", "upper", "mapping", "iterable", "sequence", "boolean", "true", "false",
         "eq 3", "in [1, 2]", "divisibleby 2", "not none", "callable"]


def random_expr(rng, depth=0):
    r = rng.random()
    if depth >= 3 or r < 0.25:
        return rng.choice(ATOMS)
    e = random_expr(rng, depth + 1)
    if r < 0.45:
        return f"({e} {rng.choice(BINOPS)} {random_expr(rng, depth + 1)})"
    if r < 0.6:
        return f"({e} | {rng.choice(FILTERS)})"
    if r < 0.7:
        return f"({e}).{rng.choice(METHODS)}"
    if r < 0.78:
        return f"({e} is {rng.choice(TESTS)})"
    if r < 0.85:
        # Slices only on sequences: jinja2 constant-folds slices of literals with
        # its forgiving getitem (Undefined) but raises at runtime; templates
        # never slice non-sequences, so that quirk is not reproduced.
        idx = rng.choice(["0", "-1", "1:", ":2", "::-1", "1:3", "'k'", "5"])
        if ":" in idx:
            e = rng.choice(["'abc'", "'H\u00e9llo w\u00f6rld'", "[3, 1, 2]", "messages",
                            "nested.list", "users", "'a,b,,c'", "(1, 'a')"])
        return f"({e})[{idx}]"
    if r < 0.92:
        return f"({e} if {random_expr(rng, depth + 1)} else {random_expr(rng, depth + 1)})"
    return f"({rng.choice(['-', 'not '])}{e})"


import warnings
warnings.filterwarnings("ignore", category=SyntaxWarning)


def live_expr(seed, n):
    """Random expressions printed with {{ }} over the feature context. Known,
    documented differences are kept out of the grammar: lazy generators (map,
    select, reject, unique and reverse return them in jinja2; here they are
    always followed by |list) and slices of non-sequences."""
    env = make_env()
    rng = random.Random(seed)
    for i in range(n):
        src = "{{ " + random_expr(rng) + " }}"
        ctx = feature_context()
        res = render(env, src, ctx)
        if " at 0x" in res.get("output", ""):
            continue  # a lazy generator printed: its address is not reproducible
        line = {"template": None, "source": src, "case": f"expr_{seed}_{i}", "context": ctx, **res}
        print(json.dumps(line, ensure_ascii=False))


WS_TEXT = ["a", "b c", " ", "  ", "\n", "\n\n", "  \n", "\n  ", "\t", "\u3000", "\u00a0",
           " x \n ", "\r\n", "\r", "}", "{", "#"]
WS_OPEN = ["{%", "{%-", "{%+"]
WS_CLOSE = ["%}", "-%}", "+%}"]


def ws_tag(rng, body):
    return rng.choice(WS_OPEN) + " " + body + " " + rng.choice(WS_CLOSE)


def random_layout(rng, depth=0):
    """Text and tags with every whitespace-control variant, properly nested."""
    out = []
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.4 or depth >= 3:
            out.append("".join(rng.choice(WS_TEXT) for _ in range(rng.randint(1, 3))))
        elif r < 0.55:
            out.append(rng.choice(["{{", "{{-"]) + " 'v' " + rng.choice(["}}", "-}}"]))
        elif r < 0.65:
            out.append(rng.choice(["{#", "{#-"]) + " c " + rng.choice(["#}", "-#}", "+#}"]))
        elif r < 0.8:
            out.append(ws_tag(rng, "if true") + random_layout(rng, depth + 1) +
                       (ws_tag(rng, "else") + random_layout(rng, depth + 1) if rng.random() < 0.3 else "") +
                       ws_tag(rng, "endif"))
        elif r < 0.92:
            out.append(ws_tag(rng, "for i in [1, 2]") + random_layout(rng, depth + 1) +
                       ws_tag(rng, "endfor"))
        else:
            out.append(rng.choice(WS_OPEN) + " raw " + rng.choice(["%}", "-%}"]) + "{{ raw }}" +
                       random_layout(rng, 3) + ws_tag(rng, "endraw"))
    return "".join(out)


def live_ws(seed, n):
    """Random layouts of text and tags: the lexer's whitespace rules."""
    env = make_env()
    rng = random.Random(seed)
    for i in range(n):
        src = random_layout(rng)
        ctx = feature_context()
        res = render(env, src, ctx)
        res.pop("line", None)  # jinja2 lexes lazily, so a bad layout may be reported elsewhere
        line = {"template": None, "source": src, "case": f"ws_{seed}_{i}", "context": ctx, **res}
        print(json.dumps(line, ensure_ascii=False))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--live-ws":
        live_ws(int(sys.argv[2]), int(sys.argv[3]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--live":
        live(int(sys.argv[2]), int(sys.argv[3]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--live-expr":
        live_expr(int(sys.argv[2]), int(sys.argv[3]))
        return
    env = make_env()
    lines = []
    for family in FAMILIES + ["mistral"]:
        src = chat_template(family)
        with open(os.path.join(OUT, family + ".jinja"), "w", encoding="utf-8") as f:
            f.write(src)
        for name, msgs, gen, extra in CHAT_CASES + TOOL_CASES:
            ctx = chat_context(family, msgs, gen, extra)
            lines.append({"template": family, "case": name, "context": ctx,
                          **render(env, src, ctx)})
        ctx = chat_context(family, RICH_MESSAGES, True, {})
        ctx["tools"], ctx["documents"] = QWEN_TOOLS, RICH_DOCS
        lines.append({"template": family, "case": "rich_tools_documents", "context": ctx,
                      **render(env, src, ctx)})
        if family == "qwen3":
            ctx = chat_context(family, [u("Weather?")], True, {})
            ctx["tools"] = QWEN_TOOLS
            lines.append({"template": family, "case": "with_tools", "context": ctx,
                          **render(env, src, ctx)})
    for name, src in extra_templates(False):
        for cname, msgs, gen, extra in CHAT_CASES + TOOL_CASES:
            ctx = chat_context("mistral", msgs, gen, extra)
            lines.append({"template": name, "case": cname, "context": ctx,
                          **render(env, src, ctx)})
        ctx = chat_context("mistral", RICH_MESSAGES, True, {})
        ctx["tools"], ctx["documents"] = QWEN_TOOLS, RICH_DOCS
        lines.append({"template": name, "case": "rich_tools_documents", "context": ctx,
                      **render(env, src, ctx)})
    for fname in sorted(os.listdir(OUT)):
        if fname.startswith("feat_") and fname.endswith(".jinja"):
            with open(os.path.join(OUT, fname), encoding="utf-8") as f:
                src = f.read()
            ctx = feature_context()
            lines.append({"template": fname[:-6], "case": "features", "context": ctx,
                          **render(env, src, ctx)})
    for name, src in ERROR_CASES:
        ctx = feature_context()
        res = render(env, src, ctx)
        assert "error" in res, name
        lines.append({"template": None, "source": src, "case": name, "context": ctx, **res})
    with open(os.path.join(OUT, "golden.jsonl"), "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} golden renders (jinja2 {jinja2.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
