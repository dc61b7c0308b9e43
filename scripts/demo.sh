#!/usr/bin/env bash
# Main job on the embedded default: build signet; verify real public-good Sigstore bundles
# offline; start a signet transparency log on a fresh data directory, record a signature in it,
# read it back and verify its inclusion; sign a release and container images in a real registry
# (both of cosign's formats) and verify them as a Kubernetes user does; stop cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p signet-cli
SIGNET=$PWD/target/release/signet
CASES=$PWD/testdata/sigstore-conformance/assets/bundle-verify
ID=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
ISS=https://token.actions.githubusercontent.com
work=$(mktemp -d); pid=
registry_pid=
release_pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; [ -n "$release_pid" ] && kill "$release_pid" 2>/dev/null; rm -rf "$work"; }
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

echo "== start signet (CA, CT log, transparency log, development OIDC issuer) on $work/data"
# --dev-oidc-alias: the development issuer may also mint tokens claiming Google's issuer, so the
# image part below can rehearse Kubernetes' own verification command (krel-trust@… identity).
$SIGNET server --dev-oidc --dev-oidc-alias https://accounts.google.com --data-dir "$work/data" --addr 127.0.0.1:0 > "$work/server.out" 2> "$work/server.err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$work/server.out" | head -1)
export SIGNET_DATA_DIR=$work/data SIGNET_REKOR_URL=$URL
cat "$work/server.out"

echo "== keyless signing, as a Kubernetes release job does it: token -> certificate -> log entry"
TOKEN=$($SIGNET oidc token --subject release-managers@example.com)
echo "kubernetes-server-linux-amd64.tar.gz (sample)" > "$work/artifact"
$SIGNET sign-blob "$work/artifact" --identity-token "$TOKEN" \
  --output-signature "$work/artifact.sig" --output-certificate "$work/artifact.cert" \
  --bundle "$work/artifact.sigstore.json"

echo "== verify it the way a Kubernetes user does (.sig + .cert, entry found in the log)"
$SIGNET verify-blob "$work/artifact" --signature "$work/artifact.sig" --certificate "$work/artifact.cert" \
  --certificate-identity release-managers@example.com --certificate-oidc-issuer "$URL/oidc"

echo "== and offline, from the bundle alone"
$SIGNET verify-blob "$work/artifact" --bundle "$work/artifact.sigstore.json" --offline \
  --certificate-identity release-managers@example.com --certificate-oidc-issuer "$URL/oidc"

echo "== a wrong identity must be refused"
if $SIGNET verify-blob "$work/artifact" --bundle "$work/artifact.sigstore.json" --offline \
  --certificate-identity mallory@example.com --certificate-oidc-issuer "$URL/oidc"; then
  echo "BUG: wrong identity verified" >&2; exit 1
fi
echo "== refused, as it should be"

echo "== the log, rekor-cli style"
UUID=$($SIGNET log search --artifact "$work/artifact" 2>/dev/null | head -1)
$SIGNET log get --uuid "$UUID" --output json | cut -c1-160
$SIGNET log verify --uuid "$UUID" | tail -1
$SIGNET log info

echo "== the log in a browser (search, entries decoded, inclusion verified in the browser)"
curl -fsS "$URL/ui/" | grep -q 'id="tree-size"' || { echo "BUG: no log explorer at $URL/ui/" >&2; exit 1; }
curl -fsS "$URL/ui/entries/$UUID" | grep -q "$UUID" || { echo "BUG: no entry page for $UUID" >&2; exit 1; }
echo "log explorer: $URL/ui/   this entry: $URL/ui/entries/$UUID"
echo "(the server runs until the demo ends; DEMO_KEEP_SERVER=1 bash scripts/demo.sh keeps it up at the end)"

echo "== managed-key signing: generate a key pair, sign, write a bundle, verify offline"
(cd "$work" && $SIGNET generate-key-pair --output-key-prefix release)
echo "kubectl (sample)" > "$work/kubectl"
$SIGNET sign-blob --key "$work/release.key" --bundle "$work/kubectl.sigstore.json" "$work/kubectl"
$SIGNET verify-blob --bundle "$work/kubectl.sigstore.json" --key "$work/release.pub" "$work/kubectl"
echo "== a whole release: 130 Kubernetes-shaped artifacts, signed in one command"
$SIGNET sample-release "$work/release" --files 130 --size-mib 64
# The provenance names the build: here by flags (in CI they come from the environment).
$SIGNET sign-release "$work/release" --identity-token "$TOKEN" --release-version v1.36.0-demo \
  --source-uri git+https://github.com/example/sample-release --source-ref refs/tags/v1.36.0-demo \
  --source-digest gitCommit:0123456789abcdef0123456789abcdef01234567 \
  --builder-id https://ci.example/builders/release@v1
ls "$work/release" | grep -E '^(SHA256SUMS|release\.)' | sed 's/^/  /'

