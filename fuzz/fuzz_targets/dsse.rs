#![no_main]
//! DSSE envelopes as bundles and the log decode them: never a panic; decoding round-trips through
//! the wire form; the PAE is exactly `DSSEv1 SP len(type) SP type SP len(body) SP body`; and a
//! dsse entry body recording the envelope's signatures matches it, for its key only.
use libfuzzer_sys::fuzz_target;
use signet_types::dsse::{Envelope, EnvelopeJson, pae};

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<EnvelopeJson>(data) else {
        return;
    };
    let Ok(env) = Envelope::try_from(&json) else {
        return;
    };
    assert_eq!(
        Envelope::try_from(&env.to_json()).as_ref(),
        Ok(&env),
        "wire round trip"
    );

    let p = env.pae();
    assert_eq!(p, pae(&env.payload_type, &env.payload));
    let head = format!(
        "DSSEv1 {} {} {} ",
        env.payload_type.len(),
        env.payload_type,
        env.payload.len()
    );
    assert!(p.starts_with(head.as_bytes()) && p.ends_with(&env.payload));
    assert_eq!(p.len(), head.len() + env.payload.len());

    // A dsse entry recording exactly these signatures (each by the key `k`) matches the
    // envelope for that key, and for another key only when there is nothing to sign.
    let verifier =
        signet_types::b64::encode("-----BEGIN PUBLIC KEY-----\naw==\n-----END PUBLIC KEY-----\n");
    let body = serde_json::json!({
        "apiVersion": "0.0.1", "kind": "dsse",
        "spec": {
            "payloadHash": {"algorithm": "sha256", "value": signet_crypto::sha256(&env.payload).to_hex()},
            "signatures": env.signatures.iter().map(|s| serde_json::json!({
                "signature": signet_types::b64::encode(&s.sig), "verifier": verifier,
            })).collect::<Vec<_>>(),
        },
    });
    let entry = signet_rekor::EntryBody::parse(body.to_string().as_bytes()).expect("entry parses");
    let key = |k: &[u8]| signet_rekor::Material::PublicKey {
        spki_der: k.to_vec(),
    };
    assert!(
        entry.check_dsse(&env, &key(b"k")).is_ok(),
        "entry of this envelope matches"
    );
    assert_eq!(
        entry.check_dsse(&env, &key(b"x")).is_ok(),
        env.signatures.is_empty(),
        "other key"
    );
});
