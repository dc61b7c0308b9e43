//! Hostile release metadata: SHA256SUMS, SPDX and CycloneDX JSON, `--sbom-packages` files and
//! provenance statements, each a real
//! document then cut short at every byte, with every byte replaced by bytes that break UTF-8,
//! lines or JSON, and with multi-byte characters inserted everywhere. Parsing (and checking
//! what still parses against the files) must answer, Ok or Err, and never panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use signet_release::packages::SbomPackages;
use signet_release::provenance::{self, DEFAULT_BUILD_TYPE, ProvenanceInput};
use signet_release::sbom::{self, SbomInput};
use signet_release::{FileDigest, cyclonedx, manifest};
use time::macros::datetime;

fn files() -> Vec<FileDigest> {
    ["bin/tool-ü.tar.gz", "docs/ǅ readme.txt", "x"]
        .iter()
        .enumerate()
        .map(|(i, p)| FileDigest {
            path: (*p).to_owned(),
            size: i as u64 * 1000,
            sha1: [i as u8; 20],
            sha256: [i as u8 + 0x41; 32],
            sha512: [i as u8 + 0x90; 64],
        })
        .collect()
}

/// `doc` cut short, with each byte replaced, and with characters inserted, at every offset.
fn mutations(doc: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    const BYTES: [u8; 6] = [0x00, b'\n', b'"', b'0', 0xc3, 0xff];
    const CHARS: [&str; 2] = ["é", "\u{10348}"];
    let cut = (0..doc.len()).map(|i| doc[..i].to_vec());
    let replaced = (0..doc.len()).flat_map(move |i| {
        BYTES.iter().map(move |&b| {
            let mut m = doc.to_vec();
            m[i] = b;
            m
        })
    });
    let inserted = (0..=doc.len()).flat_map(move |i| {
        CHARS.iter().map(move |c| {
            let mut m = doc[..i].to_vec();
            m.extend_from_slice(c.as_bytes());
            m.extend_from_slice(&doc[i..]);
            m
        })
    });
    cut.chain(replaced).chain(inserted)
}

#[test]
fn mutated_sha256sums_never_panic() {
    let files = files();
    let doc = manifest::write(&files).unwrap();
    assert_eq!(manifest::parse(doc.as_bytes()).unwrap().len(), files.len());
    let (mut ok, mut err) = (0, 0);
    for m in mutations(doc.as_bytes()) {
        match manifest::parse(&m) {
            Ok(parsed) => {
                ok += 1;
                let _ = parsed.check(&files);
                let _ = parsed.render();
            }
            Err(e) => {
                err += 1;
                assert!(!e.to_string().is_empty());
            }
        }
    }
    assert!(ok > 0 && err > 0, "{ok} parsed, {err} refused");
}

#[test]
fn mutated_spdx_json_never_panics() {
    let files = files();
    let input = SbomInput {
        name: "release".into(),
        version: "v1.0.0".into(),
        namespace: "https://sbom.example/release/v1.0.0/1".into(),
        created: datetime!(2026-06-01 10:00 UTC),
    };
    let doc = sbom::to_json(&sbom::build(&input, &files, &Default::default()).unwrap()).unwrap();
    assert_eq!(
        sbom::file_digests(&sbom::parse_json(&doc).unwrap())
            .unwrap()
            .len(),
        files.len()
    );
    let (mut ok, mut err) = (0, 0);
    for m in mutations(&doc) {
        match sbom::parse_json(&m) {
            Ok(parsed) => {
                ok += 1;
                let _ = sbom::file_digests(&parsed);
                let _ = sbom::to_tag_value(&parsed);
            }
            Err(_) => err += 1,
        }
    }
    assert!(ok > 0 && err > 0, "{ok} parsed, {err} refused");
}

const PACKAGES: &str = r#"{"packages": [{"name": "golang.org/x/net", "version": "v0.30.0",
    "purl": "pkg:golang/golang.org/x/net@v0.30.0", "license": "BSD-3-Clause OR MIT",
    "downloadLocation": "https://proxy.golang.org/x", "supplier": "Go",
    "sha256": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}]}"#;

#[test]
fn mutated_cyclonedx_json_never_panics() {
    let files = files();
    let input = cyclonedx::BomInput {
        name: "release".into(),
        version: "v1.0.0".into(),
        serial: signet_release::sboms::uuid_v4([3; 16]),
        created: datetime!(2026-06-01 10:00 UTC),
    };
    let packages = SbomPackages::parse(PACKAGES.as_bytes()).unwrap();
    let doc = cyclonedx::to_json(&cyclonedx::build(&input, &files, &packages).unwrap()).unwrap();
    assert_eq!(
        cyclonedx::file_digests(&cyclonedx::parse_json(&doc).unwrap())
            .unwrap()
            .len(),
        files.len()
    );
    let (mut ok, mut err) = (0, 0);
    for m in mutations(&doc) {
        match cyclonedx::parse_json(&m) {
            Ok(parsed) => {
                ok += 1;
                let _ = cyclonedx::file_digests(&parsed);
                let _ = cyclonedx::to_json(&parsed);
            }
            Err(_) => err += 1,
        }
    }
    assert!(ok > 0 && err > 0, "{ok} parsed, {err} refused");
}

#[test]
fn mutated_sbom_packages_never_panic() {
    assert_eq!(
        SbomPackages::parse(PACKAGES.as_bytes())
            .unwrap()
            .as_slice()
            .len(),
        1
    );
    let (mut ok, mut err) = (0, 0);
    for m in mutations(PACKAGES.as_bytes()) {
        match SbomPackages::parse(&m) {
            Ok(_) => ok += 1,
            Err(e) => {
                err += 1;
                assert!(e.to_string().starts_with("SBOM packages"), "{e}");
            }
        }
    }
    assert!(ok > 0 && err > 0, "{ok} parsed, {err} refused");
}

#[test]
fn mutated_provenance_never_panics() {
    let files = files();
    let input = ProvenanceInput {
        build_type: DEFAULT_BUILD_TYPE.into(),
        builder_id: "https://signet.dev/builders/ci@v1".into(),
        source: Some(provenance::Source {
            uri: "git+https://example.org/release".into(),
            digest: [("gitCommit".to_owned(), "01".repeat(20))].into(),
            git_ref: Some("refs/tags/v1.0.0".into()),
        }),
        version: "v1.0.0".into(),
        extra_parameters: Default::default(),
        internal_parameters: None,
        materials: vec![],
        invocation_id: "run-1".into(),
        started_on: datetime!(2026-06-01 10:00 UTC),
        finished_on: datetime!(2026-06-01 11:00 UTC),
    };
    let doc = provenance::to_json(&provenance::build(&input, &files).unwrap()).unwrap();
    assert!(
        provenance::check_subjects(&provenance::parse(&doc).unwrap(), &files)
            .unwrap()
            .is_ok()
    );
    let (mut ok, mut err) = (0, 0);
    for m in mutations(&doc) {
        match provenance::parse(&m) {
            Ok(parsed) => {
                ok += 1;
                let _ = provenance::check_subjects(&parsed, &files);
            }
            Err(_) => err += 1,
        }
    }
    assert!(ok > 0 && err > 0, "{ok} parsed, {err} refused");
}
