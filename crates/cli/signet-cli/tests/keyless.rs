//! Keyless signing on our own infrastructure, over real HTTP on 127.0.0.1: the Fulcio v2 API
//! (and its refusals, in Fulcio's error shape), `sign-blob` with an identity token from the
//! development issuer, and every `verify-blob` failure a user can meet.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use signet_crypto::SigningKey;
use signet_types::b64;

mod common;

struct Server {
    proc: common::Listening,
    url: String,
    dir: PathBuf,
}

impl Server {
    fn start(dir: &Path, addr: &str) -> Self {
        let d = dir.to_str().unwrap();
        let proc = common::Listening::start(
            &["server", "--dev-oidc", "--addr", addr, "--data-dir", d],
            &[],
        );
        Self {
            url: proc.url.clone(),
            proc,
            dir: dir.to_path_buf(),
        }
    }

    fn token(&self, extra: &[&str]) -> String {
        self.token_for("alice@example.com", extra)
    }

    fn token_for(&self, subject: &str, extra: &[&str]) -> String {
        let mut args = vec!["oidc", "token", "--subject", subject];
        args.extend_from_slice(extra);
        let o = self.signet(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }

    fn signet(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(args)
            .env("SIGNET_DATA_DIR", &self.dir)
            .env_remove("SIGNET_TRUST_CONFIG")
            .env("XDG_CONFIG_HOME", self.dir.join("no-config"))
            .output()
            .unwrap()
    }

    fn issuer(&self) -> String {
        format!("{}/oidc", self.url)
    }

    fn stop(self) {
        drop(self.proc);
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn fails_with(o: &Output, needle: &str) {
    eprintln!("refused as expected: {}", text(o).trim());
    assert!(!o.status.success(), "expected failure, got: {}", text(o));
    assert!(
        text(o).to_lowercase().contains(&needle.to_lowercase()),
        "expected {needle:?} in: {}",
        text(o)
    );
}

async fn post_cert(url: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{url}/api/v2/signingCert"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

fn pop_body(key: &SigningKey, signed: &str) -> serde_json::Value {
    serde_json::json!({"publicKeyRequest": {
        "publicKey": {"algorithm": "ECDSA", "content": key.public_key().to_pem()},
        "proofOfPossession": b64::encode(key.sign(signed.as_bytes()).unwrap()),
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fulcio_api_issues_and_refuses_like_fulcio() {
    let dir = tempfile::tempdir().unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "127.0.0.1:0");
    let other = Server::start(other_dir.path(), "127.0.0.1:0");
    let key = SigningKey::generate_p256().unwrap();

    // Issued: leaf, intermediate, root; the configuration lists the dev issuer.
    let (st, v) = post_cert(&s.url, &s.token(&[]), pop_body(&key, "alice@example.com")).await;
    assert_eq!(st, 200, "{v}");
    let chain = v["signedCertificateEmbeddedSct"]["chain"]["certificates"]
        .as_array()
        .unwrap();
    assert_eq!(chain.len(), 3);
    // PEM as Fulcio writes it: LF line ends only, every certificate of the chain.
    for c in chain {
        let c = c.as_str().unwrap();
        assert!(c.starts_with("-----BEGIN CERTIFICATE-----\n"), "{c:?}");
        assert!(!c.contains('\r'), "CR in {c:?}");
    }
    let leaf = signet_x509::Certificate::from_pem(chain[0].as_str().unwrap()).unwrap();
    assert_eq!(leaf.spki_der(), key.public_key().spki_der());
    assert_eq!(leaf.oidc_issuer().as_deref(), Some(s.issuer().as_str()));
    let cfg: serde_json::Value = reqwest::get(format!("{}/api/v2/configuration", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cfg["issuers"][0]["issuerUrl"], s.issuer());
    let tb: serde_json::Value = reqwest::get(format!("{}/api/v2/trustBundle", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tb["chains"][0]["certificates"].as_array().unwrap().len(), 2);
    let sth: serde_json::Value = reqwest::get(format!("{}/ct/v1/get-sth", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sth["tree_size"], 1);

    // Refusals, each a 400 with Fulcio's body; token refusals say why after Fulcio's message.
    let token_err = |why: &str| format!("There was an error processing the identity token: {why}");
    let good = s.token(&[]);
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let cases: Vec<(&str, String, serde_json::Value, String)> = vec![
        (
            "expired",
            s.token(&["--ttl=-120"]),
            pop_body(&key, "alice@example.com"),
            token_err("token has expired"),
        ),
        (
            "wrong audience",
            s.token(&["--audience", "other"]),
            pop_body(&key, "alice@example.com"),
            token_err("token audience does not contain the expected client id"),
        ),
        (
            "unknown issuer",
            other.token(&[]),
            pop_body(&key, "alice@example.com"),
            token_err(&format!("failed to match issuer URL {}", other.issuer())),
        ),
        (
            "no email for the email issuer",
            s.token_for("alice", &[]),
            pop_body(&key, "alice"),
            token_err("token lacks required claim email"),
        ),
        (
            "alg none",
            {
                let h = b64::encode(br#"{"alg":"none","typ":"JWT"}"#)
                    .replace('=', "")
                    .replace('+', "-")
                    .replace('/', "_");
                format!("{h}.{}.", parts[1])
            },
            pop_body(&key, "alice@example.com"),
            token_err("unsupported token signature algorithm"),
        ),
        (
            "forged payload",
            {
                let p = b64::encode(format!(r#"{{"iss":"{}","sub":"mallory@example.com","aud":"sigstore","exp":99999999999,"iat":1,"email":"mallory@example.com","email_verified":true}}"#, s.issuer())).replace('=', "").replace('+', "-").replace('/', "_");
                parts[1] = p;
                parts.join(".")
            },
            pop_body(&key, "mallory@example.com"),
            token_err("token signature is invalid"),
        ),
        (
            "proof over another identity",
            good.clone(),
            pop_body(&key, "bob@example.com"),
            "The signature supplied in the request could not be verified".into(),
        ),
        (
            "malformed CSR",
            good.clone(),
            serde_json::json!({"certificateSigningRequest": b64::encode(b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n")}),
            "The certificate signing request could not be parsed".into(),
        ),
        (
            "garbage key",
            good.clone(),
            serde_json::json!({"publicKeyRequest": {"publicKey": {"content": "not a key"}, "proofOfPossession": "AAAA"}}),
            "The public key supplied in the request could not be parsed".into(),
        ),
    ];
    for (name, token, body, want) in cases {
        let (st, v) = post_cert(&s.url, &token, body).await;
        assert_eq!(st, 400, "{name}: {v}");
        assert_eq!(v["code"], 3, "{name}: {v}");
        let m = v["message"].as_str().unwrap();
        assert!(m.starts_with(&want), "{name}: {m:?} (expected {want:?}…)");
        assert_eq!(v["details"], serde_json::json!([]), "{name}");
    }
    s.stop();
    other.stop();
}

#[test]
fn sign_blob_and_every_verify_failure() {
    let dir = tempfile::tempdir().unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "127.0.0.1:0");
    let work = tempfile::tempdir().unwrap();
    let art = work.path().join("kubectl");
    std::fs::write(&art, b"release artifact bytes").unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    let art_s = art.to_str().unwrap().to_string();
    let tok = s.token(&[]);
    let o = s.signet(&[
        "sign-blob",
        &art_s,
        "--identity-token",
        &tok,
        "--output-signature",
        &p("kubectl.sig"),
        "--output-certificate",
        &p("kubectl.cert"),
        "--bundle",
        &p("kubectl.sigstore.json"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // .cert is base64 of PEM, .sig base64 of DER.
    let cert = String::from_utf8(
        b64::decode(std::fs::read_to_string(p("kubectl.cert")).unwrap().trim()).unwrap(),
    )
    .unwrap();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(!cert.contains('\r'), "CR in .cert: {cert:?}");
    assert_eq!(
        b64::decode(std::fs::read_to_string(p("kubectl.sig")).unwrap().trim()).unwrap()[0],
        0x30
    );

    let issuer = s.issuer();
    let verify = |extra: &[&str]| {
        let mut a = vec!["verify-blob", "--rekor-url", &s.url];
        a.extend_from_slice(extra);
        s.signet(&a)
    };
    let ok = [
        art_s.as_str(),
        "--signature",
        &p("kubectl.sig"),
        "--certificate",
        &p("kubectl.cert"),
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &issuer,
    ];
    let o = verify(&ok);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("tlog entry verified with uuid: "),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("Verified OK"));
    // Plain PEM and DER certificates are accepted too.
    std::fs::write(p("kubectl.pem"), &cert).unwrap();
    let o = verify(&[
        art_s.as_str(),
        "--signature",
        &p("kubectl.sig"),
        "--certificate",
        &p("kubectl.pem"),
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &issuer,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // Offline with the bundle: no network (the server is not even asked).
    let o = s.signet(&[
        "verify-blob",
        &art_s,
        "--bundle",
        &p("kubectl.sigstore.json"),
        "--offline",
        "--rekor-url",
        "http://127.0.0.1:9",
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &issuer,
    ]);
    assert!(o.status.success(), "{}", text(&o));

    // Wrong identity, wrong issuer (exact and regexp).
    let mut a = ok.to_vec();
    a[6] = "mallory@example.com";
    fails_with(&verify(&a), "identit");
    let mut a = ok.to_vec();
    a[8] = "https://accounts.google.com";
    fails_with(&verify(&a), "issuer");
    let o = verify(&[
        art_s.as_str(),
        "--signature",
        &p("kubectl.sig"),
        "--certificate",
        &p("kubectl.cert"),
        "--certificate-identity-regexp",
        "^alice@",
        "--certificate-oidc-issuer-regexp",
        "^https://github",
    ]);
    fails_with(&o, "issuer");
    // Tampered file.
    std::fs::write(p("tampered"), b"release artifact bytes!").unwrap();
    let mut a = ok.to_vec();
    let t = p("tampered");
    a[0] = &t;
    fails_with(&verify(&a), "signature");
    // Tampered signature.
    let mut sig = b64::decode(std::fs::read_to_string(p("kubectl.sig")).unwrap().trim()).unwrap();
    let n = sig.len();
    sig[n - 2] ^= 0x01;
    std::fs::write(p("bad.sig"), b64::encode(&sig)).unwrap();
    let mut a = ok.to_vec();
    let bs = p("bad.sig");
    a[2] = &bs;
    fails_with(&verify(&a), "signature");
    // A URL that 404s.
    let missing = format!("{}/releases/kubectl.sig", s.url);
    let mut a = ok.to_vec();
    a[2] = &missing;
    fails_with(&verify(&a), "404");

    // A certificate from another CA: signed on a second instance, verified against ours.
    let other = Server::start(other_dir.path(), "127.0.0.1:0");
    let otok = other.token(&[]);
    let o = other.signet(&[
        "sign-blob",
        &art_s,
        "--identity-token",
        &otok,
        "--bundle",
        &p("other.sigstore.json"),
        "--output-signature",
        &p("other.sig"),
        "--output-certificate",
        &p("other.cert"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = s.signet(&[
        "verify-blob",
        &art_s,
        "--bundle",
        &p("other.sigstore.json"),
        "--offline",
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &other.issuer(),
    ]);
    fails_with(&o, "not in the trusted root");
    // Its entry is not in our log either.
    let o = verify(&[
        art_s.as_str(),
        "--signature",
        &p("other.sig"),
        "--certificate",
        &p("other.cert"),
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &other.issuer(),
    ]);
    fails_with(&o, "no entry");
    other.stop();

    // Log key rotated: the log is re-created with a new key; old bundles no longer verify
    // against the new trust root, and the old entry is missing from the new log.
    let addr = s.url.trim_start_matches("http://").to_string();
    let data = s.dir.clone();
    s.stop();
    std::fs::remove_dir_all(data.join("log")).unwrap();
    let s2 = Server::start(&data, &addr);
    let o = s2.signet(&[
        "verify-blob",
        &art_s,
        "--bundle",
        &p("kubectl.sigstore.json"),
        "--offline",
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &issuer,
    ]);
    fails_with(&o, "not in the trusted root");
    let o = s2.signet(&[
        "verify-blob",
        "--rekor-url",
        &s2.url,
        &art_s,
        "--signature",
        &p("kubectl.sig"),
        "--certificate",
        &p("kubectl.cert"),
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &issuer,
    ]);
    fails_with(&o, "no entry");
    s2.stop();
}

/// A certificate that had expired before its log entry was integrated: the only verified time
/// (the integrated time, under the SET) is outside the certificate's ten minutes, so
/// verification must fail even though every signature is valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_expired_at_integration_time_is_refused() {
    use signet_ca::fulcio::CtSubmitter;
    use signet_server::ca::InProcessCt;
    use signet_trust::{
        CertificateAuthority, TimeRange, TransparencyLog as TLog, TrustedKey, TrustedRoot,
    };
    use signet_types::UnixSeconds;
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let an_hour_ago = now - time::Duration::hours(1);
    let (ca, _, _) =
        signet_ca::CaChain::generate("expiry test", an_hour_ago - time::Duration::minutes(5))
            .unwrap();
    let clock = std::sync::Arc::new(signet_log::SystemClock);
    let ct = signet_ct::CtLog::open(
        &signet_log::Backend::Embedded,
        &dir.path().join("ct"),
        vec![ca.root().clone()],
        clock.clone(),
    )
    .await
    .unwrap();
    let store = signet_log::SqliteStore::open(&dir.path().join("log"))
        .await
        .unwrap();
    let log = signet_log::TransparencyLog::open(
        store,
        &dir.path().join("log"),
        signet_log::LogConfig::new("t"),
        clock,
    )
    .await
    .unwrap();

    // Issued an hour ago (valid for ten minutes), logged now.
    let key = SigningKey::generate_p256().unwrap();
    let identity = signet_ca::Identity {
        san: signet_ca::LeafSan::Email("alice@example.com".into()),
        extensions: vec![
            (
                "1.3.6.1.4.1.57264.1.1".into(),
                signet_ca::ExtValue::Raw("https://issuer.example".into()),
            ),
            (
                "1.3.6.1.4.1.57264.1.8".into(),
                signet_ca::ExtValue::Utf8("https://issuer.example".into()),
            ),
        ],
    };
    let pending = ca
        .precertificate(key.public_key().spki_der(), &identity, an_hour_ago)
        .unwrap();
    let ct = std::sync::Arc::new(ct);
    let scts = InProcessCt(ct.clone())
        .add_pre_chain(ca.ct_chain(&pending))
        .await
        .unwrap();
    let leaf = ca.finish(pending, &scts).unwrap();
    let leaf_pem = pem::encode(&pem::Pem::new("CERTIFICATE", leaf.clone()));
    let artifact = b"an artifact signed with an expired certificate";
    let digest = signet_crypto::sha256(artifact);
    let sig = key.sign_sha256_digest(&digest).unwrap();
    let proposed = signet_rekor::proposed_hashedrekord(&sig, &leaf_pem, &digest.to_hex());
    let (_, entry) = log
        .add(&serde_json::to_vec(&proposed).unwrap())
        .await
        .unwrap();
    let verified = signet_client::verify_entry(&entry, log.public_key()).unwrap();
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": b64::encode(&leaf)},
            "tlogEntries": [signet_client::bundle_tlog_entry(&verified).unwrap()],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64::encode(digest.as_bytes())},
            "signature": b64::encode(&sig),
        },
    });
    let root = TrustedRoot {
        tlogs: vec![TLog {
            base_url: "http://127.0.0.1".into(),
            log_id: log.public_key().key_id().as_bytes().to_vec(),
            key: TrustedKey::Usable(log.public_key().clone()),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: TimeRange {
                start: Some(UnixSeconds(0)),
                end: None,
            },
        }],
        ctlogs: vec![TLog {
            base_url: "http://127.0.0.1".into(),
            log_id: ct.log_id().as_bytes().to_vec(),
            key: TrustedKey::Usable(ct.public_key().clone()),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: TimeRange {
                start: Some(UnixSeconds(0)),
                end: None,
            },
        }],
        certificate_authorities: vec![CertificateAuthority {
            subject: None,
            uri: "http://127.0.0.1".into(),
            chain: vec![ca.intermediate().der().to_vec(), ca.root().der().to_vec()],
            valid_for: TimeRange {
                start: Some(UnixSeconds(0)),
                end: None,
            },
        }],
        timestamp_authorities: vec![],
    };
    let w = dir.path();
    std::fs::write(w.join("trusted_root.json"), root.to_json().unwrap()).unwrap();
    std::fs::write(w.join("a.sigstore.json"), bundle.to_string()).unwrap();
    std::fs::write(w.join("a"), artifact).unwrap();
    let run = |bundle_json: &str| {
        std::fs::write(w.join("b.sigstore.json"), bundle_json).unwrap();
        Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(["verify-blob", "--offline", "--trusted-root"])
            .arg(w.join("trusted_root.json"))
            .arg("--bundle")
            .arg(w.join("b.sigstore.json"))
            .args([
                "--certificate-identity",
                "alice@example.com",
                "--certificate-oidc-issuer",
                "https://issuer.example",
            ])
            .arg(w.join("a"))
            .output()
            .unwrap()
    };
    let o = run(&bundle.to_string());
    fails_with(&o, "is not valid at");
    // Claiming an earlier integrated time breaks the SET instead.
    let mut forged = bundle.clone();
    let t = forged["verificationMaterial"]["tlogEntries"][0]["integratedTime"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    forged["verificationMaterial"]["tlogEntries"][0]["integratedTime"] =
        serde_json::json!((t - 3600).to_string());
    let o = run(&forged.to_string());
    fails_with(&o, "");
}

/// `signet trust URL` fetches an instance's trust config once; afterwards signing and
/// verification need no trust flags and no data directory.
#[test]
fn trust_an_instance_from_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "127.0.0.1:0");
    let token = s.token(&[]);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(args)
            .env_remove("SIGNET_DATA_DIR")
            .env_remove("SIGNET_TRUST_CONFIG")
            .env("XDG_CONFIG_HOME", home.path())
            .output()
            .unwrap()
    };
    let art = home.path().join("a.txt");
    std::fs::write(&art, b"trusted from a URL").unwrap();
    let a = art.to_str().unwrap();
    let b = format!("{a}.sigstore.json");
    // Before trusting: keyless signing has nothing to check the certificate against.
    let o = run(&["sign-blob", a, "--identity-token", &token, "--bundle", &b]);
    fails_with(&o, "trust config");
    let o = run(&["trust", &s.url]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(home.path().join("signet/trust_config.json").is_file());
    let o = run(&["sign-blob", a, "--identity-token", &token, "--bundle", &b]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&[
        "verify-blob",
        a,
        "--bundle",
        &b,
        "--offline",
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        &s.issuer(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // A URL that is not a signet instance is refused clearly.
    let o = run(&["trust", &format!("{}/nothing-here", s.url)]);
    fails_with(&o, "404");
    s.stop();
}

/// A GitHub workflow identity from the development issuer, end to end as release pipelines use
/// it: `oidc token --subject <workflow URI>` mints a GitHub-Actions-shaped token from the
/// `<url>/oidc/ci` issuer, the CA issues a certificate with the workflow URI as SAN and GitHub's
/// extensions, and `verify-blob --certificate-identity-regexp` accepts it for that repository
/// and refuses it for another.
#[test]
fn workflow_identity_sign_and_verify_with_regexp() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "127.0.0.1:0");
    let work = tempfile::tempdir().unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("kubectl"), b"release artifact bytes").unwrap();
    let wf = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main";
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let tok = s.token_for(wf, &["--sha", sha]);
    let claims = signet_oidc::unverified_claims(&tok).unwrap();
    let ci_issuer = format!("{}/ci", s.issuer());
    assert_eq!(claims.get("iss").unwrap(), ci_issuer.as_str());
    assert_eq!(
        claims.get("sub").unwrap(),
        "repo:org/repo:ref:refs/heads/main"
    );
    let o = s.signet(&[
        "sign-blob",
        &p("kubectl"),
        "--identity-token",
        &tok,
        "--bundle",
        &p("kubectl.sigstore.json"),
        "--output-signature",
        &p("kubectl.sig"),
        "--output-certificate",
        &p("kubectl.cert"),
    ]);
    assert!(o.status.success(), "{}", text(&o));

    // The certificate Fulcio would issue for GitHub Actions (but for the issuer URL).
    let pem = b64::decode(std::fs::read_to_string(p("kubectl.cert")).unwrap().trim()).unwrap();
    let leaf = signet_x509::Certificate::from_pem(std::str::from_utf8(&pem).unwrap()).unwrap();
    let sans: Vec<String> = leaf
        .san_identities()
        .iter()
        .map(|s| s.value().to_string())
        .collect();
    assert_eq!(sans, [wf]);
    let ext = leaf.fulcio_extensions().unwrap();
    assert_eq!(ext.issuer.as_deref(), Some(ci_issuer.as_str()));
    assert_eq!(ext.github_workflow_repository.as_deref(), Some("org/repo"));
    assert_eq!(ext.github_workflow_sha.as_deref(), Some(sha));
    assert_eq!(ext.build_signer_uri.as_deref(), Some(wf));
    assert_eq!(
        ext.source_repository_uri.as_deref(),
        Some("https://github.com/org/repo")
    );
    assert_eq!(
        ext.source_repository_ref.as_deref(),
        Some("refs/heads/main")
    );

    let (art, bundle, sig, cert) = (
        p("kubectl"),
        p("kubectl.sigstore.json"),
        p("kubectl.sig"),
        p("kubectl.cert"),
    );
    let verify = |regexp: &str, issuer: &str, offline: bool| {
        let mut a = vec!["verify-blob", art.as_str()];
        if offline {
            a.extend(["--bundle", &bundle, "--offline"]);
        } else {
            a.extend([
                "--rekor-url",
                &s.url,
                "--signature",
                &sig,
                "--certificate",
                &cert,
            ]);
        }
        a.extend([
            "--certificate-identity-regexp",
            regexp,
            "--certificate-oidc-issuer",
            issuer,
        ]);
        s.signet(&a)
    };
    for offline in [true, false] {
        let o = verify("^https://github.com/org/repo/", &ci_issuer, offline);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("Verified OK"), "{}", text(&o));
        fails_with(
            &verify("^https://github.com/org/other/", &ci_issuer, offline),
            "identit",
        );
        fails_with(
            &verify("^https://github.com/org/repo/", &s.issuer(), offline),
            "issuer",
        );
    }

    // Only GitHub workflow URIs are URI identities of the development issuer.
    let o = s.signet(&["oidc", "token", "--subject", "https://example.com/ci/job"]);
    fails_with(&o, "GitHub workflows only");
    let o = s.signet(&[
        "oidc",
        "token",
        "--subject",
        "https://github.com/org/repo/.github/workflows/release.yml",
    ]);
    fails_with(&o, "has no @REF");
    s.stop();
}
