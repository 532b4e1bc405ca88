//! Deterministic fault injection, so clients can be tested against the failures a real
//! network and a real server produce.
//!
//! A [`FaultPlan`] (from the command line via [`FaultArgs`], or built in code) says which
//! requests fail and how; the axum [`middleware`] applies it. Requests are numbered in arrival order
//! (1, 2, ...) among the *eligible* ones: by default `GET`s of list endpoints (see
//! [`FaultScope`]), so a plan never breaks creates or single reads unless asked to. Every
//! decision is a function of that number and [`FaultPlan::seed`], so a sequential client sees
//! the same faults on every run.
//!
//! A single request can also ask for faults with the `x-cro-fake-fault` header (see
//! [`FaultSpec`]), whatever its method or path: `status=503`, `retry-after=1;status=429`,
//! `drop-mid-body`, `truncate`, `latency-ms=200`, `drift=-5`.
//!
//! The faults:
//! - **429** with `Retry-After: <seconds>`, and **5xx** (bursts of consecutive failures, or a
//!   seeded percentage): answered without calling the handler, with the API's error body and
//!   the message in the reason phrase ([`crate::errors::ApiError`]).
//! - **Latency**: a delay before the handler (all eligible requests, or chosen `page_index`es).
//! - **Drop mid-body**: the real response's headers (with its full `Content-Length`) and part
//!   of its body are sent, then the body stream fails, so hyper aborts the connection. Clients
//!   see a transport error while reading the body.
//! - **Truncate**: the response is sent *complete at the HTTP level* (status 200,
//!   `Content-Length` equal to what is sent), but only the first half of the JSON. This is the
//!   failure a transport-level check cannot catch (a proxy or server cutting the payload), so
//!   the client's JSON decoder must report it; a connection-level truncation is already covered
//!   by drop-mid-body.
//! - **`total_count` drift**: the paging code adds [`FaultState::total_count_drift`] (or the
//!   per-request [`TotalCountDrift`] extension) to `total_count` and recomputes `total_pages`,
//!   as if records were added or removed during a walk.
//! - **Row shift**: after a number of eligible requests, list pages start
//!   [`FaultPlan::row_shift`] positions earlier (later, if negative), as offset paging does
//!   when rows are inserted (deleted) ahead of a walk: records repeat across pages (or are
//!   skipped) while the page numbers and totals stay honest.
//!
//! Put this layer *inside* the layer that adds `X-REQUEST-ID`/`X-API-VERSION`, so fault answers
//! carry those headers like any other answer.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;

/// Request header that asks for faults on one request.
pub const FAULT_HEADER: &str = "x-cro-fake-fault";

/// Largest body the body faults buffer (a bigger one is answered with a bare 500).
const MAX_BUFFERED_BODY: usize = 64 << 20;

/// Collections that list endpoints end in (the last path segment of every paged or array
/// `GET` in the spec).
const LIST_COLLECTIONS: &[&str] = &[
    "addresses",
    "assets",
    "chats",
    "connections",
    "contacts",
    "customers",
    "drivers",
    "dump_destinations",
    "haulers",
    "hooks",
    "jobs",
    "locations",
    "materials",
    "recipients",
    "tenants",
    "trucks",
    "users",
];

/// Which requests a [`FaultPlan`] applies to (the `x-cro-fake-fault` header ignores this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FaultScope {
    /// `GET`s whose path ends in a collection (list endpoints).
    #[default]
    ListGets,
    /// Every `GET`.
    Gets,
    /// Every request.
    All,
}

/// A run of `len` consecutive failing requests starting at eligible request number `start`
/// (1-based). With a `path_prefix`, only eligible requests under that prefix are counted and
/// failed. Parsed from `start:len:status[:path_prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// First failing request number (1-based).
    pub start: u64,
    /// Number of failing requests.
    pub len: u64,
    /// Status answered (500..=599).
    pub status: u16,
    /// Count and fail only requests whose path starts with this.
    pub path_prefix: Option<String>,
}

