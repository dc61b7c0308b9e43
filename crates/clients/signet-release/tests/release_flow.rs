//! End to end: sample release -> hashes -> SHA256SUMS, SBOM, provenance written into the
//! release -> read back and verified against the files, before and after tampering.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use signet_release::provenance::{self, DEFAULT_BUILD_TYPE, Material, ProvenanceInput};
use signet_release::sample::{SampleOptions, generate};
use signet_release::sbom::{self, SbomInput};
use signet_release::{
    MANIFEST, PROVENANCE, SBOM_JSON, SBOM_TAG_VALUE, compare, hash_files, list_artifacts, manifest,
    sha256_files, write_atomic,
};
use time::macros::datetime;

fn prov_input() -> ProvenanceInput {
    ProvenanceInput {
        build_type: DEFAULT_BUILD_TYPE.into(),
        builder_id: "https://signet.dev/builders/ci@v1".into(),
        source: Some(provenance::Source {
            uri: "git+https://github.com/kubernetes/kubernetes".into(),
            digest: [(
                "gitCommit".to_owned(),
                "0123456789abcdef0123456789abcdef01234567".into(),
            )]
            .into(),
            git_ref: Some("refs/tags/v1.36.0".into()),
        }),
        version: "v1.36.0".into(),
        extra_parameters: Default::default(),
        internal_parameters: None,
        materials: vec![Material {
            uri: "pkg:golang/go@1.25.3".into(),
            digest: [("sha256".to_owned(), "ab".repeat(32))].into(),
        }],
        invocation_id: "run-42".into(),
        started_on: datetime!(2026-06-01 10:00 UTC),
        finished_on: datetime!(2026-06-01 11:30 UTC),
    }
}

#[test]
fn sign_side_then_verify_side() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let sample = generate(
        root,
        &SampleOptions {
            files: 130,
            total_bytes: 6 << 20,
            seed: 3,
        },
    )
    .unwrap();

    // Producer side.
    let files = list_artifacts(root).unwrap();
    assert_eq!(files, sample.paths());
    let digests = hash_files(root, &files).unwrap();
    assert_eq!(digests.iter().map(|d| d.size).sum::<u64>(), 6 << 20);
    write_atomic(
        &root.join(MANIFEST),
        manifest::write(&digests).unwrap().as_bytes(),
    )
    .unwrap();
    let doc = sbom::build(
        &SbomInput {
            name: "kubernetes".into(),
            version: "v1.36.0".into(),
            namespace: "https://sbom.example/kubernetes/v1.36.0/1".into(),
            created: datetime!(2026-06-01 11:30 UTC),
        },
        &digests,
        &Default::default(),
    )
    .unwrap();
    write_atomic(&root.join(SBOM_JSON), &sbom::to_json(&doc).unwrap()).unwrap();
    write_atomic(
        &root.join(SBOM_TAG_VALUE),
        sbom::to_tag_value(&doc).unwrap().as_bytes(),
    )
    .unwrap();
    let st = provenance::build(&prov_input(), &digests).unwrap();
    let mut line = provenance::to_json(&st).unwrap();
    line.push(b'\n');
    write_atomic(&root.join(PROVENANCE), &line).unwrap();
    // Signatures the caller would add next to each artifact.
    for f in files.iter().take(5) {
        fs::write(root.join(format!("{f}.sig")), b"sig").unwrap();
        fs::write(root.join(format!("{f}.cert")), b"cert").unwrap();
        fs::write(root.join(format!("{f}.sigstore.json")), b"{}").unwrap();
    }

    // Verifier side: signet's outputs are not artifacts.
    let again = list_artifacts(root).unwrap();
    assert!(compare(&files, &again).is_empty());
    let on_disk = sha256_files(root, &again).unwrap();
    let sums = manifest::parse(&fs::read(root.join(MANIFEST)).unwrap()).unwrap();
    assert_eq!(sums.len(), 130);
    assert!(sums.check(&on_disk).unwrap().is_ok());
    let st2 = provenance::parse(fs::read(root.join(PROVENANCE)).unwrap().trim_ascii_end()).unwrap();
    assert_eq!(st2, st);
    assert!(provenance::check_subjects(&st2, &on_disk).unwrap().is_ok());
    let doc2 = sbom::parse_json(&fs::read(root.join(SBOM_JSON)).unwrap()).unwrap();
    let sbom_files = sbom::file_digests(&doc2).unwrap();
    assert_eq!(sbom_files.len(), 130);
    assert!(manifest::Manifest::from_digests(&sbom_files).unwrap() == sums);

    // Tamper: change one byte of kube-apiserver, remove a tarball, add a stray file.
    let victim = root.join("bin/linux/amd64/kube-apiserver");
    let mut bytes = fs::read(&victim).unwrap();
    bytes[0] ^= 1;
    fs::write(&victim, &bytes).unwrap();
    fs::remove_file(root.join("kubernetes.tar.gz")).unwrap();
    fs::write(root.join("bin/linux/amd64/evil"), b"x").unwrap();
    let on_disk = sha256_files(root, &list_artifacts(root).unwrap()).unwrap();
    for report in [
        sums.check(&on_disk).unwrap(),
        provenance::check_subjects(&st2, &on_disk).unwrap(),
    ] {
        assert!(!report.is_ok());
        assert_eq!(report.missing, ["kubernetes.tar.gz"]);
        assert_eq!(report.extra, ["bin/linux/amd64/evil"]);
        assert_eq!(report.mismatched.len(), 1);
        assert_eq!(report.mismatched[0].name, "bin/linux/amd64/kube-apiserver");
        assert_eq!(report.matched, 128);
    }
}
