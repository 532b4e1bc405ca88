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
use cro_ext::{Paginate, Params, RawItem, RawListRequest};
use futures::TryStreamExt;
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::sync::mpsc::SyncSender;

/// The `id` of one location, read from its JSON as the server sent it: nothing else of the
/// record is decoded, so a server whose locations lack a documented field (`address`, ...)
/// or carry new ones still works. (The rule of the CLI: never decode fields it does not
/// output.)
#[derive(serde::Deserialize)]
struct LocationId<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
}

/// The id of a location record as text (`12`, or the string's value for a text id).
fn location_id(item: &RawItem) -> Option<String> {
    // An object (serde would also read a struct from an array).
    if item.as_bytes().first() != Some(&b'{') {
        return None;
    }
    let record: LocationId<'_> = serde_json::from_slice(item.as_bytes()).ok()?;
    let raw = record.id?.get();
    match raw.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(raw).ok(),
        b'-' | b'0'..=b'9' => Some(raw.to_owned()),
        _ => None, // null, objects, ...: not an id
    }
}

/// The ids of every location of the tenant, from a pass-through walk of `list_locations`.
pub fn location_ids(
    client: &cro_api::Client,
    handle: &tokio::runtime::Handle,
) -> CliResult<Vec<String>> {
    let op = Operation::find(LIST_LOCATIONS).ok_or_else(|| {
        CliError::other(format!("{LIST_LOCATIONS} is not in the operation table"))
    })?;
    let request = RawListRequest::new(client, op, &Params::new()).map_err(|e| errors::param(&e))?;
    handle
        .block_on(async {
            let mut items = request
                .paginate()
                .page_size(cro_ext::paging::PAGE_LIMIT_MAX)
                .items();
            let mut ids = Vec::new();
            while let Some(item) = items.try_next().await.map_err(|e| errors::paging(&e))? {
                let id = location_id(&item).ok_or_else(|| {
                    CliError::data(format!("{LIST_LOCATIONS}: a location has no id"))
                })?;
                ids.push(id);
            }
            Ok(ids)
        })
        .map_err(|e: CliError| e.context("listing the locations"))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(json: &str) -> Option<String> {
        location_id(&RawItem::from_json(json.to_owned()).unwrap())
    }

    #[test]
    fn only_the_id_is_read() {
        assert_eq!(id(r#"{"id":12,"name":"North"}"#).as_deref(), Some("12"));
        assert_eq!(id(r#"{"name":"x","id":"a-1"}"#).as_deref(), Some("a-1"));
        // Odd or missing fields elsewhere do not matter.
        assert_eq!(
            id(r#"{"id":3,"address":null,"zip":{"x":[1]}}"#).as_deref(),
            Some("3")
        );
        assert_eq!(id(r#"{"name":"no id"}"#), None);
        assert_eq!(id(r#"{"id":null}"#), None);
        assert_eq!(id(r#"[1]"#), None);
    }
}