impl FromStr for Burst {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(4, ':');
        let mut num = |what: &str| -> Result<u64, String> {
            parts
                .next()
                .ok_or_else(|| format!("missing {what} in {s:?} (start:len:status[:prefix])"))?
                .trim()
                .parse()
                .map_err(|_| format!("bad {what} in {s:?} (start:len:status[:prefix])"))
        };
        let (start, len, status) = (num("start")?, num("len")?, num("status")?);
        if start == 0 {
            return Err(format!("start is 1-based in {s:?}"));
        }
        let status = u16::try_from(status)
            .ok()
            .filter(|st| (500..=599).contains(st))
            .ok_or_else(|| format!("status must be 500..=599 in {s:?}"))?;
        let path_prefix = parts.next().map(str::to_string).filter(|p| !p.is_empty());
        Ok(Burst {
            start,
            len,
            status,
            path_prefix,
        })
    }
}

/// Extra delay for one page: requests whose `page_index` query parameter equals `page`.
/// Parsed from `N:MS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowPage {
    /// The `page_index` value that is slow.
    pub page: u64,
    /// Delay added before the handler runs.
    pub delay: Duration,
}

impl FromStr for SlowPage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (page, ms) = s
            .split_once(':')
            .ok_or_else(|| format!("expected N:MS, got {s:?}"))?;
        let page = page
            .trim()
            .parse()
            .map_err(|_| format!("bad page in {s:?}"))?;
        let ms: u64 = ms.trim().parse().map_err(|_| format!("bad MS in {s:?}"))?;
        Ok(SlowPage {
            page,
            delay: Duration::from_millis(ms),
        })
    }
}

/// `total_count` drift: after `after_request` eligible requests, listings report
/// `total_count + delta`. Parsed from `after_request:delta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drift {
    /// Requests 1..=after_request are unaffected.
    pub after_request: u64,
    /// Added to `total_count` afterwards (may be negative).
    pub delta: i64,
}

impl FromStr for Drift {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (after, delta) = s
            .split_once(':')
            .ok_or_else(|| format!("expected after_request:delta, got {s:?}"))?;
        Ok(Drift {
            after_request: after
                .trim()
                .parse()
                .map_err(|_| format!("bad after_request in {s:?}"))?,
            delta: delta
                .trim()
                .parse()
                .map_err(|_| format!("bad delta in {s:?}"))?,
        })
    }
}

/// What to inject during one run. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Seed of the seeded decisions (5xx percentage, where a dropped body is cut).
    pub seed: u64,
    /// Which requests are eligible.
    pub scope: FaultScope,
    /// Only requests under this path prefix are eligible.
    pub path_prefix: Option<String>,
    /// Every Nth eligible request gets a 429.
    pub rate_limit_every: Option<u64>,
    /// `Retry-After` seconds of injected 429s.
    pub retry_after_secs: u64,
    /// Bursts of 5xx answers.
    pub bursts: Vec<Burst>,
    /// Percentage (0..=100) of eligible requests answered with a seeded choice of 500, 502, 503
    /// or 504.
    pub random_5xx_percent: u8,
    /// Delay added to every eligible request.
    pub latency: Duration,
    /// Extra delay for chosen pages.
    pub slow_pages: Vec<SlowPage>,
    /// Every Nth eligible request's connection is dropped mid-body.
    pub drop_mid_body_every: Option<u64>,
    /// Every Nth eligible request's body is cut in half.
    pub truncate_body_every: Option<u64>,
    /// `total_count` drift.
    pub total_count_drift: Option<Drift>,
    /// Row shift: after `after_request` eligible requests, pages start `delta` rows earlier
    /// (repeating records; negative: later, skipping records). Totals are unchanged.
    pub row_shift: Option<Drift>,
    /// Ignore the `x-cro-fake-fault` request header.
    pub ignore_fault_header: bool,
}

impl FaultPlan {
    /// True when the plan itself injects nothing (the request header may still do so).
    pub fn is_quiet(&self) -> bool {
        let Self {
            seed: _,
            scope: _,
            path_prefix: _,
            rate_limit_every,
            retry_after_secs: _,
            bursts,
            random_5xx_percent,
            latency,
            slow_pages,
            drop_mid_body_every,
            truncate_body_every,
            total_count_drift,
            row_shift,
            ignore_fault_header: _,
        } = self;
        rate_limit_every.is_none()
            && bursts.is_empty()
            && *random_5xx_percent == 0
            && latency.is_zero()
            && slow_pages.is_empty()
            && drop_mid_body_every.is_none()
            && truncate_body_every.is_none()
            && total_count_drift.is_none()
            && row_shift.is_none()
    }
}

