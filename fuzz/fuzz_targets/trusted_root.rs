#![no_main]
//! Trusted-root parsing must never panic, whatever the bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = signet_trust::TrustedRoot::from_json(data);
});
