//! `cro sync` into SQLite (issue 15): a first sync of every customer against `cro export`
//! NDJSON of the same customers in the same run, then a sync with nothing changed (its
//! requests and time), with peak RSS.
//!
//! Target: the first sync at most 1.5x the export's wall time. Every run is checked: the
//! first sync must report every customer inserted, the second none inserted or updated.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};

use super::cro_run::{self, CroRun};
use super::fake_proc::FakeProc;
use super::report::thousands;

/// Customers of the case.
pub const CUSTOMERS: u64 = 1_000_000;
/// Target: first sync wall time over the NDJSON export's.
const TARGET: f64 = 1.5;

/// The case's result.
#[derive(Debug, Clone, Default)]
pub struct SyncResult {
    /// Customers per tenant.
    pub customers: u64,
    /// Best export (wall, peak RSS).
    pub export: Option<(Duration, u64)>,
    /// Best first sync (wall, peak RSS).
    pub first: Option<(Duration, u64)>,
    /// The no-change sync: wall time and page requests.
    pub unchanged: Option<(Duration, u64)>,
    /// Rounds.
    pub rounds: usize,
}

/// `N` in `... N <word>` of the summary line (`synced 1 resources: 5 inserted, ...`).
fn count_before(summary: &str, word: &str) -> Option<u64> {
    let line = summary.lines().rev().find(|l| l.starts_with("synced "))?;
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_end_matches([',', ':']))
        .collect();
    let at = words.iter().position(|w| *w == word)?;
    words.get(at.checked_sub(1)?)?.replace(',', "").parse().ok()
}

fn sync(cro: &Path, fake: &FakeProc, db: &Path) -> Result<CroRun> {
    let to = format!("sqlite:{}", db.display());
    let r = cro_run::command(
        cro,
        fake,
        &["sync", "--to", &to, "--resources", "customers"],
        &db.with_extension("config"),
    )?;
    if r.usage.code != Some(0) {
        bail!("cro sync failed ({:?}): {}", r.usage.code, r.summary);
    }
    eprintln!(
        "bench:   sync: {:.3} s wall, {:.3} s cpu",
        r.usage.wall.as_secs_f64(),
        r.usage.cpu.as_secs_f64()
    );
    Ok(r)
}

fn remove_db(db: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// Runs the case: `rounds` rounds of export, first sync (fresh file), no-change sync.
pub fn run(bins: &super::Bins, scratch: &Path, rounds: usize) -> Result<SyncResult> {
    eprintln!(
        "bench: sync, {} customers, {rounds} round(s)",
        thousands(CUSTOMERS as f64)
    );
    let fake = FakeProc::start(&bins.fake, CUSTOMERS)?;
    let out = scratch.join("sync-export.ndjson");
    let db = scratch.join("sync.db");
    let mut result = SyncResult {
        customers: CUSTOMERS,
        ..SyncResult::default()
    };
    let best = |slot: &mut Option<(Duration, u64)>, wall: Duration, other: u64| {
        if slot.is_none_or(|(w, _)| wall < w) {
            *slot = Some((wall, other));
        }
    };
    for _ in 0..rounds.max(1) {
        let e = cro_run::run(&bins.cro, &fake, &out)?;
        best(&mut result.export, e.usage.wall, e.usage.max_rss);
        remove_db(&db);
        let first = sync(&bins.cro, &fake, &db)?;
        if count_before(&first.summary, "inserted") != Some(CUSTOMERS) {
            bail!(
                "the first sync did not insert every customer: {}",
                first.summary
            );
        }
        best(&mut result.first, first.usage.wall, first.usage.max_rss);
        let again = sync(&bins.cro, &fake, &db)?;
        let changed = count_before(&again.summary, "inserted").unwrap_or(u64::MAX)
            + count_before(&again.summary, "updated").unwrap_or(u64::MAX);
        if changed != 0 {
            bail!(
                "a sync with nothing changed changed rows: {}",
                again.summary
            );
        }
        let requests = count_before(&again.summary, "requests").unwrap_or(0);
        best(&mut result.unchanged, again.usage.wall, requests);
        result.rounds += 1;
    }
    remove_db(&db);
    Ok(result)
}

/// The printed lines.
pub fn report(r: &SyncResult) -> String {
    let mut out = String::new();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let _ = writeln!(
        out,
        "sync: {} customers into SQLite (cro sync --resources customers), best of {}",
        thousands(r.customers as f64),
        r.rounds
    );
    if let (Some((e, e_rss)), Some((s, s_rss))) = (r.export, r.first) {
        let ratio = s.as_secs_f64() / e.as_secs_f64();
        let _ = writeln!(
            out,
            "    first sync {:.3} s ({} records/s) vs export ndjson {:.3} s = {ratio:.2}x; target <= {TARGET}x: {}",
            s.as_secs_f64(),
            thousands(r.customers as f64 / s.as_secs_f64()),
            e.as_secs_f64(),
            if ratio <= TARGET { "met" } else { "MISSED" }
        );
        let _ = writeln!(
            out,
            "    peak RSS: first sync {:.1} MiB, export {:.1} MiB",
            mib(s_rss),
            mib(e_rss)
        );
    }
    if let Some((w, requests)) = r.unchanged {
        let _ = writeln!(
            out,
            "    sync with nothing changed: {requests} request(s), {:.3} s",
            w.as_secs_f64()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_from_the_summary_line() {
        let s = "resource ...\nsynced 1 resources: 1,000 inserted, 2 updated, 3 unchanged, 0 removed, 11 requests -> sqlite:x";
        assert_eq!(count_before(s, "inserted"), Some(1000));
        assert_eq!(count_before(s, "updated"), Some(2));
        assert_eq!(count_before(s, "requests"), Some(11));
        assert_eq!(count_before("nothing", "inserted"), None);
    }
}
