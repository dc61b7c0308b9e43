//! Keys in an HSM, against a real PKCS#11 module (Debian's SoftHSM2, installed by
//! scripts/softhsm.sh): each test initialises a throwaway token in a directory of its own
//! (`SOFTHSM2_CONF` pointing at a temporary config), creates keys through
//! `signet admin hsm create-key`, and starts `signet server` with its CA, CT log, Rekor v1 and
//! v2 log and TSA keys in the token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use signet_types::b64;

mod common;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "1234";

/// A SoftHSM2 token in its own directory.
struct Token {
    dir: tempfile::TempDir,
    label: String,
}

impl Token {
    fn new(label: &str) -> Self {
        assert!(
            Path::new(MODULE).is_file(),
            "{MODULE} is missing: install SoftHSM2 (scripts/softhsm.sh, apt-get install softhsm2)"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tokens")).unwrap();
        std::fs::write(
            dir.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                dir.path().join("tokens").display()
            ),
        )
        .unwrap();
        let t = Self {
            dir,
            label: label.into(),
        };
        let o = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", label, "--pin", PIN])
            .args(["--so-pin", "5678"])
            .env("SOFTHSM2_CONF", t.conf())
            .output()
            .expect("softhsm2-util (install SoftHSM2: scripts/softhsm.sh)");
        assert!(o.status.success(), "{}", text(&o));
        t
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    /// The URI of key `object`, with the PIN in it.
    fn uri(&self, object: &str) -> String {
        format!(
            "pkcs11:token={};object={object}?module-path={MODULE}&pin-value={PIN}",
            self.label
        )
    }

    /// The URI of key `object`, with the PIN in a file.
    fn uri_pin_file(&self, object: &str) -> String {
        let pin = self.dir.path().join("pin");
        std::fs::write(&pin, format!("{PIN}\n")).unwrap();
        format!(
            "pkcs11:token={};object={object}?module-path={MODULE}&pin-source=file:{}",
            self.label,
            pin.display()
        )
    }

    fn signet(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_signet"));
        c.args(args)
            .env("SOFTHSM2_CONF", self.conf())
            .env("RUST_LOG", "warn")
            .env_remove("SIGNET_DATA_DIR")
            .env_remove("SIGNET_TRUST_CONFIG")
            .env("XDG_CONFIG_HOME", self.dir.path().join("no-config"));
        c
    }

    /// Creates key `object` and returns its public key's SPKI DER.
    fn create_key(&self, object: &str) -> Vec<u8> {
        let o = self.signet(&["admin", "hsm", "create-key", "--uri", &self.uri(object)]);
        assert!(o.status.success(), "{}", text(&o));
        let pem = String::from_utf8(o.stdout.clone()).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
        // The PIN is never printed.
        assert!(
            !text(&o).contains(&format!("pin-value={PIN}")),
            "{}",
            text(&o)
        );
        signet_crypto::PublicKey::from_pem(&pem)
            .unwrap()
            .spki_der()
            .to_vec()
    }

    fn key_flags(&self) -> Vec<String> {
        vec![
            "--ca-key".into(),
            self.uri_pin_file("ca"),
            "--ct-key".into(),
            self.uri("ct"),
            "--log-key".into(),
            self.uri("log"),
            "--log-v2-key".into(),
            self.uri("log-v2"),
            "--tsa-key".into(),
            self.uri("tsa"),
            "--tuf-online-key".into(),
            self.uri("tuf"),
        ]
    }

    fn start(&self, data: &Path, extra: &[String]) -> common::Listening {
        let mut c = self.cmd(&[
            "server",
            "--dev-oidc",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ]);
        c.args(extra).stderr(Stdio::inherit());
        common::Listening::spawn(c)
    }

    /// Runs `signet server` expecting it to stop with an error (bounded: killed after 30 s).
    fn server_fails(&self, data: &Path, extra: &[String]) -> Output {
        let mut c = self.cmd(&[
            "server",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ]);
        c.args(extra).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("signet server {extra:?} did not stop");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The `Error:` line of a failed command: one line naming the problem.
fn error_line(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected a failure: {}", text(o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Error: "))
        .unwrap_or_else(|| panic!("no Error: line in {stderr}"));
    eprintln!("refused as expected: {line}");
    assert!(line.contains(needle), "expected {needle:?} in {line:?}");
    assert!(
        !line.contains(&format!("pin-value={PIN}")),
        "PIN printed: {line}"
    );
}

fn spki_of_cert(b64_der: &str) -> Vec<u8> {
    signet_x509::Certificate::from_der(&b64::decode(b64_der).unwrap())
        .unwrap()
        .spki_der()
        .to_vec()
}

/// Signs `artifact` keylessly through the server and verifies the bundle with nothing but the
/// instance's published `trusted_root.json` (copied out of the data directory).
fn sign_and_verify(t: &Token, url: &str, data: &Path, artifact: &Path) {
    let d = data.to_str().unwrap();
    let mut c = t.cmd(&["oidc", "token", "--subject", "alice@example.com"]);
    let o = c.env("SIGNET_DATA_DIR", d).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let a = artifact.to_str().unwrap();
    let bundle = format!("{a}.sigstore.json");
    let mut c = t.cmd(&[
        "sign-blob",
        a,
        "--identity-token",
        &token,
        "--bundle",
        &bundle,
    ]);
    let o = c.env("SIGNET_DATA_DIR", d).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let elsewhere = tempfile::tempdir().unwrap();
    let root = elsewhere.path().join("trusted_root.json");
    std::fs::copy(data.join("trusted_root.json"), &root).unwrap();
    let verify = |identity: &str| {
        t.signet(&[
            "verify-blob",
            a,
            "--bundle",
            &bundle,
            "--offline",
            "--trusted-root",
            root.to_str().unwrap(),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            &format!("{url}/oidc"),
        ])
    };
    let o = verify("alice@example.com");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Verified OK"), "{}", text(&o));
    // The check is real: another identity is refused.
    assert!(!verify("mallory@example.com").status.success());
}

/// CA, CT log, Rekor v1 and v2 logs and TSA with their keys in SoftHSM: no key file in the data
/// directory, the trust files carry the token's public keys, a keyless signature verifies with
/// those trust files only — after the first start (keys certified and recorded) and after a
/// restart (everything loaded back with the token's keys); without `--ca-key` the instance
/// refuses to start rather than make a new CA.
#[test]
fn server_keys_in_softhsm_sign_verifiably() {
    let t = Token::new("signet-e2e");
    let ca = t.create_key("ca");
    let ct = t.create_key("ct");
    let log = t.create_key("log");
    let log_v2 = t.create_key("log-v2");
    let tsa = t.create_key("tsa");
    let tuf = t.create_key("tuf");
    // A second key under a taken label is refused.
    let o = t.signet(&["admin", "hsm", "create-key", "--uri", &t.uri("ca")]);
    error_line(&o, "already exists");

    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let art = work.path().join("artifact.bin");
    std::fs::write(&art, b"signed with keys in an HSM").unwrap();
    let s = t.start(data.path(), &t.key_flags());
    for f in [
        "ca/intermediate.key",
        "ct/log.key",
        "log/log.key",
        "log-v2/log.key",
        "tsa/tsa.key",
        "tuf/keys/online.key",
    ] {
        assert!(!data.path().join(f).exists(), "{f} was written");
    }
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.path().join("trusted_root.json")).unwrap())
            .unwrap();
    let keys = |list: &str| -> Vec<Vec<u8>> {
        root[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| b64::decode(l["publicKey"]["rawBytes"].as_str().unwrap()).unwrap())
            .collect()
    };
    assert!(
        keys("tlogs").contains(&log),
        "the v1 log key is not the HSM's"
    );
    assert!(
        keys("tlogs").contains(&log_v2),
        "the v2 log key is not the HSM's"
    );
    assert_eq!(keys("ctlogs"), vec![ct.clone()]);
    let ca_chain = &root["certificateAuthorities"][0]["certChain"]["certificates"];
    assert_eq!(spki_of_cert(ca_chain[0]["rawBytes"].as_str().unwrap()), ca);
    let tsa_chain = &root["timestampAuthorities"][0]["certChain"]["certificates"];
    assert_eq!(
        spki_of_cert(tsa_chain[0]["rawBytes"].as_str().unwrap()),
        tsa
    );
    sign_and_verify(&t, &s.url, data.path(), &art);
    // The TUF root names the token's key for snapshot and timestamp, and a TUF client accepts
    // the repository that key signs, then verifies the bundle with the trusted root it got.
    let tuf_root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.path().join("tuf/root.json")).unwrap()).unwrap();
    for role in ["timestamp", "snapshot"] {
        let ids = tuf_root["signed"]["roles"][role]["keyids"]
            .as_array()
            .unwrap();
        assert_eq!(ids.len(), 1);
        let pem = tuf_root["signed"]["keys"][ids[0].as_str().unwrap()]["keyval"]["public"]
            .as_str()
            .unwrap();
        let spki = signet_crypto::PublicKey::from_pem(pem).unwrap();
        assert_eq!(spki.spki_der(), tuf.as_slice(), "{role} key");
    }
    let client = tempfile::tempdir().unwrap();
    let tuf_client = |args: &[&str]| {
        t.cmd(args)
            .env("XDG_CONFIG_HOME", client.path())
            .env("XDG_CACHE_HOME", client.path())
            .output()
            .unwrap()
    };
    let o = tuf_client(&[
        "initialize",
        "--mirror",
        &format!("{}/tuf", s.url),
        "--root",
        data.path().join("tuf/root.json").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let a = art.to_str().unwrap();
    let o = tuf_client(&[
        "verify-blob",
        a,
        "--bundle",
        &format!("{a}.sigstore.json"),
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &format!("{}/oidc", s.url),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    drop(s);

    // Restarted on the same directory: loaded with the token's keys.
    let s = t.start(data.path(), &t.key_flags());
    sign_and_verify(&t, &s.url, data.path(), &art);
    drop(s);

    // Without --ca-key the CA's key is missing: refused, nothing replaced.
    let before = std::fs::read(data.path().join("ca/intermediate.pem")).unwrap();
    let mut flags = t.key_flags();
    flags.drain(0..2);
    let o = t.server_fails(data.path(), &flags);
    error_line(&o, "--ca-key");
    assert_eq!(
        std::fs::read(data.path().join("ca/intermediate.pem")).unwrap(),
        before
    );
    // The log's key is not the recorded one: refused.
    let mut flags = t.key_flags();
    flags[5] = t.uri("ct");
    let o = t.server_fails(data.path(), &flags);
    error_line(&o, "not the key this log was created with");
}

/// Bad HSM configuration: a clear one-line error, a non-zero exit, and nothing created.
#[test]
fn bad_hsm_configuration_stops_the_server() {
    let t = Token::new("signet-bad");
    t.create_key("ca");
    let data = tempfile::tempdir().unwrap();
    let d = data.path().join("d");
    let with = |uri: String| vec!["--ca-key".to_string(), uri];
    let cases = [
        (
            t.uri("ca").replace("pin-value=1234", "pin-value=9999"),
            "wrong PIN",
        ),
        (
            t.uri("nothing"),
            "not found: no private key with object=\"nothing\"",
        ),
        (
            format!("pkcs11:token=signet-bad;object=ca?pin-value={PIN}"),
            "no module-path",
        ),
        (
            t.uri("ca").replace("token=signet-bad", "token=absent"),
            "token not found",
        ),
        (
            t.uri("ca").replace(MODULE, "/nonexistent/libpkcs11.so"),
            "no such file",
        ),
        (
            t.uri("ca").replace("object=ca", "object=c%a"),
            "bad percent-encoding",
        ),
        (
            t.uri("ca").replace("object=ca", "object=ca;colour=red"),
            "unknown path attribute colour",
        ),
    ];
    for (uri, needle) in cases {
        let o = t.server_fails(&d, &with(uri));
        error_line(&o, needle);
        assert!(
            !d.join("ca").exists(),
            "{needle}: the server created its CA"
        );
    }
    // A wrong PIN in a PIN file too.
    let pin = data.path().join("wrong-pin");
    std::fs::write(&pin, "0000\n").unwrap();
    let uri = t.uri("ca").replace(
        "pin-value=1234",
        &format!("pin-source=file:{}", pin.display()),
    );
    error_line(&t.server_fails(&d, &with(uri)), "wrong PIN");
    // --check-config opens the keys too, and never prints the PIN.
    let check = |uri: &str| {
        t.signet(&[
            "server",
            "--check-config",
            "--data-dir",
            d.to_str().unwrap(),
            "--ca-key",
            uri,
        ])
    };
    let o = check(&t.uri("ca"));
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("pin-value=***"), "{}", text(&o));
    assert!(
        !text(&o).contains(&format!("pin-value={PIN}")),
        "{}",
        text(&o)
    );
    let o = check(&t.uri("ca").replace("pin-value=1234", "pin-value=9999"));
    error_line(&o, "wrong PIN");
}
