//! `cargo xtask bench`: export throughput of `cro` against the getting-started sample
//! script and the transfer floor, and `cro`'s peak memory at two sizes (issue 7).
//!
//! ```text
//! cargo xtask bench [--customers N] [--large N] [--rounds N] [--quick] [--no-build]
//!                   [--rate-limited] [--formats] [--sync] [--no-sample]
//!   --customers N   customers of the side-by-side case (default 100,000)
//!   --large N       customers of the memory case (default 1,000,000; 0 skips it)
//!   --rounds N      rounds of the side-by-side and formats cases (default 3; best printed)
//!   --quick         1 round, 20,000 and 200,000 customers unless given
//!   --no-build      use the release binaries already in target/release
//!   --rate-limited  run only the rate-limited cases (with --formats: those two)
//!   --formats       run only CSV vs NDJSON (200,000 customers) and NDJSON's CPU per 100k
//!   --sync          run only cro sync into SQLite (1,000,000 customers) vs the export
//!   --no-sample     skip the sample script in the rate-limited cases (minutes each)
//! ```
//!
//! Steps: build `cro` and `cro-fake` in release; start `cro-fake` on 127.0.0.1 with the
//! customers; then, in rounds that interleave the contestants (so that a burst of load from
//! elsewhere on a shared machine hurts them alike), run
//! - [`sample`]: the Python sample script, page size 1000, sequential pages;
//! - [`cro_run`]: `cro export customers --format ndjson --output FILE`, its defaults;
//! - [`floor`]: the same pages fetched concurrently and discarded, at a few concurrencies;
//! - [`reference`](mod@reference): a bare raw pass-through exporter (parse, keep items as raw JSON, write):
//!   what `cro`'s NDJSON export (which also passes items through) costs without its checks
//!   and plumbing;
//!
//! then restart the fake with the large size and export again (up to two rounds); then
//! [`limited`]: the rate-limited cases of issue 10 (a throttled fake per case, ids checked,
//! 429s counted, the sample script at its default page size alongside); then [`formats`]:
//! CSV against NDJSON and NDJSON's client CPU per 100,000 customers. [`report`] prints the
//! table, the ratios against the targets, `cro`'s peak RSS per size ([`rss`]) and the
//! fake's serving rate. Every run is checked for completeness (line counts, page counts):
//! a fast wrong answer is not a result.

mod cro_run;
mod fake_proc;
mod floor;
mod formats;
mod limited;
mod reference;
mod report;
mod rss;
mod sample;
mod sync;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::spec;
use fake_proc::FakeProc;
use report::{Case, Measurement, Who};

/// `cro`'s default `--concurrency` (see `cro export customers --help`); the floor is always
/// measured at it, and at a couple of others in case one of them is faster.
const CRO_DEFAULT_CONCURRENCY: usize = 8;
/// Floor concurrencies measured in the side-by-side case (1 = the fake's sequential rate).
const FLOOR_LEVELS: &[usize] = &[1, 4, CRO_DEFAULT_CONCURRENCY, 16];

/// Parsed `bench` arguments.
#[derive(Debug, Clone)]
struct BenchArgs {
    customers: u64,
    large: u64,
    rounds: usize,
    build: bool,
    /// Run the side-by-side and memory cases.
    throughput: bool,
    /// Run the rate-limited cases.
    rate_limited: bool,
    /// Run CSV vs NDJSON.
    formats: bool,
    /// Run `cro sync` into SQLite against the export.
    sync: bool,
    /// Run the sample script in the rate-limited cases.
    sample: bool,
}

const USAGE: &str = "usage: cargo xtask bench [--customers N] [--large N] [--rounds N] [--quick] \
                     [--no-build] [--rate-limited] [--formats] [--sync] [--no-sample]";

fn parse(args: &[String]) -> Result<BenchArgs> {
    let (mut customers, mut large, mut rounds) = (None, None, None);
    let (mut quick, mut build) = (false, true);
    let (mut rate_limited, mut formats, mut sample) = (false, false, true);
    let mut sync = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut number = |what: &str| -> Result<u64> {
            let v = it
                .next()
                .with_context(|| format!("{what} needs a number; {USAGE}"))?;
            v.replace(['_', ','], "")
                .parse()
                .with_context(|| format!("{what}: `{v}` is not a number"))
        };
        match arg.as_str() {
            "--customers" => customers = Some(number("--customers")?),
            "--large" => large = Some(number("--large")?),
            "--rounds" => rounds = Some(number("--rounds")?),
            "--quick" => quick = true,
            "--no-build" => build = false,
            "--rate-limited" => rate_limited = true,
            "--formats" => formats = true,
            "--sync" => sync = true,
            "--no-sample" => sample = false,
            "-h" | "--help" => bail!("{USAGE}"),
            other => bail!("unknown argument `{other}`; {USAGE}"),
        }
    }
    let parsed = BenchArgs {
        customers: customers.unwrap_or(if quick { 20_000 } else { 100_000 }),
        large: large.unwrap_or(if quick { 200_000 } else { 1_000_000 }),
        rounds: usize::try_from(rounds.unwrap_or(if quick { 1 } else { 3 }))?.max(1),
        build,
        // Without a selection, everything runs.
        throughput: !rate_limited && !formats && !sync,
        rate_limited: rate_limited || (!formats && !sync),
        formats: formats || (!rate_limited && !sync),
        sync: sync || (!rate_limited && !formats),
        sample,
    };
    if parsed.customers == 0 {
        bail!("--customers must be at least 1");
    }
    Ok(parsed)
}

