//! HTTP layer for the certificate authority (Fulcio v2 API and the legacy root endpoint), the
//! CT log (RFC 6962 `ct/v1`) and the development OIDC issuer. Handlers parse, call the
//! libraries and map errors to Fulcio's / RFC 6962's shapes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use signet_ca::fulcio::{self, Authenticated, Authenticator, CtSubmitter, FulcioError, msg};
use signet_ca::{CaChain, ExtValue, Identity, LeafSan};
use signet_ct::{AddChainResponse as _, CtLog};
use signet_types::{Sha256Hash, b64};

use crate::MAX_BODY;

/// OIDC verification as Fulcio does it, through `signet-oidc`.
pub struct OidcAuthenticator(pub signet_oidc::Verifier);

/// Fulcio's 400 for a refused token, in Fulcio's shape. The message is Fulcio's, followed by why
/// when the reason lies in the token (expired, wrong audience, a claim the issuer's type needs is
/// missing, …), so the user can fix it; problems of the server's own configuration or its reach
/// to the issuer stay in the server log.
fn token_refused(e: signet_oidc::OidcError) -> FulcioError {
    use signet_oidc::OidcError as E;
    metrics::counter!(crate::observe::TOKEN_FAILURES, "reason" => token_failure_reason(&e))
        .increment(1);
    match e {
        E::Config(_) | E::Discovery(_) => FulcioError::invalid(msg::TOKEN, e.to_string()),
        _ => FulcioError::invalid(&format!("{}: {e}", msg::TOKEN), e.to_string()),
    }
}

/// The `reason` label of a refused token: one word per kind of failure.
fn token_failure_reason(e: &signet_oidc::OidcError) -> &'static str {
    use signet_oidc::OidcError as E;
    match e {
        E::Malformed(_) => "malformed",
        E::UnknownIssuer(_) => "unknown_issuer",
        E::UnsupportedAlgorithm(_) => "unsupported_algorithm",
        E::UnknownKey => "unknown_key",
        E::BadSignature => "bad_signature",
        E::WrongAudience => "wrong_audience",
        E::Expired => "expired",
        E::NotYetValid => "not_yet_valid",
        E::WrongIssuer => "wrong_issuer",
        E::MissingClaim(_) => "missing_claim",
        E::EmailNotVerified => "email_not_verified",
        E::InvalidIdentity(_) => "invalid_identity",
        E::Config(_) => "config",
        E::Discovery(_) => "discovery",
        _ => "other",
    }
}

impl Authenticator for OidcAuthenticator {
    async fn authenticate(&self, token: &str) -> Result<Authenticated, FulcioError> {
        let (_, p) = self.0.authenticate(token).await.map_err(token_refused)?;
        let san = match p.san() {
            signet_oidc::San::Email(e) => LeafSan::Email(e.clone()),
            signet_oidc::San::Uri(u) => LeafSan::Uri(u.clone()),
            signet_oidc::San::OtherName(o) => LeafSan::OtherName(o.clone()),
        };
        let extensions = p
            .extensions()
            .iter()
            .map(|(oid, v)| {
                let v = match v {
                    signet_oidc::ExtValue::Raw(s) => ExtValue::Raw(s.clone()),
                    signet_oidc::ExtValue::Utf8(s) => ExtValue::Utf8(s.clone()),
                };
                (oid.clone(), v)
            })
            .collect();
        Ok(Authenticated {
            challenge: p.name().to_string(),
            identity: Identity { san, extensions },
        })
    }
}

/// The CT log running in this process, as the CA's [`CtSubmitter`]: SCTs are obtained
/// in-process, for precertificates of our own CA.
#[derive(Clone)]
pub struct InProcessCt(pub Arc<CtLog>);

