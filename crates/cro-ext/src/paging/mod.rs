//! Walking every page of a paged list: streams, an iterator, stop rules and drift.
//!
//! Every progenitor builder of a paged operation implements [`PagedRequest`] (generated), so
//! [`Paginate::paginate`] works on all of them with no per-endpoint code:
//!
//! ```no_run
//! use cro_ext::paging::Paginate;
//! use futures::TryStreamExt;
//!
//! # async fn run(client: &cro_api::Client) -> Result<(), cro_ext::paging::PagingError> {
//! let mut customers = client.list_customers().paginate().items();
//! while let Some(customer) = customers.try_next().await? {
//!     println!("{customer:?}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The stop rules, the ceilings of the API (`page_index` <= [`PAGE_INDEX_MAX`],
//! `page_limit` <= [`PAGE_LIMIT_MAX`]), drift handling and the checks against repeated
//! items and impossible totals are described on [`Paginator`].

#[cfg(feature = "blocking")]
mod blocking;
mod drift;
mod error;
mod paginator;
mod repeats;
mod stream;

#[cfg(feature = "blocking")]
pub use blocking::{BlockingItems, BlockingPages};
pub use drift::{Drift, DriftPolicy, ShortPage, Totals};
pub use error::PagingError;
pub use paginator::{Page, Paginator, WalkStats};
pub use repeats::RepeatPolicy;
pub use stream::{Items, Pages};

use crate::request::PagedRequest;

/// Highest `page_index` the API accepts (documented range 1..=10000).
pub const PAGE_INDEX_MAX: u32 = 10_000;

/// Highest `page_limit` the API accepts (documented range 1..=1000); also the default page
/// size of a [`Paginator`].
pub const PAGE_LIMIT_MAX: u32 = 1_000;

/// Highest [`Paginator::concurrency`]: enough to hide latency, few enough not to hammer a
/// tenant's API.
pub const MAX_CONCURRENCY: usize = 16;

/// `.paginate()` for every paged request builder.
///
/// Blanket-implemented for every [`PagedRequest`], so it is available on
/// `client.list_customers()`, `client.list_materials()`, ... and on the requests that
/// [`with_paged_request`](crate::with_paged_request) builds at run time.
pub trait Paginate: PagedRequest + Sized {
    /// A [`Paginator`] over all pages of this request, with the default options.
    ///
    /// Filters and path parameters must be set before; `page_index`/`page_limit` are the
    /// paginator's.
    fn paginate(self) -> Paginator<Self> {
        Paginator::new(self)
    }
}

impl<R: PagedRequest> Paginate for R {}
