//! `cro sync --to URL`: mirror a tenant's lists into SQLite (embedded) or PostgreSQL.
//!
//! For every list that can be walked with no parent id but a location (the resources of
//! `cro export` that need no `--customer`/`--driver`/`--hauler`):
//! - the table comes from the item model in the spec ([`tables`]): a column per top-level
//!   field, keyed by tenant and id;
//! - lists whose operation takes `last_updated_gte` (customers, jobs) are synced by change:
//!   from the largest `last_updated_on` the server sent in the last sync (its own naive
//!   timestamps, never the local clock), minus `--overlap`; the first sync and `--full` walk
//!   everything;
//! - every other list is walked whole, and rows it no longer has are marked
//!   `_cro_removed_at` rather than deleted (so are those of the incremental lists with
//!   `--full`);
//! - each resource is written in one transaction with its state row
//!   (`_cro_sync_state`), so a failed or interrupted sync leaves every table as the last
//!   good sync left it.
//!
//! Walks are the ones `cro export` uses (`RawListRequest` through the paginator): the same
//! drift, advance, repeat and completeness checks, and the same exit codes.

mod rows;
mod sink;
mod tables;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod postgres_tls;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod writeback;
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
compile_error!("the postgres sink reuses the sqlite module's identifier quoting; enable `sqlite`");

use crate::errors;
use crate::exit::{CliError, CliResult};
use crate::export::fanout;
use crate::export::progress::Progress;
use crate::resources::{self, LOCATION_PARAM, Resource};
use chrono::{NaiveDateTime, TimeDelta};
use cro_api::meta::Operation;
use cro_ext::paging::DriftPolicy;
use cro_ext::{Paginate, Params, RawListRequest};
use futures::TryStreamExt;
use rows::{Row, RowBuilder};
use sink::{Counts, Sink, SyncState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::{Duration, Instant};
use tables::Table;

/// The filter that makes a list incremental.
const CHANGED_SINCE: &str = "last_updated_gte";
/// Batches of rows queued between the walk and the database.
const WRITE_QUEUE: usize = 4;

/// `cro sync`.
#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// Database to mirror into: sqlite:PATH (embedded, created if missing) or
    /// postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(
        long,
        value_name = "URL",
        env = "CRO_SYNC_TO",
        default_value = "sqlite:cro.db"
    )]
    pub to: String,
    /// Walk every list whole: also finds records deleted from the incremental lists.
    #[arg(long)]
    pub full: bool,
    /// How far before the last high-water mark an incremental sync starts again (covers
    /// changes committed late on the server): 90s, 10m, 2h, 1d.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub overlap: Duration,
    /// Only these resources (comma-separated), e.g. customers,jobs. Default: all.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub resources: Vec<String>,
    /// Records per page (1..1000).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: u32,
    /// Page requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=16))]
    pub concurrency: u32,
    /// No progress bars and no summary table.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `90`, `90s`, `10m`, `2h`, `1d`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 90s, 10m, 2h, 1d)"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use s, m, h or d)"
            ));
        }
    };
    Ok(Duration::from_secs(n.saturating_mul(secs)))
}

/// The current time, UTC, ISO 8601 (for `_cro_synced_at` and the state table; never used as
/// a high-water mark).
pub(crate) fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// How one resource is synced this time.
struct Plan {
    resource: &'static Resource,
    table: Table,
    op: &'static Operation,
    per_location: bool,
    /// Whether the list can be synced by change at all.
    incremental: bool,
    /// `last_updated_gte` for this run (incremental lists with a previous mark, not `--full`).
    since: Option<String>,
}

impl Plan {
    fn mode(&self) -> &'static str {
        match (self.incremental, self.since.is_some()) {
            (true, true) => "changes",
            (true, false) => "full",
            (false, _) => "refresh",
        }
    }
}

/// What one resource's sync did.
struct Outcome {
    name: String,
    mode: &'static str,
    counts: Counts,
    rows: u64,
    requests: u64,
    took: Duration,
}

