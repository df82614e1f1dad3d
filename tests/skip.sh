# SPDX-License-Identifier: Apache-2.0
# skip.sh - sourced by shell tests: sb_skip MESSAGE ends the test as "skipped"
# (exit 77, which CTest reports as Skipped), except under CI=true, where a missing
# prerequisite is a failure: CI installs everything (scripts/install-deps.sh).
sb_skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL (CI): prerequisite missing: $*" >&2
    exit 1
  fi
  echo "SKIPPED: $*"
  exit 77
}
