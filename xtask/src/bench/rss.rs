//! Running a child process with a time limit and reading what it cost: wall time, CPU time
//! and peak resident set size (`ru_maxrss` from `wait4`).
//!
//! Why `wait4` rather than polling `/proc/<pid>/status`: polling can miss a short peak and
//! cannot read anything once the process has exited, while the kernel keeps the exact
//! high-water mark of the child's RSS and hands it over when the child is reaped.
//!
//! The time limit needs care: the process must never be killed after it was reaped (its pid
//! could by then belong to someone else). So a helper thread first *waits without reaping*
//! (`waitid(..., WNOWAIT)`), the caller either gets its notice or times out and kills the
//! still-unreaped (hence still-owned) pid, and only then is the child reaped with `wait4`.

use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// What a finished child cost.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Wall time from just before the spawn (given by the caller) to the exit.
    pub wall: Duration,
    /// User + system CPU time of the child.
    pub cpu: Duration,
    /// Peak resident set size in bytes.
    pub max_rss: u64,
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
}

/// Waits for `child` (spawned at `started`) for at most `limit`, then reaps it and returns
/// its resource usage. A child still running at the limit is killed and reported as an error.
///
/// Takes the child by value: it is reaped here (with `wait4`, behind `std`'s back), so the
/// handle must not be waited on again.
pub fn wait_with_usage(child: Child, started: Instant, limit: Duration) -> Result<Usage> {
    let pid = libc::pid_t::try_from(child.id()).context("child pid out of range")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // SAFETY: waitid only writes into the zeroed siginfo we own; WNOWAIT leaves the
        // child unreaped so the pid stays ours until wait4 below.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        let _ = tx.send((rc, Instant::now()));
    });
    let (ended, timed_out) = match rx.recv_timeout(limit) {
        Ok((0, at)) => (at, false),
        Ok((_, _)) => bail!(
            "waitid failed for pid {pid}: {}",
            std::io::Error::last_os_error()
        ),
        Err(_) => {
            // SAFETY: plain syscall; the pid is not reaped yet (only wait4 below reaps it),
            // so it still names our child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            (Instant::now(), true)
        }
    };
    let (status, rusage) = reap(pid)?;
    if timed_out {
        bail!(
            "the process did not finish within {} s and was killed",
            limit.as_secs()
        );
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    Ok(Usage {
        wall: ended.saturating_duration_since(started),
        cpu: tv(rusage.ru_utime) + tv(rusage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss: u64::try_from(rusage.ru_maxrss).unwrap_or(0) * 1024,
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
    })
}

/// Reaps `pid` (blocking) and returns its wait status and resource usage.
fn reap(pid: libc::pid_t) -> Result<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: wait4 writes into the status and the zeroed rusage we own.
    let (rc, rusage) = unsafe {
        let mut rusage: libc::rusage = std::mem::zeroed();
        let rc = libc::wait4(pid, &mut status, 0, &mut rusage);
        (rc, rusage)
    };
    if rc != pid {
        bail!(
            "wait4 failed for pid {pid}: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok((status, rusage))
}

/// CPU time (user + system) used so far by a running process, from `/proc/<pid>/stat`.
/// Used for the fake server, which runs across all measurements and is never reaped in
/// between. `None` when the file cannot be read (not Linux, or the process is gone).
pub fn proc_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; the fields after it start after ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after ')'.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
        .ok()
        .filter(|&hz| hz > 0)?;
    Some(Duration::from_nanos(ticks * 1_000_000_000 / hz))
}

/// Peak resident set size (`VmHWM`) of a running process, in bytes.
pub fn proc_peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// CPU time of this process's own threads (the in-process floor fetcher).
pub fn self_cpu() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}
