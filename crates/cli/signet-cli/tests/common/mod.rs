//! Shared by the integration tests: run a `signet` command that serves on 127.0.0.1 (a server
//! or `serve-release`), read the URL from its first stdout line, and kill it when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `signet` process that announced `... http://<addr> ...` on its first line.
pub struct Listening {
    pub child: Child,
    pub url: String,
}

impl Listening {
    /// Runs `signet <args>` (with `RUST_LOG=warn`, plus `env`) and waits for its URL.
    pub fn start(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
        cmd.args(args).env("RUST_LOG", "warn");
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
            .env("RUST_LOG", "warn");
        Self::spawn(cmd)
    }

    /// Spawns `cmd` and waits for its URL.
    fn spawn(mut cmd: Command) -> Self {
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
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
