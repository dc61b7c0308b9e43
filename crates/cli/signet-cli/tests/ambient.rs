//! Keyless signing with no token flag: `signet sign-blob` finds the identity token where it runs
//! (GitHub Actions' token service, a Kubernetes projected service-account token file), against
//! loopback doubles speaking the providers' protocols and a signet server whose development
//! issuer mints the tokens (its `/ci` issuer is a `github-workflow` CI provider, its `/k8s`
//! issuer a `kubernetes` one). Bad tokens and endpoints fail naming the provider, and nothing is
//! signed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use signet_testkit::oidc_double::{Answer, Double};
use signet_types::b64;

mod common;

const WF: &str = "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// Every variable a provider looks at, removed so the machine's own CI cannot leak in.
const PROVIDER_VARS: [&str; 10] = [
    "SIGSTORE_ID_TOKEN",
    "GOOGLE_SERVICE_ACCOUNT_NAME",
    "SIGNET_IAM_CREDENTIALS_URL",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITHUB_ACTIONS",
    "BUILDKITE",
    "GCE_METADATA_HOST",
    "SIGNET_TRUST_CONFIG",
    "SIGNET_REKOR_URL",
];

/// `signet ARGS` for the instance in `data`, with only `env` as provider environment (the token
/// file and the SPIFFE socket pointed at paths that do not exist).
fn signet_env(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.args(args)
        .env("SIGNET_DATA_DIR", data)
        .env("XDG_CONFIG_HOME", data.join("no-config"))
        .env("SIGNET_OIDC_TOKEN_FILE", data.join("no-token-file"))
        .env("SPIFFE_ENDPOINT_SOCKET", data.join("no-spiffe-socket"));
    for v in PROVIDER_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn token(data: &Path, args: &[&str]) -> String {
    let mut a = vec!["oidc", "token"];
    a.extend_from_slice(args);
    let o = signet_env(data, &a, &[]);
    assert!(o.status.success(), "{}", common::output_text(&o));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// GitHub's token service: `GET /_apis/token?api-version=2.0&audience=sigstore` with
/// `Authorization: bearer <request token>`, answering `{"count":1,"value":<jwt>}`.
fn github_double(answer: Answer) -> Double {
    Double::start(move |r| {
        let auth = r.header("authorization").unwrap_or("");
        if r.method == "GET"
            && r.target == "/_apis/token?api-version=2.0&audience=sigstore"
            && auth.eq_ignore_ascii_case("bearer req-tok")
        {
            answer.clone()
        } else {
            Answer::status(401, r#"{"message":"bad request"}"#)
        }
    })
    .unwrap()
}

fn gha_value(tok: &str) -> Answer {
    Answer::ok(serde_json::json!({"count": 1, "value": tok}).to_string())
        .with_header("Content-Type", "application/json")
}

/// `verify-blob FILE --bundle B --offline` for this identity and issuer.
fn verify_for(d: &Path, file: &str, bundle: &str, identity: &str, issuer: &str) -> Output {
    signet_env(
        d,
        &[
            "verify-blob",
            file,
            "--bundle",
            bundle,
            "--offline",
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
        ],
        &[],
    )
}

fn leaf_of(cert_file: &Path) -> signet_x509::Certificate {
    let pem = b64::decode(std::fs::read_to_string(cert_file).unwrap().trim()).unwrap();
    signet_x509::Certificate::from_pem(std::str::from_utf8(&pem).unwrap()).unwrap()
}

fn sans_of(leaf: &signet_x509::Certificate) -> Vec<String> {
    leaf.san_identities()
        .iter()
        .map(|s| s.value().to_string())
        .collect()
}

/// `sign-blob DIR/artifact --bundle DIR/a.json --output-certificate DIR/a.cert` with only `env`
/// as provider environment: it must sign, saying it used `provider`; the certificate.
fn signs_through(
    d: &Path,
    dir: &Path,
    provider: &str,
    env: &[(&str, &str)],
) -> signet_x509::Certificate {
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let args = [
        "sign-blob",
        &p("artifact"),
        "--bundle",
        &p("a.json"),
        "--output-certificate",
        &p("a.cert"),
    ];
    let o = signet_env(d, &args, env);
    let t = common::output_text(&o);
    assert!(o.status.success(), "{t}");
    let used = format!("Using an identity token from the {provider} OIDC provider");
    assert!(t.contains(&used), "{t}");
    leaf_of(Path::new(&p("a.cert")))
}

fn fails_naming(o: &Output, provider: &str, needle: &str) {
    let t = common::output_text(o);
    assert!(!o.status.success(), "expected failure, got: {t}");
    assert!(t.contains(&format!("OIDC provider {provider}: ")), "{t}");
    assert!(t.contains(needle), "{needle:?} in {t}");
}

/// `signet sign-blob f` with no token flag in a GitHub-Actions-shaped environment signs with the
/// workflow identity: the certificate has the workflow URI as SAN and GitHub's extensions as
/// Fulcio's `github-workflow` profile sets them, and it verifies for that identity.
#[test]
fn github_actions_environment_signs_with_the_workflow_identity() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let srv = common::dev_server(d);
    let ci_issuer = format!("{}/oidc/ci", srv.url);
    let tok = token(
        d,
        &[
            "--subject",
            WF,
            "--sha",
            SHA,
            "--run-id",
            "4242",
            "--event-name",
            "release",
        ],
    );
    let gh = github_double(gha_value(&tok));
    let url = format!("{}/_apis/token?api-version=2.0", gh.url);
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "req-tok"),
    ];
    let work = tempfile::tempdir().unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("artifact"), b"release bytes").unwrap();
    let o = signet_env(
        d,
        &[
            "sign-blob",
            &p("artifact"),
            "--bundle",
            &p("a.sigstore.json"),
            "--output-certificate",
            &p("a.cert"),
        ],
        &env,
    );
    let t = common::output_text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("Using an identity token from the github-actions OIDC provider"),
        "{t}"
    );
    assert_eq!(gh.requests().len(), 1);

    let leaf = leaf_of(Path::new(&p("a.cert")));
    let sans = sans_of(&leaf);
    assert_eq!(sans, [WF]);
    let ext = leaf.fulcio_extensions().unwrap();
    assert_eq!(ext.issuer.as_deref(), Some(ci_issuer.as_str()));
    assert_eq!(ext.github_workflow_trigger.as_deref(), Some("release"));
    assert_eq!(ext.github_workflow_sha.as_deref(), Some(SHA));
    assert_eq!(ext.github_workflow_name.as_deref(), Some("release"));
    assert_eq!(ext.github_workflow_repository.as_deref(), Some("org/repo"));
    assert_eq!(ext.github_workflow_ref.as_deref(), Some("refs/tags/v1.2.3"));
    assert_eq!(ext.build_signer_uri.as_deref(), Some(WF));
    assert_eq!(
        ext.source_repository_uri.as_deref(),
        Some("https://github.com/org/repo")
    );
    assert_eq!(
        ext.source_repository_ref.as_deref(),
        Some("refs/tags/v1.2.3")
    );
    assert_eq!(
        ext.run_invocation_uri.as_deref(),
        Some("https://github.com/org/repo/actions/runs/4242/attempts/1")
    );

    let o = verify_for(d, &p("artifact"), &p("a.sigstore.json"), WF, &ci_issuer);
    assert!(o.status.success(), "{}", common::output_text(&o));

    // --oidc-provider forces the provider: here without its variables, a one-line error.
    let o = signet_env(
        d,
        &[
            "sign-blob",
            &p("artifact"),
            "--oidc-provider",
            "github-actions",
        ],
        &[],
    );
    fails_naming(
        &o,
        "github-actions",
        "ACTIONS_ID_TOKEN_REQUEST_URL is not set",
    );
    // SIGSTORE_ID_TOKEN comes before GitHub (cosign's order), and is checked the same way.
    let stale = token(d, &["--subject", WF, "--sha", SHA, "--ttl", "-60"]);
    let mut with_env = env.to_vec();
    with_env.push(("SIGSTORE_ID_TOKEN", stale.as_str()));
    let o = signet_env(d, &["sign-blob", &p("artifact")], &with_env);
    fails_naming(&o, "envvar", "expired");
    let o = signet_env(
        d,
        &[
            "sign-blob",
            &p("artifact"),
            "--oidc-provider",
            "github-actions",
            "--bundle",
            &p("b.json"),
        ],
        &with_env,
    );
    assert!(o.status.success(), "{}", common::output_text(&o));
}

