//! Progress reporting of an export: a bar on stderr when stderr is a terminal (records,
//! pages, rate, ETA from `total_count`), nothing otherwise, and always a one-line summary at
//! the end (unless `--quiet`). Stdout is never touched: it may be the export itself.

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
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
            // No total yet: a count, not "0/0"; `add_expected` switches to the full bar.
            bar.set_style(style(UNKNOWN_TOTAL_TEMPLATE));
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
        let before = self.expected.fetch_add(total, Ordering::Relaxed);
        let all = before + total;
        if let Some(bar) = &self.bar {
            if before == 0 && all > 0 {
                bar.set_style(style(KNOWN_TOTAL_TEMPLATE));
            }
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

    /// The one-line summary: `exported 2,500 customers (3 pages) in 0.41 s, 6,097
    /// records/s`, with the bar's thousands separators and singulars where they apply.
    pub fn summary(&self, resource: &str, records: u64, dest: Option<&std::path::Path>) -> String {
        let secs = self.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            records as f64 / secs
        } else {
            records as f64
        };
        let pages = self.pages();
        format!(
            "exported {} {} ({} {}) in {secs:.2} s, {} records/s{}",
            HumanCount(records),
            if records == 1 {
                singular(resource)
            } else {
                resource.to_string()
            },
            HumanCount(pages),
            if pages == 1 { "page" } else { "pages" },
            HumanCount(rate.round() as u64),
            dest.map(|d| format!(" -> {}", d.display()))
                .unwrap_or_default()
        )
    }
}

/// Bar before any `total_count` is known.
const UNKNOWN_TOTAL_TEMPLATE: &str = "{spinner} {human_pos} records  {msg}  {rate}";
/// Bar once the total is known.
const KNOWN_TOTAL_TEMPLATE: &str =
    "{spinner} {human_pos}/{human_len} records  {msg}  {rate}  ETA {eta}  [{wide_bar}]";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        // indicatif's {per_sec} prints four decimals; records/s reads better whole, with the
        // same thousands separators as the counts.
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(
                    w,
                    "{} records/s",
                    HumanCount(state.per_sec().round() as u64)
                );
            },
        )
        .progress_chars("=> ")
}

/// The singular of a resource name (`addresses` → `address`, `chat-messages` →
/// `chat-message`), for "exported 1 address".
pub fn singular(plural: &str) -> String {
    for (suffix, replacement) in [("sses", "ss"), ("ies", "y"), ("ches", "ch"), ("s", "")] {
        if let Some(stem) = plural.strip_suffix(suffix) {
            return format!("{stem}{replacement}");
        }
    }
    plural.to_string()
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

    #[test]
    fn summary_uses_separators_and_singulars() {
        let p = Progress::new(false);
        p.page(1);
        let s = p.summary("addresses", 1, None);
        assert!(s.starts_with("exported 1 address (1 page) in "), "{s}");
        let s = p.summary("customers", 1_000_000, None);
        assert!(s.starts_with("exported 1,000,000 customers "), "{s}");
        assert_eq!(singular("dump-destinations"), "dump-destination");
        assert_eq!(singular("chat-messages"), "chat-message");
        assert_eq!(singular("addresses"), "address");
    }
}
