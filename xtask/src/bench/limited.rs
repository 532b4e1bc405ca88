//! The rate-limited cases (issue 10): `cro export customers` with its defaults against a
//! `cro-fake` that answers pages slowly and refuses requests beyond a limit with `429` +
//! `Retry-After`, as real CRO servers do.
//!
//! Per case: `cro`'s wall time against the ideal for the limit (`pages × latency / allowed in
//! flight`, or `pages / allowed rate`) and against the target `1.3 × ideal + one
//! Retry-After`; the `429`s the fake sent meanwhile (its `/_fake/stats`) against the target
//! of at most 20% of the pages; whether every customer was exported exactly once (ids checked
//! against an unthrottled fake with the same seed); and the getting-started script's time,
//! sequential at its default page size (the server's), against the same limits.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::cro_run;
use super::fake_proc::FakeProc;
use super::report::thousands;
use super::rss::Usage;
use super::sample;

/// Customers of every rate-limited case.
pub const CUSTOMERS: u64 = 50_000;
/// `cro`'s default page size (`cro export --help`), which its pages are counted in.
pub const CRO_PAGE_SIZE: u64 = 1000;
/// The wall-time target: `SLACK × ideal + one Retry-After`.
const SLACK: f64 = 1.3;
/// The 429 target: at most this share of the pages.
const MAX_429_SHARE: f64 = 0.20;

/// One rate-limited server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Label, e.g. `(a)`.
    pub label: &'static str,
    /// Delay of every list page.
    pub page_latency: Duration,
    /// Requests handled at once.
    pub max_in_flight: Option<u32>,
    /// Requests admitted per second.
    pub rate: Option<u32>,
    /// `Retry-After` seconds of its 429s.
    pub retry_after: u64,
}

/// The cases of issue 10.
pub const CASES: [Limits; 3] = [
    Limits {
        label: "(a)",
        page_latency: Duration::from_millis(300),
        max_in_flight: Some(2),
        rate: None,
        retry_after: 1,
    },
    Limits {
        label: "(b)",
        page_latency: Duration::from_millis(300),
        max_in_flight: None,
        rate: Some(3),
        retry_after: 1,
    },
    Limits {
        label: "(c)",
        page_latency: Duration::from_millis(300),
        max_in_flight: Some(4),
        rate: None,
        retry_after: 5,
    },
];

impl Limits {
    /// The `cro-fake` flags of this server.
    pub fn flags(&self) -> Vec<String> {
        let mut f = vec![
            "--page-latency-ms".to_string(),
            self.page_latency.as_millis().to_string(),
            "--retry-after".into(),
            self.retry_after.to_string(),
        ];
        if let Some(n) = self.max_in_flight {
            f.extend(["--max-in-flight".into(), n.to_string()]);
        }
        if let Some(r) = self.rate {
            f.extend(["--rate-limit".into(), r.to_string()]);
        }
        f
    }

    /// In words.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{:.1} s/page", self.page_latency.as_secs_f64())];
        if let Some(n) = self.max_in_flight {
            parts.push(format!("{n} in flight"));
        }
        if let Some(r) = self.rate {
            parts.push(format!("{r} requests/s"));
        }
        parts.push(format!("Retry-After {} s", self.retry_after));
        parts.join(", ")
    }

    /// The fastest any client can fetch `pages` pages within these limits: the slowest of
    /// `pages × latency / in flight` and `pages / rate` (and never less than one page).
    pub fn ideal(&self, pages: u64) -> Duration {
        let latency = self.page_latency.as_secs_f64();
        let mut ideal = latency;
        if let Some(n) = self.max_in_flight {
            ideal = ideal.max(pages as f64 * latency / f64::from(n));
        }
        if let Some(r) = self.rate {
            ideal = ideal.max(pages as f64 / f64::from(r));
        }
        Duration::from_secs_f64(ideal)
    }

    /// `1.3 × ideal + one Retry-After`.
    pub fn target(&self, pages: u64) -> Duration {
        self.ideal(pages).mul_f64(SLACK) + Duration::from_secs(self.retry_after)
    }
}

/// What one contestant did in one case.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Its cost (also when it failed).
    pub usage: Option<Usage>,
    /// 429s the fake sent meanwhile.
    pub too_many: u64,
    /// `Ok(())` when every customer came out exactly once, else what went wrong.
    pub outcome: Result<(), String>,
}

