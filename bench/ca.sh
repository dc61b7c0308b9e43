#!/usr/bin/env bash
# Certificate issuance on loopback: a signet instance (CA + CT log + dev issuer, embedded
# store) and 32 concurrent clients requesting certificates with a token whose JWKS is cached.
# Every certificate carries an embedded SCT from the CT log, durably logged before the answer.
# Prints a table. Usage: bench/ca.sh [CLIENTS] [CERTS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
cargo build --release --locked -q -p signet-cli -p signet-testkit
work=$(mktemp -d); pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
RUST_LOG=warn target/release/signet server --dev-oidc --data-dir "$work/d" --addr 127.0.0.1:0 > "$work/out" 2>/dev/null &
pid=$!
url=$(server_url "$work/out")
token=$(SIGNET_DATA_DIR=$work/d target/release/signet oidc token --subject bench@example.com --ttl 3600)
echo "== warm-up"
target/release/signet-cabench "$url" "$token" bench@example.com 8 200 > /dev/null
echo "== certificate issuance (target >= 2,000 certs/s)"
target/release/signet-cabench "$url" "$token" bench@example.com "${1:-32}" "${2:-6000}"