/// The resources `cro sync` mirrors, with the list operation and whether it is walked per
/// location: those with a tenant-wide list, or a per-location one (`--all-locations`).
fn syncable() -> Vec<(&'static Resource, &'static Operation, bool)> {
    resources::table()
        .iter()
        .filter_map(|r| {
            if let Ok(op) = r.select(&[], false) {
                Some((r, op, false))
            } else if r.all_locations {
                r.select(&[], true).ok().map(|op| (r, op, true))
            } else {
                None
            }
        })
        .collect()
}

/// `cro sync`.
pub fn run(
    client: &cro_api::Client,
    handle: &tokio::runtime::Handle,
    api_version: &str,
    args: &SyncArgs,
) -> CliResult<()> {
    let tenant = client.state().tenant_id().ok_or_else(|| {
        CliError::auth("cro sync needs a tenant id")
            .detail("hint: set CRO_TENANT_ID or pass --tenant")
    })?;
    let tenant =
        i64::try_from(tenant).map_err(|_| CliError::usage("the tenant id is too large"))?;
    if !client.state().has_token() {
        return Err(
            CliError::auth("cro sync requires an access token and none is configured").detail(
                "hint: set CRO_TOKEN, pass --token, run `cro auth login`, or try `cro --demo sync`",
            ),
        );
    }
    let all = syncable();
    for wanted in &args.resources {
        if !all.iter().any(|(r, _, _)| &r.name == wanted) {
            let names: Vec<&str> = all.iter().map(|(r, _, _)| r.name.as_str()).collect();
            return Err(CliError::usage(format!(
                "--resources: {wanted:?} is not a resource cro sync mirrors ({})",
                names.join(", ")
            )));
        }
    }
    let mut sink = sink::open(&args.to).map_err(|e| CliError::usage(e).context("--to"))?;
    let mut outcomes = Vec::new();
    for (resource, op, per_location) in all {
        if !args.resources.is_empty() && !args.resources.contains(&resource.name) {
            continue;
        }
        let table = Table::from_spec(&resource.name, resource.item_model, api_version).ok_or_else(
            || {
                CliError::data(format!(
                    "{}: the spec has no usable item model {}",
                    resource.name, resource.item_model
                ))
            },
        )?;
        sink.prepare(&table).map_err(db_error)?;
        let state = sink.state(tenant, &table).map_err(db_error)?;
        let incremental =
            op.filters().any(|q| q.name == CHANGED_SINCE) && table.updated_field.is_some();
        let since = match (&state, incremental && !args.full) {
            (
                Some(SyncState {
                    high_water_mark: Some(mark),
                    ..
                }),
                true,
            ) => Some(rewind(mark, args.overlap)),
            _ => None,
        };
        let plan = Plan {
            resource,
            table,
            op,
            per_location,
            incremental,
            since,
        };
        let outcome = sync_one(client, handle, tenant, &plan, state, sink.as_mut(), args)
            .map_err(|e| e.context(format!("syncing {}", plan.resource.name)))?;
        outcomes.push(outcome);
    }
    if !args.quiet {
        eprint!("{}", summary(&outcomes, &args.to));
    }
    Ok(())
}

fn db_error(e: sink::SinkError) -> CliError {
    CliError::other(format!("database: {e}"))
}

/// `mark - overlap` in the API's naive form; a mark we cannot read is used as it is.
fn rewind(mark: &str, overlap: Duration) -> String {
    match parse_naive(mark) {
        Some(t) => {
            let back = TimeDelta::from_std(overlap).unwrap_or(TimeDelta::zero());
            (t - back).format("%Y-%m-%dT%H:%M:%S").to_string()
        }
        None => mark.to_owned(),
    }
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
}

/// The later of two server timestamps (compared as times when both parse).
fn later(a: Option<String>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (None, b) => b.map(str::to_owned),
        (a, None) => a,
        (Some(a), Some(b)) => {
            // The API writes one fixed-width form, where text order is time order; parse only
            // when the forms differ.
            let newer = if a.len() == b.len() {
                b > a.as_str()
            } else {
                match (parse_naive(&a), parse_naive(b)) {
                    (Some(x), Some(y)) => y > x,
                    _ => b > a.as_str(),
                }
            };
            Some(if newer { b.to_owned() } else { a })
        }
    }
}

