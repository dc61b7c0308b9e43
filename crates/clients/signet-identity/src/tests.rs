#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use signet_testkit::oidc_double::{Answer, Double};

use super::*;

const NOW: i64 = 1_800_000_000;

/// An (unsigned-looking) compact JWT with these claims: the providers never verify signatures.
fn jwt(claims: serde_json::Value) -> String {
    let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(json!({"alg": "ES256", "typ": "JWT"})),
        part(claims),
        URL_SAFE_NO_PAD.encode(b"sig")
    )
}

fn good(aud: serde_json::Value) -> String {
    jwt(
        json!({"iss": "https://issuer.example", "sub": "me", "aud": aud, "exp": NOW + 300, "nbf": NOW - 5}),
    )
}

fn settings() -> Settings {
    Settings::new(NOW).timeout(Duration::from_secs(2))
}

/// An environment with these variables, no DMI file and no token file.
fn env(vars: &[(&str, &str)]) -> Env {
    let mut e = Env::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    e.dmi_product_name = "/nonexistent/dmi".into();
    e.vars
        .entry("SIGNET_OIDC_TOKEN_FILE".into())
        .or_insert_with(|| "/nonexistent/token".into());
    e
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn detect(
    e: &Env,
    s: &Settings,
    forced: Option<Provider>,
) -> Result<Option<(Provider, IdentityToken)>, IdentityError> {
    run(ambient_token(e, s, forced))
}

fn err_text(r: Result<Option<(Provider, IdentityToken)>, IdentityError>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

/// GitHub's token service as documented: `GET <request URL>&audience=sigstore` with
/// `Authorization: bearer <request token>`, answering `{"count":1,"value":<jwt>}`.
fn github_double(token: String) -> Double {
    Double::start(move |r| {
        let auth_ok = r
            .header("authorization")
            .is_some_and(|a| a.eq_ignore_ascii_case("bearer req-tok"));
        if r.method != "GET" || !r.target.starts_with("/_apis/token?") || !auth_ok {
            return Answer::status(401, "{}");
        }
        if r.target != "/_apis/token?api-version=2.0&audience=sigstore" {
            return Answer::status(400, "{}");
        }
        Answer::ok(json!({"count": 1, "value": token}).to_string())
    })
    .unwrap()
}

fn github_env(d: &Double) -> Env {
    let url = format!("{}/_apis/token?api-version=2.0", d.url);
    env(&[
        ("GITHUB_ACTIONS", "true"),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", &url),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "req-tok"),
    ])
}

#[test]
fn github_actions_token_service() {
    let tok = good(json!("sigstore"));
    let d = github_double(tok.clone());
    let (p, t) = detect(&github_env(&d), &settings(), None).unwrap().unwrap();
    assert_eq!(p, Provider::GithubActions);
    assert_eq!(t.secret(), tok);
    let seen = d.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("authorization"), Some("bearer req-tok"));
    // Without the request token the provider is not enabled; forced, it says what is missing.
    let e = env(&[(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "http://127.0.0.1:1/x?api-version=2.0",
    )]);
    assert!(detect(&e, &settings(), None).unwrap().is_none());
    let msg = err_text(detect(&e, &settings(), Some(Provider::GithubActions)));
    assert!(
        msg.contains("github-actions") && msg.contains("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        "{msg}"
    );
}

#[test]
fn github_actions_bad_answers_are_one_line_errors() {
    let s = settings().timeout(Duration::from_millis(700));
    for (answer, needle) in [
        (Answer::ok("<html>nope</html>"), "not JSON"),
        (Answer::ok(r#"{"count":0}"#), "no \"value\""),
        (Answer::status(500, "{}"), "500"),
        (Answer::ok(vec![b' '; 100 * 1024]), "larger than the limit"),
        (Answer::Silent, "in time"),
    ] {
        let d = Double::start(move |_| answer.clone()).unwrap();
        let msg = err_text(detect(&github_env(&d), &s, None));
        assert!(msg.starts_with("OIDC provider github-actions: "), "{msg}");
        assert!(msg.contains(needle), "{needle:?} in {msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
    // Nothing listening.
    let gone = {
        let d = Double::start(|_| Answer::ok("")).unwrap();
        github_env(&d)
    };
    std::thread::sleep(Duration::from_millis(100));
    let msg = err_text(detect(&gone, &s, None));
    assert!(
        msg.contains("github-actions") && msg.contains("cannot reach"),
        "{msg}"
    );
}

#[test]
fn expired_wrong_audience_and_garbage_tokens_are_refused_naming_the_provider() {
    let cases = [
        (
            jwt(json!({"iss": "i", "aud": "sigstore", "exp": NOW - 1})),
            "expired",
        ),
        (
            jwt(json!({"iss": "i", "aud": "sigstore", "exp": NOW})),
            "expired",
        ),
        (good(json!("other")), "audience is \"other\""),
        (good(json!(["a", "b"])), "not \"sigstore\""),
        (
            jwt(json!({"iss": "i", "exp": NOW + 60})),
            "audience is none",
        ),
        (jwt(json!({"iss": "i", "aud": "sigstore"})), "no expiry"),
        (
            jwt(json!({"aud": "sigstore", "exp": NOW + 60})),
            "no issuer",
        ),
        (
            jwt(json!({"iss": "i", "aud": "sigstore", "exp": NOW + 600, "nbf": NOW + 300})),
            "not valid before",
        ),
        ("not-a-jwt".to_string(), "not a JWT"),
    ];
    for (tok, needle) in cases {
        let d = github_double(tok.clone());
        let msg = err_text(detect(&github_env(&d), &settings(), None));
        assert!(msg.starts_with("OIDC provider github-actions: "), "{msg}");
        assert!(msg.contains(needle), "{needle:?} in {msg}");
        // The same check for SIGSTORE_ID_TOKEN.
        let msg = err_text(detect(
            &env(&[("SIGSTORE_ID_TOKEN", &tok)]),
            &settings(),
            None,
        ));
        assert!(
            msg.starts_with("OIDC provider envvar: ") && msg.contains(needle),
            "{msg}"
        );
    }
    // A list audience containing ours is fine (Kubernetes' shape).
    let e = env(&[("SIGSTORE_ID_TOKEN", &good(json!(["x", "sigstore"])))]);
    assert_eq!(
        detect(&e, &settings(), None).unwrap().unwrap().0,
        Provider::EnvVar
    );
}

#[test]
fn detection_order_follows_cosign() {
    let tok = good(json!("sigstore"));
    let d = github_double(tok.clone());
    let mut e = github_env(&d);
    // SIGSTORE_ID_TOKEN beats GitHub (cosign's envvar provider registers first).
    e.vars.insert("SIGSTORE_ID_TOKEN".into(), tok.clone());
    assert_eq!(
        detect(&e, &settings(), None).unwrap().unwrap().0,
        Provider::EnvVar
    );
    // A token file beats GitHub too, and --oidc-provider picks GitHub anyway.
    e.vars.remove("SIGSTORE_ID_TOKEN");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("oidc-token");
    std::fs::write(&f, format!("{tok}\n")).unwrap();
    e.vars
        .insert("SIGNET_OIDC_TOKEN_FILE".into(), f.display().to_string());
    assert_eq!(
        detect(&e, &settings(), None).unwrap().unwrap().0,
        Provider::Filesystem
    );
    let forced = Provider::from_name("github-actions").unwrap();
    assert_eq!(
        detect(&e, &settings(), Some(forced)).unwrap().unwrap().0,
        Provider::GithubActions
    );
    // Nothing here: no provider, no error.
    assert!(detect(&env(&[]), &settings(), None).unwrap().is_none());
    assert!(matches!(
        Provider::from_name("google"),
        Err(IdentityError::UnknownProvider(_))
    ));
    assert_eq!(
        Provider::from_name("kubernetes").unwrap(),
        Provider::Filesystem
    );
    assert_eq!(
        Provider::names(),
        [
            "envvar",
            "filesystem",
            "github-actions",
            "buildkite-agent",
            "google-impersonate",
            "google-workload-identity",
            "spiffe"
        ]
    );
}

/// A Kubernetes projected service-account token: `aud` is a list; the file is read at use time
/// and trimmed; the settings' path beats the variable.
#[test]
fn kubernetes_token_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sigstore");
    let tok = jwt(json!({
        "iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:rel:signer",
        "aud": ["sigstore"], "exp": NOW + 600, "iat": NOW,
        "kubernetes.io": {"namespace": "rel", "serviceaccount": {"name": "signer", "uid": "u"}},
    }));
    std::fs::write(&f, &tok).unwrap();
    let mut s = settings();
    s.token_file = Some(f.clone());
    let (p, t) = detect(&env(&[]), &s, None).unwrap().unwrap();
    assert_eq!((p, t.secret()), (Provider::Filesystem, tok.as_str()));
    // Forced at a missing file: an error naming the provider and the file.
    s.token_file = Some(dir.path().join("missing"));
    let msg = err_text(detect(&env(&[]), &s, Some(Provider::Filesystem)));
    assert!(
        msg.starts_with("OIDC provider filesystem: ") && msg.contains("missing"),
        "{msg}"
    );
    // An oversized file is refused without reading it all.
    std::fs::write(&f, vec![b'a'; 100 * 1024]).unwrap();
    s.token_file = Some(f);
    let msg = err_text(detect(&env(&[]), &s, None));
    assert!(msg.contains("filesystem") && msg.contains("limit"), "{msg}");
}

/// The Google metadata server as documented: `GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full`
/// with `Metadata-Flavor: Google`, answered with the JWT as text and `Metadata-Flavor: Google`.
#[test]
fn google_metadata_server() {
    let tok = good(json!("sigstore"));
    let t2 = tok.clone();
    let d = Double::start(move |r| {
        if r.header("metadata-flavor") != Some("Google") {
            return Answer::status(403, "Missing Metadata-Flavor:Google header");
        }
        if r.target
            != "/computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full"
        {
            return Answer::status(404, "not found");
        }
        Answer::ok(t2.clone()).with_header("Metadata-Flavor", "Google")
    })
    .unwrap();
    let e = env(&[("GCE_METADATA_HOST", &d.host())]);
    let (p, t) = detect(&e, &settings(), None).unwrap().unwrap();
    assert_eq!(
        (p, t.secret()),
        (Provider::GoogleWorkloadIdentity, tok.as_str())
    );
    // Detection by DMI product name (no variable): enabled, and it talks to the default host.
    let dir = tempfile::tempdir().unwrap();
    let dmi = dir.path().join("product_name");
    std::fs::write(&dmi, "Google Compute Engine\n").unwrap();
    let mut e = env(&[]);
    e.dmi_product_name = dmi;
    assert!(Provider::GoogleWorkloadIdentity.enabled(&e, &settings()));
    // Something that is not a metadata server (no Metadata-Flavor in the answer), and Cloud
    // Build's 404 without the token-creator role.
    let plain = Double::start(move |_| Answer::ok(tok.clone())).unwrap();
    let msg = err_text(detect(
        &env(&[("GCE_METADATA_HOST", &plain.host())]),
        &settings(),
        None,
    ));
    assert!(
        msg.starts_with("OIDC provider google-workload-identity: ")
            && msg.contains("not a Google metadata server"),
        "{msg}"
    );
    let missing =
        Double::start(|_| Answer::status(404, "").with_header("Metadata-Flavor", "Google"))
            .unwrap();
    let msg = err_text(detect(
        &env(&[("GCE_METADATA_HOST", &missing.host())]),
        &settings(),
        None,
    ));
    assert!(
        msg.contains("google-workload-identity") && msg.contains("404"),
        "{msg}"
    );
}

/// Buildkite: `buildkite-agent oidc request-token --audience sigstore` on PATH (a stub script
/// that checks its arguments); failures and hangs are one-line errors.
#[test]
fn buildkite_agent() {
    use std::os::unix::fs::PermissionsExt as _;
    let tok = good(json!("sigstore"));
    let dir = tempfile::tempdir().unwrap();
    let write_agent = |script: &str| {
        let p = dir.path().join("buildkite-agent");
        std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write_agent(&format!(
        r#"[ "$*" = "oidc request-token --audience sigstore" ] || {{ echo "bad args: $*" >&2; exit 2; }}
echo "{tok}""#
    ));
    let path = dir.path().display().to_string();
    let e = env(&[("BUILDKITE", "true"), ("PATH", &path)]);
    let (p, t) = detect(&e, &settings(), None).unwrap().unwrap();
    assert_eq!((p, t.secret()), (Provider::BuildkiteAgent, tok.as_str()));
    write_agent("echo 'Error: no job token' >&2; exit 1");
    let msg = err_text(detect(&e, &settings(), None));
    assert!(
        msg.starts_with("OIDC provider buildkite-agent: ") && msg.contains("no job token"),
        "{msg}"
    );
    write_agent("exec /bin/sleep 30");
    let started = std::time::Instant::now();
    let msg = err_text(detect(
        &e,
        &settings().timeout(Duration::from_millis(500)),
        None,
    ));
    assert!(msg.contains("did not answer"), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let msg = err_text(detect(
        &env(&[("BUILDKITE", "true"), ("PATH", "/nonexistent")]),
        &settings(),
        None,
    ));
    assert!(msg.contains("not on PATH"), "{msg}");
}

#[test]
fn tokens_do_not_show_in_debug_output() {
    let e = env(&[("SIGSTORE_ID_TOKEN", &good(json!("sigstore")))]);
    let (_, t) = detect(&e, &settings(), None).unwrap().unwrap();
    let shown = format!("{t:?}");
    assert!(
        shown.starts_with("IdentityToken(") && !shown.contains(t.secret()),
        "{shown}"
    );
}

/// The SPIFFE Workload API double (h2 gRPC on a unix socket): `SPIFFE_ENDPOINT_SOCKET` in the
/// specification's `unix://` form and in cosign's plain-path form; the call carries the
/// security header and asks for audience `sigstore`; the SVID's `sub` is the SPIFFE ID.
#[test]
fn spiffe_workload_api() {
    use signet_testkit::spiffe_double::WorkloadApi;
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("api.sock");
    let id = "spiffe://example.org/workload";
    let svid = jwt(
        json!({"iss": "https://issuer.example", "sub": id, "aud": ["sigstore"], "exp": NOW + 300}),
    );
    let agent = WorkloadApi::serving(&sock, "sigstore", id, &svid).unwrap();
    for endpoint in [agent.endpoint(), sock.display().to_string()] {
        let e = env(&[(SPIFFE_ENDPOINT_SOCKET, &endpoint)]);
        assert!(Provider::Spiffe.enabled(&e, &settings()));
        let (p, t) = detect(&e, &settings(), None).unwrap().unwrap();
        assert_eq!((p, t.secret()), (Provider::Spiffe, svid.as_str()));
    }
    let seen = agent.requests();
    assert_eq!(seen.len(), 2);
    for r in seen {
        assert_eq!(r.path, "/SpiffeWorkloadAPI/FetchJWTSVID");
        assert_eq!(r.security_header.as_deref(), Some("true"));
        assert_eq!(r.audience, ["sigstore"]);
        assert_eq!(r.spiffe_id, "");
    }
    // No socket: not enabled; forced, an error naming the provider and the socket.
    let e = env(&[(SPIFFE_ENDPOINT_SOCKET, "/nonexistent/api.sock")]);
    assert!(!Provider::Spiffe.enabled(&e, &settings()));
    assert!(detect(&e, &settings(), None).unwrap().is_none());
    let msg = err_text(detect(&e, &settings(), Some(Provider::Spiffe)));
    assert!(
        msg.starts_with(
            "OIDC provider spiffe: cannot connect to the Workload API socket /nonexistent/api.sock"
        ),
        "{msg}"
    );
    let msg = err_text(detect(
        &env(&[(SPIFFE_ENDPOINT_SOCKET, "tcp://127.0.0.1:1")]),
        &settings(),
        Some(Provider::Spiffe),
    ));
    assert!(msg.contains("only unix sockets"), "{msg}");
}

/// A Workload API that refuses, answers garbage, nothing, slowly or too much: one-line errors
/// naming `spiffe`, bounded in time.
#[test]
fn spiffe_bad_answers_are_one_line_errors() {
    use signet_testkit::spiffe_double::{SvidAnswer, WorkloadApi};
    let id = "spiffe://example.org/workload";
    let other_aud = jwt(json!({"iss": "i", "sub": id, "aud": "other", "exp": NOW + 300}));
    let other_sub = jwt(
        json!({"iss": "i", "sub": "spiffe://example.org/other", "aud": "sigstore", "exp": NOW + 300}),
    );
    let s = settings().timeout(Duration::from_millis(700));
    let cases = [
        (
            SvidAnswer::Status(7, "no identity issued".into()),
            "grpc-status 7 (PERMISSION_DENIED): no identity issued",
        ),
        (
            SvidAnswer::Status(3, "security header missing from request".into()),
            "grpc-status 3 (INVALID_ARGUMENT): security header missing from request",
        ),
        (SvidAnswer::Svids(vec![]), "no JWT-SVID"),
        (
            SvidAnswer::Message(b"\x0a\x05ab".to_vec()),
            "not a JWTSVIDResponse",
        ),
        (
            SvidAnswer::Body(b"\x00\x00\x00\x00\x09ab".to_vec()),
            "truncated gRPC frame",
        ),
        (
            SvidAnswer::Body(vec![0; 100 * 1024]),
            "larger than the limit",
        ),
        (
            SvidAnswer::Svids(vec![(id.into(), String::new())]),
            "empty JWT-SVID",
        ),
        (
            SvidAnswer::Svids(vec![(id.into(), "garbage".into())]),
            "not a JWT",
        ),
        (
            SvidAnswer::Svids(vec![(id.into(), other_sub)]),
            "is not the SPIFFE ID",
        ),
        (SvidAnswer::Silent, "did not answer in time"),
        (
            SvidAnswer::Svids(vec![(id.into(), other_aud)]),
            "audience is \"other\"",
        ),
    ];
    for (i, (answer, needle)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("api.sock");
        let _agent = WorkloadApi::start(&sock, move |_| answer.clone()).unwrap();
        let started = std::time::Instant::now();
        let e = env(&[(SPIFFE_ENDPOINT_SOCKET, sock.to_str().unwrap())]);
        let msg = err_text(detect(&e, &s, None));
        assert!(msg.starts_with("OIDC provider spiffe: "), "case {i}: {msg}");
        assert!(msg.contains(needle), "case {i}: {needle:?} in {msg}");
        assert!(!msg.contains('\n'), "{msg}");
        assert!(started.elapsed() < Duration::from_secs(3), "case {i}");
    }
}

/// Google service-account impersonation, as cosign's `google-impersonate`: the metadata
/// server's access token (`GET …/default/token?scopes=…cloud-platform`, `Metadata-Flavor:
/// Google`), then IAM Credentials `POST /v1/projects/-/serviceAccounts/SA:generateIdToken`
/// with `Authorization: Bearer <access token>` and `{"audience":"sigstore","includeEmail":true}`.
#[test]
fn google_impersonation() {
    const SA: &str = "signer@proj.iam.gserviceaccount.com";
    let tok = good(json!("sigstore"));
    let meta = Double::start(|r| {
        if r.header("metadata-flavor") != Some("Google") {
            return Answer::status(403, "Missing Metadata-Flavor:Google header");
        }
        if r.method != "GET"
            || r.target
                != "/computeMetadata/v1/instance/service-accounts/default/token?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform"
        {
            return Answer::status(404, "not found");
        }
        Answer::ok(r#"{"access_token":"ya29.access","expires_in":3599,"token_type":"Bearer"}"#)
            .with_header("Metadata-Flavor", "Google")
    })
    .unwrap();
    let t2 = tok.clone();
    let iam = Double::start(move |r| {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        if r.method != "POST"
            || r.target != format!("/v1/projects/-/serviceAccounts/{SA}:generateIdToken")
            || r.header("authorization") != Some("Bearer ya29.access")
            || r.header("content-type") != Some("application/json")
            || body != json!({"audience": "sigstore", "includeEmail": true})
        {
            return Answer::status(403, r#"{"error":{"code":403}}"#);
        }
        Answer::ok(json!({"token": t2}).to_string())
    })
    .unwrap();
    let vars = |iam_url: &str| {
        env(&[
            (GOOGLE_SERVICE_ACCOUNT_NAME, SA),
            ("GCE_METADATA_HOST", &meta.host()),
            (SIGNET_IAM_CREDENTIALS_URL, iam_url),
        ])
    };
    // Impersonation comes before the metadata server's own identity token.
    let (p, t) = detect(&vars(&iam.url), &settings(), None).unwrap().unwrap();
    assert_eq!((p, t.secret()), (Provider::GoogleImpersonate, tok.as_str()));
    assert_eq!(meta.requests().len(), 1);
    assert_eq!(iam.requests().len(), 1);

    // The override must be https, or http to loopback: the access token goes there.
    let msg = err_text(detect(&vars("http://iam.example.com"), &settings(), None));
    assert!(
        msg.starts_with("OIDC provider google-impersonate: ") && msg.contains("must be https"),
        "{msg}"
    );
    // IAM refusing (no Token Creator role), and garbage answers.
    let refusing = Double::start(|_| Answer::status(403, "{}")).unwrap();
    let msg = err_text(detect(&vars(&refusing.url), &settings(), None));
    assert!(
        msg.contains("google-impersonate") && msg.contains("403"),
        "{msg}"
    );
    let garbage = Double::start(|_| Answer::ok(r#"{"tok":1}"#)).unwrap();
    let msg = err_text(detect(&vars(&garbage.url), &settings(), None));
    assert!(msg.contains("no \"token\" string"), "{msg}");
    // A metadata server without an access token for us; not a metadata server at all.
    for (answer, needle) in [
        (
            Answer::ok("{}").with_header("Metadata-Flavor", "Google"),
            "no \"access_token\"",
        ),
        (Answer::ok("{}"), "not a Google metadata server"),
    ] {
        let m = Double::start(move |_| answer.clone()).unwrap();
        let e = env(&[
            (GOOGLE_SERVICE_ACCOUNT_NAME, SA),
            ("GCE_METADATA_HOST", &m.host()),
            (SIGNET_IAM_CREDENTIALS_URL, &iam.url),
        ]);
        let msg = err_text(detect(&e, &settings(), None));
        assert!(
            msg.contains("google-impersonate") && msg.contains(needle),
            "{msg}"
        );
    }
    let msg = err_text(detect(
        &env(&[(GOOGLE_SERVICE_ACCOUNT_NAME, "a/b")]),
        &settings(),
        None,
    ));
    assert!(msg.contains("is not a service account"), "{msg}");
}
