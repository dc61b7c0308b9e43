//! The search of `/ui/`: what the form asks ([`SearchForm`] → [`SearchQuery`]) and the
//! index-backed lookup ([`run`]), [`PAGE_SIZE`] hits a page.

use base64::Engine;
use serde::Deserialize;
use signet_log::api::{SearchIndex, SearchKey};
use signet_log::store::{PageStart, SearchCursor};
use signet_log::{IdPage, LogError, LogStore};

use crate::Explorer;

/// Hits on one result page.
pub const PAGE_SIZE: usize = 50;

/// Longest search text accepted (a PEM public key or certificate fits).
pub const MAX_QUERY: usize = 16 * 1024;

/// What a search looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchBy {
    /// Guess from the text's shape.
    Auto,
    /// UUID (64 hex) or entry ID (80 hex).
    Uuid,
    /// Global log index.
    Index,
    /// Artifact SHA-256 (`sha256:<hex>` or bare hex).
    Hash,
    /// Email SAN.
    Email,
    /// Subject (URI SAN, or any identity).
    Subject,
    /// Public key or certificate (PEM).
    Key,
}

impl SearchBy {
    /// Every choice, in the form's order, with its form value and label.
    pub const ALL: [(SearchBy, &'static str, &'static str); 7] = [
        (SearchBy::Auto, "auto", "Anything (guess)"),
        (SearchBy::Uuid, "uuid", "UUID or entry ID"),
        (SearchBy::Index, "index", "Log index"),
        (SearchBy::Hash, "hash", "Artifact SHA-256"),
        (SearchBy::Email, "email", "Email"),
        (SearchBy::Subject, "subject", "Subject (URI)"),
        (SearchBy::Key, "key", "Public key or certificate (PEM)"),
    ];

    /// The form value.
    pub fn value(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(b, _, _)| *b == self)
            .map_or("auto", |(_, v, _)| v)
    }

    /// The label.
    pub fn label(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(b, _, _)| *b == self)
            .map_or("", |(_, _, l)| l)
    }

    fn parse(v: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == v)
            .map(|(b, _, _)| *b)
    }
}

/// The query string of `/ui/`: `q` (text), `by` (a [`SearchBy`] value), `page` (from 1), and
/// where that page starts: `after` or `before` a cursor of the log's (the "Next page" and
/// "Previous page" links carry one), else at `(page - 1) * PAGE_SIZE`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SearchForm {
    /// Search text.
    pub q: Option<String>,
    /// What to search by.
    pub by: Option<String>,
    /// Result page, from 1 (shown; it places the page only without a cursor).
    pub page: Option<String>,
    /// The page starts after this match (a cursor from the previous page).
    pub after: Option<String>,
    /// The page ends before this match (a cursor from the next page).
    pub before: Option<String>,
}

/// A checked search: what to look for, and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// What to look for (never [`SearchBy::Auto`] for [`SearchBy::Index`] texts that are not
    /// decimal).
    pub by: SearchBy,
    /// Trimmed text.
    pub text: String,
}

impl SearchForm {
    /// The selected [`SearchBy`] (auto when absent or unknown).
    pub fn by(&self) -> SearchBy {
        self.by
            .as_deref()
            .and_then(SearchBy::parse)
            .unwrap_or(SearchBy::Auto)
    }

    /// Result page (from 1; 1 when absent or not a positive number).
    pub fn page(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<usize>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }

    /// Where the page asked for starts: after or before a cursor when the form has one (a
    /// cursor page costs only its own rows, however deep), else at its offset.
    pub fn start(&self) -> Result<PageStart, String> {
        let cursor = |c: &str| SearchCursor::parse(c).map_err(|e| e.to_string());
        match (self.after.as_deref(), self.before.as_deref()) {
            (Some(_), Some(_)) => {
                Err("a page starts after one entry or before one, not both".into())
            }
            (Some(a), None) => Ok(PageStart::After(cursor(a)?)),
            (None, Some(b)) => Ok(PageStart::Before(Some(cursor(b)?))),
            (None, None) => Ok(PageStart::Offset(
                (self.page() as u64)
                    .saturating_sub(1)
                    .saturating_mul(PAGE_SIZE as u64),
            )),
        }
    }