impl CtSubmitter for InProcessCt {
    async fn add_pre_chain(&self, chain: Vec<Vec<u8>>) -> Result<Vec<u8>, FulcioError> {
        // Our own CA in this process: its chain needs no re-validation.
        let (Some(pre), Some(issuer)) = (chain.first(), chain.get(1)) else {
            return Err(FulcioError::internal(msg::CTL, "empty chain"));
        };
        let issuer = signet_x509::Certificate::from_der(issuer)
            .map_err(|e| FulcioError::internal(msg::CTL, e.to_string()))?;
        let sct = self
            .0
            .add_own_precert(pre, issuer.spki_der())
            .await
            .map_err(|e| FulcioError::internal(msg::CTL, e.to_string()))?;
        signet_ct::sct::sct_list_extension(&[sct])
            .map_err(|e| FulcioError::internal(msg::CTL, e.to_string()))
    }
}

/// Everything the CA endpoints need.
pub struct CaService<A: Authenticator> {
    /// The CA chain and signer.
    pub ca: CaChain,
    /// Our CT log (SCTs are obtained in-process).
    pub ct: InProcessCt,
    /// Token verification.
    pub auth: A,
    /// The `GET /api/v2/configuration` body.
    pub configuration: serde_json::Value,
}

struct FulcioResponse(FulcioError);

impl IntoResponse for FulcioResponse {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!("signingCert: {}: {}", self.0.message, self.0.detail);
        } else {
            tracing::info!("signingCert refused: {}: {}", self.0.message, self.0.detail);
        }
        (status, Json(self.0.to_json())).into_response()
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
}

async fn signing_cert<A: Authenticator + 'static>(
    State(svc): State<Arc<CaService<A>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let req = fulcio::parse_request(&body, bearer(&headers))?;
        fulcio::create_signing_certificate(
            &svc.ca,
            &svc.auth,
            &svc.ct,
            &req,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .map(|chain| (chain, req.token))
    }
    .await;
    match result {
        Ok((chain, token)) => {
            // The token verified, so its issuer is one of the configured ones.
            let issuer = signet_oidc::unverified_issuer(&token).unwrap_or_default();
            metrics::counter!(crate::observe::CERTIFICATES, "issuer" => issuer).increment(1);
            Json(fulcio::signing_certificate_json(&chain)).into_response()
        }
        Err(e) => FulcioResponse(e).into_response(),
    }
}

async fn trust_bundle<A: Authenticator + 'static>(
    State(svc): State<Arc<CaService<A>>>,
) -> Response {
    Json(fulcio::trust_bundle_json(&svc.ca)).into_response()
}

async fn configuration<A: Authenticator + 'static>(
    State(svc): State<Arc<CaService<A>>>,
) -> Response {
    Json(svc.configuration.clone()).into_response()
}

async fn root_cert<A: Authenticator + 'static>(State(svc): State<Arc<CaService<A>>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        svc.ca.chain_pem().concat(),
    )
        .into_response()
}

/// The Fulcio router: `/api/v2/signingCert`, `/api/v2/trustBundle`, `/api/v2/configuration`,
/// legacy `/api/v1/rootCert`.
pub fn fulcio_router<A: Authenticator + 'static>(svc: Arc<CaService<A>>) -> Router {
    let router = Router::new()
        .route("/api/v2/signingCert", post(signing_cert::<A>))
        .route("/api/v2/trustBundle", get(trust_bundle::<A>))
        .route("/api/v2/configuration", get(configuration::<A>))
        .route("/api/v1/rootCert", get(root_cert::<A>))
        .layer(DefaultBodyLimit::max(fulcio::MAX_REQUEST_BYTES))
        .with_state(svc);
    crate::text_errors_as(router, fulcio_rejection)
}

/// An axum rejection on a CA route (a body over the limit, 413; a bad query) in Fulcio's
/// error shape, with its HTTP status kept: gRPC code 3 (invalid argument) and Fulcio's message
/// for an unusable body followed by why.
fn fulcio_rejection(status: StatusCode, text: String) -> Response {
    let e = if status.is_server_error() {
        FulcioError::internal("internal error", text)
    } else {
        FulcioError::invalid(&format!("{}: {text}", msg::BODY), text)
    };
    (status, Json(e.to_json())).into_response()
}

