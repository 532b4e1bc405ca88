//! Turning measurements into the printed report: one table per case, the ratios against
//! their targets, peak memory across sizes, and the fake's own serving rate.

use std::fmt::Write as _;
use std::time::Duration;

/// Who was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The Python sample script.
    Sample,
    /// `cro export`.
    Cro,
    /// The transfer floor with this many requests in flight.
    Floor(usize),
    /// The raw pass-through reference exporter with this many requests in flight.
    Reference(usize),
}

impl Who {
    fn label(self) -> String {
        match self {
            Who::Sample => "sample script (python, sequential)".into(),
            Who::Cro => "cro export (ndjson, defaults)".into(),
            Who::Floor(c) => format!("transfer floor (c={c})"),
            Who::Reference(c) => format!("reference: raw pass-through (c={c})"),
        }
    }
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub struct Measurement {
    /// Who.
    pub who: Who,
    /// Records exported (or, for the floor, carried by the pages fetched).
    pub records: u64,
    /// Wall time.
    pub wall: Duration,
    /// CPU time of the client.
    pub client_cpu: Duration,
    /// CPU time of the fake server meanwhile.
    pub fake_cpu: Option<Duration>,
    /// Peak RSS of the client process (not measured for the in-process floor).
    pub rss: Option<u64>,
}

impl Measurement {
    /// Records per second.
    pub fn rate(&self) -> f64 {
        self.records as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// All runs of one size.
#[derive(Debug, Default)]
pub struct Case {
    /// Customers exported.
    pub customers: u64,
    /// Every run, in the order made.
    pub runs: Vec<Measurement>,
    /// Peak RSS of the fake server at the end of the case.
    pub fake_rss: Option<u64>,
}

/// Best (fastest) and median of the runs of one contestant.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// The fastest run (noise on a shared machine only ever slows a run down).
    pub best: Measurement,
    /// Median rate over the runs.
    pub median_rate: f64,
    /// Number of runs.
    pub n: usize,
    /// Highest peak RSS over the runs.
    pub max_rss: Option<u64>,
}

impl Case {
    /// Summary of `who`'s runs, if any.
    pub fn summary(&self, who: Who) -> Option<Summary> {
        let mut runs: Vec<&Measurement> = self.runs.iter().filter(|m| m.who == who).collect();
        runs.sort_by(|a, b| b.rate().total_cmp(&a.rate()));
        let best = **runs.first()?;
        let median_rate = runs[runs.len() / 2].rate();
        Some(Summary {
            best,
            median_rate,
            n: runs.len(),
            max_rss: runs.iter().filter_map(|m| m.rss).max(),
        })
    }

    /// The floor concurrencies measured, ascending.
    pub fn floor_levels(&self) -> Vec<usize> {
        let mut levels: Vec<usize> = self
            .runs
            .iter()
            .filter_map(|m| match m.who {
                Who::Floor(c) => Some(c),
                _ => None,
            })
            .collect();
        levels.sort_unstable();
        levels.dedup();
        levels
    }

    /// The reference exporter's concurrencies, ascending.
    pub fn reference_levels(&self) -> Vec<usize> {
        let mut levels: Vec<usize> = self
            .runs
            .iter()
            .filter_map(|m| match m.who {
                Who::Reference(c) => Some(c),
                _ => None,
            })
            .collect();
        levels.sort_unstable();
        levels.dedup();
        levels
    }

