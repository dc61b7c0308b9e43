//! Signing and verifying a whole release through the library, with a signer backed by an
//! in-memory log (no network): every per-file status a verifier can report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::path::Path;

use signet_crypto::SigningKey;
use signet_release::buildenv::BuildClaims;
use signet_release::sign::{
    Environment, ReleaseInfo, ReleaseSigner, SignedEnvelope, SignedFile, sign_release,
};
use signet_release::verify::{Status, verify_release};
use signet_release::{NoProgress, Progress, ReadMode, ReleaseError};
use signet_testkit::VirtualLog;
use signet_trust::TrustedRoot;
use signet_types::Sha256Hash;
use signet_verify::{Identity, Verifier};

const TIME: i64 = 1_750_000_000;

struct TestSigner {
    key: SigningKey,
    log: RefCell<VirtualLog>,
}

impl ReleaseSigner for TestSigner {
    fn sign_files(
        &self,
        items: Vec<(String, [u8; 32])>,
        signed: &(dyn Fn(&str, SignedFile) -> Result<(), ReleaseError> + Sync),
        progress: &dyn Progress,
    ) -> Result<(), ReleaseError> {
        for (rel, d) in items {
            let (signature, bundle) = self
                .log
                .borrow_mut()
                .managed_key_digest_bundle(&self.key, &Sha256Hash(d), TIME)
                .unwrap();
            signed(
                &rel,
                SignedFile {
                    signature,
                    certificate_pem: None,
                    bundle_json: bundle.to_json_pretty().unwrap(),
                },
            )?;
            progress.inc();
        }
        Ok(())
    }

    fn sign_envelope(
        &self,
        payload_type: &str,
        payload: &[u8],
    ) -> Result<SignedEnvelope, ReleaseError> {
        // This log has no dsse entries: the envelope is unsigned and the bundle empty (the
        // provenance row is checked by the CLI tests); a re-run reads the statement back.
        Ok(SignedEnvelope {
            envelope_json: serde_json::json!({
                "payload": signet_types::b64::encode(payload),
                "payloadType": payload_type,
                "signatures": [],
            })
            .to_string(),
            bundle_json: "{}".into(),
        })
    }
}

/// A key, the trusted root of a fresh log, and a signer with the key logging to that log.
fn key_root_signer() -> (SigningKey, TrustedRoot, TestSigner) {
    let key = SigningKey::generate_p256().unwrap();
    let log = VirtualLog::new("log.test").unwrap();
    let root = log.trusted_root();
    let signer = TestSigner {
        key: SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap(),
        log: RefCell::new(log),
    };
    (key, root, signer)
}

fn info() -> ReleaseInfo {
    ReleaseInfo {
        name: Some("r".into()),
        version: "v1".into(),
        claims: BuildClaims {
            builder_id: Some("https://builder.test".into()),
            source_uri: Some("git+https://example.org/r".into()),
            source_digest: [(
                "gitCommit".to_owned(),
                "0123456789abcdef0123456789abcdef01234567".to_owned(),
            )]
            .into(),
            ..BuildClaims::default()
        },
        detected: BuildClaims::default(),
        sbom: Default::default(),
    }
}

fn sign(dir: &Path, signer: TestSigner) -> signet_release::sign::SignReport {
    let now = || time::OffsetDateTime::from_unix_timestamp(TIME).unwrap();
    sign_release(
        dir,
        false,
        || Ok(signer),
        &info(),
        &Environment {
            now: &now,
            nonce: &|| [7; 16],
        },
        &NoProgress,
    )
    .unwrap()
}

fn statuses(dir: &Path, root: &TrustedRoot, key: &SigningKey) -> Vec<(String, Status)> {
    let verifier = Verifier::new(root).unwrap();
    let report = verify_release(
        dir,
        &verifier,
        &Identity::Key(key.public_key().clone()),
        &Default::default(),
        ReadMode::Buffered,
        &NoProgress,
    )
    .unwrap();
    report
        .files
        .into_iter()
        .map(|f| (f.path, f.status))
        .collect()
}

fn status_of(rows: &[(String, Status)], path: &str) -> Status {
    rows.iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("no row for {path}: {rows:?}"))
        .1
}

