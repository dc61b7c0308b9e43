#![no_main]
//! What image signatures carry: simple-signing payloads, the `dev.sigstore.cosign/bundle`
//! annotation and image references: never a panic; what parses renders to text that parses back
//! to the same value.
use libfuzzer_sys::fuzz_target;
use signet_oci::ImageRef;
use signet_oci::payload::{RekorBundleAnnotation, parse_simple_signing, simple_signing};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = parse_simple_signing(data) {
        let again = simple_signing(&p.docker_reference, &p.digest, &Default::default());
        let q = parse_simple_signing(&again).expect("a rendered payload parses");
        assert_eq!((q.digest, q.docker_reference), (p.digest, p.docker_reference));
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(a) = RekorBundleAnnotation::parse(text) {
        assert_eq!(RekorBundleAnnotation::parse(&a.to_json()).expect("round trip"), a);
    }
    if let Ok(r) = ImageRef::parse(text) {
        assert_eq!(ImageRef::parse(&r.to_string()).expect("a rendered reference parses"), r);
    }
});
