#![no_main]
//! SLSA provenance (in-toto statement) parsing: never a panic; a parsed statement serializes to
//! JSON that parses back to the same statement; subject checks, the source accessors, the
//! policy and certificate checks never panic, and a policy built from what the statement says
//! accepts it.
use libfuzzer_sys::fuzz_target;
use signet_release::{FileDigest, provenance};

fuzz_target!(|data: &[u8]| {
    let Ok(st) = provenance::parse(data) else {
        return;
    };
    let json = provenance::to_json(&st).expect("a parsed statement serializes");
    assert_eq!(provenance::parse(&json).expect("re-parse"), st);
    let _ = provenance::check_subjects(&st, &[] as &[FileDigest]);
    let own = provenance::ProvenancePolicy {
        builder_id: Some(st.builder_id().to_owned()),
        source_uri: st.source_uri().map(str::to_owned),
        source_ref: st.source_ref().map(str::to_owned),
        source_digest: None,
    };
    assert_eq!(provenance::check_policy(&st, &own), []);
    let other = provenance::ProvenancePolicy {
        builder_id: Some("https://builder.example/x".into()),
        source_uri: Some("github.com/o/r".into()),
        source_ref: Some("v1".into()),
        source_digest: Some(("gitCommit".into(), "ab".repeat(20))),
    };
    let _ = provenance::check_policy(&st, &other);
    let cert = provenance::CertificateClaims {
        build_signer_uri: Some("https://builder.example/x".into()),
        source_repository_uri: Some("https://github.com/o/r".into()),
        source_repository_digest: Some("ab".repeat(20)),
        source_repository_ref: Some("refs/heads/main".into()),
        run_invocation_uri: Some("https://ci.example/run/1".into()),
    };
    let _ = provenance::check_certificate(&st, &cert);
});
