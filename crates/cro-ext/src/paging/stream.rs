//! The walk itself: which page to request next, when to stop, and the [`Pages`] / [`Items`]
//! streams that expose it.
//!
//! One state machine serves both the sequential and the prefetching walk: requests go into
//! a `FuturesOrdered` window, which yields responses in request order whatever order they
//! complete in. Until a page has reported `total_pages` the window is 1 (we do not know how
//! far we may go); afterwards it is the configured concurrency, bounded by the last page.
//! Everything past a stop (error, empty page, drift) is dropped, which cancels it.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, FuturesOrdered};
use futures::{Stream, StreamExt, TryStreamExt};

use super::drift::{Drift, DriftPolicy, ShortPage, Totals};
use super::paginator::{Options, Page, Paginator, StatsHandle, WalkStats};
use super::repeats::{RepeatPolicy, Tracker};
use super::{PAGE_INDEX_MAX, PagingError};
use crate::preflight::ensure_allowed_by_name;
use crate::request::{PageStyle, PagedRequest, RawPage};

/// A stream of the pages of a walk, in page order; made by [`Paginator::pages`].
///
/// Items are `Result<Page<T>, PagingError>`; after an `Err` the stream ends.
pub struct Pages<'a, T> {
    inner: BoxStream<'a, Result<Page<T>, PagingError>>,
    stats: StatsHandle,
    operation_id: &'static str,
}

impl<'a, T: Send + 'static> Pages<'a, T> {
    pub(crate) fn new<R>(paginator: Paginator<R>) -> Self
    where
        R: PagedRequest<Item = T> + 'a,
    {
        let stats = StatsHandle::default();
        let operation_id = paginator.request.operation_id();
        let walk = Walk::new(paginator, stats.clone());
        let inner = stream::unfold(walk, |mut walk| async move {
            let item = walk.next().await?;
            Some((item, walk))
        })
        // Callers may poll again after the end (`while let` loops, `select!`): keep
        // answering `None` instead of panicking like a bare `unfold`.
        .fuse()
        .boxed();
        Pages {
            inner,
            stats,
            operation_id,
        }
    }

    /// The items of the remaining pages, as one stream sharing these statistics.
    pub fn into_items(self) -> Items<'a, T> {
        let inner = self
            .inner
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .fuse()
            .boxed();
        Items {
            inner,
            stats: self.stats,
            operation_id: self.operation_id,
        }
    }
}

impl<T> Pages<'_, T> {
    /// Statistics of the walk so far.
    pub fn stats(&self) -> WalkStats {
        self.stats.snapshot()
    }

    /// The `operationId` being walked.
    pub fn operation_id(&self) -> &'static str {
        self.operation_id
    }
}

impl<T> Stream for Pages<'_, T> {
    type Item = Result<Page<T>, PagingError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("operation_id", &self.operation_id)
            .field("stats", &self.stats.snapshot())
            .finish_non_exhaustive()
    }
}

/// A stream of the items of every page of a walk, in order; made by [`Paginator::items`].
///
/// Items are `Result<T, PagingError>`; after an `Err` the stream ends.
pub struct Items<'a, T> {
    inner: BoxStream<'a, Result<T, PagingError>>,
    stats: StatsHandle,
    operation_id: &'static str,
}

impl<T> Items<'_, T> {
    /// Statistics of the walk so far (pages are counted when fetched, so `items` runs ahead
    /// of what this stream has yielded by up to one page).
    pub fn stats(&self) -> WalkStats {
        self.stats.snapshot()
    }

    /// The `operationId` being walked.
    pub fn operation_id(&self) -> &'static str {
        self.operation_id
    }
}

impl<T> Stream for Items<'_, T> {
    type Item = Result<T, PagingError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("operation_id", &self.operation_id)
            .field("stats", &self.stats.snapshot())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Options and preflight not checked yet.
    Start,
    Running,
    Done,
}