/// The GitHub provider refuses what it must not sign with: an expired token, a token for another
/// audience, an answer that is not the documented JSON, an endpoint that does not answer in
/// time (bounded by SIGNET_HTTP_TIMEOUT) or is not there; each a one-line error naming the
/// provider, and no bundle written.
#[test]
fn github_actions_bad_tokens_and_endpoints_sign_nothing() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let _srv = common::dev_server(d);
    let expired = token(d, &["--subject", WF, "--sha", SHA, "--ttl", "-1"]);
    let other_aud = token(d, &["--subject", WF, "--sha", SHA, "--audience", "other"]);
    let work = tempfile::tempdir().unwrap();
    let art = work.path().join("artifact");
    std::fs::write(&art, b"x").unwrap();
    let bundle = work.path().join("out.sigstore.json");
    let gone = github_double(Answer::ok("")).url.clone();
    for (answer, needle) in [
        (Some(gha_value(&expired)), "expired"),
        (
            Some(gha_value(&other_aud)),
            "audience is \"other\", not \"sigstore\"",
        ),
        (Some(Answer::ok("<html>rate limited</html>")), "not JSON"),
        (Some(Answer::status(500, "{}")), "500"),
        (Some(Answer::Silent), "in time"),
        (None, "cannot reach"),
    ] {
        let double = answer.map(github_double);
        let base = double.as_ref().map_or(gone.clone(), |g| g.url.clone());
        let url = format!("{base}/_apis/token?api-version=2.0");
        let started = std::time::Instant::now();
        let o = signet_env(
            d,
            &[
                "sign-blob",
                art.to_str().unwrap(),
                "--bundle",
                bundle.to_str().unwrap(),
            ],
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", &url),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "req-tok"),
                ("SIGNET_HTTP_TIMEOUT", "1"),
            ],
        );
        fails_naming(&o, "github-actions", needle);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            err.trim()
                .lines()
                .filter(|l| l.starts_with("Error"))
                .count(),
            1,
            "{err}"
        );
        assert!(!bundle.exists(), "signed although {needle}");
        assert!(started.elapsed() < std::time::Duration::from_secs(8));
    }
}

