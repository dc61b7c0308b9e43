#![no_main]
//! CycloneDX 1.4–1.6 JSON SBOM parsing (`release.cdx.json` of a release): never a panic; JSON
//! output parses back to the same document; file digests never panic.
use libfuzzer_sys::fuzz_target;
use signet_release::cyclonedx;

fuzz_target!(|data: &[u8]| {
    let Ok(bom) = cyclonedx::parse_json(data) else {
        return;
    };
    let json = cyclonedx::to_json(&bom).expect("a parsed document serializes");
    assert_eq!(cyclonedx::parse_json(&json).expect("re-parse"), bom);
    let _ = cyclonedx::file_digests(&bom);
});
