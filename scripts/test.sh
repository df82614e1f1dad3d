#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README command 2: build (if needed) and run the whole test suite with CTest.
# SB_BUILD_DIR and extra cmake arguments select another build (e.g. sanitizers):
#   SB_BUILD_DIR=build-asan scripts/test.sh -DSB_SANITIZE=ON
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${SB_BUILD_DIR:-build}"
bash scripts/build.sh "$dir" "$@"
ctest --test-dir "$dir" --output-on-failure -j2
