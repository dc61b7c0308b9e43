//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory, `postgres` on
//! a free port of 127.0.0.1 (and a socket in that directory), password authentication. One
//! cluster per test binary ([`cluster`]), one database per test ([`Cluster::database`]).
//!
//! PostgreSQL refuses to run as root: as root, `initdb` and `postgres` run as the `postgres`
//! system user (or `nobody`) through `setpriv`, the directory chowned to it. The server runs
//! under a small `sh` watchdog that reads its standard input: when the test binary ends (even
//! killed), the pipe closes, and the watchdog stops the server and deletes the directory.
//!
//! When the PostgreSQL server binaries are missing, [`cluster`] panics saying so: the tests that
//! need it fail rather than skip (CI installs Debian's `postgresql`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The cluster's superuser (tests connect as it).
pub const USER: &str = "signet";

/// A running throwaway cluster.
pub struct Cluster {
    port: u16,
    password: String,
    bindir: PathBuf,
    dir: PathBuf,
    next: AtomicU64,
    /// The watchdog: its stdin is this end of a pipe, closed when the process ends.
    _watchdog: std::sync::Mutex<Child>,
    /// Watchdogs of the servers [`Cluster::restart`] started.
    restarted: std::sync::Mutex<Vec<Child>>,
    /// The user the server runs as (when the tests run as root).
    user: Option<String>,
    /// Whether the server takes TLS connections ([`private_cluster_with_tls`]).
    tls: bool,
}

/// A test CA and a server certificate for `localhost` (its only name: not 127.0.0.1) that it
/// issued, all PEM: the CA's certificate, the server's certificate, the server's key. For
/// [`private_cluster_with_tls`].
///
/// # Panics
/// When rcgen fails.
pub fn tls_certificates() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().expect("a CA key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "signet test database CA");
    let ca_cert = ca.self_signed(&ca_key).expect("the CA certificate");
    let key = rcgen::KeyPair::generate().expect("a server key");
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("server certificate parameters");
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let cert = leaf
        .signed_by(&key, &issuer)
        .expect("the server certificate");
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// A server certificate and its private key (PEM), for a cluster that takes TLS connections.
pub struct ServerTls<'a> {
    /// The certificate chain, leaf first.
    pub cert_pem: &'a str,
    /// The leaf's private key.
    pub key_pem: &'a str,
}

/// The directory of the PostgreSQL server binaries: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin` holding `initdb`.
pub fn bindir() -> Option<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has(&d) {
            return Some(d);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let d = e.path().join("bin");
            has(&d).then_some((v, d))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, d)| d)
}

/// The user PostgreSQL runs as when this process is root (it refuses root).
fn run_as() -> Result<Option<String>, String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("id -u: {e}"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Ok(None);
    }
    for u in ["postgres", "nobody"] {
        if Command::new("id")
            .arg("-u")
            .arg(u)
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Ok(Some(u.to_string()));
        }
    }
    Err("running as root, and neither a `postgres` nor a `nobody` user to run PostgreSQL as".into())
}

/// `program args…`, as `user` when given.
fn command(user: Option<&str>, program: &Path) -> Command {
    match user {
        // setpriv execs the program itself (runuser would stay in between and kill it on its
        // own schedule): the watchdog's `wait` then waits for PostgreSQL.
        Some(u) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={u}"))
                .arg(format!("--regid={u}"))
                .arg("--clear-groups")
                .arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// The shared cluster of this test binary, started on first use.
///
/// # Panics
/// When the PostgreSQL server binaries are missing or the cluster does not start: the message
/// says why (install Debian's `postgresql`).
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        Cluster::start(None)
            .map_err(|e| format!("the PostgreSQL test cluster: {e}"))
            .unwrap()
    })
}

/// A cluster of its own, for a test that disrupts it ([`Cluster::restart`]); stopped and
/// deleted when dropped.
///
/// # Panics
/// As [`cluster`].
pub fn private_cluster() -> Cluster {
    Cluster::start(None)
        .map_err(|e| format!("a PostgreSQL test cluster: {e}"))
        .unwrap()
}

/// A cluster of its own started with `ssl=on` and `tls` as its certificate (clients may still
/// connect without TLS); stopped and deleted when dropped.
///
/// # Panics
/// As [`cluster`].
pub fn private_cluster_with_tls(tls: &ServerTls<'_>) -> Cluster {
    Cluster::start(Some(tls))
        .map_err(|e| format!("a PostgreSQL test cluster with TLS: {e}"))
        .unwrap()
}

impl Cluster {
    /// Restarts the server as `pg_ctl restart -m fast` does (open connections are cut, running
    /// transactions aborted), on the same port and data; answers once it accepts connections.
    ///
    /// # Panics
    /// When the server does not stop or start again within 30 s.
    pub fn restart(&self) {
        let pidfile = self.dir.join("data").join("postmaster.pid");
        let pid = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.lines().next().map(str::to_string))
            .expect("postmaster.pid");
        let st = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(st.success(), "kill -INT {pid}");
        let deadline = Instant::now() + Duration::from_secs(30);
        // A clean stop removes the pid file (the process itself stays a zombie of the watchdog).
        while pidfile.exists() {
            assert!(Instant::now() < deadline, "postgres {pid} did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        let w = Self::run(
            &self.bindir,
            self.user.as_deref(),
            &self.dir,
            self.port,
            self.tls,
        )
        .expect("restarting postgres");
        self.restarted.lock().unwrap().push(w);
    }

