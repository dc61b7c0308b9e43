#!/usr/bin/env bash
# Issue #2 performance targets, measured end to end with the release binary:
#   1. verify-bundle on a 100 MiB artifact vs `sha256sum` on the same file (target <= 1.15x);
#   2. fixed cost of verify-bundle on a tiny file (target < 10 ms, no network).
# Prints a table. Usage: bench/verify_bundle.sh [SIZE_MIB] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-100}
RUNS=${2:-7}
cargo build --release --locked -q -p signet-cli -p signet-testkit
SIGNET=target/release/signet
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$work/artifact"
target/release/signet-fixture "$work/artifact" "$work/fx"
cat "$work/artifact" > /dev/null   # warm the page cache for both contenders

# median wall time in ms of a command, over $RUNS runs
median_ms() {
  python3 - "$RUNS" "$@" <<'PY'
import subprocess, sys, time, statistics
runs = int(sys.argv[1]); cmd = sys.argv[2:]
ts = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ts.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(ts):.2f}")
PY
}

sha=$(median_ms sha256sum "$work/artifact")
ossl=$(median_ms openssl dgst -sha256 "$work/artifact")
ver=$(median_ms $SIGNET verify-bundle --bundle "$work/fx/bundle.sigstore.json" --key "$work/fx/key.pub" \
      --trusted-root "$work/fx/trusted_root.json" "$work/artifact")
CASES=testdata/sigstore-conformance/assets/bundle-verify
ID=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
RUNS=50
tiny=$(median_ms $SIGNET verify-bundle --bundle $CASES/happy-path-v0.3/bundle.sigstore.json \
       --certificate-identity "$ID" --certificate-oidc-issuer https://token.actions.githubusercontent.com $CASES/a.txt)
tinyv2=$(median_ms $SIGNET verify-bundle --bundle $CASES/rekor2-happy-path/bundle.sigstore.json \
       --trusted-root $CASES/rekor2-happy-path/trusted_root.json \
       --certificate-identity "$ID" --certificate-oidc-issuer https://token.actions.githubusercontent.com $CASES/a.txt)
true_ms=$(median_ms true)

python3 - "$SIZE_MIB" "$sha" "$ver" "$tiny" "$tinyv2" "$true_ms" "$ossl" <<'PY'
import sys
size, sha, ver, tiny, tinyv2, true_ms, ossl = sys.argv[1], *map(float, sys.argv[2:])
print(f"| measurement | median | target |")
print(f"|---|---|---|")
print(f"| sha256sum, {size} MiB | {sha:.1f} ms ({int(size)/sha*1000/1024:.2f} GiB/s) | |")
print(f"| openssl dgst -sha256 (SHA-NI), {size} MiB | {ossl:.1f} ms ({int(size)/ossl*1000/1024:.2f} GiB/s) | |")
print(f"| signet verify-bundle, {size} MiB (managed key, SET + proof + checkpoint) | {ver:.1f} ms ({int(size)/ver*1000/1024:.2f} GiB/s) | |")
print(f"| ratio verify-bundle / sha256sum | {ver/sha:.3f}x | <= 1.15x |")
print(f"| ratio verify-bundle / openssl sha256 | {ver/ossl:.3f}x | (stricter baseline) |")
print(f"| verify-bundle, tiny file, keyless v0.3 (chain, SCT, SET, proof, checkpoint) | {tiny:.2f} ms | < 10 ms |")
print(f"| verify-bundle, tiny file, Rekor v2 + RFC 3161 | {tinyv2:.2f} ms | < 10 ms |")
print(f"| process spawn baseline (`true`) | {true_ms:.2f} ms | |")
PY
