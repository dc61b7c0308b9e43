//! The release page: what `signet verify-release` found about a release directory, as HTML —
//! the verdict, one row per file (status, signer identity and issuer, log entry), the signed
//! SBOM's packages and licenses and the signed provenance's build. It renders a
//! [`ReleaseReport`] that `signet_release::verify::verify_release` made (the same value
//! `verify-release --output json` prints); nothing is checked here. Every value is escaped
//! ([`maud`]); a log entry is a link only when the trusted root's log URL is http(s).

use std::future::Future;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use signet_release::verify::{FileStatus, ReleaseReport, Status};

use crate::pages::{Chrome, layout_for};

/// What the release page shows.
#[derive(Clone, Debug)]
pub struct ReleaseView {
    /// The release's name (its directory's).
    pub name: String,
    /// What verification required, as `(what, value)`: identity, issuer, policy rules.
    pub expected: Vec<(String, String)>,
    /// What verification found.
    pub report: ReleaseReport,
    /// Whether the release's files are served below the page's address (a directory), or
    /// not (a release downloaded from the URL `name` for this load).
    pub files_here: bool,
}

const RELEASE: Chrome = Chrome {
    home: "/",
    name: " release verification",
    script: false,
    footer: "Verified by this signet serve-release when the page was loaded, with the checks of signet verify-release (the same code). The files are served below this address.",
    wide: true,
};

/// The page of a release downloaded from its URL: its files are there, not here.
const RELEASE_AT_URL: Chrome = Chrome {
    footer: "Downloaded and verified by this signet serve-release when the page was loaded, with the checks of signet verify-release (the same code). The files are served at the release's URL.",
    ..RELEASE
};

/// The verdict line: `All N files verified` or `K problem(s) in N files: NOT verified`.
pub fn verdict(report: &ReleaseReport) -> String {
    let n = report.files.len();
    match report.problems() {
        0 => format!("All {n} files verified"),
        1 => format!("1 problem in {n} files: release NOT verified"),
        k => format!("{k} problems in {n} files: release NOT verified"),
    }
}

fn entry_link(f: &FileStatus) -> Markup {
    html! {
        @match &f.log_entry {
            None => "—",
            Some(e) => {
                @let url = e.log_url.trim_end_matches('/');
                @if url.starts_with("https://") || url.starts_with("http://") {
                    a class="entry" href=(format!("{url}/ui/entries/{}", e.uuid))
                        title=(format!("Log entry {}", e.uuid)) { (e.log_index) }
                } @else {
                    span title=(e.uuid) { (e.log_index) }
                }
            }
        }
    }
}

fn files(report: &ReleaseReport) -> Markup {
    html! {
        section aria-labelledby="files-title" {
            h2 id="files-title" { "Files" }
            div class="scroll" { table id="files" {
                caption { "Every file of the release, its signature and its transparency-log entry" }
                thead {
                    tr {
                        th scope="col" { "File" }
                        th scope="col" { "Status" }
                        th scope="col" { "Signed by (identity, OIDC issuer)" }
                        th scope="col" { "Log index" }
                        th scope="col" { "Detail" }
                    }
                }
                tbody {
                    @for f in &report.files {
                        tr data-status=(f.status.as_str()) {
                            th scope="row" class="path" { code { (f.path) } }
                            td class={ "status " (if f.status == Status::Ok { "ok" } else { "bad" }) } { (f.status.as_str()) }
                            td class="signer" {
                                code class="identity" { (f.identity.as_deref().unwrap_or("—")) }
                                @if let Some(issuer) = &f.issuer { br; code class="issuer" { (issuer) } }
                            }
                            td class="log" { (entry_link(f)) }
                            td class="detail" { (f.detail) }
                        }
                    }
                }
            } }
        }
    }
}