/// Command-line flags for a [`FaultPlan`] (flatten into the binary's arguments).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Fault injection")]
pub struct FaultArgs {
    /// Seed of seeded fault decisions (5xx percentage, cut points).
    #[arg(long, value_name = "SEED", default_value_t = 0)]
    pub fault_seed: u64,
    /// Which requests the faults below apply to.
    #[arg(long, value_enum, default_value_t = FaultScope::ListGets)]
    pub fault_scope: FaultScope,
    /// Only requests under this path prefix are faulted.
    #[arg(long, value_name = "PREFIX")]
    pub fault_path_prefix: Option<String>,
    /// Answer every Nth eligible request with 429 and Retry-After.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub fault_429_every: Option<u64>,
    /// Retry-After seconds of every 429 (injected ones and those of the rate limits).
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    pub retry_after: u64,
    /// A burst of 5xx answers, START:LEN:STATUS or START:LEN:STATUS:PATH_PREFIX (repeatable).
    #[arg(long = "fault-5xx-burst", value_name = "START:LEN:STATUS[:PREFIX]")]
    pub fault_5xx_bursts: Vec<Burst>,
    /// Answer this percentage of eligible requests with a seeded 500/502/503/504.
    #[arg(long, value_name = "PERCENT", default_value_t = 0,
          value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fault_5xx_percent: u8,
    /// Delay every eligible request by this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Delay requests for page N by MS milliseconds (repeatable).
    #[arg(long = "slow-page", value_name = "N:MS")]
    pub slow_pages: Vec<SlowPage>,
    /// Drop the connection in the middle of every Nth eligible response body.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub drop_mid_body_every: Option<u64>,
    /// Send only the first half of every Nth eligible response body (valid HTTP, cut JSON).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub truncate_body_every: Option<u64>,
    /// After AFTER_REQUEST eligible requests, listings report total_count + DELTA.
    #[arg(long, value_name = "AFTER_REQUEST:DELTA", allow_hyphen_values = true)]
    pub total_count_drift: Option<Drift>,
    /// After AFTER_REQUEST eligible requests, list pages start ROWS rows earlier (records
    /// repeat; negative: later, records are skipped), totals unchanged.
    #[arg(long, value_name = "AFTER_REQUEST:ROWS", allow_hyphen_values = true)]
    pub row_shift: Option<Drift>,
    /// Ignore the x-cro-fake-fault request header.
    #[arg(long)]
    pub no_fault_header: bool,
}

impl From<FaultArgs> for FaultPlan {
    fn from(a: FaultArgs) -> Self {
        FaultPlan {
            seed: a.fault_seed,
            scope: a.fault_scope,
            path_prefix: a.fault_path_prefix,
            rate_limit_every: a.fault_429_every,
            retry_after_secs: a.retry_after,
            bursts: a.fault_5xx_bursts,
            random_5xx_percent: a.fault_5xx_percent,
            latency: Duration::from_millis(a.latency_ms),
            slow_pages: a.slow_pages,
            drop_mid_body_every: a.drop_mid_body_every,
            truncate_body_every: a.truncate_body_every,
            total_count_drift: a.total_count_drift,
            row_shift: a.row_shift,
            ignore_fault_header: a.no_fault_header,
        }
    }
}

/// Faults requested for one request by the `x-cro-fake-fault` header: `;`- or `,`-separated
/// items `status=NNN` (400..=599), `retry-after=SECS` (implies status 429), `latency-ms=MS`,
/// `drop-mid-body`, `truncate`, `drift=DELTA`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSpec {
    /// Answer with this error status instead of calling the handler.
    pub status: Option<u16>,
    /// `Retry-After` seconds.
    pub retry_after: Option<u64>,
    /// Delay before the handler.
    pub latency: Duration,
    /// Drop the connection mid-body.
    pub drop_mid_body: bool,
    /// Cut the body in half.
    pub truncate: bool,
    /// `total_count` drift for this request.
    pub drift: i64,
}