/// A Kubernetes pod: the projected service-account token file (`--oidc-token-file`, or
/// `SIGNET_OIDC_TOKEN_FILE`) signs with the service account's identity.
#[test]
fn kubernetes_token_file_signs_with_the_service_account_identity() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let srv = common::dev_server(d);
    let k8s_issuer = format!("{}/oidc/k8s", srv.url);
    let sa = "system:serviceaccount:release:signer";
    let identity = "https://kubernetes.io/namespaces/release/serviceaccounts/signer";
    let tok = token(d, &["--subject", sa]);
    let claims = signet_oidc::unverified_claims(&tok).unwrap();
    assert_eq!(claims.get("aud").unwrap(), &serde_json::json!(["sigstore"]));
    let work = tempfile::tempdir().unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("artifact"), b"image bytes").unwrap();
    std::fs::write(p("oidc-token"), format!("{tok}\n")).unwrap();
    let sign = |extra: &[&str], env: &[(&str, &str)]| {
        let mut a = vec!["sign-blob"];
        a.extend_from_slice(extra);
        signet_env(d, &a, env)
    };
    let (art, bundle, cert, file) = (p("artifact"), p("a.json"), p("a.cert"), p("oidc-token"));
    let o = sign(
        &[
            &art,
            "--bundle",
            &bundle,
            "--output-certificate",
            &cert,
            "--oidc-token-file",
            &file,
        ],
        &[],
    );
    let t = common::output_text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("from the filesystem OIDC provider"), "{t}");
    let leaf = leaf_of(Path::new(&cert));
    let sans = sans_of(&leaf);
    assert_eq!(sans, [identity]);
    assert_eq!(
        leaf.fulcio_extensions().unwrap().issuer.as_deref(),
        Some(k8s_issuer.as_str())
    );
    let o = verify_for(d, &art, &bundle, identity, &k8s_issuer);
    assert!(o.status.success(), "{}", common::output_text(&o));

    // The same through the variable; an expired token in the file is refused.
    let o = sign(
        &[&art, "--bundle", &p("b.json")],
        &[("SIGNET_OIDC_TOKEN_FILE", &file)],
    );
    assert!(o.status.success(), "{}", common::output_text(&o));
    std::fs::write(&file, token(d, &["--subject", sa, "--ttl", "-5"])).unwrap();
    let o = sign(
        &[
            &art,
            "--bundle",
            &p("c.json"),
            "--oidc-provider",
            "kubernetes",
        ],
        &[("SIGNET_OIDC_TOKEN_FILE", &file)],
    );
    fails_naming(&o, "filesystem", "expired");
    assert!(!Path::new(&p("c.json")).exists());
}

