#![no_main]
//! Bundle parsing must never panic, whatever the bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = signet_bundle::Bundle::from_json(data);
});
