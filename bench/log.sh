#!/usr/bin/env bash
# Issue #3 performance: durable appends from concurrent clients, GET-by-UUID throughput,
# inclusion-proof time at growing tree sizes, and storage per entry. Loopback only.
# Usage: bench/log.sh [CLIENTS] [ENTRIES] [PROOF_SIZES...]
#        bench/log.sh --tls [CLIENTS] [ENTRIES]   (issue #21: the same appends and GETs over plain
#        HTTP and over HTTPS, in one run, one table; `bench/log.sh --tls 8 500` is a quick run)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
TLS=
if [ "${1:-}" = --tls ]; then TLS=1; shift; fi
CLIENTS=${1:-64}
ENTRIES=${2:-40000}
shift 2 || true
SIZES=${*:-10000 1000000 10000000}
cargo build --release --locked -q -p signet-cli -p signet-testkit
if [ -n "$TLS" ]; then
  # Two fresh servers on two fresh data directories, one plain and one with a certificate from a
  # throwaway CA; the load generator trusts only that CA (it verifies the server's certificate),
  # keeps connections alive, and runs the same phases against each in turn. wrk is not used here:
  # it does not verify certificates.
  work=$(mktemp -d); pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
  tls_files "$work/tls"
  target/release/signet server --data-dir "$work/plain" --log-addr 127.0.0.1:0 > "$work/out-plain" 2> "$work/err-plain" &
  pids+=($!)
  target/release/signet server --data-dir "$work/https" --log-addr 127.0.0.1:0 \
    --tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server.key" > "$work/out-tls" 2> "$work/err-tls" &
  pids+=($!)
  plain=$(server_url "$work/out-plain")
  tls=$(server_url "$work/out-tls")
  case "$tls" in https://*) ;; *) echo "the TLS server did not announce an https URL:" >&2; cat "$work/err-tls" >&2; exit 1;; esac
  # The certificate verifies against the CA, and a client without the CA is refused.
  curl -sf --cacert "$work/tls/ca.pem" "$tls/api/v1/log" > /dev/null
  if curl -sf "$tls/api/v1/log" > /dev/null 2>&1; then echo "a client without the CA was not refused" >&2; exit 1; fi
  proto=$(openssl s_client -brief -connect "${tls#https://}" -CAfile "$work/tls/ca.pem" -verify_return_error </dev/null 2>&1 \
    | awk -F': ' '/^Protocol version/ {print $2; exit}')
  echo "## TLS on vs off ($CLIENTS clients, $ENTRIES entries; ECDSA P-256 server certificate, ${proto:-unknown protocol}; server and load generator on the same 2 cores)"
  target/release/signet-logbench tls "$CLIENTS" "$ENTRIES" "$work/tls/ca.pem" "$plain" "$tls"
  exit 0
fi
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
target/release/signet server --data-dir "$work/data" --log-addr 127.0.0.1:0 > "$work/out" 2> "$work/err" &
pid=$!
url=$(server_url "$work/out")
echo "## appends and reads ($CLIENTS clients, $ENTRIES entries, server and load generator on the same 2 cores; the Rust GET phase walks all entries, mostly cache misses)"
target/release/signet-logbench append "$url" "$CLIENTS" "$ENTRIES"
if command -v wrk >/dev/null; then
  # A C load generator leaves more of the 2 cores to the server than the Rust client above.
  target/release/signet-logbench bodies 100000 "$work/bodies.txt"
  echo
  echo "Durable appends with wrk ($CLIENTS connections, 8 s, every request a distinct pre-signed hashedrekord):"
  echo "| appended (201) | seconds | durable appends/s | p50 ms | p99 ms | max ms | other answers |"
  echo "|---|---|---|---|---|---|---|"
  cpu0=$(awk '{print $14+$15}' /proc/$pid/stat)
  size0=$(tree_size "$url")
  BODIES_FILE="$work/bodies.txt" WRK_THREADS=2 wrk -t2 -c"$CLIENTS" -d8s -s bench/lua/append.lua "$url" | grep '^|\|ran out'
  cpu1=$(awk '{print $14+$15}' /proc/$pid/stat)
  size1=$(tree_size "$url")
  # The physical floor of an append here is one P-256 verify (the client's signature) plus one
  # P-256 sign (the SET); the target assumed ~30k verifies/s on both cores.
  verify2=$(openssl speed -multi 2 -seconds 1 ecdsap256 2>/dev/null | awk '/nistp256/ {print int($NF)}')
  echo "server CPU per durable append: $(( (cpu1 - cpu0) * 10000 / (size1 - size0 > 0 ? size1 - size0 : 1) )) µs; P-256 verifies/s on both cores here (openssl): ${verify2:-unknown}"
  ENTRIES=$(tree_size "$url")
  for i in $(seq 0 199); do
    curl -s "$url/api/v1/log/entries?logIndex=$(( (i * 197) % ENTRIES ))" | python3 -c "import json,sys; print(list(json.load(sys.stdin))[0])"
  done > "$work/uuids.txt"
  get_lua "$work/uuids.txt" > "$work/get.lua"
  echo
  echo "GET by UUID with wrk (2 threads, $CLIENTS connections, 5 s, 200 distinct hot entries: served from the per-head render cache):"
  wrk -t2 -c"$CLIENTS" -d5s -s "$work/get.lua" "$url" | grep -E "Requests/sec|Latency"
  # Every entry, in random order: one wrk thread so the first pass is strictly cold, after a restart.
  kill $pid; wait $pid 2>/dev/null || true
  shuffled_entry_ids "$work/data/log/log.sqlite" > "$work/all.txt"
  get_lua "$work/all.txt" > "$work/all.lua"
  target/release/signet server --data-dir "$work/data" --log-addr 127.0.0.1:0 > "$work/out2" 2>> "$work/err" &
  pid=$!
  url=$(server_url "$work/out2")
  echo "GET by UUID, strictly cold (fresh server, 1 s, every request a distinct entry):"
  wrk -t1 -c"$CLIENTS" -d1s -s "$work/all.lua" "$url" | grep -E "Requests/sec"
  echo "GET by UUID, random walk over all $ENTRIES entries for 5 s (partly warm):"
  wrk -t2 -c"$CLIENTS" -d5s -s "$work/all.lua" "$url" | grep -E "Requests/sec"
fi
kill $pid; wait $pid 2>/dev/null || true
bytes=$(du -sb "$work/data/log" | cut -f1)
echo
echo "| storage | entries | bytes per entry (SQLite + WAL, entries + stored hashes + search index) |"
echo "|---|---|---|"
echo "| $(du -sh "$work/data/log" | cut -f1) | $ENTRIES | $((bytes / ENTRIES)) |"
echo
echo "## inclusion proofs vs tree size"
target/release/signet-logbench proofs "$work" $SIZES