/// `signet sign-blob f` with only `SPIFFE_ENDPOINT_SOCKET` set signs with the workload's SPIFFE
/// ID: the Workload API double (h2 gRPC on a unix socket) answers a JWT-SVID minted by the
/// development issuer's `spiffe` issuer (trust domain `signet.test`), the call carried the
/// security header and audience `sigstore`, and the certificate's SAN is the SPIFFE ID URI.
/// An agent that refuses the call, and an SVID outside the CA's trust domain, sign nothing.
#[test]
fn spiffe_workload_api_signs_with_the_spiffe_id() {
    use signet_testkit::spiffe_double::{SvidAnswer, WorkloadApi};
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let srv = common::dev_server(d);
    let issuer = format!("{}/oidc/spiffe", srv.url);
    let id = "spiffe://signet.test/ns/release/workload";
    let svid = token(d, &["--subject", id]);
    let work = tempfile::tempdir().unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    let sock = work.path().join("api.sock");
    let agent = WorkloadApi::serving(&sock, "sigstore", id, &svid).unwrap();
    std::fs::write(p("artifact"), b"workload bytes").unwrap();
    let endpoint = agent.endpoint();
    let env = [("SPIFFE_ENDPOINT_SOCKET", endpoint.as_str())];
    let leaf = signs_through(d, work.path(), "spiffe", &env);
    let seen = agent.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].security_header.as_deref(), Some("true"));
    assert_eq!(seen[0].audience, ["sigstore"]);
    let sans = sans_of(&leaf);
    assert_eq!(sans, [id]);
    assert_eq!(
        leaf.fulcio_extensions().unwrap().issuer.as_deref(),
        Some(issuer.as_str())
    );
    let o = verify_for(d, &p("artifact"), &p("a.json"), id, &issuer);
    assert!(o.status.success(), "{}", common::output_text(&o));

    // The agent refuses (as SPIRE does a call without the security header): nothing signed.
    let refusing_sock = work.path().join("refusing.sock");
    let _refusing = WorkloadApi::start(&refusing_sock, |_| {
        SvidAnswer::Status(3, "security header missing from request".into())
    })
    .unwrap();
    let o = signet_env(
        d,
        &["sign-blob", &p("artifact"), "--bundle", &p("b.json")],
        &[("SPIFFE_ENDPOINT_SOCKET", refusing_sock.to_str().unwrap())],
    );
    fails_naming(
        &o,
        "spiffe",
        "grpc-status 3 (INVALID_ARGUMENT): security header missing from request",
    );
    assert!(!Path::new(&p("b.json")).exists());
    // A SPIFFE ID outside the CA's trust domain: the CA refuses it.
    let foreign = "spiffe://other.test/workload";
    let foreign_sock = work.path().join("foreign.sock");
    let _foreign = WorkloadApi::serving(
        &foreign_sock,
        "sigstore",
        foreign,
        &token(d, &["--subject", foreign]),
    )
    .unwrap();
    let o = signet_env(
        d,
        &["sign-blob", &p("artifact"), "--bundle", &p("c.json")],
        &[("SPIFFE_ENDPOINT_SOCKET", foreign_sock.to_str().unwrap())],
    );
    let t = common::output_text(&o);
    assert!(
        !o.status.success() && t.contains("not in trust domain"),
        "{t}"
    );
    assert!(!Path::new(&p("c.json")).exists());
}

