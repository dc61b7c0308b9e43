#!/usr/bin/env bash
# Main job on the embedded default: build signet; verify real public-good Sigstore bundles
# offline; start a signet transparency log on a fresh data directory, record a signature in it,
# read it back and verify its inclusion; stop the log cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p signet-cli
SIGNET=$PWD/target/release/signet
CASES=$PWD/../shared/conformance/assets/bundle-verify
ID=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
ISS=https://token.actions.githubusercontent.com
work=$(mktemp -d); pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "== verify a public-good v0.3 bundle (embedded production trust root, no network)"
$SIGNET verify-bundle --bundle $CASES/happy-path-v0.3/bundle.sigstore.json \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" $CASES/a.txt

echo "== the same, by digest, machine-readable"
$SIGNET verify-bundle --bundle $CASES/happy-path-v0.3/bundle.sigstore.json \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" --output json \
  "sha256:$(sha256sum $CASES/a.txt | cut -d' ' -f1)"

echo "== a tampered artifact must be refused"
{ cat $CASES/a.txt; echo tampered; } > "$work/tampered"
if $SIGNET verify-bundle --bundle $CASES/happy-path-v0.3/bundle.sigstore.json \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$work/tampered"; then
  echo "BUG: tampered artifact verified" >&2; exit 1
fi
echo "== refused, as it should be"

echo "== start the signet transparency log (embedded store in $work/data)"
$SIGNET server --data-dir "$work/data" --log-addr 127.0.0.1:0 > "$work/server.out" 2> "$work/server.err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$work/server.out")
export SIGNET_REKOR_URL=$URL
echo "log at $URL"

echo "== sign a release file with a managed key and record it in the log"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/key.pem"
openssl ec -in "$work/key.pem" -pubout -out "$work/key.pub" 2>/dev/null
echo "kubernetes-server-linux-amd64.tar.gz (sample)" > "$work/artifact"
openssl dgst -sha256 -sign "$work/key.pem" -out "$work/artifact.sig" "$work/artifact"
$SIGNET log upload --artifact "$work/artifact" --signature "$work/artifact.sig" --public-key "$work/key.pub"
$SIGNET log upload --artifact "$work/artifact" --signature "$work/artifact.sig" --public-key "$work/key.pub"
$SIGNET log get --log-index 0
UUID=$($SIGNET log search --artifact "$work/artifact" 2>/dev/null | head -1)
$SIGNET log verify --uuid "$UUID" | tail -1
$SIGNET log info

echo "== managed-key signing with signet: generate a key pair, sign, write a bundle, verify offline"
(cd "$work" && $SIGNET generate-key-pair --output-key-prefix release)
$SIGNET sign-blob --key "$work/release.key" --bundle "$work/artifact.sigstore.json" \
  --output-signature "$work/artifact.sig2" "$work/artifact"
$SIGNET verify-blob --bundle "$work/artifact.sigstore.json" --key "$work/release.pub" \
  --trusted-root "$work/data/trusted_root.json" "$work/artifact"
kill -TERM "$pid"; wait "$pid" || true; pid=
echo "== log stopped cleanly; demo complete"
