#!/usr/bin/env bash
# Interop with sigstore-js (npm `sigstore` 5.0.1, `@sigstore/verify` 4.1.3, `@sigstore/sign`
# 5.1.0: the client npm uses) against a signet instance started with default settings (CA + CT log
# + log + dev OIDC issuer), both ways:
#   1. signet signs (keyless blob, managed key, a release and its provenance); sigstore-js verifies
#      with the instance's trusted_root.json (tests/interop/js/verify.mjs);
#   2. sigstore-js signs with signet's CA and log (message signature, DSSE as a dsse entry and as
#      an intoto entry, and from signet's signing_config.json); signet verifies;
# and each side refuses the other's bundles for a wrong identity, a wrong issuer, a tampered file
# and another signet instance's trusted root.
# Usage: keyless_js.sh <npm dir (npm ci --prefix)> <signet binary>. Prints "interop: N passed, M failed".
set -uo pipefail
export SIGNET_INTEROP_NPM=$1; signet=$2
js=$(cd "$(dirname "$0")/js" && pwd)
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
start_server "$signet" --dev-oidc --data-dir "$work/data" --addr 127.0.0.1:0
D=$work/data; root=$D/trusted_root.json; iss=$url/oidc; me=alice@example.com
"$signet" oidc token --data-dir "$D" --subject "$me" > "$work/token"
"$signet" init --data-dir "$work/other" > /dev/null 2>&1  # another instance: its own CA and logs
other=$work/other/trusted_root.json
jsverify() { node "$js/verify.mjs" --trusted-root "$root" "$@"; }
jssign() { node "$js/sign.mjs" --token "$work/token" --fulcio "$url" --rekor "$url" "$@"; }
sigverify() { "$signet" verify-bundle --trusted-root "$root" "$@"; }
echo "signet-signed file" > "$work/rs.txt"
echo "js-signed file" > "$work/js.txt"

# 1. signet signs, sigstore-js verifies.
sign=("$signet" sign-blob --trust-config "$D/trust_config.json")
check "signet signs keylessly" "${sign[@]}" "$work/rs.txt" --identity-token "$work/token" --bundle "$work/rs.json"
check "sigstore-js verifies signet's keyless bundle" \
  jsverify --bundle "$work/rs.json" --artifact "$work/rs.txt" --identity "$me" --issuer "$iss"
"$signet" generate-key-pair --output-key-prefix "$work/k" > /dev/null 2>&1
"$signet" generate-key-pair --output-key-prefix "$work/k2" > /dev/null 2>&1
check "signet signs with a managed key" "${sign[@]}" "$work/rs.txt" --key "$work/k.key" --bundle "$work/rs-key.json"
check "sigstore-js verifies signet's managed-key bundle" \
  jsverify --bundle "$work/rs-key.json" --artifact "$work/rs.txt" --key "$work/k.pub"
rel=$work/rel
"$signet" sample-release "$rel" --files 4 --size-mib 1 > /dev/null 2>&1
check "signet signs a release" "$signet" sign-release "$rel" --trust-config "$D/trust_config.json" \
  --identity-token "$work/token" --release-version v0.0.1
for f in SHA256SUMS release.spdx.json kubernetes-server-linux-amd64.tar.gz kubernetes-server-linux-s390x.tar.gz; do
  check "sigstore-js verifies release file $f" \
    jsverify --bundle "$rel/$f.sigstore.json" --artifact "$rel/$f" --identity "$me" --issuer "$iss"
