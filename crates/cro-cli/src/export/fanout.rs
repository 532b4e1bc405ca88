//! `--all-locations`: walk `list_locations`, then export every location's list with a bounded
//! number of locations at a time.
//!
//! Each location's records keep their page order; records of different locations interleave
//! page by page. The first failing location stops the others (at their next page) and fails
//! the export.

use super::{CANCELLED, WalkCtx, WalkOutcome, is_cancelled, walk};
use crate::errors;
use crate::exit::{CliError, CliResult};
use crate::export::sink::Chunk;
use crate::resources::{LIST_LOCATIONS, LOCATION_PARAM};
use cro_api::meta::Operation;
use cro_ext::{PagedRequest, PagedVisitor, Paginate, Params};
use futures::TryStreamExt;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::sync::mpsc::SyncSender;

/// Collects the `id` of every item of a list.
struct Ids<'a> {
    handle: &'a tokio::runtime::Handle,
    page_size: u32,
}

impl PagedVisitor for Ids<'_> {
    type Output = CliResult<Vec<String>>;

    fn visit<R: PagedRequest>(self, request: R) -> CliResult<Vec<String>> {
        let operation_id = request.operation_id();
        self.handle.block_on(async {
            let mut items = request.paginate().page_size(self.page_size).items();
            let mut ids = Vec::new();
            while let Some(item) = items.try_next().await.map_err(|e| errors::paging(&e))? {
                let value = serde_json::to_value(&item)
                    .map_err(|e| CliError::data(format!("cannot read a location: {e}")))?;
                match value.get("id") {
                    Some(serde_json::Value::Number(n)) => ids.push(n.to_string()),
                    Some(serde_json::Value::String(s)) => ids.push(s.clone()),
                    _ => {
                        return Err(CliError::data(format!(
                            "{operation_id}: a location has no id"
                        )));
                    }
                }
            }
            Ok(ids)
        })
    }
}

/// The ids of every location of the tenant.
pub fn location_ids(
    client: &cro_api::Client,
    handle: &tokio::runtime::Handle,
) -> CliResult<Vec<String>> {
    cro_ext::with_paged_request(
        client,
        LIST_LOCATIONS,
        &Params::new(),
        Ids {
            handle,
            page_size: cro_ext::paging::PAGE_LIMIT_MAX,
        },
    )
    .map_err(|e| errors::param(&e))?
    .map_err(|e| e.context("listing the locations"))
}

/// Export `op` for every location.
pub fn run(
    client: &cro_api::Client,
    op: &'static Operation,
    params: &Params,
    ctx: &WalkCtx<'_>,
    workers: usize,
    out: SyncSender<Chunk>,
) -> CliResult<WalkOutcome> {
    let ids = location_ids(client, ctx.handle)?;
    let queue = Mutex::new(ids.into_iter().collect::<VecDeque<String>>());
    let workers = workers.max(1);
    let results: Vec<CliResult<WalkOutcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let out = out.clone();
                let queue = &queue;
                s.spawn(move || -> CliResult<WalkOutcome> {
                    let mut total = WalkOutcome::default();
                    loop {
                        if ctx.cancel.load(Ordering::Relaxed) {
                            return Err(CliError::other(CANCELLED));
                        }
                        let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                        let Some(location) = next else {
                            return Ok(total);
                        };
                        let mut p = params.clone();
                        p.insert(LOCATION_PARAM.to_string(), location.clone());
                        match walk(client, op, &p, ctx, out.clone()) {
                            Ok(o) => total += o,
                            Err(e) => {
                                ctx.cancel.store(true, Ordering::Relaxed);
                                return Err(if is_cancelled(&e) {
                                    e
                                } else {
                                    e.context(format!("location {location}"))
                                });
                            }
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(CliError::other("a location worker panicked")))
            })
            .collect()
    });
    let mut total = WalkOutcome::default();
    let mut first_cancel = None;
    for r in results {
        match r {
            Ok(o) => total += o,
            Err(e) if is_cancelled(&e) => first_cancel = first_cancel.or(Some(e)),
            // The real cause wins over the "cancelled" errors it caused.
            Err(e) => return Err(e),
        }
    }
    match first_cancel {
        Some(e) => Err(e),
        None => Ok(total),
    }
}