/// Google service-account impersonation (`GOOGLE_SERVICE_ACCOUNT_NAME`): the metadata double
/// hands out the attached identity's access token, the IAM Credentials double checks it and
/// the exact `generateIdToken` request and answers a token (from the development issuer) for
/// the service account; the certificate carries the service account's email. Without
/// `GOOGLE_SERVICE_ACCOUNT_NAME`, the same metadata server's own identity token
/// (`google-workload-identity`) signs as the attached service account.
#[test]
fn google_impersonation_and_metadata_identity_sign_with_service_account_emails() {
    const SA: &str = "krel-trust@k8s-releng-prod.iam.gserviceaccount.com";
    const ATTACHED: &str = "builder@k8s-releng-prod.iam.gserviceaccount.com";
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let srv = common::dev_server(d);
    let issuer = format!("{}/oidc", srv.url);
    let sa_token = token(d, &["--subject", SA]);
    let attached_token = token(d, &["--subject", ATTACHED]);
    let meta = Double::start(move |r| {
        let base = "/computeMetadata/v1/instance/service-accounts/default";
        let token =
            format!("{base}/token?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform");
        let identity = format!("{base}/identity?audience=sigstore&format=full");
        let ok = r.method == "GET" && r.header("metadata-flavor") == Some("Google");
        if ok && r.target == token {
            Answer::ok(
                r#"{"access_token":"ya29.cloudbuild","expires_in":3599,"token_type":"Bearer"}"#,
            )
            .with_header("Metadata-Flavor", "Google")
        } else if ok && r.target == identity {
            Answer::ok(attached_token.clone()).with_header("Metadata-Flavor", "Google")
        } else {
            Answer::status(403, "").with_header("Metadata-Flavor", "Google")
        }
    })
    .unwrap();
    let iam = Double::start(move |r| {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        if r.method == "POST"
            && r.target == format!("/v1/projects/-/serviceAccounts/{SA}:generateIdToken")
            && r.header("authorization") == Some("Bearer ya29.cloudbuild")
            && body == serde_json::json!({"audience": "sigstore", "includeEmail": true})
        {
            Answer::ok(serde_json::json!({ "token": sa_token }).to_string())
        } else {
            Answer::status(
                403,
                r#"{"error":{"code":403,"status":"PERMISSION_DENIED"}}"#,
            )
        }
    })
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("artifact"), b"release bytes").unwrap();
    let host = meta.host();
    let env = [
        ("GOOGLE_SERVICE_ACCOUNT_NAME", SA),
        ("GCE_METADATA_HOST", &host),
        ("SIGNET_IAM_CREDENTIALS_URL", &iam.url),
    ];
    let leaf = signs_through(d, work.path(), "google-impersonate", &env);
    assert_eq!((meta.requests().len(), iam.requests().len()), (1, 1));
    let sans = sans_of(&leaf);
    assert_eq!(sans, [SA]);
    let o = verify_for(d, &p("artifact"), &p("a.json"), SA, &issuer);
    assert!(o.status.success(), "{}", common::output_text(&o));

    let leaf = signs_through(d, work.path(), "google-workload-identity", &env[1..]);
    assert_eq!(sans_of(&leaf), [ATTACHED]);
    assert_eq!((meta.requests().len(), iam.requests().len()), (2, 1));
}