/// State of one walk.
struct Walk<'a, R: PagedRequest> {
    request: R,
    options: Options,
    stats: StatsHandle,
    state: State,
    /// Next `page_index` to request.
    next_index: u32,
    /// `page_index` of the oldest request in flight (the next page to yield).
    expected: u32,
    /// Last page to request, once a page has reported `total_pages`.
    last_page: Option<u32>,
    /// Requests in flight, oldest first.
    in_flight: FuturesOrdered<BoxFuture<'a, Result<RawPage<R::Item>, cro_api::Error>>>,
    /// Totals of the previous page, for drift detection.
    previous: Option<Totals>,
    /// Digest of the previous page's items, for pages that carry no page number.
    previous_digest: Option<u64>,
    /// An error to yield after the page just yielded (the page ceiling).
    pending: Option<PagingError>,
    /// Keys of the items yielded so far, for the repeat check.
    tracker: Tracker,
    /// The client's throttle count when the walk started (`WalkStats::throttled` is the
    /// difference).
    throttles_before: u64,
}

impl<'a, R: PagedRequest + 'a> Walk<'a, R> {
    fn new(paginator: Paginator<R>, stats: StatsHandle) -> Self {
        let start = paginator.options.start_page;
        let key = match paginator.options.repeats {
            RepeatPolicy::Off => &[],
            RepeatPolicy::Error | RepeatPolicy::Skip => {
                cro_api::meta::Operation::find(paginator.request.operation_id())
                    .map_or(&[][..], |op| op.item_key())
            }
        };
        Walk {
            tracker: Tracker::new(key),
            request: paginator.request,
            options: paginator.options,
            stats,
            state: State::Start,
            next_index: start,
            expected: start,
            last_page: None,
            in_flight: FuturesOrdered::new(),
            previous: None,
            previous_digest: None,
            pending: None,
            throttles_before: 0,
        }
        .with_throttle_baseline()
    }

    fn with_throttle_baseline(mut self) -> Self {
        let stats = self
            .request
            .client()
            .and_then(cro_api::Client::throttle_stats);
        self.throttles_before = stats.map_or(0, |t| t.throttles);
        self
    }

    /// The next page or error, `None` once the walk is over.
    async fn next(&mut self) -> Option<Result<Page<R::Item>, PagingError>> {
        if let Some(error) = self.pending.take() {
            return Some(Err(self.fail(error)));
        }
        match self.state {
            State::Done => return None,
            State::Start => {
                if let Err(error) = self.check_before_sending() {
                    return Some(Err(self.fail(error)));
                }
                self.state = State::Running;
            }
            State::Running => {}
        }
        self.fill();
        let Some(response) = self.in_flight.next().await else {
            // Nothing left to request. Defensive: accept() ends the walk at the last page, so
            // the plan and the stop rules agree and this is not normally reached.
            self.state = State::Done;
            return None;
        };
        let index = self.expected;
        self.expected += 1;
        Some(match response {
            Ok(raw) => self.accept(index, raw),
            Err(source) => Err(self.fail(PagingError::Request {
                page_index: index,
                source,
            })),
        })
    }

    fn check_before_sending(&self) -> Result<(), PagingError> {
        self.options.validate()?;
        if let Some(roles) = &self.options.preflight {
            ensure_allowed_by_name(roles, self.request.operation_id())?;
        }
        Ok(())
    }

    /// The last `page_index` that `max_pages` allows (`u64` so that it cannot overflow).
    fn count_limit(&self) -> u64 {
        match self.options.max_pages {
            Some(n) => (u64::from(self.options.start_page) + u64::from(n)).saturating_sub(1),
            None => u64::MAX,
        }
    }

    /// The last `page_index` the options allow.
    fn max_index(&self) -> u32 {
        u32::try_from(self.count_limit())
            .unwrap_or(u32::MAX)
            .min(PAGE_INDEX_MAX)
    }

    /// Send requests until the window is full or the plan is exhausted.
    fn fill(&mut self) {
        // Without a known last page only one request at a time: we cannot tell whether the
        // next page exists until the current one arrives.
        let window = match self.last_page {
            Some(_) => self.options.concurrency,
            None => 1,
        };
        let end = self.max_index().min(self.last_page.unwrap_or(u32::MAX));
        while self.in_flight.len() < window && self.next_index <= end {
            let index = self.next_index;
            tracing::debug!(
                operation = self.request.operation_id(),
                page_index = index,
                page_limit = self.options.page_size,
                "requesting page"
            );
            let request = self.request.clone();
            let page_limit = self.options.page_size;
            self.in_flight
                .push_back(Box::pin(request.fetch_page(index, page_limit)));
            self.next_index += 1;
            self.stats.update(|s| s.requests += 1);
        }
    }

    /// Check one response and turn it into a page, deciding whether the walk goes on.
    fn accept(&mut self, index: u32, raw: RawPage<R::Item>) -> Result<Page<R::Item>, PagingError> {
        let count = raw.results.len();
        // The page size actually applied: the server may cap page_limit below what we asked.
        let limit = raw
            .current_limit
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n > 0)
            .unwrap_or(self.options.page_size);

        // An empty page ends the walk whatever it reports, so only a non-empty page with the
        // wrong number could make us repeat or skip items.
        if count > 0
            && let Some(current) = raw.current_page
            && current != u64::from(index)
        {
            return Err(self.fail(PagingError::NotAdvancing {
                requested: index,
                returned: current,
            }));
        }
        // Bare arrays carry no page number: a server that ignores page_index would serve
        // the same items until the page ceiling. Consecutive pages of distinct records
        // cannot be equal, so an exact repeat means the server did not advance.
        if raw.current_page.is_none() && count > 0 {
            let digest = digest(&raw.results);
            if self.previous_digest.replace(digest) == Some(digest) {
                return Err(self.fail(PagingError::NotAdvancing {
                    requested: index,
                    returned: u64::from(index) - 1,
                }));
            }
        }

        if let Some((field, value)) = raw.negative {
            return Err(self.fail(PagingError::ImpossibleTotals {
                page_index: index,
                reason: format!("{field} = {value}"),
            }));
        }
        if let (Some(total_pages), Some(total_count)) = (raw.total_pages, raw.total_count) {
            let expected = total_count.div_ceil(u64::from(limit));
            // An empty list may be reported as 0 pages or as 1 (empty) page.
            if total_pages != expected && !(total_count == 0 && total_pages <= 1) {
                return Err(self.fail(PagingError::ImpossibleTotals {
                    page_index: index,
                    reason: format!(
                        "total_pages = {total_pages}, but total_count = {total_count} at \
                         page_limit {limit} makes {expected} pages"
                    ),
                }));
            }
        }

        let totals = Totals {
            total_pages: raw.total_pages,
            total_count: raw.total_count,
        };
        let mut drift = None;
        if let Some(before) = self.previous.replace(totals)
            && before != totals
        {
            let event = Drift {
                page_index: index,
                before,
                after: totals,
            };
            self.stats.update(|s| s.drift.push(event));
            match self.options.drift {
                DriftPolicy::Error => return Err(self.fail(PagingError::Drift(event))),
                DriftPolicy::Warn => {
                    tracing::warn!(operation = self.request.operation_id(), %event, "paging drift");
                    drift = Some(event);
                }
            }
        }

        let (items, repeats, unkeyed) = match self.check_repeats(index, raw.results) {
            Ok(checked) => checked,
            Err(error) => return Err(self.fail(error)),
        };

        let short = (count > 0 && count < limit as usize)
            .then_some(ShortPage {
                page_index: index,
                items: u32::try_from(count).unwrap_or(u32::MAX),
                limit,
                total_pages: raw.total_pages,
            })
            .filter(|short| match short.total_pages {
                // Short before the last page: items are missing (or the list shrank).
                Some(total_pages) => u64::from(index) < total_pages,
                // An envelope without totals: the walk ends here on the page size alone.
                // (Bare arrays carry no totals by design; their short page is the end.)
                None => self.request.style() == PageStyle::Envelope,
            });
        if let Some(short) = &short {
            tracing::warn!(operation = self.request.operation_id(), %short, "short page");
        }

        if let Some(total_pages) = raw.total_pages {
            if total_pages > u64::from(PAGE_INDEX_MAX) {
                // Known up front: fail now rather than after 10000 requests.
                return Err(self.fail(PagingError::PageCeiling {
                    page_limit: self.options.page_size,
                    total_pages: Some(total_pages),
                }));
            }
            // Follows the latest report, so a growing list (drift, Warn) is read to its end.
            self.last_page = Some(u32::try_from(total_pages).unwrap_or(PAGE_INDEX_MAX));
        }

        let is_last = match raw.total_pages {
            _ if count == 0 => true,
            Some(total_pages) => u64::from(index) >= total_pages,
            // Bare arrays (and envelopes without usable totals): a short page is the last.
            None => count < limit as usize,
        };

        let mut done = is_last;
        if !is_last {
            if u64::from(index) >= self.count_limit() {
                // max_pages reached: a deliberate stop, not an error.
                done = true;
            } else if index >= PAGE_INDEX_MAX {
                // More pages may exist but page_index cannot reach them: yield this page,
                // then the error.
                self.pending = Some(PagingError::PageCeiling {
                    page_limit: self.options.page_size,
                    total_pages: raw.total_pages,
                });
            }
        }

        let (tracked, memory) = (self.tracker.len(), self.tracker.heap_bytes() as u64);
        let throttle = self
            .request
            .client()
            .and_then(cro_api::Client::throttle_stats);
        let throttles_before = self.throttles_before;
        self.stats.update(|s| {
            if let Some(t) = throttle {
                s.limit = Some(t.limit);
                s.throttled = t.throttles.saturating_sub(throttles_before);
            }
            s.pages += 1;
            s.items += items.len() as u64;
            s.total_pages = raw.total_pages;
            s.total_count = raw.total_count;
            s.complete = is_last;
            s.repeats += repeats;
            s.unkeyed += unkeyed;
            s.keys_tracked = tracked;
            s.key_memory_bytes = memory;
            s.short_pages.extend(short);
        });
        if done {
            self.finish();
        }
        Ok(Page {
            index,
            limit,
            total_pages: raw.total_pages,
            total_count: raw.total_count,
            items,
            is_last,
            drift,
        })
    }

    /// Check the items of page `index` against every item yielded before: the items to
    /// yield, how many were dropped as repeats ([`RepeatPolicy::Skip`]) and how many have no
    /// key, or the [`PagingError::Repeat`] to end the walk with.
    fn check_repeats(
        &mut self,
        index: u32,
        mut items: Vec<R::Item>,
    ) -> Result<(Vec<R::Item>, u64, u64), PagingError> {
        if !self.tracker.is_active() {
            return Ok((items, 0, 0));
        }
        let mut unkeyed = 0;
        let mut repeated: Vec<usize> = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let json = R::item_json(item);
            let Some(key) = self.tracker.key_of(&json) else {
                unkeyed += 1;
                continue;
            };
            let Some(seen) = self.tracker.insert(key, index) else {
                continue;
            };
            let error = PagingError::Repeat {
                id: self.tracker.describe(&json),
                first_page: seen.first_page,
                page_index: index,
            };
            if self.options.repeats == RepeatPolicy::Error {
                return Err(error);
            }
            tracing::warn!(operation = self.request.operation_id(), %error, "item skipped");
            repeated.push(n);
        }
        if !repeated.is_empty() {
            let mut drop = repeated.iter().copied().peekable();
            let mut n = 0;
            items.retain(|_| {
                let repeat = drop.next_if_eq(&n).is_some();
                n += 1;
                !repeat
            });
        }
        Ok((items, repeated.len() as u64, unkeyed))
    }

    /// End the walk, cancelling prefetched requests.
    fn finish(&mut self) {
        self.state = State::Done;
        self.in_flight = FuturesOrdered::new();
    }

    /// End the walk with `error`, which the caller yields.
    fn fail(&mut self, error: PagingError) -> PagingError {
        tracing::debug!(operation = self.request.operation_id(), %error, "walk ended with an error");
        self.finish();
        error
    }
}

/// A hash of the items' JSON form (items are `Serialize`; equality is all that matters).
fn digest<T: serde::Serialize>(items: &[T]) -> u64 {
    let mut hasher = DefaultHasher::new();
    match serde_json::to_vec(items) {
        Ok(json) => json.hash(&mut hasher),
        // Not serializable as JSON (cannot happen for API models): never equal to a real page.
        Err(_) => return u64::MAX - items.len() as u64,
    }
    hasher.finish()
}