impl FromStr for FaultSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut spec = FaultSpec::default();
        for item in s.split([';', ',']).map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (item, None),
            };
            let num = |v: Option<&str>| -> Result<i64, String> {
                v.and_then(|v| v.parse().ok())
                    .ok_or_else(|| format!("{key:?} needs a number, as in {key}=1"))
            };
            match key.to_ascii_lowercase().as_str() {
                "status" => {
                    let st = u16::try_from(num(value)?)
                        .ok()
                        .filter(|st| (400..=599).contains(st))
                        .ok_or("status must be 400..=599")?;
                    spec.status = Some(st);
                }
                "retry-after" => {
                    spec.retry_after =
                        Some(u64::try_from(num(value)?).map_err(|_| "retry-after must be >= 0")?);
                }
                "latency-ms" => {
                    let ms = u64::try_from(num(value)?).map_err(|_| "latency-ms must be >= 0")?;
                    spec.latency = Duration::from_millis(ms);
                }
                "drift" | "total-count-drift" => spec.drift = num(value)?,
                "drop-mid-body" if value.is_none() => spec.drop_mid_body = true,
                "truncate" if value.is_none() => spec.truncate = true,
                _ => return Err(format!("unknown fault {item:?}")),
            }
        }
        if spec.retry_after.is_some() && spec.status.is_none() {
            spec.status = Some(429);
        }
        Ok(spec)
    }
}

/// How many faults were injected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Requests that passed through the layer.
    pub requests: u64,
    /// Requests the plan applied to (numbered 1, 2, ... in this order).
    pub eligible: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// 5xx answers (bursts, percentage, or header status >= 500).
    pub server_errors: u64,
    /// Other error answers requested by the header (4xx other than 429).
    pub client_errors: u64,
    /// Requests delayed.
    pub delayed: u64,
    /// Responses whose connection was dropped mid-body.
    pub dropped_mid_body: u64,
    /// Responses whose body was cut in half.
    pub truncated: u64,
    /// Requests that carried a non-zero `total_count` drift.
    pub drifted: u64,
}

/// The `total_count` drift for the current request, inserted into every request's extensions
/// by the layer (0 when none). Paging code reads it with
/// `Option<axum::Extension<TotalCountDrift>>`; it is exact even under concurrency and includes
/// header-requested drift.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TotalCountDrift(pub i64);

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    eligible: AtomicU64,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    client_errors: AtomicU64,
    delayed: AtomicU64,
    dropped_mid_body: AtomicU64,
    truncated: AtomicU64,
    drifted: AtomicU64,
}

/// Which requests are eligible, beyond [`FaultScope`]: `(method, path) -> bool`.
pub type Classifier = Arc<dyn Fn(&Method, &str) -> bool + Send + Sync>;

/// A plan plus its run-time counters; share it (in an `Arc`) between the layer, the paging
/// code and tests.
pub struct FaultState {
    plan: FaultPlan,
    /// One counter per burst with a path prefix (unused for global bursts).
    burst_counters: Vec<AtomicU64>,
    counters: Counters,
    classifier: Option<Classifier>,
}

impl std::fmt::Debug for FaultState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultState")
            .field("plan", &self.plan)
            .field("injected", &self.injected())
            .finish_non_exhaustive()
    }
}

impl FaultState {
    /// A fresh state (all counters zero) for `plan`.
    pub fn new(plan: FaultPlan) -> Self {
        FaultState {
            burst_counters: plan.bursts.iter().map(|_| AtomicU64::new(0)).collect(),
            plan,
            counters: Counters::default(),
            classifier: None,
        }
    }

    /// Replaces the [`FaultScope`] test with `f` (for servers whose list paths differ).
    #[must_use]
    pub fn with_classifier(mut self, f: Classifier) -> Self {
        self.classifier = Some(f);
        self
    }

