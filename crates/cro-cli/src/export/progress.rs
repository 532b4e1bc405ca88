//! Progress reporting of an export: a bar on stderr when stderr is a terminal (records,
//! pages, rate, ETA from `total_count`), nothing otherwise, and always a one-line summary at
//! the end (unless `--quiet`). Stdout is never touched: it may be the export itself.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared progress state; all methods take `&self` so producers on several threads can
/// report.
pub struct Progress {
    bar: Option<ProgressBar>,
    records: AtomicU64,
    pages: AtomicU64,
    expected: AtomicU64,
    start: Instant,
}

impl Progress {
    /// A progress reporter; the bar is shown only if `show_bar` and stderr is a terminal.
    pub fn new(show_bar: bool) -> Self {
        let bar = (show_bar && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {human_pos}/{human_len} records  {msg}  {rate}  ETA {eta}  [{wide_bar}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                // indicatif's {per_sec} prints four decimals; records/s reads better whole.
                .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} records/s", state.per_sec());
                })
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            records: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    /// A new scope (the whole export, or one location of a fan-out) announced `total` records.
    pub fn add_expected(&self, total: u64) {
        let all = self.expected.fetch_add(total, Ordering::Relaxed) + total;
        if let Some(bar) = &self.bar {
            bar.set_length(all);
        }
    }

    /// One page of `records` items was fetched.
    pub fn page(&self, records: u64) {
        let r = self.records.fetch_add(records, Ordering::Relaxed) + records;
        let p = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.set_position(r);
            bar.set_message(format!("{p} {}", if p == 1 { "page" } else { "pages" }));
        }
    }

    /// Records fetched so far.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u64 {
        self.pages.load(Ordering::Relaxed)
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Remove the bar (before printing the summary or an error).
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// The one-line summary: `exported 2500 customers (25 pages) in 0.41 s, 6097 records/s`.
    pub fn summary(&self, resource: &str, records: u64, dest: Option<&std::path::Path>) -> String {
        let secs = self.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            records as f64 / secs
        } else {
            records as f64
        };
        let pages = self.pages();
        format!(
            "exported {records} {resource} ({pages} {}) in {secs:.2} s, {rate:.0} records/s{}",
            if pages == 1 { "page" } else { "pages" },
            dest.map(|d| format!(" -> {}", d.display()))
                .unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_summary() {
        let p = Progress::new(false);
        p.add_expected(10);
        p.page(4);
        p.page(6);
        assert_eq!(p.records(), 10);
        assert_eq!(p.pages(), 2);
        let s = p.summary("customers", 10, Some(std::path::Path::new("x.csv")));
        assert!(s.starts_with("exported 10 customers (2 pages) in "), "{s}");
        assert!(s.ends_with("records/s -> x.csv"), "{s}");
    }
}
