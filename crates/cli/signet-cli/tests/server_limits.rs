//! Limits of signet's servers against hostile clients, on real processes on 127.0.0.1: idle
//! and slow clients are disconnected and cannot lock others out, even past the process's
//! descriptor limit; every error is JSON in the API's error shape; `serve-release` never serves
//! a file outside its directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod common;
use common::Listening;

/// `signet <command> <data-dir flag or directory> --addr 127.0.0.1:0 <extra>`.
fn args<'a>(command: &'a str, dir: &'a std::path::Path, extra: &[&'a str]) -> Vec<&'a str> {
    let dir = dir.to_str().unwrap();
    let mut v = match command {
        "server" => vec![command, "--data-dir", dir],
        _ => vec![command, dir, "--files-only"],
    };
    v.extend(["--addr", "127.0.0.1:0"]);
    v.extend(extra);
    v
}

fn addr(l: &Listening) -> String {
    l.url.trim_start_matches("http://").to_string()
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`): the status and the
/// answer (head and body: `Content-Length` bytes, or up to the close), within `timeout`. The
/// request's body need not be sent: an answer to its header is read all the same.
fn exchange(addr: &str, request: &str, timeout: Duration) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let complete = |a: &[u8]| {
        let text = String::from_utf8_lossy(a);
        let (head, body) = text.split_once("\r\n\r\n")?;
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .map(str::to_owned)
            })?
            .trim()
            .parse()
            .ok()?;
        (body.len() >= len).then_some(())
    };
    while complete(&answer).is_none() {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) => panic!(
                "no complete answer to {request:?} within {timeout:?}: {e}; got {:?}",
                String::from_utf8_lossy(&answer)
            ),
        }
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    (status, answer)
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
}

/// Waits until the server closes `s` (EOF or reset), writing `drip` every 100 ms if given
/// (a slowloris); returns how long that took, or `None` if it is still open after `limit`.
fn closed_after(mut s: TcpStream, drip: Option<&[u8]>, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 1024];
    while t0.elapsed() < limit {
        if let Some(d) = drip
            && s.write_all(d).is_err()
        {
            return Some(t0.elapsed());
        }
        match s.read(&mut buf) {
            Ok(0) => return Some(t0.elapsed()),
            Ok(_) => {} // an answer such as 408; the close follows
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(t0.elapsed()),
        }
    }
    None
}

/// 100 connections that never send a byte, against a server limited to 64 descriptors (the
/// issue: 140 idle connections against 96 descriptors locked everyone out until they closed).
/// The cap keeps the server under its descriptor limit and the header timeout frees the slots,
/// so a client that comes after all of them is served within seconds.
#[test]
fn a_flood_of_idle_connections_does_not_lock_out_a_later_client() {
    flood(64, 100);
}

/// The same with 32 descriptors, where the server's own files (about 22: stores, runtime)
/// plus its cap (16) exceed the limit, so `accept` fails with EMFILE: the server waits and
/// retries, and still serves.
#[test]
fn a_server_out_of_descriptors_recovers() {
    flood(32, 60);
}

/// Opens `idle` silent connections to a `signet server` limited to `fds` descriptors, then
/// checks a later client is served and the silent ones were disconnected.
fn flood(fds: u32, idle: usize) {
    let data = tempfile::tempdir().unwrap();
    let server = Listening::start_with_fd_limit(
        fds,
        &args("server", data.path(), &["--header-timeout", "0.5"]),
    );
    let a = addr(&server);
    let idle: Vec<TcpStream> = (0..idle).map(|_| TcpStream::connect(&a).unwrap()).collect();
    let t0 = Instant::now();
    let (status, answer) = exchange(&a, &get("/api/v1/log"), Duration::from_secs(10));
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"treeSize\""), "{answer}");
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    let closed = idle
        .into_iter()
        .take(5)
        .filter(|s| closed_after(s.try_clone().unwrap(), None, Duration::from_secs(3)).is_some())
        .count();
    assert_eq!(closed, 5);
}

/// A client sending half a header, a line every 100 ms, is disconnected after the header
/// timeout although bytes keep coming; so is one that connects and sends nothing, and one that
/// stays connected after an answer (keep-alive) without sending another request.
#[test]
fn slow_and_silent_clients_are_disconnected_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "content").unwrap();
    let server = Listening::start(
        &args(
            "serve-release",
            dir.path(),
            &["--header-timeout", "0.5", "--idle-timeout", "30"],
        ),
        &[],
    );
    let a = addr(&server);
    let limit = Duration::from_secs(3);

    let mut slow = TcpStream::connect(&a).unwrap();
    slow.write_all(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let t = closed_after(slow, Some(b"X-Slow: 1\r\n"), limit).expect("slowloris kept");
    assert!(t >= Duration::from_millis(300), "{t:?}");

    let silent = TcpStream::connect(&a).unwrap();
    closed_after(silent, None, limit).expect("silent client kept");

    let mut kept = TcpStream::connect(&a).unwrap();
    kept.write_all(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    let n = kept.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    closed_after(kept, None, limit).expect("idle kept-alive client kept");

    // And the server still serves.
    assert_eq!(exchange(&a, &get("/a.txt"), limit).0, 200);
}

/// An upload that stops halfway (the header complete, the body not) is closed after the idle
/// timeout; `--max-connections` is honoured: with 2 slots taken, a third client waits until
/// one frees.
#[test]
fn a_stalled_upload_is_closed_after_the_idle_timeout_and_the_cap_holds() {
    let data = tempfile::tempdir().unwrap();
    let server = Listening::start(
        &args(
            "server",
            data.path(),
            &[
                "--header-timeout",
                "30",
                "--idle-timeout",
                "0.5",
                "--max-connections",
                "2",
            ],
        ),
        &[],
    );
    let a = addr(&server);
    let stalled = || {
        let mut s = TcpStream::connect(&a).unwrap();
        s.write_all(
            b"POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"kind\":",
        )
        .unwrap();
        s
    };
    let (s1, s2) = (stalled(), stalled());
    std::thread::sleep(Duration::from_millis(100));
    let t0 = Instant::now();
    let (status, _) = exchange(&a, &get("/api/v1/log"), Duration::from_secs(5));
    assert_eq!(status, 200);
    // Served only once a slot freed: after the stalled uploads' idle timeout.
    assert!(
        t0.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t0.elapsed()
    );
    for s in [s1, s2] {
        closed_after(s, None, Duration::from_secs(3)).expect("stalled upload kept");
    }
}

/// Sends `request`, expects `status` with an `application/json` body `{"code": <status>,
/// "message": ...}`, and returns it.
fn assert_json_error(addr: &str, request: &str, status: u16) -> serde_json::Value {
    assert_json_error_coded(addr, request, status, status)
}

/// As [`assert_json_error`], with `code` in the body (Fulcio's are gRPC codes).
fn assert_json_error_coded(addr: &str, request: &str, status: u16, code: u16) -> serde_json::Value {
    let (got, answer) = exchange(addr, request, Duration::from_secs(10));
    assert_eq!(got, status, "{answer}");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("\r\ncontent-type: application/json\r\n"),
        "{head}"
    );
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    assert_eq!(v["code"], code, "{v}");
    assert!(!v["message"].as_str().unwrap().is_empty(), "{v}");
    v
}

fn post(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Every error of `signet server` is `application/json` `{"code": <status>, "message": ...}`:
/// oversized bodies (the issue: `413 Failed to buffer the request body: length limit exceeded`
/// as plain text), unknown routes, wrong methods, malformed bodies and queries.
#[test]
fn every_error_is_json_in_the_api_error_shape() {
    let data = tempfile::tempdir().unwrap();
    let server = Listening::start(&args("server", data.path(), &[]), &[]);
    let a = addr(&server);
    let over = " ".repeat(signet_server::MAX_BODY + 1);
    let v = assert_json_error(&a, &post("/api/v1/log/entries", &over), 413);
    assert!(
        v["message"].as_str().unwrap().contains("length limit"),
        "{v}"
    );
    let over = " ".repeat(signet_ca::fulcio::MAX_REQUEST_BYTES + 1);
    // The CA's errors are in Fulcio's shape (gRPC code 3, invalid argument), with the status.
    let v = assert_json_error_coded(&a, &post("/api/v2/signingCert", &over), 413, 3);
    assert!(
        v["message"].as_str().unwrap().contains("length limit"),
        "{v}"
    );
    assert_json_error(&a, &post("/ct/v1/add-pre-chain", &over), 413);
    assert_json_error(&a, &get("/no/such/route"), 404);
    let v = assert_json_error(&a, &get("/"), 404);
    assert_eq!(v["message"], "no such route");
    assert_json_error(
        &a,
        "DELETE /api/v1/log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        405,
    );
    assert_json_error(&a, &post("/api/v1/log", "{}"), 405);
    assert_json_error(&a, &post("/api/v1/log/entries", "{not json"), 400);
    assert_json_error(&a, &post("/api/v1/index/retrieve", "[1,"), 400);
    assert_json_error_coded(&a, &post("/api/v2/signingCert", "{not json"), 400, 3);
    assert_json_error(&a, &post("/ct/v1/add-pre-chain", "{not json"), 400);
    assert_json_error(&a, &get("/ct/v1/get-entries?start=x&end=1"), 400);
    // Rekor's answer for an entry it does not hold stays a 404 with an empty body.
    let (status, answer) = exchange(
        &a,
        &get("/api/v1/log/entries?logIndex=7"),
        Duration::from_secs(5),
    );
    assert_eq!(status, 404);
    assert!(answer.ends_with("\r\n\r\n"), "{answer}");
}

/// `serve-release` serves regular files under its directory and nothing else: a symlink to a
/// file outside (the issue: it served `/etc/passwd`) is a JSON 403 without the content; a
/// symlink to a file inside is served (as `verify-release` lists it); `..` in any spelling is
/// a JSON 400; directories and missing files a JSON 404.
#[cfg(unix)]
#[test]
fn serve_release_serves_nothing_outside_its_directory() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "release file").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    symlink(&secret, dir.path().join("escape")).unwrap();
    symlink(
        "../../../../../../../../etc/passwd",
        dir.path().join("sub/passwd"),
    )
    .unwrap();
    symlink(outside.path(), dir.path().join("outdir")).unwrap();
    symlink(dir.path().join("a.txt"), dir.path().join("sub/inside")).unwrap();
    let server = Listening::start(&args("serve-release", dir.path(), &[]), &[]);
    let a = addr(&server);
    let t = Duration::from_secs(5);

    let (status, answer) = exchange(&a, &get("/a.txt"), t);
    assert_eq!(status, 200);
    assert!(answer.contains("\r\nrelease file\r\n"), "{answer}");
    let (status, answer) = exchange(&a, &get("/sub/inside"), t);
    assert_eq!(status, 200);
    assert!(answer.contains("\r\nrelease file\r\n"), "{answer}");

    for (path, status) in [
        ("/escape", 403),
        ("/sub/passwd", 403),
        ("/outdir/secret", 403),
        ("/../secret", 400),
        ("/sub/../../secret", 400),
        ("/%2e%2e/secret", 400),
        ("/sub/%2e%2e/%2e%2e/etc/passwd", 400),
        ("/sub", 404),
        ("/missing", 404),
    ] {
        let v = assert_json_error(&a, &get(path), status);
        let text = v.to_string();
        assert!(
            !text.contains("SECRET") && !text.contains("root:"),
            "{text}"
        );
        assert!(!text.contains(outside.path().to_str().unwrap()), "{text}");
    }
    assert_json_error(&a, &post("/a.txt", "{}"), 405);
}
