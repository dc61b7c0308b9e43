#![no_main]
//! Canonical entry bodies (bundles' `canonicalizedBody`, log entries): parsing never panics, and
//! a hashedrekord body matches the very signature, key and digest it records.
use libfuzzer_sys::fuzz_target;
use signet_rekor::{EntryBody, Material};
use signet_types::Sha256Hash;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = EntryBody::parse(data) else {
        return;
    };
    // (serde skips unknown fields without checking their strings are UTF-8, as Go's decoder
    // tolerates them; such a body is not a `Value`, so the kind check needs a clean one.)
    if let Ok(outer) = serde_json::from_slice::<serde_json::Value>(data) {
        assert_eq!(Some(body.kind()), outer["kind"].as_str());
        assert_eq!(Some(body.api_version()), outer["apiVersion"].as_str());
    }
    match &body {
        EntryBody::HashedRekordV001 {
            algorithm,
            digest_hex,
            signature,
            verifier_pem,
        } => {
            let first = signet_rekor::pem_to_der_blocks(verifier_pem)
                .ok()
                .and_then(|b| b.into_iter().next());
            if let (true, Ok(digest), Some((_, der))) = (
                algorithm == "sha256",
                Sha256Hash::from_hex(digest_hex),
                first,
            ) {
                let material = Material::PublicKey { spki_der: der };
                assert!(
                    body.check_message_signature(signature, &material, &digest)
                        .is_ok()
                );
            }
        }
        EntryBody::HashedRekordV002 {
            algorithm,
            digest,
            signature,
            verifier,
        } => {
            if let (true, Ok(d)) = (algorithm == "SHA2_256", Sha256Hash::from_slice(digest)) {
                assert!(
                    body.check_message_signature(signature, verifier, &d)
                        .is_ok()
                );
            }
        }
        _ => {
            let env = signet_types::dsse::Envelope {
                payload: data.to_vec(),
                payload_type: String::new(),
                signatures: Vec::new(),
            };
            let material = Material::PublicKey {
                spki_der: Vec::new(),
            };
            let _ = body.check_dsse(&env, &material);
        }
    }
});
