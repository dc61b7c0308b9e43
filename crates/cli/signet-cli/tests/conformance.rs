//! Runs every sigstore-conformance `bundle-verify` case through the `signet verify-bundle`
//! binary, by file path and by `sha256:` digest, exactly as the conformance suite's CLI protocol
//! does. Cases whose directory ends in `_fail` must exit non-zero; all others must exit 0.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../testdata/sigstore-conformance")
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    signet_crypto::sha256(&bytes).to_hex()
}

struct Outcome {
    name: String,
    mode: &'static str,
    expected_ok: bool,
    ok: bool,
    stderr: String,
}

fn run_case(dir: &Path, mode: &'static str) -> Outcome {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let artifact = if dir.join("artifact").exists() {
        dir.join("artifact")
    } else {
        testdata().join("assets/bundle-verify/a.txt")
    };
    let root = if dir.join("trusted_root.json").exists() {
        dir.join("trusted_root.json")
    } else {
        testdata().join("default-trust/production_trusted_root.json")
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.arg("verify-bundle")
        .arg("--bundle")
        .arg(dir.join("bundle.sigstore.json"));
    if dir.join("key.pub").exists() {
        cmd.arg("--key").arg(dir.join("key.pub"));
    } else {
        let read = |f: &str, default: &str| {
            std::fs::read_to_string(dir.join(f))
                .map(|s| s.trim().to_string())
                .unwrap_or(default.to_string())
        };
        cmd.arg("--certificate-identity")
            .arg(read("identity", DEFAULT_IDENTITY));
        cmd.arg("--certificate-oidc-issuer")
            .arg(read("issuer", DEFAULT_ISSUER));
    }
    cmd.arg("--trusted-root").arg(root);
    match mode {
        "PATH" => cmd.arg(&artifact),
        _ => cmd.arg(format!("sha256:{}", sha256_hex(&artifact))),
    };
    let out = cmd.output().unwrap();
    Outcome {
        name: name.clone(),
        mode,
        expected_ok: !name.ends_with("_fail"),
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    }
}

#[test]
fn every_conformance_case_by_path_and_digest() {
    let base = testdata().join("assets/bundle-verify");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("bundle.sigstore.json").exists())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 70, "expected the 70 sigstore-conformance cases");

    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .iter()
            .flat_map(|d| ["PATH", "DIGEST"].map(|m| (d.clone(), m)))
            .map(|(d, m)| s.spawn(move || run_case(&d, m)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    // Every rejection must be for the reason the case was built to test, not by accident.
    let reasons: std::collections::HashMap<&str, &str> = include_str!("expected_failures.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .collect();
    let mut failures = Vec::new();
    for o in &outcomes {
        if !o.expected_ok {
            let want = reasons
                .get(o.name.as_str())
                .unwrap_or_else(|| panic!("no expected reason for {}", o.name));
            if !o.ok && !o.stderr.contains(want) {
                failures.push(format!(
                    "[{}-{}]: rejected for the wrong reason: {} (expected {want:?})",
                    o.mode, o.name, o.stderr
                ));
            }
        }
        let verdict = if o.ok == o.expected_ok {
            "ok  "
        } else {
            "FAIL"
        };
        println!(
            "{verdict} [{}-{}] exit_ok={} {}",
            o.mode,
            o.name,
            o.ok,
            o.stderr.lines().last().unwrap_or("")
        );
        if o.ok != o.expected_ok {
            failures.push(format!("[{}-{}]: {}", o.mode, o.name, o.stderr));
        }
        // A rejection must be a clear one-line error, never a panic.
        assert!(
            !o.stderr.contains("panicked"),
            "{} panicked: {}",
            o.name,
            o.stderr
        );
        if !o.ok {
            assert!(
                o.stderr.starts_with("Error: "),
                "{}: unclear error {:?}",
                o.name,
                o.stderr
            );
        }
    }
    println!(
        "{} passed, {} failed",
        outcomes.len() - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} case(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `signet COMMAND --bundle` for a keyless conformance case with the default identity and the
/// production root; the caller adds the artifact.
fn keyless_verify(command: &str, case: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.arg(command)
        .arg("--bundle")
        .arg(
            testdata()
                .join("assets/bundle-verify")
                .join(case)
                .join("bundle.sigstore.json"),
        )
        .args(["--certificate-identity", DEFAULT_IDENTITY])
        .args(["--certificate-oidc-issuer", DEFAULT_ISSUER])
        .arg("--trusted-root")
        .arg(testdata().join("default-trust/production_trusted_root.json"));
    cmd
}

/// `--output json` prints exactly one JSON object on stdout whether verification succeeds or
/// fails; a failure still exits non-zero.
#[test]
fn json_output_on_success_and_failure() {
    let base = testdata().join("assets/bundle-verify");
    for (case, want_ok) in [
        ("happy-path-v0.3", true),
        ("signature-mismatch_fail", false),
    ] {
        for command in ["verify-bundle", "verify-blob"] {
            let out = keyless_verify(command, case)
                .args(["--output", "json"])
                .arg(base.join("a.txt"))
                .output()
                .unwrap();
            assert_eq!(out.status.success(), want_ok, "{command} {case}");
            let stdout = String::from_utf8(out.stdout).unwrap();
            assert_eq!(stdout.lines().count(), 1, "{command} {case}: {stdout:?}");
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(v["verified"], want_ok, "{command} {case}: {v}");
            if !want_ok {
                let err = v["error"].as_str().unwrap();
                assert!(err.contains("signature"), "{command} {case}: {err}");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(stderr.contains(err), "{stderr}");
            }
        }
    }
}

/// A digest the bundle cannot be checked against is refused with an error that says so, not as a
/// missing file: a message signature is over the SHA-256, and sha1 is not accepted at all.
#[test]
fn unsupported_digest_algorithm_is_named() {
    for (digest, want) in [
        (
            format!("sha512:{}", "ab".repeat(64)),
            "message signature is over the artifact's SHA-256",
        ),
        (
            format!("sha1:{}", "ab".repeat(20)),
            "sha1 digests are not supported",
        ),
    ] {
        let out = keyless_verify("verify-bundle", "happy-path-v0.3")
            .arg(digest)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(want) && !stderr.contains("cannot open"),
            "{stderr}"
        );
    }
}
