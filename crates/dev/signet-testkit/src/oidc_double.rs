//! A loopback HTTP/1.1 double for identity-token endpoints (GitHub Actions' token service, a
//! Google metadata server, …): it records each request's method, target and headers and answers
//! what the test's handler says, or nothing at all. Threads only, so it serves sync and async
//! tests alike; it stops when dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (as long as `Content-Length` says, at most 1 MiB).
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the double answers.
#[derive(Clone, Debug)]
pub enum Answer {
    /// This status, these extra headers and this body.
    Reply {
        /// HTTP status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// Reads the request and never answers (until the double stops).
    Silent,
}

impl Answer {
    /// 200 with `body` and no extra header.
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self::status(200, body)
    }

    /// `status` with `body`.
    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The same answer with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Self::Reply { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

/// The running double.
pub struct Double {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Double {
    /// Serves `handler` on 127.0.0.1, port 0.
    pub fn start(
        handler: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (s, st) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, s, st) = (handler.clone(), s.clone(), st.clone());
                std::thread::spawn(move || serve(conn, &*h, &s, &st));
            }
        });
        Ok(Self {
            url: format!("http://{addr}"),
            addr,
            seen,
            stop,
        })
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `host:port`, as `GCE_METADATA_HOST` takes it.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Double {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn serve(conn: TcpStream, handler: &Handler, seen: &Mutex<Vec<Request>>, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(read_half) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return;
    };
    let mut req = Request {
        method: method.into(),
        target: target.into(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    for _ in 0..200 {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            req.headers
                .push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = req
        .header("content-length")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    if len > 0 {
        req.body = vec![0; len.min(1 << 20)];
        if std::io::Read::read_exact(&mut reader, &mut req.body).is_err() {
            return;
        }
    }
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(req.clone());
    match handler(&req) {
        Answer::Silent => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Answer::Reply {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (n, v) in headers {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let mut conn = conn;
            let _ = conn.write_all(out.as_bytes());
            let _ = conn.write_all(&body);
        }
    }
}
