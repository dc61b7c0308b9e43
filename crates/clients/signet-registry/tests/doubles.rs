//! signet-registry against scripted loopback servers, for what distribution 2.8.2 cannot
//! show: a registry WITH the referrers API (2.8.2 answers `GET /referrers` with a plain-text
//! 404 and never sends `OCI-Subject`), Bearer tokens, redirects to another host, hostile
//! sizes, server errors and garbage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::{Answer, Double, image, plain_client};
use signet_oci::manifest::Artifact;
use signet_oci::manifest::{fallback_index_add, referrer_manifest, referrers_tag};
use signet_oci::media::{MAX_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use signet_oci::{Descriptor, ImageDigest, ImageRef};
use signet_registry::{RegistryClient, RegistryError, RegistryOptions};
use signet_testkit::hostile_http::{HostileServer, Reply};

const SUBJECT: &str = "sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764";

fn subject() -> Descriptor {
    signet_oci::manifest::descriptor(OCI_MANIFEST, 500, &ImageDigest::parse(SUBJECT).unwrap())
        .unwrap()
}

fn with_creds() -> RegistryClient {
    RegistryClient::new(RegistryOptions {
        allow_http: true,
        credentials: Some(("alice".into(), "s3cret".into())),
        ..Default::default()
    })
    .unwrap()
}

/// A registry double with a referrers API: stores manifests PUT by digest, answers
/// `OCI-Subject` (unless `send_subject` is false), lists referrers on two pages (`Link`), and
/// answers the zero-digest probe with an index only when `api` is true. Blob uploads get a
/// relative `Location` that already has a query.
async fn referrers_double(api: bool, send_subject: bool) -> Double {
    let stored: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let tags: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>> = Arc::default();
    let refused_once = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let etag = |b: &[u8]| format!("\"{}\"", ImageDigest::of(b));
    Double::start(move |req| {
        let path = req.target.split('?').next().unwrap().to_string();
        let index_of = |entries: &[Vec<u8>]| {
            let mut index: Option<Vec<u8>> = None;
            for bytes in entries {
                let a = signet_oci::manifest::Artifact {
                    media_type: OCI_MANIFEST.into(),
                    digest: ImageDigest::of(bytes),
                    bytes: bytes.clone(),
                    blobs: vec![],
                };
                let d = signet_oci::manifest::referrer_descriptor(&a).unwrap();
                index = fallback_index_add(index.as_deref(), &d).unwrap().or(index);
            }
            index.unwrap_or_else(|| {
                br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#
                    .to_vec()
            })
        };
        match (req.method.as_str(), path.as_str()) {
            ("HEAD", p) if p.starts_with("/v2/app/blobs/sha256:") => Answer::new(404),
            ("POST", "/v2/app/blobs/uploads/") => {
                Answer::new(202).header("Location", "/v2/app/blobs/uploads/u1?_state=abc")
            }
            ("PUT", "/v2/app/blobs/uploads/u1") => {
                assert!(req.target.contains("?_state=abc&digest=sha256%3A"), "{}", req.target);
                Answer::new(201)
            }
            ("PUT", p) if p.starts_with("/v2/app/manifests/sha256:") => {
                let d = ImageDigest::of(&req.body).to_string();
                assert_eq!(p, format!("/v2/app/manifests/{d}"));
                stored.lock().unwrap().push(req.body.clone());
                let a = Answer::new(201).header("Docker-Content-Digest", &d);
                if send_subject { a.header("OCI-Subject", SUBJECT) } else { a }
            }
            // Tags (the fallback index): kept apart from the referrers.
            // ETags are honoured here (unlike distribution 2.8.2), and the first conditional
            // PUT is refused with 412 as if another writer had just won.
            ("PUT", p) if p.starts_with("/v2/app/manifests/sha256-") => {
                let mut tags = tags.lock().unwrap();
                let current = tags.get(p).map(|b| etag(b));
                if let Some(m) = req.header("if-match") {
                    let first = !refused_once.swap(true, std::sync::atomic::Ordering::SeqCst);
                    if first || Some(m.to_string()) != current {
                        return Answer::new(412);
                    }
                }
                tags.insert(p.to_string(), req.body.clone());
                Answer::new(201)
            }
            ("GET", p) if p.starts_with("/v2/app/manifests/sha256-") => {
                match tags.lock().unwrap().get(p) {
                    Some(b) => Answer::new(200)
                        .header("ETag", &etag(b))
                        .body(OCI_INDEX, b.clone()),
                    None => Answer::new(404),
                }
            }
            ("GET", p) if p.starts_with("/v2/app/referrers/sha256:0000") => {
                if api {
                    Answer::new(200).body(OCI_INDEX, index_of(&[]))
                } else {
                    Answer::new(404).body("text/plain", "404 page not found")
                }
            }
            ("GET", p) if api && p == format!("/v2/app/referrers/{SUBJECT}") => {
                let all = stored.lock().unwrap().clone();
                let (first, rest) = all.split_at(all.len().min(1));
                if req.target.contains("page=2") {
                    Answer::new(200).body(OCI_INDEX, index_of(rest))
                } else {
                    Answer::new(200)
                        .header("Link", &format!("<{p}?page=2>; rel=\"next\""))
                        .body(OCI_INDEX, index_of(first))
                }
            }
            _ => Answer::new(404).body("text/plain", "404 page not found"),
        }
    })
    .await
}

/// Attaches two referrers (annotation `a=1`) to [`SUBJECT`] in `reg`'s repository `app`;
/// returns the client, the image, the two referrers and the fallback tag's path.
async fn attach_two(reg: &Double) -> (RegistryClient, ImageRef, [Artifact; 2], String) {
    let c = plain_client();
    let img = image(&reg.host, &format!("app@{SUBJECT}"));
    let ann: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
    let one = referrer_manifest(&subject(), b"{\"b\":1}", &ann).unwrap();
    let two = referrer_manifest(&subject(), b"{\"b\":2}", &ann).unwrap();
    c.attach_referrer(&img, &one).await.unwrap();
    c.attach_referrer(&img, &two).await.unwrap();
    let fallback = format!(
        "/v2/app/manifests/{}",
        referrers_tag(&ImageDigest::parse(SUBJECT).unwrap())
    );
    (c, img, [one, two], fallback)
}

#[tokio::test]
async fn registry_with_a_referrers_api() {
    let reg = referrers_double(true, true).await;
    let (c, img, [one, two], fallback) = attach_two(&reg).await;
    // The registry took the subject and serves the API: no fallback tag is read or written.
    let seen = reg.seen();
    assert!(!seen.iter().any(|r| r.target == fallback), "{seen:?}");
    // Blobs went through POST + PUT to the relative Location (query kept).
    assert_eq!(seen.iter().filter(|r| r.method == "POST").count(), 4);
    // Both pages are read.
    let listed = c.referrers(&img).await.unwrap();
    let digests: Vec<String> = listed.iter().map(|d| d.digest().to_string()).collect();
    assert_eq!(digests, [one.digest.to_string(), two.digest.to_string()]);
    assert_eq!(listed[0].annotations().as_ref().unwrap()["a"], "1");
    assert!(reg.seen().iter().any(|r| r.target.ends_with("?page=2")));
}

#[tokio::test]
async fn oci_subject_without_a_referrers_api_still_gets_the_fallback_index() {
    // Like ECR: `OCI-Subject` comes back but the API does not answer.
    let reg = referrers_double(false, true).await;
    let (c, img, [one, two], fallback) = attach_two(&reg).await;
    // The zero-digest probe failed, so the fallback index was written, and it is what
    // `referrers` reads (the API answers 404 here).
    let seen = reg.seen();
    let puts: Vec<_> = seen
        .iter()
        .filter(|r| r.method == "PUT" && r.target == fallback)
        .collect();
    // The first index was new (no If-Match); the second update sent the ETag read, got 412
    // once, read again and sent the fresh ETag.
    assert_eq!(puts.len(), 3, "{puts:?}");
    assert_eq!(puts[0].header("if-match"), None);
    let first = format!("\"{}\"", ImageDigest::of(&puts[0].body));
    assert_eq!(puts[1].header("if-match"), Some(first.as_str()));
    assert_eq!(puts[2].header("if-match"), Some(first.as_str()));
    assert_eq!(
        common::referrer_digests(&c, &img).await,
        [one.digest.to_string(), two.digest.to_string()]
    );
}

#[tokio::test]
async fn bearer_tokens_are_fetched_with_credentials_scoped_and_cached() {
    let token_hits = Arc::new(Mutex::new(Vec::new()));
    let hits = token_hits.clone();
    let reg = Arc::new(Mutex::new(String::new()));
    let realm_host = reg.clone();
    let double = Double::start(move |req| {
        if req.target.starts_with("/token") {
            hits.lock().unwrap().push((
                req.target.clone(),
                req.header("authorization").map(str::to_string),
            ));
            return Answer::new(200).body("application/json", r#"{"access_token":"tok-1"}"#);
        }
        if req.header("authorization") != Some("Bearer tok-1") {
            let realm = format!("http://{}/token", realm_host.lock().unwrap());
            return Answer::new(401).header(
                "WWW-Authenticate",
                &format!(
                    r#"Bearer realm="{realm}",service="double",scope="repository:team/app:pull""#
                ),
            );
        }
        Answer::new(200)
            .header("Docker-Content-Digest", SUBJECT)
            .header("Content-Type", OCI_MANIFEST)
            .body(OCI_MANIFEST, vec![b' '; 500])
    })
    .await;
    *reg.lock().unwrap() = double.host.clone();
    let c = with_creds();
    let img = image(&double.host, "team/app:v1");
    let d = c.resolve(&img).await.unwrap();
    assert_eq!(d.digest().to_string(), SUBJECT);
    c.resolve(&img).await.unwrap();
    let hits = token_hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 1, "the token is cached: {hits:?}");
    let (target, auth) = &hits[0];
    assert_eq!(
        target,
        "/token?service=double&scope=repository%3Ateam%2Fapp%3Apull"
    );
    // alice:s3cret
    assert_eq!(auth.as_deref(), Some("Basic YWxpY2U6czNjcmV0"));
}

#[tokio::test]
async fn authorization_is_not_forwarded_on_a_redirect_to_another_host() {
    let bytes = b"blob bytes".to_vec();
    let digest = ImageDigest::of(&bytes);
    let storage_auth = Arc::new(Mutex::new(Vec::new()));
    let seen = storage_auth.clone();
    let served = bytes.clone();
    let storage = Double::start(move |req| {
        seen.lock()
            .unwrap()
            .push(req.header("authorization").map(str::to_string));
        Answer::new(200).body("application/octet-stream", served.clone())
    })
    .await;
    let to = format!("http://{}/storage/blob", storage.host);
    let registry = Double::start(move |req| {
        if req.header("authorization") != Some("Basic YWxpY2U6czNjcmV0") {
            return Answer::new(401).header("WWW-Authenticate", r#"Basic realm="r""#);
        }
        Answer::new(307).header("Location", &to)
    })
    .await;
    let img = image(&registry.host, "app:v1");
    let got = with_creds().blob(&img, &digest, 1024).await.unwrap();
    assert_eq!(got, bytes);
    // The registry got the credentials; the storage host (another port) did not.
    assert!(
        registry
            .seen()
            .iter()
            .any(|r| r.header("authorization").is_some())
    );
    assert_eq!(*storage_auth.lock().unwrap(), vec![None]);
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let hostile = HostileServer::start(vec![
        (
            "/v2/big/manifests/endless",
            Reply::Endless {
                stop_after: 64 << 20,
            },
        ),
        ("/v2/big/manifests/claims", Reply::Claims(MAX_MANIFEST + 1)),
        (
            &format!("/v2/big/referrers/{SUBJECT}"),
            Reply::Endless {
                stop_after: 64 << 20,
            },
        ),
    ])
    .await
    .unwrap();
    let host = hostile.url.trim_start_matches("http://").to_string();
    let c = plain_client();
    let err = c
        .manifest(&image(&host, "big:endless"), &[])
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("larger than the limit of 4194304 bytes"),
        "{err}"
    );
    assert!(err.to_string().contains("big:endless"), "{err}");
    assert!(
        hostile.sent() < 32 << 20,
        "read on after the limit: {}",
        hostile.sent()
    );
    let err = c
        .manifest(&image(&host, "big:claims"), &[])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("larger than the limit"), "{err}");
    let err = c
        .referrers(&image(&host, &format!("big@{SUBJECT}")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("larger than the limit"), "{err}");
}

#[tokio::test]
async fn server_errors_and_garbage_are_clear_errors() {
    let double = Double::start(|req| match req.target.as_str() {
        "/v2/app/manifests/v1" => Answer::new(500).body(
            "application/json",
            r#"{"errors":[{"code":"UNKNOWN","message":"disk on fire\nreally"}]}"#,
        ),
        // By digest, but other bytes.
        p if p == format!("/v2/app/manifests/{SUBJECT}") => {
            Answer::new(200).body(OCI_MANIFEST, "{\"schemaVersion\":2}")
        }
        // The fallback tag holds garbage that claims to be an index.
        p if p.starts_with("/v2/app/manifests/sha256-") => {
            Answer::new(200).body(OCI_INDEX, "<html>oops</html>")
        }
        "/v2/tok/manifests/v1" => Answer::new(401).header(
            "WWW-Authenticate",
            &format!(
                r#"Bearer realm="http://{}/token""#,
                req.header("host").unwrap()
            ),
        ),
        p if p.starts_with("/token?") => Answer::new(200).body("text/html", "<html>login</html>"),
        _ => Answer::new(404).body("text/plain", "404 page not found"),
    })
    .await;
    let c = plain_client();
    let h = &double.host;
    let err = c.resolve(&image(h, "app:v1")).await.unwrap_err();
    assert!(
        matches!(err, RegistryError::Status { status: 500, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("app:v1") && msg.contains("UNKNOWN disk on fire really"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
    let by_digest = image(h, &format!("app@{SUBJECT}"));
    let err = c.manifest(&by_digest, &[]).await.unwrap_err();
    assert!(err.to_string().contains("whose digest is sha256:"), "{err}");
    let err = c.referrers(&by_digest).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("app:sha256-2f0249eb") && msg.contains("not JSON"),
        "{msg}"
    );
    let err = c.resolve(&image(h, "tok:v1")).await.unwrap_err();
    assert!(matches!(err, RegistryError::Auth { .. }), "{err}");
    assert!(
        err.to_string().contains("the token answer is not JSON"),
        "{err}"
    );
    // Nothing listens: a transport error naming the URL.
    let err = c
        .resolve(&image("127.0.0.1:1", "app:v1"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("127.0.0.1:1/v2/app/manifests/v1"),
        "{err}"
    );
}

#[tokio::test]
async fn resolve_hashes_the_manifest_when_head_has_no_digest() {
    let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
    let digest = ImageDigest::of(body);
    let double = Double::start(
        move |req| match (req.method.as_str(), req.target.as_str()) {
            // No Docker-Content-Digest on HEAD (some registries and proxies drop it).
            ("HEAD", _) => Answer::new(200).body(OCI_MANIFEST, body.to_vec()),
            ("GET", "/v2/app/manifests/v1") => Answer::new(200).body(OCI_MANIFEST, body.to_vec()),
            // By digest, the HEAD claims another digest: the GET shows the bytes do not match.
            ("GET", _) => Answer::new(200).body(OCI_MANIFEST, b"{}".to_vec()),
            _ => Answer::new(404),
        },
    )
    .await;
    let c = plain_client();
    let d = c.resolve(&image(&double.host, "app:v1")).await.unwrap();
    assert_eq!(d.digest().to_string(), digest.to_string());
    assert_eq!(d.size(), body.len() as u64);
    assert_eq!(d.media_type().as_ref(), OCI_MANIFEST);
    let gets = double.seen().iter().filter(|r| r.method == "GET").count();
    assert_eq!(gets, 1);
    let err = c
        .resolve(&image(&double.host, &format!("app@{SUBJECT}")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("whose digest is"), "{err}");
}

#[tokio::test]
async fn an_expired_token_is_replaced_once_and_a_403_is_an_auth_error() {
    let issued = Arc::new(Mutex::new(0u32));
    let n = issued.clone();
    let realm = Arc::new(Mutex::new(String::new()));
    let r = realm.clone();
    let double = Double::start(move |req| {
        if req.target.starts_with("/token") {
            let mut n = n.lock().unwrap();
            *n += 1;
            return Answer::new(200).body("application/json", format!(r#"{{"token":"tok-{n}"}}"#));
        }
        if req.target.starts_with("/v2/denied/") {
            return Answer::new(403).body("application/json", r#"{"errors":[{"code":"DENIED"}]}"#);
        }
        // Only the newest token is valid: the first one "expires" when the second is issued.
        let valid = format!("Bearer tok-{}", n.lock().unwrap());
        if req.header("authorization") != Some(valid.as_str()) || req.target.contains("expire") {
            let realm = format!("http://{}/token", r.lock().unwrap());
            return Answer::new(401)
                .header("WWW-Authenticate", &format!(r#"Bearer realm="{realm}""#));
        }
        Answer::new(200)
            .header("Docker-Content-Digest", SUBJECT)
            .body(OCI_MANIFEST, vec![b' '; 10])
    })
    .await;
    *realm.lock().unwrap() = double.host.clone();
    let c = plain_client();
    c.resolve(&image(&double.host, "app:v1")).await.unwrap();
    // The cached token is now stale (a new one will be issued): one new challenge, then OK.
    *issued.lock().unwrap() += 1;
    c.resolve(&image(&double.host, "app:v1")).await.unwrap();
    assert_eq!(*issued.lock().unwrap(), 3);
    // A token that is refused even when fresh: an auth error, not a loop.
    let err = c
        .resolve(&image(&double.host, "expire:v1"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Auth { .. }), "{err}");
    assert!(
        err.to_string().contains("refused anonymous access"),
        "{err}"
    );
    let err = c
        .resolve(&image(&double.host, "denied:v1"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Auth { .. }), "{err}");
    assert!(
        err.to_string().contains("denied:v1") && err.to_string().contains("403"),
        "{err}"
    );
}