fn sbom(report: &ReleaseReport) -> Markup {
    html! {
        section id="sbom" aria-labelledby="sbom-title" {
            h2 id="sbom-title" { "SBOM" }
            @match &report.sbom {
                None => p class="bad" { "No signed SBOM could be read (see its row above)." },
                Some(s) => {
                    dl {
                        dt { "File" } dd { code { (s.file) } " (" (s.format) ")" }
                        dt { "Packages" } dd id="sbom-packages" { (s.package_count) }
                        dt { "Licenses" } dd id="sbom-licenses" {
                            @if s.licenses.is_empty() { "none declared" }
                            @for (i, l) in s.licenses.iter().enumerate() {
                                @if i > 0 { ", " }
                                code { (l) }
                            }
                        }
                    }
                    @if !s.packages.is_empty() {
                        table id="packages" {
                            caption {
                                @if s.packages.len() < s.package_count {
                                    "The first " (s.packages.len()) " of " (s.package_count) " packages the SBOM lists"
                                } @else {
                                    "Packages the SBOM lists"
                                }
                            }
                            thead { tr { th scope="col" { "Package" } th scope="col" { "Version" } th scope="col" { "License" } } }
                            tbody {
                                @for p in &s.packages {
                                    tr {
                                        td { code { (p.name) } }
                                        td { (p.version.as_deref().unwrap_or("—")) }
                                        td { (p.license.as_deref().unwrap_or("—")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn provenance(report: &ReleaseReport) -> Markup {
    html! {
        section id="provenance" aria-labelledby="provenance-title" {
            h2 id="provenance-title" { "Provenance" }
            @match &report.provenance {
                None => p class="bad" { "No signed provenance could be read (see its row above)." },
                Some(p) => {
                    dl {
                        dt { "Builder" } dd id="builder" { code { (p.builder_id) } }
                        dt { "Build type" } dd { code { (p.build_type) } }
                        dt { "Source" } dd id="source" { code { (p.source_uri.as_deref().unwrap_or("—")) } }
                        dt { "Ref" } dd { code { (p.source_ref.as_deref().unwrap_or("—")) } }
                        @for (alg, hex) in &p.source_digest {
                            dt { "Revision (" (alg) ")" } dd { code { (hex) } }
                        }
                        dt { "Subjects" } dd id="subjects" { (p.subjects) }
                    }
                }
            }
        }
    }
}

/// The release page.
pub fn page(v: &ReleaseView) -> Markup {
    let ok = v.report.problems() == 0;
    layout_for(
        if v.files_here {
            &RELEASE
        } else {
            &RELEASE_AT_URL
        },
        &format!("Release {}", v.name),
        html! {
            h1 { "Release " (v.name) }
            section class="verification" aria-labelledby="verdict" {
                p id="verdict" role="status" class=(if ok { "ok" } else { "bad" }) { (verdict(&v.report)) }
                dl {
                    @for (what, value) in &v.expected {
                        dt { (what) } dd { code { (value) } }
                    }
                }
            }
            (files(&v.report))
            (sbom(&v.report))
            (provenance(&v.report))
        },
    )
}

/// The release page's routes: `/` and `/ui/release` render what `verify` returns at each
/// load (an error page when the release cannot be verified at all), and the style sheet at
/// `/ui/static/style.css`; every answer carries the explorer's security headers.
pub fn release_router<F, Fut>(verify: F) -> Router
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<ReleaseView, String>> + Send + 'static,
{
    let show = move || {
        let verify = verify.clone();
        async move {
            match verify().await {
                Ok(v) => crate::html(StatusCode::OK, page(&v)),
                Err(e) => error(&e),
            }
        }
    };
    Router::new()
        .route("/", get(show.clone()))
        .route("/ui/release", get(show))
        .route(
            "/ui/static/style.css",
            get(|| async { crate::asset("text/css; charset=utf-8", crate::STYLE_CSS) }),
        )
        .layer(axum::middleware::map_response(crate::security_headers))
}

/// The error page: said the same way for a directory and for a URL.
const RELEASE_ERROR: Chrome = Chrome {
    footer: "Verified by this signet serve-release when the page was loaded, with the checks of signet verify-release (the same code).",
    ..RELEASE
};

fn error(message: &str) -> Response {
    crate::html(
        StatusCode::INTERNAL_SERVER_ERROR,
        layout_for(
            &RELEASE_ERROR,
            "Release not verified",
            html! {
                h1 { "Release not verified" }
                p id="verdict" class="error" role="alert" { "The release could not be verified: " (message) }
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use signet_release::sboms::SbomPackage;
    use signet_release::verify::{LogEntryRef, ProvenanceSummary, SbomSummary};

    use super::*;

    const XSS: &str = "<script>alert(1)</script>";

    fn hostile() -> ReleaseView {
        let mut ok = FileStatus::new(&format!("{XSS}.tar.gz"), Status::Ok, "log index 7");
        ok.identity = Some("<img src=x onerror=alert(2)>@evil.test".into());
        ok.issuer = Some("javascript:alert(3)".into());
        ok.log_entry = Some(LogEntryRef {
            log_index: 7,
            uuid: "\"><script>alert(4)</script>".into(),
            log_url: "https://log.example".into(),
        });
        let mut bad = FileStatus::new("b\"onmouseover=\"alert(5)", Status::Tampered, XSS);
        bad.log_entry = Some(LogEntryRef {
            log_index: 8,
            uuid: "u".into(),
            log_url: "javascript:alert(6)".into(),
        });
        ReleaseView {
            name: XSS.into(),
            expected: vec![("Identity".into(), XSS.into())],
            report: ReleaseReport {
                files: vec![ok, bad],
                bytes: 0,
                hash_seconds: 0.0,
                sbom: Some(SbomSummary {
                    file: "release.spdx.json".into(),
                    format: "SPDX 2.3".into(),
                    package_count: 1,
                    packages: vec![SbomPackage {
                        name: format!("{XSS}pkg"),
                        version: Some("<b>1</b>".into()),
                        license: Some("<i>MIT</i>".into()),
                    }],
                    licenses: vec!["<i>MIT</i>".into()],
                }),
                provenance: Some(ProvenanceSummary {
                    builder_id: XSS.into(),
                    build_type: "t".into(),
                    source_uri: Some("javascript:alert(7)".into()),
                    source_ref: None,
                    source_digest: [("gitCommit".to_string(), XSS.to_string())].into(),
                    subjects: 2,
                }),
            },
            files_here: true,
        }
    }

    #[test]
    fn every_field_of_a_hostile_release_is_escaped() {
        let html = page(&hostile()).into_string();
        // No markup from the release: the only tags are the page's own.
        for bad in [
            "<script",
            "<img",
            "<b>",
            "<i>",
            "onmouseover=\"",
            "href=\"javascript",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;.tar.gz"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;pkg"));
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;@evil.test"));
        assert!(html.contains("b&quot;onmouseover=&quot;alert(5)"));
        // The log link of the https log, escaped inside the attribute; none for javascript:.
        assert!(html.contains(
            "href=\"https://log.example/ui/entries/&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;\""
        ));
        assert_eq!(html.matches("class=\"entry\"").count(), 1);
        assert!(html.contains("1 problem in 2 files: release NOT verified"));
        assert!(html.contains("The files are served below this address."));
    }

    #[test]
    fn a_release_from_a_url_says_where_its_files_are() {
        let mut v = hostile();
        v.name = "https://example.org/releases/v1.2.3/?a=<b>".into();
        v.files_here = false;
        let html = page(&v).into_string();
        assert!(html.contains("<h1>Release https://example.org/releases/v1.2.3/?a=&lt;b&gt;</h1>"));
        assert!(html.contains("The files are served at the release's URL."));
        assert!(!html.contains("below this address"));
    }

    #[test]
    fn the_verdict_counts_problems() {
        let mut v = hostile();
        assert_eq!(
            verdict(&v.report),
            "1 problem in 2 files: release NOT verified"
        );
        v.report.files[1].status = Status::Ok;
        assert_eq!(verdict(&v.report), "All 2 files verified");
        let html = page(&v).into_string();
        assert!(
            html.contains(
                "<p id=\"verdict\" role=\"status\" class=\"ok\">All 2 files verified</p>"
            )
        );
        v.report.files[0].status = Status::Missing;
        v.report.files[1].status = Status::Failed;
        assert_eq!(
            verdict(&v.report),
            "2 problems in 2 files: release NOT verified"
        );
    }

    #[tokio::test]
    async fn the_router_re_verifies_on_each_load_with_strict_headers() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tower::ServiceExt;
        let loads = Arc::new(AtomicUsize::new(0));
        let counter = loads.clone();
        let app = release_router(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 2 {
                    return Err(format!("{XSS} unreadable"));
                }
                let mut v = hostile();
                if n == 1 {
                    v.report.files[1].status = Status::Ok;
                }
                Ok(v)
            }
        });
        let get = |path: &str| {
            axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let body = |r: Response| async move {
            let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
            String::from_utf8(b.to_vec()).unwrap()
        };
        let r = app.clone().oneshot(get("/")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-security-policy"], crate::CSP);
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert!(body(r).await.contains("1 problem in 2 files"));
        let r = app.clone().oneshot(get("/ui/release")).await.unwrap();
        assert!(body(r).await.contains("All 2 files verified"));
        let r = app.clone().oneshot(get("/")).await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = body(r).await;
        assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt; unreadable"));
        assert!(!text.contains("<script"));
        assert!(!text.contains("served below"));
        assert_eq!(loads.load(Ordering::SeqCst), 3);
        let r = app.oneshot(get("/ui/static/style.css")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(body(r).await.contains("--ok"));
    }
}
