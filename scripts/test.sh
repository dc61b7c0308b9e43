#!/usr/bin/env bash
# The test command (README "Run the tests"): everything CI runs, on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
