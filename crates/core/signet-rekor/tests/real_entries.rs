//! Byte-compatibility with Rekor, on real public entries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use signet_crypto::PublicKey;
use signet_rekor::{
    EntryBody, EntryRef, canonical_hashedrekord_v001, canonical_json, entry_id, entry_uuid,
    proposed_dsse, set_payload, verify_set,
};
use signet_types::b64;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../testdata");

fn json(path: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(format!("{TESTDATA}/{path}")).unwrap()).unwrap()
}

#[test]
fn public_entry_uuid_body_and_set_reproduce() {
    let v = json("rekor-vectors/v1_logentry_reconstructed.json");
    let (key, entry) = v.as_object().unwrap().iter().next().unwrap();
    let body = b64::decode(entry["body"].as_str().unwrap()).unwrap();
    // UUID and entry ID from the body alone.
    let uuid = entry_uuid(&body);
    assert_eq!(&key[16..], uuid);
    let tree_id = u64::from_str_radix(&key[..16], 16).unwrap();
    assert_eq!(&entry_id(tree_id, &uuid), key);
    assert_eq!(EntryRef::parse(key).unwrap().tree_id, Some(tree_id));
    // Re-canonicalizing the body gives the same bytes.
    let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(canonical_json(&parsed).unwrap(), body);
    assert!(matches!(
        EntryBody::parse(&body).unwrap(),
        EntryBody::DsseV001 { .. }
    ));
    // The SET verifies with the public-good key, and not after any change.
    let rekor = PublicKey::from_pem(
        &std::fs::read_to_string(format!("{TESTDATA}/rekor-vectors/rekor.pub")).unwrap(),
    )
    .unwrap();
    let log_id = hex::decode(entry["logID"].as_str().unwrap()).unwrap();
    assert_eq!(rekor.key_id().as_bytes().to_vec(), log_id);
    let set = b64::decode(
        entry["verification"]["signedEntryTimestamp"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let it = entry["integratedTime"].as_i64().unwrap();
    let idx = entry["logIndex"].as_i64().unwrap();
    verify_set(&rekor, &set_payload(&body, it, &log_id, idx), &set).unwrap();
    assert!(verify_set(&rekor, &set_payload(&body, it + 1, &log_id, idx), &set).is_err());
    assert!(verify_set(&rekor, &set_payload(&body, it, &log_id, idx + 1), &set).is_err());
}

#[test]
fn hashedrekord_canonical_body_is_rebuilt_byte_for_byte() {
    for case in [
        "happy-path-v0.3",
        "happy-path-v0.1",
        "managed-key-happy-path",
    ] {
        let b = json(&format!(
            "sigstore-conformance/assets/bundle-verify/{case}/bundle.sigstore.json"
        ));
        let body = b64::decode(
            b["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let EntryBody::HashedRekordV001 {
            algorithm,
            digest_hex,
            signature,
            verifier_pem,
        } = EntryBody::parse(&body).unwrap()
        else {
            panic!("{case}: not hashedrekord 0.0.1");
        };
        // Re-wrap the PEM with CRLF line endings: the canonical body must not change.
        let crlf = String::from_utf8(verifier_pem.clone())
            .unwrap()
            .replace('\n', "\r\n");
        let rebuilt =
            canonical_hashedrekord_v001(&signature, crlf.as_bytes(), &algorithm, &digest_hex)
                .unwrap();
        assert_eq!(
            String::from_utf8(rebuilt).unwrap(),
            String::from_utf8(body.clone()).unwrap(),
            "{case}"
        );
    }
}

#[test]
fn bad_bodies_and_ids_are_errors() {
    for bad in [
        &b"{"[..],
        b"{}",
        br#"{"apiVersion":"9","kind":"x","spec":{}}"#,
        br#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}"#,
    ] {
        assert!(EntryBody::parse(bad).is_err());
    }
    assert!(EntryRef::parse("abc").is_err());
    assert!(EntryRef::parse(&"g".repeat(64)).is_err());
    assert!(canonical_hashedrekord_v001(b"", b"", "sha256", "00").is_err());
    assert!(
        canonical_hashedrekord_v001(
            b"x",
            b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
            "sha256",
            &"0".repeat(64)
        )
        .is_err()
    );
    assert!(canonical_hashedrekord_v001(b"x", b"x", "md5", &"0".repeat(32)).is_err());
}

/// A real Rekor v2 `dsse` 0.0.2 body (staging, sigstore-python's test assets) parses, and matches
/// its bundle's envelope and certificate and nothing else.
#[test]
fn rekor_v2_dsse_body_matches_only_its_envelope_and_signer() {
    use signet_rekor::Material;
    use signet_types::dsse::{DsseSignature, Envelope};
    let b = json("sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json");
    let body = b64::decode(
        b["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let parsed = EntryBody::parse(&body).unwrap();
    assert_eq!((parsed.kind(), parsed.api_version()), ("dsse", "0.0.2"));
    let cert = Material::Certificate {
        der: b64::decode(
            b["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap(),
    };
    let env = &b["dsseEnvelope"];
    let envelope = Envelope {
        payload: b64::decode(env["payload"].as_str().unwrap()).unwrap(),
        payload_type: env["payloadType"].as_str().unwrap().into(),
        signatures: vec![DsseSignature {
            sig: b64::decode(env["signatures"][0]["sig"].as_str().unwrap()).unwrap(),
            keyid: String::new(),
        }],
    };
    parsed.check_dsse(&envelope, &cert).unwrap();
    // A message signature cannot be recorded by a dsse entry.
    assert!(
        parsed
            .check_message_signature(&[], &cert, &signet_types::Sha256Hash([0; 32]))
            .is_err()
    );

    let field = |e: signet_rekor::RekorError| match e {
        signet_rekor::RekorError::Mismatch { field } => field,
        other => panic!("{other}"),
    };
    let other_key = Material::PublicKey {
        spki_der: match &cert {
            Material::Certificate { der } => der.clone(),
            _ => unreachable!(),
        },
    };
    assert_eq!(
        field(parsed.check_dsse(&envelope, &other_key).unwrap_err()),
        "verifier"
    );
    let mut two = envelope.clone();
    two.signatures.push(two.signatures[0].clone());
    assert_eq!(
        field(parsed.check_dsse(&two, &cert).unwrap_err()),
        "signature count"
    );
    let mut payload = envelope.clone();
    payload.payload.push(b' ');
    assert_eq!(
        field(parsed.check_dsse(&payload, &cert).unwrap_err()),
        "payload hash"
    );

    // A body without signatures is malformed.
    let text = String::from_utf8(body).unwrap();
    let no_sigs = text.replace(
        &text[text.find("\"signatures\":[").unwrap()..text.rfind(']').unwrap() + 1],
        "\"signatures\":[]",
    );
    assert!(EntryBody::parse(no_sigs.as_bytes()).is_err(), "{no_sigs}");
}

/// Admitting the entry a client proposes for a real public-good DSSE attestation rebuilds the
/// canonical body Rekor stored, byte for byte (envelope JSON as Go's `json.Marshal` writes it,
/// which is what cosign sends and what Rekor's envelope hash covers).
#[test]
fn dsse_admission_rebuilds_the_real_body_byte_for_byte() {
    let bundle = json("rekor-vectors/oci-attestation.sigstore.json");
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    let body = b64::decode(entry["canonicalizedBody"].as_str().unwrap()).unwrap();
    let env = &bundle["dsseEnvelope"];
    let envelope_json = format!(
        r#"{{"payloadType":{},"payload":{},"signatures":[{{"keyid":"","sig":{}}}]}}"#,
        env["payloadType"], env["payload"], env["signatures"][0]["sig"]
    );
    let cert = b64::decode(
        bundle["verificationMaterial"]["certificate"]["rawBytes"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let pem = signet_crypto::pem_encode("CERTIFICATE", &cert);
    let admitted =
        signet_rekor::admit(&serde_json::to_vec(&proposed_dsse(&envelope_json, &[&pem])).unwrap())
            .unwrap();
    assert_eq!(
        String::from_utf8(admitted.body.clone()).unwrap(),
        String::from_utf8(body.clone()).unwrap()
    );
    assert_eq!(admitted.uuid, signet_rekor::leaf_hash(&body));
}
