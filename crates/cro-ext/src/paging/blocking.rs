//! Plain `Iterator`s over a walk, for synchronous code (feature `blocking`).
//!
//! They drive the same async walk as [`Pages`]/[`Items`], one `next()` at a time, on a
//! tokio runtime: the caller's, when there is one (the request futures then run where the
//! client's connections live), otherwise a private current-thread runtime that only runs
//! while `next()` blocks.

use std::fmt;
use std::future::Future;

use futures::StreamExt;
use tokio::runtime::{Builder, Handle, Runtime, RuntimeFlavor};

use super::PagingError;
use super::paginator::{Page, Paginator, WalkStats};
use super::stream::{Items, Pages};
use crate::request::PagedRequest;

impl<R: PagedRequest> Paginator<R> {
    /// A blocking iterator over whole pages (see [`BlockingItems`] for the runtime rules).
    ///
    /// # Panics
    ///
    /// See [`blocking_items`](Paginator::blocking_items).
    pub fn blocking_pages<'a>(self) -> BlockingPages<'a, R::Item>
    where
        R: 'a,
    {
        BlockingPages {
            pages: self.pages(),
            driver: Driver::new(),
        }
    }

    /// A blocking iterator over the items of every page: the getting-started loop.
    ///
    /// ```no_run
    /// use cro_ext::paging::Paginate;
    ///
    /// fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let client = cro_api::Client::from_env()?; // CRO_BASE_URL, CRO_TOKEN, CRO_TENANT_ID
    ///     for customer in client.list_customers().paginate().blocking_items() {
    ///         println!("{:?}", customer?);
    ///     }
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Panics
    ///
    /// If no tokio runtime is current and a current-thread runtime cannot be created (out
    /// of file descriptors); and, from tokio, if `next()` is called from *inside* an async
    /// task of a current-thread runtime (blocking there would deadlock: use
    /// [`items`](Paginator::items), or `spawn_blocking`).
    pub fn blocking_items<'a>(self) -> BlockingItems<'a, R::Item>
    where
        R: 'a,
    {
        BlockingItems {
            items: self.items(),
            driver: Driver::new(),
        }
    }
}

/// A blocking iterator over the pages of a walk; made by [`Paginator::blocking_pages`].
///
/// Yields `Result<Page<T>, PagingError>`; after an `Err` it ends.
pub struct BlockingPages<'a, T> {
    pages: Pages<'a, T>,
    driver: Driver,
}

impl<T> BlockingPages<'_, T> {
    /// Statistics of the walk so far.
    pub fn stats(&self) -> WalkStats {
        self.pages.stats()
    }
}

impl<T> Iterator for BlockingPages<'_, T> {
    type Item = Result<Page<T>, PagingError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.driver.block_on(self.pages.next())
    }
}

impl<T> fmt::Debug for BlockingPages<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPages")
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

/// A blocking iterator over the items of a walk; made by [`Paginator::blocking_items`].
///
/// Yields `Result<T, PagingError>`; after an `Err` it ends. Outside any tokio runtime it
/// owns a current-thread runtime; inside a multi-thread runtime it uses
/// `block_in_place` on the current one; from a `spawn_blocking` thread of a current-thread
/// runtime it uses that runtime's handle.
pub struct BlockingItems<'a, T> {
    items: Items<'a, T>,
    driver: Driver,
}

impl<T> BlockingItems<'_, T> {
    /// Statistics of the walk so far.
    pub fn stats(&self) -> WalkStats {
        self.items.stats()
    }
}

impl<T> Iterator for BlockingItems<'_, T> {
    type Item = Result<T, PagingError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.driver.block_on(self.items.next())
    }
}

impl<T> fmt::Debug for BlockingItems<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingItems")
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

/// Where the futures of a blocking iterator run.
enum Driver {
    /// No runtime was current at creation: ours, driven only inside `next()`.
    Owned(Runtime),
    /// The runtime that was current at creation.
    Borrowed(Handle),
}

impl Driver {
    fn new() -> Self {
        match Handle::try_current() {
            Ok(handle) => Driver::Borrowed(handle),
            Err(_) => Driver::Owned(
                Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("cro-ext: cannot create a tokio runtime for a blocking iterator"),
            ),
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self {
            Driver::Owned(runtime) => runtime.block_on(future),
            // On a multi-thread runtime, block_in_place hands this worker's other tasks to
            // another thread first (and is a no-op on non-worker threads).
            Driver::Borrowed(handle) if handle.runtime_flavor() != RuntimeFlavor::CurrentThread => {
                tokio::task::block_in_place(|| handle.block_on(future))
            }
            Driver::Borrowed(handle) => handle.block_on(future),
        }
    }
}
