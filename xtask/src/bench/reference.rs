//! A reference exporter: the bare minimum of an NDJSON export that passes each item's JSON
//! through instead of decoding it into typed models and encoding it again.
//!
//! It does the real work of such an export and nothing else: fetch pages concurrently (as
//! `cro` does), parse each page as JSON (so a broken body is still caught) keeping the items
//! as borrowed raw text (`serde_json::value::RawValue`), and write them in page order, one per
//! line, to a file next to `cro`'s. Parsing runs on the runtime's worker threads, one task per
//! page, so both cores can work.
//!
//! It is not a contestant: `cro export --format ndjson` passes items through the same way
//! (`cro_ext::RawListRequest`), so the gap between `cro` and this line is `cro`'s own
//! plumbing (request hooks, paging checks, the encoder and writer threads, process start),
//! and the gap between this line and the floor is what parsing and writing cost here.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures::{StreamExt, TryStreamExt};
use serde_json::value::RawValue;

use super::floor::Floor;
use super::rss;

/// The envelope with the items left as raw JSON.
#[derive(serde::Deserialize)]
struct RawEnvelope<'a> {
    #[serde(borrow)]
    results: Vec<&'a RawValue>,
}

/// One reference export.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceRun {
    /// Wall time.
    pub wall: Duration,
    /// CPU time of this process meanwhile.
    pub cpu: Duration,
    /// Records written.
    pub records: u64,
}

/// Exports every page the floor knows of (same fake, pages and headers) to `out`, which is
/// removed afterwards.
pub fn run(floor: &Floor<'_>, concurrency: usize, out: &Path) -> Result<ReferenceRun> {
    let (fake, api_version) = (floor.fake, floor.api_version.as_str());
    let (pages, page_limit) = (floor.pages, floor.page_limit);
    let cpu_before = rss::self_cpu();
    let started = Instant::now();
    let records = floor.runtime.block_on(async {
        let http = reqwest::Client::new();
        let file = std::fs::File::create(out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        let mut records = 0u64;
        let mut lines = futures::stream::iter(1..=pages)
            .map(|page| {
                let request = http
                    .get(format!("{}/customers", fake.base_url))
                    .query(&[("page_index", page), ("page_limit", u64::from(page_limit))])
                    .header("authorization", format!("bearer {}", fake.token))
                    .header("x-tenant-id", fake.tenant.to_string())
                    .header("x-api-version", api_version);
                // One task per page: fetching and parsing run on any worker thread.
                tokio::spawn(async move { fetch_lines(request, page).await })
            })
            .buffered(concurrency.max(1));
        while let Some(chunk) = lines.try_next().await? {
            let (bytes, n) = chunk?;
            writer.write_all(&bytes)?;
            records += n;
        }
        writer.flush()?;
        Ok::<u64, anyhow::Error>(records)
    });
    let _ = std::fs::remove_file(out);
    let records = records?;
    Ok(ReferenceRun {
        wall: started.elapsed(),
        cpu: rss::self_cpu().saturating_sub(cpu_before),
        records,
    })
}

/// One page as NDJSON lines, and how many.
async fn fetch_lines(request: reqwest::RequestBuilder, page: u64) -> Result<(Vec<u8>, u64)> {
    let resp = request.send().await?;
    if !resp.status().is_success() {
        bail!("page {page}: {}", resp.status());
    }
    let body = resp.bytes().await?;
    let envelope: RawEnvelope<'_> =
        serde_json::from_slice(&body).map_err(|e| anyhow!("page {page}: {e}"))?;
    let mut out = Vec::with_capacity(body.len() + envelope.results.len());
    for item in &envelope.results {
        // The fake (like the API) sends compact JSON, so an item holds no newline; a
        // pretty-printed one would need re-encoding to stay on one line.
        out.extend_from_slice(item.get().as_bytes());
        out.push(b'\n');
    }
    Ok((out, envelope.results.len() as u64))
}