/// One measured case.
#[derive(Debug, Clone)]
pub struct LimitedResult {
    /// The server's limits.
    pub limits: Limits,
    /// `cro`'s pages (of [`CRO_PAGE_SIZE`]).
    pub pages: u64,
    /// `cro export`.
    pub cro: Attempt,
    /// The sample script, unless skipped.
    pub sample: Option<Attempt>,
}

/// Every customer id of the first tenant, from an unthrottled fake with the same seed.
pub fn expected_ids(fake_bin: &Path, customers: u64, api_version: &str) -> Result<BTreeSet<i64>> {
    let fake = FakeProc::start(fake_bin, customers)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a tokio runtime")?;
    let ids = runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut ids = BTreeSet::new();
        for page in 1u64.. {
            let resp = http
                .get(format!("{}/customers", fake.base_url))
                .query(&[("page_index", page), ("page_limit", 1000)])
                .header("authorization", format!("bearer {}", fake.token))
                .header("x-tenant-id", fake.tenant.to_string())
                .header("x-api-version", api_version)
                .send()
                .await?
                .error_for_status()?;
            let body: serde_json::Value = serde_json::from_slice(&resp.bytes().await?)?;
            let results = body["results"]
                .as_array()
                .context("no results in a reference page")?;
            for r in results {
                ids.insert(record_id(r)?);
            }
            if results.is_empty() || body["current_page"] == body["total_pages"] {
                break;
            }
        }
        anyhow::Ok(ids)
    })?;
    if ids.len() as u64 != customers {
        bail!(
            "the reference walk found {} distinct ids, expected {customers}",
            ids.len()
        );
    }
    Ok(ids)
}

fn record_id(v: &serde_json::Value) -> Result<i64> {
    v.get("id")
        .or_else(|| v.get("customer_id"))
        .and_then(serde_json::Value::as_i64)
        .with_context(|| format!("a record without an id: {v}"))
}

/// Checks that the NDJSON file `out` holds every id of `expected` exactly once.
pub fn check_ids(out: &Path, expected: &BTreeSet<i64>) -> Result<(), String> {
    let file = std::fs::File::open(out).map_err(|e| format!("no output file: {e}"))?;
    let mut seen = BTreeSet::new();
    let mut repeated = 0u64;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| format!("cannot read the output: {e}"))?;
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("a line is not JSON: {e}"))?;
        let id = record_id(&v).map_err(|e| e.to_string())?;
        if !seen.insert(id) {
            repeated += 1;
        }
    }
    let missing = expected.difference(&seen).count();
    let extra = seen.difference(expected).count();
    if (missing, extra, repeated) == (0, 0, 0) {
        Ok(())
    } else {
        Err(format!(
            "{missing} ids missing, {extra} unexpected, {repeated} repeated"
        ))
    }
}

