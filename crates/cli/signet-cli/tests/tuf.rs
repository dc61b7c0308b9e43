//! The TUF repository a signet server publishes at `<url>/tuf/`, read by signet-tuf's client as
//! any TUF client reads it: bootstrapped from `DATA/tuf/root.json`, it verifies the timestamp,
//! snapshot and targets, and the targets are the instance's `trusted_root.json` and
//! `signing_config.v0.2.json`. A restart with the same trust signs nothing new; a restart whose
//! trust changed (another public URL) publishes new targets that a client which refreshes picks
//! up, while a client's old versions are never served again under the same name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

mod common;

use common::Listening;
use signet_tuf::Trusted;

/// A server on `addr` (fixed, so that restarts keep the trust files' URL) for `public`.
fn server(data: &Path, addr: &str, public: &str) -> Listening {
    let mut s = Listening::start(
        &[
            "server",
            "--addr",
            addr,
            "--public-url",
            public,
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
    );
    s.url = format!("http://{addr}");
    s
}

/// A loopback address with a port that was free a moment ago.
fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

async fn bytes(url: &str) -> Vec<u8> {
    let r = get(url).await;
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.bytes().await.unwrap().to_vec()
}

/// Refreshes `<base>/tuf` from `root` as the TUF client workflow does; returns the trusted set
/// and the two target files.
async fn refresh(base: &str, root: &[u8]) -> (Trusted, Vec<u8>, Vec<u8>) {
    let now = time::OffsetDateTime::now_utc();
    let mut t = Trusted::new(root, now).unwrap();
    loop {
        let next = t.root().signed.version + 1;
        let r = get(&format!("{base}/tuf/{next}.root.json")).await;
        if r.status().as_u16() == 404 {
            break;
        }
        t.update_root(&r.bytes().await.unwrap()).unwrap();
    }
    t.finish_roots().unwrap();
    let ts = get(&format!("{base}/tuf/timestamp.json")).await;
    assert_eq!(
        ts.headers()["cache-control"],
        "no-store",
        "timestamp.json must not be cached"
    );
    t.update_timestamp(&ts.bytes().await.unwrap()).unwrap();
    let sv = t.timestamp().unwrap().signed.meta["snapshot.json"].version;
    t.update_snapshot(&bytes(&format!("{base}/tuf/{sv}.snapshot.json")).await)
        .unwrap();
    let tv = t.snapshot().unwrap().signed.meta["targets.json"].version;
    t.update_targets(&bytes(&format!("{base}/tuf/{tv}.targets.json")).await)
        .unwrap();
    let mut files = Vec::new();
    for name in ["trusted_root.json", "signing_config.v0.2.json"] {
        let info = t.target(name).unwrap();
        let sha = &info.hashes["sha256"];
        let b = bytes(&format!("{base}/tuf/targets/{sha}.{name}")).await;
        signet_tuf::verify_target(name, &info, &b).unwrap();
        files.push(b);
    }
    let cfg = files.pop().unwrap();
    let tr = files.pop().unwrap();
    (t, tr, cfg)
}

#[tokio::test]
async fn the_server_publishes_its_trust_through_tuf_and_keeps_it_current() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let addr = free_addr();
    let public = format!("http://{addr}");
    let s = server(&data, &addr, &public);
    let root = std::fs::read(data.join("tuf/root.json")).unwrap();
    assert_eq!(bytes(&format!("{}/tuf/1.root.json", s.url)).await, root);
    let (t, tr, cfg) = refresh(&s.url, &root).await;
    assert_eq!(tr, std::fs::read(data.join("trusted_root.json")).unwrap());
    assert_eq!(
        cfg,
        std::fs::read(data.join("signing_config.json")).unwrap()
    );
    let (ts1, tv1) = (
        t.timestamp().unwrap().signed.version,
        t.targets("targets").unwrap().signed.version,
    );
    // Paths outside the repository are not served.
    for path in [
        "../keys/online.key",
        "%2e%2e/keys/online.key",
        "99.root.json",
    ] {
        let r = get(&format!("{}/tuf/{path}", s.url)).await;
        assert_eq!(r.status().as_u16() / 100, 4, "{path}");
        assert!(!r.text().await.unwrap().contains("PRIVATE KEY"), "{path}");
    }
    drop(s);

    // The same trust again: nothing new is signed.
    let s = server(&data, &addr, &public);
    let (t, _, _) = refresh(&s.url, &root).await;
    assert_eq!(t.timestamp().unwrap().signed.version, ts1);
    drop(s);

    // Another public URL: the signing config changes; new targets, snapshot and timestamp.
    let s = server(&data, &addr, "http://signet.example:8443");
    let (t, _, cfg) = refresh(&s.url, &root).await;
    assert!(t.targets("targets").unwrap().signed.version > tv1);
    assert!(t.timestamp().unwrap().signed.version > ts1);
    assert!(
        String::from_utf8(cfg)
            .unwrap()
            .contains("http://signet.example:8443")
    );
    // The old targets are still served under their own version (never rewritten).
    assert!(
        get(&format!("{}/tuf/{tv1}.targets.json", s.url))
            .await
            .status()
            .is_success()
    );
}

