#!/usr/bin/env bash
# The test command (README "Run the tests"): everything CI runs, on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp); trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# One closing line over every test binary: "N passed, N failed".
awk '/^test result:/ { p += $4; f += $6 } END { printf "all tests: %d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$log"
