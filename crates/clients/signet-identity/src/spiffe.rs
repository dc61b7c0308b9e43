//! SPIFFE: a JWT-SVID from the SPIFFE Workload API (a SPIRE agent), as cosign's `spiffe`
//! provider fetches it: the unary gRPC call `SpiffeWorkloadAPI/FetchJWTSVID` over HTTP/2 on a
//! unix socket, with the metadata header `workload.spiffe.io: true` the API requires.
//!
//! The two messages (`workload.proto` of go-spiffe / spire-api-sdk) are encoded here by hand,
//! field by field, rather than with a protobuf code generator: the request is one repeated
//! string (`JWTSVIDRequest.audience = 1`; `spiffe_id = 2` left empty, i.e. every SVID the
//! workload is entitled to) and the answer three strings in a repeated message
//! (`JWTSVIDResponse.svids = 1`, `JWTSVID{spiffe_id = 1, svid = 2, hint = 3}`); other fields
//! are skipped by wire type, as protobuf requires. gRPC framing is the 5-byte prefix (flag 0,
//! big-endian length); `grpc-status` (in the trailers, or in the headers of a Trailers-Only
//! answer) must be 0.

use bytes::Bytes;
use std::path::{Path, PathBuf};

use crate::{Env, Settings};

/// cosign's socket when `SPIFFE_ENDPOINT_SOCKET` is unset (a SPIRE agent's default).
pub const DEFAULT_SPIFFE_SOCKET: &str = "/tmp/spire-agent/public/api.sock";

/// The variable naming the Workload API endpoint (SPIFFE Workload Endpoint specification).
pub const SPIFFE_ENDPOINT_SOCKET: &str = "SPIFFE_ENDPOINT_SOCKET";

/// The gRPC method.
pub const FETCH_JWT_SVID_PATH: &str = "/SpiffeWorkloadAPI/FetchJWTSVID";

/// The metadata header every Workload API call carries (the agent refuses calls without it).
pub const SECURITY_HEADER: &str = "workload.spiffe.io";

/// Largest gRPC message accepted from the agent.
const MAX_MESSAGE: usize = 64 * 1024;

/// Longest `grpc-message` quoted in an error.
const MAX_QUOTED: usize = 200;

/// The Workload API's socket: `SPIFFE_ENDPOINT_SOCKET` as the specification writes it
/// (`unix:///path`, also `unix:/path`) or as cosign reads it (a plain path), else
/// [`DEFAULT_SPIFFE_SOCKET`]. A `tcp://` endpoint is refused (only unix sockets are supported).
pub(crate) fn socket_path(env: &Env) -> Result<PathBuf, String> {
    let Some(v) = env.nonempty(SPIFFE_ENDPOINT_SOCKET) else {
        return Ok(PathBuf::from(DEFAULT_SPIFFE_SOCKET));
    };
    let path = match v.split_once(':') {
        Some(("unix", rest)) => {
            let p = rest.strip_prefix("//").unwrap_or(rest);
            if !p.starts_with('/') || p.contains(['?', '#']) {
                return Err(format!(
                    "{SPIFFE_ENDPOINT_SOCKET} {v:?} is not unix:///ABSOLUTE/PATH"
                ));
            }
            p
        }
        Some((scheme, _)) if !v.starts_with('/') => {
            return Err(format!(
                "{SPIFFE_ENDPOINT_SOCKET} {v:?}: only unix sockets are supported, not {scheme:?}"
            ));
        }
        _ => v,
    };
    Ok(PathBuf::from(path))
}

/// Whether the socket exists (cosign's test; nothing is dialled).
pub(crate) fn enabled(env: &Env) -> bool {
    socket_path(env).is_ok_and(|p| std::fs::metadata(p).is_ok())
}

/// The first JWT-SVID the agent returns for the settings' audience (its `sub` checked against
/// the SPIFFE ID the agent names), within the settings' total timeout.
pub(crate) async fn fetch(env: &Env, settings: &Settings) -> Result<String, String> {
    let path = socket_path(env)?;
    let limit = settings.http.timeout;
    let svid = tokio::time::timeout(limit, call(&path, &settings.audience))
        .await
        .map_err(|_| {
            format!(
                "the Workload API at {} did not answer in time ({} s)",
                path.display(),
                limit.as_secs_f64()
            )
        })??;
    Ok(svid)
}

