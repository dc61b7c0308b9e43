#!/usr/bin/env bash
# Interop with a three-node signet deployment on one PostgreSQL database (issue 19): PyPI
# `sigstore` and npm sigstore-js sign through different nodes (a follower's writes are queued in
# the database and integrated by the leader), and verify what signet signed through a third; then
# the leader is killed (-9) and sigstore-python signs again through a surviving node. Every node
# is started with default settings apart from `--database` and `--node-id`.
# Usage: multinode_peers.sh <venv> <npm dir> <signet binary> <signet-pgcluster binary>.
# Prints "interop: N passed, M failed"; without PostgreSQL's server binaries it says so and
# counts nothing.
set -uo pipefail
venv=$1; export SIGNET_INTEROP_NPM=$2; signet=$3; pgcluster=$4
js=$(cd "$(dirname "$0")/js" && pwd)
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
nodes=()
cleanup() {
  for p in "${nodes[@]}"; do kill -9 "$p" 2>/dev/null; done
  exec 9>&- 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The database: a throwaway cluster on 127.0.0.1 that lives while fd 9 is open.
mkfifo "$work/pg.in"
"$pgcluster" 1 < "$work/pg.in" > "$work/pg.out" 2> "$work/pg.err" &
exec 9> "$work/pg.in"
for _ in $(seq 600); do [ "$(wc -l < "$work/pg.out")" -ge 2 ] && break; sleep 0.1; done
db=$(sed -n 1p "$work/pg.out")
if [ -z "$db" ]; then
  if grep -q -i "binaries" "$work/pg.err"; then echo "interop skipped: no PostgreSQL server binaries"; echo "interop: 0 passed, 0 failed"; exit 0; fi
  echo "interop FAILED: the PostgreSQL cluster did not start"; cat "$work/pg.err"; echo "interop: 0 passed, 1 failed"; exit 0
fi

# One `signet init`, copied to each node (the nodes share the keys).
"$signet" init --data-dir "$work/base" --database "$db" > /dev/null || { echo "interop FAILED: init"; echo "interop: 0 passed, 1 failed"; exit 0; }
declare -A url
for n in a b c; do
  cp -a "$work/base" "$work/$n"; rm -f "$work/$n/lock"
  RUST_LOG=info "$signet" server --dev-oidc --data-dir "$work/$n" --addr 127.0.0.1:0 --database "$db" --node-id "$n" \
    > "$work/$n.out" 2> "$work/$n.err" &
  nodes+=($!); eval "pid_$n=$!"
done
for n in a b c; do
  for _ in $(seq 100); do grep -q listening "$work/$n.out" 2>/dev/null && break; sleep 0.1; done
  url[$n]=$(grep -o 'http://[0-9.:]*' "$work/$n.out" | head -1)
done
url=${url[a]}  # for summary()
leader() { grep -l "became leader of log at" "$work"/?.err 2>/dev/null | tail -1 | xargs -r basename | cut -c1; }
for _ in $(seq 100); do [ -n "$(leader)" ] && break; sleep 0.1; done
me=alice@example.com
token() { "$signet" oidc token --data-dir "$work/$1" --subject "$me"; }
py() { "$venv/bin/sigstore" --trust-config "$work/$1/trust_config.json" "${@:2}"; }
echo "python-signed file" > "$work/py.txt"; echo "js-signed file" > "$work/js.txt"; echo "signet-signed file" > "$work/rs.txt"
first=$(leader)
# Two nodes that are not the first leader: the peers sign through followers.
f1=$(for n in a b c; do [ "$n" != "$first" ] && echo "$n"; done | sed -n 1p)
f2=$(for n in a b c; do [ "$n" != "$first" ] && echo "$n"; done | sed -n 2p)
echo "interop: three nodes up (${url[a]} ${url[b]} ${url[c]}), leader $first"

check "sigstore-python signs through follower $f1" py "$f1" sign --identity-token "$(token "$f1")" "$work/py.txt"
check "signet verifies sigstore-python's bundle (node $f1's trusted root, offline)" \
  "$signet" verify-blob "$work/py.txt" --bundle "$work/py.txt.sigstore.json" --offline --trusted-root "$work/$f1/trusted_root.json" \
    --certificate-identity "$me" --certificate-oidc-issuer "${url[$f1]}/oidc"
token "$f2" > "$work/token-js"
check "sigstore-js signs through follower $f2" \
  node "$js/sign.mjs" --token "$work/token-js" --fulcio "${url[$f2]}" --rekor "${url[$f2]}" --kind message --artifact "$work/js.txt" --out "$work/js.json"
check "signet verifies sigstore-js's bundle" \
  "$signet" verify-bundle --trusted-root "$work/$f2/trusted_root.json" --bundle "$work/js.json" "$work/js.txt" \
    --certificate-identity "$me" --certificate-oidc-issuer "${url[$f2]}/oidc"
check "signet signs through the leader $first" \
  "$signet" sign-blob "$work/rs.txt" --trust-config "$work/$first/trust_config.json" --identity-token "$(token "$first")" --bundle "$work/rs.json"
check "sigstore-python verifies signet's bundle" \
  py "$first" verify identity "$work/rs.txt" --bundle "$work/rs.json" --cert-identity "$me" --cert-oidc-issuer "${url[$first]}/oidc"
check "sigstore-js verifies signet's bundle" \
  node "$js/verify.mjs" --trusted-root "$work/$first/trusted_root.json" --bundle "$work/rs.json" --artifact "$work/rs.txt" --identity "$me" --issuer "${url[$first]}/oidc"

# The leader dies; a survivor takes over the same tree.
eval "kill -9 \$pid_$first"
echo "python-signed after failover" > "$work/py2.txt"
check "sigstore-python signs through $f2 after the leader $first was killed" \
  py "$f2" sign --identity-token "$(token "$f2")" "$work/py2.txt"
check "sigstore-python verifies it" \
  py "$f2" verify identity "$work/py2.txt" --bundle "$work/py2.txt.sigstore.json" --cert-identity "$me" --cert-oidc-issuer "${url[$f2]}/oidc"
idx=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verificationMaterial"]["tlogEntries"][0]["logIndex"])' "$work/py2.txt.sigstore.json")
# The Rekor v1 log's key, from the trusted root the nodes publish (PEM from its DER).
python3 - "$work/$f1/trusted_root.json" > "$work/log.pub" <<'PY'
import json, sys, textwrap
t = json.load(open(sys.argv[1]))["tlogs"][0]
print("-----BEGIN PUBLIC KEY-----\n" + "\n".join(textwrap.wrap(t["publicKey"]["rawBytes"], 64)) + "\n-----END PUBLIC KEY-----")
PY
check "signet proves that entry ($idx) in node $f1's signed head, with the log key of the trusted root" \
  "$signet" log verify --rekor-url "${url[$f1]}" --log-index "$idx" --log-public-key "$work/log.pub"
sizes() { for n in "$f1" "$f2"; do "$signet" log info --rekor-url "${url[$n]}" --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["treeSize"])'; done | sort -u | wc -l; }
same=0; for _ in $(seq 50); do [ "$(sizes)" = 1 ] && { same=1; break; }; sleep 0.1; done
check "the surviving nodes serve one tree" test "$same" = 1
summary
