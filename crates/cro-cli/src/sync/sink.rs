//! Where a sync writes: the [`Sink`] interface and the choice of implementation from the
//! `--to` URL. Each implementation maps [`ColumnKind`](super::tables::ColumnKind)s to its SQL
//! types and batches its writes; the sync logic above it is the same for all.

use super::rows::Row;
use super::tables::Table;

/// Counts of one resource's sync.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Rows that were not in the table.
    pub inserted: u64,
    /// Rows whose content changed (or that came back after being marked removed).
    pub updated: u64,
    /// Rows received with the content the table already had.
    pub unchanged: u64,
    /// Rows marked removed (`_cro_removed_at`) because a full walk no longer lists them.
    pub removed: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.removed += o.removed;
    }
}

/// What the state table keeps per tenant and resource.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// The largest last-change time seen, exactly as the server wrote it (naive, zone
    /// unknown); `None` for lists that are always refreshed whole.
    pub high_water_mark: Option<String>,
    /// When the last successful sync of this resource ended (UTC, ISO 8601).
    pub last_success: Option<String>,
    /// When the last full walk of this resource ended (UTC, ISO 8601).
    pub last_full: Option<String>,
    /// Live rows (not marked removed) after the last sync.
    pub rows: u64,
    /// Counts of the last sync.
    pub counts: Counts,
    /// Page requests of the last sync.
    pub requests: u64,
}

/// A sink's error: what failed, in words, with the database's own message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

impl SinkError {
    /// Wrap a database error with what we were doing.
    pub fn at(doing: &str, e: impl std::fmt::Display) -> Self {
        SinkError(format!("{doing}: {e}"))
    }
}

/// Result of sink operations.
pub type SinkResult<T> = Result<T, SinkError>;

/// A database that mirrors lists.
///
/// One resource at a time: [`begin`](Sink::begin) opens a transaction, rows are
/// [`upsert`](Sink::upsert)ed in batches, and [`commit`](Sink::commit) stores the new state
/// and ends it. Anything else ([`rollback`](Sink::rollback), an error, a dropped sink) leaves
/// the table as the last good sync left it.
pub trait Sink {
    /// Create the table and the state table if missing, and add columns the spec gained.
    fn prepare(&mut self, table: &Table) -> SinkResult<()>;
    /// The state of `table` for `tenant`, if it was synced before.
    fn state(&mut self, tenant: i64, table: &Table) -> SinkResult<Option<SyncState>>;
    /// Start the resource's transaction; with `track_seen`, remember every id upserted so
    /// that [`mark_removed`](Sink::mark_removed) can find the rows the list no longer has.
    fn begin(&mut self, table: &Table, track_seen: bool) -> SinkResult<()>;
    /// Insert new rows, update changed ones, count unchanged ones.
    fn upsert(&mut self, table: &Table, tenant: i64, rows: &[Row]) -> SinkResult<Counts>;
    /// Mark live rows of `tenant` not upserted since `begin` as removed at `now`.
    fn mark_removed(&mut self, table: &Table, tenant: i64, now: &str) -> SinkResult<u64>;
    /// Live rows of `tenant`.
    fn live_rows(&mut self, table: &Table, tenant: i64) -> SinkResult<u64>;
    /// Store the state and commit the transaction.
    fn commit(&mut self, table: &Table, tenant: i64, state: &SyncState) -> SinkResult<()>;
    /// Abandon the transaction.
    fn rollback(&mut self);
}

/// Open the sink named by a `--to` URL: `sqlite:PATH` (or a path ending in `.db`/`.sqlite`)
/// or `postgres://...` / `postgresql://...`.
pub fn open(url: &str) -> Result<Box<dyn Sink>, String> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        return open_sqlite(path.strip_prefix("//").unwrap_or(path));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return open_postgres(url);
    }
    Err(format!(
        "--to {url:?}: expected sqlite:PATH (e.g. sqlite:cro.db) or postgres://USER@HOST/DB"
    ))
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str) -> Result<Box<dyn Sink>, String> {
    if path.is_empty() {
        return Err("--to sqlite: needs a file path, e.g. sqlite:cro.db".into());
    }
    super::sqlite::SqliteSink::open(std::path::Path::new(path))
        .map(|s| Box::new(s) as Box<dyn Sink>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_: &str) -> Result<Box<dyn Sink>, String> {
    Err("this cro was built without SQLite support (feature `sqlite`)".into())
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Box<dyn Sink>, String> {
    super::postgres::PostgresSink::connect(url)
        .map(|s| Box::new(s) as Box<dyn Sink>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_: &str) -> Result<Box<dyn Sink>, String> {
    Err("this cro was built without PostgreSQL support (feature `postgres`)".into())
}
