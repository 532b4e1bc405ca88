//! `cro export <resource>`: metadata lookup → request (`cro_ext::RawListRequest`, whose items
//! are the server's JSON, for every format) → paginator → encoder → writer, with no
//! per-endpoint code.
//!
//! Threads and memory: each list walk runs on its own thread, which drives the paginator
//! (concurrent page prefetch, in page order) on the shared tokio runtime and hands each page
//! to an encoder thread; encoded chunks go to one writer thread. All hand-offs are bounded
//! channels, so at most `concurrency` pages are in flight plus a few queued pages per stage,
//! whatever the size of the export (the 1,000,000-customer export stays far below 64 MiB).
//!
//! Correctness: the walk fails on `total_count` drift, on pages that do not advance, on a
//! record served twice (`--dedupe` writes it once instead), on impossible totals, and when
//! the number of records received differs from the `total_count` the server announced, so
//! an export never silently misses or repeats records. `--allow-drift` turns the drift and
//! count checks into warnings (the export finishes, the file is written). Short pages are
//! warned about. A failed export leaves no output file (see [`output`]).

pub mod columns;
pub mod fanout;
pub mod json_scan;
pub mod output;
pub mod progress;
pub mod sink;

use crate::cli::ExportRequest;
use crate::errors;
use crate::exit::{CliError, CliResult};
use columns::Columns;
use cro_api::meta::{Auth, Operation};
use cro_ext::paging::{DriftPolicy, MAX_CONCURRENCY, RepeatPolicy};
use cro_ext::{PagedRequest, PagedVisitor, Paginate, Params, RawListRequest};
use futures::TryStreamExt;
use output::Target;
use progress::Progress;
use sink::{Chunk, Encoder, Format, Writer};
use std::io::{self, BufWriter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Pages queued between a walk and its encoder.
const ENCODE_QUEUE: usize = 2;
/// Encoded chunks queued before the writer.
const WRITE_QUEUE: usize = 4;
/// Write buffer size.
const WRITE_BUFFER: usize = 1 << 20;
/// Message of the error a walk returns when another walk failed first.
const CANCELLED: &str = "cancelled because another part of the export failed";

/// What an export needs from the rest of the program.
pub struct ExportEnv<'a> {
    /// The configured client.
    pub client: &'a cro_api::Client,
    /// Runtime that drives the HTTP requests (the walks run on their own threads).
    pub handle: tokio::runtime::Handle,
    /// The API version in use (selects the CSV columns).
    pub api_version: &'a str,
}

/// Settings shared by the walks of one export.
pub struct WalkCtx<'a> {
    /// Runtime handle.
    pub handle: &'a tokio::runtime::Handle,
    /// Page encoder.
    pub encoder: &'a Encoder,
    /// Progress counters.
    pub progress: &'a Progress,
    /// Set when any walk failed: the others stop at their next page.
    pub cancel: &'a AtomicBool,
    /// `page_limit`.
    pub page_size: u32,
    /// Pages in flight per walk.
    pub concurrency: usize,
    /// Fail or warn on drift.
    pub drift: DriftPolicy,
    /// `--allow-drift`: a record count other than `total_count` is a warning, not an error.
    pub allow_drift: bool,
    /// Fail on a repeated record, or write it once (`--dedupe`).
    pub repeats: RepeatPolicy,
}

/// What one or several walks produced.
#[derive(Debug, Default, Clone, Copy)]
pub struct WalkOutcome {
    /// Records received.
    pub records: u64,
    /// Pages received.
    pub pages: u64,
    /// Whether the totals changed during a walk (only with `--allow-drift`).
    pub drifted: bool,
    /// Records served again and written once (only with `--dedupe`).
    pub repeats: u64,
}

impl std::ops::AddAssign for WalkOutcome {
    fn add_assign(&mut self, o: WalkOutcome) {
        self.records += o.records;
        self.pages += o.pages;
        self.drifted |= o.drifted;
        self.repeats += o.repeats;
    }
}

/// Whether an error only says "another walk failed".
pub fn is_cancelled(e: &CliError) -> bool {
    e.message.ends_with(CANCELLED)
}

/// Builds nothing, sends nothing: checks that the parameters fit the operation.
struct Probe;

impl PagedVisitor for Probe {
    type Output = ();
    fn visit<R: PagedRequest>(self, _request: R) {}
}

