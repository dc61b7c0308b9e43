//! Shared by the integration tests: run a `signet` command that serves on 127.0.0.1 (a server
//! or `serve-release`), read the URL from its first stdout line, and kill it when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod tls;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `signet` process that announced `... http(s)://<addr> ...` on its first line.
pub struct Listening {
    pub child: Child,
    pub url: String,
}

impl Listening {
    /// Runs `signet <args>` (with `RUST_LOG=warn`, plus `env`) and waits for its URL.
    pub fn start(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
        cmd.args(args)
            .env("RUST_LOG", "warn")
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self::spawn(cmd)
    }

    /// Runs `signet <args>` through `sh -c` with at most `fds` open file descriptors.
    pub fn start_with_fd_limit(fds: u32, args: &[&str]) -> Self {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit -n {fds} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_signet"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stderr(Stdio::inherit());
        Self::spawn(cmd)
    }

    /// Runs `signet <args>` (with `RUST_LOG=info`), its stderr written to `log`, and waits for
    /// its URL.
    pub fn start_logging_to(args: &[&str], log: &std::path::Path) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
        cmd.args(args).env("RUST_LOG", "info");
        cmd.stderr(std::fs::File::create(log).unwrap());
        Self::spawn(cmd)
    }

    /// Spawns `cmd` (its stderr as the caller set it) and waits for its URL.
    pub fn spawn(mut cmd: Command) -> Self {
        cmd.stdout(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .expect("listening line")
            .to_string();
        Self { child, url }
    }

    /// SIGKILL, and wait for it.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `signet ARGS` for the instance in `data` (`SIGNET_DATA_DIR`), without any ambient
/// trust config or log URL.
pub fn signet_in(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(args)
        .env("SIGNET_DATA_DIR", data)
        .env_remove("SIGNET_TRUST_CONFIG")
        .env_remove("SIGNET_REKOR_URL")
        .env_remove("SIGNET_DATABASE")
        .env("XDG_CONFIG_HOME", data.join("no-config"))
        .output()
        .unwrap()
}

/// [`signet_in`] off an async runtime.
pub async fn signet_in_async(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    let (data, args): (std::path::PathBuf, Vec<String>) = (
        data.to_path_buf(),
        args.iter().map(|s| s.to_string()).collect(),
    );
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        signet_in(&data, &refs)
    })
    .await
    .unwrap()
}

/// stdout then stderr of a run, as text.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `signet server --addr 127.0.0.1:0 --data-dir DATA <extra>` expecting it to stop at
/// start: a non-zero exit, nothing on stdout (it never listened) and exactly one line on
/// stderr, which is answered.
pub fn server_refuses_to_start(data: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec![
        "server",
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = signet_in(data, &args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "{extra:?}: {}", output_text(&o));
    assert!(
        o.stdout.is_empty(),
        "{extra:?}: started: {}",
        output_text(&o)
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    err
}

/// Signs the file `work/name` (written with its name as content) keylessly as `who`, with a
/// token of the development issuer of the instance in `data` (a Rekor v1 entry and a
/// precertificate in the CT log): the bundle's path.
pub fn sign_keyless(
    data: &std::path::Path,
    work: &std::path::Path,
    who: &str,
    name: &str,
) -> std::path::PathBuf {
    let o = signet_in(data, &["oidc", "token", "--subject", who]);
    assert!(o.status.success(), "{}", output_text(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let art = work.join(name);
    std::fs::write(&art, name.as_bytes()).unwrap();
    let bundle = work.join(format!("{name}.sigstore.json"));
    let o = signet_in(
        data,
        &[
            "sign-blob",
            art.to_str().unwrap(),
            "--identity-token",
            &token,
            "--bundle",
            bundle.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    bundle
}

/// `signet server --dev-oidc` on a fresh port of 127.0.0.1, data in `data`.
pub fn dev_server(data: &std::path::Path) -> Listening {
    Listening::start(
        &[
            "server",
            "--dev-oidc",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
    )
}

/// `signet server --tlog-api v2` (with `--dev-oidc` when `dev_oidc`) on a fresh port of
/// 127.0.0.1, data in `data`: the Rekor v2 log at `<url>/rekor-v2`.
pub fn v2_server(data: &std::path::Path, dev_oidc: bool) -> Listening {
    let mut args = vec![
        "server",
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--tlog-api",
        "v2",
    ];
    if dev_oidc {
        args.push("--dev-oidc");
    }
    Listening::start(&args, &[])
}

/// The JSON lines of a command's stdout whose `"event"` is `event` (`signet log monitor`).
pub fn events(o: &std::process::Output, event: &str) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["event"] == event)
        .collect()
}

/// A Rekor v2 `CreateEntryRequest` (hashedrekord 0.0.2) of `data` signed by the P-256 `key`.
pub fn v2_request(key: &signet_crypto::SigningKey, data: &[u8]) -> serde_json::Value {
    use signet_types::b64;
    let sig = key.sign(data).unwrap();
    serde_json::json!({"hashedRekordRequestV002": {
        "digest": b64::encode(signet_crypto::sha256(data).as_bytes()),
        "signature": {"content": b64::encode(&sig), "verifier": {
            "publicKey": {"rawBytes": b64::encode(key.public_key().spki_der())},
            "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}})
}

/// The instance's trust config (`dir/trust_config.json`) with a TSA in its signing config if
/// it lists none (a v2 log needs one), written to `dir/trust_config_tsa.json`.
pub fn trust_config_with_tsa(dir: &std::path::Path, url: &str) -> std::path::PathBuf {
    let mut tc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("trust_config.json")).unwrap()).unwrap();
    let sc = &mut tc["signingConfig"];
    if sc["tsaUrls"].as_array().is_none_or(|a| a.is_empty()) {
        sc["tsaUrls"] = serde_json::json!([{
            "url": format!("{url}/api/v1/timestamp"), "majorApiVersion": 1,
            "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "test"}]);
    }
    let path = dir.join("trust_config_tsa.json");
    std::fs::write(&path, tc.to_string()).unwrap();
    path
}

/// Copies the directory `from` (recursively) to `to`.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A Rekor v1 `hashedrekord` proposed entry of `data` signed by `key`.
pub fn proposed(key: &signet_crypto::SigningKey, data: &[u8]) -> serde_json::Value {
    let sig = key.sign(data).unwrap();
    signet_rekor::proposed_hashedrekord(
        &sig,
        &key.public_key().to_pem(),
        &signet_crypto::sha256(data).to_hex(),
    )
}

/// The consistency proof between sizes `first` and `last` the log at `url` serves.
pub async fn consistency_proof(url: &str, first: u64, last: u64) -> Vec<signet_types::Sha256Hash> {
    let v: serde_json::Value = reqwest::get(format!(
        "{url}/api/v1/log/proof?firstSize={first}&lastSize={last}"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| signet_types::Sha256Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect()
}

/// A tmpfs mounted on a directory, unmounted when dropped (also when the test fails).
pub struct Mounted(pub std::path::PathBuf);

impl Mounted {
    /// Mounts a tmpfs of `size` (`mount -o size=…`) on `dir` (created); `None`, saying why
    /// on stderr, when it cannot (not root): the caller skips its test.
    pub fn tmpfs(dir: &std::path::Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
            eprintln!(
                "skipped: cannot mount a tmpfs here (not root?): {:?}",
                mounted.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            );
            return None;
        }
        Some(Self(dir.to_path_buf()))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
