#![no_main]
//! RFC 3161 timestamps. Input: `u16 BE n || n signed bytes || TimeStampResp or token DER` (the
//! signed bytes are the bundle signature the imprint covers), verified against the TSAs of the
//! fixture roots: never a panic; a timestamp that verifies names a real authority, lies in its
//! validity window, and is bound to the signed bytes (other bytes fail with an imprint mismatch).
use libfuzzer_sys::fuzz_target;
use signet_x509::{X509Error, verify_rfc3161};

fuzz_target!(|data: &[u8]| {
    let (signed, token) = signet_fuzz::split_u16(data);
    let authorities = signet_fuzz::tsa_authorities();
    let Ok(ts) = verify_rfc3161(token, signed, authorities) else {
        return;
    };
    let auth = &authorities[ts.authority_index()];
    let (start, end) = auth.valid_for;
    assert!(start.is_none_or(|s| s <= ts.time()) && end.is_none_or(|e| ts.time() <= e));
    let mut other = signed.to_vec();
    other.push(0);
    assert!(matches!(
        verify_rfc3161(token, &other, authorities),
        Err(X509Error::ImprintMismatch)
    ));
});
