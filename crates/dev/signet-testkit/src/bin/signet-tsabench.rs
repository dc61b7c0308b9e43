//! Load generator for the timestamp authority (`POST /api/v1/timestamp`), on loopback only.
//!
//! `signet-tsabench URL [CLIENTS] [TIMESTAMPS]`: pre-builds TIMESTAMPS DER requests as
//! sigstore-python sends them (SHA-256 imprint of random "signature" bytes, a nonce, certReq),
//! then CLIENTS concurrent clients POST them; prints timestamps/s and latency percentiles. Every
//! answer must be a 200 `application/timestamp-reply`; every 64th is verified with signet's
//! RFC 3161 verifier against the chain the server publishes (`/api/v1/timestamp/certchain`).

use std::sync::Arc;

use anyhow::{Result, bail};
use signet_crypto::HashAlgorithm;
use signet_testkit::load::{drive, loopback};

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        bail!("usage: signet-tsabench URL [CLIENTS] [TIMESTAMPS]");
    }
    let url = args[1].trim_end_matches('/').to_string();
    loopback(&url)?;
    let clients: usize = args.get(2).map_or(Ok(64), |s| s.parse())?;
    let n: usize = args.get(3).map_or(Ok(20_000), |s| s.parse())?;
    let endpoint = format!("{url}/api/v1/timestamp");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let chain_pem = http
        .get(format!("{endpoint}/certchain"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let chain = pem_certificates(&chain_pem)?;
    let authority = Arc::new(vec![signet_x509::TsaAuthority {
        chain,
        valid_for: (None, None),
    }]);
    let requests: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| {
            let signature = format!("signature {i} {}", rand_u64()).into_bytes();
            let der = signet_x509::tsp::timestamp_request_der(
                HashAlgorithm::Sha256,
                &HashAlgorithm::Sha256.digest(&signature),
                Some(rand_u64()),
                true,
            )?;
            Ok((signature, der))
        })
        .collect::<Result<_>>()?;
    let requests = Arc::new(requests);
    let endpoint = Arc::new(endpoint);
    drive("timestamps", clients, n, move |i| {
        let (requests, http, endpoint, authority) = (
            requests.clone(),
            http.clone(),
            endpoint.clone(),
            authority.clone(),
        );
        async move {
            let Some((signature, der)) = requests.get(i) else {
                return false;
            };
            let r = http
                .post(endpoint.as_str())
                .header("content-type", "application/timestamp-query")
                .body(der.clone())
                .send()
                .await;
            match r {
                Ok(resp)
                    if resp.status().as_u16() == 200
                        && resp
                            .headers()
                            .get("content-type")
                            .is_some_and(|v| v.as_bytes() == b"application/timestamp-reply") =>
                {
                    resp.bytes().await.is_ok_and(|body| {
                        i % 64 != 0
                            || signet_x509::verify_rfc3161(&body, signature, &authority).is_ok()
                    })
                }
                _ => false,
            }
        }
    })
    .await
}

fn rand_u64() -> u64 {
    rand::random()
}

fn pem_certificates(text: &str) -> Result<Vec<signet_x509::Certificate>> {
    let chain = pem::parse_many(text)?
        .iter()
        .map(|p| signet_x509::Certificate::from_der(p.contents()))
        .collect::<Result<Vec<_>, _>>()?;
    if chain.len() < 2 {
        bail!("the certificate chain has {} certificates", chain.len());
    }
    Ok(chain)
}
