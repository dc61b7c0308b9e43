#!/usr/bin/env bash
# Keyless interop with PyPI `sigstore` 4.x against a signet instance (CA + CT log + log + dev
# OIDC issuer), both ways:
#   1. sigstore-python signs with a token from our issuer, our CA and our log; signet verifies;
#   2. signet signs keylessly; sigstore-python verifies the bundle with our trust config.
# Plus the negative: sigstore-python refuses our bundle for a wrong identity.
# Usage: keyless_python.sh <venv> <signet binary>. Prints "interop: N passed, M failed".
set -uo pipefail
venv=$1; signet=$2
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
start_server "$signet" --dev-oidc --data-dir "$work/data" --addr 127.0.0.1:0
export SIGNET_DATA_DIR=$work/data
token=$("$signet" oidc token --subject alice@example.com)
echo "python-signed release file" > "$work/py.txt"
echo "signet-signed release file" > "$work/rs.txt"
check "sigstore-python signs with signet CA + CT + log" \
  "$venv/bin/sigstore" --trust-config "$work/data/trust_config.json" sign --identity-token "$token" "$work/py.txt"
check "signet verifies sigstore-python's bundle offline" \
  "$signet" verify-blob "$work/py.txt" --bundle "$work/py.txt.sigstore.json" --offline \
    --certificate-identity alice@example.com --certificate-oidc-issuer "$url/oidc"
check "signet signs keylessly" \
  "$signet" sign-blob "$work/rs.txt" --identity-token "$token" --bundle "$work/rs.txt.sigstore.json"
check "sigstore-python verifies signet's bundle" \
  "$venv/bin/sigstore" --trust-config "$work/data/trust_config.json" verify identity "$work/rs.txt" \
    --bundle "$work/rs.txt.sigstore.json" --cert-identity alice@example.com --cert-oidc-issuer "$url/oidc"
refuse "sigstore-python refuses signet's bundle for another identity" 'identity|SAN|mallory' \
  "$venv/bin/sigstore" --trust-config "$work/data/trust_config.json" verify identity "$work/rs.txt" \
    --bundle "$work/rs.txt.sigstore.json" --cert-identity mallory@example.com --cert-oidc-issuer "$url/oidc"
echo tampered >> "$work/rs.txt"
refuse "sigstore-python refuses a tampered file signed by signet" 'signature|digest|hash' \
  "$venv/bin/sigstore" --trust-config "$work/data/trust_config.json" verify identity "$work/rs.txt" \
    --bundle "$work/rs.txt.sigstore.json" --cert-identity alice@example.com --cert-oidc-issuer "$url/oidc"
summary
