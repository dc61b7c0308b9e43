//! A loopback HTTP/1.1 server that misbehaves on purpose, for the client limit tests: per path
//! it answers normally, streams a body far larger than any client limit, or accepts the
//! request and never answers. It counts the body bytes it managed to send, so a test can tell
//! that a client stopped reading early.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does for one path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with this body (and its `Content-Length`).
    Body(Vec<u8>),
    /// 200, chunked, spaces (a valid JSON prefix) until `stop_after` bytes or until the client
    /// goes away; then the body ends normally. Make `stop_after` well above the client's limit.
    Endless {
        /// Body bytes after which the body ends.
        stop_after: u64,
    },
    /// 200 with a `Content-Length` of this many bytes, and then just the first few of them.
    Claims(u64),
    /// Reads the request, then never answers (the connection stays open).
    Silent,
    /// 302 to this location.
    Redirect(String),
}

/// The running server; stops when dropped.
pub struct HostileServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    sent: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl HostileServer {
    /// Serves `routes` (by exact path; anything else is a 404) on 127.0.0.1, port 0. Must be
    /// called inside a tokio runtime.
    pub async fn start(routes: Vec<(&str, Reply)>) -> std::io::Result<Self> {
        let routes: Arc<HashMap<String, Reply>> = Arc::new(
            routes
                .into_iter()
                .map(|(p, r)| (p.to_string(), r))
                .collect(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((sock, _)) = listener.accept().await {
                conns.spawn(serve(sock, routes.clone(), counter.clone()));
            }
        });
        Ok(Self { url, sent, task })
    }

    /// Body bytes written so far (accepted by the kernel), over all connections.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut sock: TcpStream, routes: Arc<HashMap<String, Reply>>, sent: Arc<AtomicU64>) {
    let Some(path) = read_request(&mut sock).await else {
        return;
    };
    let _ = match routes.get(&path) {
        None => {
            sock.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await
        }
        Some(Reply::Body(b)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            );
            match sock.write_all(head.as_bytes()).await {
                Ok(()) => sock.write_all(b).await,
                Err(e) => Err(e),
            }
        }
        Some(Reply::Claims(n)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n   "
            );
            let r = sock.write_all(head.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            r
        }
        Some(Reply::Endless { stop_after }) => endless(&mut sock, *stop_after, &sent).await,
        Some(Reply::Redirect(to)) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            sock.write_all(head.as_bytes()).await
        }
        Some(Reply::Silent) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        }
    };
    let _ = sock.shutdown().await;
}

/// The path of one request (its headers read to the blank line), or `None`.
async fn read_request(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(chunk.get(..n)?);
    }
    let line = buf.split(|b| *b == b'\r').next()?;
    let target = std::str::from_utf8(line).ok()?.split(' ').nth(1)?;
    Some(target.split('?').next()?.to_string())
}

async fn endless(sock: &mut TcpStream, stop_after: u64, sent: &AtomicU64) -> std::io::Result<()> {
    const CHUNK: usize = 64 * 1024;
    sock.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )
    .await?;
    let mut frame = format!("{CHUNK:x}\r\n").into_bytes();
    frame.extend(std::iter::repeat_n(b' ', CHUNK));
    frame.extend_from_slice(b"\r\n");
    let mut done = 0u64;
    while done < stop_after {
        sock.write_all(&frame).await?;
        done += CHUNK as u64;
        sent.fetch_add(CHUNK as u64, Ordering::SeqCst);
    }
    sock.write_all(b"0\r\n\r\n").await
}