    /// The plan.
    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// The run-wide drift to add to `total_count` now: the plan's delta once more than
    /// `after_request` eligible requests have arrived (the current one included), else 0.
    /// Prefer the [`TotalCountDrift`] request extension inside handlers.
    pub fn total_count_drift(&self) -> i64 {
        match self.plan.total_count_drift {
            Some(d) if self.counters.eligible.load(Ordering::Relaxed) > d.after_request => d.delta,
            _ => 0,
        }
    }

    /// The row shift for a list request arriving now: the plan's rows once more than
    /// `after_request` eligible requests have arrived, else 0.
    pub fn row_shift(&self) -> i64 {
        match self.plan.row_shift {
            Some(d) if self.counters.eligible.load(Ordering::Relaxed) > d.after_request => d.delta,
            _ => 0,
        }
    }

    /// What was injected so far.
    pub fn injected(&self) -> FaultCounts {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FaultCounts {
            requests: get(&c.requests),
            eligible: get(&c.eligible),
            rate_limited: get(&c.rate_limited),
            server_errors: get(&c.server_errors),
            client_errors: get(&c.client_errors),
            delayed: get(&c.delayed),
            dropped_mid_body: get(&c.dropped_mid_body),
            truncated: get(&c.truncated),
            drifted: get(&c.drifted),
        }
    }

    fn eligible(&self, method: &Method, path: &str) -> bool {
        if let Some(prefix) = &self.plan.path_prefix
            && !path.starts_with(prefix.as_str())
        {
            return false;
        }
        if let Some(f) = &self.classifier {
            return f(method, path);
        }
        match self.plan.scope {
            FaultScope::All => true,
            FaultScope::Gets => method == Method::GET,
            FaultScope::ListGets => method == Method::GET && is_list_path(path),
        }
    }

    /// Decides the faults of one request from the plan (request number `n`).
    fn plan_faults(&self, n: u64, path: &str, query: Option<&str>) -> Decision {
        let p = &self.plan;
        let every = |k: Option<u64>| k.is_some_and(|k| k > 0 && n.is_multiple_of(k));
        let mut d = Decision {
            latency: p
                .latency
                .saturating_add(slow_page_delay(&p.slow_pages, query)),
            drop_mid_body: every(p.drop_mid_body_every),
            truncate: every(p.truncate_body_every),
            drift: match p.total_count_drift {
                Some(drift) if n > drift.after_request => drift.delta,
                _ => 0,
            },
            ..Decision::default()
        };
        // Every burst counter advances on every matching request, whatever else fires, so
        // bursts stay where the plan put them.
        for (burst, counter) in p.bursts.iter().zip(&self.burst_counters) {
            let k = match &burst.path_prefix {
                Some(prefix) if path.starts_with(prefix.as_str()) => {
                    counter.fetch_add(1, Ordering::Relaxed) + 1
                }
                Some(_) => continue,
                None => n,
            };
            if d.status.is_none() && k >= burst.start && k - burst.start < burst.len {
                d.status = Some(burst.status);
            }
        }
        if d.status.is_none() && p.random_5xx_percent > 0 {
            let r = mix(p.seed, n);
            if r % 100 < u64::from(p.random_5xx_percent) {
                d.status = Some([500, 502, 503, 504][usize::from((r >> 32) as u8 % 4)]);
            }
        }
        // A 429 wins over a 5xx: it is the one that tells the client how long to wait.
        if every(p.rate_limit_every) {
            d.status = Some(429);
            d.retry_after = Some(p.retry_after_secs);
        }
        d
    }
}

/// The faults chosen for one request.
#[derive(Debug, Default)]
struct Decision {
    status: Option<u16>,
    retry_after: Option<u64>,
    latency: Duration,
    drop_mid_body: bool,
    truncate: bool,
    drift: i64,
}

impl Decision {
    /// The header's wishes are added to (and override) the plan's.
    fn merge(&mut self, h: FaultSpec) {
        if h.status.is_some() {
            self.status = h.status;
            self.retry_after = h.retry_after;
        }
        // Saturating: both parts come from user input.
        self.latency = self.latency.saturating_add(h.latency);
        self.drop_mid_body |= h.drop_mid_body;
        self.truncate |= h.truncate;
        self.drift = self.drift.saturating_add(h.drift);
    }
}

