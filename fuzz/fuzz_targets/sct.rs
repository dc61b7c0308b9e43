#![no_main]
//! Embedded SCT lists (RFC 6962 `SignedCertificateTimestampList`). The input replaces the SCT
//! list of a real public-good Fulcio leaf, verified against the leaf's real issuer and the CT
//! logs of the fixture roots: never a panic; only SCTs of trusted logs (valid at the SCT's time)
//! verify; the leaf's own list verifies.
use libfuzzer_sys::fuzz_target;
use signet_types::UnixSeconds;
use signet_x509::{Certificate, verify_embedded_scts};

fuzz_target!(|data: &[u8]| {
    let t = signet_fuzz::sct_template();
    let Ok(leaf) = Certificate::from_der(&t.leaf_with_list(data)) else {
        return;
    };
    let Ok(verified) = verify_embedded_scts(&leaf, &t.issuer, &signet_fuzz::ct_key) else {
        assert_ne!(data, t.original_list.as_slice(), "the issued list verifies");
        return;
    };
    for s in &verified {
        let secs = i64::try_from(s.timestamp_ms() / 1000).unwrap_or(i64::MAX);
        assert!(
            signet_fuzz::ct_key(s.log_id(), UnixSeconds(secs)).is_some(),
            "trusted log"
        );
    }
    if data == t.original_list.as_slice() {
        assert!(!verified.is_empty(), "the issued list verifies");
    }
});
