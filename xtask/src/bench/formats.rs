//! CSV against NDJSON (issue 10): `cro export customers` of the same customers in both
//! formats, interleaved, best of the rounds; and NDJSON's client CPU per 100,000 customers.
//!
//! Targets: CSV's best wall time at most 1.5x NDJSON's; NDJSON at most 0.12 client CPU-s per
//! 100,000 customers. Every run is checked for completeness (NDJSON lines, CSV records plus
//! the header row).

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::cro_run;
use super::fake_proc::FakeProc;
use super::report::thousands;
use super::sample::count_lines;

/// Customers of the case.
pub const CUSTOMERS: u64 = 200_000;
/// Target: CSV wall time over NDJSON's.
const CSV_TARGET: f64 = 1.5;
/// Target: NDJSON client CPU-s per 100,000 customers.
const CPU_TARGET: f64 = 0.12;

/// Best wall time and least CPU of one format's runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Best {
    /// Fastest wall time.
    pub wall: Option<Duration>,
    /// Least client CPU.
    pub cpu: Option<Duration>,
    /// Runs.
    pub n: usize,
}

impl Best {
    fn add(&mut self, wall: Duration, cpu: Duration) {
        self.wall = Some(self.wall.map_or(wall, |w| w.min(wall)));
        self.cpu = Some(self.cpu.map_or(cpu, |c| c.min(cpu)));
        self.n += 1;
    }
}

/// The case's result.
#[derive(Debug, Clone, Copy)]
pub struct FormatsResult {
    /// Customers exported per run.
    pub customers: u64,
    /// NDJSON runs.
    pub ndjson: Best,
    /// CSV runs.
    pub csv: Best,
}

/// Records of a CSV file: newlines outside quoted fields, less the header row.
fn csv_records(r: impl Read) -> std::io::Result<u64> {
    let mut rows = 0u64;
    let mut quoted = false;
    let mut ends_in_newline = true;
    for b in std::io::BufReader::with_capacity(1 << 16, r).bytes() {
        let b = b?;
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => rows += 1,
            _ => {}
        }
        ends_in_newline = b == b'\n';
    }
    if !ends_in_newline {
        rows += 1;
    }
    Ok(rows.saturating_sub(1))
}

fn one(cro: &Path, fake: &FakeProc, out: &Path, format: &str) -> Result<(Duration, Duration)> {
    let r = cro_run::export(cro, fake, out, format)?;
    let checked = if r.usage.code == Some(0) {
        let file = std::fs::File::open(out).with_context(|| format!("no {}", out.display()));
        match format {
            "csv" => file.and_then(|f| Ok(csv_records(f)?)),
            _ => file.and_then(|f| Ok(count_lines(f)?)),
        }
    } else {
        Err(anyhow::anyhow!(
            "cro export --format {format} failed ({:?}): {}",
            r.usage.code,
            r.summary
        ))
    };
    let _ = std::fs::remove_file(out);
    let records = checked?;
    if records != fake.customers {
        bail!(
            "cro wrote {records} {format} records, expected {}",
            fake.customers
        );
    }
    eprintln!(
        "bench:   {format}: {:.3} s wall, {:.3} s cpu",
        r.usage.wall.as_secs_f64(),
        r.usage.cpu.as_secs_f64()
    );
    Ok((r.usage.wall, r.usage.cpu))
}

/// Runs the case: `rounds` rounds of NDJSON then CSV against one unthrottled fake.
pub fn run(bins: &super::Bins, scratch: &Path, rounds: usize) -> Result<FormatsResult> {
    eprintln!(
        "bench: formats, {} customers, {rounds} round(s)",
        thousands(CUSTOMERS as f64)
    );
    let fake = FakeProc::start(&bins.fake, CUSTOMERS)?;
    let ndjson_out = scratch.join("formats.ndjson");
    let csv_out = scratch.join("formats.csv");
    // Warm-up, not counted (the fake's lazily built state, the page cache of the binary).
    one(&bins.cro, &fake, &ndjson_out, "ndjson")?;
    let mut result = FormatsResult {
        customers: CUSTOMERS,
        ndjson: Best::default(),
        csv: Best::default(),
    };
    for _ in 0..rounds.max(1) {
        let (w, c) = one(&bins.cro, &fake, &ndjson_out, "ndjson")?;
        result.ndjson.add(w, c);
        let (w, c) = one(&bins.cro, &fake, &csv_out, "csv")?;
        result.csv.add(w, c);
    }
    Ok(result)
}

/// The printed lines.
pub fn report(r: &FormatsResult) -> String {
    let mut out = String::new();
    let per_100k = |d: Duration| d.as_secs_f64() * 100_000.0 / r.customers as f64;
    let _ = writeln!(
        out,
        "formats: {} customers, cro export with its defaults, best of {} (interleaved)",
        thousands(r.customers as f64),
        r.ndjson.n
    );
    if let (Some(n), Some(c)) = (r.ndjson.wall, r.csv.wall) {
        let ratio = c.as_secs_f64() / n.as_secs_f64();
        let _ = writeln!(
            out,
            "    csv {:.3} s vs ndjson {:.3} s = {ratio:.2}x; target <= {CSV_TARGET}x: {}",
            c.as_secs_f64(),
            n.as_secs_f64(),
            if ratio <= CSV_TARGET { "met" } else { "MISSED" }
        );
    }
    if let (Some(n), Some(c)) = (r.ndjson.cpu, r.csv.cpu) {
        let cpu = per_100k(n);
        let _ = writeln!(
            out,
            "    client CPU per 100k customers: ndjson {cpu:.3} s (target <= {CPU_TARGET}: {}), csv {:.3} s",
            if cpu <= CPU_TARGET { "met" } else { "MISSED" },
            per_100k(c)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_skip_the_header_and_quoted_newlines() {
        assert_eq!(csv_records(&b"id,name\n1,a\n2,\"b\nc\"\n"[..]).unwrap(), 2);
        assert_eq!(
            csv_records(&b"id,name\n1,\"x \"\"y\"\"\"\n2,z"[..]).unwrap(),
            2
        );
        assert_eq!(csv_records(&b"id\n"[..]).unwrap(), 0);
    }
}