fn ct_error(e: signet_ct::CtError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!("ct: {e}");
    }
    (status, e.to_string()).into_response()
}

fn ct_bad(m: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, m.into()).into_response()
}

#[derive(Deserialize)]
struct AddChain {
    chain: Vec<String>,
}

async fn add_pre_chain(State(ct): State<Arc<CtLog>>, body: Bytes) -> Response {
    let req: AddChain = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return ct_bad(format!("invalid add-pre-chain body: {e}")),
    };
    if req.chain.len() > signet_ct::MAX_CHAIN {
        return ct_bad("chain too long");
    }
    let mut chain = Vec::with_capacity(req.chain.len());
    for c in &req.chain {
        match b64::decode(c) {
            Ok(d) => chain.push(d),
            Err(e) => return ct_bad(format!("chain entry is not base64: {e}")),
        }
    }
    match ct.add_pre_chain(&chain).await {
        Ok(sct) => match sct.to_add_chain_response() {
            Ok(j) => Json(j).into_response(),
            Err(e) => ct_error(e.into()),
        },
        Err(e) => ct_error(e),
    }
}

async fn get_sth(State(ct): State<Arc<CtLog>>) -> Response {
    match ct.signed_tree_head() {
        Ok(sth) => Json(sth).into_response(),
        Err(e) => ct_error(e),
    }
}

async fn get_roots(State(ct): State<Arc<CtLog>>) -> Response {
    let certs: Vec<String> = ct.roots().iter().map(|c| b64::encode(c.der())).collect();
    Json(serde_json::json!({ "certificates": certs })).into_response()
}

#[derive(Deserialize)]
struct ProofByHash {
    hash: Option<String>,
    tree_size: Option<u64>,
}

