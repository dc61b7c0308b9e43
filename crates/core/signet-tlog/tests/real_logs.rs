//! Real entries, proofs and checkpoints from the public-good Rekor v1 and v2 logs
//! (testdata/rekor-vectors: rekor.md §4.3, §4.4, §6.1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use signet_crypto::PublicKey;
use signet_tlog::{
    EcdsaNoteVerifier, Ed25519NoteVerifier, SignedNote, TlogError, leaf_hash, verify_checkpoint,
};
use signet_types::{LogIndex, Sha256Hash, TreeSize, b64};

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../testdata/rekor-vectors")
}

fn rekor_v1_key() -> PublicKey {
    PublicKey::from_pem(&std::fs::read_to_string(vectors().join("rekor.pub")).unwrap()).unwrap()
}

/// log2025-1.rekor.sigstore.dev's key, from the public-good trusted_root.json.
fn rekor_v2_verifier() -> Ed25519NoteVerifier {
    let spki = b64::decode("MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=").unwrap();
    let key = PublicKey::from_spki_der(&spki).unwrap();
    Ed25519NoteVerifier::new("log2025-1.rekor.sigstore.dev", &key).unwrap()
}

#[test]
fn rekor_v1_entry_is_included_under_its_signed_checkpoint() {
    let text = std::fs::read_to_string(vectors().join("v1_logentry_reconstructed.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = doc.as_object().unwrap().values().next().unwrap();
    let proof = &entry["verification"]["inclusionProof"];
    let note = proof["checkpoint"].as_str().unwrap();

    // The log names its key "rekor.sigstore.dev" while the origin adds " - <tree ID>".
    let key = rekor_v1_key();
    let cp = verify_checkpoint(note, &[&EcdsaNoteVerifier::any_name(key.clone())]).unwrap();
    assert_eq!(cp.origin(), "rekor.sigstore.dev - 1193050959916656506");
    assert_eq!(cp.size(), TreeSize(53_604_735));
    verify_checkpoint(
        note,
        &[&EcdsaNoteVerifier::new("rekor.sigstore.dev", key.clone())],
    )
    .unwrap();
    assert_eq!(
        verify_checkpoint(note, &[&EcdsaNoteVerifier::new(cp.origin(), key)]),
        Err(TlogError::NoVerifiedSignature)
    );
    assert_eq!(SignedNote::parse(note).unwrap().encode(), note);

    // Rekor v1 JSON: hex hashes, shard-local index.
    assert_eq!(cp.root_hash().to_hex(), proof["rootHash"].as_str().unwrap());
    assert_eq!(proof["treeSize"].as_u64(), Some(cp.size().0));
    let hashes: Vec<Sha256Hash> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Sha256Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    let body = b64::decode(entry["body"].as_str().unwrap()).unwrap();
    let leaf = leaf_hash(&body);
    // The entry UUID is the leaf hash.
    assert!(
        doc.as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .ends_with(&leaf.to_hex())
    );
    let index = LogIndex(proof["logIndex"].as_u64().unwrap());
    cp.verify_inclusion(index, &leaf, &hashes).unwrap();
    assert!(
        cp.verify_inclusion(LogIndex(index.0 - 1), &leaf, &hashes)
            .is_err()
    );
}

#[test]
fn rekor_v2_entry_is_included_under_its_signed_checkpoint() {
    // A TransparencyLogEntry from log2025-1 (rekor.md §6.1; rekor-vectors/v2_tle_verify.py).
    let note = "log2025-1.rekor.sigstore.dev\n412115\n+8vUkEgBK/ansexBUomzocaWoPEmPIzxJC/y+xNMQN4=\n\n\u{2014} log2025-1.rekor.sigstore.dev zxGZFahCZ/+MqTjH4rC5MWcdLDWbpetE5l30RZfQc4BQkRjWSoKipEUPjvHENeZDHIlAsuezJcLzUVvItpNjaSRoMAs=\n";
    let hashes = [
        "KIoYVJ0TqmaEkFboP7YWTjSh8vFjVECmokcTOAByfIM=",
        "Umf0h0cK2hegTzNnSgsXszyiA4bp5OvEvP+GrWq3C8w=",
        "vNQeSNBfepYZI2Ez3ViKdCft0JH87ZS8IGKwixxUVjc=",
        "JBAugd5awOqmHXIKgz1MOjlR5f37VqmP0bWoRVcHX5M=",
        "xYH2mAxGxfOgvSOLnItT2LsJt+Z2a2egjf8QJFwK7jA=",
        "PbZWM3NitzChx9A22m/kddDtzh2bAKX5Fy7j76l3z2k=",
        "sKX9Sbsahvw5DiC2oP6pbZsDi1NzuNS1nIULXkCC57o=",
        "pfTCxXHnCM253jwYxVJcuUhmoTTtDxznn92QhN0M4Ws=",
        "cJ8uk2ZvZyfg+HRILKOHcyHu2pvI8Fz3R1MyMvyzWtA=",
    ]
    .map(|h| Sha256Hash::from_slice(&b64::decode(h).unwrap()).unwrap());
    let body = b64::decode("eyJhcGlWZXJzaW9uIjoiMC4wLjIiLCJraW5kIjoiaGFzaGVkcmVrb3JkIiwic3BlYyI6eyJoYXNoZWRSZWtvcmRWMDAyIjp7ImRhdGEiOnsiYWxnb3JpdGhtIjoiU0hBMl8yNTYiLCJkaWdlc3QiOiI1ZEoyU2FrVWVPWFk0dXQxaEJIUG9teitoVG42dGMwS1R6Y0dvc0ErZXBFPSJ9LCJzaWduYXR1cmUiOnsiY29udGVudCI6Ik1FWUNJUURjSk84Mm56MXJydHUxRHhTcHJ1WDFvZ0p1bThkbDRJaUdCTVB6M2pZY2JnSWhBS3dROHdOdTFPbjhwWWZoQUpDSzhPcVQwT09HVGgveUFRK0FuL2UzZC9kVSIsInZlcmlmaWVyIjp7ImtleURldGFpbHMiOiJQS0lYX0VDRFNBX1AyNTZfU0hBXzI1NiIsInB1YmxpY0tleSI6eyJyYXdCeXRlcyI6Ik1Ga3dFd1lIS29aSXpqMENBUVlJS29aSXpqMERBUWNEUWdBRTBxOVErdGRHMTk1Q1hLZm1VeDFZYXR2Wi9tTjNyaGpwT2ZtMWx2c2tXcHJIOVB4cGU5WGM2TGpFSmJCY1ZQaHV0a2ZVdkJCOVJEays0MlNORTYvNXhnPT0ifX19fX19").unwrap();

    let v = rekor_v2_verifier();
    let cp = verify_checkpoint(note, &[&v]).unwrap();
    assert_eq!(cp.origin(), "log2025-1.rekor.sigstore.dev");
    assert_eq!(cp.size(), TreeSize(412_115));
    cp.verify_inclusion(LogIndex(412_114), &leaf_hash(&body), &hashes)
        .unwrap();
    let mut bad = hashes;
    bad[8].0[31] ^= 0x80;
    assert_eq!(
        cp.verify_inclusion(LogIndex(412_114), &leaf_hash(&body), &bad),
        Err(TlogError::RootMismatch)
    );
}

#[test]
fn rekor_v2_checkpoint_verifies_and_rejects_tampering() {
    // rekor-vectors/v2_checkpoint_ed25519.py
    let note = "log2025-1.rekor.sigstore.dev\n34356369\ndA9mMr0smTXgo7nGsE01Zdc5KOOqTs2/zYfdSqxO+ks=\n\n\u{2014} log2025-1.rekor.sigstore.dev zxGZFQZgTebN28s0D7vKP5gX8R+CsXCved700HCQAHgDHbdkaH3tfx7+DMPkccNhzsnSy7LijLzWMa+evZduylLs0wc=\n";
    let v = rekor_v2_verifier();
    let cp = verify_checkpoint(note, &[&v]).unwrap();
    assert_eq!(cp.size(), TreeSize(34_356_369));
    assert_eq!(
        b64::encode(cp.root_hash().0),
        "dA9mMr0smTXgo7nGsE01Zdc5KOOqTs2/zYfdSqxO+ks="
    );
    assert!(matches!(
        verify_checkpoint(&note.replace("34356369", "34356368"), &[&v]),
        Err(TlogError::BadSignature { .. })
    ));
    // The Rekor v1 key does not know this log.
    assert_eq!(
        verify_checkpoint(note, &[&EcdsaNoteVerifier::any_name(rekor_v1_key())]),
        Err(TlogError::NoVerifiedSignature)
    );
}
