#!/usr/bin/env bash
# Runs every test of the workspace. Extra arguments go to `cargo test`
# (e.g. `bash scripts/test.sh -p switchboard-sdk`).
#
# With SWITCHBOARD_TEST_POSTGRES_URL set (e.g. postgres://postgres@127.0.0.1:5432/test)
# the store and end-to-end tests also run against that PostgreSQL server;
# without it they run against SQLite only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The build installs the target itself when it is missing; doing it here first
# only keeps rustup's output out of the build log.
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true

cargo test --workspace "$@"
