#!/usr/bin/env bash
# Main job on the embedded default: build signet, verify real public-good bundles offline,
# and show that a tampered artifact is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
SIGNET=target/release/signet
CASES=../shared/conformance/assets/bundle-verify
ID=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
ISS=https://token.actions.githubusercontent.com

echo "== verify a public-good v0.3 bundle (embedded production trust root, no network)"
$SIGNET verify-bundle --bundle $CASES/happy-path-v0.3/bundle.sigstore.json \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" $CASES/a.txt

echo "== the same, by digest, machine-readable"
$SIGNET verify-bundle --bundle $CASES/happy-path-v0.3/bundle.sigstore.json \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" --output json \
  "sha256:$(sha256sum $CASES/a.txt | cut -d' ' -f1)"

echo "== a tampered artifact must be refused"
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
{ cat $CASES/a.txt; echo tampered; } > "$tmp"
if $SIGNET verify-bundle --bundle $CASES/happy-path-v0.3/bundle.sigstore.json \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$tmp"; then
  echo "BUG: tampered artifact verified" >&2; exit 1
fi
echo "== refused, as it should be"
