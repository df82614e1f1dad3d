#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""flag_audit.py - no flag is accepted and silently ignored.

Walks the serve flag table (src/cli/flag_table.c) row by row. A row is
accepted when it is marked FT_IGNORED (a Python-only knob: the parser prints a
"no effect" note) or FT_UNSUPPORTED (stops with "not supported yet"), or when
the config field it stores (for FT_CUSTOM rows: every field its handler in
flag_values.c assigns) is read somewhere in src/ outside the flag parsing and
validation code. Comments are stripped first, so a field named only in a
comment does not count. Fields read only by validation must be listed in
VALIDATION_ONLY with the reason. Every other subcommand's entry point
(src/app/*_cmd.c) must parse with a cli_opt table, and each row of such a
table must be handled. Prints one line per offending flag and exits 1 if
there is any.
usage: flag_audit.py SRC_DIR"""
import os
import re
import sys

# Files that only parse, default, print or validate flags: a read here is not a use.
PARSING = {'flag_table.c', 'flag_parse.c', 'flag_values.c', 'flag_dotted.c', 'flag_dotted.h',
           'config.c', 'config.h', 'config_file.c', 'help.c', 'validate.c', 'flags.h'}
# Fields whose only consumer is validation, and why that is a real effect.
VALIDATION_ONLY = {
    'tokenizer_mode': 'only the modes servebench implements (auto, hf) pass; others stop',
    'dataset_legacy': 'marks that --dataset set ds.path and ds.name (read by the dataset) for '
                      'the "legacy name" note',
}

# One pass over C text: string and char literals are kept whole (so "http://"
# is no comment), comments become a blank.
TOKENS = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)
ROW = re.compile(r'\{"([a-z0-9-]+)",\s*(?:NULL|"[^"]*"),\s*(FT_\w+),\s*([^,]+),')


def strip(text, strings=True):
    def one(m):
        t = m.group(0)
        if t.startswith('/'):
            return ' '
        return t if strings else '""'
    return TOKENS.sub(one, text)


def field_of(off):
    m = re.fullmatch(r'\s*[CD]\((\w+)\)\s*', off)
    return m.group(1) if m else None


def handler_fields(values_src, handler):
    m = re.search(r'\bint\s+' + handler + r'\s*\([^)]*\)\s*\{(.*?)\n\}', values_src, re.S)
    if not m:
        return None
    body = m.group(1)
    return sorted(set(re.findall(r'cfg->(?:ds\.)?(\w+)\s*(?:=[^=]|\[)', body)) |
                  set(re.findall(r'&cfg->(?:ds\.)?(\w+)', body)))


OPT_TABLE = re.compile(r'cli_opt\s+\w+\[\]\s*=\s*\{(.*?)\};', re.S)
OPT_ROW = re.compile(r'\{\s*"([a-z0-9-]+)"\s*,\s*(?:true|false)\s*\}')


def audit_cli_opt_tables(src, bad):
    """The other subcommands list their flags in cli_opt tables (cli/opt.h)
    and handle each by name or by row: every listed name must be handled
    somewhere in its file besides the table (as "name" or "--name", or as
    `row == i`, the last row by the else after `row == n-2`). Returns the
    count."""
    n = 0
    for root, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith('.c'):
                continue
            path = os.path.join(root, f)
            text = strip(open(path).read())
            for table in OPT_TABLE.finditer(text):
                rest = text[:table.start()] + text[table.end():]
                names = OPT_ROW.findall(table.group(1))
                for i, name in enumerate(names):
                    n += 1
                    by_name = f'"{name}"' in rest or f'"--{name}"' in rest
                    # or dispatched by row index: `row == i`, the last row by the final else
                    by_row = re.search(r'\brow == %d\b' % i, rest) or (
                        i == len(names) - 1 and re.search(r'\brow == %d\b' % (i - 1), rest))
                    if not by_name and not by_row:
                        bad.append(f'{os.path.relpath(path, src)}: --{name} is listed but never '
                                   f'handled (make it work or stop with "not supported yet")')
    return n


# Subcommands whose flag table lives in another module, audited there (serve:
# cli/flag_table.c; sim: sim/sim_opts.c), or is built from rows stored by
# offset (dataset generate: gen_opts through set_opt; dataset stats' own
# table is audited), with the call that shows the entry point parses through
# cli/.
DELEGATED = {
    'serve_cmd.c': 'cli_parse_serve',
    'sim_cmd.c': 'sim_opts_parse',
    'dataset_cmd.c': 'cli_args_next',
}


def audit_subcommands(src, bad):
    """Every subcommand entry point (app/*_cmd.c) walks its flags with
    cli/opt.h's rules from a table this audit reads, not by hand: a hand
    parser is how a flag ends up accepted and never handled, and how one
    subcommand's rules drift from the others'. Returns the count."""
    app = os.path.join(src, 'app')
    n = 0
    for f in sorted(os.listdir(app)):
        if not f.endswith('_cmd.c'):
            continue
        n += 1
        text = strip(open(os.path.join(app, f)).read())
        if f in DELEGATED:
            ok = DELEGATED[f] + '(' in text
        else:
            ok = 'cli_args_next(' in text and any(
                OPT_ROW.search(t.group(1)) for t in OPT_TABLE.finditer(text))
        if not ok:
            bad.append(f'app/{f}: parses its flags by hand (use a cli_opt table and '
                       f'cli_args_next, as every other subcommand)')
    return n


def main():
    src = sys.argv[1]
    table = strip(open(os.path.join(src, 'cli', 'flag_table.c')).read())
    values = strip(open(os.path.join(src, 'cli', 'flag_values.c')).read())
    users = {}
    for root, _, files in os.walk(src):
        for f in files:
            if f.endswith(('.c', '.h')) and f not in PARSING:
                users[os.path.join(root, f)] = strip(open(os.path.join(root, f)).read(), False)
    bad = []
    rows = ROW.findall(table)
    if len(rows) < 100:
        bad.append(f'only {len(rows)} flag rows parsed from flag_table.c: the audit cannot read it')
    for name, ftype, off in rows:
        if ftype in ('FT_IGNORED', 'FT_UNSUPPORTED'):
            continue
        fields = [field_of(off)] if field_of(off) else []
        if ftype == 'FT_CUSTOM':
            h = re.search(r'\{"' + re.escape(name) + r'".*?(fv_\w+)\}', table, re.S)
            fields = handler_fields(values, h.group(1)) if h else None
            if not fields:
                bad.append(f'--{name}: custom handler not found or assigns no field')
                continue
        if not fields:
            bad.append(f'--{name}: no config field and not marked FT_IGNORED/FT_UNSUPPORTED')
            continue
        for fld in fields:
            if fld in VALIDATION_ONLY:
                continue
            pat = re.compile(r'(->|\.)' + fld + r'\b')
            if not any(pat.search(t) for t in users.values()):
                bad.append(f'--{name}: field {fld} is never read outside the flag parser '
                           f'(make it work, or mark the row FT_UNSUPPORTED / FT_IGNORED)')
    n_other = audit_cli_opt_tables(src, bad)
    n_cmds = audit_subcommands(src, bad)
    for b in bad:
        print('flag audit:', b)
    print(f'flag audit: {len(rows)} serve flags, {n_other} flags of other subcommands, '
          f'{n_cmds} subcommand entry points, {len(bad)} problems')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
