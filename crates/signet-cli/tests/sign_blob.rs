//! Managed-key signing end to end: generate-key-pair, sign-blob against a live log, then
//! offline verify-blob with the trusted root the server wrote — and every way it must fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn signet(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signet"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn sign_blob_then_verify_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut server = Command::new(env!("CARGO_BIN_EXE_signet"))
        .current_dir(d)
        .args(["server", "--data-dir", "data", "--log-addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();

    assert!(signet(d, &["generate-key-pair"]).status.success());
    let out = signet(d, &["generate-key-pair"]);
    assert!(!out.status.success(), "must not overwrite an existing key");
    std::fs::write(d.join("release.tar.gz"), b"pretend release tarball").unwrap();
    let out = signet(
        d,
        &[
            "sign-blob",
            "--rekor-url",
            &url,
            "--key",
            "cosign.key",
            "--bundle",
            "release.tar.gz.sigstore.json",
            "--output-signature",
            "release.tar.gz.sig",
            "release.tar.gz",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("tlog entry created with index: 0"));

    let verify = |artifact: &str, key: &str, root: &str| {
        signet(
            d,
            &[
                "verify-blob",
                "--bundle",
                "release.tar.gz.sigstore.json",
                "--key",
                key,
                "--trusted-root",
                root,
                artifact,
            ],
        )
    };
    let ok = verify("release.tar.gz", "cosign.pub", "data/trusted_root.json");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stderr).ends_with("Verified OK\n"));
    // By digest too.
    let digest = format!(
        "sha256:{}",
        signet_crypto::sha256(b"pretend release tarball").to_hex()
    );
    assert!(
        verify(&digest, "cosign.pub", "data/trusted_root.json")
            .status
            .success()
    );

    // Tampered artifact, other key, untrusted log: each refused with a one-line reason.
    std::fs::write(d.join("tampered"), b"pretend release tarball!").unwrap();
    assert!(
        !verify("tampered", "cosign.pub", "data/trusted_root.json")
            .status
            .success()
    );
    assert!(
        signet(d, &["generate-key-pair", "--output-key-prefix", "other"])
            .status
            .success()
    );
    assert!(
        !verify("release.tar.gz", "other.pub", "data/trusted_root.json")
            .status
            .success()
    );
    let prod = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/production_trusted_root.json"
    );
    let out = verify("release.tar.gz", "cosign.pub", prod);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not in the trusted root"));
    let _ = server.kill();
    let _ = server.wait();
}
