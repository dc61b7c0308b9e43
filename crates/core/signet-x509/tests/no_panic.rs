//! Untrusted bytes never panic the X.509 layer: arbitrary bytes, and a real Fulcio leaf (with
//! embedded SCTs) and a real RFC 3161 timestamp with bytes replaced, inserted or cut anywhere,
//! through certificate parsing, SCT verification, TBS re-encoding and timestamp verification.
//! Results may be errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::Value;
use signet_types::b64;
use signet_x509::{Certificate, TsaAuthority, verify_embedded_scts, verify_rfc3161};

const CASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../testdata/sigstore-conformance/assets/bundle-verify/rekor2-timestamp-with-embedded-cert"
);

fn read_json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(format!("{CASE}/{name}")).unwrap()).unwrap()
}

/// The case's leaf certificate DER and its RFC 3161 token.
fn material() -> (Vec<u8>, Vec<u8>) {
    let b = read_json("bundle.sigstore.json");
    let vm = &b["verificationMaterial"];
    let leaf = b64::decode(vm["certificate"]["rawBytes"].as_str().unwrap()).unwrap();
    let token = b64::decode(
        vm["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    (leaf, token)
}

/// Everything the X.509 layer does with a certificate from a bundle.
const SCT_LIST: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// The bundle signature the timestamp covers.
fn signature_bytes() -> Vec<u8> {
    let b = read_json("bundle.sigstore.json");
    b64::decode(b["messageSignature"]["signature"].as_str().unwrap()).unwrap()
}

fn use_certificate(der: &[u8]) {
    let Ok(c) = Certificate::from_der(der) else {
        return;
    };
    let _ = (c.public_key(), c.subject_attributes(), c.san_identities());
    let _ = (c.oidc_issuer(), c.is_ca(), c.is_self_signed());
    let _ = signet_x509::tbs_without_extension(c.tbs_der(), &SCT_LIST);
    let _ = verify_embedded_scts(&c, &c, &|_, _| None);
}

/// The case's trusted timestamp authorities (their validity windows left open).
fn authorities() -> Vec<TsaAuthority> {
    read_json("trusted_root.json")["timestampAuthorities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| TsaAuthority {
            chain: t["certChain"]["certificates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let der = b64::decode(c["rawBytes"].as_str().unwrap()).unwrap();
                    Certificate::from_der(&der).unwrap()
                })
                .collect(),
            valid_for: (None, None),
        })
        .collect()
}

fn use_token(token: &[u8], authorities: &[TsaAuthority]) {
    let sig = signature_bytes();
    let _ = verify_rfc3161(token, &sig, authorities);
    let _ = verify_rfc3161(token, b"other", authorities);
}

/// Applies (position, operation, byte) edits: replace, insert, delete, or truncate.
fn mutate(mut v: Vec<u8>, edits: &[(prop::sample::Index, u8, u8)]) -> Vec<u8> {
    for (at, op, b) in edits {
        let i = at.index(v.len() + 1);
        match op % 4 {
            0 if i < v.len() => v[i] = *b,
            1 => v.insert(i, *b),
            2 if i < v.len() => {
                v.remove(i);
            }
            3 => v.truncate(i),
            _ => v.push(*b),
        }
    }
    v
}

fn edits() -> impl Strategy<Value = Vec<(prop::sample::Index, u8, u8)>> {
    prop::collection::vec(
        (any::<prop::sample::Index>(), any::<u8>(), any::<u8>()),
        1..4,
    )
}

/// The unmutated material is accepted, so the mutations start from input that goes deep.
#[test]
fn unmutated_material_parses() {
    let (leaf, token) = material();
    let c = Certificate::from_der(&leaf).unwrap();
    assert!(
        signet_x509::tbs_without_extension(c.tbs_der(), &SCT_LIST)
            .unwrap()
            .is_some()
    );
    let sig = signature_bytes();
    verify_rfc3161(&token, &sig, &authorities()).unwrap();
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        use_certificate(&bytes);
        use_token(&bytes, &[]);
    }

    #[test]
    fn mutated_real_certificate_never_panics(e in edits()) {
        let (leaf, _) = material();
        use_certificate(&mutate(leaf, &e));
    }

    #[test]
    fn mutated_real_timestamp_never_panics(e in edits()) {
        let (_, token) = material();
        use_token(&mutate(token, &e), &authorities());
    }
}
