//! The HTML of the explorer ([`maud`]: every interpolated value is escaped). No inline script
//! or style: behaviour and looks come from `/ui/static/`. URIs from certificates are shown as
//! text, never as links.

use maud::{DOCTYPE, Markup, html};

use crate::Overview;
use crate::chart::{date, svg};
use crate::decode::{BodyView, CertView, EntryView, Signer};
use crate::search::{Results, SearchBy, SearchForm};

fn layout(title: &str, main: Markup) -> Markup {
    layout_for(&EXPLORER, title, main)
}

/// Which page family a page belongs to: its home link, its name in the header, whether it
/// loads the script and what the footer says.
pub(crate) struct Chrome {
    pub home: &'static str,
    pub name: &'static str,
    pub script: bool,
    pub footer: &'static str,
    pub wide: bool,
}

const EXPLORER: Chrome = Chrome {
    home: "/ui/",
    name: " transparency log explorer",
    script: true,
    footer: "Served by this signet instance. Decoded fields are shown as the log holds them; only the checks the page names were made.",
    wide: false,
};

/// The page around `main`: head (style sheet, and the script when `chrome` says so), skip
/// link, header, footer.
pub(crate) fn layout_for(chrome: &Chrome, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · signet" }
                link rel="stylesheet" href="/ui/static/style.css";
                @if chrome.script { script src="/ui/static/app.js" defer {} }
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header {
                    nav aria-label="Site" {
                        a class="brand" href=(chrome.home) { "signet" }
                        span { (chrome.name) }
                    }
                }
                main id="main" class=[chrome.wide.then_some("wide")] { (main) }
                footer {
                    p { (chrome.footer) }
                }
            }
        }
    }
}

/// An error page.
pub fn error(title: &str, message: &str) -> Markup {
    layout(
        title,
        html! {
            h1 { (title) }
            p class="error" role="alert" { (message) }
            p { a href="/ui/" { "Back to the explorer" } }
        },
    )
}

fn search_form(form: &SearchForm) -> Markup {
    let selected = form.by();
    html! {
        form class="search" method="get" action="/ui/" role="search" {
            div class="field" {
                label for="q" { "Search the log" }
                input id="q" name="q" type="search" value=(form.q.as_deref().unwrap_or(""))
                    placeholder="UUID, log index, sha256:…, email, subject or PEM key"
                    autocomplete="off" spellcheck="false";
            }
            div class="field" {
                label for="by" { "Search by" }
                select id="by" name="by" {
                    @for (by, value, label) in SearchBy::ALL {
                        option value=(value) selected[by == selected] { (label) }
                    }
                }
            }
            button type="submit" { "Search" }
        }
        section class="drop" aria-labelledby="drop-title" {
            h2 id="drop-title" { "Find a file's entries" }
            p { "The file is hashed (SHA-256) in your browser and never uploaded; then the log is searched for that hash." }
            div id="dropzone" class="dropzone" tabindex="0" {
                label for="file" { "Drop a file here or choose one" }
                input id="file" type="file";
            }
            p id="file-status" role="status" aria-live="polite" {}
            noscript { p { "Hashing a file needs JavaScript; search by its SHA-256 above instead (sha256sum FILE)." } }
        }
    }
}

fn results(r: &Result<Results, String>) -> Markup {
    html! {
        section class="results" aria-labelledby="results-title" {
            h2 id="results-title" { "Results" }
            @match r {
                Err(e) => p class="error" role="alert" { (e) },
                Ok(r) => {
                    p id="result-count" {
                        @if !r.exact { "More than " }
                        (r.total) " " (if r.total == 1 && r.exact { "entry" } else { "entries" })
                        " found by " (r.by.label()) " for " code { (r.text) }
                        @if !r.exact {
                            " (matches are counted up to " (r.total) "; later pages are still listed)"
                        }
                    }
                    @if r.hits.is_empty() && r.page > 1 {
                        p { "No entries on page " (r.page) "." }
                    }
                    @if !r.hits.is_empty() {
                        table {
                            thead { tr { th scope="col" { "Log index" } th scope="col" { "Integrated" } th scope="col" { "Entry" } } }
                            tbody {
                                @for h in &r.hits {
                                    tr {
                                        td { (h.index) }
                                        td { (date(h.integrated_time)) }
                                        td { a class="hit" href=(format!("/ui/entries/{}", h.uuid)) { code { (h.uuid) } } }
                                    }
                                }
                            }
                        }
                    }
                    nav class="pages" aria-label="Result pages" {
                        @if r.page > 1 || r.has_next() {
                            span { "Page " (r.page) }
                        }
                        @if r.page > 1 {
                            a rel="prev" href=(page_link(r, Towards::Previous)) { "Previous page" }
                        }
                        @if r.has_next() {
                            a rel="next" href=(page_link(r, Towards::Next)) { "Next page" }
                        }
                    }
                }
            }
        }
    }
}

/// Which neighbour of a result page a link goes to.
#[derive(Clone, Copy)]
enum Towards {
    Previous,
    Next,
}

