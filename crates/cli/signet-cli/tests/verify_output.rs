//! What `signet verify-bundle` prints beyond pass/fail: skipped RFC 3161 timestamps as warnings
//! (stderr `WARNING: …` lines, and a `warnings` array with `--output json`), on a real staging
//! bundle with one invalid timestamp (testdata/sigstore-python/PROVENANCE.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../testdata")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Runs verify-bundle on sigstore-python's TSA bundle, with the staging root whose timestamp
/// authority is the test TSA.
fn verify_tsa_bundle(extra: &[&str]) -> Output {
    let tsa = testdata().join("sigstore-python/tsa");
    let mut root =
        json(&testdata().join("sigstore-conformance/default-trust/staging_trusted_root.json"));
    root["timestampAuthorities"] = serde_json::Value::Array(vec![json(&tsa.join("ca.json"))]);
    let dir = tempfile::tempdir().unwrap();
    let root_path = dir.path().join("root.json");
    std::fs::write(&root_path, serde_json::to_vec(&root).unwrap()).unwrap();
    Command::new(env!("CARGO_BIN_EXE_signet"))
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(tsa.join("bundle.txt.sigstore"))
        .arg("--trusted-root")
        .arg(&root_path)
        .args([
            "--certificate-identity",
            "alexis.challande@trailofbits.com",
            "--certificate-oidc-issuer",
            "https://accounts.google.com",
        ])
        .args(extra)
        .arg(tsa.join("bundle.txt"))
        .env("SIGNET_QUIET", "1")
        .output()
        .unwrap()
}

#[test]
fn skipped_timestamp_is_a_warning_in_text_and_json() {
    let out = verify_tsa_bundle(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("WARNING: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].starts_with("WARNING: RFC 3161 timestamp 1 skipped:"),
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with("Verified OK"), "{stderr}");

    let out = verify_tsa_bundle(&["--output", "json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"], true);
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{v}");
    assert!(w[0].as_str().unwrap().contains("message imprint mismatch"));
    assert_eq!(v["verifiedTimes"].as_array().unwrap().len(), 2);
}

/// npm provenance identifies its subject by SHA-512 only: `sha512:` verifies it, `sha256:` is
/// refused saying which algorithm the subjects use, and a file is hashed with SHA-512 too.
/// (The real `sigstore@2.0.0` provenance bundle, testdata/rekor-vectors/PROVENANCE.md.)
#[test]
fn sha512_subjects_verify_by_sha512_digest_and_by_file() {
    const SHA512: &str = "46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c";
    let run = |artifact: &str| {
        Command::new(env!("CARGO_BIN_EXE_signet"))
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(testdata().join("rekor-vectors/sigstore-js-2.0.0-provenance.sigstore.json"))
            .arg("--trusted-root")
            .arg(testdata().join("sigstore-conformance/default-trust/production_trusted_root.json"))
            .args([
                "--certificate-identity",
                "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
                "--certificate-oidc-issuer",
                "https://token.actions.githubusercontent.com",
            ])
            .arg(artifact)
            .output()
            .unwrap()
    };
    let out = run(&format!("sha512:{SHA512}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&format!("SHA512:{}", SHA512.to_uppercase()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut other = SHA512.to_string();
    other.replace_range(0..1, "5");
    let out = run(&format!("sha512:{other}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("artifact digest mismatch"), "{stderr}");

    let out = run(&format!("sha256:{}", "ab".repeat(32)));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("subjects carry sha512 digests but the artifact was given as sha256"),
        "{stderr}"
    );

    // A file (not the tarball) is hashed by SHA-512 as well, and so is compared, not refused.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sigstore-2.0.0.tgz");
    std::fs::write(&file, b"not the tarball").unwrap();
    let out = run(file.to_str().unwrap());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("artifact digest mismatch") && stderr.contains("sha512:"),
        "{stderr}"
    );
}
