//! `signet server --tlog-api v2` over real HTTP on 127.0.0.1: the Rekor v2 write API at the v2
//! log's base URL, its tiles, the trust files advertising it, and signet's verifier accepting
//! the entry it returns against the instance's trusted root.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use serde_json::json;
use signet_crypto::SigningKey;
use signet_types::b64;

mod common;

fn request(key: &SigningKey, data: &[u8]) -> serde_json::Value {
    let sig = key.sign(data).unwrap();
    json!({"hashedRekordRequestV002": {
        "digest": b64::encode(signet_crypto::sha256(data).as_bytes()),
        "signature": {"content": b64::encode(&sig), "verifier": {
            "publicKey": {"rawBytes": b64::encode(key.public_key().spki_der())},
            "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_log_serves_entries_and_tiles_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let server = common::Listening::start(
        &[
            "server",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            d,
            "--tlog-api",
            "v2",
        ],
        &[],
    );
    let v2 = format!("{}/rekor-v2", server.url);
    // The signing config advertises the v2 log; the trusted root holds both logs.
    let signing: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("signing_config.json")).unwrap())
            .unwrap();
    assert_eq!(signing["rekorTlogUrls"][0]["url"], v2.as_str());
    assert_eq!(signing["rekorTlogUrls"][0]["majorApiVersion"], 2);
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("trusted_root.json")).unwrap())
            .unwrap();
    let urls: Vec<&str> = root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["baseUrl"].as_str().unwrap())
        .collect();
    assert_eq!(urls, [server.url.as_str(), v2.as_str()]);

    let http = reqwest::Client::new();
    let key = SigningKey::generate_p256().unwrap();
    let data = b"hello rekor v2";
    let req = request(&key, data);
    let post = |v: &serde_json::Value| http.post(format!("{v2}/api/v2/log/entries")).json(v).send();
    let r = post(&req).await.unwrap();
    assert_eq!(r.status(), 201);
    let entry: serde_json::Value = r.json().await.unwrap();
    assert_eq!(entry["logIndex"], "0");
    assert_eq!(entry["integratedTime"], "0");

    // signet's verifier accepts a v0.3 bundle carrying the entry, against the instance's root.
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": [entry]},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256",
                              "digest": b64::encode(signet_crypto::sha256(data).as_bytes())},
            "signature": req["hashedRekordRequestV002"]["signature"]["content"]},
    });
    let (bp, kp, ap) = (
        dir.path().join("b.json"),
        dir.path().join("k.pub"),
        dir.path().join("artifact"),
    );
    std::fs::write(&bp, bundle.to_string()).unwrap();
    std::fs::write(&kp, key.public_key().to_pem()).unwrap();
    std::fs::write(&ap, data).unwrap();
    let tr = dir.path().join("trusted_root.json");
    let verify = |artifact: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(["verify-bundle", "--bundle", bp.to_str().unwrap(), "--key"])
            .arg(&kp)
            .arg("--trusted-root")
            .arg(&tr)
            .arg(artifact)
            .output()
            .unwrap()
    };
    let out = verify(&ap);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.path().join("other"), b"other").unwrap();
    assert!(!verify(&dir.path().join("other")).status.success());

    // The same entry again: 409 with the earlier index.
    let r = post(&req).await.unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["x-log-index"], "0");
    // A mismatched digest: 400 in grpc-gateway's shape; nothing stored.
    let mut bad = request(&key, b"x");
    bad["hashedRekordRequestV002"]["digest"] = b64::encode([7u8; 32]).into();
    let r = post(&bad).await.unwrap();
    assert_eq!(r.status(), 400);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], 3);
    assert!(
        e["message"].as_str().unwrap().contains("does not verify"),
        "{e}"
    );

    // Tiles: the checkpoint (size 1), the partial level-0 tile holding the leaf hash, the
    // entry bundle holding the body; out-of-range and malformed paths refused.
    let get = |p: &str| http.get(format!("{v2}/{p}")).send();
    let r = get("checkpoint").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=1")
    );
    let cp = r.text().await.unwrap();
    let host = reqwest::Url::parse(&server.url)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string();
    assert!(cp.starts_with(&format!("{host}\n1\n")), "{cp}");
    let body = b64::decode(entry["canonicalizedBody"].as_str().unwrap()).unwrap();
    let r = get("tile/0/000.p/1").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), signet_tlog_leaf(&body));
    let r = get("tile/entries/000.p/1").await.unwrap();
    let mut want = (body.len() as u16).to_be_bytes().to_vec();
    want.extend_from_slice(&body);
    assert_eq!(r.bytes().await.unwrap().to_vec(), want);
    assert_eq!(get("tile/0/000").await.unwrap().status(), 404);
    assert_eq!(get("tile/0/000.p/2").await.unwrap().status(), 404);
    assert_eq!(get("tile/0/x000/000").await.unwrap().status(), 400);
    assert_eq!(get("tile/99/000").await.unwrap().status(), 400);

    // Signing with a signing config that advertises the v2 log and no TSA is refused, saying
    // why, before anything is logged.
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("trust_config.json")).unwrap())
            .unwrap();
    cfg["signingConfig"]["tsaUrls"] = serde_json::json!([]);
    if let Some(s) = cfg["signingConfig"].as_object_mut() {
        s.remove("tsaConfig");
    }
    let no_tsa = dir.path().join("no_tsa_trust_config.json");
    std::fs::write(&no_tsa, cfg.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(["sign-blob", "--trust-config"])
        .arg(&no_tsa)
        .arg("--bundle")
        .arg(dir.path().join("signed.json"))
        .arg(&ap)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the v2 log needs a timestamp authority"),
        "{err}"
    );
}

fn signet_tlog_leaf(body: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8];
    v.extend_from_slice(body);
    signet_crypto::sha256(&v).0.to_vec()
}
