//! The [`Paginator`] builder and the values a walk yields ([`Page`], [`WalkStats`]).

use std::sync::{Arc, Mutex, PoisonError};

use futures::TryStreamExt;

use super::drift::{Drift, DriftPolicy};
use super::stream::{Items, Pages};
use super::{MAX_CONCURRENCY, PAGE_INDEX_MAX, PAGE_LIMIT_MAX, PagingError};
use crate::request::PagedRequest;
use crate::roles::RoleSet;

/// Options of a walk, validated when the walk starts.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) page_size: u32,
    pub(crate) start_page: u32,
    pub(crate) concurrency: usize,
    pub(crate) drift: DriftPolicy,
    pub(crate) max_pages: Option<u32>,
    pub(crate) preflight: Option<RoleSet>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            // Bulk reads: the fewest round trips the API allows.
            page_size: PAGE_LIMIT_MAX,
            start_page: 1,
            // Sequential unless asked: prefetch multiplies the load a walk puts on the tenant.
            concurrency: 1,
            drift: DriftPolicy::default(),
            max_pages: None,
            preflight: None,
        }
    }
}

impl Options {
    /// Range checks, so a bad option fails before anything is sent.
    pub(crate) fn validate(&self) -> Result<(), PagingError> {
        let invalid = |reason: String| Err(PagingError::InvalidOptions { reason });
        if !(1..=PAGE_LIMIT_MAX).contains(&self.page_size) {
            return invalid(format!(
                "page_size must be within 1..={PAGE_LIMIT_MAX} (the API's page_limit range), got {}",
                self.page_size
            ));
        }
        if !(1..=PAGE_INDEX_MAX).contains(&self.start_page) {
            return invalid(format!(
                "start_page must be within 1..={PAGE_INDEX_MAX} (the API's page_index range), got {}",
                self.start_page
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return invalid(format!(
                "concurrency must be within 1..={MAX_CONCURRENCY}, got {}",
                self.concurrency
            ));
        }
        if self.max_pages == Some(0) {
            return invalid("max_pages must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// Walks every page of a paged list request; made by [`Paginate::paginate`].
///
/// Configure it, then consume it with [`pages`](Paginator::pages),
/// [`items`](Paginator::items), [`collect_all`](Paginator::collect_all) or (feature
/// `blocking`) `blocking_items`.
///
/// The walk requests `page_index` = start, start + 1, ... and stops after the page whose
/// `current_page` reaches `total_pages`, at an empty page, or (bare arrays, and envelopes
/// without usable totals) at a page shorter than the page size. A response whose
/// `current_page` is not the page requested ends the walk with
/// [`PagingError::NotAdvancing`]; a list too long for `page_index` <= [`PAGE_INDEX_MAX`]
/// ends it with [`PagingError::PageCeiling`] after the last reachable page.
///
/// [`Paginate::paginate`]: crate::paging::Paginate::paginate
///
/// ```no_run
/// use cro_ext::paging::{DriftPolicy, Paginate};
/// use futures::TryStreamExt;
///
/// # async fn run(client: &cro_api::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let mut pages = client
///     .list_tenants()
///     .paginate()
///     .page_size(500)
///     .concurrency(4)
///     .drift(DriftPolicy::Error)
///     .pages();
/// while let Some(page) = pages.try_next().await? {
///     println!("page {} of {:?}: {} items", page.index, page.total_pages, page.items.len());
/// }
/// println!("{:?}", pages.stats());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Paginator does nothing until it is consumed with pages(), items() or collect_all()"]
pub struct Paginator<R> {
    pub(crate) request: R,
    pub(crate) options: Options,
}

impl<R: PagedRequest> Paginator<R> {
    /// A paginator with the defaults: page size [`PAGE_LIMIT_MAX`], from page 1, sequential,
    /// [`DriftPolicy::Warn`], no page limit, no preflight.
    pub fn new(request: R) -> Self {
        Paginator {
            request,
            options: Options::default(),
        }
    }

    /// Items per page (`page_limit`), 1..=[`PAGE_LIMIT_MAX`]. Default: [`PAGE_LIMIT_MAX`].
    ///
    /// Out-of-range values make the walk fail with [`PagingError::InvalidOptions`] before
    /// anything is sent.
    pub fn page_size(mut self, page_limit: u32) -> Self {
        self.options.page_size = page_limit;
        self
    }

    /// The first `page_index` to fetch (1-based), to resume an interrupted walk with the
    /// same page size. Default 1.
    pub fn start_page(mut self, page_index: u32) -> Self {
        self.options.start_page = page_index;
        self
    }

    /// How many page requests may be in flight at once, 1..=[`MAX_CONCURRENCY`]. Default 1.
    ///
    /// The first page is always fetched alone; once it reports `total_pages`, up to `n`
    /// later pages are fetched ahead. Pages and items are still yielded in page order, and
    /// the same pages are requested as by a sequential walk (a prefetched page is only
    /// wasted when the walk ends early: error, empty page, drift). Bare-array lists report no
    /// totals and are always walked sequentially.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.options.concurrency = n;
        self
    }

    /// What to do when the list totals change during the walk. Default
    /// [`DriftPolicy::Warn`].
    pub fn drift(mut self, policy: DriftPolicy) -> Self {
        self.options.drift = policy;
        self
    }

    /// Stop after `n` pages (counting from the start page), without an error. Default: no
    /// limit.
    pub fn max_pages(mut self, n: u32) -> Self {
        self.options.max_pages = Some(n);
        self
    }

    /// Check, before the first request, that one of `roles` may call the operation
    /// (see [`ensure_allowed`](crate::preflight::ensure_allowed)); if not, the walk yields
    /// [`PagingError::Preflight`] and sends nothing.
    pub fn preflight(mut self, roles: &RoleSet) -> Self {
        self.options.preflight = Some(roles.clone());
        self
    }

    /// The `operationId` of the request (`list_customers`, ...).
    pub fn operation_id(&self) -> &'static str {
        self.request.operation_id()
    }

    /// A stream of whole pages, in page order.
    pub fn pages<'a>(self) -> Pages<'a, R::Item>
    where
        R: 'a,
    {
        Pages::new(self)
    }

    /// A stream of the items of every page, in page order.
    pub fn items<'a>(self) -> Items<'a, R::Item>
    where
        R: 'a,
    {
        self.pages().into_items()
    }

    /// Every item of the list, or the first error.
    pub async fn collect_all(self) -> Result<Vec<R::Item>, PagingError> {
        self.items().try_collect().await
    }
}

/// One page of a walk.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The `page_index` of this page (1-based).
    pub index: u32,
    /// The page size the server applied (`current_limit`), or the one requested when the
    /// response does not say (bare arrays).
    pub limit: u32,
    /// `total_pages` reported with this page (`None` for bare arrays).
    pub total_pages: Option<u64>,
    /// `total_count` reported with this page (`None` for bare arrays).
    pub total_count: Option<u64>,
    /// The items, in server order.
    pub items: Vec<T>,
    /// True when this is the last page of the list: the walk ends after it.
    pub is_last: bool,
    /// Set when this page's totals differ from the previous page's and the policy is
    /// [`DriftPolicy::Warn`].
    pub drift: Option<Drift>,
}

impl<T> Page<T> {
    /// The items, consuming the page.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }
}

/// Statistics of a walk so far, for progress bars and summaries.
///
/// Read them with [`Pages::stats`] / [`Items::stats`] while or after consuming the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalkStats {
    /// Page requests sent, including prefetched pages the walk did not need in the end.
    pub requests: u32,
    /// Pages yielded.
    pub pages: u32,
    /// Items yielded (in whole pages).
    pub items: u64,
    /// `total_pages` from the latest page (`None` before the first page, and for bare arrays).
    pub total_pages: Option<u64>,
    /// `total_count` from the latest page (`None` before the first page, and for bare arrays).
    pub total_count: Option<u64>,
    /// Every drift event observed (policy [`DriftPolicy::Warn`]; under
    /// [`DriftPolicy::Error`] the one event is also here).
    pub drift: Vec<Drift>,
    /// True once the walk reached the end of the list (not set when it ended with an error
    /// or at [`Paginator::max_pages`]).
    pub complete: bool,
    /// The client's adaptive request limit (requests allowed in flight) after the latest
    /// page; `None` when the request does not expose its client
    /// ([`PagedRequest::client`]) or throttling is off. The prefetch window
    /// ([`Paginator::concurrency`]) is the most the walk asks for; the client's limiter
    /// decides how many are actually sent at once.
    pub limit: Option<u32>,
    /// Throttled responses (429, 503) the client received during the walk (from any of its
    /// calls), each waited out and repeated.
    pub throttled: u64,
}

/// Shared, lock-protected statistics: written by the walk, read by the consumer.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatsHandle(Arc<Mutex<WalkStats>>);

impl StatsHandle {
    pub(crate) fn snapshot(&self) -> WalkStats {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut WalkStats)) {
        // A panic while holding the lock cannot leave the counters inconsistent in a way
        // that matters, so a poisoned lock is just used.
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }
}
