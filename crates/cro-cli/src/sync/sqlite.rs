//! The embedded sink: one SQLite file (bundled SQLite, nothing to install).
//!
//! Types: integers and booleans (0/1) are `INTEGER`, numbers `REAL`, strings, timestamps (the
//! API's naive ISO text, as sent) and JSON text are `TEXT` (`TIMESTAMP` or `JSON` would give the
//! columns numeric affinity, which rewrites values that look like numbers). Writes go through
//! one cached prepared statement per table, inside one transaction per resource.

use super::rows::{Row, Value};
use super::sink::{Counts, Sink, SinkError, SinkResult, SyncState};
use super::tables::{ColumnKind, HASH_COL, ID_COL, REMOVED_COL, SYNCED_COL, TENANT_COL, Table};
use super::writeback::EarlyWriteback;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use std::path::Path;

/// The state table's name (shared by every mirrored table).
const STATE_TABLE: &str = "_cro_sync_state";
/// Ids seen during a full walk (a temporary table, gone with the connection).
const SEEN_TABLE: &str = "temp._cro_seen";

/// A SQLite database file.
pub struct SqliteSink {
    db: Connection,
    /// Whether the current transaction records the ids it upserts (a full walk).
    track_seen: bool,
    /// Whether the table held no row of any tenant when the transaction began: then every
    /// row is new and the per-row lookup is skipped (the first sync of a large list).
    was_empty: bool,
    /// Rows inserted since the transaction began.
    inserted: u64,
    /// Starts the file's write-back after each batch, so the commit has little left to flush.
    writeback: EarlyWriteback,
}

/// A row's value, bound as SQLite stores it (booleans as 0/1).
struct Bind<'a>(Value<'a>);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(i),
            Value::Real(f) => ValueRef::Real(f),
            Value::Bool(b) => ValueRef::Integer(i64::from(b)),
            Value::Text(t) => ValueRef::Text(t),
        }))
    }
}

/// `"name"`, with quotes inside doubled.
pub(super) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Integer | ColumnKind::Boolean => "INTEGER",
        ColumnKind::Real => "REAL",
        ColumnKind::Text | ColumnKind::Timestamp | ColumnKind::Json => "TEXT",
    }
}

impl SqliteSink {
    /// Open (or create) the database file.
    pub fn open(path: &Path) -> SinkResult<SqliteSink> {
        let db = Connection::open(path)
            .map_err(|e| SinkError::at(&format!("cannot open {}", path.display()), e))?;
        // The rollback journal (not WAL): a first sync of a large list appends most of its
        // pages, which WAL would write twice (log, then checkpoint); measured on 1,000,000
        // customers, WAL cost 2.3 CPU-s more. FULL: a commit is on disk when it returns (one
        // transaction per resource; the fsync ending a first sync of a million customers took
        // 0.6 s of its wall time). A 64 MiB page cache keeps the key index of a million-row table in memory while it is written (with the default 2 MiB the same
        // sync took 2.4x as long, mostly in page reads and writes). 16 KiB pages (taken by new
        // files only) hold about 15 rows of ~1 KiB customers where 4 KiB pages held 3: the same
        // first sync of a million customers spent 1.9 CPU-s less splitting and writing pages.
        db.execute_batch(
            "PRAGMA page_size = 16384; PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; \
             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
        )
        .map_err(|e| SinkError::at(&format!("cannot use {}", path.display()), e))?;
        Ok(SqliteSink {
            db,
            track_seen: false,
            was_empty: false,
            inserted: 0,
            writeback: EarlyWriteback::new(path),
        })
    }

    fn existing_columns(&self, table: &str) -> SinkResult<Vec<String>> {
        let mut stmt = self
            .db
            .prepare(&format!("PRAGMA table_info({})", quote(table)))
            .map_err(|e| SinkError::at("reading the table layout", e))?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(1))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| SinkError::at("reading the table layout", e))?;
        Ok(names)
    }

    fn upsert_sql(table: &Table) -> String {
        let mut names = vec![TENANT_COL, ID_COL, HASH_COL, SYNCED_COL];
        names.extend(table.columns.iter().map(|c| c.name.as_str()));
        let cols: Vec<String> = names.iter().map(|n| quote(n)).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let sets: Vec<String> = cols[2..]
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .chain([format!("{} = NULL", quote(REMOVED_COL))])
            .collect();
        format!(
            "INSERT INTO {t} ({cols}) VALUES ({marks}) ON CONFLICT ({tc}, {ic}) DO UPDATE SET {sets}",
            t = quote(&table.name),
            cols = cols.join(", "),
            marks = marks.join(", "),
            tc = quote(TENANT_COL),
            ic = quote(ID_COL),
            sets = sets.join(", "),
        )
    }
}

