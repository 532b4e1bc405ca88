//! The transfer floor: the same pages `cro` fetches, fetched concurrently with reqwest and
//! thrown away chunk by chunk, never decoded or copied into one buffer.
//!
//! Nothing a client does with the data can be faster than this on the same machine, so
//! `cro`'s time over this one is what parsing, writing and its own plumbing cost. It is also the
//! fake server's serving rate: with the client doing nothing, the fake is what limits it.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures::{StreamExt, TryStreamExt};

use super::fake_proc::FakeProc;
use super::rss;

/// Longest one floor walk may take.
const RUN_LIMIT: Duration = Duration::from_secs(900);

/// One floor walk.
#[derive(Debug, Clone, Copy)]
pub struct FloorRun {
    /// Wall time of the walk (client built, every page fetched).
    pub wall: Duration,
    /// CPU time of the fetcher (this process) during the walk.
    pub cpu: Duration,
    /// Body bytes received.
    pub bytes: u64,
    /// Pages fetched.
    pub pages: u64,
}

/// Fetches pages of customers from one fake.
pub struct Floor<'a> {
    pub(super) fake: &'a FakeProc,
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) api_version: String,
    pub(super) page_limit: u32,
    /// Pages of the listing, from a probe request.
    pub pages: u64,
}

impl<'a> Floor<'a> {
    /// Prepares a fetcher (own tokio runtime) and asks the fake how many pages there are.
    pub fn new(fake: &'a FakeProc, api_version: &str, page_limit: u32) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start a tokio runtime")?;
        let mut floor = Floor {
            fake,
            runtime,
            api_version: api_version.to_owned(),
            page_limit,
            pages: 0,
        };
        let total = floor.runtime.block_on(floor.total_count())?;
        floor.pages = total.div_ceil(u64::from(page_limit));
        Ok(floor)
    }

    fn request(
        &self,
        http: &reqwest::Client,
        page_index: u64,
        limit: u32,
    ) -> reqwest::RequestBuilder {
        http.get(format!("{}/customers", self.fake.base_url))
            .query(&[("page_index", page_index), ("page_limit", u64::from(limit))])
            .header("authorization", format!("bearer {}", self.fake.token))
            .header("x-tenant-id", self.fake.tenant.to_string())
            .header("x-api-version", &self.api_version)
    }

    /// `total_count` from a one-record page (the only body this module decodes).
    async fn total_count(&self) -> Result<u64> {
        let http = reqwest::Client::new();
        let resp = self.request(&http, 1, 1).send().await?;
        if !resp.status().is_success() {
            bail!("probe request failed: {}", resp.status());
        }
        let page: serde_json::Value = serde_json::from_slice(&resp.bytes().await?)?;
        page["total_count"]
            .as_u64()
            .ok_or_else(|| anyhow!("no total_count in the probe page"))
    }

    /// Fetches every page with `concurrency` requests in flight, on a fresh client (new
    /// connections, as a new `cro` process has).
    pub fn run(&self, concurrency: usize) -> Result<FloorRun> {
        let cpu_before = rss::self_cpu();
        let started = Instant::now();
        let (bytes, pages) = self.runtime.block_on(async {
            tokio::time::timeout(RUN_LIMIT, self.walk(concurrency))
                .await
                .map_err(|_| anyhow!("the floor walk took longer than {RUN_LIMIT:?}"))?
        })?;
        Ok(FloorRun {
            wall: started.elapsed(),
            cpu: rss::self_cpu().saturating_sub(cpu_before),
            bytes,
            pages,
        })
    }

    async fn walk(&self, concurrency: usize) -> Result<(u64, u64)> {
        let http = reqwest::Client::builder()
            .build()
            .context("cannot build the HTTP client")?;
        let http = &http;
        futures::stream::iter(1..=self.pages)
            .map(|page| async move {
                let mut resp = self.request(http, page, self.page_limit).send().await?;
                if !resp.status().is_success() {
                    bail!("page {page}: {}", resp.status());
                }
                let mut bytes = 0u64;
                while let Some(chunk) = resp.chunk().await? {
                    bytes += chunk.len() as u64;
                }
                Ok(bytes)
            })
            .buffer_unordered(concurrency.max(1))
            .try_fold((0u64, 0u64), |(bytes, pages), b| async move {
                Ok((bytes + b, pages + 1))
            })
            .await
    }
}
