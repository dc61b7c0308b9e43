#![no_main]
//! Fulcio `signingCert` request parsing (JSON, public keys, base64 PEM CSRs and their
//! self-signatures) must never panic, whatever the bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = signet_ca::fulcio::parse_request(data, Some("token"));
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = signet_ca::fulcio::parse_csr(s);
        let _ = signet_ca::fulcio::parse_public_key(s);
    }
});
