#![no_main]
//! The log's query parameters (`GET /api/v1/log/entries?logIndex=N`, `GET
//! /api/v1/log/proof?firstSize=N&lastSize=M`), extracted exactly as the handlers do (axum's
//! `Query`, then the server's own parsing): never a panic, and an accepted value is one the
//! canonical query gives back.
use axum::extract::Query;
use axum::http::Uri;
use libfuzzer_sys::fuzz_target;
use signet_server::{IndexQuery, ProofQuery};

fn index(query: &str) -> Option<u64> {
    let uri: Uri = format!("/api/v1/log/entries?{query}").parse().ok()?;
    Query::<IndexQuery>::try_from_uri(&uri)
        .ok()?
        .0
        .log_index()
        .ok()
}

fn sizes(query: &str) -> Option<(u64, u64)> {
    let uri: Uri = format!("/api/v1/log/proof?{query}").parse().ok()?;
    Query::<ProofQuery>::try_from_uri(&uri).ok()?.0.sizes().ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(n) = index(q) {
        assert_eq!(index(&format!("logIndex={n}")), Some(n));
    }
    if let Some((first, last)) = sizes(q) {
        assert_eq!(
            sizes(&format!("firstSize={first}&lastSize={last}")),
            Some((first, last))
        );
    }
});
