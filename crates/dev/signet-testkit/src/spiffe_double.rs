//! A loopback SPIFFE Workload API double: an HTTP/2 (h2) gRPC server on a unix socket serving
//! `SpiffeWorkloadAPI/FetchJWTSVID` the way a SPIRE agent does — calls without the
//! `workload.spiffe.io: true` metadata header are refused with `INVALID_ARGUMENT` (a
//! Trailers-Only answer), the request's `JWTSVIDRequest` is decoded (`audience = 1`,
//! `spiffe_id = 2`) and recorded, and the test's handler says what to answer. Its protobuf
//! coding is written here independently of the client's. It runs on its own thread and runtime
//! (so sync and async tests alike can use it) and stops when dropped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;

/// What the agent received.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SvidRequest {
    /// The `:path` (the gRPC method).
    pub path: String,
    /// The `workload.spiffe.io` header's value, if any.
    pub security_header: Option<String>,
    /// `JWTSVIDRequest.audience`.
    pub audience: Vec<String>,
    /// `JWTSVIDRequest.spiffe_id`.
    pub spiffe_id: String,
}

/// What the agent answers.
#[derive(Clone, Debug)]
pub enum SvidAnswer {
    /// `grpc-status: 0` with `JWTSVIDResponse{svids: [{spiffe_id, svid}, …]}`.
    Svids(Vec<(String, String)>),
    /// A Trailers-Only error answer: this `grpc-status` and `grpc-message`.
    Status(u32, String),
    /// `grpc-status: 0` with these bytes as the one (framed) message.
    Message(Vec<u8>),
    /// `grpc-status: 0` with this body, unframed.
    Body(Vec<u8>),
    /// Reads the request and never answers (until the double stops).
    Silent,
}

type Handler = dyn Fn(&SvidRequest) -> SvidAnswer + Send + Sync;

/// The running agent double.
pub struct WorkloadApi {
    /// The socket's path.
    pub socket: PathBuf,
    seen: Arc<Mutex<Vec<SvidRequest>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl WorkloadApi {
    /// Serves `handler` on a new unix socket at `socket` (calls without the security header
    /// never reach it).
    pub fn start(
        socket: &Path,
        handler: impl Fn(&SvidRequest) -> SvidAnswer + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = std::os::unix::net::UnixListener::bind(socket)?;
        listener.set_nonblocking(true)?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let s = seen.clone();
        std::thread::spawn(move || {
            rt.block_on(async move {
                let Ok(listener) = tokio::net::UnixListener::from_std(listener) else {
                    return;
                };
                let accept = async {
                    while let Ok((conn, _)) = listener.accept().await {
                        let (h, s) = (handler.clone(), s.clone());
                        tokio::spawn(serve_conn(conn, h, s));
                    }
                };
                tokio::select! {
                    () = accept => {}
                    _ = stopped => {}
                }
            });
        });
        Ok(Self {
            socket: socket.to_path_buf(),
            seen,
            stop: Some(stop),
        })
    }

    /// A SPIRE-like agent: it answers `svid` (for `spiffe_id`) when the request asks for
    /// exactly the audience `audience`, and `PERMISSION_DENIED` otherwise.
    pub fn serving(
        socket: &Path,
        audience: &str,
        spiffe_id: &str,
        svid: &str,
    ) -> std::io::Result<Self> {
        let (aud, id, svid) = (audience.to_owned(), spiffe_id.to_owned(), svid.to_owned());
        Self::start(socket, move |r| {
            if r.audience != [aud.clone()] || !r.spiffe_id.is_empty() {
                return SvidAnswer::Status(7, format!("no identity for audience {:?}", r.audience));
            }
            SvidAnswer::Svids(vec![(id.clone(), svid.clone())])
        })
    }

    /// The requests received so far (refused ones included).
    pub fn requests(&self) -> Vec<SvidRequest> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `unix://<socket>`, as `SPIFFE_ENDPOINT_SOCKET` takes it.
    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.socket.display())
    }
}

