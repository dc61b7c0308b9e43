#![no_main]
//! SPDX 2.2/2.3 JSON SBOM parsing: never a panic; JSON output parses back to the same document;
//! file digests and tag-value rendering never panic.
use libfuzzer_sys::fuzz_target;
use signet_release::sbom;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = sbom::parse_json(data) else {
        return;
    };
    let json = sbom::to_json(&doc).expect("a parsed document serializes");
    assert_eq!(sbom::parse_json(&json).expect("re-parse"), doc);
    let _ = sbom::file_digests(&doc);
    let _ = sbom::to_tag_value(&doc);
});