/// Runs one case: a fresh throttled fake, `cro`, then (unless skipped) the sample script.
pub fn run_case(
    bins: &super::Bins,
    root: &Path,
    python: Option<&Path>,
    limits: Limits,
    expected: &BTreeSet<i64>,
    out: &Path,
) -> Result<LimitedResult> {
    let pages = CUSTOMERS.div_ceil(CRO_PAGE_SIZE);
    eprintln!("bench: rate-limited {} {}", limits.label, limits.describe());
    let fake = FakeProc::start_with(&bins.fake, CUSTOMERS, &limits.flags())?;

    let before = fake.too_many_requests()?;
    let run = cro_run::export(&bins.cro, &fake, out, "ndjson")?;
    let too_many = fake.too_many_requests()? - before;
    let outcome = if run.usage.code == Some(0) {
        check_ids(out, expected)
    } else {
        Err(format!(
            "exit {:?}: {}",
            run.usage.code,
            run.summary.lines().next().unwrap_or_default()
        ))
    };
    let _ = std::fs::remove_file(out);
    eprintln!(
        "bench:   cro: {:.2} s, {too_many} x 429, {}",
        run.usage.wall.as_secs_f64(),
        outcome.as_ref().map_or_else(|e| e.as_str(), |()| "exact")
    );
    let cro = Attempt {
        usage: Some(run.usage),
        too_many,
        outcome,
    };

    let sample = match python {
        None => None,
        Some(python) => {
            // A fresh fake: the sample starts with a full bucket and no one else in flight,
            // as cro did.
            drop(fake);
            let fake = FakeProc::start_with(&bins.fake, CUSTOMERS, &limits.flags())?;
            let before = fake.too_many_requests()?;
            let r = sample::run(root, python, &fake, None);
            let too_many = fake.too_many_requests()? - before;
            eprintln!(
                "bench:   sample: {}, {too_many} x 429",
                match &r {
                    Ok(u) => format!("{:.2} s", u.wall.as_secs_f64()),
                    Err(e) => format!("{e:#}"),
                }
            );
            Some(match r {
                Ok(u) => Attempt {
                    usage: Some(u),
                    too_many,
                    outcome: Ok(()),
                },
                Err(e) => Attempt {
                    usage: None,
                    too_many,
                    outcome: Err(format!("{e:#}")),
                },
            })
        }
    };
    Ok(LimitedResult {
        limits,
        pages,
        cro,
        sample,
    })
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The report of the rate-limited cases.
pub fn report(results: &[LimitedResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rate-limited cases: {} customers, cro with its defaults (pages of {CRO_PAGE_SIZE}); \
         ideal = pages x latency / allowed in flight, or pages / allowed rate; \
         target = {SLACK} x ideal + one Retry-After; 429s: target <= {:.0}% of the pages",
        thousands(CUSTOMERS as f64),
        MAX_429_SHARE * 100.0
    );
    for r in results {
        let l = &r.limits;
        let ideal = l.ideal(r.pages);
        let target = l.target(r.pages);
        let _ = writeln!(out, "{} {}", l.label, l.describe());
        match &r.cro.usage {
            Some(u) => {
                let wall = u.wall.as_secs_f64();
                let _ = writeln!(
                    out,
                    "    cro:     {wall:7.2} s = {:.2}x the ideal {:.2} s ({} pages); target {:.2} s: {}",
                    wall / ideal.as_secs_f64(),
                    ideal.as_secs_f64(),
                    r.pages,
                    target.as_secs_f64(),
                    verdict(r.cro.outcome.is_ok() && u.wall <= target)
                );
            }
            None => {
                let _ = writeln!(out, "    cro:     not measured");
            }
        }
        let allowed = (r.pages as f64 * MAX_429_SHARE).floor() as u64;
        let _ = writeln!(
            out,
            "    429s received: {} = {:.0}% of {} pages; target <= {allowed}: {}",
            r.cro.too_many,
            100.0 * r.cro.too_many as f64 / r.pages as f64,
            r.pages,
            verdict(r.cro.too_many <= allowed)
        );
        let _ = writeln!(
            out,
            "    every record exactly once (ids checked): {}",
            match &r.cro.outcome {
                Ok(()) => "yes".to_string(),
                Err(e) => format!("NO ({e})"),
            }
        );
        if let Some(s) = &r.sample {
            let text = match (&s.usage, &s.outcome) {
                (Some(u), Ok(())) => {
                    let mut t = format!("{:7.2} s", u.wall.as_secs_f64());
                    if let (Some(c), Ok(())) = (&r.cro.usage, &r.cro.outcome) {
                        let _ = write!(
                            t,
                            " (cro is {:.1}x faster)",
                            u.wall.as_secs_f64() / c.wall.as_secs_f64()
                        );
                    }
                    let _ = write!(t, ", {} x 429", s.too_many);
                    t
                }
                (_, Err(e)) => format!("FAILED after {} x 429: {e}", s.too_many),
                (None, Ok(())) => "not measured".into(),
            };
            let _ = writeln!(
                out,
                "    sample script (sequential, default page size): {text}"
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideal_and_target_follow_the_limits() {
        let [a, b, c] = CASES;
        // 50 pages of 1000.
        assert_eq!(a.ideal(50), Duration::from_millis(7500));
        assert_eq!(b.ideal(50).as_millis(), 16_666);
        assert_eq!(c.ideal(50), Duration::from_millis(3750));
        assert_eq!(c.target(50), Duration::from_millis(3750 * 13 / 10 + 5000));
        assert_eq!(
            a.flags(),
            [
                "--page-latency-ms",
                "300",
                "--retry-after",
                "1",
                "--max-in-flight",
                "2"
            ]
        );
        assert!(b.flags().contains(&"--rate-limit".to_string()));
    }

    #[test]
    fn id_check_finds_missing_and_repeated() {
        let dir = std::env::temp_dir().join(format!("xtask-idcheck-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("out.ndjson");
        let expected: BTreeSet<i64> = [1, 3, 5].into();
        std::fs::write(&f, "{\"id\":1}\n{\"id\":3}\n{\"id\":5}\n").unwrap();
        assert_eq!(check_ids(&f, &expected), Ok(()));
        std::fs::write(&f, "{\"id\":1}\n{\"id\":3}\n{\"id\":3}\n").unwrap();
        assert_eq!(
            check_ids(&f, &expected),
            Err("1 ids missing, 0 unexpected, 1 repeated".into())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
