#![no_main]
//! Log admission (`POST /api/v1/log/entries`, `signet_rekor::admit`): whatever proposed entry arrives (hashedrekord
//! 0.0.1, dsse 0.0.1, intoto 0.0.2 or garbage), admission never panics. What it admits is
//! canonical: the UUID is the RFC 6962 leaf hash of the body, the body is canonical JSON that
//! parses back as an entry of the proposed kind, and admission is deterministic. A hashedrekord
//! body is itself a valid proposal that admits to the same entry.
use libfuzzer_sys::fuzz_target;
use signet_rekor::admit;

fuzz_target!(|data: &[u8]| {
    let Ok(a) = admit(data) else { return };
    assert_eq!(
        a.uuid,
        signet_rekor::leaf_hash(&a.body),
        "UUID is the leaf hash"
    );
    let value: serde_json::Value = serde_json::from_slice(&a.body).expect("body is JSON");
    assert_eq!(
        signet_rekor::canonical_json(&value).expect("canonical"),
        a.body,
        "body is canonical JSON"
    );
    let body = signet_rekor::EntryBody::parse(&a.body).expect("admitted body parses");
    // (Unknown fields are skipped without checking their strings are UTF-8, so an admitted
    // proposal need not be a `Value`; the kind check needs a clean one.)
    if let Ok(proposed) = serde_json::from_slice::<serde_json::Value>(data) {
        assert_eq!(Some(body.kind()), proposed["kind"].as_str(), "kind kept");
        assert_eq!(
            Some(body.api_version()),
            proposed["apiVersion"].as_str(),
            "version kept"
        );
    }
    assert_eq!(admit(data).ok().as_ref(), Some(&a), "deterministic");
    if body.kind() == "hashedrekord" {
        assert_eq!(
            admit(&a.body).ok(),
            Some(a),
            "a canonical body re-admits to itself"
        );
    }
});
