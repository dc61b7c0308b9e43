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
    server_with(data, addr, public, &[])
}

/// [`server`] with `extra` flags.
fn server_with(data: &Path, addr: &str, public: &str, extra: &[&str]) -> Listening {
    let mut args = vec![
        "server",
        "--addr",
        addr,
        "--public-url",
        public,
        "--data-dir",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut s = Listening::start(&args, &[]);
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
    let start = || server_with(&data, &addr, &public, &["--dev-oidc"]);
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

    let token = token(&data, "alice@example.com");
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
    let verify_with = |extra: &[&str]| verify_as_alice(&home, &issuer, f, &b, extra);
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

/// `signet verify-blob FILE --bundle BUNDLE` for alice@example.com from `issuer`, as the
/// client in `home`, with `extra` flags.
fn verify_as_alice(
    home: &Path,
    issuer: &str,
    file: &str,
    bundle: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut a = vec![
        "verify-blob",
        file,
        "--bundle",
        bundle,
        "--certificate-identity",
        "alice@example.com",
        "--certificate-oidc-issuer",
        issuer,
    ];
    a.extend_from_slice(extra);
    client(home, &a)
}

/// A development token for `subject` from the instance in `data`.
fn token(data: &Path, subject: &str) -> String {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(["oidc", "token", "--subject", subject])
        .env("SIGNET_DATA_DIR", data)
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// Rotation, end to end: sign → rotate the log key, the CA and the CT key → sign. A client that
/// refreshes through TUF verifies both signatures with no step of its own; a client pinned to
/// the old trusted root verifies only the first. The frozen tree is still served (its entries
/// by UUID and global index), global log indexes continue, and the retired keys stay in the
/// trusted root with the end of their validity.
#[tokio::test]
async fn rotating_the_log_key_ca_and_ct_key_keeps_old_signatures_verifying() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let home = tmp.path().join("home");
    let addr = free_addr();
    let public = format!("http://{addr}");
    let start = || server_with(&data, &addr, &public, &["--dev-oidc"]);
    let s = start();
    let root = data.join("tuf/root.json");
    ok(&client(
        &home,
        &[
            "initialize",
            "--mirror",
            &format!("{public}/tuf"),
            "--root",
            root.to_str().unwrap(),
        ],
    ));
    let sign = |name: &str| {
        let file = tmp.path().join(name);
        std::fs::write(&file, format!("{name} before and after rotation")).unwrap();
        let bundle = format!("{}.sigstore.json", file.display());
        ok(&client(
            &home,
            &[
                "sign-blob",
                file.to_str().unwrap(),
                "--identity-token",
                &token(&data, "alice@example.com"),
                "--bundle",
                &bundle,
            ],
        ));
        (file.to_str().unwrap().to_string(), bundle)
    };
    let issuer = format!("{public}/oidc");
    let verify = |(file, bundle): &(String, String), extra: &[&str]| {
        verify_as_alice(&home, &issuer, file, bundle, extra)
    };
    let first = sign("first.txt");
    let pinned = tmp.path().join("pinned_trusted_root.json");
    std::fs::copy(data.join("trusted_root.json"), &pinned).unwrap();
    let pinned_flag = ["--trusted-root", pinned.to_str().unwrap()];
    ok(&verify(&first, &pinned_flag));

    // Not while the server runs (it would go on signing with the old keys).
    let o = admin(&data, &["admin", "rotate", "log-key", "--data-dir", d]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("in use by another signet process"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    drop(s);
    let tsa_chain = |root: &serde_json::Value, i: usize| {
        root["timestampAuthorities"][i]["certChain"]["certificates"].clone()
    };
    let before: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("trusted_root.json")).unwrap()).unwrap();
    assert_eq!(before["timestampAuthorities"].as_array().unwrap().len(), 1);
    for what in ["log-key", "ca", "ct-key", "tsa"] {
        let err = ok(&admin(&data, &["admin", "rotate", what, "--data-dir", d]));
        assert!(
            err.contains("Published the new trusted root through TUF"),
            "{err}"
        );
    }
    // The retired TSA stays trusted until the rotation, with its chain (leaf, root); the new
    // one has a new certificate.
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("trusted_root.json")).unwrap()).unwrap();
    let tsas = after["timestampAuthorities"].as_array().unwrap();
    assert_eq!(tsas.len(), 2, "{after}");
    assert_eq!(tsa_chain(&after, 0), tsa_chain(&before, 0));
    assert!(tsas[0]["validFor"]["end"].is_string(), "{after}");
    assert!(tsas[1]["validFor"].get("end").is_none(), "{after}");
    assert_ne!(tsa_chain(&after, 1)[0], tsa_chain(&before, 0)[0]);
    assert_eq!(tsa_chain(&after, 1).as_array().unwrap().len(), 2);

    let s = start();
    let second = sign("second.txt");
    // The refreshing client verifies both, without a word about trust.
    for b in [&first, &second] {
        let err = ok(&verify(b, &[]));
        assert!(!err.contains("WARNING"), "{err}");
    }
    // The pinned client: only what was signed before the rotation.
    ok(&verify(&first, &pinned_flag));
    let o = verify(&second, &pinned_flag);
    assert!(
        !o.status.success(),
        "verified with the pre-rotation trusted root"
    );

    // New keys signed the second; the global index continued.
    let entry = |b: &str| {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(b).unwrap()).unwrap();
        v["verificationMaterial"]["tlogEntries"][0].clone()
    };
    let (e1, e2) = (entry(&first.1), entry(&second.1));
    assert_ne!(e1["logId"], e2["logId"]);
    let idx = |e: &serde_json::Value| e["logIndex"].as_str().unwrap().parse::<u64>().unwrap();
    assert_eq!(idx(&e2), idx(&e1) + 1);
    assert_eq!(e2["inclusionProof"]["logIndex"], "0");

    // The trusted root lists each key once, the retired ones ending.
    let tr: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("trusted_root.json")).unwrap()).unwrap();
    for list in ["tlogs", "ctlogs", "certificateAuthorities"] {
        // The Rekor v2 log (its own key, never rotated here) is listed besides.
        let l: Vec<&serde_json::Value> = tr[list]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| !l["baseUrl"].as_str().unwrap_or("").ends_with("/rekor-v2"))
            .collect();
        assert_eq!(l.len(), 2, "{list}");
        assert!(
            l[0].pointer("/publicKey/validFor/end")
                .or(l[0].pointer("/validFor/end"))
                .is_some(),
            "{list}"
        );
        assert!(
            l[1].pointer("/publicKey/validFor/end")
                .or(l[1].pointer("/validFor/end"))
                .is_none(),
            "{list}"
        );
    }

    // The frozen tree is still served: its entry by UUID and by global index, verified.
    let info: serde_json::Value = reqwest::get(format!("{public}/api/v1/log"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        info["inactiveShards"].as_array().unwrap().len(),
        1,
        "{info}"
    );
    let uuid = {
        let body = signet_types::b64::decode(e1["canonicalizedBody"].as_str().unwrap()).unwrap();
        signet_tlog::leaf_hash(&body).to_hex()
    };
    let rekor = ["log", "--rekor-url", public.as_str()];
    for by in [
        ["get", "--uuid", uuid.as_str()],
        ["get", "--log-index", &idx(&e1).to_string()],
    ] {
        let mut a = rekor.to_vec();
        a.extend_from_slice(&by);
        let o = client(&home, &a);
        ok(&o);
        assert!(String::from_utf8_lossy(&o.stdout).contains(&uuid));
    }
    let mut a = rekor.to_vec();
    a.extend_from_slice(&["verify", "--uuid", uuid.as_str()]);
    ok(&client(&home, &a));
    drop(s);

    // A new CA root too: everything signed so far and from now on verifies.
    let o = admin(
        &data,
        &["admin", "rotate", "log-key", "--new-root", "--data-dir", d],
    );
    assert!(!o.status.success());
    ok(&admin(
        &data,
        &["admin", "rotate", "ca", "--new-root", "--data-dir", d],
    ));
    let tr: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("trusted_root.json")).unwrap()).unwrap();
    let cas = tr["certificateAuthorities"].as_array().unwrap();
    assert_eq!(cas.len(), 3);
    let root_of = |ca: &serde_json::Value| ca["certChain"]["certificates"][1]["rawBytes"].clone();
    assert_eq!(root_of(&cas[0]), root_of(&cas[1]));
    assert_ne!(root_of(&cas[1]), root_of(&cas[2]));
    let _s = start();
    let third = sign("third.txt");
    for b in [&first, &second, &third] {
        ok(&verify(b, &[]));
    }
    assert!(!verify(&third, &pinned_flag).status.success());
    drop(_s);

    // A frozen tree whose size is not the one recorded when it was frozen is refused.
    let rot = data.join("rotations.json");
    let text = std::fs::read_to_string(&rot).unwrap();
    let size = format!("\"size\": {}", idx(&e1) + 1);
    assert!(text.contains(&size), "{text}");
    std::fs::write(&rot, text.replace(&size, "\"size\": 99")).unwrap();
    let o = admin(&data, &["init", "--data-dir", d]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(&format!(
            "holds {} entries, but rotations.json recorded 99 entries",
            idx(&e1) + 1
        )),
        "{}",
        String::from_utf8_lossy(&o.stderr)
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
            "--files-only",
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
