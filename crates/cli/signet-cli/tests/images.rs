//! Container images end to end: a signet instance (CA, CT log, log, development issuer) and a
//! REAL registry (Debian's docker-registry 2.8.2 with htpasswd auth, started by signet-testkit on
//! a loopback port; no referrers API, so bundle referrers go through the fallback tag), driven
//! through the `signet` binary as a user would: Kubernetes' verify command, both formats,
//! attestations, multi-platform indexes, moved tags, managed keys, releases with images, and the
//! errors a user can meet.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use signet_testkit::registry::TestRegistry;

mod common;

const KREL: &str = "krel-trust@k8s-releng-prod.iam.gserviceaccount.com";
const GOOGLE: &str = "https://accounts.google.com";

struct Env {
    _server: common::Listening,
    url: String,
    dir: PathBuf,
    reg: TestRegistry,
    _tmp: tempfile::TempDir,
}

impl Env {
    fn start() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let server = common::Listening::start(
            &[
                "server",
                "--dev-oidc",
                "--dev-oidc-alias",
                GOOGLE,
                "--addr",
                "127.0.0.1:0",
                "--data-dir",
                dir.to_str().unwrap(),
            ],
            &[],
        );
        let reg = TestRegistry::start().expect("a real registry (docker-registry) for image tests");
        Self {
            url: server.url.clone(),
            _server: server,
            dir,
            reg,
            _tmp: tmp,
        }
    }

    fn signet(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(args)
            .env("SIGNET_DATA_DIR", &self.dir)
            .env("SIGNET_REGISTRY_USERNAME", &self.reg.user)
            .env("SIGNET_REGISTRY_PASSWORD", &self.reg.password)
            .env("DOCKER_CONFIG", self.dir.join("no-docker-config"))
            .env_remove("SIGNET_TRUST_CONFIG")
            .env("XDG_CONFIG_HOME", self.dir.join("no-config"))
            .output()
            .unwrap()
    }

    /// `signet ARGS --allow-http-registry`, which must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let mut a = args.to_vec();
        a.push("--allow-http-registry");
        let o = self.signet(&a);
        assert!(o.status.success(), "signet {args:?} failed: {}", text(&o));
        String::from_utf8(o.stdout).unwrap()
    }

    /// `signet ARGS --allow-http-registry`, which must fail saying `needle`.
    fn fails(&self, args: &[&str], needle: &str) -> String {
        let mut a = args.to_vec();
        a.push("--allow-http-registry");
        let o = self.signet(&a);
        let t = text(&o);
        assert!(!o.status.success(), "signet {args:?} should fail: {t}");
        assert!(
            t.to_lowercase().contains(&needle.to_lowercase()),
            "expected {needle:?} in: {t}"
        );
        let err: Vec<&str> = t.lines().filter(|l| l.starts_with("Error:")).collect();
        assert_eq!(err.len(), 1, "one error line: {t}");
        t
    }

    fn token(&self, subject: &str, issuer: Option<&str>) -> String {
        let mut args = vec!["oidc", "token", "--subject", subject];
        if let Some(i) = issuer {
            args.extend(["--issuer", i]);
        }
        let o = self.signet(&args);
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }

    fn image(&self, repo_tag: &str) -> String {
        format!("{}/{repo_tag}", self.reg.host)
    }

    /// Pushes a sample image; returns `REF@sha256:…` as printed.
    fn sample(&self, image: &str, seed: u64, platforms: &str) -> String {
        let seed = seed.to_string();
        self.ok(&[
            "sample-image",
            "--seed",
            &seed,
            "--platforms",
            platforms,
            image,
        ])
        .trim()
        .to_string()
    }

    fn issuer(&self) -> String {
        format!("{}/oidc", self.url)
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn digest_of(pinned: &str) -> &str {
    pinned.rsplit_once('@').unwrap().1
}

/// The verified payloads `verify` printed (cosign's JSON array).
fn payloads(stdout: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn kubernetes_verify_command_on_a_legacy_signature() {
    let env = Env::start();
    let img = env.image("kubernetes/kube-apiserver-amd64:v1.36.0");
    let pinned = env.sample(&img, 1, "linux/amd64,linux/arm64");
    let token = env.token(KREL, Some(GOOGLE));
    let o = env.signet(&[
        "sign",
        "--allow-http-registry",
        "--identity-token",
        &token,
        "--new-bundle-format=false",
        &img,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // The tag was resolved once, and that digest is the one signed.
    assert!(
        text(&o).contains(&format!("Resolved {img} to")),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains(digest_of(&pinned)), "{}", text(&o));

    // Kubernetes' documented command, with the same flags.
    let o = env.signet(&[
        "verify",
        &img,
        "--certificate-identity",
        KREL,
        "--certificate-oidc-issuer",
        GOOGLE,
        "--allow-http-registry",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("\nVerification for {img} --\n")),
        "{err}"
    );
    for line in [
        "The following checks were performed on each of these signatures:",
        "  - The cosign claims were validated",
        "  - Existence of the claims in the transparency log was verified offline",
        "  - The code-signing certificate was verified using trusted certificate authority certificates",
    ] {
        assert!(err.contains(line), "missing {line:?} in {err}");
    }
    let p = payloads(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(p.len(), 1, "{p:?}");
    let c = &p[0]["critical"];
    assert_eq!(c["type"], "cosign container image signature");
    assert_eq!(c["image"]["docker-manifest-digest"], digest_of(&pinned));
    assert_eq!(
        c["identity"]["docker-reference"],
        format!("{}/kubernetes/kube-apiserver-amd64", env.reg.host)
    );
    assert_eq!(p[0]["optional"]["Subject"], KREL);
    assert_eq!(p[0]["optional"]["Issuer"], GOOGLE);
    assert!(p[0]["optional"]["Bundle"]["SignedEntryTimestamp"].is_string());
    // The instance's TSA timestamped the signature, in cosign's annotation; it verified (a
    // token that does not cover the signature is skipped with a warning).
    assert!(
        p[0]["optional"]["RFC3161Timestamp"]["SignedRFC3161Timestamp"].is_string(),
        "{p:?}"
    );
    assert!(!err.contains("skipped"), "{err}");

    // Another identity, another issuer: refused, naming the image.
    let t = env.fails(
        &[
            "verify",
            &img,
            "--certificate-identity",
            "mallory@example.com",
            "--certificate-oidc-issuer",
            GOOGLE,
        ],
        "none of the 1 signatures verified",
    );
    assert!(t.contains(&img), "{t}");
    env.fails(
        &[
            "verify",
            &img,
            "--certificate-identity",
            KREL,
            "--certificate-oidc-issuer",
            &env.issuer(),
        ],
        "verified",
    );
    // Where it lives.
    let tri = env.ok(&["triangulate", &img]);
    let hex = digest_of(&pinned).trim_start_matches("sha256:");
    assert_eq!(
        tri.trim(),
        format!(
            "{}/kubernetes/kube-apiserver-amd64:sha256-{hex}.sig",
            env.reg.host
        )
    );
}

#[test]
fn bundle_format_signatures_and_attestations_round_trip() {
    let env = Env::start();
    let img = env.image("app/server:v1");
    let pinned = env.sample(&img, 2, "linux/amd64");
    let me = "release-managers@example.com";
    let token = env.token(me, None);
    let iss = env.issuer();
    env.ok(&[
        "sign",
        "--identity-token",
        &token,
        "-a",
        "team=release",
        &img,
    ]);
    let out = env.ok(&[
        "verify",
        &img,
        "--certificate-identity",
        me,
        "--certificate-oidc-issuer",
        &iss,
        "-a",
        "team=release",
    ]);
    let p = payloads(&out);
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0]["critical"]["image"]["docker-manifest-digest"],
        digest_of(&pinned)
    );
    assert_eq!(
        p[0]["critical"]["type"],
        "https://sigstore.dev/cosign/sign/v1"
    );
    // A required annotation the signature does not carry.
    env.fails(
        &[
            "verify",
            &img,
            "--certificate-identity",
            me,
            "--certificate-oidc-issuer",
            &iss,
            "-a",
            "team=other",
        ],
        "annotation",
    );
    // By digest too.
    env.ok(&[
        "verify",
        &pinned,
        "--certificate-identity",
        me,
        "--certificate-oidc-issuer",
        &iss,
    ]);

    // An attestation: SLSA provenance.
    let pred = env.dir.parent().unwrap().join("provenance.json");
    std::fs::write(
        &pred,
        br#"{"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{"source":"git+https://github.com/org/repo","ref":"refs/tags/v1"},"resolvedDependencies":[{"uri":"git+https://github.com/org/repo","digest":{"gitCommit":"0123456789abcdef0123456789abcdef01234567"}}]},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#,
    )
    .unwrap();
    let p = pred.to_str().unwrap();
    env.ok(&[
        "attest",
        "--identity-token",
        &token,
        "--predicate",
        p,
        "--type",
        "slsaprovenance1",
        &img,
    ]);
    let out = env.ok(&[
        "verify-attestation",
        &img,
        "--type",
        "slsaprovenance1",
        "--certificate-identity",
        me,
        "--certificate-oidc-issuer",
        &iss,
    ]);
    let env_json: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(env_json["payloadType"], "application/vnd.in-toto+json");
    env.fails(
        &[
            "verify-attestation",
            &img,
            "--type",
            "spdxjson",
            "--certificate-identity",
            me,
            "--certificate-oidc-issuer",
            &iss,
        ],
        "verified",
    );
    // cosign's Rego policies: package signature, rule allow, the statement as input.
    let rego = |name: &str, builder: &str| {
        let path = env.dir.parent().unwrap().join(name);
        std::fs::write(
            &path,
            format!(
                "package signature\n\ndefault allow = false\n\nallow {{\n  input.predicateType == \"https://slsa.dev/provenance/v1\"\n  input.predicate.runDetails.builder.id == \"{builder}\"\n}}\n"
            ),
        )
        .unwrap();
        path.to_str().unwrap().to_string()
    };
    let good = rego("good.rego", "https://example.com/builder");
    let evil = rego("evil.rego", "https://evil.example/builder");
    let att = [
        "verify-attestation",
        img.as_str(),
        "--type",
        "slsaprovenance1",
        "--certificate-identity",
        me,
        "--certificate-oidc-issuer",
        iss.as_str(),
        "--policy",
    ];
    let with = |p: &str| {
        let mut a = att.to_vec();
        a.push(p);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let args = with(&good);
    env.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let args = with(&evil);
    env.fails(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "does not allow",
    );
    // Bad flags answer in JSON with --output json (one object on stdout), as failures do.
    for bad in [
        &["--type", "no-such-type"][..],
        &["--policy", "/nonexistent/policy.rego"],
        &["--source-digest", "nothex"],
    ] {
        let mut a = vec![
            "verify-attestation",
            img.as_str(),
            "--certificate-identity",
            me,
            "--certificate-oidc-issuer",
            iss.as_str(),
            "--output",
            "json",
        ];
        a.extend_from_slice(bad);
        let o = env.signet(&a);
        assert!(!o.status.success(), "{bad:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{bad:?}: {e}: {}", text(&o)));
        assert_eq!(v["verified"], false, "{v}");
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    }
    // The SLSA provenance policy, as for verify-release: accepted, then one line per failed rule.
    let slsa = |policy: &[&str]| -> Vec<String> {
        att[..att.len() - 1]
            .iter()
            .chain(policy)
            .map(|s| s.to_string())
            .collect()
    };
    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    env.ok(&strs(&slsa(&[
        "--builder-id",
        "https://example.com/builder",
        "--source-uri",
        "github.com/org/repo",
        "--source-ref",
        "v1",
        "--source-digest",
        "gitCommit:0123456789abcdef0123456789abcdef01234567",
    ])));
    let err = env.fails(
        &strs(&slsa(&[
            "--builder-id",
            "https://evil.example/builder",
            "--source-uri",
            "github.com/org/fork",
        ])),
        "does not satisfy the policy",
    );
    assert!(
        err.contains("policy builder-id") && err.contains("policy source-uri"),
        "{err}"
    );
    let cue = env.dir.parent().unwrap().join("p.cue");
    std::fs::write(&cue, "predicate: {}").unwrap();
    let args = with(cue.to_str().unwrap());
    env.fails(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "CUE policies are not supported",
    );

    // The legacy .att format as well.
    env.ok(&[
        "attest",
        "--identity-token",
        &token,
        "--predicate",
        p,
        "--type",
        "slsaprovenance1",
        "--new-bundle-format=false",
        &img,
    ]);
    // tree lists the referrers (bundle signature + attestation) and the .att layer.
    let tree = env.ok(&["tree", "--output", "json", &img]);
    let t: serde_json::Value = serde_json::from_str(&tree).unwrap();
    assert_eq!(t["referrers"].as_array().unwrap().len(), 2, "{t}");
    assert_eq!(t["attestations"].as_array().unwrap().len(), 1, "{t}");
    assert_eq!(t["signatures"].as_array().unwrap().len(), 0, "{t}");
    // download signature prints the bundle.
    let d = env.ok(&["download", "signature", &img]);
    assert!(d.contains("dsseEnvelope"), "{d}");
}

#[test]
fn recursive_moved_tags_keys_and_errors() {
    let env = Env::start();
    let img = env.image("multi/arch:v1");
    let pinned = env.sample(&img, 3, "linux/amd64,linux/arm64");
    let key_dir = env.dir.parent().unwrap();
    let prefix = key_dir.join("release");
    let o = env.signet(&[
        "generate-key-pair",
        "--output-key-prefix",
        prefix.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (key, public) = (key_dir.join("release.key"), key_dir.join("release.pub"));
    let (key, public) = (key.to_str().unwrap(), public.to_str().unwrap());
    let rekor = ["--rekor-url", env.url.as_str()];

    // Without --recursive only the index is signed.
    let mut a = vec!["sign", "--key", key, &img];
    a.extend(rekor);
    env.ok(&a);
    env.ok(&["verify", &img, "--key", public]);
    let tree = env.ok(&["tree", "--output", "json", &pinned]);
    assert!(tree.contains("referrers"), "{tree}");
    let children = child_digests(&env, &pinned);
    assert_eq!(children.len(), 2);
    let child = format!("{}/multi/arch@{}", env.reg.host, children[0]);
    env.fails(&["verify", &child, "--key", public], "no signatures found");
    // With --recursive every child is signed too (legacy format here).
    let mut a = vec![
        "sign",
        "--key",
        key,
        "--recursive",
        "--new-bundle-format=false",
        &img,
    ];
    a.extend(rekor);
    env.ok(&a);
    for c in &children {
        env.ok(&[
            "verify",
            &format!("{}/multi/arch@{c}", env.reg.host),
            "--key",
            public,
        ]);
    }
    // Another key: refused.
    let other = key_dir.join("other");
    env.signet(&[
        "generate-key-pair",
        "--output-key-prefix",
        other.to_str().unwrap(),
    ]);
    env.fails(
        &[
            "verify",
            &img,
            "--key",
            key_dir.join("other.pub").to_str().unwrap(),
        ],
        "verified",
    );

    // The tag moves to another image after signing: the signatures are for the old digest.
    env.sample(&img, 4, "linux/amd64");
    env.fails(&["verify", &img, "--key", public], "no signatures found");
    env.ok(&["verify", &pinned, "--key", public]);

    // Errors a user meets: each one line naming the image, exit 1.
    let missing = env.image("multi/arch:no-such-tag");
    env.fails(
        &["verify", &missing, "--key", public],
        "multi/arch:no-such-tag",
    );
    let mut a = vec!["sign", "--key", key, &missing];
    a.extend(rekor);
    env.fails(&a, "not found");
    env.fails(
        &["verify", "not a reference", "--key", public],
        "invalid image reference",
    );
    // A failed keyless sign (expired token) writes nothing to the registry.
    let fresh = env.image("multi/fresh:v1");
    env.sample(&fresh, 5, "linux/amd64");
    let expired = {
        let o = env.signet(&[
            "oidc",
            "token",
            "--subject",
            "a@example.com",
            "--ttl",
            "-60",
        ]);
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    env.fails(&["sign", "--identity-token", &expired, &fresh], "token");
    let t: serde_json::Value =
        serde_json::from_str(&env.ok(&["tree", "--output", "json", &fresh])).unwrap();
    assert!(t["referrers"].as_array().unwrap().is_empty(), "{t}");
    assert!(t["signatures"].as_array().unwrap().is_empty(), "{t}");
    // Without credentials the registry refuses, and the error says so.
    let o = Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(["verify", &img, "--key", public, "--allow-http-registry"])
        .env("DOCKER_CONFIG", env.dir.join("no-docker-config"))
        .env_remove("SIGNET_REGISTRY_USERNAME")
        .env_remove("SIGNET_REGISTRY_PASSWORD")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).to_lowercase().contains("auth"), "{}", text(&o));
}

/// The child manifest digests of an index, read with plain HTTP.
fn child_digests(env: &Env, pinned: &str) -> Vec<String> {
    let (repo_ref, digest) = pinned.rsplit_once('@').unwrap();
    let repo = repo_ref.split_once('/').unwrap().1;
    let repo = repo.rsplit_once(':').map_or(repo, |(r, _)| r);
    let url = format!("http://{}/v2/{repo}/manifests/{digest}", env.reg.host);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt.block_on(async {
        reqwest::Client::new()
            .get(&url)
            .basic_auth(&env.reg.user, Some(&env.reg.password))
            .header("Accept", "application/vnd.oci.image.index.v1+json")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_release_with_its_images() {
    let env = Env::start();
    let rel = env.dir.parent().unwrap().join("rel");
    let o = env.signet(&[
        "sample-release",
        rel.to_str().unwrap(),
        "--files",
        "3",
        "--size-mib",
        "1",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let a = env.image("k8s/kube-proxy:v1.36.0");
    let b = env.image("k8s/pause:3.10");
    env.sample(&a, 6, "linux/amd64");
    env.sample(&b, 7, "linux/amd64");
    std::fs::write(
        rel.join("images.txt"),
        format!("# the release's images\n{a}\n"),
    )
    .unwrap();
    let me = "release-managers@example.com";
    let token = env.token(me, None);
    let r = rel.to_str().unwrap();
    let out = env.ok(&[
        "sign-release",
        r,
        "--identity-token",
        &token,
        "--image",
        &b,
        "--output",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["images"].as_array().unwrap().len(), 2, "{v}");
    let iss = env.issuer();
    let out = env.ok(&[
        "verify-release",
        r,
        "--image",
        &b,
        "--certificate-identity",
        me,
        "--certificate-oidc-issuer",
        &iss,
        "--output",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verified"], true, "{v}");
    let rows: Vec<&serde_json::Value> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().starts_with("image "))
        .collect();
    assert_eq!(rows.len(), 2, "{v}");
    assert!(rows.iter().all(|r| r["status"] == "OK"), "{v}");
    // An unsigned image in the release is a failed row and a failed run.
    let c = env.image("k8s/unsigned:v1");
    env.sample(&c, 8, "linux/amd64");
    let mut a = vec![
        "verify-release",
        r,
        "--image",
        &c,
        "--certificate-identity",
        me,
        "--certificate-oidc-issuer",
        &iss,
    ];
    a.push("--allow-http-registry");
    let o = env.signet(&a);
    assert!(!o.status.success());
    assert!(text(&o).contains("UNSIGNED"), "{}", text(&o));
    assert!(Path::new(r).join("images.txt.sigstore.json").exists());
}

/// A REAL cosign signature (public-good Rekor, testdata/cosign-image-signature): its legacy
/// `.sig` manifest pushed into the test registry verifies with `signet verify --key` against the
/// embedded public-good trusted root, by digest (the image itself is not in the registry, as
/// with cosign a digest reference is not resolved); any flipped byte is refused.
#[test]
fn a_real_cosign_legacy_signature() {
    use signet_oci::manifest::{LegacyLayer, TagKind, legacy_manifest, legacy_tag};
    use signet_oci::{ImageDigest, ImageRef, media};
    use signet_registry::{RegistryClient, RegistryOptions};

    let env = Env::start();
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../testdata/cosign-image-signature"
    ));
    let payload = std::fs::read(dir.join("payload.json")).unwrap();
    let sig: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("signature.json")).unwrap()).unwrap();
    let digest = ImageDigest::parse(sig["image"].as_str().unwrap()).unwrap();
    let annotations: std::collections::BTreeMap<String, String> =
        serde_json::from_value(sig["annotations"].clone()).unwrap();
    let registry = RegistryClient::new(RegistryOptions {
        allow_http: true,
        credentials: Some((env.reg.user.clone(), env.reg.password.clone())),
        ..Default::default()
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let push =
        |repo: &str, annotations: &std::collections::BTreeMap<String, String>, payload: &[u8]| {
            let img = ImageRef::parse(&format!("{}/{repo}@{digest}", env.reg.host)).unwrap();
            let layer = LegacyLayer {
                media_type: media::SIMPLE_SIGNING.to_string(),
                payload: payload.to_vec(),
                annotations: annotations.clone(),
            };
            let m = legacy_manifest(None, &layer).unwrap().unwrap();
            rt.block_on(registry.push(&img, &m, Some(&legacy_tag(&digest, TagKind::Signature))))
                .unwrap();
            img.to_string()
        };
    let public = dir.join("cosign.pub");
    let public = public.to_str().unwrap();
    // No trust config anywhere: the embedded public-good root.
    let verify = |image: &str| {
        Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(["verify", image, "--key", public, "--allow-http-registry"])
            .env("SIGNET_REGISTRY_USERNAME", &env.reg.user)
            .env("SIGNET_REGISTRY_PASSWORD", &env.reg.password)
            .env_remove("SIGNET_DATA_DIR")
            .env_remove("SIGNET_TRUST_CONFIG")
            .env("XDG_CONFIG_HOME", env.dir.join("no-config"))
            .output()
            .unwrap()
    };
    let img = push("demo", &annotations, &payload);
    let o = verify(&img);
    assert!(o.status.success(), "{}", text(&o));
    let p = payloads(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(
        p[0]["critical"]["identity"]["docker-reference"],
        "localhost:5000/demo"
    );
    assert_eq!(p[0]["optional"]["Bundle"]["Payload"]["logIndex"], 357097618);
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("  - The signatures were verified against the specified public key")
    );

    // One flipped byte anywhere: refused.
    let flip = |s: &str, at: usize| {
        let mut b = s.as_bytes().to_vec();
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let mut n = 0;
    for key in [
        "dev.cosignproject.cosign/signature",
        "dev.sigstore.cosign/bundle",
    ] {
        let v = &annotations[key];
        for at in [v.len() / 3, v.len() / 2, v.len() - 5] {
            let mut a = annotations.clone();
            a.insert(key.to_string(), flip(v, at));
            n += 1;
            let img = push(&format!("tampered{n}"), &a, &payload);
            let o = verify(&img);
            assert!(
                !o.status.success(),
                "{key} flipped at {at} verified: {}",
                text(&o)
            );
        }
    }
    let mut bad = payload.clone();
    bad[100] ^= 1;
    let img = push("tampered-payload", &annotations, &bad);
    assert!(!verify(&img).status.success());
}