/// `signet ARGS` as a client on another machine: its own HOME, config and cache, no data
/// directory or trust config of the instance.
fn client(home: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("SIGNET_DATA_DIR")
        .env_remove("SIGNET_TRUST_CONFIG")
        .output()
        .unwrap()
}

fn ok(o: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    err
}

/// A client bootstrapped with `signet initialize --mirror <url>/tuf --root root.json` signs and
/// verifies with no trust flag (the trusted root and signing config come through TUF); with the
/// server gone it uses its cache and says so; a cached target that no longer matches the signed
/// targets metadata is not used.
#[tokio::test]
async fn a_client_initialized_from_the_tuf_root_signs_and_verifies_without_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let addr = free_addr();
    let public = format!("http://{addr}");
    let start = || {
        let mut s = Listening::start(
            &[
                "server",
                "--dev-oidc",
                "--addr",
                &addr,
                "--public-url",
                &public,
                "--data-dir",
                data.to_str().unwrap(),
            ],
            &[],
        );
        s.url = public.clone();
        s
    };
    let s = start();
    let root = data.join("tuf/root.json");
    let root_s = root.to_str().unwrap();
    let mirror = format!("{public}/tuf");
    let sum = format!(
        "sha256:{}",
        signet_crypto::sha256(&std::fs::read(&root).unwrap()).to_hex()
    );
    let bad_sum = format!("sha256:{}", "0".repeat(64));
    let o = client(
        &home,
        &[
            "initialize",
            "--mirror",
            &mirror,
            "--root",
            root_s,
            "--root-checksum",
            &bad_sum,
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--root-checksum"));
    ok(&client(
        &home,
        &[
            "initialize",
            "--mirror",
            &mirror,
            "--root",
            root_s,
            "--root-checksum",
            &sum,
        ],
    ));

    let token = std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(["oidc", "token", "--subject", "alice@example.com"])
        .env("SIGNET_DATA_DIR", &data)
        .output()
        .unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    let file = tmp.path().join("a.txt");
    std::fs::write(&file, "trust through TUF").unwrap();
    let (f, b) = (
        file.to_str().unwrap(),
        format!("{}.sigstore.json", file.display()),
    );
    ok(&client(
        &home,
        &["sign-blob", f, "--identity-token", &token, "--bundle", &b],
    ));
    let issuer = format!("{public}/oidc");
    let verify_with = |extra: &[&str]| {
        let mut a = vec![
            "verify-blob",
            f,
            "--bundle",
            &b,
            "--certificate-identity",
            "alice@example.com",
            "--certificate-oidc-issuer",
            &issuer,
        ];
        a.extend_from_slice(extra);
        client(&home, &a)
    };
    let verify = || verify_with(&[]);
    let err = ok(&verify());
    assert!(!err.contains("WARNING"), "{err}");

    // --offline: the cache, without asking the server.
    let o = verify_with(&["--offline"]);
    let err = ok(&o);
    assert!(
        err.contains("Using the cached trust") && err.contains("--offline"),
        "{err}"
    );
    // The server is gone: the cache serves, with a warning.
    drop(s);
    let err = ok(&verify());
    assert!(err.contains("using the cached trust"), "{err}");
    // A cached trusted root that is not what the signed targets list is never used.
    let cache = std::fs::read_dir(home.join("cache/signet/tuf"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cached = cache.join("targets/trusted_root.json");
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes.push(b' ');
    std::fs::write(&cached, &bytes).unwrap();
    let o = verify();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no usable cache"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Back on line: the refresh fetches the target again and all is well.
    let _s = start();
    let err = ok(&verify());
    assert!(!err.contains("WARNING"), "{err}");
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        std::fs::read(data.join("trusted_root.json")).unwrap()
    );
}

/// `signet ARGS` on the instance's data directory (the operator's and key holders' commands).
fn admin(data: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(args)
        .env("SIGNET_DATA_DIR", data)
        .output()
        .unwrap()
}

/// The pending targets file `signet tuf targets` wrote.
fn pending_targets(data: &Path) -> std::path::PathBuf {
    std::fs::read_dir(data.join("tuf/pending"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().unwrap().ends_with(".targets.json"))
        .unwrap()
}

/// The key ceremony replaces a development root: a 2-of-2 root and a targets key held off line,
/// published only with enough signatures (the old root's and the new root's), after which the
/// server holds only its online key; a trust change then waits for targets signed by the
/// targets key, and a client that bootstrapped from the development root follows it all.
#[tokio::test]
async fn a_key_ceremony_takes_the_root_and_targets_keys_off_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let addr = free_addr();
    let public = format!("http://{addr}");
    let dev_root = {
        let _s = server(&data, &addr, &public);
        std::fs::read(data.join("tuf/root.json")).unwrap()
    };
    let key = |name: &str| {
        let prefix = tmp.path().join(name);
        ok(&admin(
            &data,
            &[
                "generate-key-pair",
                "--output-key-prefix",
                prefix.to_str().unwrap(),
            ],
        ));
        (
            format!("{}.key", prefix.display()),
            format!("{}.pub", prefix.display()),
        )
    };
    let (alice, alice_pub) = key("alice");
    let (bob, bob_pub) = key("bob");
    let (carol, carol_pub) = key("carol");
    ok(&admin(
        &data,
        &[
            "tuf",
            "init",
            "--data-dir",
            d,
            "--root-pub",
            &alice_pub,
            "--root-pub",
            &bob_pub,
            "--root-threshold",
            "2",
            "--targets-pub",
            &carol_pub,
        ],
    ));
    let pending = data.join("tuf/pending/2.root.json");
    let pending_s = pending.to_str().unwrap();
    let sign = |file: &str, key: &str| ok(&admin(&data, &["tuf", "sign", file, "--key", key]));
    let publish = || admin(&data, &["tuf", "publish", "--data-dir", d]);
    // Below threshold: the new keys alone, or one of them with the old key, are not enough.
    sign(pending_s, &alice);
    sign(pending_s, &bob);
    let o = publish();
    assert!(
        !o.status.success(),
        "published without the old root's signature"
    );
    let dev_root_key = data.join("tuf/keys/root.key");
    let o = admin(
        &data,
        &[
            "tuf",
            "sign",
            pending_s,
            "--key",
            dev_root_key.to_str().unwrap(),
        ],
    );
    ok(&o);
    // Targets for the new targets key, signed by carol, published with the root.
    ok(&admin(&data, &["tuf", "targets", "--data-dir", d]));
    let targets = pending_targets(&data);
    sign(targets.to_str().unwrap(), &carol);
    let err = ok(&publish());
    assert!(err.contains("Removed"), "{err}");
    assert!(!dev_root_key.exists() && !data.join("tuf/keys/targets.key").exists());
    assert!(data.join("tuf/keys/online.key").exists());
    assert!(data.join("tuf/repo/2.root.json").exists());

    // The server now has no targets key: a trust change waits for the ceremony.
    let other = "http://signet.example:8443";
    {
        let s = server(&data, &addr, other);
        let (t, _, cfg) = refresh(&s.url, &dev_root).await;
        assert_eq!(t.root().signed.version, 2);
        assert!(!String::from_utf8(cfg).unwrap().contains(other));
        ok(&admin(&data, &["tuf", "targets", "--data-dir", d]));
        let targets = pending_targets(&data);
        // Signed by a root key, not the targets key: refused.
        sign(targets.to_str().unwrap(), &alice);
        assert!(!publish().status.success());
        sign(targets.to_str().unwrap(), &carol);
        ok(&publish());
        let (_, _, cfg) = refresh(&s.url, &dev_root).await;
        assert!(String::from_utf8(cfg).unwrap().contains(other));
    }
}

/// Without other trust, verification refreshes the public-good trusted root through TUF from
/// the embedded Sigstore root (version 15): against a mirror of the real sigstore/root-signing
/// files it verifies the timestamp's signature, finds it expired (2026-08-28) and falls
/// back to the compiled-in trusted root, saying so, and still verifies a public-good bundle;
/// within the next hour it does not try the network again; `SIGNET_OFFLINE=1` never does.
#[test]
fn public_good_trust_is_refreshed_through_tuf_and_falls_back_saying_so() {
    let tmp = tempfile::tempdir().unwrap();
    let real = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../core/signet-tuf/testdata/sigstore-root-signing");
    let mirror = tmp.path().join("mirror");
    std::fs::create_dir_all(mirror.join("targets")).unwrap();
    for v in 1..=15 {
        std::fs::copy(
            real.join(format!("metadata/root_history/{v}.root.json")),
            mirror.join(format!("{v}.root.json")),
        )
        .unwrap();
    }
    for (from, to) in [
        ("timestamp.json", "timestamp.json"),
        ("snapshot.json", "165.snapshot.json"),
        ("targets.json", "14.targets.json"),
    ] {
        std::fs::copy(real.join("metadata").join(from), mirror.join(to)).unwrap();
    }
    let served = Listening::start(
        &[
            "serve-release",
            mirror.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ],
        &[],
    );
    let url = served.url.clone();
    let home = tmp.path().join("home");
    let testdata =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../testdata/sigstore-conformance/assets");
    let case = testdata.join("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    let verify = |extra: &[(&str, &str)]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_signet"));
        c.args(["verify-bundle", "--bundle", case.to_str().unwrap()])
            .arg(testdata.join("a.txt"))
            .args([
                "--certificate-identity-regexp",
                ".",
                "--certificate-oidc-issuer-regexp",
                ".",
            ])
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("SIGNET_PUBLIC_GOOD_MIRROR", &url)
            .env_remove("SIGNET_DATA_DIR")
            .env_remove("SIGNET_TRUST_CONFIG")
            .env_remove("SIGNET_OFFLINE");
        c.envs(extra.iter().copied());
        c.output().unwrap()
    };
    let err = ok(&verify(&[]));
    assert!(
        err.contains("not refreshed")
            && err.contains("expired")
            && err.contains("compiled into signet"),
        "{err}"
    );
    drop(served);
    let err = ok(&verify(&[]));
    assert!(err.contains("less than an hour ago"), "{err}");
    let err = ok(&verify(&[("SIGNET_OFFLINE", "1")]));
    assert!(err.contains("SIGNET_OFFLINE"), "{err}");
}