/// Runs `signet ARGS` with stderr piped; returns the child and a channel of its stderr lines.
fn spawn_lines(
    data: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead as _;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.args(args)
        .env("SIGNET_DATA_DIR", data)
        .env("XDG_CONFIG_HOME", data.join("no-config"))
        .env("SPIFFE_ENDPOINT_SOCKET", data.join("no-spiffe-socket"))
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for v in PROVIDER_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("signet: {line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits (bounded) for the child to end; its status and every stderr line.
fn finish(
    mut child: std::process::Child,
    rx: &std::sync::mpsc::Receiver<String>,
) -> (std::process::ExitStatus, String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "signet did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    (status, rx.try_iter().collect::<Vec<_>>().join("\n"))
}

fn wait_line(rx: &std::sync::mpsc::Receiver<String>, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = rx.recv_timeout(left).expect("the line in time");
        if line.contains(needle) {
            return line;
        }
    }
}

/// A GET with a plain TCP client (no redirects followed); the status line and body.
fn http_get(url: &str) -> String {
    use std::io::{Read as _, Write as _};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Interactive login end to end in a real headless browser: `sign-blob --oidc-issuer DEV` prints
/// the authorization URL and opens it with $BROWSER, here Debian's chromium (`--headless
/// --dump-dom`), which follows the development issuer's redirect to signet's loopback listener;
/// the code is exchanged with PKCE and the signature verifies for the logged-in identity.
#[test]
fn interactive_login_in_headless_chromium() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chromium is installed (.ci/run installs Debian's chromium)");
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let srv = common::dev_server(d);
    let issuer = format!("{}/oidc", srv.url);
    let work = tempfile::tempdir().unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("artifact"), b"desk bytes").unwrap();
    let browser = format!(
        "{chromium} --headless --no-sandbox --disable-gpu --user-data-dir={} --dump-dom",
        p("chromium-profile")
    );
    let (child, rx) = spawn_lines(
        d,
        &[
            "sign-blob",
            &p("artifact"),
            "--bundle",
            &p("a.json"),
            "--oidc-issuer",
            &issuer,
        ],
        &[("BROWSER", browser.as_str())],
    );
    let (status, err) = finish(child, &rx);
    assert!(status.success(), "{err}");
    assert!(err.contains("Signed in at"), "{err}");
    let o = verify_for(
        d,
        &p("artifact"),
        &p("a.json"),
        "developer@signet.invalid",
        &issuer,
    );
    assert!(o.status.success(), "{}", common::output_text(&o));
}

/// The redirect listener refuses a callback whose `state` is not the login's: one line naming
/// the flow, nothing signed. `--oidc-login-timeout SECS` bounds the wait for the browser:
/// nobody opens the URL, and signet gives up after 1 s, naming the flow; 0 is refused.
#[test]
fn interactive_login_refuses_a_mismatched_state_and_waits_as_long_as_told() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let srv = common::dev_server(d);
    let issuer = format!("{}/oidc", srv.url);
    let work = tempfile::tempdir().unwrap();
    let art = work.path().join("artifact");
    std::fs::write(&art, b"x").unwrap();
    let bundle = work.path().join("a.json");
    let (child, rx) = spawn_lines(
        d,
        &[
            "sign-blob",
            art.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
            "--oidc-issuer",
            &issuer,
        ],
        &[],
    );
    let line = wait_line(&rx, "Open this URL to sign in: ");
    let url = line.split("sign in: ").nth(1).unwrap();
    let redirect = url
        .split('&')
        .find_map(|kv| kv.strip_prefix("redirect_uri="))
        .unwrap()
        .replace("%3A", ":")
        .replace("%2F", "/");
    // A favicon request is ignored; then a callback with another state.
    assert!(
        http_get(&redirect.replace("/auth/callback", "/favicon.ico")).starts_with("HTTP/1.1 404")
    );
    let answer = http_get(&format!("{redirect}?code=abc&state=forged"));
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let (status, err) = finish(child, &rx);
    assert!(!status.success());
    assert!(
        err.contains("OIDC provider interactive login: the redirect's state does not match"),
        "{err}"
    );
    assert!(!bundle.exists());

    let sign_waiting = |secs: &str| {
        let args = [
            "sign-blob",
            art.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
            "--oidc-issuer",
            &issuer,
            "--oidc-login-timeout",
            secs,
        ];
        let (child, rx) = spawn_lines(d, &args, &[]);
        finish(child, &rx)
    };
    let started = std::time::Instant::now();
    let (status, err) = sign_waiting("1");
    assert!(!status.success());
    assert!(
        err.contains("OIDC provider interactive login: no redirect to http://127.0.0.1:")
            && err.contains("within 1 s"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(!bundle.exists());
    let (status, err) = sign_waiting("0");
    assert!(
        !status.success() && err.contains("--oidc-login-timeout"),
        "{err}"
    );
}

/// The device authorization grant against the development issuer: the code is approved through
/// its approval endpoint while signet polls; a denied code fails naming the flow.
#[test]
fn device_flow_approved_and_denied() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let srv = common::dev_server(d);
    let issuer = format!("{}/oidc", srv.url);
    let work = tempfile::tempdir().unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("artifact"), b"headless bytes").unwrap();
    for deny in [false, true] {
        let bundle = p(if deny { "denied.json" } else { "a.json" });
        let (child, rx) = spawn_lines(
            d,
            &[
                "sign-blob",
                &p("artifact"),
                "--bundle",
                &bundle,
                "--oidc-issuer",
                &issuer,
                "--oidc-device-flow",
            ],
            &[],
        );
        let line = wait_line(&rx, "enter the code");
        let approve = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap();
        // Let signet poll while pending at least once.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let url = if deny {
            format!("{approve}&deny=1")
        } else {
            approve.to_string()
        };
        assert!(http_get(&url).starts_with("HTTP/1.1 200"));
        let (status, err) = finish(child, &rx);
        if deny {
            assert!(!status.success());
            assert!(
                err.contains("OIDC provider device login: the login was denied"),
                "{err}"
            );
            assert!(!Path::new(&bundle).exists());
        } else {
            assert!(status.success(), "{err}");
            let o = verify_for(
                d,
                &p("artifact"),
                &bundle,
                "developer@signet.invalid",
                &issuer,
            );
            assert!(o.status.success(), "{}", common::output_text(&o));
        }
    }
}
