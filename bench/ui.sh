#!/usr/bin/env bash
# Issue 22 performance: server time of the log explorer's pages (entry page p50, target < 5 ms;
# search by email over many entries, index-backed; the overview) and the explorer's page weight
# (target < 100 KB). In process, on a real SQLite log in a temporary directory.
# Usage: bench/ui.sh [ENTRIES] [EMAIL_ENTRIES] [REQUESTS]   (defaults 100000 10000 1000)
# Smoke run: PROFILE=debug bench/ui.sh 200 100 20
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build --release --locked -q -p signet-testkit --bin signet-uibench
else
  cargo build --locked -q -p signet-testkit --bin signet-uibench
fi
"target/$PROFILE/signet-uibench" "${1:-100000}" "${2:-10000}" "${3:-1000}"
