#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README command 1: install what is needed, build, and run a real benchmark
# against the built-in simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
./build/servebench serve --sim --num-prompts 200 --request-rate 50 \
  --random-input-len 256 --random-output-len 64 --max-concurrency 32