fn is_list_path(path: &str) -> bool {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .is_some_and(|last| LIST_COLLECTIONS.contains(&last))
}

fn slow_page_delay(slow: &[SlowPage], query: Option<&str>) -> Duration {
    if slow.is_empty() {
        return Duration::ZERO;
    }
    let page = query
        .into_iter()
        .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .find(|(k, _)| k == "page_index")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        // The API's first page is the default.
        .unwrap_or(1);
    slow.iter()
        .filter(|s| s.page == page)
        .map(|s| s.delay)
        .fold(Duration::ZERO, Duration::saturating_add)
}

/// SplitMix64 of `(seed, n)`: a cheap, well-mixed, dependency-free deterministic hash.
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------------------------------------
// The middleware

/// The fault-injection middleware. Install with
/// `router.layer(axum::middleware::from_fn_with_state(state, faults::middleware))`.
pub async fn middleware(
    axum::extract::State(state): axum::extract::State<Arc<FaultState>>,
    mut req: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let state = &*state;
    let c = &state.counters;
    let seen = c.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let header_spec = match header_spec(state, &req) {
        Ok(spec) => spec,
        Err(e) => {
            return ApiError::bad_request(FAULT_HEADER, format!("Bad fault spec: {e}."))
                .into_response();
        }
    };
    let path = req.uri().path();
    // Seeded choices key on the eligible number (stable across runs); header-only faults on
    // requests outside the plan key on the overall number.
    let (mut d, key) = if state.eligible(req.method(), path) {
        let n = c.eligible.fetch_add(1, Ordering::Relaxed) + 1;
        (state.plan_faults(n, path, req.uri().query()), n)
    } else {
        (Decision::default(), seen)
    };
    if let Some(h) = header_spec {
        d.merge(h);
    }
    if !d.latency.is_zero() {
        c.delayed.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(d.latency).await;
    }
    if let Some(status) = d.status {
        return error_answer(state, status, d.retry_after);
    }
    if d.drift != 0 {
        c.drifted.fetch_add(1, Ordering::Relaxed);
    }
    req.extensions_mut().insert(TotalCountDrift(d.drift));
    let resp = next.run(req).await;
    if d.drop_mid_body {
        c.dropped_mid_body.fetch_add(1, Ordering::Relaxed);
        drop_mid_body(resp, mix(state.plan.seed, key)).await
    } else if d.truncate {
        c.truncated.fetch_add(1, Ordering::Relaxed);
        truncate(resp).await
    } else {
        resp
    }
}

fn header_spec(state: &FaultState, req: &Request<Body>) -> Result<Option<FaultSpec>, String> {
    if state.plan.ignore_fault_header {
        return Ok(None);
    }
    let Some(v) = req.headers().get(FAULT_HEADER) else {
        return Ok(None);
    };
    let v = v.to_str().map_err(|_| "not ASCII".to_string())?;
    v.parse().map(Some)
}