/// Walk `request` through the paginator, encoding its pages with `encode` on a thread beside
/// the walk and sending the chunks to `out`; then check that the list was read completely.
///
/// Generic over the request so that any paged request (today the [`RawListRequest`] of every
/// format) gets the same concurrency, drift and completeness rules.
fn walk_request<R: PagedRequest>(
    request: R,
    ctx: &WalkCtx<'_>,
    out: SyncSender<Chunk>,
    encode: fn(&Encoder, &[R::Item]) -> Result<Chunk, sink::EncodeError>,
) -> CliResult<WalkOutcome> {
    let op = request.operation_id();
    std::thread::scope(|s| {
        let (pages_tx, pages_rx) = sync_channel::<Vec<R::Item>>(ENCODE_QUEUE);
        let encoder = ctx.encoder.clone();
        // Encoding runs beside the walk so that parsing the next page overlaps it.
        let encoding = s.spawn(move || -> CliResult<()> {
            for items in pages_rx {
                let chunk = encode(&encoder, &items).map_err(|e| CliError::data(e.to_string()))?;
                out.send(chunk)
                    .map_err(|_| CliError::other("the output was closed"))?;
            }
            Ok(())
        });
        let fetched = ctx.handle.block_on(async {
            let mut pages = request
                .paginate()
                .page_size(ctx.page_size)
                .concurrency(ctx.concurrency)
                .drift(ctx.drift)
                .repeats(ctx.repeats)
                .pages();
            let mut announced = false;
            loop {
                if ctx.cancel.load(Ordering::Relaxed) {
                    return Err(CliError::other(CANCELLED));
                }
                let page = match pages.try_next().await {
                    Ok(Some(page)) => page,
                    Ok(None) => break,
                    Err(e) => return Err(errors::paging(&e)),
                };
                if !announced {
                    announced = true;
                    if let Some(total) = page.total_count {
                        ctx.progress.add_expected(total);
                    }
                }
                if let Some(drift) = &page.drift {
                    eprintln!("warning: {drift}");
                }
                ctx.progress.page(page.items.len() as u64);
                if pages_tx.send(page.items).is_err() {
                    break; // the encoder failed; its error is reported below
                }
            }
            Ok(pages.stats())
        });
        drop(pages_tx);
        let encoded = encoding
            .join()
            .unwrap_or_else(|_| Err(CliError::other("the encoder thread panicked")));
        let stats = fetched?;
        encoded?;
        if !stats.complete {
            return Err(CliError::data(format!(
                "{op}: the walk ended before the end of the list"
            )));
        }
        for short in &stats.short_pages {
            eprintln!("warning: {op}: {short}");
        }
        if stats.repeats > 0 {
            eprintln!(
                "warning: {op}: the server sent {} records a second time; each was written \
                 once (--dedupe). The list changed during the export, so records may be missing",
                stats.repeats
            );
        }
        // What is written must be the whole list: with --dedupe, the distinct records.
        let received = stats.items;
        if let Some(total) = stats.total_count
            && received != total
        {
            let message = format!(
                "{op}: received {received} records but the server announced total_count = \
                 {total}"
            );
            if !ctx.allow_drift {
                return Err(CliError::data(format!(
                    "{message}; the export would be incomplete or contain duplicates"
                ))
                .detail(
                    "hint: the list changed during the export; run it again, or pass \
                     --allow-drift to keep what was received",
                ));
            }
            eprintln!("warning: {message} (--allow-drift: the output holds what was received)");
        }
        Ok(WalkOutcome {
            records: stats.items,
            pages: u64::from(stats.pages),
            drifted: !stats.drift.is_empty(),
            repeats: stats.repeats,
        })
    })
}

/// Run one walk of `op` with `params`.
///
/// Every format reads each record as the server sent it ([`RawListRequest`]): no decode into
/// the typed models and no re-encode, which was most of an export's CPU time. NDJSON and
/// JSON copy the records' text, so nothing the models do not know (new fields, `null`s) is
/// dropped; CSV builds its rows from the same text (see [`columns`]), numbers as written.
pub fn walk(
    client: &cro_api::Client,
    op: &'static Operation,
    params: &Params,
    ctx: &WalkCtx<'_>,
    out: SyncSender<Chunk>,
) -> CliResult<WalkOutcome> {
    let request = RawListRequest::new(client, op, params).map_err(|e| errors::param(&e))?;
    walk_request(request, ctx, out, Encoder::encode_raw)
}

/// The writer thread: chunks in, file (or stdout) out.
fn write_all(
    target: Target,
    encoder: Encoder,
    chunks: Receiver<Chunk>,
) -> io::Result<(Target, u64)> {
    let mut writer = Writer::new(BufWriter::with_capacity(WRITE_BUFFER, target), encoder);
    for chunk in chunks {
        writer.write(&chunk)?;
    }
    let (buffered, records) = writer.finish()?;
    let target = buffered.into_inner().map_err(|e| e.into_error())?;
    Ok((target, records))
}