/// Entry point of `cargo xtask bench ARGS`.
///
/// `cargo xtask` builds xtask in the dev profile, and an unoptimised floor fetcher would
/// flatter `cro`. So a debug xtask only builds (everything, xtask included, in release) and
/// hands over to the release xtask with `--no-build`.
pub fn main(args: &[String]) -> ExitCode {
    let result = parse(args).and_then(|a| {
        if cfg!(debug_assertions) {
            relaunch_optimised(args, a.build)
        } else {
            run(&a).map(|()| ExitCode::SUCCESS)
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Release binaries of the workspace.
struct Bins {
    cro: PathBuf,
    fake: PathBuf,
}

/// `target/` (or `$CARGO_TARGET_DIR`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_relative() { root.join(t) } else { t })
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo build --release -p cro-cli -p cro-fake`, then (separately, so that xtask's
/// dependency features cannot change what `cro` is built with) `-p xtask`.
fn cargo_build(root: &Path, with_xtask: bool) -> Result<()> {
    let mut builds = vec![vec![
        "build",
        "--release",
        "-p",
        "cro-cli",
        "-p",
        "cro-fake",
    ]];
    if with_xtask {
        builds.push(vec!["build", "--release", "-p", "xtask"]);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for args in builds {
        eprintln!("bench: cargo {}", args.join(" "));
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(&args)
            .status()
            .context("cannot run cargo")?;
        if !status.success() {
            bail!("the release build failed ({status})");
        }
    }
    Ok(())
}

/// From a debug xtask: build in release and run the release xtask's `bench`.
fn relaunch_optimised(args: &[String], build: bool) -> Result<ExitCode> {
    let root = spec::workspace_root();
    if build {
        cargo_build(&root, true)?;
    }
    let release = target_dir(&root).join("release/xtask");
    if !release.exists() {
        bail!(
            "{} is missing; run without --no-build once",
            release.display()
        );
    }
    let status = Command::new(&release)
        .arg("bench")
        .args(args.iter().filter(|a| *a != "--no-build"))
        .arg("--no-build")
        .status()
        .with_context(|| format!("cannot run {}", release.display()))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

fn build(root: &Path, really: bool) -> Result<Bins> {
    if really {
        cargo_build(root, false)?;
    }
    let target = target_dir(root);
    let bins = Bins {
        cro: target.join("release/cro"),
        fake: target.join("release/cro-fake"),
    };
    for b in [&bins.cro, &bins.fake] {
        if !b.exists() {
            bail!("{} is missing (run without --no-build)", b.display());
        }
    }
    Ok(bins)
}

/// A scratch directory for `cro`'s output, preferably in memory (`/dev/shm`): the sample
/// prints to a pipe and the floor discards, so a disk under `cro` alone would measure the
/// disk. Removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("cro-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `f` and adds the fake's CPU time meanwhile to its measurement.
fn with_fake_cpu(fake: &FakeProc, f: impl FnOnce() -> Result<Measurement>) -> Result<Measurement> {
    let before = rss::proc_cpu(fake.pid());
    let mut m = f()?;
    m.fake_cpu = before
        .zip(rss::proc_cpu(fake.pid()))
        .map(|(b, a)| a.saturating_sub(b));
    Ok(m)
}

fn measure_cro(bins: &Bins, fake: &FakeProc, out: &Path) -> Result<Measurement> {
    with_fake_cpu(fake, || {
        let r = cro_run::run(&bins.cro, fake, out)?;
        eprintln!("bench:   cro: {}", r.summary);
        Ok(Measurement {
            who: Who::Cro,
            records: fake.customers,
            wall: r.usage.wall,
            client_cpu: r.usage.cpu,
            fake_cpu: None,
            rss: Some(r.usage.max_rss),
        })
    })
}

fn measure_floor(floor: &floor::Floor<'_>, fake: &FakeProc, c: usize) -> Result<Measurement> {
    with_fake_cpu(fake, || {
        let r = floor.run(c)?;
        if r.pages != floor.pages {
            bail!("the floor fetched {} pages of {}", r.pages, floor.pages);
        }
        eprintln!(
            "bench:   floor c={c}: {} pages, {:.1} MB in {:.3} s",
            r.pages,
            r.bytes as f64 / 1e6,
            r.wall.as_secs_f64()
        );
        Ok(Measurement {
            who: Who::Floor(c),
            records: fake.customers,
            wall: r.wall,
            client_cpu: r.cpu,
            fake_cpu: None,
            rss: None,
        })
    })
}

fn measure_reference(
    floor: &floor::Floor<'_>,
    fake: &FakeProc,
    c: usize,
    out: &Path,
) -> Result<Measurement> {
    with_fake_cpu(fake, || {
        let r = reference::run(floor, c, out)?;
        if r.records != fake.customers {
            bail!(
                "the reference exporter wrote {} records of {}",
                r.records,
                fake.customers
            );
        }
        eprintln!("bench:   reference c={c}: {:.3} s", r.wall.as_secs_f64());
        Ok(Measurement {
            who: Who::Reference(c),
            records: r.records,
            wall: r.wall,
            client_cpu: r.cpu,
            fake_cpu: None,
            rss: None,
        })
    })
}

fn measure_sample(root: &Path, python: &Path, fake: &FakeProc) -> Result<Measurement> {
    with_fake_cpu(fake, || {
        let u = sample::run(root, python, fake, Some(sample::PAGE_LIMIT))?;
        eprintln!("bench:   sample: {:.3} s", u.wall.as_secs_f64());
        Ok(Measurement {
            who: Who::Sample,
            records: fake.customers,
            wall: u.wall,
            client_cpu: u.cpu,
            fake_cpu: None,
            rss: Some(u.max_rss),
        })
    })
}

/// What the machine looked like (the figures only mean something next to it).
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            let parts: Vec<&str> = l.split_whitespace().take(3).collect();
            (parts.len() == 3).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| "?".into());
    format!("{cores} cores (shared with other work; load average {load} at start)")
}

fn run(args: &BenchArgs) -> Result<()> {
    let root = spec::workspace_root();
    let bins = build(&root, args.build)?;
    let needs_python = args.throughput || (args.rate_limited && args.sample);
    let python = if needs_python {
        Some(sample::ensure_venv(&root)?)
    } else {
        None
    };
    let api_version = spec::load(&root.join(spec::SPEC_PATH))?["info"]["version"]
        .as_str()
        .context("spec has no info.version")?
        .to_owned();
    let scratch = Scratch::new()?;
    let machine = machine();
    if let (true, Some(python)) = (args.throughput, &python) {
        throughput(args, &root, &bins, python, &api_version, &scratch, &machine)?;
    } else {
        println!();
        println!("cargo xtask bench (selected cases)");
        println!("machine: {machine}");
    }
    if args.rate_limited {
        let expected = limited::expected_ids(&bins.fake, limited::CUSTOMERS, &api_version)?;
        let out = scratch.0.join("limited.ndjson");
        let python = python.as_deref().filter(|_| args.sample);
        let results = limited::CASES
            .iter()
            .map(|&case| limited::run_case(&bins, &root, python, case, &expected, &out))
            .collect::<Result<Vec<_>>>()?;
        println!();
        print!("{}", limited::report(&results));
    }
    if args.formats {
        let result = formats::run(&bins, &scratch.0, args.rounds)?;
        println!();
        print!("{}", formats::report(&result));
    }
    if args.sync {
        let result = sync::run(&bins, &scratch.0, args.rounds)?;
        println!();
        print!("{}", sync::report(&result));
    }
    Ok(())
}

/// The side-by-side case and the memory case (issue 7).
fn throughput(
    args: &BenchArgs,
    root: &Path,
    bins: &Bins,
    python: &Path,
    api_version: &str,
    scratch: &Scratch,
    machine: &str,
) -> Result<()> {
    let out = scratch.0.join("customers.ndjson");
    // Case 1: side by side.
    eprintln!(
        "bench: case 1, {} customers, {} round(s)",
        args.customers, args.rounds
    );
    let mut main_case = Case {
        customers: args.customers,
        runs: Vec::new(),
        fake_rss: None,
    };
    {
        let fake = FakeProc::start(&bins.fake, args.customers)?;
        let floor = floor::Floor::new(&fake, api_version, sample::PAGE_LIMIT)?;
        // Warm-up, not counted: first connections, page cache of the binaries, the fake's
        // lazily built state.
        floor.run(CRO_DEFAULT_CONCURRENCY)?;
        for round in 1..=args.rounds {
            eprintln!("bench: round {round}/{}", args.rounds);
            main_case.runs.push(measure_sample(root, python, &fake)?);
            main_case.runs.push(measure_cro(bins, &fake, &out)?);
            main_case.runs.push(measure_reference(
                &floor,
                &fake,
                CRO_DEFAULT_CONCURRENCY,
                &out,
            )?);
            for &c in FLOOR_LEVELS {
                main_case.runs.push(measure_floor(&floor, &fake, c)?);
            }
        }
        main_case.fake_rss = rss::proc_peak_rss(fake.pid());
    }

    // Case 2: memory at the large size (cro and the floor at cro's concurrency only: the
    // sample would take minutes and tells nothing new).
    let mut large_case = None;
    if args.large > 0 {
        eprintln!("bench: case 2, {} customers", args.large);
        let fake = FakeProc::start(&bins.fake, args.large)?;
        let floor = floor::Floor::new(&fake, api_version, sample::PAGE_LIMIT)?;
        let mut case = Case {
            customers: args.large,
            runs: Vec::new(),
            fake_rss: None,
        };
        for _ in 0..args.rounds.min(2) {
            case.runs.push(measure_cro(bins, &fake, &out)?);
            case.runs
                .push(measure_floor(&floor, &fake, CRO_DEFAULT_CONCURRENCY)?);
        }
        case.fake_rss = rss::proc_peak_rss(fake.pid());
        large_case = Some(case);
    }

    println!();
    println!("cargo xtask bench: cro export vs the sample script vs the transfer floor");
    println!("machine: {machine}");
    println!(
        "records/s = customers / wall time; best of the rounds (median beside); cpu = the \
         client's CPU seconds, fake cpu = cro-fake's meanwhile (10 ms ticks); cores = both over \
         wall time; cro writes to {}",
        scratch.0.display()
    );
    println!();
    println!(
        "case 1: {} customers, page_limit={} ({} rounds)",
        report::thousands(args.customers as f64),
        sample::PAGE_LIMIT,
        args.rounds
    );
    print!("{}", report::case_table(&main_case));
    println!();
    print!("{}", report::ratios(&main_case));
    print!("{}", report::fake_rate(&main_case));
    println!("CPU per 100k records:");
    print!("{}", report::cpu_breakdown(&main_case));
    let mut cases = vec![main_case];
    if let Some(case) = large_case {
        println!();
        println!(
            "case 2: {} customers",
            report::thousands(case.customers as f64)
        );
        print!("{}", report::case_table(&case));
        print!("{}", report::ratios(&case));
        cases.push(case);
    }
    println!();
    print!("{}", report::rss_lines(&cases));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_quick_and_overrides() {
        let a = parse(&[]).unwrap();
        assert_eq!(
            (a.customers, a.large, a.rounds, a.build),
            (100_000, 1_000_000, 3, true)
        );
        assert!(a.throughput && a.rate_limited && a.formats && a.sample);
        let r = parse(&args(&["--rate-limited", "--no-sample"])).unwrap();
        assert!(!r.throughput && r.rate_limited && !r.formats && !r.sample);
        let f = parse(&args(&["--formats"])).unwrap();
        assert!(!f.throughput && !f.rate_limited && f.formats);
        let q = parse(&args(&["--quick"])).unwrap();
        assert_eq!((q.customers, q.large, q.rounds), (20_000, 200_000, 1));
        let o = parse(&args(&[
            "--quick",
            "--customers",
            "1_000",
            "--large",
            "0",
            "--no-build",
        ]))
        .unwrap();
        assert_eq!(
            (o.customers, o.large, o.rounds, o.build),
            (1_000, 0, 1, false)
        );
        assert!(parse(&args(&["--customers"])).is_err());
        assert!(parse(&args(&["--customers", "many"])).is_err());
        assert!(parse(&args(&["--customers", "0"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
    }

    #[test]
    fn line_counting_and_process_readings() {
        assert_eq!(sample::count_lines(&b"a\nb\n\nc"[..]).unwrap(), 3);
        assert_eq!(sample::count_lines(&b""[..]).unwrap(), 0);
        // This very process: readable CPU time and peak RSS on Linux.
        if Path::new("/proc/self/stat").exists() {
            assert!(rss::proc_cpu(std::process::id()).is_some());
            assert!(rss::proc_peak_rss(std::process::id()).unwrap_or(0) > 0);
        }
    }

    #[test]
    fn child_usage_is_measured_and_bounded() {
        let started = std::time::Instant::now();
        let child = Command::new("sh")
            .args(["-c", "exit 3"])
            .spawn()
            .expect("sh");
        let usage = rss::wait_with_usage(child, started, std::time::Duration::from_secs(30))
            .expect("usage");
        assert_eq!(usage.code, Some(3));
        assert!(usage.max_rss > 0);

        let started = std::time::Instant::now();
        let child = Command::new("sleep").arg("30").spawn().expect("sleep");
        let err = rss::wait_with_usage(child, started, std::time::Duration::from_millis(200))
            .unwrap_err();
        assert!(err.to_string().contains("killed"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
