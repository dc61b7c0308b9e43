#!/usr/bin/env bash
# Issue #15: container images against a real registry on loopback (Debian docker-registry 2.8.2,
# htpasswd auth, no referrers API, so every write also maintains the fallback index).
#   1. `signet sign` of N tags in one command (one certificate, concurrent log uploads and
#      pushes), bundle format and legacy format: images/s;
#   2. `signet verify` of one image end to end (tag resolve, referrers, bundle fetch, offline
#      verification), whole process: p50/p90 (target p50 < 30 ms);
#   3. the same work done by the peers where comparable: `sigstore attach` (@sigstore/cli, attach
#      only, no signing) per image, and PyPI `sigstore verify identity` of one image bundle.
# Usage: bench/images.sh [N_TAGS] [VERIFY_RUNS]. Prints tables.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. scripts/registry.sh
cargo build --release --locked -q -p signet-cli
S=$PWD/target/release/signet
n=${1:-100}; runs=${2:-40}
work=$(mktemp -d); pid=; registry_pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
RUST_LOG=warn $S server --dev-oidc --data-dir "$work/d" --addr 127.0.0.1:0 > "$work/out" 2>/dev/null &
pid=$!
url=$(server_url "$work/out")
start_registry "$work/registry"
export SIGNET_DATA_DIR=$work/d SIGNET_QUIET=1 SIGNET_REGISTRY_USERNAME=$REGISTRY_USER SIGNET_REGISTRY_PASSWORD=$REGISTRY_PASS
token=$($S oidc token --subject bench@example.com --ttl 3600)
echo "$token" > "$work/token"
ms() { echo "scale=1; ($2-$1)/1000000" | bc; }

echo "pushing $((2 * n)) sample images ..." >&2
base=0
for fmt in bundle legacy; do
  : > "$work/$fmt.tags"
  for i in $(seq "$n"); do
    img=$REGISTRY/bench/$fmt:t$i
    $S sample-image --allow-http-registry --seed $((base + i)) "$img" > /dev/null
    echo "$img" >> "$work/$fmt.tags"
  done
  base=$((base + n))
done

echo "== sign $n tags in one command (one certificate; log uploads and pushes concurrent)"
echo "| format | images | seconds | images/s |"
echo "|---|---|---|---|"
for fmt in bundle legacy; do
  flag=$([ $fmt = legacy ] && echo --new-bundle-format=false || echo --new-bundle-format=true)
  t0=$(date +%s%N)
  $S sign --allow-http-registry --identity-token "$token" $flag --output json $(cat "$work/$fmt.tags") > "$work/$fmt.json" 2> "$work/$fmt.err"
  t1=$(date +%s%N)
  awk -v n="$n" -v a="$t0" -v b="$t1" -v f="$fmt" 'BEGIN { s=(b-a)/1e9; printf "| %s | %d | %.2f | %.1f |\n", f, n, s, n/s }'
done

echo "== verify one image end to end, whole process ($runs runs; target p50 < 30 ms)"
stats() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.1f | %.1f | %.1f", a[int((NR+1)/2)], a[int(NR*0.9+0.5)], a[NR]}'; }
one=$(head -1 "$work/bundle.tags"); legacy_one=$(head -1 "$work/legacy.tags")
for which in bundle legacy; do
  img=$([ $which = bundle ] && echo "$one" || echo "$legacy_one")
  : > "$work/v-$which"
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    $S verify --allow-http-registry "$img" --certificate-identity bench@example.com \
      --certificate-oidc-issuer "$url/oidc" --output json > /dev/null
    t1=$(date +%s%N)
    ms "$t0" "$t1" >> "$work/v-$which"
  done
done
echo "| image | p50 ms | p90 ms | max ms |"
echo "|---|---|---|---|"
echo "| bundle format (referrers fallback tag) | $(stats "$work/v-bundle") |"
echo "| legacy .sig tag (after an empty referrers lookup) | $(stats "$work/v-legacy") |"

venv=target/interop-venv; npmdir=target/interop-npm
if [ -x "$venv/bin/sigstore" ] && [ -x "$npmdir/node_modules/.bin/sigstore" ]; then
  echo "== peers, where comparable (installed by scripts/test.sh)"
  d=$($S triangulate --allow-http-registry --type digest "$one" | sed 's/.*@//')
  $S download signature --allow-http-registry "$one" | head -1 > "$work/b.json"
  export SIGNET_INTEROP_NPM=$npmdir
  : > "$work/attach"
  for i in $(seq 10); do
    t0=$(date +%s%N)
    "$npmdir/node_modules/.bin/sigstore" attach --attestation "$work/b.json" -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY/bench/peer:p$i" > /dev/null 2>&1 || true
    t1=$(date +%s%N); ms "$t0" "$t1" >> "$work/attach"
  done
  : > "$work/pyverify"
  for _ in $(seq 5); do
    t0=$(date +%s%N)
    "$venv/bin/sigstore" --trust-config "$work/d/trust_config.json" verify identity "$d" --bundle "$work/b.json" \
      --cert-identity bench@example.com --cert-oidc-issuer "$url/oidc" > /dev/null 2>&1
    t1=$(date +%s%N); ms "$t0" "$t1" >> "$work/pyverify"
  done
  echo "| peer command | p50 ms | p90 ms | max ms |"
  echo "|---|---|---|---|"
  echo "| sigstore attach (attach one bundle; no signing) | $(stats "$work/attach") |"
  echo "| sigstore verify identity (bundle already pulled; no registry) | $(stats "$work/pyverify") |"
fi