    /// The search asked for (`None`: no text), or why it cannot be run.
    pub fn query(&self) -> Option<Result<SearchQuery, String>> {
        let text = self.q.as_deref()?.trim();
        if text.is_empty() {
            return None;
        }
        if text.len() > MAX_QUERY {
            return Some(Err(format!(
                "the search text is {} bytes; at most {MAX_QUERY} are accepted",
                text.len()
            )));
        }
        let by = match self.by() {
            SearchBy::Auto => guess(text),
            by => by,
        };
        Some(Ok(SearchQuery {
            by,
            text: text.to_string(),
        }))
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a text most likely is: decimal → index; 80 hex → entry ID; 64 hex → UUID (searched as
/// a hash too when no entry has it); `sha256:` → hash; PEM → key; `@` → email; else subject.
pub fn guess(text: &str) -> SearchBy {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        SearchBy::Index
    } else if is_hex(text) && (text.len() == 64 || text.len() == 80) {
        SearchBy::Uuid
    } else if text.to_ascii_lowercase().starts_with("sha256:") {
        SearchBy::Hash
    } else if text.starts_with("-----BEGIN") {
        SearchBy::Key
    } else if text.contains('@') && !text.contains("://") {
        SearchBy::Email
    } else {
        SearchBy::Subject
    }
}

/// One entry found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Entry ID (tree ID + UUID) as the log names it.
    pub uuid: String,
    /// Global index.
    pub index: i64,
    /// Integrated time (Unix seconds).
    pub integrated_time: i64,
}

/// One page of results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Results {
    /// What was searched (after guessing).
    pub by: SearchBy,
    /// The text searched.
    pub text: String,
    /// Entries matching in all: exactly when `exact`, else a lower bound (the log counts
    /// matches only up to a bound, see [`signet_log::store::SEARCH_COUNT_CAP`]).
    pub total: usize,
    /// Whether `total` is exact.
    pub exact: bool,
    /// This page (from 1).
    pub page: usize,
    /// This page's hits.
    pub hits: Vec<Hit>,
    /// The place of the page's first hit (the previous page ends before it).
    pub first: Option<SearchCursor>,
    /// The place of the page's last hit (the next page starts after it).
    pub last: Option<SearchCursor>,
}

impl Results {
    /// Whether a later page has hits.
    pub fn has_next(&self) -> bool {
        !self.exact || self.page.saturating_mul(PAGE_SIZE) < self.total
    }
}