impl Sink for SqliteSink {
    fn prepare(&mut self, table: &Table) -> SinkResult<()> {
        let create_state = format!(
            "CREATE TABLE IF NOT EXISTS {STATE_TABLE} (tenant INTEGER NOT NULL, resource TEXT NOT NULL, \
             high_water_mark TEXT, last_success TEXT, last_full TEXT, rows INTEGER NOT NULL DEFAULT 0, \
             inserted INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, \
             unchanged INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0, \
             requests INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant, resource))"
        );
        let cols: Vec<String> = table
            .columns
            .iter()
            .map(|c| format!("{} {}", quote(&c.name), sql_type(c.kind)))
            .collect();
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {t} ({tc} INTEGER NOT NULL, {ic} TEXT NOT NULL, {hc} INTEGER NOT NULL, \
             {sc} TEXT NOT NULL, {rc} TEXT, {cols}, PRIMARY KEY ({tc}, {ic}))",
            t = quote(&table.name),
            tc = quote(TENANT_COL),
            ic = quote(ID_COL),
            hc = quote(HASH_COL),
            sc = quote(SYNCED_COL),
            rc = quote(REMOVED_COL),
            cols = cols.join(", "),
        );
        self.db
            .execute_batch(&format!("{create_state}; {create};"))
            .map_err(|e| SinkError::at(&format!("creating table {}", table.name), e))?;
        let have = self.existing_columns(&table.name)?;
        for c in &table.columns {
            if !have.iter().any(|h| h == &c.name) {
                self.db
                    .execute_batch(&format!(
                        "ALTER TABLE {} ADD COLUMN {} {}",
                        quote(&table.name),
                        quote(&c.name),
                        sql_type(c.kind)
                    ))
                    .map_err(|e| {
                        SinkError::at(&format!("adding column {}.{}", table.name, c.name), e)
                    })?;
            }
        }
        Ok(())
    }

    fn state(&mut self, tenant: i64, table: &Table) -> SinkResult<Option<SyncState>> {
        self.db
            .query_row(
                &format!(
                    "SELECT high_water_mark, last_success, last_full, rows, inserted, updated, \
                     unchanged, removed, requests FROM {STATE_TABLE} WHERE tenant = ?1 AND resource = ?2"
                ),
                params![tenant, table.name],
                |r| {
                    let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                    Ok(SyncState {
                        high_water_mark: r.get(0)?,
                        last_success: r.get(1)?,
                        last_full: r.get(2)?,
                        rows: n(3)?,
                        counts: Counts {
                            inserted: n(4)?,
                            updated: n(5)?,
                            unchanged: n(6)?,
                            removed: n(7)?,
                        },
                        requests: n(8)?,
                    })
                },
            )
            .optional()
            .map_err(|e| SinkError::at("reading the sync state", e))
    }

    fn begin(&mut self, table: &Table, track_seen: bool) -> SinkResult<()> {
        self.track_seen = track_seen;
        self.inserted = 0;
        let mut sql = String::from("BEGIN IMMEDIATE;");
        if track_seen {
            sql = format!(
                "DROP TABLE IF EXISTS {SEEN_TABLE}; CREATE TABLE {SEEN_TABLE} (id TEXT PRIMARY KEY); {sql}"
            );
        }
        self.db
            .execute_batch(&sql)
            .map_err(|e| SinkError::at(&format!("starting the sync of {}", table.name), e))?;
        self.was_empty = self
            .db
            .query_row(
                &format!("SELECT NOT EXISTS (SELECT 1 FROM {})", quote(&table.name)),
                [],
                |r| r.get::<_, bool>(0),
            )
            .map_err(|e| SinkError::at(&format!("starting the sync of {}", table.name), e))?;
        Ok(())
    }

    fn upsert(&mut self, table: &Table, tenant: i64, rows: &[Row]) -> SinkResult<Counts> {
        let now = super::now_utc();
        let err = |e| SinkError::at(&format!("writing rows of {}", table.name), e);
        let mut lookup = self
            .db
            .prepare_cached(&format!(
                "SELECT {h}, {r} IS NOT NULL FROM {t} WHERE {tc} = ?1 AND {ic} = ?2",
                h = quote(HASH_COL),
                r = quote(REMOVED_COL),
                t = quote(&table.name),
                tc = quote(TENANT_COL),
                ic = quote(ID_COL),
            ))
            .map_err(err)?;
        let mut write = self
            .db
            .prepare_cached(&Self::upsert_sql(table))
            .map_err(err)?;
        // A table that was empty when the sync began has nothing to mark removed, so a full
        // walk into it need not remember the ids it wrote.
        let mut seen = self
            .db
            .prepare_cached(&format!(
                "INSERT OR IGNORE INTO {SEEN_TABLE} (id) VALUES (?1)"
            ))
            .ok()
            .filter(|_| self.track_seen && !self.was_empty);
        let mut counts = Counts::default();
        for row in rows {
            let id = row.id();
            let existing: Option<(i64, bool)> = if self.was_empty {
                None
            } else {
                lookup
                    .query_row(params![tenant, Bind(Value::Text(id))], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                    .map_err(err)?
            };
            match existing {
                Some((hash, false)) if hash == row.hash => counts.unchanged += 1,
                other => {
                    // Bound one by one rather than through a parameter list: no boxing or
                    // iterator per row, and text is bound straight from the item's bytes.
                    // One prepared statement per row, all in the resource's transaction: a
                    // 32-row multi-row INSERT measured no faster here (0.3 CPU-s slower on
                    // the first sync of a million customers).
                    write.raw_bind_parameter(1, tenant).map_err(err)?;
                    write
                        .raw_bind_parameter(2, Bind(Value::Text(id)))
                        .map_err(err)?;
                    write.raw_bind_parameter(3, row.hash).map_err(err)?;
                    write.raw_bind_parameter(4, now.as_str()).map_err(err)?;
                    for (i, value) in row.values().enumerate() {
                        write.raw_bind_parameter(5 + i, Bind(value)).map_err(err)?;
                    }
                    write.raw_execute().map_err(err)?;
                    if other.is_some() {
                        counts.updated += 1;
                    } else {
                        counts.inserted += 1;
                    }
                }
            }
            if let Some(seen) = seen.as_mut() {
                seen.execute([Bind(Value::Text(id))]).map_err(err)?;
            }
        }
        self.inserted += counts.inserted;
        if counts.inserted + counts.updated > 0 {
            self.writeback.start();
        }
        Ok(counts)
    }

    fn mark_removed(&mut self, table: &Table, tenant: i64, now: &str) -> SinkResult<u64> {
        if self.was_empty {
            // Every row was written by this walk (and its ids were not recorded).
            return Ok(0);
        }
        let n = self
            .db
            .execute(
                &format!(
                    "UPDATE {t} SET {r} = ?1 WHERE {tc} = ?2 AND {r} IS NULL \
                     AND {ic} NOT IN (SELECT id FROM {SEEN_TABLE})",
                    t = quote(&table.name),
                    r = quote(REMOVED_COL),
                    tc = quote(TENANT_COL),
                    ic = quote(ID_COL),
                ),
                params![now, tenant],
            )
            .map_err(|e| SinkError::at(&format!("marking removed rows of {}", table.name), e))?;
        Ok(n as u64)
    }

    fn live_rows(&mut self, table: &Table, tenant: i64) -> SinkResult<u64> {
        if self.was_empty {
            // Every row is one this transaction inserted: no need to read the whole table
            // back (0.3 s for a million customers).
            return Ok(self.inserted);
        }
        self.db
            .query_row(
                &format!(
                    "SELECT count(*) FROM {} WHERE {} = ?1 AND {} IS NULL",
                    quote(&table.name),
                    quote(TENANT_COL),
                    quote(REMOVED_COL)
                ),
                params![tenant],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| SinkError::at(&format!("counting rows of {}", table.name), e))
    }

    fn commit(&mut self, table: &Table, tenant: i64, state: &SyncState) -> SinkResult<()> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.db
            .execute(
                &format!(
                    "INSERT INTO {STATE_TABLE} (tenant, resource, high_water_mark, last_success, last_full, \
                     rows, inserted, updated, unchanged, removed, requests) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                     ON CONFLICT (tenant, resource) DO UPDATE SET high_water_mark = excluded.high_water_mark, \
                     last_success = excluded.last_success, last_full = excluded.last_full, rows = excluded.rows, \
                     inserted = excluded.inserted, updated = excluded.updated, unchanged = excluded.unchanged, \
                     removed = excluded.removed, requests = excluded.requests"
                ),
                params![
                    tenant,
                    table.name,
                    state.high_water_mark,
                    state.last_success,
                    state.last_full,
                    n(state.rows),
                    n(state.counts.inserted),
                    n(state.counts.updated),
                    n(state.counts.unchanged),
                    n(state.counts.removed),
                    n(state.requests),
                ],
            )
            .and_then(|_| self.db.execute_batch("COMMIT"))
            .map_err(|e| SinkError::at(&format!("committing {}", table.name), e))?;
        let _ = self
            .db
            .execute_batch(&format!("DROP TABLE IF EXISTS {SEEN_TABLE}"));
        Ok(())
    }

    fn rollback(&mut self) {
        if !self.db.is_autocommit() {
            let _ = self.db.execute_batch("ROLLBACK");
        }
        let _ = self
            .db
            .execute_batch(&format!("DROP TABLE IF EXISTS {SEEN_TABLE}"));
    }
}
