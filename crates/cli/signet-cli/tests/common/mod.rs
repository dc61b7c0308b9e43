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