impl Drop for WorkloadApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve_conn(
    conn: tokio::net::UnixStream,
    handler: Arc<Handler>,
    seen: Arc<Mutex<Vec<SvidRequest>>>,
) {
    let Ok(mut h2) = h2::server::handshake(conn).await else {
        return;
    };
    while let Some(Ok((req, respond))) = h2.accept().await {
        tokio::spawn(serve_call(req, respond, handler.clone(), seen.clone()));
    }
}

async fn serve_call(
    req: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    handler: Arc<Handler>,
    seen: Arc<Mutex<Vec<SvidRequest>>>,
) {
    let (head, mut body) = req.into_parts();
    let mut buf = Vec::new();
    while let Some(Ok(chunk)) = body.data().await {
        let _ = body.flow_control().release_capacity(chunk.len());
        buf.extend_from_slice(&chunk);
        if buf.len() > 1 << 20 {
            return;
        }
    }
    let mut r = SvidRequest {
        path: head.uri.path().to_owned(),
        security_header: head
            .headers
            .get("workload.spiffe.io")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..SvidRequest::default()
    };
    let decoded = buf
        .get(5..)
        .filter(|_| buf.first() == Some(&0))
        .and_then(|m| decode_request(m, &mut r));
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(r.clone());
    let answer = if r.security_header.as_deref() != Some("true") {
        // SPIRE's refusal.
        SvidAnswer::Status(3, "security header missing from request".into())
    } else if r.path != "/SpiffeWorkloadAPI/FetchJWTSVID" {
        SvidAnswer::Status(12, format!("unknown method {}", r.path))
    } else if decoded.is_none() {
        SvidAnswer::Status(13, "grpc: error unmarshalling request".into())
    } else {
        handler(&r)
    };
    let grpc_head = |trailers_only: bool, status: u32, msg: &str| {
        let mut b = http::Response::builder()
            .status(200)
            .header("content-type", "application/grpc");
        if trailers_only {
            b = b
                .header("grpc-status", status.to_string())
                .header("grpc-message", msg.replace('%', "%25").replace('\n', "%0A"));
        }
        b.body(())
    };
    let body = match answer {
        SvidAnswer::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        SvidAnswer::Status(code, msg) => {
            if let Ok(h) = grpc_head(true, code, &msg) {
                let _ = respond.send_response(h, true);
            }
            return;
        }
        SvidAnswer::Svids(svids) => {
            let mut msg = Vec::new();
            for (id, svid) in svids {
                let mut inner = Vec::new();
                put_bytes(&mut inner, 1, id.as_bytes());
                put_bytes(&mut inner, 2, svid.as_bytes());
                put_bytes(&mut msg, 1, &inner);
            }
            framed(&msg)
        }
        SvidAnswer::Message(m) => framed(&m),
        SvidAnswer::Body(b) => b,
    };
    let Ok(h) = grpc_head(false, 0, "") else {
        return;
    };
    let Ok(mut send) = respond.send_response(h, false) else {
        return;
    };
    let _ = send.send_data(Bytes::from(body), false);
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let _ = send.send_trailers(trailers);
}

fn framed(msg: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    out.extend_from_slice(&u32::try_from(msg.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

/// Appends field `n` (length-delimited) with `v`.
fn put_bytes(out: &mut Vec<u8>, n: u8, v: &[u8]) {
    out.push(n << 3 | 2);
    let mut len = v.len();
    loop {
        let low = u8::try_from(len & 0x7f).unwrap_or(0);
        len >>= 7;
        if len == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    out.extend_from_slice(v);
}

/// Decodes `JWTSVIDRequest` (only length-delimited fields 1 and 2, as a client sends them).
fn decode_request(mut m: &[u8], r: &mut SvidRequest) -> Option<()> {
    while let Some((&key, rest)) = m.split_first() {
        let mut len = 0usize;
        let mut shift = 0;
        let mut rest = rest;
        loop {
            let (&b, more) = rest.split_first()?;
            rest = more;
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
            if shift > 28 {
                return None;
            }
        }
        let (v, more) = rest.split_at_checked(len)?;
        let v = String::from_utf8(v.to_vec()).ok()?;
        match key {
            0x0a => r.audience.push(v),
            0x12 => r.spiffe_id = v,
            _ => return None,
        }
        m = more;
    }
    Some(())
}
