#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package (CPack, DEB generator) from a build folder:
#   bash scripts/package.sh [build-dir]      -> build-dir/servebench_VERSION_ARCH.deb
# Install it with `sudo apt-get install ./build-dir/servebench_*.deb`; its library
# dependencies come from dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
[ -f "$dir/CMakeCache.txt" ] || bash scripts/build.sh "$dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$dir" -j"$(nproc)"
(cd "$dir" && cpack -G DEB >/dev/null)
ls "$dir"/servebench_*.deb
