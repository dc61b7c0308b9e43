//! Server time of the log explorer's pages (issue 22), in process, on a real SQLite log.
//!
//! `signet-uibench [ENTRIES] [EMAIL_ENTRIES] [REQUESTS]`: a fresh log in a temporary directory
//! with ENTRIES entries by managed keys and EMAIL_ENTRIES more by one certificate whose SAN is
//! `bench@signet.test`; then REQUESTS sequential requests through the explorer's router
//! (no network: the time is the handler's, rendering included) for: an entry page of a random
//! entry, the search by email (page 1 and the last page of 50 hits, each hit looked up), and
//! the overview. Prints `| page | requests | p50 ms | p99 ms | max ms |`, plus the page weight
//! of `/ui/`.
//!
//! The log is filled without HTTP, in chunks of 10,000: proposals are signed and admitted
//! (`signet_rekor::admit`, the log's own checks) on two threads while the previous chunk is
//! appended through the log's sequencer (`append_leaf`: SET, Merkle hashes, one commit per
//! batch). Examples: `signet-uibench 990000 10000` (10^6 entries, 10,000 hits) and
//! `signet-uibench 0 1000000` (10^6 entries, all hits).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::Request;
use signet_crypto::SigningKey;
use signet_log::{ShardedLog, SqliteStore, TransparencyLog};
use signet_testkit::load::pct;
use signet_testkit::log_trees::open_tree;
use tower::ServiceExt;

const CHUNK: usize = 10_000;

/// Bodies and search keys of entries ready to append.
type Prepared = Vec<(Vec<u8>, Vec<String>)>;

/// What one entry's proposal is made of: the signing key, and the certificate to put in the
/// proposal instead of the bare public key (PEM).
#[derive(Clone)]
struct Signer {
    key: Arc<SigningKey>,
    cert_pem: Option<String>,
}

/// Signs and admits the proposals of entries `range` (data `<prefix>-<i>`), on two threads:
/// the bodies and search keys to append.
fn prepare(signer: &Signer, prefix: &str, range: std::ops::Range<usize>) -> Result<Prepared> {
    let one = |i: usize| -> Result<(Vec<u8>, Vec<String>)> {
        let data = format!("{prefix}-{i}");
        let sig = signer.key.sign(data.as_bytes())?;
        let verifier = match &signer.cert_pem {
            Some(pem) => pem.clone(),
            None => signer.key.public_key().to_pem(),
        };
        let p = signet_rekor::proposed_hashedrekord(
            &sig,
            &verifier,
            &signet_crypto::sha256(data.as_bytes()).to_hex(),
        );
        let a = signet_rekor::admit(&serde_json::to_vec(&p)?)?;
        Ok((a.body, a.index_keys))
    };
    let mid = range.start + range.len() / 2;
    std::thread::scope(|s| {
        let upper = s.spawn(|| (mid..range.end).map(one).collect::<Result<Vec<_>>>());
        let mut out = (range.start..mid).map(one).collect::<Result<Vec<_>>>()?;
        out.extend(
            upper
                .join()
                .map_err(|_| anyhow::anyhow!("a signing thread panicked"))??,
        );
        Ok(out)
    })
}

/// Appends `n` entries made by `signer(chunk start)`: each chunk is prepared while the one
/// before is appended. Returns the entry IDs.
async fn fill(
    tree: &TransparencyLog<SqliteStore>,
    n: usize,
    prefix: &'static str,
    signer: impl Fn(usize) -> Result<Signer>,
) -> Result<Vec<String>> {
    let mut ids = Vec::with_capacity(n);
    let spawn = |start: usize| -> Result<tokio::task::JoinHandle<Result<Prepared>>> {
        let s = signer(start)?;
        Ok(tokio::task::spawn_blocking(move || {
            prepare(&s, prefix, start..n.min(start + CHUNK))
        }))
    };
    let mut next = if n > 0 { Some(spawn(0)?) } else { None };
    let mut start = 0;
    while let Some(job) = next.take() {
        let chunk = job.await??;
        start += CHUNK;
        if start < n {
            next = Some(spawn(start)?);
        }
        let appends = chunk
            .into_iter()
            .map(|(body, keys)| tree.append_leaf(body, keys));
        for r in futures_util::future::join_all(appends).await {
            let leaf = r?;
            ids.push(signet_rekor::entry_id(
                tree.tree_id(),
                &leaf.leaf_hash.to_hex(),
            ));
        }
    }
    Ok(ids)
}

