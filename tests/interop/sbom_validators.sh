#!/usr/bin/env bash
# The SBOMs sign-release writes pass the SPDX reference validator (PyPI `spdx-tools` 0.8.5,
# `pyspdxtools -i`): the JSON `release.spdx.json` and the tag-value `release.spdx` of a signed
# sample release; and the validator does refuse a document with a broken `created` time (so a
# pass means something).
# Usage: sbom_validators.sh <venv> <signet binary>. Prints "interop: N passed, M failed".
set -uo pipefail
venv=$1; signet=$2
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
start_server "$signet" --data-dir "$work/data" --addr 127.0.0.1:0
"$signet" generate-key-pair --output-key-prefix "$work/k" > /dev/null 2>&1
rel=$work/rel
"$signet" sample-release "$rel" --files 4 --size-mib 1 > /dev/null 2>&1
check "signet signs a sample release" \
  "$signet" sign-release "$rel" --key "$work/k.key" --rekor-url "$url" --release-version v1.36.0
check "pyspdxtools validates release.spdx.json (SPDX 2.3 JSON)" "$venv/bin/pyspdxtools" -i "$rel/release.spdx.json"
check "pyspdxtools validates release.spdx (SPDX 2.3 tag-value)" "$venv/bin/pyspdxtools" -i "$rel/release.spdx"
python3 - "$rel/release.spdx.json" "$work/broken.spdx.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["creationInfo"]["created"] = d["creationInfo"]["created"].replace("Z", ".5Z")
json.dump(d, open(sys.argv[2], "w"))
PY
refuse "pyspdxtools refuses a created time with a fraction of a second" 'time data|format' \
  "$venv/bin/pyspdxtools" -i "$work/broken.spdx.json"
summary
