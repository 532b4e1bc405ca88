//! The shared-server sink: PostgreSQL, written in batches with `COPY`.
//!
//! Each batch is copied (text format) into a temporary all-`text` staging table, then merged
//! into the real table with one `INSERT ... SELECT ... ON CONFLICT DO UPDATE` that casts each
//! column to its type (`bigint`, `double precision`, `boolean`, `text`, `timestamp` for the
//! API's naive timestamps, `jsonb` for nested values) and only rewrites rows whose hash
//! changed. Connections are plain TCP (`NoTls`): use a server on loopback or a private network.

use super::postgres_tls;
use super::rows::{Row, Value};
use super::sink::{Counts, Sink, SinkError, SinkResult, SyncState};
use super::sqlite::quote;
use super::tables::{ColumnKind, HASH_COL, ID_COL, REMOVED_COL, SYNCED_COL, TENANT_COL, Table};
use postgres::{Client, NoTls};
use std::fmt::Write as _;
use std::io::Write as _;
use tokio_postgres_rustls::MakeRustlsConnect;

const STATE_TABLE: &str = "_cro_sync_state";
const SEEN_TABLE: &str = "pg_temp._cro_seen";
const STAGE_TABLE: &str = "pg_temp._cro_stage";

/// A PostgreSQL database.
pub struct PostgresSink {
    db: Client,
    track_seen: bool,
}

fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Integer => "bigint",
        ColumnKind::Real => "double precision",
        ColumnKind::Boolean => "boolean",
        ColumnKind::Text => "text",
        ColumnKind::Timestamp => "timestamp",
        ColumnKind::Json => "jsonb",
    }
}

/// One field of COPY's text format: `\N` for NULL, else the text with backslash, tab and
/// line ends escaped.
fn copy_field(out: &mut Vec<u8>, value: Option<&[u8]>) {
    let Some(text) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    for &b in text {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            c => out.push(c),
        }
    }
}

/// A value in COPY's text format.
fn copy_value(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Null => copy_field(out, None),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Real(f) => out.extend_from_slice(f.to_string().as_bytes()),
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Text(t) => copy_field(out, Some(t)),
    }
}

impl PostgresSink {
    /// Connect to `url` (`postgres://user:password@host:port/db`).
    /// TLS follows the URL's `sslmode` and `sslrootcert` ([`postgres_tls`]).
    pub fn connect(url: &str) -> SinkResult<PostgresSink> {
        // The URL may hold a password: name the server by host only.
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "the server".into());
        let doing = format!("cannot connect to PostgreSQL at {host}");
        let target = postgres_tls::target(url).map_err(|e| SinkError::at(&doing, e))?;
        let connected = if target.tls {
            let config = postgres_tls::client_config(target.root_cert.as_deref())
                .map_err(|e| SinkError::at(&doing, e))?;
            Client::connect(&target.url, MakeRustlsConnect::new(config))
        } else {
            Client::connect(&target.url, NoTls)
        };
        let db = connected.map_err(|e| {
            let mut why = cro_api::sanitize::error_chain(&e);
            if target.tls && why.contains("certificate") {
                why.push_str(
                    " (hint: for a server whose certificate your system does not trust, add \
                     sslrootcert=/path/to/ca.pem to the --to URL; sslmode=disable connects \
                     without TLS)",
                );
            }
            SinkError::at(&doing, why)
        })?;
        Ok(PostgresSink {
            db,
            track_seen: false,
        })
    }

    fn exec(&mut self, doing: &str, sql: &str) -> SinkResult<()> {
        self.db
            .batch_execute(sql)
            .map_err(|e| SinkError::at(doing, e))
    }
}

