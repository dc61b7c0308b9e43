#![no_main]
//! `SHA256SUMS` parsing (release manifests): never a panic; what parses renders to text that
//! parses back to the same manifest, and rendering is a fixed point.
use libfuzzer_sys::fuzz_target;
use signet_release::manifest;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = manifest::parse(data) else { return };
    let text = m.render();
    let again = manifest::parse(text.as_bytes()).expect("rendered manifest parses");
    assert_eq!(again, m);
    assert_eq!(again.render(), text);
});