fn error_answer(state: &FaultState, status: u16, retry_after: Option<u64>) -> Response {
    let c = &state.counters;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    if status == StatusCode::TOO_MANY_REQUESTS {
        c.rate_limited.fetch_add(1, Ordering::Relaxed);
    } else if status.is_server_error() {
        c.server_errors.fetch_add(1, Ordering::Relaxed);
    } else {
        c.client_errors.fetch_add(1, Ordering::Relaxed);
    }
    if let (StatusCode::TOO_MANY_REQUESTS, Some(secs)) = (status, retry_after) {
        return ApiError::too_many_requests(secs).into_response();
    }
    let detail = format!(
        "{} (injected fault).",
        status.canonical_reason().unwrap_or("Error")
    );
    let mut resp = ApiError::new(status, "", detail).into_response();
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// Sends the headers (with the full `Content-Length`) and part of the body, then fails the
/// stream: hyper then aborts the connection instead of finishing the message.
async fn drop_mid_body(resp: Response, r: u64) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(full) = axum::body::to_bytes(body, MAX_BUFFERED_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // Cut somewhere in the middle half, chosen by the seed, but always short of the end.
    let len = full.len();
    let cut = if len < 2 {
        0
    } else {
        let span = u64::try_from((len / 2).max(1)).unwrap_or(1);
        (len / 4 + usize::try_from(r % span).unwrap_or(0)).min(len - 1)
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    let body = DroppedBody {
        head: Some(full.slice(..cut)),
        // A short pause lets hyper flush the head before the failure aborts the connection.
        pause: Box::pin(tokio::time::sleep(Duration::from_millis(20))),
        failed: false,
    };
    Response::from_parts(parts, Body::new(body))
}

/// A body that yields `head`, waits for `pause`, then fails.
struct DroppedBody {
    head: Option<Bytes>,
    pause: Pin<Box<tokio::time::Sleep>>,
    failed: bool,
}

impl hyper::body::Body for DroppedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if let Some(head) = this.head.take().filter(|h| !h.is_empty()) {
            return Poll::Ready(Some(Ok(hyper::body::Frame::data(head))));
        }
        if this.failed {
            return Poll::Ready(None);
        }
        if this.pause.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.failed = true;
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "cro-fake: connection dropped mid-body (injected fault)",
        ))))
    }
}

/// Sends a complete HTTP message whose body is the first half of the real one.
async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(full) = axum::body::to_bytes(body, MAX_BUFFERED_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let half = full.slice(..full.len() / 2);
    // hyper sets Content-Length from the new body.
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(half))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flag_values() {
        assert_eq!(
            "3:2:503".parse::<Burst>(),
            Ok(Burst {
                start: 3,
                len: 2,
                status: 503,
                path_prefix: None
            })
        );
        assert_eq!(
            "1:1:500:/locations/1/customers"
                .parse::<Burst>()
                .map(|b| b.path_prefix),
            Ok(Some("/locations/1/customers".to_string()))
        );
        assert!("0:1:503".parse::<Burst>().is_err());
        assert!("1:1:404".parse::<Burst>().is_err());
        assert!("1:x:503".parse::<Burst>().is_err());
        assert_eq!(
            "2:-5".parse::<Drift>(),
            Ok(Drift {
                after_request: 2,
                delta: -5
            })
        );
        assert_eq!(
            "3:250".parse::<SlowPage>(),
            Ok(SlowPage {
                page: 3,
                delay: Duration::from_millis(250)
            })
        );
    }

    #[test]
    fn parses_header_specs() {
        let s: FaultSpec = "retry-after=1;status=429".parse().unwrap_or_default();
        assert_eq!((s.status, s.retry_after), (Some(429), Some(1)));
        let s: FaultSpec = "retry-after=2".parse().unwrap_or_default();
        assert_eq!(s.status, Some(429));
        let s: FaultSpec = "drop-mid-body, latency-ms=5, drift=-3"
            .parse()
            .unwrap_or_default();
        assert!(s.drop_mid_body);
        assert_eq!(s.latency, Duration::from_millis(5));
        assert_eq!(s.drift, -3);
        assert!("status=200".parse::<FaultSpec>().is_err());
        assert!("explode".parse::<FaultSpec>().is_err());
        assert!("truncate=1".parse::<FaultSpec>().is_err());
    }

    #[test]
    fn list_paths() {
        assert!(is_list_path("/locations/1/customers"));
        assert!(is_list_path("/tenants/"));
        assert!(is_list_path("/customers"));
        assert!(!is_list_path("/customers/5"));
        assert!(!is_list_path("/hooks/3/ping"));
        assert!(!is_list_path("/oauth2/auth"));
        assert!(!is_list_path("/"));
    }

    #[test]
    fn seeded_percentage_is_deterministic() {
        let plan = FaultPlan {
            seed: 42,
            random_5xx_percent: 30,
            ..FaultPlan::default()
        };
        let run = || {
            let st = FaultState::new(plan.clone());
            (1..=200)
                .map(|n| st.plan_faults(n, "/customers", None).status)
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let failed = a.iter().filter(|s| s.is_some()).count();
        assert!((30..=90).contains(&failed), "{failed} of 200 failed");
    }
}
