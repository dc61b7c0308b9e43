//! Every file the CLI reads whole is capped (README "Limits on input: files"): `/dev/zero`, and
//! sparse files one byte over a limit, are refused quickly, with status 1 and an error naming
//! the file, its kind and the limit. Each command runs under a 4 GiB address-space limit and a
//! deadline, so a reader that loses its cap fails the test (allocation failure or kill) instead
//! of exhausting the machine's memory or hanging.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);
const MIB: u64 = 1024 * 1024;
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

struct Run {
    code: Option<i32>,
    stderr: String,
}

/// Runs `signet <args>` in `home` (nothing trusted by default, no server reachable) with
/// `extra_env`, bounded in memory and time.
fn signet(home: &Path, args: &[&str], extra_env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"ulimit -v 4194304 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_signet"))
        .args(args)
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("RUST_LOG", "warn")
        .env("SIGNET_REKOR_URL", "http://127.0.0.1:9")
        .env_remove("SIGNET_TRUST_CONFIG")
        .env_remove("SIGNET_DATA_DIR")
        .env_remove("SIGNET_FULCIO_URL")
        .env_remove("SIGSTORE_ID_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("signet {args:?} still running after {DEADLINE:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The command failed with status 1 and `expected` in its error.
fn refused(run: &Run, expected: &str) {
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(expected),
        "expected {expected:?} in stderr: {}",
        run.stderr
    );
}

/// A sparse file of `len` bytes (all zero).
fn sparse(path: &Path, len: u64) -> PathBuf {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
    path.to_path_buf()
}

fn bundle() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../testdata/sigstore-conformance/assets/bundle-verify/happy-path-v0.2/bundle.sigstore.json")
        .to_str()
        .unwrap()
        .to_string()
}

/// A small artifact and a (wrong, but well-formed) signature and public key beside it.
fn material(home: &Path) -> (String, String, String) {
    let artifact = home.join("a.txt");
    std::fs::write(&artifact, b"hello\n").unwrap();
    let sig = home.join("a.txt.sig");
    std::fs::write(&sig, b"MEUCIQ==\n").unwrap();
    let key = signet_crypto::SigningKey::generate_p256().unwrap();
    let pubkey = home.join("key.pub");
    std::fs::write(&pubkey, key.public_key().to_pem()).unwrap();
    let s = |p: PathBuf| p.to_str().unwrap().to_string();
    (s(artifact), s(sig), s(pubkey))
}

/// `signet verify-bundle --bundle <bundle> <extra> [identity] sha256:…` (the certificate
/// identity flags unless `extra` gives `--key`).
fn verify_bundle(home: &Path, bundle: &str, extra: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut args = vec!["verify-bundle", "--bundle", bundle];
    args.extend_from_slice(extra);
    if !extra.contains(&"--key") {
        args.extend([
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ]);
    }
    args.push(DIGEST);
    signet(home, &args, env)
}

#[test]
fn verify_bundle_refuses_an_endless_bundle() {
    let home = tempfile::tempdir().unwrap();
    let run = verify_bundle(home.path(), "/dev/zero", &[], &[]);
    refused(
        &run,
        "bundle /dev/zero: larger than the bundle limit of 32 MiB",
    );
}

#[test]
fn verify_bundle_refuses_an_endless_trusted_root() {
    let home = tempfile::tempdir().unwrap();
    let run = verify_bundle(
        home.path(),
        &bundle(),
        &["--trusted-root", "/dev/zero"],
        &[],
    );
    refused(
        &run,
        "trusted root /dev/zero: larger than the trusted root limit of 32 MiB",
    );
}

#[test]
fn verify_bundle_refuses_an_endless_public_key() {
    let home = tempfile::tempdir().unwrap();
    let run = verify_bundle(home.path(), &bundle(), &["--key", "/dev/zero"], &[]);
    refused(
        &run,
        "public key /dev/zero: larger than the public key limit of 64 KiB",
    );
}

/// The trust config (trusted root + signing config) one byte over its limit, found through
/// `$SIGNET_TRUST_CONFIG` for verifying and given as `--trust-config` for signing.
#[test]
fn an_oversized_trust_config_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let big = sparse(&home.path().join("trust_config.json"), MIB + 1);
    let expected = format!(
        "trust config {}: larger than the trust config limit of 1 MiB",
        big.display()
    );
    let run = verify_bundle(
        home.path(),
        &bundle(),
        &[],
        &[("SIGNET_TRUST_CONFIG", &big)],
    );
    refused(&run, &expected);
    let (artifact, _, _) = material(home.path());
    let big = big.to_str().unwrap();
    let args = [
        "sign-blob",
        "--trust-config",
        big,
        "--identity-token",
        "a.b.c",
        &artifact,
    ];
    refused(&signet(home.path(), &args, &[]), &expected);
}

#[test]
fn verify_blob_refuses_an_endless_signature_certificate_or_key() {
    let home = tempfile::tempdir().unwrap();
    let (artifact, sig, key) = material(home.path());
    let zero = "/dev/zero";
    let id = [
        "--certificate-identity",
        "a@example.com",
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let cases: [(Vec<&str>, &str); 3] = [
        (
            vec!["--signature", zero, "--key", &key],
            "signature /dev/zero: larger than the signature limit of 1 MiB",
        ),
        (
            [["--signature", &sig, "--certificate", zero].as_slice(), &id].concat(),
            "certificate /dev/zero: larger than the certificate limit of 1 MiB",
        ),
        (
            vec!["--signature", &sig, "--key", zero],
            "public key /dev/zero: larger than the public key limit of 64 KiB",
        ),
    ];
    for (flags, expected) in cases {
        let args = [["verify-blob"].as_slice(), &flags, &[artifact.as_str()]].concat();
        refused(&signet(home.path(), &args, &[]), expected);
    }
}

#[test]
fn sign_blob_refuses_an_endless_private_key() {
    let home = tempfile::tempdir().unwrap();
    let (artifact, _, _) = material(home.path());
    let run = signet(
        home.path(),
        &["sign-blob", "--key", "/dev/zero", &artifact],
        &[],
    );
    refused(
        &run,
        "private key /dev/zero: larger than the private key limit of 64 KiB",
    );
}

#[test]
fn verify_release_refuses_an_oversized_sha256sums() {
    let home = tempfile::tempdir().unwrap();
    let rel = home.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    std::fs::write(rel.join("a.txt"), b"hello\n").unwrap();
    let sums = sparse(&rel.join("SHA256SUMS"), 16 * MIB + 1);
    let rel = rel.to_str().unwrap();
    let id = [
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let run = signet(
        home.path(),
        &[["verify-release", rel].as_slice(), &id].concat(),
        &[],
    );
    refused(
        &run,
        &format!(
            "SHA256SUMS {}: larger than the SHA256SUMS limit of 16 MiB",
            sums.display()
        ),
    );
}

#[test]
fn the_server_refuses_an_endless_oidc_configuration() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let args = [
        "server",
        "--data-dir",
        data.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
        "--oidc-config",
        "/dev/zero",
    ];
    refused(
        &signet(home.path(), &args, &[]),
        "OIDC configuration /dev/zero: larger than the OIDC configuration limit of 1 MiB",
    );
}
