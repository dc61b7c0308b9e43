//! Serving a router on a TCP listener with bounded connections: every signet server
//! (`signet server`, `signet serve-release`) goes through [`serve`].
//!
//! * A client has [`Limits::header_timeout`] to send a whole request header, counted from when
//!   the server starts waiting for it: on a new connection, and again between requests on a
//!   kept-alive one (hyper's HTTP/1 header read timeout). A client that sends nothing, or half a
//!   header a byte at a time (slowloris), is disconnected when it runs out.
//! * A connection on which no byte is read or written for [`Limits::idle_timeout`] (a stalled
//!   request body, a client that stops reading its response) is closed.
//! * At most [`Limits::max_connections`] connections are open at once, and never more than the
//!   process's descriptor limit leaves room for (see [`connection_cap`]). At the cap the server
//!   stops accepting (new clients wait in the kernel's queue) until a connection ends; it never
//!   waits on one client.
//! * A request header longer than [`MAX_HEADER_BYTES`] gets a 431 and the connection is closed.
//! * An error from `accept` (for example `EMFILE`, out of descriptors) is logged and retried
//!   after a short pause, so the server neither spins nor stops.
//! * Every connection is `TCP_NODELAY`: a small write (an answer after TLS 1.3 session tickets)
//!   is not held back until the client acknowledges the previous one.
//! * With TLS ([`crate::tls::TlsFiles`]), the handshake must end within
//!   [`Limits::header_timeout`] too, and every answer carries `Strict-Transport-Security`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Limits on the connections of one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time a client has to send a request's whole header (new or kept-alive connection).
    pub header_timeout: Duration,
    /// A connection on which nothing is read or written for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once, at most (further clients wait to be accepted).
    pub max_connections: usize,
}

impl Default for Limits {
    /// 10 s to send a header, 60 s idle, 1024 connections.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// How long a graceful shutdown waits for requests in progress before closing anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Largest request header (request line and fields) read: a longer one is answered
/// `431 Request Header Fields Too Large` and the connection closed. Identity tokens, the
/// largest header signet's clients send, are a few KiB.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Pause after an `accept` error (such as `EMFILE`) before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Descriptors left for everything but client connections (stores, key files, outgoing
/// HTTP, the listener), when the descriptor limit caps the connections.
const FD_RESERVE: u64 = 64;

/// The number of connections to allow: `requested`, lowered (with a warning) to what the
/// process's soft descriptor limit leaves room for, `max(limit − 64, limit / 2)`, and at least 1.
pub fn connection_cap(requested: usize) -> usize {
    let requested = requested.max(1);
    match fd_room() {
        Some(room) if room < requested => {
            tracing::warn!(
                "--max-connections {requested} lowered to {room} to stay under the process's \
                 descriptor limit (raise it with `ulimit -n`)"
            );
            room
        }
        _ => requested,
    }
}

/// Connections the soft `RLIMIT_NOFILE` leaves room for (`None`: unlimited or unknown).
#[cfg(unix)]
fn fd_room() -> Option<usize> {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current?;
    let room = soft.saturating_sub(FD_RESERVE).max(soft / 2).max(1);
    Some(usize::try_from(room).unwrap_or(usize::MAX))
}

#[cfg(not(unix))]
fn fd_room() -> Option<usize> {
    None
}

/// Serves `app` on `listener` until `shutdown` completes, within `limits` (see the module
/// documentation), over TLS with `tls` if given, else plain HTTP. Every error answer is JSON
/// ([`crate::json_errors`]) and a panicking handler gets a JSON 500 ([`crate::catch_panics`]).
/// On shutdown it stops accepting, lets requests in progress finish (at most
/// [`SHUTDOWN_GRACE`]) and returns `Ok`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut app = crate::observe::layer(crate::catch_panics(crate::json_errors(app)));
    if tls.is_some() {
        app = app.layer(axum::middleware::map_response(hsts));
    }
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(connection_cap(limits.max_connections)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .keep_alive(true);
    let mut last_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                accept_error(e, &mut last_warning).await;
                continue;
            }
        };
        // Without Nagle's algorithm: over TLS 1.3 the server writes its session tickets and
        // then the answer in separate small writes, and the answer would otherwise wait for the
        // client's delayed ACK (40 ms on Linux) on every new connection.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {e}");
        }
        let (io, activity) = Watched::new(stream);
        let service = TowerToHyperService::new(with_peer(&app, peer));
        let idle = limits.idle_timeout;
        let watcher = graceful.watcher();
        let http = http.clone();
        let tls = tls.clone();
        let handshake_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let served = async {
                match tls {
                    None => {
                        let conn = http.serve_connection(TokioIo::new(io), service);
                        watcher.watch(conn).await
                    }
                    Some(acceptor) => {
                        let io = match tokio::time::timeout(handshake_timeout, acceptor.accept(io))
                            .await
                        {
                            Ok(Ok(io)) => io,
                            Ok(Err(e)) => {
                                tracing::debug!("TLS handshake: {e}");
                                return Ok(());
                            }
                            Err(_) => {
                                tracing::debug!("TLS handshake not done in {handshake_timeout:?}");
                                return Ok(());
                            }
                        };
                        let conn = http.serve_connection(TokioIo::new(io), service);
                        watcher.watch(conn).await
                    }
                }
            };
            tokio::select! {
                r = served => if let Err(e) = r {
                    tracing::debug!("connection: {e}");
                },
                () = activity.idle_for(idle) => {
                    tracing::debug!("closing a connection idle for {idle:?}");
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress after {SHUTDOWN_GRACE:?}; closing them");
    }
    Ok(())
}

/// Adds `Strict-Transport-Security` to an answer sent over TLS.
async fn hsts(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static(crate::tls::HSTS),
    );
    response
}

/// `app` with the connection's peer address in every request's extensions, as axum's
/// [`ConnectInfo`] (for per-client limits).
fn with_peer(
    app: &Router,
    peer: SocketAddr,
) -> impl tower::Service<
    axum::http::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    use tower::ServiceExt as _;
    app.clone()
        .map_request(move |mut r: axum::http::Request<hyper::body::Incoming>| {
            r.extensions_mut().insert(ConnectInfo(peer));
            r
        })
}

/// After a failed `accept`: errors of one incoming connection are ignored; others (out of
/// descriptors, out of memory) are logged at most every 10 s and waited out briefly.
async fn accept_error(e: io::Error, last_warning: &mut Option<Instant>) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    let now = Instant::now();
    if last_warning.is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(10)) {
        tracing::warn!("cannot accept connections: {e}; retrying every {ACCEPT_BACKOFF:?}");
        *last_warning = Some(now);
    }
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// When a connection last moved a byte.
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last byte read or written.
    last_ms: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Completes once no byte has moved for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self
                .start
                .checked_add(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)));
            let Some(deadline) = last.and_then(|l| l.checked_add(idle)) else {
                return std::future::pending().await;
            };
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A TCP stream that records its last activity.
struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
}

impl Watched {
    fn new(io: TcpStream) -> (Self, Arc<Activity>) {
        let activity = Arc::new(Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        });
        (
            Self {
                io,
                activity: activity.clone(),
            },
            activity,
        )
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        if buf.filled().len() != before {
            this.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_at_least_one() {
        assert!(connection_cap(0) >= 1);
        assert!(connection_cap(usize::MAX) < usize::MAX);
    }
}
