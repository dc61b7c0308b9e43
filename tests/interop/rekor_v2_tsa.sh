#!/usr/bin/env bash
# A modern Sigstore deployment: a signet server with `--tlog-api v2` advertises its Rekor v2 log
# (majorApiVersion 2) and its RFC 3161 timestamp authority in the signing config, and real clients
# sign and verify against it:
#   1. sigstore-python 4.5.1 signs with signet's CA, v2 log and TSA (its rfc3161-client asks the
#      TSA), verifies its bundle; signet verifies it too;
#   2. signet signs (v2 entry + RFC 3161 timestamp); sigstore-python and sigstore-js verify;
# and each refuses the bundle for another identity.
# Usage: rekor_v2_tsa.sh <venv> <npm dir> <signet binary>. Prints "interop: N passed, M failed".
set -uo pipefail
venv=$(realpath "$1"); export SIGNET_INTEROP_NPM=$(realpath "$2"); signet=$(realpath "$3")
js=$(cd "$(dirname "$0")/js" && pwd)
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
start_server "$signet" --dev-oidc --tlog-api v2 --data-dir "$work/data" --addr 127.0.0.1:0
D=$work/data; cfg=$D/trust_config.json; iss=$url/oidc; me=alice@example.com
export SIGNET_DATA_DIR=$D
token=$("$signet" oidc token --subject "$me")
echo "python-signed, v2 log" > "$work/py.txt"
echo "signet-signed, v2 log" > "$work/rs.txt"
check "sigstore-python signs with signet's CA, Rekor v2 log and TSA" \
  "$venv/bin/sigstore" --trust-config "$cfg" sign --identity-token "$token" "$work/py.txt"
check "the bundle holds a v2 entry and an RFC 3161 timestamp" python3 - "$work/py.txt.sigstore.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
vm = b["verificationMaterial"]
assert vm["tlogEntries"][0]["kindVersion"]["version"] == "0.0.2", vm["tlogEntries"][0]["kindVersion"]
assert vm["timestampVerificationData"]["rfc3161Timestamps"], "no RFC 3161 timestamp"
PY
check "sigstore-python verifies it" \
  "$venv/bin/sigstore" --trust-config "$cfg" verify identity "$work/py.txt" \
    --cert-identity "$me" --cert-oidc-issuer "$iss"
check "signet verifies sigstore-python's v2 bundle" \
  "$signet" verify-blob "$work/py.txt" --bundle "$work/py.txt.sigstore.json" --offline \
    --certificate-identity "$me" --certificate-oidc-issuer "$iss"
check "signet signs with the v2 log and the TSA" \
  "$signet" sign-blob "$work/rs.txt" --identity-token "$token" --bundle "$work/rs.json"
check "sigstore-python verifies signet's v2 bundle" \
  "$venv/bin/sigstore" --trust-config "$cfg" verify identity "$work/rs.txt" \
    --bundle "$work/rs.json" --cert-identity "$me" --cert-oidc-issuer "$iss"
check "sigstore-js verifies signet's v2 bundle" \
  node "$js/verify.mjs" --trusted-root "$D/trusted_root.json" --bundle "$work/rs.json" \
    --artifact "$work/rs.txt" --identity "$me" --issuer "$iss"
refuse "sigstore-python refuses it for another identity" 'identity|SAN|mallory' \
  "$venv/bin/sigstore" --trust-config "$cfg" verify identity "$work/rs.txt" \
    --bundle "$work/rs.json" --cert-identity mallory@example.com --cert-oidc-issuer "$iss"
summary
