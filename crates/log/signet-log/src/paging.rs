//! Pages of one search key's matches: where a page starts ([`PageStart`]: an offset, or a
//! keyset [`SearchCursor`] before or after a match), what a page holds ([`SearchPage`]), and
//! the bounds both SQL backends bind ([`PageQuery`]).
//!
//! An offset page costs the rows it skips; a cursor page costs only its own rows, so the
//! millionth page of a key costs what the first does.

use signet_types::Sha256Hash;

use crate::LogError;

/// Most hits one [`crate::LogStore::search_page`] call returns.
pub const MAX_SEARCH_PAGE: u64 = 1000;

/// Matches of a search key are counted up to at least this many: past it a page only says
/// "more than" (an exact count of a million matches would read them all).
pub const SEARCH_COUNT_CAP: u64 = 10_000;

/// Longest cursor accepted (a shard's tree ID, a store's position: far shorter).
pub const MAX_CURSOR_LEN: usize = 128;

/// A match's place in a store's order of one key's matches, made by the store (or sharded log)
/// that returned it and only meaningful to it: opaque to callers, who hand it back to ask for
/// the page before or after it. Checked on the way in: at most [`MAX_CURSOR_LEN`] bytes of
/// `[0-9a-z.]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchCursor(String);

impl SearchCursor {
    /// A cursor from a request (422 when it cannot be one).
    pub fn parse(s: &str) -> Result<Self, LogError> {
        if s.is_empty()
            || s.len() > MAX_CURSOR_LEN
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'.')
        {
            return Err(bad_cursor());
        }
        Ok(Self(s.to_string()))
    }

    /// The cursor's text (for a link).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `tag` followed by `rest` (a store's own cursor).
    pub(crate) fn tagged(tag: char, rest: impl std::fmt::Display) -> Self {
        Self(format!("{tag}{rest}"))
    }

    /// The text after `tag`, when the cursor starts with it (else 422: another store's).
    pub(crate) fn untag(&self, tag: char) -> Result<&str, LogError> {
        self.0.strip_prefix(tag).ok_or_else(bad_cursor)
    }

    /// `<prefix>.<inner>`, a sharded log's cursor around a shard's.
    pub(crate) fn wrap(prefix: &str, inner: &SearchCursor) -> Self {
        Self(format!("{prefix}.{}", inner.0))
    }

    /// The `(prefix, inner)` of a [`SearchCursor::wrap`]ped cursor.
    pub(crate) fn unwrap_prefix(&self) -> Result<(&str, SearchCursor), LogError> {
        let (prefix, inner) = self.0.split_once('.').ok_or_else(bad_cursor)?;
        Ok((prefix, SearchCursor::parse(inner)?))
    }
}

/// The error of a cursor this log did not make.
pub(crate) fn bad_cursor() -> LogError {
    LogError::Unprocessable(
        "not a search page cursor of this log (start the search again from its first page)".into(),
    )
}

/// Where a page of a key's matches starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageStart {
    /// After skipping this many matches (the page costs the rows skipped).
    Offset(u64),
    /// Just after this match (the page costs only its rows).
    After(SearchCursor),
    /// Just before this match; with `None`, the last matches (the page costs only its rows).
    Before(Option<SearchCursor>),
}

impl PageStart {
    /// The first page.
    pub const FIRST: PageStart = PageStart::Offset(0);

    /// Whether the page ends at its cursor (or at the last match): a store reads its rows in
    /// descending order, and [`Paged::from_rows`] turns them round.
    pub fn backwards(&self) -> bool {
        matches!(self, PageStart::Before(_))
    }

    /// The position this start's cursor names, in a store whose cursors are `tag` followed by
    /// a position `parse` reads (`None` for an offset or the last page); 422 for a cursor of
    /// another form.
    pub(crate) fn position<T>(
        &self,
        tag: char,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, LogError> {
        match self {
            PageStart::After(c) | PageStart::Before(Some(c)) => {
                parse(c.untag(tag)?).map(Some).ok_or_else(bad_cursor)
            }
            PageStart::Offset(_) | PageStart::Before(None) => Ok(None),
        }
    }
}

/// The matches of one page in order, with the cursors of its first and last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Paged<T> {
    pub items: Vec<T>,
    pub first: Option<SearchCursor>,
    pub last: Option<SearchCursor>,
}

