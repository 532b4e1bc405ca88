//! Drift: the list changing size while it is being walked.
//!
//! CRO pages are offsets (`page_index` x `page_limit`), not cursors, so an insert or delete
//! during a walk shifts items across page boundaries: some may be seen twice, others not at
//! all. The envelope's `total_count`/`total_pages` are the only signal the client gets, so
//! the walker compares them page by page and reports any change according to a
//! [`DriftPolicy`].

use std::fmt;

/// What to do when `total_count` or `total_pages` changes during a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DriftPolicy {
    /// End the walk with [`PagingError::Drift`](crate::paging::PagingError::Drift).
    ///
    /// Use it when every item must be seen exactly once (exports that are reconciled
    /// later); retry the walk, or narrow it with filters, when it fires.
    Error,
    /// Keep walking (following the new `total_pages`), log a `tracing` warning, and record
    /// the event on the page ([`Page::drift`](crate::paging::Page::drift)) and in the walk
    /// statistics ([`WalkStats::drift`](crate::paging::WalkStats::drift)).
    ///
    /// The default: live tenants change all the time, and a bulk read usually prefers a
    /// complete-but-possibly-overlapping result plus a warning to no result.
    #[default]
    Warn,
}

/// The list totals one envelope reported.
///
/// Both are `None` for bare-array lists (List Materials), which report no totals and so
/// never drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Totals {
    /// `total_pages` of the envelope.
    pub total_pages: Option<u64>,
    /// `total_count` of the envelope.
    pub total_count: Option<u64>,
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn show(n: Option<u64>) -> String {
            n.map_or_else(|| "?".to_owned(), |n| n.to_string())
        }
        write!(
            f,
            "{} items in {} pages",
            show(self.total_count),
            show(self.total_pages)
        )
    }
}

/// One observed change of the list totals between two consecutive pages of a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Drift {
    /// The page (`page_index`) whose envelope reported the new totals.
    pub page_index: u32,
    /// Totals reported by the previous page of the walk.
    pub before: Totals,
    /// Totals reported by `page_index`.
    pub after: Totals,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the list changed during the walk: page {} reports {} (was {}); items may be \
             skipped or repeated",
            self.page_index, self.after, self.before
        )
    }
}

/// One page whose size says the list may go on although the walk treats it as the end, or
/// that is short in the middle of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortPage {
    /// The page (`page_index`).
    pub page_index: u32,
    /// Items on it.
    pub items: u32,
    /// The page size in force.
    pub limit: u32,
    /// `total_pages` as reported with it (`None`: no totals, so the walk ended there).
    pub total_pages: Option<u64>,
}

impl fmt::Display for ShortPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total_pages {
            Some(total) => write!(
                f,
                "page {} of {total} holds {} items although the page size is {}; items may \
                 be missing",
                self.page_index, self.items, self.limit
            ),
            None => write!(
                f,
                "page {} holds {} items (page size {}) and the server sent no totals, so the \
                 walk ended there; if the list goes on, the rest is missing",
                self.page_index, self.items, self.limit
            ),
        }
    }
}
