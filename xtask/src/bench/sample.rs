//! The baseline: the getting-started sample script (`scripts/sample_export_customers.py`),
//! Python with `requests`, fetching pages one after another.
//!
//! It runs in a private virtual environment (`target/bench-venv`) with a pinned `requests`,
//! so the figure does not depend on whatever the system Python has installed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::fake_proc::FakeProc;
use super::rss::{self, Usage};

/// The `requests` version the sample is measured with.
pub const REQUESTS_VERSION: &str = "2.34.2";
/// Page size passed to the sample (`--page-limit`), the API's largest.
pub const PAGE_LIMIT: u32 = 1000;
/// Longest a sample run may take.
const RUN_LIMIT: Duration = Duration::from_secs(900);

/// Returns the venv's Python, creating the venv and installing `requests` if needed.
pub fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/bench-venv");
    let python = venv.join("bin/python");
    if python.exists() && has_requests(&python) {
        return Ok(python);
    }
    eprintln!(
        "bench: creating {} with requests=={REQUESTS_VERSION}",
        venv.display()
    );
    run_ok(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run_ok(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("requests=={REQUESTS_VERSION}")),
    )?;
    if !has_requests(&python) {
        bail!(
            "requests=={REQUESTS_VERSION} is not importable from {}",
            python.display()
        );
    }
    Ok(python)
}

fn has_requests(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            &format!(
                "import requests, sys; sys.exit(requests.__version__ != '{REQUESTS_VERSION}')"
            ),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_ok(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

/// Runs the sample against `fake` (with `--page-limit` when given, else at its default page
/// size, the server's) and checks it printed one line per customer.
///
/// Its output goes to a pipe that is only counted (the equivalent of `> /dev/null` plus a
/// line count): printing is part of the sample, writing a file is not what is measured.
pub fn run(root: &Path, python: &Path, fake: &FakeProc, page_limit: Option<u32>) -> Result<Usage> {
    let started = Instant::now();
    let mut cmd = Command::new(python);
    cmd.arg(root.join("scripts/sample_export_customers.py"));
    if let Some(limit) = page_limit {
        cmd.arg("--page-limit").arg(limit.to_string());
    }
    let mut child = cmd
        .envs(fake.client_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start the sample script")?;
    let stdout = child.stdout.take().context("no stdout pipe")?;
    let stderr = child.stderr.take().context("no stderr pipe")?;
    let lines = std::thread::spawn(move || count_lines(stdout));
    let errors = std::thread::spawn(move || read_all(stderr));
    let usage = rss::wait_with_usage(child, started, RUN_LIMIT)?;
    let lines = lines
        .join()
        .map_err(|_| anyhow::anyhow!("line counter panicked"))??;
    let errors = errors.join().unwrap_or_default();
    if usage.code != Some(0) {
        // Python's traceback ends with the line that says what went wrong.
        let last = errors.trim().lines().last().unwrap_or_default();
        bail!(
            "the sample script failed (exit {:?}, {:.1} s, {lines} customers printed): {last}",
            usage.code,
            usage.wall.as_secs_f64()
        );
    }
    if lines != fake.customers {
        bail!(
            "the sample script printed {lines} customers, expected {}",
            fake.customers
        );
    }
    Ok(usage)
}

/// Counts `\n` in everything `r` yields.
pub fn count_lines(mut r: impl Read) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(k) => n += buf[..k].iter().filter(|&&b| b == b'\n').count() as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Everything `r` yields, lossily as text (for error messages).
pub fn read_all(mut r: impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = r.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
