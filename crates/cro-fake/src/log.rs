//! The request log: what the server saw, so tests can assert exact request sequences (e.g. the
//! pages a client walked).

use std::collections::VecDeque;
use std::sync::Mutex;

/// Request headers the log keeps (lower case).
pub const LOGGED_HEADERS: [&str; 7] = [
    "authorization",
    "x-tenant-id",
    "x-api-version",
    "x-request-id",
    "accept",
    "content-type",
    "x-cro-fake-fault",
];

/// One request and the status it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Arrival number (0-based).
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path, as sent.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// The [`LOGGED_HEADERS`] that were present (name, value).
    pub headers: Vec<(String, String)>,
    /// Response status.
    pub status: u16,
}

impl LoggedRequest {
    /// A logged header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The decoded query pairs.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One query parameter's value.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// A bounded, shared log (oldest entries dropped first).
#[derive(Debug)]
pub struct RequestLog {
    entries: Mutex<(u64, VecDeque<LoggedRequest>)>,
    capacity: usize,
}

impl RequestLog {
    /// A log keeping at most `capacity` entries (0 disables logging).
    pub fn new(capacity: usize) -> RequestLog {
        RequestLog {
            entries: Mutex::new((0, VecDeque::new())),
            capacity,
        }
    }

    /// Appends an entry (its `seq` is assigned here).
    pub fn push(&self, mut entry: LoggedRequest) {
        if self.capacity == 0 {
            return;
        }
        let mut g = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entry.seq = g.0;
        g.0 += 1;
        if g.1.len() >= self.capacity {
            g.1.pop_front();
        }
        g.1.push_back(entry);
    }

    /// A copy of the entries, oldest first.
    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        let g = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        g.1.iter().cloned().collect()
    }

    /// Forgets all entries.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clear();
    }
}
