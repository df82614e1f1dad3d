#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""module_graph.py - the folder-level include graph of src/, checked against docs/ARCHITECTURE.md.

An edge A -> B exists when a file in src/A/ has `#include "B/..."` (src/main.c counts as app/).
Fails (exit 1) when the graph has a cycle, or when the block between the `module-graph` markers
of docs/ARCHITECTURE.md differs from it: that block lists one folder per line, top layer first,
with the folders it includes, and every folder may include only folders listed below it.
`--print` writes the block as it should be; $SB_GRAPH_ROOT checks another tree (the test's
self-check)."""
import os
import re
import sys

ROOT = os.environ.get("SB_GRAPH_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
DOC = os.path.join(ROOT, "docs", "ARCHITECTURE.md")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z0-9_]+)/', re.M)


def scan():
    folders = sorted(d for d in os.listdir(SRC) if os.path.isdir(os.path.join(SRC, d)))
    edges = {f: set() for f in folders}
    where = {}
    files = [("app", os.path.join(SRC, "main.c"))]
    for f in folders:
        for name in sorted(os.listdir(os.path.join(SRC, f))):
            if name.endswith((".c", ".h")):
                files.append((f, os.path.join(SRC, f, name)))
    for f, path in files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for m in INCLUDE.finditer(fh.read()):
                to = m.group(1)
                if to != f and to in edges:
                    edges.setdefault(f, set()).add(to)
                    where.setdefault((f, to), os.path.relpath(path, ROOT))
    return edges, where


def find_cycle(edges):
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def layered(edges):
    """Folders ordered top layer first: a folder's depth is 1 + the deepest folder it includes."""
    depth = {}

    def d(n):
        if n not in depth:
            depth[n] = 1 + max((d(m) for m in edges[n]), default=-1)
        return depth[n]

    return sorted(edges, key=lambda n: (-d(n), n))


def block(edges):
    return ["%-10s -> %s" % (n + "/", " ".join(sorted(edges[n]))) for n in layered(edges)]


def doc_block():
    with open(DOC, encoding="utf-8") as fh:
        text = fh.read()
    m = re.search(r"<!-- module-graph -->\n```\n(.*?)```\n<!-- /module-graph -->", text, re.S)
    if not m:
        return None
    return [line.rstrip() for line in m.group(1).splitlines() if line.strip()]


def main():
    edges, where = scan()
    cycle = find_cycle(edges)
    if cycle:
        print("module graph: folder cycle " + " -> ".join(cycle))
        for a, b in zip(cycle, cycle[1:]):
            print("  %s -> %s: %s" % (a, b, where[(a, b)]))
        return 1
    want = block(edges)
    if "--print" in sys.argv:
        print("\n".join(want))
        return 0
    have = doc_block()
    if have is None:
        print("module graph: docs/ARCHITECTURE.md has no <!-- module-graph --> block")
        return 1
    rows = {}
    order = []
    for line in have:
        m = re.match(r"^(\w+)/\s*->\s*(.*)$", line)
        if not m:
            print("module graph: docs/ARCHITECTURE.md: bad line %r" % line)
            return 1
        rows[m.group(1)] = set(m.group(2).split())
        order.append(m.group(1))
    bad = False
    for n in sorted(set(edges) | set(rows)):
        if edges.get(n, set()) != rows.get(n, set()) or (n in edges) != (n in rows):
            bad = True
            extra = sorted(edges.get(n, set()) - rows.get(n, set()))
            gone = sorted(rows.get(n, set()) - edges.get(n, set()))
            print("module graph: %s/ in src: %s; in docs: %s" % (
                n, " ".join(sorted(edges.get(n, ()))) or "-", " ".join(sorted(rows.get(n, ()))) or "-"))
            for m in extra:
                print("  new edge %s -> %s (%s)" % (n, m, where[(n, m)]))
            for m in gone:
                print("  edge %s -> %s no longer exists" % (n, m))
    for i, n in enumerate(order):
        for m in rows[n]:
            if m not in order[i + 1:]:
                bad = True
                print("module graph: docs/ARCHITECTURE.md lists %s/ above %s/, which includes it" % (m, n))
    if bad:
        print("expected block (scripts/module_graph.py --print):")
        print("\n".join(want))
        return 1
    print("module graph: %d folders, %d edges, no cycle, docs/ARCHITECTURE.md matches" % (
        len(edges), sum(len(v) for v in edges.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
