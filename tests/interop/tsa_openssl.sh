#!/usr/bin/env bash
# signet's RFC 3161 timestamp authority against OpenSSL's (`openssl ts`), the reference
# implementation: OpenSSL makes the requests (with and without nonce and certReq, SHA-256/384/512,
# with Sigstore's policy), signet's TSA answers over HTTP, and `openssl ts -verify` checks the
# answers against the instance's chain (`GET /api/v1/timestamp/certchain`: TSA certificate, CA
# root); a tampered answer, other data, a foreign policy and a non-timestamp media type are
# refused. With a venv holding PyPI `sigstore` 4.5.1 (its rfc3161-client), also: sigstore-python
# signs against the instance, whose signing config lists the TSA, gets signet's timestamp into
# its bundle and verifies it; signet verifies that bundle, counting the TSA's time; and
# sigstore-python verifies signet's timestamped bundle.
# Usage: tsa_openssl.sh <signet binary> [<venv>]. Prints "interop: N passed, M failed".
set -uo pipefail
signet=$(realpath "$1"); venv=${2:+$(realpath "$2")}
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
start_server "$signet" --dev-oidc --data-dir "$work/data" --addr 127.0.0.1:0
tsa=$url/api/v1/timestamp
cd "$work" || exit 1
printf 'the signature bytes a bundle carries' > sig.bin
check "the TSA serves its chain" curl -sSf -o chain.pem "$tsa/certchain"
# chain.pem: the TSA certificate, then the root.
awk '/BEGIN/{n++} n==1' chain.pem > leaf.pem
awk '/BEGIN/{n++} n==2' chain.pem > root.pem
post() { curl -sS -o "$2" -w '%{http_code}' -H "Content-Type: ${3:-application/timestamp-query}" --data-binary "@$1" "$tsa"; }
answered() { [ "$(post "$@")" = 200 ]; }
# Prints the answer and its status; succeeds only on 200.
ask() { local code; code=$(post "$@"); cat "$2"; echo " (HTTP $code)"; [ "$code" = 200 ]; }
verify() { openssl ts -verify -in "$1" -data "${2:-sig.bin}" -CAfile root.pem -untrusted "${3:-chain.pem}"; }

# As sigstore-python asks: nonce and certReq (the TSA certificate is in the token).
openssl ts -query -data sig.bin -sha256 -cert -out q1.tsq 2>/dev/null
check "signet answers OpenSSL's request (nonce, certReq)" answered q1.tsq r1.tsr
check "openssl ts -verify accepts it against root + chain" verify r1.tsr
check "the certificate in the token is enough (only the root trusted)" \
  openssl ts -verify -in r1.tsr -data sig.bin -CAfile root.pem
openssl ts -reply -in r1.tsr -text > r1.txt 2>&1
check "policy, accuracy, nonce echoed, TSA name" bash -c '
  grep -q "Policy OID: 1.3.6.1.4.1.57264.2" r1.txt && grep -q "Accuracy: 0x01 seconds" r1.txt &&
  grep -q "Ordering: no" r1.txt && grep -q "TSA: DirName:.*timestamp authority" r1.txt &&
  [ "$(openssl ts -query -in q1.tsq -text | grep Nonce)" = "$(grep Nonce r1.txt)" ]'
# As sigstore-go asks: no nonce, no certReq (OpenSSL then needs the TSA certificate given).
openssl ts -query -data sig.bin -sha256 -no_nonce -out q2.tsq 2>/dev/null
check "signet answers a request without nonce or certReq" answered q2.tsq r2.tsr
check "openssl ts -verify accepts it with the TSA certificate supplied" verify r2.tsr sig.bin leaf.pem
for h in sha384 sha512; do
  openssl ts -query -data sig.bin -$h -cert -out q-$h.tsq 2>/dev/null
  answered q-$h.tsq r-$h.tsr; check "openssl ts -verify accepts a $h timestamp" verify r-$h.tsr
done
openssl ts -query -data sig.bin -sha256 -cert -tspolicy 1.3.6.1.4.1.57264.2 -out q3.tsq 2>/dev/null
answered q3.tsq r3.tsr; check "Sigstore's policy, asked for, is granted" verify r3.tsr

# Refusals.
cp r1.tsr bad.tsr
size=$(stat -c %s bad.tsr)
printf '\x00' | dd of=bad.tsr bs=1 seek=$((size - 5)) conv=notrunc 2>/dev/null
refuse "openssl ts -verify refuses a tampered answer" 'verification: failed|error' verify bad.tsr
printf 'other bytes' > other.bin
refuse "openssl ts -verify refuses the answer for other data" 'verification: failed|message imprint mismatch' \
  verify r1.tsr other.bin
