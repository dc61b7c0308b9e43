//! `signet witness` (C2SP tlog-witness) over HTTP on 127.0.0.1, fed real Rekor v1 checkpoints
//! and consistency proofs of signet log trees: it cosigns a growing log (cosignatures that
//! verify with the vkey it publishes), answers a stale old size with 409 and the current size,
//! refuses a rollback (400), a forked tree under the same key (422), a same-size other root
//! (409), an unknown origin (404) and a checkpoint of a known origin signed by another key
//! (403), keeps its state across a restart, and its key file is 0600.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use signet_crypto::SigningKey;
use signet_log::{SqliteStore, TransparencyLog};
use signet_testkit::log_trees::{forked_trees, open_tree, proposal};
use signet_tlog::{CosignatureVerifier, NoteSigner};
use signet_types::b64;

mod common;

type Tree = TransparencyLog<SqliteStore>;

/// An add-checkpoint body: `old`, the tree's proof from `old` to its size, its checkpoint.
async fn request(tree: &Tree, old: u64) -> String {
    let info = tree.log_info();
    let size = u64::try_from(info.tree_size).unwrap();
    let mut body = format!("old {old}\n");
    if old > 0 && old < size {
        for h in tree.consistency(old, size).await.unwrap().hashes {
            body.push_str(&b64::encode(hex::decode(h).unwrap()));
            body.push('\n');
        }
    }
    body.push('\n');
    body.push_str(&info.signed_tree_head);
    body
}