    /// The fastest floor over all concurrencies (the strictest comparison for `cro`).
    pub fn best_floor(&self) -> Option<Summary> {
        self.floor_levels()
            .into_iter()
            .filter_map(|c| self.summary(Who::Floor(c)))
            .max_by(|a, b| a.best.rate().total_cmp(&b.best.rate()))
    }
}

/// Targets of issue 7.
pub const TARGET_VS_SAMPLE: f64 = 20.0;
/// `cro` may take at most this many times the floor's time.
pub const TARGET_VS_FLOOR: f64 = 1.3;
/// Peak RSS limit of `cro` at the large size.
pub const TARGET_RSS: u64 = 64 << 20;

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// `1234567.8` -> `1,234,568`.
pub fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The table of one case.
pub fn case_table(case: &Case) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<38} {:>4} {:>11} {:>12} {:>7} {:>6} {:>8} {:>6} {:>9}",
        "",
        "runs",
        "best rec/s",
        "median rec/s",
        "best s",
        "cpu s",
        "fake cpu",
        "cores",
        "peak RSS"
    );
    let mut who: Vec<Who> = vec![Who::Sample, Who::Cro];
    who.extend(case.reference_levels().into_iter().map(Who::Reference));
    who.extend(case.floor_levels().into_iter().map(Who::Floor));
    for w in who {
        let Some(s) = case.summary(w) else { continue };
        // Cores kept busy on average: client and fake CPU over wall time. Near the
        // machine's core count, a run is CPU-bound and any extra CPU costs wall time.
        let cores = (s.best.client_cpu + s.best.fake_cpu.unwrap_or_default()).as_secs_f64()
            / s.best.wall.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "{:<38} {:>4} {:>11} {:>12} {:>7.3} {:>6.3} {:>8} {:>6.2} {:>9}",
            w.label(),
            s.n,
            thousands(s.best.rate()),
            thousands(s.median_rate),
            s.best.wall.as_secs_f64(),
            s.best.client_cpu.as_secs_f64(),
            s.best
                .fake_cpu
                .map(|c| format!("{:.3}", c.as_secs_f64()))
                .unwrap_or_else(|| "-".into()),
            cores,
            s.max_rss.map(mib).unwrap_or_else(|| "-".into()),
        );
    }
    out
}

/// Ratio lines (best runs against best runs) for one case.
pub fn ratios(case: &Case) -> String {
    let mut out = String::new();
    let cro = case.summary(Who::Cro);
    if let (Some(cro), Some(sample)) = (cro, case.summary(Who::Sample)) {
        let r = cro.best.rate() / sample.best.rate();
        let _ = writeln!(
            out,
            "cro vs sample:  {r:>6.1}x the sample's records/s (median {:.1}x)   target >= {TARGET_VS_SAMPLE}x: {}",
            cro.median_rate / sample.median_rate,
            verdict(r >= TARGET_VS_SAMPLE)
        );
    }
    if let (Some(cro), Some(floor)) = (cro, case.best_floor()) {
        let r = floor.best.rate() / cro.best.rate();
        let _ = writeln!(
            out,
            "cro vs floor:   {r:>6.2}x the floor's time (floor c={}, median {:.2}x)   target <= {TARGET_VS_FLOOR}x: {}",
            match floor.best.who {
                Who::Floor(c) => c,
                _ => 0,
            },
            floor.median_rate / cro.median_rate,
            verdict(r <= TARGET_VS_FLOOR)
        );
    }
    let reference = case
        .reference_levels()
        .into_iter()
        .filter_map(|c| case.summary(Who::Reference(c)))
        .max_by(|a, b| a.best.rate().total_cmp(&b.best.rate()));
    if let (Some(reference), Some(floor)) = (reference, case.best_floor()) {
        let _ = writeln!(
            out,
            "reference:      {:>6.2}x the floor's time, {:.1}x the sample's records/s \
             (a bare pass-through exporter: parse, slice, write, nothing else)",
            floor.best.rate() / reference.best.rate(),
            case.summary(Who::Sample)
                .map_or(f64::NAN, |s| reference.best.rate() / s.best.rate()),
        );
        if let Some(cro) = cro {
            let _ = writeln!(
                out,
                "                cro takes {:.2}x the reference's time (both pass items through \
                 unchanged; the rest is cro's own work: process start, request hooks, the \
                 walk's ordering and checks, the encoder and writer hand-offs)",
                reference.best.rate() / cro.best.rate()
            );
        }
    }
    out
}

/// Where the CPU goes, per 100,000 records, for `cro` and the fake meanwhile.
pub fn cpu_breakdown(case: &Case) -> String {
    let mut out = String::new();
    let per = |d: Duration, records: u64| d.as_secs_f64() * 100_000.0 / records.max(1) as f64;
    for w in [
        Some(Who::Cro),
        case.best_floor().map(|f| f.best.who),
        Some(Who::Sample),
    ]
    .into_iter()
    .flatten()
    {
        let Some(s) = case.summary(w) else { continue };
        let _ = writeln!(
            out,
            "  {:<38} client {:.3} CPU-s, fake {} CPU-s per 100k records; wall {:.3} s",
            w.label(),
            per(s.best.client_cpu, s.best.records),
            s.best
                .fake_cpu
                .map(|c| format!("{:.3}", per(c, s.best.records)))
                .unwrap_or_else(|| "-".into()),
            per(s.best.wall, s.best.records),
        );
    }
    out
}