done
subjects=(); for f in "$rel"/*.tar.gz; do subjects+=(--subject "$f"); done
check "sigstore-js verifies the release provenance (DSSE) and its $((${#subjects[@]} / 2)) subjects" \
  jsverify --bundle "$rel/release.intoto.jsonl.sigstore.json" --identity "$me" --issuer "$iss" "${subjects[@]}"

refuse "sigstore-js refuses signet's bundle for another identity" 'SAN|identity' \
  jsverify --bundle "$work/rs.json" --artifact "$work/rs.txt" --identity mallory@example.com --issuer "$iss"
refuse "sigstore-js refuses signet's bundle for another issuer" 'issuer|extension' \
  jsverify --bundle "$work/rs.json" --artifact "$work/rs.txt" --identity "$me" --issuer https://accounts.google.com
refuse "sigstore-js refuses signet's managed-key bundle for another key" 'signature' \
  jsverify --bundle "$work/rs-key.json" --artifact "$work/rs.txt" --key "$work/k2.pub"
# (signet bundles carry the instance TSA's timestamp, which sigstore-js checks first: TIMESTAMP_ERROR.)
refuse "sigstore-js refuses signet's bundle against another instance's trusted root" 'certificate|chain|tlog|log|timestamp' \
  node "$js/verify.mjs" --trusted-root "$other" --bundle "$work/rs.json" --artifact "$work/rs.txt" --identity "$me" --issuer "$iss"
cp "$rel/SHA256SUMS" "$work/SHA256SUMS"; echo "0000 evil" >> "$work/SHA256SUMS"
refuse "sigstore-js refuses a tampered release file signed by signet" 'signature|digest' \
  jsverify --bundle "$rel/SHA256SUMS.sigstore.json" --artifact "$work/SHA256SUMS" --identity "$me" --issuer "$iss"
echo tampered >> "$work/rs.txt"
refuse "sigstore-js refuses a tampered file signed by signet" 'signature|digest' \
  jsverify --bundle "$work/rs.json" --artifact "$work/rs.txt" --identity "$me" --issuer "$iss"

# 2. sigstore-js signs, signet verifies.
for kind in message dsse intoto; do
  check "sigstore-js signs ($kind) with signet CA + CT + log" \
    jssign --kind "$kind" --artifact "$work/js.txt" --out "$work/js-$kind.json"
  check "signet verifies sigstore-js's $kind bundle" \
    sigverify --bundle "$work/js-$kind.json" "$work/js.txt" --certificate-identity "$me" --certificate-oidc-issuer "$iss"
  # The same bundle back through sigstore-js: signet's certificate, SCT, SET, inclusion proof and
  # checkpoint as sigstore-js checks them on bundles it assembled itself from signet's answers.
  if [ "$kind" = message ]; then what=(--artifact "$work/js.txt"); else what=(--subject "$work/js.txt"); fi
  check "sigstore-js verifies its own $kind bundle with signet's trusted root" \
    jsverify --bundle "$work/js-$kind.json" "${what[@]}" --identity "$me" --issuer "$iss"
done
check "signet verify-blob verifies sigstore-js's intoto bundle offline (by digest)" \
  "$signet" verify-blob "sha256:$(sha256sum "$work/js.txt" | cut -d' ' -f1)" --bundle "$work/js-intoto.json" --offline \
    --trusted-root "$root" --certificate-identity "$me" --certificate-oidc-issuer "$iss"
check "sigstore-js signs from signet's signing_config.json" \
  node "$js/sign.mjs" --token "$work/token" --signing-config "$D/signing_config.json" --kind message \
    --artifact "$work/js.txt" --out "$work/js-config.json"
check "signet verifies the bundle sigstore-js signed from signing_config.json" \
  sigverify --bundle "$work/js-config.json" "$work/js.txt" --certificate-identity "$me" --certificate-oidc-issuer "$iss"

refuse "signet refuses sigstore-js's bundle for another identity" 'identity|SAN' \
  sigverify --bundle "$work/js-message.json" "$work/js.txt" --certificate-identity mallory@example.com --certificate-oidc-issuer "$iss"
refuse "signet refuses sigstore-js's bundle for another issuer" 'issuer' \
  sigverify --bundle "$work/js-message.json" "$work/js.txt" --certificate-identity "$me" --certificate-oidc-issuer https://accounts.google.com
refuse "signet refuses sigstore-js's bundle against another instance's trusted root" 'certificate|chain|trust|log' \
  "$signet" verify-bundle --trusted-root "$other" --bundle "$work/js-message.json" "$work/js.txt" \
    --certificate-identity "$me" --certificate-oidc-issuer "$iss"
refuse "signet refuses sigstore-js's DSSE bundle for a file its statement does not name" 'subject|digest' \
  sigverify --bundle "$work/js-dsse.json" "$work/rs.txt" --certificate-identity "$me" --certificate-oidc-issuer "$iss"
echo tampered >> "$work/js.txt"
refuse "signet refuses a tampered file signed by sigstore-js" 'signature|digest' \
  sigverify --bundle "$work/js-message.json" "$work/js.txt" --certificate-identity "$me" --certificate-oidc-issuer "$iss"
summary