async fn get_proof_by_hash(State(ct): State<Arc<CtLog>>, Query(q): Query<ProofByHash>) -> Response {
    let (Some(h), Some(size)) = (q.hash, q.tree_size) else {
        return ct_bad("hash and tree_size are required");
    };
    let Ok(hash) = b64::decode(&h)
        .map_err(|_| ())
        .and_then(|b| Sha256Hash::from_slice(&b).map_err(|_| ()))
    else {
        return ct_bad("hash must be a base64 SHA-256 leaf hash");
    };
    match ct.proof_by_hash(&hash, size).await {
        Ok((index, path)) => Json(serde_json::json!({
            "leaf_index": index,
            "audit_path": path.iter().map(|h| b64::encode(h.as_bytes())).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => ct_error(e),
    }
}

#[derive(Deserialize)]
struct Consistency {
    first: Option<u64>,
    second: Option<u64>,
}

async fn get_sth_consistency(
    State(ct): State<Arc<CtLog>>,
    Query(q): Query<Consistency>,
) -> Response {
    let (Some(first), Some(second)) = (q.first, q.second) else {
        return ct_bad("first and second are required");
    };
    match ct.consistency(first, second).await {
        Ok(c) => Json(serde_json::json!({ "consistency": c })).into_response(),
        Err(e) => ct_error(e),
    }
}

#[derive(Deserialize)]
struct Entries {
    start: Option<u64>,
    end: Option<u64>,
}

async fn get_entries(State(ct): State<Arc<CtLog>>, Query(q): Query<Entries>) -> Response {
    let (Some(start), Some(end)) = (q.start, q.end) else {
        return ct_bad("start and end are required");
    };
    match ct.entries(start, end).await {
        Ok(es) => Json(serde_json::json!({
            "entries": es.iter().map(|e| serde_json::json!({"leaf_input": b64::encode(e), "extra_data": ""})).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => ct_error(e),
    }
}

/// The CT log router (RFC 6962 §4 under `/ct/v1`).
pub fn ct_router(ct: Arc<CtLog>) -> Router {
    Router::new()
        .route("/ct/v1/add-pre-chain", post(add_pre_chain))
        .route("/ct/v1/get-sth", get(get_sth))
        .route("/ct/v1/get-roots", get(get_roots))
        .route("/ct/v1/get-proof-by-hash", get(get_proof_by_hash))
        .route("/ct/v1/get-sth-consistency", get(get_sth_consistency))
        .route("/ct/v1/get-entries", get(get_entries))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(ct)
}

/// The development OIDC issuer's public endpoints (discovery and JWKS) under `path` (for
/// example `/oidc`), and its auto-approving login endpoints (`auth`, `token`, `device/code`,
/// `device/approve`: [`signet_oidc::dev_login`]). DEVELOPMENT ONLY: it vouches for whatever
/// identity its key holder mints, and logs anyone in.
pub fn dev_oidc_router(dev: Arc<signet_oidc::DevIssuer>, path: &str) -> Router {
    let d1 = dev.clone();
    let d2 = dev.clone();
    let login = Arc::new(DevLoginState {
        issuer: dev,
        login: signet_oidc::dev_login::DevLogin::default(),
    });
    Router::new()
        .route(&format!("{path}/auth"), get(dev_authorize))
        .route(&format!("{path}/token"), post(dev_token))
        .route(&format!("{path}/device/code"), post(dev_device_code))
        .route(
            &format!("{path}/device/approve"),
            get(dev_approve).post(dev_approve),
        )
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(login)
        .route(
            &format!("{path}/.well-known/openid-configuration"),
            get(move || async move { Json(d1.discovery_json()) }),
        )
        .route(
            &format!("{path}/.well-known/jwks.json"),
            get(move || async move { Json(d2.jwks_json()) }),
        )
}

struct DevLoginState {
    issuer: Arc<signet_oidc::DevIssuer>,
    login: signet_oidc::dev_login::DevLogin,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn oauth_error(e: &signet_oidc::dev_login::OAuthError) -> Response {
    let status = match e.error {
        "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    (status, Json(e.to_json())).into_response()
}

type Params = std::collections::HashMap<String, String>;

async fn dev_authorize(State(s): State<Arc<DevLoginState>>, Query(q): Query<Params>) -> Response {
    match s.login.authorize(&q, unix_now()) {
        Ok(location) => (
            StatusCode::FOUND,
            [(axum::http::header::LOCATION, location)],
            "DEVELOPMENT issuer: approved without authentication\n",
        )
            .into_response(),
        Err(e) => oauth_error(&e),
    }
}

async fn dev_token(
    State(s): State<Arc<DevLoginState>>,
    axum::extract::Form(f): axum::extract::Form<Params>,
) -> Response {
    match s.login.token(&s.issuer, &f, unix_now()) {
        Ok(v) => Json(v).into_response(),
        Err(e) => oauth_error(&e),
    }
}

async fn dev_device_code(
    State(s): State<Arc<DevLoginState>>,
    axum::extract::Form(f): axum::extract::Form<Params>,
) -> Response {
    match s.login.device_code(&f, s.issuer.issuer_url(), unix_now()) {
        Ok(v) => Json(v).into_response(),
        Err(e) => oauth_error(&e),
    }
}

async fn dev_approve(State(s): State<Arc<DevLoginState>>, Query(q): Query<Params>) -> Response {
    let code = q.get("user_code").map_or("", String::as_str);
    let deny = q.get("deny").is_some_and(|v| v == "1" || v == "true");
    match s.login.approve(code, deny) {
        Ok(()) => (
            StatusCode::OK,
            if deny {
                "DEVELOPMENT issuer: login denied\n"
            } else {
                "DEVELOPMENT issuer: login approved without authentication\n"
            },
        )
            .into_response(),
        Err(e) => oauth_error(&e),
    }
}
