#!/usr/bin/env bash
# The SBOMs sign-release writes pass their reference validators:
#   * SPDX 2.3: PyPI `spdx-tools` 0.8.5 (`pyspdxtools -i`), the JSON `release.spdx.json` and the
#     tag-value `release.spdx`;
#   * CycloneDX 1.6: PyPI `cyclonedx-python-lib` 11.12.0 (`[json-validation]`), its strict JSON
#     schema validator (tests/interop/cyclonedx_validate.py), `release.cdx.json`;
# for a release signed with the defaults (both formats, `urn:uuid:` SPDX namespace) and one
# signed with `--sbom-namespace` and `--sbom-packages` (package entries with purl, license
# expression, download location, supplier and SHA-256); and each validator does refuse a broken
# document (so a pass means something).
# Usage: sbom_validators.sh <venv> <signet binary>. Prints "interop: N passed, M failed".
set -uo pipefail
venv=$1; signet=$2
work=$(mktemp -d)
here=$(dirname "$0")
. "$here/lib.sh"
start_keyed "$signet"
spdx() { "$venv/bin/pyspdxtools" -i "$1"; }
cdx() { "$venv/bin/python" "$here/cyclonedx_validate.py" "$1"; }
# field FILE PYTHON-EXPR: prints the expression over the JSON document `d`.
field() { "$venv/bin/python" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

rel=$work/rel
"$signet" sample-release "$rel" --files 4 --size-mib 1 > /dev/null 2>&1
check "signet signs a sample release (default: SPDX and CycloneDX)" \
  "$signet" sign-release "$rel" --key "$work/k.key" --rekor-url "$url" --release-version v1.36.0
check "the default SPDX namespace is urn:uuid:<v4 uuid>" \
  grep -Eq '"documentNamespace": "urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"' "$rel/release.spdx.json"
check "pyspdxtools validates release.spdx.json (SPDX 2.3 JSON)" spdx "$rel/release.spdx.json"
check "pyspdxtools validates release.spdx (SPDX 2.3 tag-value)" spdx "$rel/release.spdx"
check "cyclonedx-python-lib validates release.cdx.json (CycloneDX 1.6 JSON, strict)" cdx "$rel/release.cdx.json"

# With packages and a namespace under a base the operator controls.
cat > "$work/packages.json" <<'JSON'
{"packages": [
  {"name": "golang.org/x/net", "version": "v0.30.0", "purl": "pkg:golang/golang.org/x/net@v0.30.0",
   "license": "BSD-3-Clause", "downloadLocation": "https://proxy.golang.org/golang.org/x/net/@v/v0.30.0.zip",
   "supplier": "The Go Authors", "sha256": "4f2ba1d5c4a2b8e0d5a6f1e2c3b4a59687f0e1d2c3b4a5968778695a4b3c2d1e"},
  {"name": "go.etcd.io/etcd/client/v3", "version": "v3.5.16", "purl": "pkg:golang/go.etcd.io/etcd/client/v3@v3.5.16",
   "license": "Apache-2.0 OR (MIT AND BSD-2-Clause)", "downloadLocation": "git+https://github.com/etcd-io/etcd@v3.5.16"},
  {"name": "kube-openapi"}
]}
JSON
rel2=$work/rel2
"$signet" sample-release "$rel2" --files 4 --size-mib 1 --seed 2 > /dev/null 2>&1
check "signet signs a release with --sbom-namespace and --sbom-packages" \
  "$signet" sign-release "$rel2" --key "$work/k.key" --rekor-url "$url" --release-version v1.36.0 \
    --name kubernetes --sbom-namespace https://sbom.example.org/k8s --sbom-packages "$work/packages.json"
check "the SPDX namespace is <base>/<name>/<version>/<uuid>" \
  grep -Eq '"documentNamespace": "https://sbom.example.org/k8s/kubernetes/v1.36.0/[0-9a-f-]{36}"' "$rel2/release.spdx.json"
check "the SBOMs list the three packages (SPDX: 1 + 3 packages; CycloneDX: 3 libraries)" \
  test "$(field "$rel2/release.spdx.json" 'len(d["packages"])') $(field "$rel2/release.cdx.json" 'sum(c["type"] == "library" for c in d["components"])')" = "4 3"
check "pyspdxtools validates release.spdx.json with packages and a namespace base" spdx "$rel2/release.spdx.json"
check "pyspdxtools validates release.spdx with packages and a namespace base" spdx "$rel2/release.spdx"
check "cyclonedx-python-lib validates release.cdx.json with packages" cdx "$rel2/release.cdx.json"

# Broken documents are refused.
"$venv/bin/python" - "$rel/release.spdx.json" "$work/broken.spdx.json" "$rel2/release.cdx.json" "$work/broken.cdx.json" \
    "$rel2/release.spdx.json" "$work/broken-package.spdx.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["creationInfo"]["created"] = d["creationInfo"]["created"].replace("Z", ".5Z")
json.dump(d, open(sys.argv[2], "w"))
p = json.load(open(sys.argv[5]))
p["packages"][1]["licenseDeclared"] = "BSD-3-Clause-Typo"
json.dump(p, open(sys.argv[6], "w"))
b = json.load(open(sys.argv[3]))
b["components"][0]["hashes"][1]["alg"] = "SHA256"   # SPDX's spelling, not CycloneDX's SHA-256
json.dump(b, open(sys.argv[4], "w"))
PY
refuse "pyspdxtools refuses a created time with a fraction of a second" 'time data|format' \
  spdx "$work/broken.spdx.json"
refuse "pyspdxtools refuses a package license outside the SPDX License List" 'Unrecognized license reference: BSD-3-Clause-Typo' \
  spdx "$work/broken-package.spdx.json"
refuse "cyclonedx-python-lib refuses a hash algorithm outside CycloneDX's list" "'SHA256' is not one of" \
  cdx "$work/broken.cdx.json"
summary
