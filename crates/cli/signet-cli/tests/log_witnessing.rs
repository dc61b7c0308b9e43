//! `signet server --witness`: the log side of C2SP tlog-witness, over real HTTP on 127.0.0.1.
//!
//! * With two `signet witness` processes, the Rekor v1 log's `/api/v1/log/checkpoint` and the
//!   Rekor v2 log's tiles `/checkpoint` end up cosigned by both, and `signet log info|verify
//!   --witness-key A --witness-key B --witness-threshold 2` accepts them (v1 and `--tiles`);
//!   `GET /api/v1/log` stays uncosigned (Rekor's). After a restart of the server the published
//!   cosigned checkpoints are served again at once. A witness restarted with an older state
//!   answers 409 with its size and is resynced from there. With a witness down the log goes on
//!   (fail open): new entries are accepted, newer checkpoints are published with the one
//!   cosignature left, threshold 2 is refused with a clear message and threshold 1 passes.
//! * Witnesses that answer garbage, a cosignature that does not verify, or one by another key
//!   under the configured name, are asked but never published.
//! * A malformed `--witness` stops the server at start with a clear error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use signet_tlog::{AddCheckpoint, Checkpoint, CosignatureVerifier, Cosigner, SignedNote};
use signet_types::{UnixSeconds, b64};

mod common;

use common::{Listening, output_text as out, signet_in_async as signet_in};