#[test]
fn a_signed_release_verifies_file_by_file_and_every_change_has_its_status() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    for (name, data) in [
        ("a.tar.gz", "a"),
        ("bin/b", "b"),
        ("c.txt", "c"),
        ("d", "d"),
    ] {
        std::fs::write(dir.join(name), data).unwrap();
    }
    let (key, root, signer) = key_root_signer();
    let report = sign(dir, signer);
    assert_eq!((report.artifacts, report.signed), (4, 4));
    assert!(!report.up_to_date);

    let rows = statuses(dir, &root, &key);
    for f in [
        "a.tar.gz",
        "bin/b",
        "c.txt",
        "d",
        "SHA256SUMS",
        "release.cdx.json",
        "release.spdx",
        "release.spdx.json",
    ] {
        assert_eq!(status_of(&rows, f), Status::Ok, "{f}: {rows:?}");
    }
    // The stand-in provenance is no bundle: INVALID, and the only problem.
    assert_eq!(status_of(&rows, "release.intoto.jsonl"), Status::Invalid);
    assert_eq!(rows.iter().filter(|(_, s)| *s != Status::Ok).count(), 1);

    // A changed file, a removed file, a new file, a lost bundle, a stray signature.
    std::fs::write(dir.join("a.tar.gz"), "A").unwrap();
    std::fs::remove_file(dir.join("bin/b")).unwrap();
    std::fs::write(dir.join("new.bin"), "n").unwrap();
    std::fs::remove_file(dir.join("c.txt.sigstore.json")).unwrap();
    std::fs::write(dir.join("gone.sig"), "x").unwrap();
    // A bundle that does not parse.
    std::fs::write(dir.join("d.sigstore.json"), "{").unwrap();
    let rows = statuses(dir, &root, &key);
    assert_eq!(status_of(&rows, "a.tar.gz"), Status::Tampered);
    assert_eq!(status_of(&rows, "bin/b"), Status::Missing);
    assert_eq!(status_of(&rows, "new.bin"), Status::Extra);
    assert_eq!(status_of(&rows, "c.txt"), Status::Unsigned);
    assert_eq!(status_of(&rows, "gone.sig"), Status::Extra);
    assert_eq!(status_of(&rows, "d"), Status::Invalid);
    // The SBOMs still verify as signed files but no longer match the release.
    assert_eq!(status_of(&rows, "release.spdx.json"), Status::Failed);
    assert_eq!(status_of(&rows, "release.cdx.json"), Status::Failed);
}

#[test]
fn another_key_fails_and_a_signed_release_is_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("a"), "a").unwrap();
    let key = SigningKey::generate_p256().unwrap();
    let log = VirtualLog::new("log.test").unwrap();
    let root = log.trusted_root();
    let signer = || TestSigner {
        key: SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap(),
        log: RefCell::new(VirtualLog::new("log.test").unwrap()),
    };
    let _ = sign(
        dir,
        TestSigner {
            log: RefCell::new(log),
            ..signer()
        },
    );
    let other = SigningKey::generate_p256().unwrap();
    let rows = statuses(dir, &root, &other);
    assert_eq!(status_of(&rows, "a"), Status::Failed);
    assert!(sign(dir, signer()).up_to_date);
}

#[test]
fn an_empty_directory_is_refused_before_any_signer_is_made() {
    let tmp = tempfile::tempdir().unwrap();
    let now = || time::OffsetDateTime::from_unix_timestamp(TIME).unwrap();
    let err = sign_release(
        tmp.path(),
        false,
        || -> Result<TestSigner, ReleaseError> { panic!("no signer needed") },
        &info(),
        &Environment {
            now: &now,
            nonce: &|| [7; 16],
        },
        &NoProgress,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{} contains no artifacts to sign", tmp.path().display())
    );
}