async fn post(url: &str, body: String) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .post(format!("{url}/add-checkpoint"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

async fn add(tree: &Tree, signer: &SigningKey, names: &[&str]) {
    for n in names {
        tree.add(&proposal(signer, n)).await.unwrap();
    }
}

fn start(dir: &Path, logs: &[String]) -> common::Listening {
    let mut args: Vec<String> = [
        "witness",
        "--name",
        "witness.test/w1",
        "--addr",
        "127.0.0.1:0",
        "--key",
        dir.join("witness.key").to_str().unwrap(),
        "--state",
        dir.join("witness.state").to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for l in logs {
        args.push("--log".into());
        args.push(l.clone());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    common::Listening::start(&refs, &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witness_cosigns_growth_and_refuses_rollback_fork_and_strangers() {
    tokio::time::timeout(Duration::from_secs(60), run())
        .await
        .unwrap();
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let signer = SigningKey::generate_p256().unwrap();
    let (a, fork) = forked_trees(
        &dir.path().join("a"),
        &dir.path().join("b"),
        &signer,
        &["s0", "s1", "s2"],
    )
    .await;
    let origin = format!("shards.test - {}", a.tree_id());
    let key_file = dir.path().join("log.pub");
    std::fs::write(&key_file, a.public_key().to_pem()).unwrap();
    let log_spec = format!("{origin}={}", key_file.display());
    let w = start(dir.path(), std::slice::from_ref(&log_spec));
    let url = w.url.clone();

    // The key is private and its verifier key is published next to it.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("witness.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let vkey = std::fs::read_to_string(dir.path().join("witness.key.vkey")).unwrap();
    let witness = CosignatureVerifier::from_vkey(&vkey).unwrap();
    assert_eq!(witness.cosigner_name(), "witness.test/w1");

    // First checkpoint (size 3), from old size 0: cosigned.
    let at3 = a.log_info().signed_tree_head;
    let (status, _, body) = post(&url, request(&a, 0).await).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("\u{2014} witness.test/w1 ") && body.ends_with('\n'));
    let cosigned = format!("{at3}{body}");
    assert_eq!(
        signet_tlog::count_cosignatures(&cosigned, std::slice::from_ref(&witness)).unwrap(),
        1
    );

    // Growth to 5 with the consistency proof from 3: cosigned.
    add(&a, &signer, &["a3", "a4"]).await;
    let (status, _, body) = post(&url, request(&a, 3).await).await;
    assert_eq!(status, 200, "{body}");
    let cosigned = format!("{}{body}", a.log_info().signed_tree_head);
    assert_eq!(
        signet_tlog::count_cosignatures(&cosigned, std::slice::from_ref(&witness)).unwrap(),
        1
    );

    // Stale old size: 409, the current size in text/x.tlog.size.
    let (status, ct, body) = post(&url, request(&a, 3).await).await;
    assert_eq!(
        (status, ct.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "5\n")
    );
    // Rollback: the genuine size-3 checkpoint with old size 5 → 400.
    let (status, _, body) = post(&url, format!("old 5\n\n{at3}")).await;
    assert_eq!(status, 400, "{body}");

    // The fork (same key and tree ID, same first 3 entries, then others) at the witnessed
    // size 5: 409 (same size, another root); at size 6 with its own proof from 5 (valid for
    // itself): 422. Neither is cosigned.
    add(&fork, &signer, &["b3", "b4"]).await;
    let (status, _, body) = post(
        &url,
        format!("old 5\n\n{}", fork.log_info().signed_tree_head),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    add(&fork, &signer, &["b5"]).await;
    let (status, _, body) = post(&url, request(&fork, 5).await).await;
    assert_eq!(status, 422, "{body}");
    // A checkpoint of the known origin signed by another key: 403.
    let stranger =
        signet_tlog::EcdsaNoteSigner::new("shards.test", SigningKey::generate_p256().unwrap())
            .unwrap();
    let text = signet_tlog::Checkpoint {
        origin: origin.clone(),
        size: signet_types::TreeSize(5),
        root_hash: signet_types::Sha256Hash([7; 32]),
        extensions: vec![],
    }
    .to_text();
    let forged = signet_tlog::sign_note(&text, &[&stranger as &dyn NoteSigner]).unwrap();
    let (status, _, body) = post(&url, format!("old 5\n\n{forged}")).await;
    assert_eq!(status, 403, "{body}");
    // An unknown origin: 404.
    let other = open_tree(&dir.path().join("other"), 0).await;
    add(&other, &signer, &["o0"]).await;
    let (status, _, body) = post(&url, request(&other, 0).await).await;
    assert_eq!(status, 404, "{body}");
    // Malformed: 400.
    let (status, _, _) = post(&url, "old 01\n\n".into()).await;
    assert_eq!(status, 400);

    // Restarted, the witness still knows size 5.
    drop(w);
    let w = start(dir.path(), std::slice::from_ref(&log_spec));
    let (status, _, body) = post(&w.url, request(&a, 0).await).await;
    assert_eq!((status, body.as_str()), (409, "5\n"));
    add(&a, &signer, &["a5"]).await;
    let (status, _, body) = post(&w.url, request(&a, 5).await).await;
    assert_eq!(status, 200, "{body}");
}

use common::{output_text as out, signet_in_async as signet_in};

/// A keyless bundle from a real `signet server`, whose checkpoint a `signet witness` cosigned:
/// `verify-blob --witness-key K --witness-threshold 1` accepts it with the cosignature and
/// refuses it without, with a tampered cosignature, or when two witnesses are required and one
/// cosigned; `log verify` refuses the log's own (uncosigned) checkpoint under a threshold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_blob_requires_witness_cosignatures() {
    tokio::time::timeout(Duration::from_secs(60), cosigned_bundle())
        .await
        .unwrap();
}

async fn cosigned_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = common::dev_server(&data);
    let o = signet_in(&data, &["oidc", "token", "--subject", "alice@example.com"]).await;
    assert!(o.status.success(), "{}", out(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let art = dir.path().join("art.txt");
    std::fs::write(&art, b"witnessed artifact").unwrap();
    let bundle_path = dir.path().join("art.sigstore.json");
    let (art_s, bundle_s) = (art.to_str().unwrap(), bundle_path.to_str().unwrap());
    let o = signet_in(
        &data,
        &[
            "sign-blob",
            art_s,
            "--identity-token",
            &token,
            "--bundle",
            bundle_s,
        ],
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle_path).unwrap()).unwrap();
    let envelope = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
        ["envelope"]
        .as_str()
        .unwrap()
        .to_string();
    let origin = envelope.lines().next().unwrap().to_string();

    // Two witnesses of the log, each with its own key.
    let log_pem = reqwest::get(format!("{}/api/v1/log/publicKey", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let log_key = dir.path().join("log.pub");
    std::fs::write(&log_key, log_pem).unwrap();
    let spec = format!("{origin}={}", log_key.display());
    let (w1_dir, w2_dir) = (dir.path().join("w1"), dir.path().join("w2"));
    std::fs::create_dir_all(&w1_dir).unwrap();
    std::fs::create_dir_all(&w2_dir).unwrap();
    let w1 = start(&w1_dir, std::slice::from_ref(&spec));
    let _w2 = start(&w2_dir, std::slice::from_ref(&spec));
    let (k1, k2) = (
        w1_dir.join("witness.key.vkey"),
        w2_dir.join("witness.key.vkey"),
    );
    let (k1, k2) = (k1.to_str().unwrap(), k2.to_str().unwrap());

    // Witness 1 cosigns the bundle's checkpoint; the line goes after the log's.
    let (status, _, line) = post(&w1.url, format!("old 0\n\n{envelope}")).await;
    assert_eq!(status, 200, "{line}");
    let write = |name: &str, env: String| {
        let mut b = bundle.clone();
        b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] =
            env.into();
        let p = dir.path().join(name);
        std::fs::write(&p, serde_json::to_vec(&b).unwrap()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let cosigned = write("cosigned.json", format!("{envelope}{line}"));
    let issuer = format!("{}/oidc", server.url);
    let verify = |bundle: String, extra: Vec<String>| {
        let mut a: Vec<String> = [
            "verify-blob",
            art_s,
            "--bundle",
            &bundle,
            "--certificate-identity",
            "alice@example.com",
            "--certificate-oidc-issuer",
            &issuer,
            "--trusted-root",
            data.join("trusted_root.json").to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra);
        let data = data.clone();
        async move {
            let refs: Vec<&str> = a.iter().map(String::as_str).collect();
            signet_in(&data, &refs).await
        }
    };
    let one = |k: &str, n: &str| -> Vec<String> {
        vec![
            "--witness-key".into(),
            k.into(),
            "--witness-threshold".into(),
            n.into(),
        ]
    };
    let o = verify(cosigned.clone(), one(k1, "1")).await;
    assert!(o.status.success(), "{}", out(&o));
    // The bundle as signed (no cosignature): refused under the threshold, fine without it.
    let o = verify(bundle_s.to_string(), one(k1, "1")).await;
    assert!(!o.status.success());
    assert!(
        out(&o).contains("cosigned by 0 of the given witnesses, 1 required"),
        "{}",
        out(&o)
    );
    let o = verify(bundle_s.to_string(), vec![]).await;
    assert!(o.status.success(), "{}", out(&o));
    // Witness 2's key only: witness 1's line does not count.
    let o = verify(cosigned.clone(), one(k2, "1")).await;
    assert!(!o.status.success());
    // Both keys, both required: one cosignature is not enough.
    let mut both = one(k1, "2");
    both.extend(["--witness-key".to_string(), k2.to_string()]);
    let o = verify(cosigned.clone(), both).await;
    assert!(!o.status.success());
    assert!(
        out(&o).contains("cosigned by 1 of the given witnesses, 2 required"),
        "{}",
        out(&o)
    );
    // A tampered cosignature (its timestamp changed) is an error, not a missing one.
    let (prefix, sig) = line.trim_end().rsplit_once(' ').unwrap();
    let mut raw = b64::decode(sig).unwrap();
    raw[11] ^= 1;
    let tampered = write(
        "tampered.json",
        format!("{envelope}{prefix} {}\n", b64::encode(raw)),
    );
    let o = verify(tampered, one(k1, "1")).await;
    assert!(!o.status.success());
    assert!(out(&o).contains("does not verify"), "{}", out(&o));
    // More required than keys given: refused before anything is checked.
    let o = verify(cosigned, one(k1, "2")).await;
    assert!(!o.status.success());
    assert!(
        out(&o).contains("more than the 1 --witness-key"),
        "{}",
        out(&o)
    );

    // `log verify`: the log's checkpoint carries no cosignature (yet).
    let o = signet_in(
        &data,
        &[
            "log",
            "--rekor-url",
            &server.url,
            "verify",
            "--log-index",
            "0",
            "--witness-key",
            k1,
            "--witness-threshold",
            "1",
        ],
    )
    .await;
    assert!(!o.status.success());
    assert!(out(&o).contains("cosigned by 0"), "{}", out(&o));
}
