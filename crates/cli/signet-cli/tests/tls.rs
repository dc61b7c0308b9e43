//! TLS on `signet server`, on real processes on 127.0.0.1: clients trust the instance's private
//! CA through `--ca-bundle`/`SIGNET_CA_BUNDLE` and fail clearly without it; SIGHUP swaps the
//! certificate for new connections while open ones keep working; bad TLS files stop the start
//! with the file named; answers carry HSTS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Listening;
use common::tls::{Ca, ca, leaf, write_leaf};

fn tls_server(dir: &Path) -> Listening {
    Listening::start(
        &[
            "server",
            "--data-dir",
            dir.join("data").to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--tls-cert",
            dir.join("tls.crt").to_str().unwrap(),
            "--tls-key",
            dir.join("tls.key").to_str().unwrap(),
        ],
        &[],
    )
}

fn signet(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("SIGNET_CA_BUNDLE")
        .env_remove("SIGNET_REKOR_URL")
        .env_remove("SIGNET_TRUST_CONFIG")
        .env("XDG_CONFIG_HOME", dir.join("no-config"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn sign_and_read_the_log_over_https_with_the_ca_bundle_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = ca();
    std::fs::write(d.join("ca.pem"), ca.cert.pem()).unwrap();
    write_leaf(d, &ca, 1);
    let server = tls_server(d);
    let url = server.url.clone();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    assert!(signet(d, &["generate-key-pair"], &[]).status.success());
    std::fs::write(d.join("a.txt"), b"an artifact").unwrap();
    let sign = |extra: &[&str], env: &[(&str, &Path)]| {
        let mut args = vec![
            "sign-blob",
            "--rekor-url",
            &url,
            "--key",
            "cosign.key",
            "--bundle",
            "a.sigstore.json",
            "a.txt",
        ];
        args.extend(extra);
        signet(d, &args, env)
    };
    // Without the CA: the system roots do not know it.
    let out = sign(&[], &[]);
    let err = common::output_text(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("certificate") || err.contains("UnknownIssuer"),
        "not a TLS error: {err}"
    );
    // With --ca-bundle.
    let out = sign(&["--ca-bundle", "ca.pem"], &[]);
    assert!(out.status.success(), "{}", common::output_text(&out));
    let out = signet(
        d,
        &[
            "verify-blob",
            "--bundle",
            "a.sigstore.json",
            "--key",
            "cosign.pub",
            "--trusted-root",
            "data/trusted_root.json",
            "a.txt",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", common::output_text(&out));
    // With SIGNET_CA_BUNDLE, through another command (`log get` verifies the entry online).
    let ca_pem = d.join("ca.pem");
    let get = |env: &[(&str, &Path)]| {
        signet(
            d,
            &["log", "--rekor-url", &url, "get", "--log-index", "0"],
            env,
        )
    };
    let out = get(&[("SIGNET_CA_BUNDLE", &ca_pem)]);
    assert!(out.status.success(), "{}", common::output_text(&out));
    assert!(!get(&[]).status.success());

    // HSTS on every answer over TLS.
    let (_, head) = https_get(&mut connect(&server, &ca), "/api/v1/log");
    assert!(
        head.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{head}"
    );
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A TLS connection to `server`, trusting `ca` only.
fn connect(server: &Listening, ca: &Ca) -> Tls {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let addr = server.url.trim_start_matches("https://");
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), "127.0.0.1".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // Finish the handshake.
    tls.flush().unwrap();
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }
    tls
}

/// The certificate the server presented on `tls`.
fn served(tls: &Tls) -> Vec<u8> {
    tls.conn.peer_certificates().unwrap()[0].to_vec()
}

/// One keep-alive GET on `tls`: status and head.
fn https_get(tls: &mut Tls, path: &str) -> (u16, String) {
    write!(tls, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    tls.flush().unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .expect("content-length");
            if body.len() >= len {
                let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
                return (status, head.to_string());
            }
        }
        let n = tls.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed: {text:?}");
        got.extend_from_slice(&buf[..n]);
    }
}

fn sighup(server: &Listening) {
    let ok = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn sighup_swaps_the_certificate_for_new_connections_and_keeps_open_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = ca();
    let first = write_leaf(d, &ca, 1);
    let server = tls_server(d);
    let mut old = connect(&server, &ca);
    assert_eq!(served(&old), first);
    assert_eq!(https_get(&mut old, "/api/v1/log").0, 200);

    let second = write_leaf(d, &ca, 2);
    assert_ne!(first, second);
    sighup(&server);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if served(&connect(&server, &ca)) == second {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still the old certificate after SIGHUP"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The connection opened before keeps working, with its certificate.
    assert_eq!(https_get(&mut old, "/api/v1/log").0, 200);
    assert_eq!(served(&old), first);

    // A bad file at SIGHUP: the server keeps the certificate it has and keeps serving.
    std::fs::write(d.join("tls.crt"), "not a certificate\n").unwrap();
    sighup(&server);
    std::thread::sleep(Duration::from_millis(300));
    let mut fresh = connect(&server, &ca);
    assert_eq!(served(&fresh), second);
    assert_eq!(https_get(&mut fresh, "/api/v1/log").0, 200);
}

/// `signet server` with `extra` flags (on 127.0.0.1:0 unless they say `--addr`): it must fail,
/// with a one-line error; its stderr.
fn refused(d: &Path, extra: &[&str]) -> String {
    let data = d.join("data");
    let mut args = vec!["server", "--data-dir", data.to_str().unwrap()];
    if !extra.contains(&"--addr") {
        args.extend(["--addr", "127.0.0.1:0"]);
    }
    args.extend(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(&args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "started with {extra:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "not one line: {err}");
    err
}

#[test]
fn bad_tls_files_stop_the_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = ca();
    write_leaf(d, &ca, 1);
    let (cert, key) = (d.join("tls.crt"), d.join("tls.key"));
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let missing = d.join("missing.crt");
    let missing = missing.to_str().unwrap();

    let err = refused(d, &["--tls-cert", missing, "--tls-key", key]);
    assert!(err.contains("missing.crt"), "{err}");

    std::fs::write(d.join("garbage.crt"), "hello\n").unwrap();
    let garbage = d.join("garbage.crt");
    let err = refused(
        d,
        &["--tls-cert", garbage.to_str().unwrap(), "--tls-key", key],
    );
    assert!(
        err.contains("garbage.crt") && err.contains("no PEM certificate"),
        "{err}"
    );

    // The key of another certificate.
    let (_, other_key, _) = leaf(&ca, 9);
    std::fs::write(d.join("other.key"), other_key).unwrap();
    let other = d.join("other.key");
    let err = refused(
        d,
        &["--tls-cert", cert, "--tls-key", other.to_str().unwrap()],
    );
    assert!(
        err.contains("does not match") && err.contains("other.key"),
        "{err}"
    );

    // A certificate where the key belongs.
    let err = refused(d, &["--tls-cert", cert, "--tls-key", cert]);
    assert!(
        err.contains("TLS private key") && err.contains("tls.crt"),
        "{err}"
    );

    // Plain HTTP on an address that is not loopback.
    let err = refused(d, &["--addr", "0.0.0.0:0"]);
    assert!(
        err.contains("refusing to serve plain HTTP on 0.0.0.0:0")
            && err.contains("--insecure-http"),
        "{err}"
    );
    assert!(
        !d.join("data").exists(),
        "nothing is created before the TLS files load"
    );
}

/// `signet server` (B) with `--oidc-config` naming an issuer served over HTTPS with a
/// certificate from a private CA (the development issuer of another server, A): B fetches the
/// issuer's discovery document and keys only when it trusts that CA through `--ca-bundle` or
/// `SIGNET_CA_BUNDLE`, as the command-line clients do.
#[test]
fn the_server_reaches_an_oidc_issuer_behind_a_private_ca_through_the_ca_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = ca();
    std::fs::write(d.join("ca.pem"), ca.cert.pem()).unwrap();
    write_leaf(d, &ca, 1);
    let data_a = d.join("a");
    let a = Listening::start(
        &[
            "server",
            "--dev-oidc",
            "--data-dir",
            data_a.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--tls-cert",
            d.join("tls.crt").to_str().unwrap(),
            "--tls-key",
            d.join("tls.key").to_str().unwrap(),
        ],
        &[],
    );
    let issuer = format!("{}/oidc", a.url);
    assert!(issuer.starts_with("https://127.0.0.1:"), "{issuer}");
    let out = common::signet_in(
        &data_a,
        &["oidc", "token", "--subject", "alice@example.com"],
    );
    assert!(out.status.success(), "{}", common::output_text(&out));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    std::fs::write(
        d.join("oidc.yaml"),
        format!(
            "oidc-issuers:\n  {issuer}:\n    issuer-url: {issuer}\n    client-id: sigstore\n    type: email\n"
        ),
    )
    .unwrap();
    std::fs::write(d.join("a.txt"), b"an artifact").unwrap();

    // B (plain HTTP on loopback) with `extra` flags and environment; keyless sign-blob against
    // it with A's token.
    let sign_through_b = |name: &str, extra: &[&str], env: &[(&str, &Path)]| {
        let data_b = d.join(name);
        let mut args = vec![
            "server",
            "--data-dir",
            data_b.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--oidc-config",
            "oidc.yaml",
        ];
        args.extend(extra);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
        cmd.current_dir(d)
            .args(&args)
            .env("RUST_LOG", "warn")
            .env_remove("SIGNET_CA_BUNDLE")
            .stderr(std::process::Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let _b = Listening::spawn(cmd);
        let bundle = d.join(format!("{name}.sigstore.json"));
        common::signet_in(
            &data_b,
            &[
                "sign-blob",
                d.join("a.txt").to_str().unwrap(),
                "--identity-token",
                &token,
                "--bundle",
                bundle.to_str().unwrap(),
            ],
        )
    };
    // Without the CA, the issuer's certificate is not trusted: no certificate.
    let out = sign_through_b("b-without", &[], &[]);
    let text = common::output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("401") || text.contains("Unauthorized") || text.contains("token"),
        "{text}"
    );
    // With --ca-bundle, and with SIGNET_CA_BUNDLE.
    let out = sign_through_b("b-flag", &["--ca-bundle", "ca.pem"], &[]);
    assert!(out.status.success(), "{}", common::output_text(&out));
    let ca_pem = d.join("ca.pem");
    let out = sign_through_b("b-env", &[], &[("SIGNET_CA_BUNDLE", &ca_pem)]);
    assert!(out.status.success(), "{}", common::output_text(&out));
}