/// Walk one resource into the sink, in one transaction.
fn sync_one(
    client: &cro_api::Client,
    handle: &tokio::runtime::Handle,
    tenant: i64,
    plan: &Plan,
    previous: Option<SyncState>,
    sink: &mut dyn Sink,
    args: &SyncArgs,
) -> CliResult<Outcome> {
    let started = Instant::now();
    let full_walk = plan.since.is_none();
    let progress = Progress::new(!args.quiet);
    sink.begin(&plan.table, full_walk).map_err(db_error)?;
    let cancel = AtomicBool::new(false);
    let result = std::thread::scope(|s| -> CliResult<(Counts, u64, Option<String>)> {
        let (tx, rx) = sync_channel::<Vec<Row>>(WRITE_QUEUE);
        let walker = s.spawn(|| walk(client, handle, plan, args, &progress, &cancel, tx));
        let mut counts = Counts::default();
        let mut mark: Option<String> = None;
        let mut failed = None;
        for batch in rx {
            for row in &batch {
                mark = later(mark, row.updated().as_deref());
            }
            match sink.upsert(&plan.table, tenant, &batch) {
                Ok(c) => counts += c,
                Err(e) => {
                    cancel.store(true, Ordering::Relaxed);
                    failed = Some(db_error(e));
                    break;
                }
            }
        }
        let walked = walker
            .join()
            .unwrap_or_else(|_| Err(CliError::other("the walk thread panicked")));
        if let Some(e) = failed {
            return Err(e);
        }
        let requests = walked?;
        Ok((counts, requests, mark))
    });
    progress.clear();
    let (mut counts, requests, mark) = match result {
        Ok(r) => r,
        Err(e) => {
            sink.rollback();
            return Err(e);
        }
    };
    let now = now_utc();
    let finish = (|| {
        if full_walk {
            counts.removed = sink.mark_removed(&plan.table, tenant, &now)?;
        }
        let rows = sink.live_rows(&plan.table, tenant)?;
        let previous = previous.unwrap_or_default();
        let state = SyncState {
            high_water_mark: if plan.incremental {
                later(previous.high_water_mark, mark.as_deref())
            } else {
                None
            },
            last_success: Some(now.clone()),
            last_full: if full_walk {
                Some(now.clone())
            } else {
                previous.last_full
            },
            rows,
            counts,
            requests,
        };
        sink.commit(&plan.table, tenant, &state)?;
        Ok(rows)
    })();
    let rows = match finish {
        Ok(rows) => rows,
        Err(e) => {
            sink.rollback();
            return Err(db_error(e));
        }
    };
    Ok(Outcome {
        name: plan.table.name.clone(),
        mode: plan.mode(),
        counts,
        rows,
        requests,
        took: started.elapsed(),
    })
}