openssl ts -query -data sig.bin -sha256 -tspolicy 1.2.3.4 -out q4.tsq 2>/dev/null
refuse "a foreign policy gets 400 with a JSON message" '"code":400.*unaccepted policy' ask q4.tsq e4.json
openssl ts -query -data sig.bin -sha1 -out q5.tsq 2>/dev/null
refuse "SHA-1 gets 400" '"code":400.*weak hash' ask q5.tsq e5.json
refuse "text/plain gets 415" '"code":415' ask q1.tsq e6.json text/plain

# The JSON form (timestamp-cli): OpenSSL verifies the DER answer, nonce 123 echoed.
printf '{"artifactHash":"%s","hashAlgorithm":"sha256","nonce":123,"certificates":true}' \
  "$(openssl dgst -sha256 -binary sig.bin | base64 -w0)" > q.json
check "signet answers the JSON form" answered q.json rj.tsr application/json
check "openssl ts -verify accepts the JSON-requested timestamp" verify rj.tsr
check "its nonce is 123" bash -c 'openssl ts -reply -in rj.tsr -text | grep -q "Nonce: 0x7B"'

# With --tsa-include-chain-in-response, a token asked for with certificates carries the TSA
# certificate and the root (a DER SET: sorted), and verifies with only the root trusted.
kill "$pid"; wait "$pid" 2>/dev/null
start_server "$signet" --dev-oidc --data-dir "$work/data" --addr 127.0.0.1:0 --tsa-include-chain-in-response
tsa=$url/api/v1/timestamp
certs_in() { openssl ts -reply -in "$1" -token_out -out "$1.p7" 2>/dev/null &&
  openssl pkcs7 -inform DER -in "$1.p7" -print_certs | grep -c '^subject='; }
answered q1.tsq rc.tsr
counts="$(certs_in rc.tsr) (default: $(certs_in r1.tsr))"
check "--tsa-include-chain-in-response: the token carries TSA certificate and root" \
  test "$counts" = "2 (default: 1)"
check "openssl ts -verify accepts it with only the root trusted" \
  openssl ts -verify -in rc.tsr -data sig.bin -CAfile root.pem

if [ -n "$venv" ]; then
  export SIGNET_DATA_DIR=$work/data
  cfg=$work/data/trust_config.json
  token=$("$signet" oidc token --subject alice@example.com)
  echo "python-signed file" > py.txt; echo "signet-signed file" > rs.txt
  stamps() { python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); ts=b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]; sys.exit(len(ts) != 1)' "$1"; }
  check "sigstore-python signs with signet's signing config (TSA listed)" \
    "$venv/bin/sigstore" --trust-config "$cfg" sign --identity-token "$token" py.txt
  check "sigstore-python's bundle carries signet's RFC 3161 timestamp" stamps py.txt.sigstore.json
  check "sigstore-python verifies its timestamped bundle" \
    "$venv/bin/sigstore" --trust-config "$cfg" verify identity py.txt --bundle py.txt.sigstore.json \
      --cert-identity alice@example.com --cert-oidc-issuer "$url/oidc"
  check "signet verifies it, counting the TSA's time" bash -c '
    "$0" verify-blob py.txt --bundle py.txt.sigstore.json --offline --output json \
      --certificate-identity alice@example.com --certificate-oidc-issuer "$1/oidc" > v.json &&
    python3 -c "import json; v=json.load(open(\"v.json\")); assert len(v[\"verifiedTimes\"]) == 2 and not v[\"warnings\"], v"' \
    "$signet" "$url"
  check "signet signs with a timestamp" "$signet" sign-blob rs.txt --identity-token "$token" --bundle rs.txt.sigstore.json
  check "signet's bundle carries the timestamp" stamps rs.txt.sigstore.json
  check "sigstore-python verifies signet's timestamped bundle" \
    "$venv/bin/sigstore" --trust-config "$cfg" verify identity rs.txt --bundle rs.txt.sigstore.json \
      --cert-identity alice@example.com --cert-oidc-issuer "$url/oidc"
  # Without the log's inclusion promise (as with a Rekor v2 entry) the time can only come from the
  # TSA: sigstore-python verifies with signet's timestamp, and refuses once it is tampered with.
  python3 -c 'import json,base64
b=json.load(open("rs.txt.sigstore.json")); del b["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
json.dump(b,open("noset.sigstore.json","w"))
t=b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
d=bytearray(base64.b64decode(t["signedTimestamp"])); d[-3]^=1; t["signedTimestamp"]=base64.b64encode(bytes(d)).decode()
json.dump(b,open("bad.sigstore.json","w"))'
  check "sigstore-python verifies with only signet's timestamp as the time" \
    "$venv/bin/sigstore" --trust-config "$cfg" verify identity rs.txt --bundle noset.sigstore.json \
      --cert-identity alice@example.com --cert-oidc-issuer "$url/oidc"
  refuse "sigstore-python refuses it with the timestamp tampered" 'timestamp|time|verif' \
    "$venv/bin/sigstore" --trust-config "$cfg" verify identity rs.txt --bundle bad.sigstore.json \
      --cert-identity alice@example.com --cert-oidc-issuer "$url/oidc"
fi
summary