/// The encoder of an export: its format (from `--format` or the file name), and for CSV the
/// columns (the schema's, or those `--columns` names) and the formula rule.
fn encoder_for(
    resource: &crate::resources::Resource,
    api_version: &str,
    opts: &crate::cli::ExportOptions,
) -> CliResult<Encoder> {
    let format = opts.resolved_format().map_err(CliError::usage)?;
    if format != Format::Csv {
        if !opts.columns.is_empty() {
            return Err(CliError::usage(format!(
                "--columns only applies to CSV, and this export is {}; add --format csv",
                format.name()
            )));
        }
        return Ok(Encoder::new(format, None));
    }
    let mut columns = Columns::from_schema(resource.item_model, api_version);
    if !opts.columns.is_empty() {
        let all = columns.ok_or_else(|| {
            CliError::usage(format!(
                "--columns: the columns of {} are not known before the export",
                resource.name
            ))
        })?;
        columns = Some(all.select(&opts.columns).map_err(|e| {
            CliError::usage(e.to_string()).detail(format!(
                "hint: `cro export {} --format csv --columns id,name` picks and orders columns;                  a nested object's name (e.g. `customer`) stands for all its columns",
                resource.name
            ))
        })?);
    }
    Ok(Encoder::new(format, columns).with_formulas(opts.csv_formulas))
}

/// `cro export`.
pub fn run(env: &ExportEnv<'_>, req: &ExportRequest) -> CliResult<()> {
    let resource = req.resource;
    // Flags that contradict each other are reported before anything else is checked.
    let encoder = encoder_for(resource, env.api_version, &req.options)?;
    let given: Vec<&str> = req.path.iter().map(|(p, _)| *p).collect();
    let op = resource
        .select(&given, req.all_locations)
        .map_err(CliError::usage)?;
    for (name, _) in &req.filters {
        if !op.filters().any(|q| q.name == *name) {
            let flag = resource
                .filters
                .iter()
                .find(|f| f.param.name == *name)
                .map(|f| f.flag.clone())
                .unwrap_or_else(|| name.replace('_', "-"));
            return Err(CliError::usage(format!(
                "--{flag} does not apply to {} with these scope flags (see `cro export {} --help`)",
                resource.name, resource.name
            )));
        }
    }
    if op.auth == Auth::Bearer && !env.client.state().has_token() {
        return Err(CliError::auth(format!(
            "exporting {} needs an access token and none is configured",
            req.resource.name
        ))
        .detail(
            "hint: set CRO_TOKEN, pass --token, run `cro auth login`, or try `cro --demo ...`",
        ));
    }
    let mut params = Params::new();
    for (k, v) in req.path.iter().chain(req.filters.iter()) {
        params.insert((*k).to_string(), v.clone());
    }
    // Check every value before anything is sent (or any file is created).
    let mut probe = params.clone();
    if req.all_locations {
        probe.insert(crate::resources::LOCATION_PARAM.to_string(), "1".into());
    }
    cro_ext::with_paged_request(env.client, op.id, &probe, Probe).map_err(|e| errors::param(&e))?;

    let opts = &req.options;
    let target = Target::open(opts.output.as_deref())?;
    let progress = Progress::new(!opts.quiet);
    let cancel = AtomicBool::new(false);
    let total_concurrency = (opts.concurrency as usize).clamp(1, MAX_CONCURRENCY);
    let location_workers = opts.location_concurrency.max(1) as usize;
    let ctx = WalkCtx {
        handle: &env.handle,
        encoder: &encoder,
        progress: &progress,
        cancel: &cancel,
        page_size: opts.page_size,
        // --concurrency is the number of page requests in flight for the whole export; a
        // fan-out shares it among the locations walked at once.
        concurrency: if req.all_locations {
            (total_concurrency / location_workers).max(1)
        } else {
            total_concurrency
        },
        drift: if opts.allow_drift {
            DriftPolicy::Warn
        } else {
            DriftPolicy::Error
        },
        allow_drift: opts.allow_drift,
        repeats: if opts.dedupe {
            RepeatPolicy::Skip
        } else {
            RepeatPolicy::Error
        },
    };

    let (result, written) = std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Chunk>(WRITE_QUEUE);
        let writer_encoder = encoder.clone();
        let writer = s.spawn(move || write_all(target, writer_encoder, rx));
        let result = if req.all_locations {
            fanout::run(env.client, op, &params, &ctx, location_workers, tx)
        } else {
            walk(env.client, op, &params, &ctx, tx)
        };
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        (result, written)
    });
    progress.clear();
    let (target, records) = match (result, written) {
        (Ok(_), Ok(w)) => w,
        // The reader went away (`| head -1`): stop quietly with 141, as SIGPIPE would; no
        // summary, since the export did not complete.
        (_, Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return Err(CliError::broken_pipe());
        }
        (Err(e), Ok(_)) => return Err(e.context(format!("exporting {}", resource.name))),
        (_, Err(e)) => {
            return Err(CliError::other(format!(
                "cannot write the output: {e}; the export is incomplete"
            )));
        }
    };
    if records != progress.records() {
        return Err(CliError::data(format!(
            "received {} records but wrote {records}",
            progress.records()
        )));
    }
    let dest = target.commit()?;
    if !opts.quiet {
        eprintln!(
            "{}",
            progress.summary(&resource.name, records, dest.as_deref())
        );
    }
    Ok(())
}