    fn start(tls: Option<&ServerTls<'_>>) -> Result<Self, String> {
        let bindir = bindir().ok_or(
            "PostgreSQL server binaries (initdb, postgres) not found by `pg_config --bindir` \
             nor in /usr/lib/postgresql/*/bin: install Debian's `postgresql` package (the \
             PostgreSQL-backed tests need it; .ci/run installs it)",
        )?;
        let user = run_as()?;
        let dir = tempfile::Builder::new()
            .prefix("signet-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        let password = hex::encode(rand::random::<[u8; 16]>());
        std::fs::write(dir.join("pw"), &password).map_err(|e| e.to_string())?;
        std::fs::create_dir(dir.join("sock")).map_err(|e| e.to_string())?;
        if let Some(t) = tls {
            std::fs::write(dir.join("server.crt"), t.cert_pem).map_err(|e| e.to_string())?;
            let key = dir.join("server.key");
            std::fs::write(&key, t.key_pem).map_err(|e| e.to_string())?;
            // PostgreSQL refuses a key others can read.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| e.to_string())?;
        }
        if let Some(u) = &user {
            let st = Command::new("chown")
                .arg("-R")
                .arg(format!("{u}:"))
                .arg(&dir)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !st.success() {
                return Err(format!("chown -R {u} {} failed", dir.display()));
            }
        }
        let out = command(user.as_deref(), &bindir.join("initdb"))
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                USER,
                "--auth=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
            ])
            .args(["--locale=C"])
            .arg(format!("--pwfile={}", dir.join("pw").display()))
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            match Self::run(&bindir, user.as_deref(), &dir, port, tls.is_some()) {
                Ok(watchdog) => {
                    return Ok(Self {
                        port,
                        password,
                        bindir,
                        dir,
                        next: AtomicU64::new(0),
                        _watchdog: std::sync::Mutex::new(watchdog),
                        restarted: std::sync::Mutex::new(Vec::new()),
                        user: user.clone(),
                        tls: tls.is_some(),
                    });
                }
                Err(e) => last = e,
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Err(last)
    }

    /// Starts `postgres` under the watchdog and waits until it accepts connections.
    fn run(
        bindir: &Path,
        user: Option<&str>,
        dir: &Path,
        port: u16,
        tls: bool,
    ) -> Result<Child, String> {
        let mut pg = command(user, &bindir.join("postgres"));
        pg.arg("-D")
            .arg(dir.join("data"))
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(dir.join("sock"))
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "max_connections=400", "-c", "shared_buffers=32MB"]);
        if tls {
            pg.args(["-c", "ssl=on", "-c"])
                .arg(format!(
                    "ssl_cert_file={}",
                    dir.join("server.crt").display()
                ))
                .arg("-c")
                .arg(format!("ssl_key_file={}", dir.join("server.key").display()));
        }
        // Tests kill signet, not the database, and throw the cluster away: no fsync. A
        // benchmark of durable writes sets `SIGNET_PG_FSYNC=on` (bench/log_pg.sh).
        if std::env::var_os("SIGNET_PG_FSYNC").is_none_or(|v| v != "on") {
            pg.args(["-c", "fsync=off", "-c", "full_page_writes=off"]);
        }
        // Extra settings (`name=value`, space-separated), last so they win: a benchmark sizes
        // the database as an operator would (bench/log_pg.sh).
        if let Ok(extra) = std::env::var("SIGNET_PG_SETTINGS") {
            for kv in extra.split_whitespace() {
                pg.arg("-c").arg(kv);
            }
        }
        let argv: Vec<String> = std::iter::once(pg.get_program())
            .chain(pg.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let log = dir.join(format!("postgres-{port}.log"));
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(
                r#"dir="$1"; log="$2"; shift 2
                "$@" >"$log" 2>&1 </dev/null &
                pid=$!
                read -r _ || true
                kill -INT "$pid" 2>/dev/null; wait "$pid"
                rm -rf "$dir""#,
            )
            .arg("sh")
            .arg(dir)
            .arg(&log)
            .args(&argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting postgres: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(bindir.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", USER])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(watchdog);
            }
            // (Not any FATAL line: `pg_isready` during start-up logs "the database system is
            // starting up"; nor "was shut down", which a start logs about the last stop.)
            let ended = watchdog.try_wait().ok().flatten().is_some()
                || std::fs::read_to_string(&log).is_ok_and(|l| {
                    [
                        "could not bind",
                        "could not create",
                        "aborting",
                        "system is shut down",
                    ]
                    .iter()
                    .any(|w| l.contains(w))
                });
            if ended || Instant::now() > deadline {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                // Stop it (the watchdog reads a line) without deleting the data directory.
                if let Some(mut stdin) = watchdog.stdin.take() {
                    let _ = stdin.write_all(b"\n");
                }
                let _ = watchdog.wait();
                return Err(format!(
                    "postgres on 127.0.0.1:{port} did not start: {}",
                    text.trim()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data and socket directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The URL of database `db` with the right password.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://{USER}:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// The URL of database `db` with a wrong password.
    pub fn url_wrong_password(&self, db: &str) -> String {
        format!(
            "postgres://{USER}:not-{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// Creates a new empty database and answers its URL.
    ///
    /// # Panics
    /// When `createdb` fails.
    pub fn database(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{n}");
        let out = Command::new(self.bindir.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
            .arg(&name)
            .env("PGPASSWORD", &self.password)
            .output()
            .expect("running createdb");
        assert!(
            out.status.success(),
            "createdb {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(&name)
    }

    /// Runs one SQL command in database `db` with `psql`, answering its output.
    ///
    /// # Panics
    /// When `psql` fails.
    pub fn psql(&self, db_url: &str, sql: &str) -> String {
        let out = Command::new(self.bindir.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .arg(db_url)
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// A new database in the shared cluster (see [`cluster`]): its URL.
pub fn database() -> String {
    cluster().database()
}