/// The link to the page before or after `r`: with the cursor of its first or last hit when it
/// has one (the neighbour then costs only its own rows), by page number otherwise. The first
/// page is linked by number.
fn page_link(r: &Results, towards: Towards) -> String {
    let q: String = r
        .text
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let (page, cursor) = match towards {
        Towards::Previous => {
            let page = r.page.saturating_sub(1).max(1);
            let before = r.first.as_ref().filter(|_| page > 1);
            (page, before.map(|c| format!("&before={}", c.as_str())))
        }
        Towards::Next => (
            r.page.saturating_add(1),
            r.last.as_ref().map(|c| format!("&after={}", c.as_str())),
        ),
    };
    // A cursor is `[0-9a-z.]` (checked by `SearchCursor`): nothing to escape in it.
    format!(
        "/ui/?q={q}&by={}&page={page}{}",
        r.by.value(),
        cursor.unwrap_or_default()
    )
}

/// `/ui/`: the search form, results (if a search was made) and the log overview.
pub fn overview(
    o: &Overview,
    form: &SearchForm,
    found: Option<&Result<Results, String>>,
) -> Markup {
    layout(
        "Log explorer",
        html! {
            h1 { "Transparency log explorer" }
            (search_form(form))
            @if let Some(r) = found { (results(r)) }
            section class="overview" aria-labelledby="overview-title" {
                h2 id="overview-title" { "The log" }
                dl {
                    dt { "Entries" } dd id="tree-size" { (o.size) }
                    dt { "Active tree ID" } dd { (o.tree_id) }
                    dt { "Root hash" } dd { code { (o.root_hash) } }
                }
                h3 { "Latest checkpoint" }
                pre id="checkpoint" { (o.checkpoint) }
                h3 { "Entries over time" }
                (svg(&o.growth))
            }
        },
    )
}

fn cert(c: &CertView, n: usize) -> Markup {
    html! {
        section class="cert" {
            h3 { @if n == 0 { "Signing certificate" } @else { "Chain certificate " (n) } }
            dl {
                @for (kind, value) in &c.sans {
                    dt { "Subject alternative name (" (kind) ")" } dd class="san" { code { (value) } }
                }
                @for (name, value) in &c.extensions {
                    dt { (name) } dd { code { (value) } }
                }
                dt { "Subject" } dd { (c.subject) }
                dt { "Issued by" } dd { (c.issuer) }
                dt { "Valid" } dd { (date(c.validity.0)) " to " (date(c.validity.1)) }
                dt { "Serial" } dd { code { (c.serial) } }
                @if c.is_ca { dt { "CA" } dd { "yes" } }
            }
        }
    }
}

fn body(b: &BodyView) -> Markup {
    html! {
        dl {
            dt { "Kind" } dd id="kind" { (b.kind) }
            dt { (b.digest.0) " digest" } dd id="digest" { code { (b.digest.1) } }
        }
        @for s in &b.signatures {
            dl { dt { "Signature" } dd { code class="wrap" { (s.signature) } } }
            @match &s.signer {
                Signer::Certificates(certs) => { @for (i, c) in certs.iter().enumerate() { (cert(c, i)) } },
                Signer::PublicKey(pem) => { h3 { "Public key" } pre { (pem) } },
                Signer::Unreadable(e) => { p class="error" { "Signer material not readable: " (e) } },
            }
        }
    }
}

/// `/ui/entries/<id>`.
pub fn entry(e: &EntryView) -> Markup {
    layout(
        &format!("Entry {}", e.log_index),
        html! {
            h1 { "Entry " (e.log_index) }
            section id="verification" class="verification" aria-labelledby="verification-title"
                data-uuid=(e.uuid) data-entry=(e.entry_id) {
                h2 id="verification-title" { "Inclusion" }
                p id="inclusion-status" class="pending" role="status" aria-live="polite" {
                    "Inclusion not checked yet."
                }
                ul id="inclusion-checks" {}
                noscript {
                    p class="error" {
                        "Inclusion NOT verified: checking the inclusion proof and the signed checkpoint in your browser needs JavaScript. Everything else on this page is shown without it, unverified."
                    }
                }
            }
            section aria-labelledby="entry-title" {
                h2 id="entry-title" { "Entry" }
                dl {
                    dt { "UUID" } dd { code id="uuid" { (e.uuid) } }
                    dt { "Entry ID" } dd { code { (e.entry_id) } }
                    dt { "Log index" } dd { (e.log_index) }
                    dt { "Integrated time" } dd { (date(e.integrated_time)) " (" (e.integrated_time) ")" }
                    dt { "Log ID" } dd { code { (e.log_id) } }
                }
            }
            section aria-labelledby="body-title" {
                h2 id="body-title" { "Body" }
                @match &e.body {
                    Ok(b) => (body(b)),
                    Err(err) => p class="error" { "The body does not decode: " (err) },
                }
            }
            section aria-labelledby="set-title" {
                h2 id="set-title" { "Signed entry timestamp" }
                @match &e.set {
                    Some(s) => p { code class="wrap" id="set" { (s) } },
                    None => p { "None served." },
                }
            }
            section aria-labelledby="proof-title" {
                h2 id="proof-title" { "Inclusion proof" }
                @match &e.proof {
                    Some(p) => {
                        dl {
                            dt { "Index in tree" } dd { (p.index) }
                            dt { "Tree size" } dd { (p.tree_size) }
                            dt { "Root hash" } dd { code { (p.root_hash) } }
                            dt { "Audit path" } dd { (p.hashes.len()) " hashes" }
                        }
                        h3 { "Checkpoint" }
                        pre { (p.checkpoint) }
                    },
                    None => p { "None served." },
                }
            }
        },
    )
}
