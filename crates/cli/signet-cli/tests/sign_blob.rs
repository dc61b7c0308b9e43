//! Managed-key signing end to end: generate-key-pair, sign-blob against a live log, then
//! offline verify-blob with the trusted root the server wrote — and every way it must fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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
    let data = d.join("data");
    let server = common::Listening::start(
        &[
            "server",
            "--data-dir",
            data.to_str().unwrap(),
            "--log-addr",
            "127.0.0.1:0",
        ],
        &[],
    );
    let url = server.url.clone();

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

    // cosign-style verification without a bundle: the entry is found in the log by the
    // signature, key and digest, then verified exactly like a bundle.
    let online = |sig: &str, key: &str, artifact: &str| {
        signet(
            d,
            &[
                "verify-blob",
                "--signature",
                sig,
                "--key",
                key,
                "--rekor-url",
                &url,
                "--trusted-root",
                "data/trusted_root.json",
                artifact,
            ],
        )
    };
    let out = online("release.tar.gz.sig", "cosign.pub", "release.tar.gz");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        text.contains("tlog entry verified with uuid: ")
            && text.contains(" index: 0\nVerified OK\n"),
        "{text}"
    );
    assert!(
        !online("release.tar.gz.sig", "cosign.pub", "tampered")
            .status
            .success()
    );
    assert!(
        !online("release.tar.gz.sig", "other.pub", "release.tar.gz")
            .status
            .success()
    );
    // The online path reads the artifact once: given a FIFO that is written once, verification
    // must finish (a second read would wait for a writer that never comes).
    #[cfg(unix)]
    {
        use std::time::{Duration, Instant};
        let fifo = d.join("release.fifo");
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_signet"))
            .current_dir(d)
            .args([
                "verify-blob",
                "--signature",
                "release.tar.gz.sig",
                "--key",
                "cosign.pub",
                "--rekor-url",
                &url,
                "--trusted-root",
                "data/trusted_root.json",
                "release.fifo",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Detached: if verify-blob never opens the FIFO, this thread just stays blocked.
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            std::io::Write::write_all(&mut f, b"pretend release tarball").unwrap();
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        let status = status.unwrap_or_else(|| panic!("verify-blob read the artifact twice: {err}"));
        assert!(status.success(), "{err}");
    }
    let out = signet(
        d,
        &[
            "verify-blob",
            "--offline",
            "--signature",
            "release.tar.gz.sig",
            "--key",
            "cosign.pub",
            "release.tar.gz",
        ],
    );
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("--offline needs --bundle")
    );

    // The signature served over HTTP (any static server), and a URL that 404s.
    let mut http = Command::new("python3")
        .current_dir(d)
        .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut l = String::new();
    BufReader::new(http.stdout.take().unwrap())
        .read_line(&mut l)
        .unwrap();
    let port = l
        .split("port ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let sig_url = format!("http://127.0.0.1:{port}/release.tar.gz.sig");
    let out = online(&sig_url, "cosign.pub", "release.tar.gz");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = online(
        &format!("http://127.0.0.1:{port}/missing.sig"),
        "cosign.pub",
        "release.tar.gz",
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("404"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = http.kill();
    let _ = http.wait();
    drop(server);
}
