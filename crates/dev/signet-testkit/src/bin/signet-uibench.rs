//! Server time of the log explorer's pages (issue 22), in process, on a real SQLite log.
//!
//! `signet-uibench [ENTRIES] [EMAIL_ENTRIES] [REQUESTS]`: a fresh log in a temporary directory
//! with ENTRIES entries by managed keys and EMAIL_ENTRIES more by one certificate whose SAN is
//! `bench@signet.test`; then REQUESTS sequential requests through the explorer's router
//! (no network: the time is the handler's, rendering included) for: an entry page of a random
//! entry, the search by email (first page of 50 hits, each looked up), and the overview.
//! Prints `| page | requests | p50 ms | p99 ms | max ms |`, plus the page weight of `/ui/`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::Request;
use signet_crypto::SigningKey;
use signet_log::ShardedLog;
use signet_testkit::load::pct;
use signet_testkit::log_trees::{open_tree, proposal};
use tower::ServiceExt;

const CHUNK: usize = 2000;

async fn time_get(app: &axum::Router, uri: &str) -> Result<(Duration, usize)> {
    let t = Instant::now();
    let r = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty())?)
        .await?;
    anyhow::ensure!(r.status().is_success(), "{uri}: {}", r.status());
    let body = axum::body::to_bytes(r.into_body(), 1 << 24).await?;
    Ok((t.elapsed(), body.len()))
}

fn row(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "| {what} | {} | {:.2} | {:.2} | {:.2} |",
        times.len(),
        pct(&times, 0.5),
        pct(&times, 0.99),
        pct(&times, 1.0)
    );
}

#[tokio::main]
async fn main() -> Result<()> {
    let arg = |i: usize, d: usize| -> Result<usize> {
        std::env::args()
            .nth(i)
            .map_or(Ok(d), |a| a.parse().context("arguments are numbers"))
    };
    let (entries, email_entries, requests) = (arg(1, 100_000)?, arg(2, 10_000)?, arg(3, 1000)?);
    let dir = tempfile::tempdir()?;
    let tree = open_tree(dir.path(), 0).await;
    let t = Instant::now();
    let mut ids = Vec::with_capacity(entries);
    for start in (0..entries).step_by(CHUNK) {
        let key = SigningKey::generate_p256()?;
        let chunk: Vec<Vec<u8>> = (start..entries.min(start + CHUNK))
            .map(|i| proposal(&key, &format!("ui-bench-{i}")))
            .collect();
        for r in futures_util::future::join_all(chunk.iter().map(|p| tree.add(p))).await {
            ids.push(r?.0);
        }
    }
    // One certificate with an email SAN, EMAIL_ENTRIES signatures.
    let key = SigningKey::generate_p256()?;
    let kp = rcgen::KeyPair::try_from(key.to_pkcs8_der()?.as_slice())?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.subject_alt_names = vec![rcgen::SanType::Rfc822Name("bench@signet.test".try_into()?)];
    let pem = params.self_signed(&kp)?.pem();
    for start in (0..email_entries).step_by(CHUNK) {
        let chunk: Vec<Vec<u8>> = (start..email_entries.min(start + CHUNK))
            .map(|i| {
                let data = format!("ui-bench-email-{i}");
                let sig = key.sign(data.as_bytes())?;
                let p = signet_rekor::proposed_hashedrekord(
                    &sig,
                    &pem,
                    &signet_crypto::sha256(data.as_bytes()).to_hex(),
                );
                Ok(serde_json::to_vec(&p)?)
            })
            .collect::<Result<_>>()?;
        for r in futures_util::future::join_all(chunk.iter().map(|p| tree.add(p))).await {
            ids.push(r?.0);
        }
    }
    eprintln!(
        "filled {} entries in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    let app = signet_ui::explorer_router(Arc::new(ShardedLog::single(tree)));
    println!(
        "## explorer pages, server time in process ({entries} entries + {email_entries} by bench@signet.test)"
    );
    println!("| page | requests | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    let mut times = Vec::with_capacity(requests);
    let mut at = 0x9e37_79b9_usize;
    for _ in 0..requests {
        at = at.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let id = ids.get(at % ids.len().max(1)).context("no entries")?;
        times.push(time_get(&app, &format!("/ui/entries/{id}")).await?.0);
    }
    row("entry page (random entry)", times);
    let few = requests.div_ceil(10).max(1);
    let mut times = Vec::with_capacity(few);
    for _ in 0..few {
        times.push(
            time_get(&app, "/ui/?q=bench%40signet.test&by=email")
                .await?
                .0,
        );
    }
    row(
        &format!("search by email ({email_entries} hits, first page of 50)"),
        times,
    );
    let mut times = Vec::with_capacity(few);
    let mut html = 0;
    for _ in 0..few {
        let (t, n) = time_get(&app, "/ui/").await?;
        times.push(t);
        html = n;
    }
    row("overview (/ui/, 24 chart samples)", times);
    println!(
        "\npage weight of /ui/: {} bytes (HTML {html}, script {}, style {})",
        html + signet_ui::APP_JS.len() + signet_ui::STYLE_CSS.len(),
        signet_ui::APP_JS.len(),
        signet_ui::STYLE_CSS.len()
    );
    Ok(())
}