/// The SBOM formats a release is signed with are the ones it has: each verified, a format no
/// longer chosen removed with its signatures, a release without any SBOM refused.
#[test]
fn sbom_formats_are_written_verified_and_replaced() {
    use signet_release::{SbomFormats, SbomOptions};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (name, data) in [("a.tar.gz", "a"), ("b", "b")] {
        std::fs::write(dir.join(name), data).unwrap();
    }
    let (key, root, signer) = key_root_signer();
    let now = || time::OffsetDateTime::from_unix_timestamp(TIME).unwrap();
    let sign_as = |formats| {
        sign_release(
            dir,
            false,
            || Ok(&signer),
            &ReleaseInfo {
                sbom: SbomOptions {
                    formats,
                    ..SbomOptions::default()
                },
                ..info()
            },
            &Environment {
                now: &now,
                nonce: &|| [7; 16],
            },
            &NoProgress,
        )
        .unwrap()
    };
    let exists = |f: &str| dir.join(f).exists();
    let sbom_rows = |rows: &[(String, Status)]| -> Vec<(String, Status)> {
        rows.iter()
            .filter(|(p, _)| p.starts_with("release.") && !p.starts_with("release.intoto"))
            .cloned()
            .collect()
    };
    let ok = |names: &[&str]| -> Vec<(String, Status)> {
        names.iter().map(|n| (n.to_string(), Status::Ok)).collect()
    };

    // CycloneDX only: no SPDX file, the CycloneDX SBOM verifies.
    assert!(!sign_as(SbomFormats::CycloneDx).up_to_date);
    assert!(exists("release.cdx.json") && exists("release.cdx.json.sigstore.json"));
    assert!(!exists("release.spdx.json") && !exists("release.spdx"));
    let rows = statuses(dir, &root, &key);
    assert_eq!(sbom_rows(&rows), ok(&["release.cdx.json"]), "{rows:?}");
    assert!(sign_as(SbomFormats::CycloneDx).up_to_date);

    // Both: not up to date until the SPDX SBOM is there too; no artifact is signed again.
    let r = sign_as(SbomFormats::Both);
    assert!(!r.up_to_date);
    assert_eq!(r.signed, 0);
    let rows = statuses(dir, &root, &key);
    assert_eq!(
        sbom_rows(&rows),
        ok(&["release.cdx.json", "release.spdx", "release.spdx.json"])
    );
    assert!(sign_as(SbomFormats::Both).up_to_date);

    // Back to SPDX only: the CycloneDX file and its signature files are gone.
    assert!(!sign_as(SbomFormats::Spdx).up_to_date);
    for f in [
        "release.cdx.json",
        "release.cdx.json.sig",
        "release.cdx.json.sigstore.json",
    ] {
        assert!(!exists(f), "{f}");
    }
    let rows = statuses(dir, &root, &key);
    assert_eq!(sbom_rows(&rows), ok(&["release.spdx", "release.spdx.json"]));

    // The tag-value file deleted (its signature files kept): MISSING.
    std::fs::remove_file(dir.join("release.spdx")).unwrap();
    let rows = statuses(dir, &root, &key);
    assert_eq!(status_of(&rows, "release.spdx"), Status::Missing);
    assert_eq!(status_of(&rows, "release.spdx.json"), Status::Ok);

    // Every SBOM file and signature deleted: one MISSING row says the release has no SBOM.
    for f in ["release.spdx", "release.spdx.json"] {
        for suffix in ["", ".sig", ".sigstore.json"] {
            let _ = std::fs::remove_file(dir.join(format!("{f}{suffix}")));
        }
    }
    let rows = statuses(dir, &root, &key);
    assert_eq!(
        sbom_rows(&rows),
        [("release.spdx.json".to_string(), Status::Missing)]
    );
    let report = verify_release(
        dir,
        &Verifier::new(&root).unwrap(),
        &Identity::Key(key.public_key().clone()),
        &Default::default(),
        ReadMode::Buffered,
        &NoProgress,
    )
    .unwrap();
    let row = report
        .files
        .iter()
        .find(|f| f.path == "release.spdx.json")
        .unwrap();
    assert!(row.detail.starts_with("no SBOM"), "{}", row.detail);
}

#[test]
fn the_report_says_where_each_file_is_logged_and_what_the_sbom_lists() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.tar.gz"), b"a").unwrap();
    std::fs::write(d.path().join("b.tar.gz"), b"b").unwrap();
    let (key, root, signer) = key_root_signer();
    let mut i = info();
    i.sbom.packages = signet_release::packages::SbomPackages::parse(
        br#"{"packages": [{"name": "<b>x</b>", "version": "1", "license": "MIT"},
            {"name": "y", "license": "Apache-2.0 OR MIT"}, {"name": "z"}]}"#,
    )
    .unwrap();
    let now = || time::OffsetDateTime::from_unix_timestamp(TIME).unwrap();
    sign_release(
        d.path(),
        false,
        || Ok(signer),
        &i,
        &Environment {
            now: &now,
            nonce: &|| [7; 16],
        },
        &NoProgress,
    )
    .unwrap();
    let report = verify_release(
        d.path(),
        &Verifier::new(&root).unwrap(),
        &Identity::Key(key.public_key().clone()),
        &Default::default(),
        ReadMode::Buffered,
        &NoProgress,
    )
    .unwrap();
    let mut uuids = std::collections::BTreeSet::new();
    for f in &report.files {
        if f.path == "release.intoto.jsonl" {
            // Its envelope is unsigned here: no log entry, and no provenance summary.
            assert_ne!(f.status, Status::Ok);
            assert!(f.log_entry.is_none());
            continue;
        }
        assert_eq!(f.status, Status::Ok, "{f:?}");
        let e = f.log_entry.as_ref().expect("a log entry");
        if f.path.ends_with(".tar.gz") || f.path == "SHA256SUMS" {
            assert_eq!(f.detail, format!("log index {}", e.log_index));
        }
        assert_eq!(e.uuid.len(), 64);
        assert!(uuids.insert(e.uuid.clone()), "one entry per file");
        // A managed key: no certificate identity.
        assert_eq!((&f.identity, &f.issuer), (&None, &None));
        let json = serde_json::to_value(f).unwrap();
        assert_eq!(json["logEntry"]["logIndex"], e.log_index);
    }
    assert!(report.provenance.is_none());
    let sbom = report.sbom.expect("the SPDX SBOM's summary");
    assert_eq!(sbom.file, "release.spdx.json");
    assert_eq!(sbom.package_count, 3);
    assert_eq!(sbom.licenses, ["Apache-2.0 OR MIT", "MIT"]);
    let names: Vec<&str> = sbom.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["<b>x</b>", "y", "z"]);
    assert_eq!(sbom.packages[0].version.as_deref(), Some("1"));
    assert_eq!(sbom.packages[2].license, None);
}
