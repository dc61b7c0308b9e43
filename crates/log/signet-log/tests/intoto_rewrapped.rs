//! `intoto` 0.0.2 entries whose key PEM is wrapped differently (CRLF, no trailing newline) are
//! one entry: admission re-encodes the key before building the canonical body, so a resubmission
//! is a duplicate (409), on a real public-good entry created by sigstore-js.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use serde_json::{Value, json};
use signet_log::{Backend, LogConfig, LogError, SystemClock, TransparencyLog, admit::admit};
use signet_types::b64;

mod common;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../testdata");

/// The real entry: its bundle and the canonicalized body Rekor stored.
struct Real {
    bundle: Value,
    body: Vec<u8>,
}

fn real() -> Real {
    let bundle: Value = serde_json::from_slice(
        &std::fs::read(format!(
            "{TESTDATA}/rekor-vectors/sigstore-js-2.0.0-provenance.sigstore.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let body = b64::decode(
        bundle["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    Real { bundle, body }
}

impl Real {
    /// The certificate PEM exactly as Rekor stored it (sigstore-js sent it without a trailing
    /// newline).
    fn stored_pem(&self) -> String {
        let body: Value = serde_json::from_slice(&self.body).unwrap();
        let k = body["spec"]["content"]["envelope"]["signatures"][0]["publicKey"]
            .as_str()
            .unwrap();
        String::from_utf8(b64::decode(k).unwrap()).unwrap()
    }

    /// The intoto 0.0.2 proposal a client sends for this envelope with `pem` as the key (the
    /// envelope hash is the client's, so it is taken from the stored body).
    fn proposal(&self, pem: &str) -> Vec<u8> {
        let env = &self.bundle["dsseEnvelope"];
        let body: Value = serde_json::from_slice(&self.body).unwrap();
        serde_json::to_vec(&json!({
            "apiVersion": "0.0.2",
            "kind": "intoto",
            "spec": {"content": {
                "envelope": {
                    "payload": b64::encode(env["payload"].as_str().unwrap()),
                    "payloadType": env["payloadType"],
                    "signatures": [{
                        "sig": b64::encode(env["signatures"][0]["sig"].as_str().unwrap()),
                        "publicKey": b64::encode(pem),
                    }],
                },
                "hash": body["spec"]["content"]["hash"],
            }},
        }))
        .unwrap()
    }
}

/// The PEM layouts of one certificate a client may send.
fn layouts(stored: &str) -> [(&'static str, String); 3] {
    let lf = format!("{}\n", stored.trim_end());
    [
        ("as sigstore-js sent it", stored.to_string()),
        ("LF with trailing newline", lf.clone()),
        ("CRLF", lf.replace('\n', "\r\n")),
    ]
}

/// Every layout gives the same body: Rekor's, field for field, with the key in Go's canonical
/// PEM layout (what Rekor's own `CreateFromArtifactProperties`, and so cosign and rekor-cli,
/// send); the UUID is that body's leaf hash.
#[test]
fn real_entry_rebuilds_with_the_key_reencoded_whatever_the_layout() {
    let r = real();
    let stored = r.stored_pem();
    assert!(!stored.ends_with('\n'), "the vector has lost its point");
    let canonical = signet_x509::Certificate::from_pem(&stored)
        .unwrap()
        .to_pem();
    let mut expected: Value = serde_json::from_slice(&r.body).unwrap();
    expected["spec"]["content"]["envelope"]["signatures"][0]["publicKey"] =
        b64::encode(&canonical).into();
    let expected = signet_rekor::canonical_json(&expected).unwrap();
    for (name, pem) in layouts(&stored) {
        let a = admit(&r.proposal(&pem)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8(a.body.clone()).unwrap(),
            String::from_utf8(expected.clone()).unwrap(),
            "{name}"
        );
        assert_eq!(a.uuid, signet_rekor::leaf_hash(&expected), "{name}");
    }
    // Sent in the canonical layout, the body is byte for byte the one Rekor stores for it.
    let a = admit(&r.proposal(&canonical)).unwrap();
    assert_eq!(a.body, expected);
}

/// The same envelope resubmitted with its certificate re-wrapped is a duplicate naming the
/// first entry, not a second entry.
async fn rewrapped_resubmission_is_a_duplicate(b: Backend) {
    let r = real();
    let [(_, first), rest @ ..] = layouts(&r.stored_pem());
    let dir = tempfile::tempdir().unwrap();
    let log = TransparencyLog::open(
        b.open(&dir.path().join("db")).await.unwrap(),
        dir.path(),
        LogConfig::new("test.local"),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let (id, _) = log.add(&r.proposal(&first)).await.unwrap();
    let uuid = admit(&r.proposal(&first)).unwrap().uuid.to_hex();
    assert!(id.ends_with(&uuid), "{id} vs {uuid}");
    for (name, pem) in rest {
        match log.add(&r.proposal(&pem)).await {
            Err(LogError::Duplicate { entry_id }) => assert_eq!(entry_id, id, "{name}"),
            other => panic!(
                "{name}: expected a duplicate, got {:?}",
                other.map(|(id, _)| id)
            ),
        }
    }
}

on_both_backends!(rewrapped_resubmission_is_a_duplicate,);
