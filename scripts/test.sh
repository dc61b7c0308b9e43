#!/usr/bin/env bash
# The test command (README "Run the tests"): everything CI runs, on a fresh Debian machine.
#   1. cargo test for the whole workspace (unit, oracle, conformance, HTTP and crash tests);
#   2. interop: PyPI `sigstore` 4.5.1 talks to a signet log with its own Rekor v1 client, and
#      signs/verifies keylessly against a signet instance (CA, CT log, log, dev OIDC issuer);
#   3. interop: npm `sigstore` 5.0.1 / `@sigstore/sign` / `@sigstore/verify` (sigstore-js, the
#      client npm uses) signs against a default signet instance and verifies signet's bundles;
#   4. the release SBOMs pass their reference validators (SPDX JSON and tag-value: spdx-tools;
#      CycloneDX 1.6 JSON: cyclonedx-python-lib's strict schema validator);
#   5. interop: container images in a real registry (Debian docker-registry): sigstore-python and
#      sigstore-js verify signet's image bundles, `sigstore attach` (@sigstore/cli) writes a
#      referrer signet verifies.
#   6. interop: python-tuf 7.0.1 (ngclient) refreshes a TUF repository signet-tuf wrote;
#   7. interop: OpenSSL's `openssl ts` and sigstore-python (rfc3161-client) use signet's TSA;
#      sigstore-python signs through signet's Rekor v2 log and TSA, and the clients verify
#      each other's v2 bundles;
#   8. interop: three signet nodes on one PostgreSQL database, sigstore-python and sigstore-js
#      signing through followers and again after the leader is killed.
# Ends with one line: "all tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp); work=$(mktemp -d); pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$log" "$work"; }
trap cleanup EXIT

# The image tests run a real OCI registry (Debian's docker-registry): install it when missing.
. scripts/registry.sh
install_registry
# The log tests also run on PostgreSQL (a throwaway cluster of their own): install it when missing.
. scripts/postgres.sh
install_postgres
# The interactive-login test drives a real headless browser: install Chromium when missing.
. scripts/chromium.sh
install_chromium
# The HSM tests keep keys in SoftHSM2 (a throwaway token per test): install it when missing.
. scripts/softhsm.sh
install_softhsm
cargo test --workspace --locked 2>&1 | tee "$log"

# Interop peers, installed from PyPI into a venv under target/ (reused between runs).
venv=target/interop-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" 2>/dev/null || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
fi
"$venv/bin/pip" install -q --disable-pip-version-check sigstore==4.5.1 tuf==7.0.1 spdx-tools==0.8.5 \
  'cyclonedx-python-lib[json-validation]==11.12.0' in-toto-attestation==0.9.3
# sigstore-js, pinned by tests/interop/js/package-lock.json, installed with `npm ci` under target/
# (again only when the lock file changed). Node 20 is enough (its engine warnings are harmless).
npmdir=target/interop-npm
command -v npm > /dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm > /dev/null; }
if [ ! -d "$npmdir/node_modules" ] || ! cmp -s tests/interop/js/package-lock.json "$npmdir/package-lock.json"; then
  mkdir -p "$npmdir" && rm -rf "$npmdir/node_modules"
  cp tests/interop/js/package.json tests/interop/js/package-lock.json "$npmdir/"
  npm ci --prefix "$npmdir" --no-audit --no-fund --loglevel=error
fi
cargo build -q --locked -p signet-tuf --example tuf_write_repo
cargo build -q --locked -p signet-testkit --bin signet-pgcluster

# The interop suites run in two lanes at once (each suite starts its own servers on port 0 in
# its own temporary directory); each lane stops at its first failure, and the lanes' output is
# printed in order once both have ended.
lane_python() {
  target/debug/signet server --data-dir "$work/data" --log-addr 127.0.0.1:0 > "$work/out" 2> "$work/err" &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$work/out")
  "$venv/bin/python" tests/interop/sigstore_python_log.py "$url"
  kill "$pid" 2>/dev/null || true
  bash tests/interop/keyless_python.sh "$venv" target/debug/signet
  # The timestamp authority against OpenSSL's `openssl ts` (requests, verification, refusals),
  # and sigstore-python signing and verifying with it (rfc3161-client).
  bash tests/interop/tsa_openssl.sh target/debug/signet "$venv"
  # The release SBOMs against their reference validators (PyPI spdx-tools, `pyspdxtools -i`;
  # PyPI cyclonedx-python-lib, its strict JSON schema validator).
  bash tests/interop/sbom_validators.sh "$venv" target/debug/signet
  # The release provenance against the in-toto attestation bindings (PyPI in-toto-attestation).
  bash tests/interop/provenance_bindings.sh "$venv" target/debug/signet
  # TUF: python-tuf's ngclient refreshes a repository signet-tuf's writer wrote (root rotation,
  # hash-prefixed targets) and refuses a root not signed by the old root keys.
  bash tests/interop/tuf_python.sh "$venv" target/debug/examples/tuf_write_repo
  # Container images in a real registry (docker-registry, installed by scripts/registry.sh).
  bash tests/interop/oci_peers.sh "$venv" "$npmdir" target/debug/signet
}
lane_js() {
  bash tests/interop/keyless_js.sh "$npmdir" target/debug/signet
  # TUF from a running server: python-tuf, sigstore-python (`--instance <url>/tuf`) and
  # sigstore-js (`--tuf-mirror-url <url>/tuf`) get the instance's trust with only
  # DATA/tuf/root.json in hand.
  bash tests/interop/tuf_server.sh "$venv" "$npmdir" target/debug/signet
  # Rekor v2 and the TSA: sigstore-python signs against `signet server --tlog-api v2` (CA, v2
  # log, TSA) and verifies; signet, sigstore-python and sigstore-js verify each other's v2
  # bundles.
  bash tests/interop/rekor_v2_tsa.sh "$venv" "$npmdir" target/debug/signet
  # Three signet nodes on one PostgreSQL database: sigstore-python and sigstore-js sign through
  # followers, verify what signet signed through the leader, and sign again after the leader is
  # killed (-9). The database is a throwaway cluster (signet-testkit's signet-pgcluster).
  bash tests/interop/multinode_peers.sh "$venv" "$npmdir" target/debug/signet target/debug/signet-pgcluster
}
echo "interop suites: running in two lanes (output below once both end)"
(set -e; lane_python) > "$work/lane-python" 2>&1 & lane1=$!
(set -e; lane_js) > "$work/lane-js" 2>&1 & lane2=$!
rc=0
wait "$lane1" || rc=1
wait "$lane2" || rc=1
cat "$work/lane-python" "$work/lane-js" | tee -a "$log"
[ "$rc" = 0 ] || { echo "an interop lane failed (its output is above)" >&2; exit 1; }

awk '/^test result:/ { p += $4; f += $6 } /^interop: / { p += $2; f += $4 }
     END { printf "all tests: %d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$log"
