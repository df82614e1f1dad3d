#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The folder-level include graph of src/ has no cycle and docs/ARCHITECTURE.md's module-graph
# block lists it exactly (scripts/module_graph.py). Then the checker itself is shown to catch a
# cycle, an undocumented edge and a layer drawn upside down, on a small tree built here.
set -euo pipefail
src="${SB_SOURCE_DIR:?}"
python3 "$src/scripts/module_graph.py"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/a" "$tmp/src/b" "$tmp/src/app" "$tmp/docs"
echo '#include "b/b.h"' >"$tmp/src/a/a.c"
: >"$tmp/src/b/b.h"
echo '#include "a/a.h"' >"$tmp/src/main.c"
doc() { printf '<!-- module-graph -->\n```\n%s\n```\n<!-- /module-graph -->\n' "$1" >"$tmp/docs/ARCHITECTURE.md"; }
check() { # expect-status expected-text
    local out rc=0
    out=$(SB_GRAPH_ROOT="$tmp" python3 "$src/scripts/module_graph.py" 2>&1) || rc=$?
    if [ "$rc" -ne "$1" ] || ! grep -qF -- "$2" <<<"$out"; then
        echo "module_graph self-check: wanted status $1 and '$2', got $rc:"
        echo "$out"
        exit 1
    fi
}
doc $'app/ -> a\na/ -> b\nb/ ->'
check 0 "3 folders, 2 edges, no cycle"
doc $'app/ -> a\nb/ ->\na/ -> b'
check 1 "lists b/ above a/"
doc $'app/ -> a\na/ ->\nb/ ->'
check 1 "new edge a -> b (src/a/a.c)"
echo '#include "a/a.h"' >"$tmp/src/b/b.h"
check 1 "folder cycle a -> b -> a"
echo "module_graph: ok"
