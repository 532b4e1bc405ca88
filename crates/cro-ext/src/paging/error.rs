//! The error type of a paging walk.

use super::drift::Drift;
use super::{PAGE_INDEX_MAX, PAGE_LIMIT_MAX};
use crate::preflight::RoleError;

/// Why a walk ended early.
///
/// A walk yields at most one error, as its last item: after an `Err` the stream (or iterator)
/// ends, so `try_next`/`?` loops never spin on a failing page.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PagingError {
    /// The paginator options are out of range; nothing was sent.
    #[error("invalid paging options: {reason}")]
    InvalidOptions {
        /// What is wrong, naming the option.
        reason: String,
    },
    /// The configured roles may not call the operation (see
    /// [`Paginator::preflight`](crate::paging::Paginator::preflight)); nothing was sent.
    #[error(transparent)]
    Preflight(#[from] RoleError),
    /// The request for one page failed (transport, HTTP status, decoding), after whatever
    /// retries the client does.
    #[error("fetching page {page_index} failed: {source}")]
    Request {
        /// The `page_index` that was requested.
        page_index: u32,
        /// The client's error.
        #[source]
        source: cro_api::Error,
    },
    /// The server answered a page request with another page (its `current_page` differs;
    /// for bare arrays, which carry no page number, it repeats the previous page's items
    /// exactly): the walk would repeat or skip pages, possibly forever, so it stops.
    #[error(
        "the server does not advance: page {requested} was requested but the response says \
         current_page = {returned}"
    )]
    NotAdvancing {
        /// The `page_index` that was requested.
        requested: u32,
        /// The `current_page` the server reported (bare arrays: the page it repeats).
        returned: u64,
    },
    /// `total_count`/`total_pages` changed during the walk and the policy is
    /// [`DriftPolicy::Error`](crate::paging::DriftPolicy::Error).
    #[error("{0}")]
    Drift(Drift),
    /// An item was served a second time in the walk (policy
    /// [`RepeatPolicy::Error`](crate::paging::RepeatPolicy::Error)): the list shifted under
    /// the walk (rows inserted or deleted ahead of it) or the server repeats records, so items
    /// may also be missing.
    #[error(
        "the server sent the same record twice ({id}: on page {first_page} and again on page \
         {page_index}); the list changed during the walk, so records may also be missing"
    )]
    Repeat {
        /// The item's key fields as sent (cleaned of control characters).
        id: String,
        /// The page it was first seen on.
        first_page: u32,
        /// The page that repeats it.
        page_index: u32,
    },
    /// A page reported paging numbers that cannot be true (a negative count, `total_pages`
    /// that does not match `total_count` and the page size).
    #[error("page {page_index} reports impossible paging numbers: {reason}")]
    ImpossibleTotals {
        /// The page.
        page_index: u32,
        /// What is wrong, with the numbers.
        reason: String,
    },
    /// The list has more pages than `page_index` may address (at most
    /// [`PAGE_INDEX_MAX`]); every page up to the ceiling has been yielded.
    #[error(
        "the list needs more than {max} pages at page_limit {page_limit} ({}), but page_index \
         cannot exceed {max}; raise the page size (at most {limit_max}) or narrow the list \
         with filters",
        total_pages.map_or_else(|| "total unknown".to_owned(), |n| format!("{n} pages in all")),
        max = PAGE_INDEX_MAX,
        limit_max = PAGE_LIMIT_MAX
    )]
    PageCeiling {
        /// The page size of the walk.
        page_limit: u32,
        /// `total_pages` as last reported, when the list reports it.
        total_pages: Option<u64>,
    },
}

impl PagingError {
    /// The `page_index` the error is about, when it is about one page.
    pub fn page_index(&self) -> Option<u32> {
        match self {
            PagingError::Request { page_index, .. } => Some(*page_index),
            PagingError::NotAdvancing { requested, .. } => Some(*requested),
            PagingError::Drift(drift) => Some(drift.page_index),
            PagingError::Repeat { page_index, .. }
            | PagingError::ImpossibleTotals { page_index, .. } => Some(*page_index),
            PagingError::InvalidOptions { .. }
            | PagingError::Preflight(_)
            | PagingError::PageCeiling { .. } => None,
        }
    }

    /// The client error, for [`PagingError::Request`].
    pub fn api_error(&self) -> Option<&cro_api::Error> {
        match self {
            PagingError::Request { source, .. } => Some(source),
            _ => None,
        }
    }

    /// True when the error happened before any request was sent (bad options, preflight).
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            PagingError::InvalidOptions { .. } | PagingError::Preflight(_)
        )
    }
}
