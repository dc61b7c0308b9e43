#!/usr/bin/env bash
# Keyless sign-blob round trip on loopback (token -> certificate -> log entry -> .sig/.cert/
# bundle files), and verify-blob (.sig + .cert, entry looked up in the log) of a 100 MiB file
# against sha256sum of the same file. Prints tables. Usage: bench/sign_blob.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
cargo build --release --locked -q -p signet-cli
S=$PWD/target/release/signet
runs=${1:-40}
work=$(mktemp -d); pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
RUST_LOG=warn $S server --dev-oidc --data-dir "$work/d" --addr 127.0.0.1:0 > "$work/out" 2>/dev/null &
pid=$!
url=$(server_url "$work/out")
export SIGNET_DATA_DIR=$work/d SIGNET_QUIET=1
token=$($S oidc token --subject bench@example.com --ttl 3600)
echo "small release file" > "$work/f"
# In-process time (elapsedMs, from reading the token to the written files) and whole-process
# wall time (includes process start), per run.
: > "$work/inproc"; : > "$work/wall"
for i in $(seq "$runs"); do
  rm -f "$work/f.sig" "$work/f.cert" "$work/f.sigstore.json"
  t0=$(date +%s%N)
  $S sign-blob "$work/f" --identity-token "$token" --output-signature "$work/f.sig" \
    --output-certificate "$work/f.cert" --bundle "$work/f.sigstore.json" --output json > "$work/run.json"
  t1=$(date +%s%N)
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["elapsedMs"])' "$work/run.json" >> "$work/inproc"
  echo "scale=3; ($t1-$t0)/1000000" | bc >> "$work/wall"
done
stats() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.1f | %.1f | %.1f", a[int((NR+1)/2)], a[int(NR*0.9+0.5)], a[NR]}'; }
echo "== keyless sign-blob round trip, $runs runs (target p50 < 30 ms)"
echo "| measure | p50 ms | p90 ms | max ms |"
echo "|---|---|---|---|"
echo "| in-process (token -> cert -> log entry -> files) | $(stats "$work/inproc") |"
echo "| whole command incl. process start | $(stats "$work/wall") |"

echo "== verify-blob of a 100 MiB file with .sig + .cert (target <= 1.2x sha256sum + one log round trip)"
head -c $((100 << 20)) /dev/urandom > "$work/big"
$S sign-blob "$work/big" --identity-token "$token" --output-signature "$work/big.sig" --output-certificate "$work/big.cert" 2>/dev/null
cat "$work/big" > /dev/null
best() { local b=999999; for _ in 1 2 3 4 5; do local t0 t1; t0=$(date +%s%N); "$@" > /dev/null 2>&1; t1=$(date +%s%N); local d=$(( (t1-t0)/1000 )); [ $d -lt $b ] && b=$d; done; echo $b; }
sha=$(best sha256sum "$work/big")
ver=$(best $S verify-blob "$work/big" --signature "$work/big.sig" --certificate "$work/big.cert" --rekor-url "$url" \
  --certificate-identity bench@example.com --certificate-oidc-issuer "$url/oidc")
$S verify-blob "$work/big" --signature "$work/big.sig" --certificate "$work/big.cert" --rekor-url "$url" \
  --certificate-identity bench@example.com --certificate-oidc-issuer "$url/oidc" 2>&1 | tail -1
rtt=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{time_total}\n' "$url/api/v1/log"; done | sort -n | head -1 | awk '{printf "%d", $1*1000000}')
echo "| sha256sum ms | verify-blob ms | log round trip ms | ratio verify/sha256sum | budget 1.2x sha256sum + rtt ms |"
echo "|---|---|---|---|---|"
awk -v s="$sha" -v v="$ver" -v r="$rtt" 'BEGIN { printf "| %.1f | %.1f | %.2f | %.2f | %.1f |\n", s/1000, v/1000, r/1000, v/s, (1.2*s+r)/1000 }'