/// Runs `q` against the log's search index (or direct lookup for a UUID or index) and returns
/// the page numbered `page` starting at `start`; an error is a message for the page. An index
/// search reads only the page's range of the index (and counts matches up to a bound), so a
/// page reached by its cursor costs O([`PAGE_SIZE`]) lookups however many entries match and
/// however deep it is.
pub async fn run<S: LogStore>(
    log: &Explorer<'_, S>,
    q: &SearchQuery,
    page: usize,
    start: &PageStart,
) -> Result<Results, String> {
    let offset = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
    let found = |ids: &[String], by| Results {
        by,
        text: q.text.clone(),
        total: ids.len(),
        exact: true,
        page,
        hits: Vec::new(),
        first: None,
        last: None,
    };
    let searched = |p: IdPage, by| Results {
        by,
        text: q.text.clone(),
        total: usize::try_from(p.total).unwrap_or(usize::MAX),
        exact: p.exact,
        page,
        hits: Vec::new(),
        first: p.first,
        last: p.last,
    };
    let (mut results, ids) = match q.by {
        SearchBy::Index => {
            let index = q
                .text
                .parse::<u64>()
                .map_err(|_| format!("{:?} is not a log index (a whole number)", q.text))?;
            match log.0.get_by_index(index).await {
                Ok(e) => {
                    let ids: Vec<String> = e.keys().cloned().collect();
                    (found(&ids, SearchBy::Index), first_page(ids, offset))
                }
                Err(LogError::NotFound) => (found(&[], SearchBy::Index), Vec::new()),
                Err(e) => return Err(e.to_string()),
            }
        }
        SearchBy::Uuid => match log.0.get_by_uuid(&q.text).await {
            Ok(e) => {
                let ids: Vec<String> = e.keys().cloned().collect();
                (found(&ids, SearchBy::Uuid), first_page(ids, offset))
            }
            Err(LogError::NotFound) if q.text.len() == 64 => {
                // A 64-hex text may be an artifact digest.
                let mut p = index_search(log, SearchBy::Hash, &q.text, start).await?;
                let ids = std::mem::take(&mut p.ids);
                (searched(p, SearchBy::Hash), ids)
            }
            Err(LogError::NotFound) => (found(&[], SearchBy::Uuid), Vec::new()),
            Err(e) => return Err(e.to_string()),
        },
        by => {
            let mut p = index_search(log, by, &q.text, start).await?;
            let ids = std::mem::take(&mut p.ids);
            (searched(p, by), ids)
        }
    };
    for id in ids.iter().take(PAGE_SIZE) {
        match log.0.get_by_uuid(id).await {
            Ok(e) => {
                for (uuid, anon) in e {
                    results.hits.push(Hit {
                        uuid,
                        index: anon.log_index,
                        integrated_time: anon.integrated_time,
                    });
                }
            }
            Err(LogError::NotFound) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(results)
}

/// The IDs of the page at `offset` of a direct lookup's (one or none).
fn first_page(ids: Vec<String>, offset: usize) -> Vec<String> {
    ids.into_iter().skip(offset).collect()
}

async fn index_search<S: LogStore>(
    log: &Explorer<'_, S>,
    by: SearchBy,
    text: &str,
    start: &PageStart,
) -> Result<IdPage, String> {
    let mut q = SearchIndex::default();
    match by {
        SearchBy::Hash => {
            let hex = text
                .strip_prefix("sha256:")
                .or_else(|| text.strip_prefix("SHA256:"))
                .unwrap_or(text);
            if !(hex.len() == 64 && is_hex(hex)) {
                return Err(format!(
                    "{text:?} is not a SHA-256 digest (64 hexadecimal digits, optionally after sha256:)"
                ));
            }
            q.hash = Some(format!("sha256:{}", hex.to_ascii_lowercase()));
        }
        SearchBy::Email => q.email = Some(text.to_string()),
        SearchBy::Key => {
            q.public_key = Some(SearchKey {
                format: "x509".into(),
                content: base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
            })
        }
        _ => q.subject = Some(text.to_string()),
    }
    log.0
        .search_page(&q, start, PAGE_SIZE as u64)
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses() {
        assert_eq!(guess("42"), SearchBy::Index);
        assert_eq!(guess(&"a".repeat(64)), SearchBy::Uuid);
        assert_eq!(guess(&"b".repeat(80)), SearchBy::Uuid);
        assert_eq!(guess(&format!("sha256:{}", "c".repeat(64))), SearchBy::Hash);
        assert_eq!(guess("-----BEGIN PUBLIC KEY-----"), SearchBy::Key);
        assert_eq!(guess("dev@signet.test"), SearchBy::Email);
        assert_eq!(
            guess("https://github.com/o/r/.github/workflows/x.yml@refs/heads/main"),
            SearchBy::Subject
        );
    }

    #[test]
    fn form() {
        let f = SearchForm {
            q: Some("  x@y  ".into()),
            by: Some("bogus".into()),
            page: Some("0".into()),
            ..SearchForm::default()
        };
        assert_eq!(f.by(), SearchBy::Auto);
        assert_eq!(f.page(), 1);
        assert_eq!(f.start(), Ok(PageStart::FIRST));
        assert_eq!(
            f.query(),
            Some(Ok(SearchQuery {
                by: SearchBy::Email,
                text: "x@y".into()
            }))
        );
        let long = SearchForm {
            q: Some("a".repeat(MAX_QUERY + 1)),
            ..SearchForm::default()
        };
        assert!(matches!(long.query(), Some(Err(_))));
        assert_eq!(SearchForm::default().query(), None);
    }

    #[test]
    fn page_starts() {
        let form = |page: &str, after: Option<&str>, before: Option<&str>| SearchForm {
            page: Some(page.into()),
            after: after.map(Into::into),
            before: before.map(Into::into),
            ..SearchForm::default()
        };
        assert_eq!(
            form("3", None, None).start(),
            Ok(PageStart::Offset(2 * PAGE_SIZE as u64))
        );
        let c = SearchCursor::parse("0.r77").unwrap();
        assert_eq!(
            form("3", Some("0.r77"), None).start(),
            Ok(PageStart::After(c.clone()))
        );
        assert_eq!(
            form("3", None, Some("0.r77")).start(),
            Ok(PageStart::Before(Some(c)))
        );
        for (after, before) in [
            (Some("0.r77"), Some("0.r78")),
            (Some("<script>"), None),
            (None, Some("")),
        ] {
            assert!(
                form("2", after, before).start().is_err(),
                "{after:?} {before:?}"
            );
        }
    }
}
