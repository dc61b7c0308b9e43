#!/usr/bin/env bash
# Container-image interop against a real registry (docker-registry 2.8.2, htpasswd auth, no
# referrers API: the fallback tag is always used) and a signet instance with default settings:
#   1. signet signs an image in cosign v3's bundle format; the bundle, pulled with plain HTTP
#      (curl: fallback index -> referrer manifest -> layer), verifies with PyPI `sigstore` 4.5.1
#      (`verify identity ... sha256:<image digest>`) and with sigstore-js; both refuse it for
#      another image's digest and another identity;
#   2. sigstore-js signs cosign's image statement over another image, npm `@sigstore/cli` 0.10.3
#      `sigstore attach`es it (a referrer with none of the dev.sigstore.bundle.* annotations);
#      `signet verify` finds it through the fallback index and verifies it, and refuses it for
#      another identity.
# Usage: oci_peers.sh <venv> <npm dir> <signet binary>. Prints "interop: N passed, M failed".
set -uo pipefail
venv=$1; export SIGNET_INTEROP_NPM=$2; signet=$3
js=$(cd "$(dirname "$0")/js" && pwd)
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../scripts/registry.sh"
registry_pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"' EXIT
start_server "$signet" --dev-oidc --data-dir "$work/data" --addr 127.0.0.1:0
start_registry "$work/registry" || { echo "interop FAILED: no registry"; fail=$((fail+1)); summary; exit 1; }
export SIGNET_DATA_DIR=$work/data SIGNET_REGISTRY_USERNAME=$REGISTRY_USER SIGNET_REGISTRY_PASSWORD=$REGISTRY_PASS
D=$work/data; root=$D/trusted_root.json; iss=$url/oidc; me=alice@example.com
"$signet" oidc token --subject "$me" > "$work/token"
reg() { "$signet" "$@" --allow-http-registry; }
get() { curl -sf -u "$REGISTRY_USER:$REGISTRY_PASS" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

img1=$REGISTRY/interop/app:v1; img2=$REGISTRY/interop/app:v2
d1=$(reg sample-image --seed 11 "$img1" | sed 's/.*@//')
d2=$(reg sample-image --seed 12 "$img2" | sed 's/.*@//')
[ -n "$d1" ] && [ -n "$d2" ] || { echo "interop FAILED: sample images not pushed"; fail=$((fail+1)); }

# 1. signet writes, the peers read and verify.
check "signet signs an image (bundle format)" reg sign --identity-token "$work/token" "$img1"
idx=$(get -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REGISTRY/v2/interop/app/manifests/sha256-${d1#sha256:}")
ref=$(echo "$idx" | json 'd["manifests"][0]["digest"]')
layer=$(get -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/interop/app/manifests/$ref" | json 'd["layers"][0]["digest"]')
get "http://$REGISTRY/v2/interop/app/blobs/$layer" > "$work/signet-image.sigstore.json"
check "the fallback index lists the referrer with artifactType and signet's annotations" \
  python3 -c "import json,sys; m=json.loads(sys.argv[1])['manifests'][0]; a=m['annotations']
assert m['artifactType']=='application/vnd.dev.sigstore.bundle.v0.3+json', m
assert a['dev.sigstore.bundle.predicateType']=='https://sigstore.dev/cosign/sign/v1', a
assert a['dev.sigstore.bundle.content']=='dsse-envelope', a" "$idx"
check "sigstore-python verifies signet's image bundle against the image digest" \
  "$venv/bin/sigstore" --trust-config "$D/trust_config.json" verify identity "$d1" \
    --bundle "$work/signet-image.sigstore.json" --cert-identity "$me" --cert-oidc-issuer "$iss"
check "sigstore-js verifies signet's image bundle (subject = image digest)" \
  node "$js/verify.mjs" --trusted-root "$root" --bundle "$work/signet-image.sigstore.json" \
    --identity "$me" --issuer "$iss" --subject-digest "$d1"
refuse "sigstore-python refuses signet's image bundle for another image" 'subject|digest|match' \
  "$venv/bin/sigstore" --trust-config "$D/trust_config.json" verify identity "$d2" \
    --bundle "$work/signet-image.sigstore.json" --cert-identity "$me" --cert-oidc-issuer "$iss"
refuse "sigstore-js refuses signet's image bundle for another image" 'subject' \
  node "$js/verify.mjs" --trusted-root "$root" --bundle "$work/signet-image.sigstore.json" \
    --identity "$me" --issuer "$iss" --subject-digest "$d2"
refuse "sigstore-python refuses signet's image bundle for another identity" 'identity|SAN|mallory' \
  "$venv/bin/sigstore" --trust-config "$D/trust_config.json" verify identity "$d1" \
    --bundle "$work/signet-image.sigstore.json" --cert-identity mallory@example.com --cert-oidc-issuer "$iss"

echo '{"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}' > "$work/provenance.json"
check "signet attests the image (SLSA provenance, bundle format)" \
  reg attest --identity-token "$work/token" --predicate "$work/provenance.json" --type slsaprovenance1 "$img1"
att=$(get -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REGISTRY/v2/interop/app/manifests/sha256-${d1#sha256:}" \
  | json '[m["digest"] for m in d["manifests"] if m.get("annotations",{}).get("dev.sigstore.bundle.predicateType")=="https://slsa.dev/provenance/v1"][0]')
layer=$(get -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/interop/app/manifests/$att" | json 'd["layers"][0]["digest"]')
get "http://$REGISTRY/v2/interop/app/blobs/$layer" > "$work/signet-att.sigstore.json"
check "sigstore-python verifies signet's image attestation bundle against the image digest" \
  "$venv/bin/sigstore" --trust-config "$D/trust_config.json" verify identity "$d1" \
    --bundle "$work/signet-att.sigstore.json" --cert-identity "$me" --cert-oidc-issuer "$iss"
check "sigstore-js verifies signet's image attestation bundle" \
  node "$js/verify.mjs" --trusted-root "$root" --bundle "$work/signet-att.sigstore.json" \
    --identity "$me" --issuer "$iss" --subject-digest "$d1"

# 2. The peers write, signet reads and verifies.
check "sigstore-js signs cosign's image statement with signet's CA and log" \
  node "$js/sign.mjs" --kind dsse --image-digest "$d2" --token "$work/token" --fulcio "$url" --rekor "$url" \
    --out "$work/js-image.sigstore.json"
check "sigstore attach (npm @sigstore/cli 0.10.3) attaches it to the image" \
  "$SIGNET_INTEROP_NPM/node_modules/.bin/sigstore" attach --attestation "$work/js-image.sigstore.json" \
    -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$img2"
check "signet verify finds sigstore attach's referrer (fallback index, no bundle annotations) and verifies it" \
  reg verify "$img2" --certificate-identity "$me" --certificate-oidc-issuer "$iss"
refuse "signet refuses sigstore attach's referrer for another identity" 'verified|identity|SAN' \
  reg verify "$img2" --certificate-identity mallory@example.com --certificate-oidc-issuer "$iss"
refuse "signet finds no signature on an unsigned image" 'no signatures' \
  reg verify "$(reg sample-image --seed 13 "$REGISTRY/interop/app:v3")" --certificate-identity "$me" --certificate-oidc-issuer "$iss"
summary