impl<T: Clone> Paged<T> {
    /// `limit` (at most [`MAX_SEARCH_PAGE`]) of the matches `all` held in memory, from
    /// `start`; a cursor is a position in `all` (`o<i>`).
    pub(crate) fn in_memory(all: &[T], start: &PageStart, limit: u64) -> Result<Self, LogError> {
        let n = usize::try_from(limit.min(MAX_SEARCH_PAGE)).unwrap_or(0);
        let len = all.len();
        let at = start.position('o', |s| s.parse::<usize>().ok())?;
        let (from, end) = match start {
            PageStart::Offset(o) => {
                let from = usize::try_from(*o).unwrap_or(usize::MAX).min(len);
                (from, from.saturating_add(n).min(len))
            }
            PageStart::After(_) => {
                let from = at.map_or(0, |p| p.saturating_add(1)).min(len);
                (from, from.saturating_add(n).min(len))
            }
            PageStart::Before(_) => {
                let end = at.map_or(len, |p| p.min(len));
                (end.saturating_sub(n), end)
            }
        };
        let items = all.get(from..end).map(<[_]>::to_vec).unwrap_or_default();
        let at = |i: usize| (!items.is_empty()).then(|| SearchCursor::tagged('o', i));
        Ok(Self {
            first: at(from),
            last: at(end.saturating_sub(1)),
            items,
        })
    }
}

impl Paged<Sha256Hash> {
    /// The page of `rows` a store read for `start` (in descending order when it runs
    /// backwards), each row with its position in the store: in the store's order, with
    /// cursors at its first and last row (`tag` and the position). Repeats next to each other
    /// (rows filed twice, before keys were filed once per entry) are dropped; the cursors
    /// stay the rows read, so the next page never starts with a row this one dropped.
    pub(crate) fn from_rows<P: std::fmt::Display>(
        start: &PageStart,
        tag: char,
        mut rows: Vec<(P, Sha256Hash)>,
    ) -> Self {
        if start.backwards() {
            rows.reverse();
        }
        let cursor = |row: Option<&(P, Sha256Hash)>| row.map(|(p, _)| SearchCursor::tagged(tag, p));
        let (first, last) = (cursor(rows.first()), cursor(rows.last()));
        let mut items: Vec<Sha256Hash> = rows.into_iter().map(|(_, h)| h).collect();
        items.dedup();
        Self { items, first, last }
    }
}

/// One page of the leaf hashes filed under a search key ([`crate::LogStore::search_page`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPage {
    /// The page's leaf hashes, in the store's order for the key.
    pub hashes: Vec<Sha256Hash>,
    /// Matches counted: all of them when `exact`, else a lower bound (there are more).
    pub total: u64,
    /// Whether `total` is the exact number of matches.
    pub exact: bool,
    /// The place of the page's first match ([`PageStart::Before`] it is the page before).
    pub first: Option<SearchCursor>,
    /// The place of the page's last match ([`PageStart::After`] it is the page after).
    pub last: Option<SearchCursor>,
}

impl SearchPage {
    /// The page at `start` of `limit` out of all matches `all` (in memory), counted as
    /// [`crate::LogStore::search_page`] counts; its cursors are positions in `all`.
    pub fn of(all: &[Sha256Hash], start: &PageStart, limit: u64) -> Result<Self, LogError> {
        Ok(Self::counted(
            Paged::in_memory(all, start, limit)?,
            all.len() as u64,
            PageQuery::bound_of(start, limit),
        ))
    }

    /// A page whose matches were counted up to `bound` (a count read with `LIMIT bound + 1`
    /// says whether there are more).
    pub(crate) fn counted(page: Paged<Sha256Hash>, counted: u64, bound: u64) -> Self {
        Self {
            hashes: page.items,
            total: counted.min(bound),
            exact: counted <= bound,
            first: page.first,
            last: page.last,
        }
    }
}

