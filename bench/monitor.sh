#!/usr/bin/env bash
# Issue #18 performance: `signet log monitor` catching up from an empty state on a log of
# ENTRIES entries, over the Rekor v1 API and over tiles (Rekor v2, C2SP tlog-tiles), on the same
# server. One watched identity signed (keyless, dev OIDC) among the entries of each log, so each
# run must find exactly one match. Loopback only.
# Usage: bench/monitor.sh [ENTRIES]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ENTRIES=${1:-1000000}
CLIENTS=${CLIENTS:-64}
if [ "$ENTRIES" -lt 2 ]; then echo "ENTRIES must be at least 2" >&2; exit 2; fi
cargo build --release --locked -q -p signet-cli -p signet-testkit
bin=target/release
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
$bin/signet server --data-dir "$work/data" --addr 127.0.0.1:0 --tlog-api v2 --dev-oidc > "$work/out" 2> "$work/err" &
pid=$!
url=$(server_url "$work/out")
who=watched@example.com
# ENTRIES - 1 load entries per log, split around the watched one.
first=$(( (ENTRIES - 1) / 2 ))
rest=$(( ENTRIES - 1 - first ))
$bin/signet-tilebench fill "$url" "$first" "$CLIENTS" > "$work/fill1"
token=$($bin/signet oidc token --data-dir "$work/data" --subject "$who")
echo "signed by $who" > "$work/artifact"
tc="$work/data/trust_config.json"
$bin/signet sign-blob --identity-token "$token" --trust-config "$tc" --rekor-url "$url" \
  --bundle "$work/v1.sigstore.json" "$work/artifact" 2> "$work/sign1"
$bin/signet sign-blob --identity-token "$token" --trust-config "$tc" \
  --bundle "$work/v2.sigstore.json" "$work/artifact" 2> "$work/sign2"
$bin/signet-tilebench fill "$url" "$rest" "$CLIENTS" > "$work/fill2"
grep -h filled "$work/fill1" "$work/fill2" | sed 's/^/# /'
v2size=$(curl -s "$url/rekor-v2/checkpoint" | sed -n 2p)
echo "# v1 tree size $(tree_size "$url"), v2 tree size $v2size; server and monitor on the same 2 cores"
echo
echo "| source | entries | seconds | entries/s | matches found |"
echo "|---|---|---|---|---|"
for source in v1 tiles; do
  if [ "$source" = v1 ]; then from=(--rekor-url "$url"); else from=(--tiles "$url/rekor-v2"); fi
  start=$(date +%s.%N)
  $bin/signet log monitor --once "${from[@]}" --trusted-root "$work/data/trusted_root.json" \
    --state "$work/$source.state" --identity "$who" > "$work/$source.out"
  end=$(date +%s.%N)
  python3 - "$source" "$start" "$end" "$work/$source.out" <<'PY'
import json, sys
source, start, end, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
lines = [json.loads(l) for l in open(out) if l.strip()]
entries = sum(l["entriesRead"] for l in lines if l["event"] == "checkpoint")
matches = sum(1 for l in lines if l["event"] == "match")
secs = end - start
name = "Rekor v1 API (`--rekor-url`)" if source == "v1" else "tiles (`--tiles`)"
print(f"| {name} | {entries} | {secs:.2f} | {entries / secs:.0f} | {matches} |")
if matches != 1:
    sys.exit(f"{source}: expected exactly 1 match, found {matches}")
PY
done