echo "== verify the whole release in one parallel command, with a provenance policy (summary of the per-file table)"
$SIGNET verify-release "$work/release" --certificate-identity release-managers@example.com \
  --certificate-oidc-issuer "$URL/oidc" --builder-id https://ci.example/builders/release \
  --source-uri github.com/example/sample-release --source-ref v1.36.0-demo > "$work/verify.txt"
head -3 "$work/verify.txt"; echo "  ..."; grep -E 'SHA256SUMS|release\.' "$work/verify.txt"

echo "== a policy that requires another source repository: verify-release must refuse the provenance"
if $SIGNET verify-release "$work/release" --certificate-identity release-managers@example.com \
  --certificate-oidc-issuer "$URL/oidc" --source-uri github.com/evil/fork > "$work/verify3.txt"; then
  echo "BUG: provenance policy not enforced" >&2; exit 1
fi
grep -v '^OK' "$work/verify3.txt"

echo "== the release page: serve-release verifies the release at each page load (verify-release's checks)"
$SIGNET serve-release "$work/release" --addr 127.0.0.1:0 --certificate-identity release-managers@example.com \
  --certificate-oidc-issuer "$URL/oidc" --builder-id https://ci.example/builders/release \
  --source-uri github.com/example/sample-release --source-ref v1.36.0-demo > "$work/release.out" 2> "$work/release.err" &
release_pid=$!
for _ in $(seq 100); do grep -q serving "$work/release.out" 2>/dev/null && break; sleep 0.1; done
RELEASE_URL=$(grep -o 'http://[0-9.:]*' "$work/release.out" | head -1)
RELEASE_FILES=$(grep -c . "$work/verify.txt"); RELEASE_FILES=$((RELEASE_FILES - 1))
curl -fsS "$RELEASE_URL/" > "$work/release.html"
grep -q ">All $RELEASE_FILES files verified<" "$work/release.html" || { echo "BUG: the release page at $RELEASE_URL/ does not say all $RELEASE_FILES files verified" >&2; exit 1; }
[ "$(grep -o 'data-status="OK"' "$work/release.html" | wc -l)" -eq "$RELEASE_FILES" ] || { echo "BUG: not every row of the release page is OK" >&2; exit 1; }
echo "release page: $RELEASE_URL/   (all $RELEASE_FILES files verified; each log index links to $URL/ui/entries/…)"
echo "log explorer: $URL/ui/"

echo "== tamper with one binary (of a copy; the served release stays intact): verify-release must say which and fail"
cp -a "$work/release" "$work/release-tampered"
printf 'x' >> "$work/release-tampered/bin/linux/amd64/kubectl"
if $SIGNET verify-release "$work/release-tampered" --certificate-identity release-managers@example.com \
  --certificate-oidc-issuer "$URL/oidc" > "$work/verify2.txt"; then
  echo "BUG: tampered release verified" >&2; exit 1
fi
grep -v '^OK' "$work/verify2.txt"

echo "== container images: a real OCI registry (docker-registry 2.8.2, htpasswd auth) on loopback"
. scripts/registry.sh
start_registry "$work/registry"
export SIGNET_REGISTRY_USERNAME=$REGISTRY_USER SIGNET_REGISTRY_PASSWORD=$REGISTRY_PASS
IMG=$REGISTRY/kubernetes/kube-apiserver-amd64:v1.36.0-demo
$SIGNET sample-image --allow-http-registry --seed 1 --platforms linux/amd64,linux/arm64 "$IMG"
KREL=krel-trust@k8s-releng-prod.iam.gserviceaccount.com
KREL_TOKEN=$($SIGNET oidc token --issuer https://accounts.google.com --subject "$KREL")

echo "== sign it as Kubernetes does (legacy .sig tag) and as cosign v3 does (bundle referrer)"
$SIGNET sign --allow-http-registry --identity-token "$KREL_TOKEN" --new-bundle-format=false "$IMG"
$SIGNET sign --allow-http-registry --identity-token "$TOKEN" --recursive "$IMG"
$SIGNET tree --allow-http-registry "$IMG"

echo "== verify it with Kubernetes' documented command (cosign verify ... | jq .)"
$SIGNET verify --allow-http-registry "$IMG" --certificate-identity "$KREL" \
  --certificate-oidc-issuer https://accounts.google.com > "$work/image-verify.json"
python3 -m json.tool "$work/image-verify.json" | sed -n '1,14p'; echo "  ..."

echo "== another identity must be refused"
if $SIGNET verify --allow-http-registry "$IMG" --certificate-identity mallory@example.com \
  --certificate-oidc-issuer https://accounts.google.com; then
  echo "BUG: wrong identity verified" >&2; exit 1
fi
echo "== refused, as it should be"
kill "$registry_pid"; registry_pid=
if [ -n "${DEMO_KEEP_SERVER:-}" ]; then
  echo "== signet still serving: open $URL/ui/ (log explorer) and $RELEASE_URL/ (release page) (Ctrl-C to stop)"
  wait "$pid" || true
fi
kill -TERM "$release_pid"; wait "$release_pid" || true; release_pid=
kill -TERM "$pid"; wait "$pid" || true; pid=
echo "== services stopped cleanly; demo complete"
