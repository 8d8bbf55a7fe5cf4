#!/usr/bin/env bash
# The test command the README gives: every crate's tests, including the
# end-to-end tests that build the wasm components from source. With
# SWITCHBOARD_TEST_POSTGRES_URL set, the store tests also run on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole run (cargo prints one per test binary),
# also when some failed: that is when it is read.
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
