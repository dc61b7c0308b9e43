#!/usr/bin/env bash
# Certificate issuance with the CA's issuing key in a file versus in SoftHSM2 (PKCS#11), on
# loopback: the same signet instance setup as bench/ca.sh (CA + CT log + dev issuer, embedded
# store, every certificate with an embedded SCT durably logged), run twice — `--ca-key` unset
# (the key file `ca/intermediate.key`) and `--ca-key pkcs11:…` (a P-256 key created by
# `signet admin hsm create-key` in a throwaway SoftHSM2 token). Each certificate is signed
# twice by the CA key (precertificate and certificate). Prints one table.
# Usage: bench/ca_hsm.sh [CLIENTS] [CERTS]   (defaults 32, 6000)
#   PROFILE=debug bench/ca_hsm.sh 4 100      a smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. scripts/softhsm.sh
install_softhsm
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release --locked -q -p signet-cli -p signet-testkit
else
  cargo build --locked -q -p signet-cli -p signet-testkit
fi
bin=target/$profile
clients=${1:-32}; certs=${2:-6000}
work=$(mktemp -d); pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/tokens"
cat > "$work/softhsm2.conf" <<CONF
directories.tokendir = $work/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF=$work/softhsm2.conf
softhsm2-util --init-token --free --label signet-bench --pin 1234 --so-pin 5678 > /dev/null
echo 1234 > "$work/pin"
uri="pkcs11:token=signet-bench;object=ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$work/pin"
"$bin/signet" admin hsm create-key --uri "$uri" > /dev/null 2>&1

# run NAME [server flags…]: one instance, warm-up, then the measured run; prints its table row.
run() {
  local name=$1; shift
  RUST_LOG=warn "$bin/signet" server --dev-oidc --data-dir "$work/$name" --addr 127.0.0.1:0 "$@" \
    > "$work/$name.out" 2>/dev/null &
  pid=$!
  local url token
  url=$(server_url "$work/$name.out")
  token=$(SIGNET_DATA_DIR=$work/$name "$bin/signet" oidc token --subject bench@example.com --ttl 3600)
  "$bin/signet-cabench" "$url" "$token" bench@example.com 8 "$(( certs / 10 + 1 ))" > /dev/null
  "$bin/signet-cabench" "$url" "$token" bench@example.com "$clients" "$certs" \
    | sed -n '3s/^|/| '"$name"' |/p'
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

echo "== certificate issuance, CA key in a file vs in SoftHSM2 ($profile build, $clients clients, $certs certificates)"
echo "| CA key | certificates | clients | seconds | certificates/s | p50 ms | p99 ms | max ms | errors |"
echo "|---|---|---|---|---|---|---|---|---|"
run file
run softhsm --ca-key "$uri"
