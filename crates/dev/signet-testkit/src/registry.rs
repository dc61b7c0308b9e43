//! A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8.2) on a free
//! 127.0.0.1 port, with htpasswd (Basic) authentication and filesystem storage in a temporary
//! directory; killed when dropped. Never the packaged config or port 5000.
//!
//! distribution 2.8.2 has no referrers API (it answers `GET /v2/<name>/referrers/<digest>`
//! with a plain-text 404), never sends `OCI-Subject`, and ignores `If-Match`: the registry
//! signet's fallback-index and retry code is written for.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Where Debian installs the registry.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";
/// How to install what the harness needs.
pub const INSTALL_HINT: &str = "apt-get install docker-registry apache2-utils";

/// A running registry; stopped (killed) and its storage removed when dropped.
pub struct TestRegistry {
    /// `127.0.0.1:<port>`: the registry part of image references.
    pub host: String,
    /// The htpasswd user.
    pub user: String,
    /// Its password.
    pub password: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl TestRegistry {
    /// Starts a registry and waits (at most 20 s) until `/v2/` answers. Fails, naming
    /// [`INSTALL_HINT`], when `docker-registry` or `htpasswd` is missing.
    pub fn start() -> Result<Self> {
        Self::start_with(REGISTRY_BIN)
    }

    /// [`TestRegistry::start`] with the registry binary at `bin` (else its file name on
    /// `PATH`).
    pub fn start_with(bin: &str) -> Result<Self> {
        let name = Path::new(bin)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("docker-registry");
        let bin = find(bin, name).with_context(|| {
            format!("the registry tests need docker-registry (distribution 2.8.2): {INSTALL_HINT}")
        })?;
        let htpasswd = find("/usr/bin/htpasswd", "htpasswd")
            .with_context(|| format!("the registry tests need htpasswd: {INSTALL_HINT}"))?;
        let (user, password) = ("signet".to_string(), "registry-test-password".to_string());
        let mut dir = tempfile::tempdir()?;
        let out = Command::new(&htpasswd)
            .args(["-Bbn", &user, &password])
            .output()
            .context("running htpasswd")?;
        if !out.status.success() {
            bail!("htpasswd failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::fs::write(dir.path().join("htpasswd"), &out.stdout)?;
        std::fs::create_dir(dir.path().join("data"))?;
        // A free port can be taken between probing and binding: try a few.
        let mut last = String::new();
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let host = format!("127.0.0.1:{port}");
            let config = dir.path().join("config.yml");
            std::fs::write(&config, config_yml(dir.path(), &host))?;
            let log = std::fs::File::create(dir.path().join("registry.log"))?;
            let child = Command::new(&bin)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", bin.display()))?;
            let mut reg = Self {
                host,
                user: user.clone(),
                password: password.clone(),
                child,
                dir,
            };
            match reg.wait_ready(Duration::from_secs(20)) {
                Ok(()) => return Ok(reg),
                Err(e) => {
                    last = format!("{e:#}: {}", reg.log_tail());
                    let _ = reg.child.kill();
                    let _ = reg.child.wait();
                    // Keep the directory for the next try.
                    dir = std::mem::replace(&mut reg.dir, tempfile::tempdir()?);
                }
            }
        }
        bail!("docker-registry did not start: {last}")
    }

    /// The last lines the registry logged.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("docker-registry exited with {status}");
            }
            if let Ok(status) = get_status(&self.host, "/v2/") {
                if status == 401 {
                    return Ok(());
                }
                bail!("GET /v2/ answered {status}, expected 401 (htpasswd auth)");
            }
            if start.elapsed() > limit {
                bail!("/v2/ did not answer within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(path: &str, name: &str) -> Result<std::path::PathBuf> {
    if Path::new(path).exists() {
        return Ok(path.into());
    }
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|c| c.is_file())
        })
        .with_context(|| format!("{name} not found ({path} or PATH)"))
}

fn config_yml(dir: &Path, host: &str) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: error\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n\
         http:\n  addr: {host}\n  secret: signet-test-secret\n\
         auth:\n  htpasswd:\n    realm: basic-realm\n    path: {htpasswd}\n",
        data = dir.join("data").display(),
        htpasswd = dir.join("htpasswd").display(),
    )
}

/// The status of a plain `GET path` (HTTP/1.0, no keep-alive).
fn get_status(host: &str, path: &str) -> Result<u16> {
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    let text = std::str::from_utf8(&head)?;
    text.get(9..12)
        .and_then(|c| c.parse().ok())
        .context("not an HTTP answer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_registry_fails_with_the_install_command() {
        let err = TestRegistry::start_with("/nonexistent/signet-no-such-registry")
            .err()
            .expect("no registry binary there");
        let msg = format!("{err:#}");
        assert!(
            msg.contains("apt-get install docker-registry apache2-utils"),
            "{msg}"
        );
    }

    #[test]
    fn starts_answers_and_stops() {
        let reg = TestRegistry::start().unwrap();
        assert_eq!(get_status(&reg.host, "/v2/").unwrap(), 401);
        let host = reg.host.clone();
        drop(reg);
        assert!(
            get_status(&host, "/v2/").is_err(),
            "still answering after drop"
        );
    }
}