/// Posts `n` new entries to the v1 log and `n` to the v2 log at `url`.
async fn add_entries(url: &str, n: usize) {
    let http = reqwest::Client::new();
    let v1 = signet_testkit::load::presigned_v1(n).unwrap();
    let v2 = signet_testkit::load::presigned_v2(n).unwrap();
    for (path, bodies) in [
        ("api/v1/log/entries", v1),
        ("rekor-v2/api/v2/log/entries", v2),
    ] {
        for body in bodies {
            let r = http
                .post(format!("{url}/{path}"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
    }
}

async fn get_text(url: &str) -> String {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.text().await.unwrap()
}

/// A signed checkpoint's size.
fn size_of(note: &str) -> u64 {
    let n = SignedNote::parse(note).unwrap();
    Checkpoint::parse(&n.text).unwrap().size.0
}

/// Which of `keys` cosigned `note` (each line checked on its own).
fn cosigned_by(note: &str, keys: &[&CosignatureVerifier]) -> Vec<bool> {
    keys.iter()
        .map(|k| signet_tlog::count_cosignatures(note, &[(*k).clone()]).unwrap() == 1)
        .collect()
}

/// Polls the checkpoint at `url` until it has at least `size` entries and is cosigned by
/// exactly the `want` of `keys`; panics after 20 s with what it saw.
async fn wait_for(url: &str, size: u64, keys: &[&CosignatureVerifier], want: &[bool]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let note = get_text(url).await;
        if size_of(&note) >= size && cosigned_by(&note, keys) == want {
            return note;
        }
        if Instant::now() > deadline {
            panic!("{url}: wanted size >= {size} cosigned by {want:?}, last:\n{note}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn start_witness(dir: &Path, addr: &str, logs: &[String]) -> Listening {
    let mut args: Vec<String> = ["witness", "--name"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(format!(
        "witness.test/{}",
        dir.file_name().unwrap().to_str().unwrap()
    ));
    for (flag, value) in [
        ("--addr", addr.to_string()),
        ("--key", dir.join("w.key").to_str().unwrap().to_string()),
        ("--state", dir.join("w.json").to_str().unwrap().to_string()),
    ] {
        args.push(flag.into());
        args.push(value);
    }
    for l in logs {
        args.push("--log".into());
        args.push(l.clone());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Listening::start(&refs, &[])
}

fn start_server(data: &Path, witnesses: &[String]) -> Listening {
    start_server_every(data, witnesses, "0.1")
}

/// `signet server` with `witnesses`, a round at most every `interval` seconds.
fn start_server_every(data: &Path, witnesses: &[String], interval: &str) -> Listening {
    let mut args: Vec<String> = [
        "server",
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--witness-interval",
        interval,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for w in witnesses {
        args.push("--witness".into());
        args.push(w.clone());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Listening::start(&refs, &[])
}

/// `signet log … info` (v1, or `--tiles` for the v2 log) requiring `threshold` of `keys`.
async fn log_info(
    data: &Path,
    url: &str,
    tiles: bool,
    keys: &[&Path],
    threshold: usize,
) -> std::process::Output {
    let root = data.join("trusted_root.json");
    let mut args: Vec<String> = vec!["log".into()];
    if tiles {
        args.extend([
            "--tiles".into(),
            format!("{url}/rekor-v2"),
            "--trusted-root".into(),
            root.to_str().unwrap().into(),
        ]);
    } else {
        args.extend(["--rekor-url".into(), url.into()]);
    }
    args.push("info".into());
    for k in keys {
        args.extend(["--witness-key".into(), k.to_str().unwrap().into()]);
    }
    args.extend(["--witness-threshold".into(), threshold.to_string()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    signet_in(data, &refs).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_publishes_checkpoints_its_witnesses_cosigned() {
    tokio::time::timeout(Duration::from_secs(120), witnessed_log())
        .await
        .unwrap();
}

async fn witnessed_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A first start creates both logs: their keys and the v1 tree ID, for the witnesses.
    let s0 = start_server(&data, &[]);
    let info: serde_json::Value = reqwest::get(format!("{}/api/v1/log", s0.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tree_id = info["treeID"].as_str().unwrap().to_string();
    drop(s0);
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("trusted_root.json")).unwrap()).unwrap();
    let mut logs = Vec::new();
    for (i, origin) in [format!("127.0.0.1 - {tree_id}"), "127.0.0.1".to_string()]
        .iter()
        .enumerate()
    {
        let der = b64::decode(root["tlogs"][i]["publicKey"]["rawBytes"].as_str().unwrap()).unwrap();
        let p = dir.path().join(format!("log{i}.der"));
        std::fs::write(&p, der).unwrap();
        logs.push(format!("{origin}={}", p.display()));
    }
    let (d1, d2) = (dir.path().join("w1"), dir.path().join("w2"));
    std::fs::create_dir_all(&d1).unwrap();
    std::fs::create_dir_all(&d2).unwrap();
    let w1 = start_witness(&d1, "127.0.0.1:0", &logs);
    let mut w2 = start_witness(&d2, "127.0.0.1:0", &logs);
    let (k1p, k2p) = (d1.join("w.key.vkey"), d2.join("w.key.vkey"));
    let vkey = |p: &Path| std::fs::read_to_string(p).unwrap().trim().to_string();
    let (k1, k2) = (
        CosignatureVerifier::from_vkey(&vkey(&k1p)).unwrap(),
        CosignatureVerifier::from_vkey(&vkey(&k2p)).unwrap(),
    );
    let specs = [
        format!("{} {}", w1.url, vkey(&k1p)),
        format!("{} {}", w2.url, vkey(&k2p)),
    ];
    let keys = [&k1, &k2];
    let both_paths = [k1p.as_path(), k2p.as_path()];

    // Entries on both logs: both checkpoints get cosigned by both witnesses.
    let server = start_server(&data, &specs);
    let url = server.url.clone();
    let (v1_cp, v2_cp) = (
        format!("{url}/api/v1/log/checkpoint"),
        format!("{url}/rekor-v2/checkpoint"),
    );
    add_entries(&url, 3).await;
    let v1_note = wait_for(&v1_cp, 3, &keys, &[true, true]).await;
    let v2_note = wait_for(&v2_cp, 3, &keys, &[true, true]).await;
    assert_eq!((size_of(&v1_note), size_of(&v2_note)), (3, 3));
    // The log's signature comes first, then the cosignatures.
    let v1_parsed = SignedNote::parse(&v1_note).unwrap();
    assert_eq!(v1_parsed.signatures.len(), 3);
    assert_eq!(v1_parsed.signatures[0].name, "127.0.0.1");
    // Rekor's `GET /api/v1/log` is unchanged: the log's signature only.
    let info: serde_json::Value = reqwest::get(format!("{url}/api/v1/log"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sth = info["signedTreeHead"].as_str().unwrap();
    assert_eq!(SignedNote::parse(sth).unwrap().signatures.len(), 1);
    assert_eq!(SignedNote::parse(sth).unwrap().text, v1_parsed.text);

    // The clients accept both logs with both witnesses required.
    for tiles in [false, true] {
        let o = log_info(&data, &url, tiles, &both_paths, 2).await;
        assert!(o.status.success(), "tiles {tiles}: {}", out(&o));
        assert!(out(&o).contains("Witness Cosignatures:   2"), "{}", out(&o));
    }
    let o = signet_in(
        &data,
        &[
            "log",
            "--rekor-url",
            &url,
            "verify",
            "--log-index",
            "1",
            "--witness-key",
            k1p.to_str().unwrap(),
            "--witness-key",
            k2p.to_str().unwrap(),
            "--witness-threshold",
            "2",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));

    // A restarted server serves the cosigned checkpoints it published at once (no round runs
    // in the first minute to collect them again).
    drop(server);
    let server = start_server_every(&data, &specs, "60");
    let url = server.url.clone();
    for (cp, before) in [
        (format!("{url}/api/v1/log/checkpoint"), &v1_note),
        (format!("{url}/rekor-v2/checkpoint"), &v2_note),
    ] {
        let now = get_text(&cp).await;
        assert_eq!(cosigned_by(&now, &keys), [true, true], "{now}");
        assert_eq!(
            SignedNote::parse(&now).unwrap().text,
            SignedNote::parse(before).unwrap().text
        );
    }
    drop(server);
    let server = start_server(&data, &specs);
    let url = server.url.clone();
    let (v1_cp, v2_cp) = (
        format!("{url}/api/v1/log/checkpoint"),
        format!("{url}/rekor-v2/checkpoint"),
    );

    // Witness 2 comes back with an older state (size 3 of each log) after it cosigned size 5:
    // it answers 409 with its size, and the log resends from there.
    let saved = std::fs::read(d2.join("w.json")).unwrap();
    add_entries(&url, 2).await;
    wait_for(&v1_cp, 5, &keys, &[true, true]).await;
    wait_for(&v2_cp, 5, &keys, &[true, true]).await;
    let w2_addr = w2.url.trim_start_matches("http://").to_string();
    drop(w2);
    std::fs::write(d2.join("w.json"), &saved).unwrap();
    w2 = start_witness(&d2, &w2_addr, &logs);
    add_entries(&url, 1).await;
    wait_for(&v1_cp, 6, &keys, &[true, true]).await;
    wait_for(&v2_cp, 6, &keys, &[true, true]).await;

    // Witness 2 stops: the log goes on, newer checkpoints carry witness 1's cosignature only.
    drop(w2);
    add_entries(&url, 2).await;
    let v1_note = wait_for(&v1_cp, 8, &keys, &[true, false]).await;
    wait_for(&v2_cp, 8, &keys, &[true, false]).await;
    assert_eq!(size_of(&v1_note), 8);
    for tiles in [false, true] {
        let o = log_info(&data, &url, tiles, &both_paths, 2).await;
        assert!(!o.status.success(), "tiles {tiles}: {}", out(&o));
        assert!(
            out(&o).contains(
                "the checkpoint is cosigned by 1 of the given witnesses, 2 required (--witness-threshold)"
            ),
            "{}",
            out(&o)
        );
        let o = log_info(&data, &url, tiles, &both_paths, 1).await;
        assert!(o.status.success(), "tiles {tiles}: {}", out(&o));
    }

    // `log verify` against a witnessed checkpoint older than the entry's: an entry inside it
    // verifies (its tree is proven a prefix of the entry's), a newer entry is not witnessed yet.
    drop(server);
    let server = start_server_every(&data, &specs, "60");
    let url = server.url.clone();
    add_entries(&url, 1).await;
    let verify = |index: &'static str| {
        let (data, url, k1p) = (data.clone(), url.clone(), k1p.clone());
        async move {
            let args = [
                "log",
                "--rekor-url",
                &url,
                "verify",
                "--log-index",
                index,
                "--witness-key",
                k1p.to_str().unwrap(),
                "--witness-threshold",
                "1",
            ];
            signet_in(&data, &args).await
        }
    };
    let o = verify("2").await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("Current Tree Size: 8"), "{}", out(&o));
    let o = verify("8").await;
    assert!(!o.status.success());
    assert!(
        out(&o)
            .contains("the log's witnessed checkpoint (tree size 8) does not hold the entry yet"),
        "{}",
        out(&o)
    );
    drop(w1);
}

/// A stand-in witness at `/<mode>/add-checkpoint`: `good` cosigns with its key; `garbage`
/// answers text that is no signature line; `tampered` answers a cosignature by its key with one
/// bit flipped; `other` cosigns with another key under the configured name.
struct Fakes {
    good: Cosigner,
    tampered: Cosigner,
    other: Cosigner,
    calls: [AtomicUsize; 4],
}

fn cosigner(name: &str) -> Cosigner {
    Cosigner::from_pkcs8_der(name, &Cosigner::generate_pkcs8().unwrap()).unwrap()
}

async fn fake_witness(
    axum::extract::State(f): axum::extract::State<Arc<Fakes>>,
    axum::extract::Path(mode): axum::extract::Path<String>,
    body: String,
) -> String {
    let req = AddCheckpoint::parse(&body).unwrap();
    let text = SignedNote::parse(&req.checkpoint).unwrap().text;
    let now = UnixSeconds(1_700_000_000);
    let (i, line) = match mode.as_str() {
        "good" => (0, f.good.cosign(&text, now).unwrap()),
        "garbage" => (1, "all good, cosigned!".to_string()),
        "tampered" => {
            let line = f.tampered.cosign(&text, now).unwrap();
            let (prefix, sig) = line.rsplit_once(' ').unwrap();
            let mut raw = b64::decode(sig).unwrap();
            raw[20] ^= 1;
            (2, format!("{prefix} {}", b64::encode(raw)))
        }
        _ => (3, f.other.cosign(&text, now).unwrap()),
    };
    f.calls[i].fetch_add(1, Ordering::SeqCst);
    format!("{line}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_cosignatures_are_never_published() {
    tokio::time::timeout(Duration::from_secs(60), bad_witnesses())
        .await
        .unwrap();
}

async fn bad_witnesses() {
    let fakes = Arc::new(Fakes {
        good: cosigner("fake.test/good"),
        tampered: cosigner("fake.test/tampered"),
        other: cosigner("fake.test/other"),
        calls: Default::default(),
    });
    let app = axum::Router::new()
        .route("/{mode}/add-checkpoint", axum::routing::post(fake_witness))
        .with_state(fakes.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    // The keys the log is configured with: `other` names a key other than the one it uses.
    let configured_other = cosigner("fake.test/other").verifier();
    let garbage_key = cosigner("fake.test/garbage").verifier();
    let specs = [
        format!("{base}/good {}", fakes.good.verifier().vkey()),
        format!("{base}/garbage {}", garbage_key.vkey()),
        format!("{base}/tampered {}", fakes.tampered.verifier().vkey()),
        format!("{base}/other {}", configured_other.vkey()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start_server(&data, &specs);
    add_entries(&server.url, 2).await;
    let good = fakes.good.verifier();
    for cp in ["api/v1/log/checkpoint", "rekor-v2/checkpoint"] {
        let note = wait_for(&format!("{}/{cp}", server.url), 2, &[&good], &[true]).await;
        // Only the log's signature and the good cosignature: nothing from the others.
        let names: Vec<String> = SignedNote::parse(&note)
            .unwrap()
            .signatures
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["127.0.0.1", "fake.test/good"], "{note}");
    }
    // Each was asked (for both logs), so the refusals were real.
    for (i, c) in fakes.calls.iter().enumerate() {
        assert!(c.load(Ordering::SeqCst) >= 2, "fake {i} was not asked");
    }
    // The log went on taking entries.
    add_entries(&server.url, 1).await;
    wait_for(
        &format!("{}/api/v1/log/checkpoint", server.url),
        3,
        &[&good],
        &[true],
    )
    .await;
}

#[test]
fn a_malformed_witness_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let vkey = cosigner("w.example").verifier().vkey();
    for (spec, why) in [
        (
            format!("http://127.0.0.1:1 {vkey} extra"),
            "expected `URL VKEY`",
        ),
        ("http://127.0.0.1:1".to_string(), "expected `URL VKEY`"),
        (
            "http://127.0.0.1:1 w.example+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
                .to_string(),
            "is not a witness verifier key",
        ),
        (
            format!("ftp://127.0.0.1:1 {vkey}"),
            "not an http or https URL",
        ),
    ] {
        let o = common::signet_in(
            dir.path(),
            &[
                "server",
                "--addr",
                "127.0.0.1:0",
                "--data-dir",
                dir.path().join("data").to_str().unwrap(),
                "--witness",
                &spec,
            ],
        );
        assert!(!o.status.success(), "{spec}");
        let text = out(&o);
        assert!(
            text.contains("--witness") && text.contains(why),
            "{spec}: {text}"
        );
    }
}