/// How far [`crate::LogStore::search_page`] counts for an offset page: [`SEARCH_COUNT_CAP`],
/// or the end of the page asked for when that is further.
pub fn count_bound(offset: u64, limit: u64) -> u64 {
    SEARCH_COUNT_CAP.max(offset.saturating_add(limit.min(MAX_SEARCH_PAGE)))
}

/// The SQL parameters of one search page, as both backends bind them.
pub(crate) struct PageQuery {
    /// How far matches are counted ([`count_bound`]; [`SEARCH_COUNT_CAP`] for cursor pages).
    pub bound: u64,
    /// `OFFSET` (0 for cursor pages).
    pub offset: i64,
    /// `LIMIT` of the page (at most [`MAX_SEARCH_PAGE`]).
    pub limit: i64,
    /// `LIMIT` of the count: one past `bound`, so a count above it says there are more.
    pub count_limit: i64,
}

impl PageQuery {
    pub(crate) fn new(start: &PageStart, limit: u64) -> Result<Self, LogError> {
        let bound = Self::bound_of(start, limit);
        let offset = match start {
            PageStart::Offset(o) => *o,
            _ => 0,
        };
        Ok(Self {
            bound,
            offset: crate::store::as_i64(offset)?,
            limit: crate::store::as_i64(limit.min(MAX_SEARCH_PAGE))?,
            count_limit: crate::store::as_i64(bound.saturating_add(1))?,
        })
    }

    /// How far a page at `start` counts: an offset page to its end ([`count_bound`]), a cursor
    /// page (whose offset is unknown) to [`SEARCH_COUNT_CAP`].
    pub(crate) fn bound_of(start: &PageStart, limit: u64) -> u64 {
        match start {
            PageStart::Offset(o) => count_bound(*o, limit),
            _ => SEARCH_COUNT_CAP,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u8) -> Sha256Hash {
        Sha256Hash::from_slice(&[i; 32]).unwrap()
    }

    #[test]
    fn cursors_are_checked() {
        for bad in [
            "",
            "R1",
            "a b",
            "x/y",
            &"a".repeat(MAX_CURSOR_LEN + 1),
            "<",
            "-1",
        ] {
            assert!(SearchCursor::parse(bad).is_err(), "{bad:?}");
        }
        let c = SearchCursor::parse("0123abcdef.r42").unwrap();
        let (p, inner) = c.unwrap_prefix().unwrap();
        assert_eq!((p, inner.as_str()), ("0123abcdef", "r42"));
        assert_eq!(inner.untag('r').unwrap(), "42");
        assert!(inner.untag('u').is_err());
        assert!(SearchCursor::parse("r42").unwrap().unwrap_prefix().is_err());
    }

    #[test]
    fn memory_pages_walk_both_ways() {
        let all: Vec<_> = (0..7).map(h).collect();
        let p1 = SearchPage::of(&all, &PageStart::FIRST, 3).unwrap();
        assert_eq!(p1.hashes, all[0..3]);
        let p2 = SearchPage::of(&all, &PageStart::After(p1.last.clone().unwrap()), 3).unwrap();
        assert_eq!(p2.hashes, all[3..6]);
        let p3 = SearchPage::of(&all, &PageStart::After(p2.last.clone().unwrap()), 3).unwrap();
        assert_eq!(p3.hashes, all[6..7]);
        let back = SearchPage::of(&all, &PageStart::Before(p3.first.clone()), 3).unwrap();
        assert_eq!(back, p2);
        let last = SearchPage::of(&all, &PageStart::Before(None), 3).unwrap();
        assert_eq!(last.hashes, all[4..7]);
        let front = SearchPage::of(&all, &PageStart::Before(p1.first.clone()), 3).unwrap();
        assert!(front.hashes.is_empty() && front.first.is_none());
        assert_eq!((front.total, front.exact), (7, true));
        let bad = SearchCursor::parse("r1").unwrap();
        assert!(SearchPage::of(&all, &PageStart::After(bad), 3).is_err());
    }
}