/// The walk thread: every page of the plan's list(s), converted to rows and sent to the
/// database thread. Returns the number of page requests.
fn walk(
    client: &cro_api::Client,
    handle: &tokio::runtime::Handle,
    plan: &Plan,
    args: &SyncArgs,
    progress: &Progress,
    cancel: &AtomicBool,
    out: SyncSender<Vec<Row>>,
) -> CliResult<u64> {
    let mut base = Params::new();
    if let Some(since) = &plan.since {
        base.insert(CHANGED_SINCE.to_string(), since.clone());
    }
    let mut requests = 0u64;
    let scopes: Vec<Params> = if plan.per_location {
        let ids = fanout::location_ids(client, handle)?;
        requests += 1;
        ids.into_iter()
            .map(|id| {
                let mut p = base.clone();
                p.insert(LOCATION_PARAM.to_string(), id);
                p
            })
            .collect()
    } else {
        vec![base]
    };
    for params in scopes {
        let request =
            RawListRequest::new(client, plan.op, &params).map_err(|e| errors::param(&e))?;
        let op = plan.op.id;
        let mut builder = RowBuilder::new(&plan.table);
        let stats = handle.block_on(async {
            let mut pages = request
                .paginate()
                .page_size(args.page_size)
                .concurrency(args.concurrency as usize)
                .drift(DriftPolicy::Error)
                .pages();
            let mut announced = false;
            while let Some(page) = pages.try_next().await.map_err(|e| errors::paging(&e))? {
                if cancel.load(Ordering::Relaxed) {
                    return Err(CliError::other("cancelled: the database write failed"));
                }
                if !announced {
                    announced = true;
                    if let Some(total) = page.total_count {
                        progress.add_expected(total);
                    }
                }
                progress.page(page.items.len() as u64);
                let rows = page
                    .items
                    .into_iter()
                    .map(|item| builder.row(item.into_bytes()))
                    .collect::<Result<Vec<Row>, _>>()
                    .map_err(|e| CliError::data(format!("{op}: {e}")))?;
                if out.send(rows).is_err() {
                    return Err(CliError::other("cancelled: the database write failed"));
                }
            }
            Ok(pages.stats())
        })?;
        requests += u64::from(stats.requests);
        if !stats.complete {
            return Err(CliError::data(format!(
                "{op}: the walk ended before the end of the list"
            )));
        }
        if let Some(total) = stats.total_count
            && stats.items != total
        {
            return Err(CliError::data(format!(
                "{op}: received {} records but the server announced total_count = {total}; \
                 the mirror would be incomplete or hold duplicates",
                stats.items
            )));
        }
    }
    Ok(requests)
}

/// The summary table printed at the end.
fn summary(outcomes: &[Outcome], to: &str) -> String {
    let mut out = format!(
        "{:<18} {:<8} {:>9} {:>8} {:>10} {:>8} {:>9} {:>9} {:>8}\n",
        "resource",
        "mode",
        "inserted",
        "updated",
        "unchanged",
        "removed",
        "rows",
        "requests",
        "time"
    );
    let mut total = Counts::default();
    let mut requests = 0;
    for o in outcomes {
        total += o.counts;
        requests += o.requests;
        out.push_str(&format!(
            "{:<18} {:<8} {:>9} {:>8} {:>10} {:>8} {:>9} {:>9} {:>7.2}s\n",
            o.name,
            o.mode,
            o.counts.inserted,
            o.counts.updated,
            o.counts.unchanged,
            o.counts.removed,
            o.rows,
            o.requests,
            o.took.as_secs_f64()
        ));
    }
    let target = to.split_once('@').map_or(to, |(_, host)| host);
    out.push_str(&format!(
        "synced {} resources: {} inserted, {} updated, {} unchanged, {} removed, {} requests -> {}\n",
        outcomes.len(),
        total.inserted,
        total.updated,
        total.unchanged,
        total.removed,
        requests,
        target
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5w").is_err());
    }

    #[test]
    fn marks_come_from_server_times() {
        assert_eq!(
            rewind("2024-03-01T00:30:00", Duration::from_secs(3600)),
            "2024-02-29T23:30:00"
        );
        assert_eq!(
            rewind("2024-03-01T00:30:00.123", Duration::ZERO),
            "2024-03-01T00:30:00"
        );
        assert_eq!(
            later(
                Some("2024-01-02T00:00:00".into()),
                Some("2024-01-10T00:00:00.5")
            )
            .as_deref(),
            Some("2024-01-10T00:00:00.5")
        );
        assert_eq!(
            later(
                Some("2024-01-10T00:00:00".into()),
                Some("2024-01-02T00:00:00")
            )
            .as_deref(),
            Some("2024-01-10T00:00:00")
        );
        assert_eq!(later(None, None), None);
    }

    #[test]
    fn the_mirrored_resources_are_the_lists_without_a_parent() {
        let mut names: Vec<&str> = syncable().iter().map(|(r, _, _)| r.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "assets",
                "customers",
                "drivers",
                "dump-destinations",
                "haulers",
                "hooks",
                "jobs",
                "locations",
                "materials",
                "tenants",
                "trucks",
                "users"
            ]
        );
    }
}