/// Aborts the HTTP/2 connection task when the call ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn call(path: &Path, audience: &str) -> Result<String, String> {
    let at = path.display();
    let io = tokio::net::UnixStream::connect(path)
        .await
        .map_err(|e| format!("cannot connect to the Workload API socket {at}: {e}"))?;
    let h2err = |e: h2::Error| format!("the Workload API at {at}: HTTP/2: {e}");
    let (client, conn) = h2::client::Builder::new()
        .max_header_list_size(16 * 1024)
        .handshake::<_, Bytes>(io)
        .await
        .map_err(h2err)?;
    let _conn = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let mut client = client.ready().await.map_err(h2err)?;
    let req = http::Request::post(format!("http://localhost{FETCH_JWT_SVID_PATH}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header(SECURITY_HEADER, "true")
        .header("user-agent", "signet")
        .body(())
        .map_err(|e| e.to_string())?;
    let (answer, mut send) = client.send_request(req, false).map_err(h2err)?;
    send.send_data(Bytes::from(grpc_frame(&encode_request(audience))), true)
        .map_err(h2err)?;
    let resp = answer.await.map_err(h2err)?;
    let (head, mut body) = resp.into_parts();
    if head.status != http::StatusCode::OK {
        return Err(format!(
            "the Workload API at {at} answered HTTP {}",
            head.status
        ));
    }
    // Trailers-Only: the status in the headers, no message.
    if head.headers.contains_key("grpc-status") {
        check_status(&head.headers)?;
        return Err("the Workload API returned no message".into());
    }
    let ctype = head
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ctype.starts_with("application/grpc") {
        return Err(format!(
            "the Workload API at {at} answered content-type {ctype:?}, not application/grpc"
        ));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(h2err)?;
        let _ = body.flow_control().release_capacity(chunk.len());
        if buf.len().saturating_add(chunk.len()) > MAX_MESSAGE.saturating_add(5) {
            return Err(format!(
                "the Workload API's answer is larger than the limit ({MAX_MESSAGE} bytes)"
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    let trailers = body
        .trailers()
        .await
        .map_err(h2err)?
        .ok_or("the Workload API's answer has no grpc-status trailer")?;
    check_status(&trailers)?;
    let message = grpc_unframe(&buf)?;
    let svids = decode_response(message)?;
    let first = svids
        .into_iter()
        .next()
        .ok_or("the Workload API returned no JWT-SVID for this workload")?;
    if first.svid.is_empty() {
        return Err("the Workload API returned an empty JWT-SVID".into());
    }
    let claims = signet_types::jwt::unverified_claims(&first.svid)
        .map_err(|e| format!("the JWT-SVID is not a JWT: {e}"))?;
    let sub = claims.get("sub").and_then(serde_json::Value::as_str);
    if sub != Some(first.spiffe_id.as_str()) {
        return Err(format!(
            "the JWT-SVID's subject {sub:?} is not the SPIFFE ID {:?} the agent named",
            first.spiffe_id
        ));
    }
    Ok(first.svid)
}

/// Requires `grpc-status: 0`; otherwise says which status and the (percent-decoded, one-line,
/// shortened) `grpc-message`.
fn check_status(headers: &http::HeaderMap) -> Result<(), String> {
    let status = headers
        .get("grpc-status")
        .ok_or("the Workload API's answer has no grpc-status")?
        .to_str()
        .map_err(|_| "the Workload API's grpc-status is not text")?;
    if status == "0" {
        return Ok(());
    }
    let message = headers
        .get("grpc-message")
        .map(|m| quoted_message(m.as_bytes()))
        .unwrap_or_default();
    let name = status
        .parse::<usize>()
        .ok()
        .and_then(|n| GRPC_CODES.get(n))
        .copied()
        .unwrap_or("unknown code");
    Err(format!(
        "the Workload API refused the call: grpc-status {status} ({name}){}",
        if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        }
    ))
}

const GRPC_CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// A `grpc-message` (percent-encoded UTF-8) as one short line.
fn quoted_message(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    let text = String::from_utf8_lossy(&out);
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_QUOTED)
        .collect();
    line.trim().to_owned()
}

/// One gRPC message: flag 0 (not compressed), its length (4 bytes, big-endian), the bytes.
fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let len = u32::try_from(message.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(message.len() + 5);
    out.push(0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// The one message of a unary answer.
fn grpc_unframe(body: &[u8]) -> Result<&[u8], String> {
    let Some((&flag, rest)) = body.split_first() else {
        return Err("the Workload API's answer has no message".into());
    };
    let (len, message) = rest
        .split_first_chunk::<4>()
        .ok_or("the Workload API's answer is a truncated gRPC frame")?;
    if flag != 0 {
        return Err(format!(
            "the Workload API's message has compression flag {flag} (no compression was offered)"
        ));
    }
    let len = usize::try_from(u32::from_be_bytes(*len)).unwrap_or(usize::MAX);
    match message.len().cmp(&len) {
        std::cmp::Ordering::Equal => Ok(message),
        std::cmp::Ordering::Less => Err(format!(
            "the Workload API's answer is a truncated gRPC frame ({} of {len} bytes)",
            message.len()
        )),
        std::cmp::Ordering::Greater => {
            Err("the Workload API's answer has more than one gRPC message".into())
        }
    }
}

/// `JWTSVIDRequest{audience: [audience]}`.
fn encode_request(audience: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(audience.len() + 6);
    out.push(0x0a); // field 1, wire type 2 (length-delimited)
    put_varint(&mut out, u64::try_from(audience.len()).unwrap_or(u64::MAX));
    out.extend_from_slice(audience.as_bytes());
    out
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// One `JWTSVID` of an answer.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct JwtSvid {
    pub(crate) spiffe_id: String,
    pub(crate) svid: String,
    pub(crate) hint: String,
}

/// A protobuf field's value.
enum Value<'a> {
    Varint,
    Fixed,
    Bytes(&'a [u8]),
}

fn bad(why: impl std::fmt::Display) -> String {
    format!("the Workload API's answer is not a JWTSVIDResponse: {why}")
}

fn varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first().ok_or_else(|| bad("truncated varint"))?;
        *buf = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(bad("varint longer than 10 bytes"))
}

/// The next field of a message: its number and value (`None` at the end).
fn field<'a>(buf: &mut &'a [u8]) -> Result<Option<(u64, Value<'a>)>, String> {
    if buf.is_empty() {
        return Ok(None);
    }
    let key = varint(buf)?;
    let number = key >> 3;
    if number == 0 {
        return Err(bad("field number 0"));
    }
    let take = |buf: &mut &'a [u8], n: usize| -> Result<&'a [u8], String> {
        let (v, rest) = buf
            .split_at_checked(n)
            .ok_or_else(|| bad(format!("field {number} runs past the end")))?;
        *buf = rest;
        Ok(v)
    };
    let value = match key & 7 {
        0 => {
            varint(buf)?;
            Value::Varint
        }
        1 => {
            take(buf, 8)?;
            Value::Fixed
        }
        2 => {
            let n = usize::try_from(varint(buf)?).unwrap_or(usize::MAX);
            Value::Bytes(take(buf, n)?)
        }
        5 => {
            take(buf, 4)?;
            Value::Fixed
        }
        w => return Err(bad(format!("field {number} has wire type {w}"))),
    };
    Ok(Some((number, value)))
}

fn string(number: u64, v: Value<'_>) -> Result<String, String> {
    match v {
        Value::Bytes(b) => std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| bad(format!("field {number} is not UTF-8"))),
        _ => Err(bad(format!("field {number} is not a string"))),
    }
}

/// `JWTSVIDResponse.svids`, in order.
pub(crate) fn decode_response(mut buf: &[u8]) -> Result<Vec<JwtSvid>, String> {
    let mut svids = Vec::new();
    while let Some((number, value)) = field(&mut buf)? {
        if number != 1 {
            continue;
        }
        let Value::Bytes(mut inner) = value else {
            return Err(bad("svids is not a message"));
        };
        let mut svid = JwtSvid::default();
        while let Some((n, v)) = field(&mut inner)? {
            match n {
                1 => svid.spiffe_id = string(n, v)?,
                2 => svid.svid = string(n, v)?,
                3 => svid.hint = string(n, v)?,
                _ => {}
            }
        }
        svids.push(svid);
    }
    Ok(svids)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn request_and_frame_bytes() {
        // JWTSVIDRequest{audience: ["sigstore"]}: key 0x0a, length 8, the bytes.
        assert_eq!(encode_request("sigstore"), b"\x0a\x08sigstore");
        let long = "a".repeat(300);
        let enc = encode_request(&long);
        assert_eq!(&enc[..3], &[0x0a, 0xac, 0x02]);
        assert_eq!(grpc_frame(b"xy"), b"\x00\x00\x00\x00\x02xy");
        assert_eq!(grpc_unframe(b"\x00\x00\x00\x00\x02xy").unwrap(), b"xy");
        for (body, needle) in [
            (&b""[..], "no message"),
            (b"\x00\x00\x00", "truncated"),
            (b"\x00\x00\x00\x00\x05xy", "truncated gRPC frame (2 of 5"),
            (b"\x00\x00\x00\x00\x01xy", "more than one"),
            (b"\x01\x00\x00\x00\x02xy", "compression flag 1"),
        ] {
            let e = grpc_unframe(body).unwrap_err();
            assert!(e.contains(needle), "{needle:?} in {e}");
        }
    }

    #[test]
    fn response_decoding_skips_unknown_fields_and_refuses_garbage() {
        // svids[0] = {spiffe_id "spiffe://td/w", svid "a.b.c", hint "h", field 9 varint 150},
        // then an unknown fixed32 field 4 and fixed64 field 5 at the top level.
        let mut inner = vec![0x0a, 13];
        inner.extend_from_slice(b"spiffe://td/w");
        inner.extend_from_slice(b"\x12\x05a.b.c\x1a\x01h\x48\x96\x01");
        let mut msg = vec![0x0a, u8::try_from(inner.len()).unwrap()];
        msg.extend_from_slice(&inner);
        msg.extend_from_slice(b"\x25\x01\x02\x03\x04\x29\x01\x02\x03\x04\x05\x06\x07\x08");
        msg.extend_from_slice(b"\x0a\x00");
        let svids = decode_response(&msg).unwrap();
        assert_eq!(
            svids,
            [
                JwtSvid {
                    spiffe_id: "spiffe://td/w".into(),
                    svid: "a.b.c".into(),
                    hint: "h".into()
                },
                JwtSvid::default()
            ]
        );
        assert!(decode_response(b"").unwrap().is_empty());
        for (bytes, needle) in [
            (&b"\x0a\x05abc"[..], "runs past the end"),
            (b"\x0a", "truncated varint"),
            (b"\x0b\x00", "wire type 3"),
            (b"\x08\x01", "not a message"),
            (b"\x02\x00", "field number 0"),
            (b"\x0a\x03\x12\x01\xff", "not UTF-8"),
            (b"\x0a\x02\x10\x01", "not a string"),
            (
                &[
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                ],
                "longer than 10",
            ),
        ] {
            let e = decode_response(bytes).unwrap_err();
            assert!(e.contains(needle), "{needle:?} in {e}");
            assert!(e.contains("not a JWTSVIDResponse"), "{e}");
        }
    }

    /// Against Google's protobuf runtime (testdata/spiffe-workload, see its PROVENANCE.md).
    #[test]
    fn golden_messages_from_the_protobuf_runtime() {
        let req = include_bytes!("../../../../testdata/spiffe-workload/request-sigstore.bin");
        assert_eq!(encode_request("sigstore"), req);
        let resp = include_bytes!("../../../../testdata/spiffe-workload/response-two-svids.bin");
        let svids = decode_response(resp).unwrap();
        assert_eq!(svids.len(), 2);
        let first = svids.first().unwrap();
        assert_eq!(first.spiffe_id, "spiffe://example.org/ns/prod/sa/signer");
        assert_eq!(first.svid.len(), 286);
        assert!(first.svid.starts_with("eyJhbGciOiJFUzI1NiJ9.eyJzdWIi"));
        assert_eq!(first.hint, "external");
        assert_eq!(
            svids.get(1).unwrap(),
            &JwtSvid {
                spiffe_id: "spiffe://example.org/other".into(),
                svid: "x.y.z".into(),
                hint: String::new()
            }
        );
    }

    #[test]
    fn socket_path_forms() {
        let at = |v: Option<&str>| {
            let e = Env::from_vars(v.map(|v| (SPIFFE_ENDPOINT_SOCKET, v)));
            socket_path(&e)
        };
        assert_eq!(at(None).unwrap(), PathBuf::from(DEFAULT_SPIFFE_SOCKET));
        assert_eq!(at(Some("")).unwrap(), PathBuf::from(DEFAULT_SPIFFE_SOCKET));
        for v in [
            "unix:///run/spire/api.sock",
            "unix:/run/spire/api.sock",
            "/run/spire/api.sock",
        ] {
            assert_eq!(
                at(Some(v)).unwrap(),
                PathBuf::from("/run/spire/api.sock"),
                "{v}"
            );
        }
        assert!(
            at(Some("tcp://127.0.0.1:8000"))
                .unwrap_err()
                .contains("only unix sockets")
        );
        assert!(
            at(Some("unix://relative/x"))
                .unwrap_err()
                .contains("unix:///ABSOLUTE/PATH")
        );
        assert!(
            at(Some("unix:///x?y"))
                .unwrap_err()
                .contains("unix:///ABSOLUTE/PATH")
        );
    }

    #[test]
    fn grpc_status_and_message() {
        let mut h = http::HeaderMap::new();
        assert!(check_status(&h).unwrap_err().contains("no grpc-status"));
        h.insert("grpc-status", http::HeaderValue::from_static("0"));
        check_status(&h).unwrap();
        h.insert("grpc-status", http::HeaderValue::from_static("3"));
        h.insert(
            "grpc-message",
            http::HeaderValue::from_static("security header%0Amissing %E2%9C%93 %zz"),
        );
        let e = check_status(&h).unwrap_err();
        assert_eq!(
            e,
            "the Workload API refused the call: grpc-status 3 (INVALID_ARGUMENT): security header missing \u{2713} %zz"
        );
        assert_eq!(quoted_message(&[b'x'; 500]).len(), MAX_QUOTED);
    }
}
