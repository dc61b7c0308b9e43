//! The explorer's router over a real log (SQLite, in a temporary directory): security headers
//! on every page, the page weight of `/ui/`, index-backed search with 50-hit pages, and the
//! entry page's answers for unknown and malformed IDs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use signet_crypto::SigningKey;
use signet_log::ShardedLog;
use signet_testkit::log_trees::{open_tree, proposal};
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let r = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = r.into_parts();
    let bytes = axum::body::to_bytes(body, 10 << 20).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

/// A log of `n` entries by one key (data `entry-<i>`), its router and the key.
async fn log_with(dir: &std::path::Path, n: usize) -> (axum::Router, SigningKey) {
    let tree = open_tree(dir, 0).await;
    let key = SigningKey::generate_p256().unwrap();
    let adds: Vec<_> = (0..n)
        .map(|i| proposal(&key, &format!("entry-{i}")))
        .collect();
    futures_util::future::join_all(adds.iter().map(|p| tree.add(p)))
        .await
        .into_iter()
        .for_each(|r| {
            r.unwrap();
        });
    let log = Arc::new(ShardedLog::single(tree));
    (signet_ui::explorer_router(log), key)
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

#[tokio::test]
async fn pages_headers_weight_and_pagination() {
    let dir = tempfile::tempdir().unwrap();
    let (app, key) = log_with(dir.path(), 60).await;

    // Every answer: the strict policy, no sniffing, no framing.
    for uri in [
        "/ui/",
        "/ui/static/app.js",
        "/ui/static/style.css",
        "/ui/entries/nope",
    ] {
        let (_, h, _) = get(&app, uri).await;
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}");
        assert!(!csp.contains("unsafe-inline"), "{uri}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
    }

    // The explorer's page weight: HTML + script + style sheet, under 100 KB.
    let (status, h, html) = get(&app, "/ui/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let weight = html.len() + signet_ui::APP_JS.len() + signet_ui::STYLE_CSS.len();
    assert!(weight < 100_000, "explorer page weight {weight} bytes");
    assert!(html.contains(r#"<dd id="tree-size">60</dd>"#), "{html}");
    assert!(html.contains("<polyline"));
    // No inline script or style anywhere (the policy would block them).
    assert_eq!(count(&html, "<script"), 1);
    assert!(html.contains(r#"<script src="/ui/static/app.js" defer>"#));
    assert_eq!(count(&html, "style="), 0);

    // Search by the public key: 60 hits, 50 on page 1 with a next link, 10 on page 2.
    let pem = key.public_key().to_pem();
    let q: String = pem.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let (_, _, p1) = get(&app, &format!("/ui/?q={q}&by=key")).await;
    assert!(p1.contains("60 entries found"), "{p1}");
    assert_eq!(count(&p1, r#"class="hit""#), signet_ui::PAGE_SIZE);
    assert!(p1.contains(r#"rel="next""#));
    assert!(!p1.contains(r#"rel="prev""#));
    let (_, _, p2) = get(&app, &format!("/ui/?q={q}&by=key&page=2")).await;
    assert_eq!(count(&p2, r#"class="hit""#), 10);
    assert!(!p2.contains(r#"rel="next""#));
    assert!(p2.contains(r#"rel="prev""#));
    // The two pages hold each hit once, in log order (the index is read in insertion order).
    let hits = |html: &str| -> Vec<String> {
        html.split(r#"class="hit" href="/ui/entries/"#)
            .skip(1)
            .map(|t| t.split('"').next().unwrap().to_string())
            .collect()
    };
    let indexes = |html: &str| -> Vec<u64> {
        html.split("<tr><td>")
            .skip(1)
            .map(|t| t.split('<').next().unwrap().parse().unwrap())
            .collect()
    };
    let mut all = hits(&p1);
    all.extend(hits(&p2));
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 60);
    let mut order = indexes(&p1);
    order.extend(indexes(&p2));
    assert_eq!(order, (0..60).collect::<Vec<u64>>(), "{p1}");
    assert!(p2.contains("Page 2"));
    // The links carry cursors: "Next page" from page 1 is page 2, and "Previous page" from
    // there is page 1 again (linked by number).
    let link = |html: &str, rel: &str| -> String {
        html.split(&format!(r#"rel="{rel}" href=""#))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&")
    };
    let next = link(&p1, "next");
    assert!(next.contains("&page=2&after="), "{next}");
    let (_, _, p2_by_link) = get(&app, &next).await;
    assert_eq!(hits(&p2_by_link), hits(&p2));
    assert!(!p2_by_link.contains(r#"rel="next""#));
    let prev = link(&p2_by_link, "prev");
    assert!(prev.ends_with("&page=1"), "{prev}");
    let (_, _, p1_again) = get(&app, &prev).await;
    assert_eq!(hits(&p1_again), hits(&p1));
    // A cursor the log did not make, or a hostile one, is refused with a reason, not echoed.
    for bad in ["0.r999999999999999999999", "9.r1", "%3Cscript%3E"] {
        let (status, _, page) = get(&app, &format!("/ui/?q={q}&by=key&page=2&after={bad}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("not a search page cursor of this log"),
            "{bad}: {page}"
        );
        assert!(!page.contains("<script>"));
        assert_eq!(count(&page, r#"class="hit""#), 0);
    }
    // Past the end: no hits, and the page says so.
    let (_, _, p9) = get(&app, &format!("/ui/?q={q}&by=key&page=9")).await;
    assert_eq!(count(&p9, r#"class="hit""#), 0);
    assert!(p9.contains("No entries on page 9"), "{p9}");

    // By hash: the one entry; a malformed hash says why.
    let digest = signet_crypto::sha256(b"entry-7").to_hex();
    let (_, _, h1) = get(&app, &format!("/ui/?q=sha256:{digest}&by=hash")).await;
    assert!(h1.contains("1 entry found"), "{h1}");
    let (_, _, bad) = get(&app, "/ui/?q=xyz&by=hash").await;
    assert!(bad.contains("is not a SHA-256 digest"), "{bad}");
    // By index: straight to the entry page.
    let (status, h, _) = get(&app, "/ui/?q=7").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let entry = h["location"].to_str().unwrap().to_string();
    let (status, _, page) = get(&app, &entry).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("sha256:{digest}")), "{page}");
    assert!(page.contains("hashedrekord 0.0.1"));
    assert!(page.contains(r#"id="inclusion-status""#));
    assert!(page.contains("<noscript>"));

    // Unknown and malformed entry IDs.
    let (status, _, page) = get(&app, &format!("/ui/entries/{}", "ab".repeat(32))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("No such entry"));
    let (status, _, page) = get(&app, "/ui/entries/%3Cscript%3E").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("&lt;script&gt;") && !page.contains("<script>"),
        "{page}"
    );
}
