//! Load generator for the certificate authority (Fulcio v2 `signingCert`), on loopback only.
//!
//! `signet-cabench URL TOKEN SUBJECT [CLIENTS] [CERTS]`: pre-builds CERTS requests (a fresh
//! P-256 key and proof of possession each), then CLIENTS concurrent clients POST them with the
//! token; prints certificates/s and latency percentiles. Every response is checked to carry a
//! three-certificate chain.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Result, bail};
use signet_crypto::SigningKey;
use signet_testkit::load::{loopback, pct};
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
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let endpoint = format!("{url}/api/v2/signingCert");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (bodies, next, http, endpoint, token) = (
            bodies.clone(),
            next.clone(),
            http.clone(),
            endpoint.clone(),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() {
                    break;
                }
                let t = Instant::now();
                let r = http
                    .post(&endpoint)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(bodies[i].clone())
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().as_u16() == 200 => {
                        let v: serde_json::Value = resp.json().await.unwrap_or_default();
                        let ok = v
                            .pointer("/signedCertificateEmbeddedSct/chain/certificates")
                            .and_then(|c| c.as_array())
                            .is_some_and(|c| c.len() == 3);
                        if ok {
                            lat.push(t.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut lat = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        lat.extend(l);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    println!("| certificates | clients | seconds | certs/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {clients} | {secs:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {errors} |",
        lat.len(),
        lat.len() as f64 / secs,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}
