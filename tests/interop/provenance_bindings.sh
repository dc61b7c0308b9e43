#!/usr/bin/env bash
# The SLSA provenance sign-release writes round-trips through the in-toto attestation
# bindings (PyPI `in-toto-attestation` 0.9.3, protobuf): the Statement v1 and the SLSA
# Provenance v1 predicate parse with unknown fields refused, validate, and serialize back to
# the same JSON; and the bindings do refuse a predicate with a field SLSA v1 does not define
# (so a pass means something). The release is signed in a GitHub-Actions-shaped environment
# with a managed key, so its provenance carries a source, ref, builder and invocation.
# Usage: provenance_bindings.sh <venv> <signet binary>. Prints "interop: N passed, M failed".
set -uo pipefail
venv=$(realpath "$1"); signet=$(realpath "$2")
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
start_keyed "$signet"
rel=$work/rel
"$signet" sample-release "$rel" --files 4 --size-mib 1 > /dev/null 2>&1
sha=0123456789abcdef0123456789abcdef01234567
check "signet signs a release in a GitHub-Actions-shaped environment" \
  env -C "$work" GITHUB_ACTIONS=true GITHUB_REPOSITORY=org/repo GITHUB_SHA=$sha \
    GITHUB_REF=refs/tags/v1.2.3 GITHUB_WORKFLOW_REF=org/repo/.github/workflows/release.yml@refs/tags/v1.2.3 \
    GITHUB_RUN_ID=77 GITHUB_RUN_ATTEMPT=1 \
    "$signet" sign-release "$rel" --key "$work/k.key" --rekor-url "$url" --release-version v1.2.3
cat > "$work/bindings.py" <<'PY'
import base64, json, sys
from google.protobuf import json_format
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2

def load(path):
    env = json.loads(open(path).read().strip())
    assert env["payloadType"] == "application/vnd.in-toto+json", env["payloadType"]
    return json.loads(base64.b64decode(env["payload"]))

def strict(doc):
    st = Statement.copy_from_pb(json_format.Parse(json.dumps(doc), statement_pb2.Statement()))
    st.validate()
    assert doc["predicateType"] == "https://slsa.dev/provenance/v1"
    pred = json_format.Parse(json.dumps(doc["predicate"]), provenance_pb2.Provenance())
    for rd in pred.build_definition.resolved_dependencies:
        ResourceDescriptor.copy_from_pb(rd).validate()
    assert pred.build_definition.build_type, "no buildType"
    assert pred.run_details.builder.id, "no builder id"
    back = json.loads(json_format.MessageToJson(pred))
    assert back == doc["predicate"], (back, doc["predicate"])
    return pred

doc = load(sys.argv[2])
if sys.argv[1] == "ok":
    p = strict(doc)
    src = p.build_definition.resolved_dependencies[0]
    assert src.uri == "git+https://github.com/org/repo", src.uri
    assert src.digest["gitCommit"] == "0123456789abcdef0123456789abcdef01234567"
    assert p.run_details.builder.id == "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3"
    assert p.run_details.metadata.invocation_id == "https://github.com/org/repo/actions/runs/77/attempts/1"
    print("statement and predicate parse strictly, validate and round-trip;", len(doc["subject"]), "subjects")
else:
    doc["predicate"]["runDetails"]["builderr"] = {"id": "x"}
    strict(doc)
PY
check "in-toto-attestation parses the provenance strictly (unknown fields refused) and it round-trips" \
  "$venv/bin/python" "$work/bindings.py" ok "$rel/release.intoto.jsonl"
refuse "in-toto-attestation refuses a predicate with an unknown field" 'builderr|no field|Message type' \
  "$venv/bin/python" "$work/bindings.py" bad "$rel/release.intoto.jsonl"
summary
