#!/usr/bin/env python3
"""Builds the fuzz seed corpora (fuzz/corpus/<target>/) from the repository's testdata/ and the
hand-made seeds in fuzz/seeds/<target>/. Standard library only; deterministic; files are named by
the SHA-1 of their content (as libFuzzer names its own), so re-running adds nothing twice.

usage: python3 fuzz/seed.py [CORPUS_DIR]     (default: fuzz/corpus)
"""

import base64
import glob
import hashlib
import json
import os
import shutil
import struct
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(FUZZ)
TESTDATA = os.path.join(REPO, "testdata")
CONFORMANCE = os.path.join(TESTDATA, "sigstore-conformance")
CASES = os.path.join(CONFORMANCE, "assets", "bundle-verify")

# The public-good Rekor tree ID (as in its entry IDs), for entry-ID seeds.
PUBLIC_GOOD_TREE_ID = 1193050959916656506
SCT_LIST_OID = bytes.fromhex("060a2b06010401d679020402")

corpus = {}


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    corpus.setdefault(target, set()).add(bytes(data))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def b64d(s):
    return base64.b64decode(s)


def b64e(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.b64encode(b).decode()


def pem(der, label="CERTIFICATE"):
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def tlv(b, at=0):
    """(tag, content start, end) of the DER TLV at `at`."""
    tag, first = b[at], b[at + 1]
    if first < 0x80:
        return tag, at + 2, at + 2 + first
    n = first & 0x7F
    length = int.from_bytes(b[at + 2 : at + 2 + n], "big")
    return tag, at + 2 + n, at + 2 + n + length


def sct_list(cert_der):
    """The TLS-encoded SCT list embedded in a certificate, or None."""
    at = cert_der.find(SCT_LIST_OID)
    if at < 0:
        return None
    at += len(SCT_LIST_OID)
    tag, cs, end = tlv(cert_der, at)
    if tag == 0x01:  # critical BOOLEAN
        tag, cs, end = tlv(cert_der, end)
    if tag != 0x04:
        return None
    tag, ics, iend = tlv(cert_der, cs)
    return cert_der[ics:iend] if tag == 0x04 else None


def leaf_hash(body):
    return hashlib.sha256(b"\x00" + body).hexdigest()


def bundles():
    paths = sorted(glob.glob(os.path.join(CASES, "*", "bundle.sigstore.json")))
    paths.append(os.path.join(TESTDATA, "rekor-vectors", "oci-attestation.sigstore.json"))
    for p in paths:
        raw = read(p)
        add("bundle", raw)
        try:
            yield json.loads(raw)
        except ValueError:
            pass  # the malformed-JSON case is still a bundle seed


def certs_of(b):
    vm = b.get("verificationMaterial") or {}
    if "certificate" in vm:
        return [b64d(vm["certificate"]["rawBytes"])]
    chain = (vm.get("x509CertificateChain") or {}).get("certificates") or []
    return [b64d(c["rawBytes"]) for c in chain]


def seed_bundle(b):
    certs = certs_of(b)
    for der in certs:
        add("x509_chain", der)
        lst = sct_list(der)
        if lst is not None:
            add("sct", lst)
    if len(certs) > 1:
        add("x509_chain", "".join(pem(c) for c in certs))

    env = b.get("dsseEnvelope")
    if env is not None:
        env_json = json.dumps(env, separators=(",", ":"))
        add("dsse", env_json)
        try:
            add("provenance", b64d(env["payload"]))
        except (KeyError, ValueError):
            pass
        if certs:
            verifier = pem(certs[0])
            add(
                "admit",
                json.dumps(
                    {
                        "apiVersion": "0.0.1",
                        "kind": "dsse",
                        "spec": {"proposedContent": {"envelope": env_json, "verifiers": [b64e(verifier)]}},
                    }
                ),
            )
            add(
                "admit",
                json.dumps(
                    {
                        "apiVersion": "0.0.2",
                        "kind": "intoto",
                        "spec": {
                            "content": {
                                "envelope": {
                                    "payload": b64e(env.get("payload", "")),
                                    "payloadType": env.get("payloadType", ""),
                                    "signatures": [
                                        {
                                            "keyid": s.get("keyid", ""),
                                            "sig": b64e(s.get("sig", "")),
                                            "publicKey": b64e(verifier),
                                        }
                                        for s in env.get("signatures", [])
                                    ],
                                },
                                "hash": {
                                    "algorithm": "sha256",
                                    "value": hashlib.sha256(env_json.encode()).hexdigest(),
                                },
                            }
                        },
                    }
                ),
            )

    vm = b.get("verificationMaterial") or {}
    for entry in vm.get("tlogEntries") or []:
        try:
            body = b64d(entry["canonicalizedBody"])
        except (KeyError, ValueError):
            continue
        seed_body(body)
        cp = ((entry.get("inclusionProof") or {}).get("checkpoint") or {}).get("envelope")
        if cp:
            add("signed_note", cp)

    signed = None
    if "messageSignature" in b:
        signed = b64d(b["messageSignature"].get("signature", ""))
    elif env is not None and env.get("signatures"):
        signed = b64d(env["signatures"][0].get("sig", ""))
    ts = (vm.get("timestampVerificationData") or {}).get("rfc3161Timestamps") or []
    for t in ts:
        token = b64d(t["signedTimestamp"])
        if signed is not None and len(signed) < 1 << 16:
            add("tsa", struct.pack(">H", len(signed)) + signed + token)
        add("tsa", struct.pack(">H", 0) + token)


def seed_body(body):
    add("rekor_body", body)
    uuid = leaf_hash(body)
    add("entry_id", uuid)
    add("entry_id", "%016x%s" % (PUBLIC_GOOD_TREE_ID, uuid))
    try:
        v = json.loads(body)
    except ValueError:
        return
    if v.get("kind") == "hashedrekord" and v.get("apiVersion") == "0.0.1":
        add("admit", body)  # a hashedrekord body is a valid proposal


def seed_trusted_roots():
    paths = sorted(glob.glob(os.path.join(CASES, "*", "trusted_root.json")))
    paths += sorted(glob.glob(os.path.join(CONFORMANCE, "default-trust", "*trusted_root.json")))
    paths.append(os.path.join(TESTDATA, "sigstore-root-signing", "targets", "trusted_root.json"))
    for p in paths:
        raw = read(p)
        add("trusted_root", raw)
        root = json.loads(raw)
        for ca in root.get("certificateAuthorities", []) + root.get("timestampAuthorities", []):
            ders = [b64d(c["rawBytes"]) for c in ca.get("certChain", {}).get("certificates", [])]
            for d in ders:
                add("x509_chain", d)
            if ders:
                add("x509_chain", "".join(pem(d) for d in ders))


def seed_keys():
    for p in sorted(glob.glob(os.path.join(CASES, "*", "key.pub"))):
        add("fulcio_request", read(p))
    for name in ("fulcio.crt.pem", "fulcio_intermediate_v1.crt.pem", "fulcio_v1.crt.pem"):
        add("x509_chain", read(os.path.join(TESTDATA, "sigstore-root-signing", "targets", name)))
    add("fulcio_request", read(os.path.join(TESTDATA, "rekor-vectors", "rekor.pub")))


def seed_misc():
    v1 = json.loads(read(os.path.join(TESTDATA, "rekor-vectors", "v1_logentry_reconstructed.json")))
    for uuid, entry in v1.items():
        add("entry_id", uuid)
        seed_body(b64d(entry["body"]))
    add("provenance", read(os.path.join(CONFORMANCE, "assets", "statement.json")))
    image = os.path.join(TESTDATA, "cosign-image-signature")
    add("oci_payload", read(os.path.join(image, "payload.json")))
    for v in json.loads(read(os.path.join(image, "signature.json")))["annotations"].values():
        add("oci_payload", v.encode())
    for r in (b"busybox", b"127.0.0.1:5000/k8s/kube-apiserver-amd64:v1.36.0",
              b"registry.k8s.io/pause@sha256:" + b"0" * 64):
        add("oci_payload", r)
    for q in (
        "logIndex=0",
        "logIndex=42",
        "logIndex=18446744073709551615",
        "firstSize=1&lastSize=10",
        "lastSize=5",
        "firstSize=7&lastSize=7&extra=1",
    ):
        add("log_query", q)


def seed_checked_in():
    for d in sorted(glob.glob(os.path.join(FUZZ, "seeds", "*"))):
        for p in sorted(glob.glob(os.path.join(d, "*"))):
            add(os.path.basename(d), read(p))


def seed_tuf():
    meta = os.path.join(REPO, "crates", "core", "signet-tuf", "testdata", "sigstore-root-signing", "metadata")
    for p in sorted(glob.glob(os.path.join(meta, "**", "*.json"), recursive=True)):
        add("tuf", read(p))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FUZZ, "corpus")
    for b in bundles():
        try:
            seed_bundle(b)
        except (ValueError, KeyError, TypeError, IndexError):
            pass  # the conformance suite's deliberately broken bundles: seed what decodes
    seed_trusted_roots()
    seed_keys()
    seed_misc()
    seed_checked_in()
    seed_tuf()
    for target, items in sorted(corpus.items()):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for data in items:
            with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
        print("seed: %-15s %4d inputs" % (target, len(items)))


if __name__ == "__main__":
    main()
