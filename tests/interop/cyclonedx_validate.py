"""Validates a CycloneDX JSON document against the CycloneDX 1.6 JSON schema with PyPI
`cyclonedx-python-lib`'s strict validator (no unknown properties; formats such as date-time
and iri-reference checked; needs the `json-validation` extra). Exits 1, printing every error,
when the document is not valid CycloneDX 1.6.
Usage: cyclonedx_validate.py FILE"""
import json
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

text = open(sys.argv[1], encoding="utf-8").read()
spec = json.loads(text).get("specVersion")
if spec != "1.6":
    sys.exit(f"specVersion is {spec!r}, not '1.6'")
errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
errors = list(errors or [])
for e in errors:
    path = "/".join(str(p) for p in e.data.absolute_path)
    print(f"invalid CycloneDX 1.6 at /{path}: {e.data.message}")
if errors:
    sys.exit(1)
print(f"{sys.argv[1]}: valid CycloneDX 1.6")
