#!/usr/bin/env bash
# python-tuf (PyPI `tuf` 7.0.1, the ngclient `Updater` that sigstore-python uses) refreshes a TUF
# repository written by signet-tuf's writer (the `tuf_write_repo` example) and served by
# `python3 -m http.server` on 127.0.0.1: bootstrapped from root v1, it walks to root v2 (root and
# online keys rotated, signed by the old and the new root keys), verifies timestamp, snapshot and
# targets, and downloads `trusted_root.json` and `signing_config.v0.2.json` (hash-prefixed names)
# byte-identical to the files listed. The same repository with root v2 signed by the new root
# keys only is refused (so a pass means python-tuf checked signet's signatures).
# Usage: tuf_python.sh <venv with tuf==7.0.1 and cryptography> <tuf_write_repo binary>.
# Prints "interop: N passed, M failed".
set -uo pipefail
venv=$(realpath "$1"); writer=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../../crates/core/signet-tuf/testdata/sigstore-root-signing/targets
work=$(mktemp -d)
url=
. "$here/lib.sh"
"$writer" "$work/out" "$data/trusted_root.json" "$data/signing_config.v0.2.json"
"$venv/bin/python" -u -m http.server 0 --bind 127.0.0.1 --directory "$work/out" > "$work/http" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "port" "$work/http" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o 'port [0-9]*' "$work/http" | head -1 | cut -d' ' -f2)
[ -n "$port" ] && url=http://127.0.0.1:$port
cat > "$work/refresh.py" <<'PY'
import os, sys
from tuf.ngclient import Updater

base, root, cache, expect_dir = sys.argv[1:5]
os.makedirs(cache + "/meta", exist_ok=True)
os.makedirs(cache + "/targets", exist_ok=True)
u = Updater(metadata_dir=cache + "/meta", metadata_base_url=base + "/",
            target_base_url=base + "/targets/", target_dir=cache + "/targets",
            bootstrap=open(root, "rb").read())
u.refresh()
for name in ["trusted_root.json", "signing_config.v0.2.json"]:
    info = u.get_targetinfo(name)
    assert info is not None, name
    path = u.download_target(info)
    got = open(path, "rb").read()
    assert got == open(os.path.join(expect_dir, name), "rb").read(), name
    print(name, len(got), "bytes, hashes", info.hashes)
print("trusted root version", u._trusted_set.root.version)
assert u._trusted_set.root.version == 2
PY
run() { timeout 30 "$venv/bin/python" "$work/refresh.py" "$url/$1" "$work/out/root.json" "$work/cache-$1" "$data"; }
check "python-tuf refreshes signet's repository (root 1 -> 2) and downloads trusted_root.json and signing_config.v0.2.json" run repo
refuse "python-tuf refuses a root 2 signed by the new root keys only" "root was signed by 0/2 keys" run bad-repo
summary