/// Peak RSS of `cro` at each size, and the large-size verdict.
pub fn rss_lines(cases: &[Case]) -> String {
    let mut out = String::new();
    let mut cells = Vec::new();
    for c in cases {
        if let Some(rss) = c.summary(Who::Cro).and_then(|s| s.max_rss) {
            cells.push((c.customers, rss));
        }
    }
    if cells.is_empty() {
        return out;
    }
    let line: Vec<String> = cells
        .iter()
        .map(|(n, rss)| format!("{} customers: {}", thousands(*n as f64), mib(*rss)))
        .collect();
    let _ = writeln!(out, "cro peak RSS:   {}", line.join("   |   "));
    let fake: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            Some(format!(
                "{} customers: {}",
                thousands(c.customers as f64),
                mib(c.fake_rss?)
            ))
        })
        .collect();
    if !fake.is_empty() {
        let _ = writeln!(
            out,
            "cro-fake peak RSS (for reference): {}",
            fake.join("   |   ")
        );
    }
    if let (Some(first), Some(last)) = (cells.first(), cells.last())
        && cells.len() > 1
    {
        let _ = writeln!(
            out,
            "                {}x the records, {:+.1} MiB of RSS   target < {} at {} customers: {}",
            last.0 / first.0.max(1),
            (last.1 as f64 - first.1 as f64) / f64::from(1u32 << 20),
            mib(TARGET_RSS),
            thousands(last.0 as f64),
            verdict(last.1 < TARGET_RSS)
        );
    }
    out
}

/// The fake's own serving rate, as seen by the floor fetcher.
pub fn fake_rate(case: &Case) -> String {
    let mut out = String::new();
    let levels = case.floor_levels();
    let cells: Vec<String> = levels
        .iter()
        .filter_map(|&c| case.summary(Who::Floor(c)))
        .map(|s| {
            let c = match s.best.who {
                Who::Floor(c) => c,
                _ => 0,
            };
            format!("c={c}: {}", thousands(s.best.rate()))
        })
        .collect();
    if cells.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "cro-fake serving rate (records/s at page_limit=1000, floor fetcher): {}",
        cells.join(", ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(who: Who, secs: f64, rss: Option<u64>) -> Measurement {
        Measurement {
            who,
            records: 100_000,
            wall: Duration::from_secs_f64(secs),
            client_cpu: Duration::from_secs_f64(secs / 2.0),
            fake_cpu: Some(Duration::from_millis(100)),
            rss,
        }
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1_000.0), "1,000");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(-5.0), "0");
    }

    #[test]
    fn best_median_and_ratios() {
        let case = Case {
            customers: 100_000,
            runs: vec![
                run(Who::Sample, 4.0, Some(1)),
                run(Who::Cro, 0.2, Some(30 << 20)),
                run(Who::Cro, 0.1, Some(40 << 20)),
                run(Who::Cro, 0.4, Some(20 << 20)),
                run(Who::Floor(8), 0.09, None),
                run(Who::Floor(4), 0.08, None),
            ],
            fake_rss: None,
        };
        let cro = case.summary(Who::Cro).unwrap();
        assert_eq!(cro.n, 3);
        assert_eq!(cro.best.wall, Duration::from_secs_f64(0.1));
        assert!((cro.median_rate - 500_000.0).abs() < 1.0);
        assert_eq!(cro.max_rss, Some(40 << 20));
        assert_eq!(case.floor_levels(), vec![4, 8]);
        assert_eq!(case.best_floor().unwrap().best.who, Who::Floor(4));
        let ratios = ratios(&case);
        assert!(ratios.contains("40.0x the sample's"), "{ratios}");
        assert!(ratios.contains("target >= 20x: met"), "{ratios}");
        assert!(ratios.contains("1.25x the floor's time"), "{ratios}");
        assert!(ratios.contains("target <= 1.3x: met"), "{ratios}");
        assert!(case_table(&case).contains("cro export"));
    }

    #[test]
    fn rss_verdict_uses_the_largest_case() {
        let small = Case {
            customers: 100_000,
            runs: vec![run(Who::Cro, 0.1, Some(40 << 20))],
            fake_rss: Some(10 << 20),
        };
        let large = Case {
            customers: 1_000_000,
            runs: vec![run(Who::Cro, 1.0, Some(70 << 20))],
            fake_rss: Some(12 << 20),
        };
        let text = rss_lines(&[small, large]);
        assert!(text.contains("+30.0 MiB"), "{text}");
        assert!(text.contains("MISSED"), "{text}");
        assert!(text.contains("cro-fake peak RSS"), "{text}");
    }
}
