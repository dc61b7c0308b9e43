//! The timestamp authority over HTTP: DER and JSON requests, the chain, error shapes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use signet_ca::{CaChain, FileSigner};
use signet_crypto::HashAlgorithm;
use signet_tsa::{TimestampAuthority, TimestampRequest, certificate};
use signet_types::UnixSeconds;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_over_http() {
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let (ca, root_key, _) = CaChain::generate("signet test", now).unwrap();
    let key = FileSigner::generate_p256().unwrap();
    let chain = certificate::issue(&ca, &root_key, &key, "signet test", now).unwrap();
    let tsa = Arc::new(
        TimestampAuthority::new(
            &chain,
            Arc::new(key),
            UnixSeconds(time::OffsetDateTime::now_utc().unix_timestamp()),
        )
        .unwrap(),
    );
    let trust = tsa.trust();
    let app = signet_server::json_errors(signet_server::tsa::tsa_router(tsa));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1/timestamp", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let post = |ct: &'static str, body: Vec<u8>| {
        client
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
    };

    // DER, as sigstore-python asks (nonce, certReq).
    let req = TimestampRequest::for_data(b"sig").unwrap();
    let r = post("application/timestamp-query", req.to_der().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/timestamp-reply");
    let der = r.bytes().await.unwrap();
    signet_x509::verify_rfc3161(&der, b"sig", std::slice::from_ref(&trust)).unwrap();

    // JSON, with parameters on the media type.
    use base64::Engine;
    let body = serde_json::json!({
        "artifactHash": base64::engine::general_purpose::STANDARD
            .encode(HashAlgorithm::Sha256.digest(b"sig")),
        "hashAlgorithm": "sha256", "nonce": 123, "certificates": true,
    });
    let r = post(
        "application/json; charset=utf-8",
        body.to_string().into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let der = r.bytes().await.unwrap();
    signet_x509::verify_rfc3161(&der, b"sig", std::slice::from_ref(&trust)).unwrap();

    // Errors: JSON {"code","message"}.
    let check = async |r: reqwest::Response, code: u16, want: &str| {
        assert_eq!(r.status().as_u16(), code);
        let j: serde_json::Value = r.json().await.unwrap();
        assert_eq!(j["code"], code);
        let m = j["message"].as_str().unwrap();
        assert!(m.contains(want), "{want}: {m}");
    };
    check(
        post("application/timestamp-query", b"junk".to_vec())
            .await
            .unwrap(),
        400,
        "malformed TimeStampReq",
    )
    .await;
    check(
        post("text/plain", req.to_der().unwrap()).await.unwrap(),
        415,
        "unsupported content type",
    )
    .await;
    check(
        post(
            "application/json",
            br#"{"artifactHash":"AA==","hashAlgorithm":"sha1"}"#.to_vec(),
        )
        .await
        .unwrap(),
        400,
        "Weak hash algorithm",
    )
    .await;
    check(
        post("application/json", vec![b' '; 1025]).await.unwrap(),
        413,
        "over the limit of 1024 bytes",
    )
    .await;
    check(
        post(
            "application/timestamp-query",
            vec![0; signet_server::tsa::MAX_BODY + 1],
        )
        .await
        .unwrap(),
        413,
        "",
    )
    .await;

    // The chain: leaf, root.
    let r = client.get(format!("{url}/certchain")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/pem-certificate-chain"
    );
    let pem = r.text().await.unwrap();
    let blocks = pem::parse_many(&pem).unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].contents(), chain[0]);
    assert_eq!(blocks[1].contents(), ca.root().der());
    server.abort();
}
