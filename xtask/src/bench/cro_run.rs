//! `cro export customers --format F --output FILE` with its defaults, as a user runs it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::fake_proc::FakeProc;
use super::rss::{self, Usage};
use super::sample::{count_lines, read_all};

/// Longest one export may take (a million customers included).
const RUN_LIMIT: Duration = Duration::from_secs(900);

/// One finished export.
#[derive(Debug, Clone)]
pub struct CroRun {
    /// What it cost.
    pub usage: Usage,
    /// Its one-line summary (stderr).
    pub summary: String,
}

/// Exports every customer of `fake` to `out` (removed afterwards) as NDJSON and checks that
/// the file holds one line per customer.
pub fn run(cro: &Path, fake: &FakeProc, out: &Path) -> Result<CroRun> {
    let r = export(cro, fake, out, "ndjson")?;
    if r.usage.code != Some(0) {
        let _ = std::fs::remove_file(out);
        bail!("cro export failed ({:?}): {}", r.usage.code, r.summary);
    }
    let lines = std::fs::File::open(out)
        .and_then(count_lines)
        .with_context(|| format!("cannot read {}", out.display()));
    // The export can be a gigabyte: remove it before anything else is measured.
    let _ = std::fs::remove_file(out);
    let lines = lines?;
    if lines != fake.customers {
        bail!("cro wrote {lines} customers, expected {}", fake.customers);
    }
    Ok(r)
}

/// Runs `cro export customers --format <format> --output <out>` with its defaults against
/// `fake` and returns what it cost, whatever its exit code. The output (if any) is left for
/// the caller to check and remove.
pub fn export(cro: &Path, fake: &FakeProc, out: &Path, format: &str) -> Result<CroRun> {
    let _ = std::fs::remove_file(out);
    let out_arg = out.to_string_lossy();
    command(
        cro,
        fake,
        &[
            "export",
            "customers",
            "--format",
            format,
            "--output",
            &out_arg,
        ],
        &out.with_extension("config"),
    )
}

/// Runs `cro ARGS` against `fake` (config from `config_dir` only) and returns what it cost
/// and its stderr, whatever its exit code.
pub fn command(cro: &Path, fake: &FakeProc, args: &[&str], config_dir: &Path) -> Result<CroRun> {
    let started = Instant::now();
    let mut child = Command::new(cro)
        .args(args)
        .envs(fake.client_env())
        // Nothing from a developer's own profile or config may leak into the measurement.
        .env("CRO_CONFIG_DIR", config_dir)
        .env_remove("CRO_PROFILE")
        .env_remove("CRO_API_VERSION")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", cro.display()))?;
    let stderr = child.stderr.take().context("no stderr pipe")?;
    let errors = std::thread::spawn(move || read_all(stderr));
    let usage = rss::wait_with_usage(child, started, RUN_LIMIT)?;
    let summary = errors.join().unwrap_or_default().trim().to_owned();
    Ok(CroRun { usage, summary })
}
