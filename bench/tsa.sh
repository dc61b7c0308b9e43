#!/usr/bin/env bash
# Timestamps on loopback: a signet instance's RFC 3161 timestamp authority (P-256 key) and 64
# concurrent clients POSTing DER requests as sigstore-python sends them (nonce, certReq). Every
# answer is checked; every 64th is verified against the published chain. The floor is one ECDSA
# signature per timestamp. Prints a table. Usage: bench/tsa.sh [CLIENTS] [TIMESTAMPS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
cargo build --release --locked -q -p signet-cli -p signet-testkit
work=$(mktemp -d); pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
RUST_LOG=warn target/release/signet server --data-dir "$work/d" --addr 127.0.0.1:0 > "$work/out" 2>/dev/null &
pid=$!
url=$(server_url "$work/out")
echo "== warm-up"
target/release/signet-tsabench "$url" 8 500 > /dev/null
echo "== timestamps ($url/api/v1/timestamp)"
target/release/signet-tsabench "$url" "${1:-64}" "${2:-20000}"
