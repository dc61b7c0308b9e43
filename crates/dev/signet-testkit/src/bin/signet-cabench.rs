//! Load generator for the certificate authority (Fulcio v2 `signingCert`), on loopback only.
//!
//! `signet-cabench URL TOKEN SUBJECT [CLIENTS] [CERTS]`: pre-builds CERTS requests (a fresh
//! P-256 key and proof of possession each), then CLIENTS concurrent clients POST them with the
//! token; prints certificates/s and latency percentiles. Every response is checked to carry a
//! three-certificate chain.

use std::sync::Arc;

use anyhow::{Result, bail};
use signet_crypto::SigningKey;
use signet_testkit::load::{drive, loopback};
use signet_types::b64;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        bail!("usage: signet-cabench URL TOKEN SUBJECT [CLIENTS] [CERTS]");
    }
    let (url, token, subject) = (args[1].clone(), args[2].clone(), args[3].clone());
    loopback(&url)?;
    let clients: usize = args.get(4).map_or(Ok(32), |s| s.parse())?;
    let n: usize = args.get(5).map_or(Ok(4000), |s| s.parse())?;
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let k = SigningKey::generate_p256()?;
            let body = serde_json::json!({"publicKeyRequest": {
                "publicKey": {"algorithm": "ECDSA", "content": k.public_key().to_pem()},
                "proofOfPossession": b64::encode(k.sign(subject.as_bytes())?),
            }});
            Ok(serde_json::to_vec(&body)?)
        })
        .collect::<Result<_>>()?;
    let bodies = Arc::new(bodies);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let endpoint = Arc::new(format!("{url}/api/v2/signingCert"));
    let token = Arc::new(token);
    drive("certificates", clients, n, move |i| {
        let (bodies, http, endpoint, token) = (
            bodies.clone(),
            http.clone(),
            endpoint.clone(),
            token.clone(),
        );
        async move {
            let Some(body) = bodies.get(i) else {
                return false;
            };
            let r = http
                .post(endpoint.as_str())
                .bearer_auth(token.as_str())
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            match r {
                Ok(resp) if resp.status().as_u16() == 200 => {
                    let v: serde_json::Value = resp.json().await.unwrap_or_default();
                    v.pointer("/signedCertificateEmbeddedSct/chain/certificates")
                        .and_then(|c| c.as_array())
                        .is_some_and(|c| c.len() == 3)
                }
                _ => false,
            }
        }
    })
    .await
}
