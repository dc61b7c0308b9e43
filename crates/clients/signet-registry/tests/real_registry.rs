//! signet-registry against a real registry: Debian's docker-registry (distribution 2.8.2) with
//! htpasswd authentication, started per test on a free loopback port (signet-testkit). It has
//! no referrers API, never sends `OCI-Subject` and ignores `If-Match`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{client, image, plain_client};
use signet_oci::manifest::{
    LegacyLayer, TagKind, index_children, legacy_layers, legacy_tag, referrer_manifest,
    referrers_tag, sample_image,
};
use signet_oci::media::{BUNDLE_V03, OCI_INDEX, OCI_MANIFEST, SIMPLE_SIGNING};
use signet_oci::{Descriptor, ImageRef};
use signet_registry::{RegistryClient, RegistryError};
use signet_testkit::TestRegistry;

/// Pushes a sample image to `repo:v1`; returns its reference by digest and its descriptor.
async fn pushed(c: &RegistryClient, host: &str, repo: &str, seed: u64) -> (ImageRef, Descriptor) {
    let tagged = image(host, &format!("{repo}:v1"));
    for a in sample_image(seed, &[]).unwrap() {
        c.push(&tagged, &a, Some("v1")).await.unwrap();
    }
    let d = c.resolve(&tagged).await.unwrap();
    let digest = signet_oci::ImageDigest::parse(d.digest().as_ref()).unwrap();
    (tagged.at_digest(digest), d)
}