impl Sink for PostgresSink {
    fn prepare(&mut self, table: &Table) -> SinkResult<()> {
        let cols: Vec<String> = table
            .columns
            .iter()
            .map(|c| format!("{} {}", quote(&c.name), sql_type(c.kind)))
            .collect();
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {STATE_TABLE} (tenant bigint NOT NULL, resource text NOT NULL, \
             high_water_mark text, last_success text, last_full text, rows bigint NOT NULL DEFAULT 0, \
             inserted bigint NOT NULL DEFAULT 0, updated bigint NOT NULL DEFAULT 0, \
             unchanged bigint NOT NULL DEFAULT 0, removed bigint NOT NULL DEFAULT 0, \
             requests bigint NOT NULL DEFAULT 0, PRIMARY KEY (tenant, resource));
             CREATE TABLE IF NOT EXISTS {t} ({tc} bigint NOT NULL, {ic} text NOT NULL, {hc} bigint NOT NULL, \
             {sc} timestamptz NOT NULL, {rc} timestamptz, {cols}, PRIMARY KEY ({tc}, {ic}));",
            t = quote(&table.name),
            tc = quote(TENANT_COL),
            ic = quote(ID_COL),
            hc = quote(HASH_COL),
            sc = quote(SYNCED_COL),
            rc = quote(REMOVED_COL),
            cols = cols.join(", "),
        );
        self.exec(&format!("creating table {}", table.name), &sql)?;
        let have: Vec<String> = self
            .db
            .query(
                "SELECT column_name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1",
                &[&table.name],
            )
            .map_err(|e| SinkError::at("reading the table layout", e))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for c in &table.columns {
            if !have.contains(&c.name) {
                let sql = format!(
                    "ALTER TABLE {} ADD COLUMN {} {}",
                    quote(&table.name),
                    quote(&c.name),
                    sql_type(c.kind)
                );
                self.exec(&format!("adding column {}.{}", table.name, c.name), &sql)?;
            }
        }
        Ok(())
    }

    fn state(&mut self, tenant: i64, table: &Table) -> SinkResult<Option<SyncState>> {
        let row = self
            .db
            .query_opt(
                &format!(
                    "SELECT high_water_mark, last_success, last_full, rows, inserted, updated, \
                     unchanged, removed, requests FROM {STATE_TABLE} WHERE tenant = $1 AND resource = $2"
                ),
                &[&tenant, &table.name],
            )
            .map_err(|e| SinkError::at("reading the sync state", e))?;
        Ok(row.map(|r| {
            let n = |i: usize| r.get::<_, i64>(i).max(0) as u64;
            SyncState {
                high_water_mark: r.get(0),
                last_success: r.get(1),
                last_full: r.get(2),
                rows: n(3),
                counts: Counts {
                    inserted: n(4),
                    updated: n(5),
                    unchanged: n(6),
                    removed: n(7),
                },
                requests: n(8),
            }
        }))
    }

    fn begin(&mut self, table: &Table, track_seen: bool) -> SinkResult<()> {
        self.track_seen = track_seen;
        let mut stage = format!(
            "{} text NOT NULL, {} bigint NOT NULL",
            quote(ID_COL),
            quote(HASH_COL)
        );
        for c in &table.columns {
            let _ = write!(stage, ", {} text", quote(&c.name));
        }
        let sql = format!(
            "DROP TABLE IF EXISTS {STAGE_TABLE}; CREATE TEMP TABLE _cro_stage ({stage});
             DROP TABLE IF EXISTS {SEEN_TABLE}; CREATE TEMP TABLE _cro_seen (id text PRIMARY KEY);
             BEGIN;"
        );
        self.exec(&format!("starting the sync of {}", table.name), &sql)
    }

    fn upsert(&mut self, table: &Table, tenant: i64, rows: &[Row]) -> SinkResult<Counts> {
        if rows.is_empty() {
            return Ok(Counts::default());
        }
        let doing = format!("writing rows of {}", table.name);
        let mut buf = Vec::new();
        for row in rows {
            copy_field(&mut buf, Some(row.id()));
            buf.extend_from_slice(format!("\t{}", row.hash).as_bytes());
            for value in row.values() {
                buf.push(b'\t');
                copy_value(&mut buf, value);
            }
            buf.push(b'\n');
        }
        let mut writer = self
            .db
            .copy_in(&format!("COPY {STAGE_TABLE} FROM STDIN"))
            .map_err(|e| SinkError::at(&doing, e))?;
        writer
            .write_all(&buf)
            .map_err(|e| SinkError::at(&doing, e))?;
        writer.finish().map_err(|e| SinkError::at(&doing, e))?;

        let mut names = vec![
            quote(TENANT_COL),
            quote(ID_COL),
            quote(HASH_COL),
            quote(SYNCED_COL),
        ];
        let mut values = vec![
            "$1".to_owned(),
            format!("s.{}", quote(ID_COL)),
            format!("s.{}", quote(HASH_COL)),
            "$2::text::timestamptz".to_owned(),
        ];
        for c in &table.columns {
            names.push(quote(&c.name));
            values.push(format!("s.{}::{}", quote(&c.name), sql_type(c.kind)));
        }
        let sets: Vec<String> = names[2..]
            .iter()
            .map(|n| format!("{n} = excluded.{n}"))
            .chain([format!("{} = NULL", quote(REMOVED_COL))])
            .collect();
        let sql = format!(
            "WITH up AS (INSERT INTO {t} AS d ({names}) SELECT {values} FROM {STAGE_TABLE} s \
             ON CONFLICT ({tc}, {ic}) DO UPDATE SET {sets} \
             WHERE d.{hc} IS DISTINCT FROM excluded.{hc} OR d.{rc} IS NOT NULL \
             RETURNING (xmax = 0) AS inserted) \
             SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
            t = quote(&table.name),
            names = names.join(", "),
            values = values.join(", "),
            tc = quote(TENANT_COL),
            ic = quote(ID_COL),
            hc = quote(HASH_COL),
            rc = quote(REMOVED_COL),
            sets = sets.join(", "),
        );
        let now = super::now_utc();
        let merged = self
            .db
            .query_one(&sql, &[&tenant, &now])
            .map_err(|e| SinkError::at(&doing, e))?;
        let inserted = merged.get::<_, i64>(0).max(0) as u64;
        let updated = merged.get::<_, i64>(1).max(0) as u64;
        let mut after = String::new();
        if self.track_seen {
            let _ = write!(
                after,
                "INSERT INTO {SEEN_TABLE} (id) SELECT {} FROM {STAGE_TABLE} ON CONFLICT DO NOTHING;",
                quote(ID_COL)
            );
        }
        let _ = write!(after, "TRUNCATE {STAGE_TABLE};");
        self.exec(&doing, &after)?;
        let total = rows.len() as u64;
        Ok(Counts {
            inserted,
            updated,
            unchanged: total.saturating_sub(inserted + updated),
            removed: 0,
        })
    }

    fn mark_removed(&mut self, table: &Table, tenant: i64, now: &str) -> SinkResult<u64> {
        self.db
            .execute(
                &format!(
                    "UPDATE {t} SET {r} = $1::text::timestamptz WHERE {tc} = $2 AND {r} IS NULL \
                     AND {ic} NOT IN (SELECT id FROM {SEEN_TABLE})",
                    t = quote(&table.name),
                    r = quote(REMOVED_COL),
                    tc = quote(TENANT_COL),
                    ic = quote(ID_COL),
                ),
                &[&now, &tenant],
            )
            .map_err(|e| SinkError::at(&format!("marking removed rows of {}", table.name), e))
    }

    fn live_rows(&mut self, table: &Table, tenant: i64) -> SinkResult<u64> {
        let row = self
            .db
            .query_one(
                &format!(
                    "SELECT count(*) FROM {} WHERE {} = $1 AND {} IS NULL",
                    quote(&table.name),
                    quote(TENANT_COL),
                    quote(REMOVED_COL)
                ),
                &[&tenant],
            )
            .map_err(|e| SinkError::at(&format!("counting rows of {}", table.name), e))?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    fn commit(&mut self, table: &Table, tenant: i64, state: &SyncState) -> SinkResult<()> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.db
            .execute(
                &format!(
                    "INSERT INTO {STATE_TABLE} (tenant, resource, high_water_mark, last_success, last_full, \
                     rows, inserted, updated, unchanged, removed, requests) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (tenant, resource) DO UPDATE SET high_water_mark = excluded.high_water_mark, \
                     last_success = excluded.last_success, last_full = excluded.last_full, rows = excluded.rows, \
                     inserted = excluded.inserted, updated = excluded.updated, unchanged = excluded.unchanged, \
                     removed = excluded.removed, requests = excluded.requests"
                ),
                &[
                    &tenant,
                    &table.name,
                    &state.high_water_mark,
                    &state.last_success,
                    &state.last_full,
                    &n(state.rows),
                    &n(state.counts.inserted),
                    &n(state.counts.updated),
                    &n(state.counts.unchanged),
                    &n(state.counts.removed),
                    &n(state.requests),
                ],
            )
            .map_err(|e| SinkError::at(&format!("committing {}", table.name), e))?;
        self.exec(&format!("committing {}", table.name), "COMMIT")
    }

    fn rollback(&mut self) {
        let _ = self.db.batch_execute("ROLLBACK");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_format_escapes() {
        let mut out = Vec::new();
        copy_field(&mut out, Some("a\tb\nc\\d\re".as_bytes()));
        out.push(b'|');
        copy_field(&mut out, None);
        out.push(b'|');
        copy_value(&mut out, Value::Bool(true));
        out.push(b'|');
        copy_value(&mut out, Value::Real(0.1));
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re|\\N|true|0.1");
    }
}
