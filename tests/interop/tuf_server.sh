#!/usr/bin/env bash
# A signet server started with default settings publishes its trust through TUF at <url>/tuf/,
# and real TUF clients get it from there with only the root the server wrote
# (DATA/tuf/root.json) in hand:
#   1. python-tuf 7.0.1 (ngclient) refreshes <url>/tuf and downloads trusted_root.json and
#      signing_config.v0.2.json, byte-identical to the instance's own files;
#   2. sigstore-python 4.5.1 bootstraps with `--instance <url>/tuf trust-instance root.json`, then
#      signs with signet's CA and log and verifies, without --trust-config (and signet verifies
#      that bundle);
#   3. sigstore-js (`@sigstore/cli` 0.10.3) verifies a bundle signet made, with trust from
#      `--tuf-mirror-url <url>/tuf --tuf-root-path root.json`, and refuses it for another identity;
#   4. after `signet admin rotate log-key|ca|ct-key`, all of them renew their trust through TUF by
#      themselves: bundles from before still verify, new ones are signed and verified;
# and python-tuf refuses a bootstrap root whose signature does not verify.
# Usage: tuf_server.sh <venv> <npm dir> <signet binary>. Prints "interop: N passed, M failed".
set -uo pipefail
venv=$(realpath "$1"); npmdir=$(realpath "$2"); signet=$(realpath "$3")
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
start_server "$signet" --dev-oidc --data-dir "$work/data" --addr 127.0.0.1:0
export SIGNET_DATA_DIR=$work/data
cat > "$work/refresh.py" <<'PY'
import os, sys
from tuf.ngclient import Updater
base, root, cache, data = sys.argv[1:5]
for d in ("meta", "targets"):
    os.makedirs(os.path.join(cache, d), exist_ok=True)
u = Updater(metadata_dir=cache + "/meta", metadata_base_url=base + "/",
            target_base_url=base + "/targets/", target_dir=cache + "/targets",
            bootstrap=open(root, "rb").read())
u.refresh()
for name, local in [("trusted_root.json", "trusted_root.json"),
                    ("signing_config.v0.2.json", "signing_config.json")]:
    info = u.get_targetinfo(name)
    assert info is not None, name
    got = open(u.download_target(info), "rb").read()
    assert got == open(os.path.join(data, local), "rb").read(), name
    print(name, len(got), "bytes")
PY
check "python-tuf refreshes the server's /tuf and downloads its trusted_root.json and signing_config.v0.2.json" \
  timeout 30 "$venv/bin/python" "$work/refresh.py" "$url/tuf" "$work/data/tuf/root.json" "$work/cache" "$work/data"
export HOME=$work/home XDG_DATA_HOME=$work/home/data XDG_CACHE_HOME=$work/home/cache
check "sigstore-python trusts the instance from its TUF root (trust-instance)" \
  "$venv/bin/sigstore" --instance "$url/tuf" trust-instance "$work/data/tuf/root.json"
token=$("$signet" oidc token --subject alice@example.com)
echo "signed through TUF-distributed trust" > "$work/a.txt"
check "sigstore-python signs with the instance's CA and log, trust from TUF (no --trust-config)" \
  "$venv/bin/sigstore" --instance "$url/tuf" sign --identity-token "$token" "$work/a.txt"
check "sigstore-python verifies it, trust from TUF" \
  "$venv/bin/sigstore" --instance "$url/tuf" verify identity "$work/a.txt" \
    --cert-identity alice@example.com --cert-oidc-issuer "$url/oidc"
check "signet verifies sigstore-python's bundle" \
  "$signet" verify-bundle --bundle "$work/a.txt.sigstore.json" "$work/a.txt" \
    --certificate-identity alice@example.com --certificate-oidc-issuer "$url/oidc"
echo "signed by signet" > "$work/b.txt"
"$signet" sign-blob "$work/b.txt" --identity-token "$token" --bundle "$work/b.txt.sigstore.json" > /dev/null 2>&1
js() {
  "$npmdir/node_modules/.bin/sigstore" verify "$work/b.txt.sigstore.json" --blob-file "$work/b.txt" \
    --certificate-identity-email "$1" --certificate-issuer "$url/oidc" \
    --tuf-mirror-url "$url/tuf" --tuf-root-path "$work/data/tuf/root.json" --tuf-cache-path "$work/js-cache"
}
check "sigstore-js verifies signet's bundle with trust from the server's TUF repository" js alice@example.com
refuse "sigstore-js refuses it for another identity" 'PolicyError|mallory' js mallory@example.com
# Rotation: stop, rotate the log key, the CA and the CT key, start again on the same address.
# The peers refresh through TUF by themselves: what was signed before still verifies, and they
# sign and verify with the new keys.
kill "$pid"; wait "$pid" 2>/dev/null
for what in log-key ca ct-key; do
  check "signet admin rotate $what" "$signet" admin rotate "$what" --data-dir "$work/data"
done
start_server "$signet" --dev-oidc --data-dir "$work/data" --addr "${url#http://}"
check "after a rotation, sigstore-python verifies what it signed before (trust refreshed from TUF)" \
  "$venv/bin/sigstore" --instance "$url/tuf" verify identity "$work/a.txt" \
    --cert-identity alice@example.com --cert-oidc-issuer "$url/oidc"
echo "signed after the rotation" > "$work/c.txt"
check "after a rotation, sigstore-python signs with the new keys and verifies" \
  sh -c '"$1" --instance "$2/tuf" sign --identity-token "$3" "$4" &&
    "$1" --instance "$2/tuf" verify identity "$4" --cert-identity alice@example.com --cert-oidc-issuer "$2/oidc"' \
  _ "$venv/bin/sigstore" "$url" "$token" "$work/c.txt"
check "after a rotation, sigstore-js verifies signet's bundle from before" js alice@example.com
"$signet" sign-blob "$work/b.txt" --identity-token "$token" --bundle "$work/b.txt.sigstore.json" > /dev/null 2>&1
check "after a rotation, sigstore-js verifies signet's bundle made with the new keys" js alice@example.com
# A bootstrap root whose signature no longer covers its content is refused.
python3 - "$work/data/tuf/root.json" "$work/forged-root.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["signed"]["expires"] = "2099-01-01T00:00:00Z"   # the signature no longer covers it
json.dump(d, open(sys.argv[2], "w"))
PY
rm -rf "$work/home"
refuse "python-tuf refuses a bootstrap root whose signature does not verify" 'signed by 0/1|threshold|Unsigned' \
  timeout 30 "$venv/bin/python" "$work/refresh.py" "$url/tuf" "$work/forged-root.json" "$work/cache2" "$work/data"
summary