fn annotations(n: usize) -> BTreeMap<String, String> {
    [
        ("dev.sigstore.bundle.content", "dsse-envelope".to_string()),
        (
            "dev.sigstore.bundle.predicateType",
            "https://sigstore.dev/cosign/sign/v1".to_string(),
        ),
        (
            "org.opencontainers.image.created",
            format!("2026-12-01T21:16:{n:02}Z"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn legacy(n: usize) -> LegacyLayer {
    LegacyLayer {
        media_type: SIMPLE_SIGNING.into(),
        payload: format!("{{\"payload\":{n}}}").into_bytes(),
        annotations: [(
            "dev.cosignproject.cosign/signature".to_string(),
            format!("sig{n}"),
        )]
        .into(),
    }
}

#[tokio::test]
async fn authentication_is_required_and_checked() {
    let reg = TestRegistry::start().unwrap();
    let img = image(&reg.host, "auth/app:v1");
    // No credentials at all.
    let err = plain_client().resolve(&img).await.unwrap_err();
    assert!(matches!(err, RegistryError::Auth { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&img.to_string()), "{msg}");
    assert!(msg.contains("user name and password"), "{msg}");
    // A wrong password.
    let wrong = RegistryClient::new(signet_registry::RegistryOptions {
        allow_http: true,
        credentials: Some((reg.user.clone(), "wrong".into())),
        ..Default::default()
    })
    .unwrap();
    let err = wrong.resolve(&img).await.unwrap_err();
    assert!(matches!(err, RegistryError::Auth { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("refused the credentials of user \"signet\""),
        "{err}"
    );
    // The right one: authenticated, and the tag is simply missing.
    let err = client(&reg).resolve(&img).await.unwrap_err();
    assert!(matches!(err, RegistryError::NotFound(_)), "{err}");
    assert!(err.to_string().contains("auth/app:v1"), "{err}");
}

/// The docker config (`$DOCKER_CONFIG/config.json`) supplies the credentials: run in a child
/// process, because the environment of this one is shared by the tests running in it.
#[test]
fn docker_config_credentials() {
    let reg = TestRegistry::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Runs the child test with `config` as the docker config and `path` as $PATH.
    let run_in = |config: &str, path: &str| {
        std::fs::write(dir.path().join("config.json"), config).unwrap();
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "docker_config_child", "--nocapture"])
            .env("DOCKER_CONFIG", dir.path())
            .env("SIGNET_TEST_REGISTRY", &reg.host)
            .env("PATH", path)
            .output()
            .unwrap()
    };
    let system_path = std::env::var("PATH").unwrap_or_default();
    let run = |config: &str| run_in(config, &system_path);
    use base64::Engine as _;
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", reg.user, reg.password));
    let good = run(&format!(
        r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#,
        reg.host
    ));
    let out = String::from_utf8_lossy(&good.stdout);
    assert!(good.status.success(), "{out}");
    assert!(out.contains("1 passed"), "{out}");
    // username/password fields, and a wrong password is refused.
    let bad = run(&format!(
        r#"{{"auths":{{"http://{}/":{{"username":"{}","password":"nope"}}}}}}"#,
        reg.host, reg.user
    ));
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("refused the credentials of user"), "{err}");

    // A credential helper (Docker's protocol: `docker-credential-NAME get`, the server on
    // stdin, JSON on stdout), by `credHelpers` for this registry or as `credsStore`.
    let bin = tempfile::tempdir().unwrap();
    let helper = |name: &str, script: &str| {
        let p = bin.path().join(format!("docker-credential-{name}"));
        std::fs::write(&p, script).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    helper(
        "good",
        &format!(
            "#!/bin/sh\nread server\n[ \"$server\" = \"{}\" ] || exit 3\necho '{{\"ServerURL\":\"'$server'\",\"Username\":\"{}\",\"Secret\":\"{}\"}}'\n",
            reg.host, reg.user, reg.password
        ),
    );
    helper(
        "none",
        "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n",
    );
    let path = format!("{}:{system_path}", bin.path().display());
    let run_with = |config: &str| run_in(config, &path);
    let by_host = run_with(&format!(r#"{{"credHelpers":{{"{}":"good"}}}}"#, reg.host));
    assert!(
        by_host.status.success(),
        "{}",
        String::from_utf8_lossy(&by_host.stderr)
    );
    let store = run_with(r#"{"credsStore":"good"}"#);
    assert!(
        store.status.success(),
        "{}",
        String::from_utf8_lossy(&store.stderr)
    );
    // Not found: anonymous, which this registry refuses.
    let none = run_with(r#"{"credsStore":"none"}"#);
    assert!(!none.status.success());
    let missing = run_with(r#"{"credsStore":"missing"}"#);
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("docker-credential-missing"), "{err}");
}

#[tokio::test]
#[ignore = "run by docker_config_credentials with DOCKER_CONFIG set"]
async fn docker_config_child() {
    let host = std::env::var("SIGNET_TEST_REGISTRY").expect("SIGNET_TEST_REGISTRY");
    assert!(std::env::var_os("DOCKER_CONFIG").is_some());
    let c = plain_client();
    let img = image(&host, "dc/app:v1");
    for a in sample_image(3, &[]).unwrap() {
        c.push(&img, &a, Some("v1")).await.unwrap();
    }
    c.resolve(&img).await.unwrap();
}

#[tokio::test]
async fn push_resolve_and_read_back() {
    let reg = TestRegistry::start().unwrap();
    let c = client(&reg);
    // One platform: a manifest.
    let single = sample_image(1, &[]).unwrap();
    let tagged = image(&reg.host, "push/one:v1");
    c.push(&tagged, &single[0], Some("v1")).await.unwrap();
    // Again: the blobs are there (HEAD), the manifest is the same.
    c.push(&tagged, &single[0], Some("v1")).await.unwrap();
    let d = c.resolve(&tagged).await.unwrap();
    assert_eq!(d.digest().to_string(), single[0].digest.to_string());
    assert_eq!(d.media_type().as_ref(), OCI_MANIFEST);
    assert_eq!(d.size(), single[0].bytes.len() as u64);
    let by_digest = tagged.at_digest(single[0].digest);
    assert_eq!(c.resolve(&by_digest).await.unwrap(), d);
    let f = c.manifest(&by_digest, &[]).await.unwrap().unwrap();
    assert_eq!(f.bytes, single[0].bytes);
    assert_eq!(f.media_type, OCI_MANIFEST);
    assert!(f.etag.is_some());
    for b in &single[0].blobs {
        assert_eq!(c.blob(&tagged, &b.digest, 1 << 20).await.unwrap(), b.bytes);
    }
    // A blob larger than the caller's limit is refused.
    let layer = &single[0].blobs[1];
    let err = c.blob(&tagged, &layer.digest, 10).await.unwrap_err();
    assert!(err.to_string().contains("larger than the limit"), "{err}");
    assert!(
        c.manifest(&tagged.at_tag("nope"), &[])
            .await
            .unwrap()
            .is_none()
    );

    // Two platforms: the index last, by tag; the children by digest.
    let p = ["linux/amd64".to_string(), "linux/arm64/v8".to_string()];
    let multi = sample_image(2, &p).unwrap();
    let tagged = image(&reg.host, "push/multi:v2");
    let (top, children) = multi.split_last().unwrap();
    for a in children {
        c.push(&tagged, a, None).await.unwrap();
    }
    c.push(&tagged, top, Some("v2")).await.unwrap();
    let d = c.resolve(&tagged).await.unwrap();
    assert_eq!(d.media_type().as_ref(), OCI_INDEX);
    assert_eq!(d.digest().to_string(), top.digest.to_string());
    let index = c.manifest(&tagged, &[]).await.unwrap().unwrap();
    let listed = index_children(&index.bytes).unwrap();
    assert_eq!(listed.len(), 2);
    for (l, a) in listed.iter().zip(children) {
        let child = tagged.at_digest(signet_oci::ImageDigest::parse(l.digest().as_ref()).unwrap());
        assert_eq!(
            c.manifest(&child, &[]).await.unwrap().unwrap().bytes,
            a.bytes
        );
    }
}

#[tokio::test]
async fn referrers_through_the_fallback_tag() {
    let reg = TestRegistry::start().unwrap();
    let c = client(&reg);
    let (img, subject) = pushed(&c, &reg.host, "ref/app", 5).await;
    // No referrers API on 2.8.2 and no fallback tag yet: none.
    assert!(c.referrers(&img).await.unwrap().is_empty());
    let one = referrer_manifest(&subject, b"{\"bundle\":1}", &annotations(1)).unwrap();
    let two = referrer_manifest(&subject, b"{\"bundle\":2}", &annotations(2)).unwrap();
    c.attach_referrer(&img, &one).await.unwrap();
    c.attach_referrer(&img, &two).await.unwrap();
    c.attach_referrer(&img, &one).await.unwrap(); // listed already: no duplicate
    let listed = c.referrers(&img).await.unwrap();
    assert_eq!(listed.len(), 2);
    for (l, a) in listed.iter().zip([&one, &two]) {
        assert_eq!(l.digest().to_string(), a.digest.to_string());
        assert_eq!(l.artifact_type().as_ref().unwrap().as_ref(), BUNDLE_V03);
        assert_eq!(l.annotations().as_ref().unwrap().len(), 3);
    }
    // The fallback index is a real index at sha256-<hex>, and the referrer is stored by digest
    // byte for byte (with its blobs).
    let digest = *img.digest().unwrap();
    let fallback = img.at_tag(&referrers_tag(&digest));
    let f = c.manifest(&fallback, &[OCI_INDEX]).await.unwrap().unwrap();
    assert_eq!(f.media_type, OCI_INDEX);
    let stored = c
        .manifest(&img.at_digest(one.digest), &[OCI_MANIFEST])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.bytes, one.bytes);
    assert_eq!(
        c.blob(&img, &one.blobs[1].digest, 1024).await.unwrap(),
        b"{\"bundle\":1}"
    );
    // Referrers need a digest.
    let err = c.referrers(&img.at_tag("v1")).await.unwrap_err();
    assert!(err.to_string().contains("needs a digest"), "{err}");
}

#[tokio::test]
async fn legacy_signatures_append_without_duplicates() {
    let reg = TestRegistry::start().unwrap();
    let c = client(&reg);
    let (img, _) = pushed(&c, &reg.host, "legacy/app", 6).await;
    assert!(
        c.append_legacy(&img, TagKind::Signature, &legacy(1))
            .await
            .unwrap()
    );
    assert!(
        c.append_legacy(&img, TagKind::Signature, &legacy(2))
            .await
            .unwrap()
    );
    assert!(
        !c.append_legacy(&img, TagKind::Signature, &legacy(2))
            .await
            .unwrap()
    );
    let digest = *img.digest().unwrap();
    let sig = img.at_tag(&legacy_tag(&digest, TagKind::Signature));
    let m = c.manifest(&sig, &[OCI_MANIFEST]).await.unwrap().unwrap();
    let layers = legacy_layers(&m.bytes).unwrap();
    assert_eq!(layers.len(), 2);
    let payload = c
        .blob(
            &img,
            &signet_oci::ImageDigest::parse(layers[1].digest().as_ref()).unwrap(),
            1024,
        )
        .await
        .unwrap();
    assert_eq!(payload, legacy(2).payload);
    // `.att` is another tag.
    assert!(
        c.append_legacy(&img, TagKind::Attestation, &legacy(1))
            .await
            .unwrap()
    );
    let att = img.at_tag(&legacy_tag(&digest, TagKind::Attestation));
    let m = c.manifest(&att, &[OCI_MANIFEST]).await.unwrap().unwrap();
    assert_eq!(legacy_layers(&m.bytes).unwrap().len(), 1);
}

const WRITERS: usize = 8;

/// distribution 2.8.2 ignores `If-Match`: concurrent read-modify-writes of one tag lose
/// entries unless each writer re-reads and writes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_nothing() {
    let reg = TestRegistry::start().unwrap();
    let c = client(&reg);
    let (img, subject) = pushed(&c, &reg.host, "race/app", 7).await;
    let mut tasks = tokio::task::JoinSet::new();
    let mut digests = Vec::new();
    for n in 0..WRITERS {
        let referrer = referrer_manifest(
            &subject,
            format!("{{\"bundle\":{n}}}").as_bytes(),
            &annotations(n),
        )
        .unwrap();
        digests.push(referrer.digest.to_string());
        // A client each, as separate signers would have.
        let (c, i) = (client(&reg), img.clone());
        tasks.spawn(async move { c.attach_referrer(&i, &referrer).await });
        let (c, i) = (client(&reg), img.clone());
        tasks.spawn(async move {
            c.append_legacy(&i, TagKind::Signature, &legacy(n))
                .await
                .map(|_| ())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    let mut listed = common::referrer_digests(&c, &img).await;
    listed.sort();
    digests.sort();
    assert_eq!(listed, digests);
    let sig = img.at_tag(&legacy_tag(img.digest().unwrap(), TagKind::Signature));
    let m = c.manifest(&sig, &[OCI_MANIFEST]).await.unwrap().unwrap();
    assert_eq!(legacy_layers(&m.bytes).unwrap().len(), WRITERS);
}