async fn time_get(app: &axum::Router, uri: &str) -> Result<(Duration, usize)> {
    let (t, body) = time_body(app, uri).await?;
    Ok((t, body.len()))
}

async fn time_body(app: &axum::Router, uri: &str) -> Result<(Duration, String)> {
    let t = Instant::now();
    let r = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty())?)
        .await?;
    anyhow::ensure!(r.status().is_success(), "{uri}: {}", r.status());
    let body = axum::body::to_bytes(r.into_body(), 1 << 24).await?;
    Ok((t.elapsed(), String::from_utf8(body.to_vec())?))
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

/// The target of a page's `rel="next"` link.
fn next_link(html: &str) -> Option<String> {
    let href = html
        .split(r#"rel="next" href=""#)
        .nth(1)?
        .split('"')
        .next()?;
    Some(href.replace("&amp;", "&"))
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
    // Managed keys: a new key for each chunk.
    let mut ids = fill(&tree, entries, "ui-bench", |_| {
        Ok(Signer {
            key: Arc::new(SigningKey::generate_p256()?),
            cert_pem: None,
        })
    })
    .await?;
    // One certificate with an email SAN, EMAIL_ENTRIES signatures.
    let key = SigningKey::generate_p256()?;
    let kp = rcgen::KeyPair::try_from(key.to_pkcs8_der()?.as_slice())?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.subject_alt_names = vec![rcgen::SanType::Rfc822Name("bench@signet.test".try_into()?)];
    let by_email = Signer {
        key: Arc::new(key),
        cert_pem: Some(params.self_signed(&kp)?.pem()),
    };
    ids.extend(
        fill(&tree, email_entries, "ui-bench-email", |_| {
            Ok(by_email.clone())
        })
        .await?,
    );
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
    let last_page = email_entries.div_ceil(signet_ui::PAGE_SIZE).max(1);
    let by_page = |page: usize| format!("/ui/?q=bench%40signet.test&by=email&page={page}");
    // The last page as a reader reaches it: the "Next page" link of the page before it, which
    // carries the cursor of that page's last hit (fetched once, untimed, by its offset).
    let by_link = if last_page > 1 {
        let (_, before_last) = time_body(&app, &by_page(last_page - 1)).await?;
        Some(next_link(&before_last).context("the page before the last has no next link")?)
    } else {
        None
    };
    let mut pages = vec![
        (1, by_page(1), "page 1".to_string()),
        (
            last_page,
            by_page(last_page),
            format!("last page {last_page}, by offset"),
        ),
    ];
    if let Some(link) = by_link {
        pages.push((
            last_page,
            link,
            format!("last page {last_page}, by its Next link"),
        ));
    }
    for (page, uri, what) in pages {
        let mut times = Vec::with_capacity(few);
        let mut html = String::new();
        for _ in 0..few {
            let (t, body) = time_body(&app, &uri).await?;
            times.push(t);
            html = body;
        }
        let hits = html.matches(r#"class="hit""#).count();
        let want = email_entries
            .saturating_sub((page - 1) * signet_ui::PAGE_SIZE)
            .min(signet_ui::PAGE_SIZE);
        anyhow::ensure!(hits == want, "{uri}: {hits} hits, {want} expected");
        row(
            &format!("search by email ({email_entries} hits, 50 a page): {what}"),
            times,
        );
    }
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
