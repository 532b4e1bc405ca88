//! Retry policy: which failures are retried, how long to wait, and when to stop.
//!
//! - **What**: 429, 502, 503, 504, connect errors and timeouts.
//! - **Which requests**: a request is only repeated when repeating it cannot do harm.
//!   `GET`/`HEAD`/`PUT` (idempotent by HTTP semantics) and `DELETE` (the API's deletes are
//!   deactivations, which are idempotent) are retried on all of the above. `PATCH` is retried
//!   only when [`RetryPolicy::retry_patch`] is on (the API's updates set fields to given
//!   values, but a retry could overwrite a concurrent change). `POST` (and `PATCH` by default)
//!   is retried **only on connect errors**, where the request provably never left the
//!   client: once it may have reached the server it is never re-sent.
//! - **Throttling (429, 503) is back-pressure, not failure** (when
//!   [`RetryPolicy::throttling`] is on, the default): every attempt of every call passes the
//!   client's adaptive limiter first (see [`ThrottlePolicy`] and the `throttle` module docs:
//!   a window of requests in flight that grows on success and is cut on throttles, a
//!   `Retry-After` hold with jitter for the whole client, a pace when the server limits the
//!   rate). A throttled attempt does not use up the call's attempts nor the [`RetryBudget`];
//!   throttles are bounded by **progress** instead: the call gives up
//!   ([`RetryStop::NoProgress`]) when no request of the client has succeeded for
//!   [`ThrottlePolicy::progress_timeout`] (default 5 min), or at once when the server's
//!   `Retry-After` is longer than what is left of that window. [`RetryPolicy::max_retry_after`]
//!   does not apply to throttles (the progress window is their cap). The per-call
//!   [`RetryPolicy::deadline`] does not count time spent waiting in the limiter or in
//!   throttle holds: a call queued behind a throttled export fails by the progress rule, not
//!   because the export is long. With throttling off, 429 and 503 are retried like 502/504.
//! - **How long to wait** (other failures): the server's `Retry-After` (seconds or
//!   HTTP-date) when present; if it asks for longer than [`RetryPolicy::max_retry_after`]
//!   the client gives up at once and the error reports
//!   [`retry_after`](crate::Error::retry_after) (waiting less than asked would be hammering;
//!   waiting longer than the cap would surprise the caller). Otherwise exponential backoff
//!   with full jitter: a random wait in `0..=min(max_backoff, initial_backoff * 2^retry)`
//!   (AWS's "full jitter", which spreads clients best).
//! - **When to stop**: after [`RetryPolicy::max_attempts`] attempts, when the overall
//!   [`RetryPolicy::deadline`] would be passed, or when the shared [`RetryBudget`] is empty
//!   (a token bucket shared by every clone of a client: each retry costs tokens, each success
//!   returns a few, so a failing server sees a trickle rather than a multiple of the normal
//!   load); the error then says "retry budget exhausted".

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

pub use crate::throttle::ThrottlePolicy;

/// How the client retries failed requests. [`RetryPolicy::default()`] is on;
/// [`RetryPolicy::disabled()`] makes exactly one attempt.
///
/// ```
/// use std::time::Duration;
/// use cro_api::RetryPolicy;
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .deadline(Some(Duration::from_secs(20)));
/// assert_eq!(policy.get_max_attempts(), 5);
/// assert_eq!(RetryPolicy::disabled().get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    deadline: Option<Duration>,
    retry_patch: bool,
    retry_delete: bool,
    budget: Option<RetryBudget>,
    throttling: Option<ThrottlePolicy>,
}

impl Default for RetryPolicy {
    /// 3 attempts, 250 ms initial backoff capped at 10 s, `Retry-After` honoured up to 30 s,
    /// 2 minute overall deadline, `DELETE` retried, `PATCH` not, default [`RetryBudget`],
    /// default [`ThrottlePolicy`] (adaptive concurrency on).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(30),
            deadline: Some(Duration::from_secs(120)),
            retry_patch: false,
            retry_delete: true,
            budget: Some(RetryBudget::default()),
            throttling: Some(ThrottlePolicy::default()),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once, 429 and 503 included (no adaptive limiter).
    /// The deadline and 401 token refresh still apply.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            throttling: None,
            ..RetryPolicy::default()
        }
    }

    /// Total attempts including the first (at least 1; 0 is treated as 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Backoff base: the first retry waits a random time up to this.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Upper bound of one backoff wait.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Longest `Retry-After` the client waits for on a 502/504 (or on 429/503 with throttling
    /// off); a longer one ends the retries. Throttles are capped by the progress timeout
    /// instead ([`ThrottlePolicy::progress_timeout`]).
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// Overall time limit for one call, attempts and waits included (`None`: no limit beyond
    /// the per-attempt request timeout).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Retry `PATCH` like `GET` (default off; see the module docs).
    pub fn retry_patch(mut self, on: bool) -> Self {
        self.retry_patch = on;
        self
    }

    /// Retry `DELETE` like `GET` (default on: the API's deletes are deactivations).
    pub fn retry_delete(mut self, on: bool) -> Self {
        self.retry_delete = on;
        self
    }

    /// The retry budget shared by all clones of the client (`None`: unlimited).
    pub fn budget(mut self, budget: Option<RetryBudget>) -> Self {
        self.budget = budget;
        self
    }

    /// The adaptive limiter and the progress rule for 429/503 (`None`: off; 429 and 503 are
    /// then retried like 502/504 and use up attempts). See the module docs.
    pub fn throttling(mut self, throttling: Option<ThrottlePolicy>) -> Self {
        self.throttling = throttling;
        self
    }

    /// Shortcut: the progress timeout of the throttling policy (turns throttling on with the
    /// defaults if it was off).
    pub fn progress_timeout(mut self, timeout: Duration) -> Self {
        let policy = self.throttling.take().unwrap_or_default();
        self.throttling = Some(policy.progress_timeout(timeout));
        self
    }

    /// See [`RetryPolicy::throttling`].
    pub fn get_throttling(&self) -> Option<&ThrottlePolicy> {
        self.throttling.as_ref()
    }

    /// See [`RetryPolicy::max_attempts`].
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// See [`RetryPolicy::deadline`].
    pub fn get_deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// See [`RetryPolicy::max_retry_after`].
    pub fn get_max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// See [`RetryPolicy::budget`].
    pub fn get_budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    /// Whether a response with this status may be retried for this method.
    pub(crate) fn may_retry_status(&self, method: &Method, status: StatusCode) -> bool {
        is_retryable_status(status) && self.is_repeatable(method)
    }

    /// Whether a transport failure may be retried for this method.
    pub(crate) fn may_retry_transport(&self, method: &Method, failure: TransportFailure) -> bool {
        match failure {
            // Nothing reached the server: safe for every method.
            TransportFailure::Connect => true,
            TransportFailure::Timeout | TransportFailure::Other => self.is_repeatable(method),
        }
    }

    /// Methods that may be sent again after the request may have reached the server.
    fn is_repeatable(&self, method: &Method) -> bool {
        match *method {
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT => true,
            Method::DELETE => self.retry_delete,
            Method::PATCH => self.retry_patch,
            _ => false,
        }
    }

    /// The hold after a throttle without `Retry-After` (number `n` in a row): the backoff,
    /// but never less than half the initial backoff, so a throttle always slows the client.
    pub(crate) fn throttle_backoff(&self, n: u32) -> Duration {
        self.backoff(n).max(self.min_throttle_hold())
    }

    /// The shortest hold after a throttle, whatever `Retry-After` says: half the initial
    /// backoff.
    pub(crate) fn min_throttle_hold(&self) -> Duration {
        self.initial_backoff / 2
    }

    /// Full-jitter backoff before retry number `retry` (1 for the first retry).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let cap = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        if cap_ms == 0 {
            return Duration::ZERO;
        }
        // `rand::rng()` is not `Send`; keep it inside this synchronous function.
        Duration::from_millis(rand::random_range(0..=cap_ms))
    }
}

/// The kind of network failure, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportFailure {
    /// Connecting failed: the request was not sent.
    Connect,
    /// The attempt timed out: the server may have received the request.
    Timeout,
    /// Anything else (connection reset mid-request, ...): may have reached the server.
    Other,
}

/// 429 and 503: the server asks the client to slow down (back-pressure).
pub(crate) fn is_throttle_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    )
}

/// 429, 502, 503, 504.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// Parse `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). A date in the past
/// means "now". Unparseable values are ignored (backoff is used instead).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Token-bucket limits on retries, shared by every clone of a client.
///
/// Each retry takes [`retry_cost`](RetryBudget::retry_cost) tokens (timeouts twice that, as
/// they are the most expensive for the server), each successful response gives back
/// [`success_refund`](RetryBudget::success_refund), never above the capacity. An empty
/// bucket means "no more retries" until successes refill it; first attempts are never
/// blocked. The default (capacity 100, cost 5, refund 1) allows 20 retries in a burst and
/// about one retry per five successes in steady state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudget {
    capacity: u32,
    retry_cost: u32,
    success_refund: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            capacity: 100,
            retry_cost: 5,
            success_refund: 1,
        }
    }
}

impl RetryBudget {
    /// A budget of `capacity` tokens, `retry_cost` per retry, `success_refund` per success.
    pub fn new(capacity: u32, retry_cost: u32, success_refund: u32) -> Self {
        RetryBudget {
            capacity,
            retry_cost,
            success_refund,
        }
    }

    /// Tokens when full.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Tokens one retry takes.
    pub fn retry_cost(&self) -> u32 {
        self.retry_cost
    }

    /// Tokens one success gives back.
    pub fn success_refund(&self) -> u32 {
        self.success_refund
    }
}

/// The live token bucket of a [`RetryBudget`] (one per built client, shared by clones).
#[derive(Debug, Clone)]
pub(crate) struct BudgetState {
    config: RetryBudget,
    tokens: Arc<AtomicU32>,
}

impl BudgetState {
    pub(crate) fn new(config: RetryBudget) -> Self {
        BudgetState {
            config,
            tokens: Arc::new(AtomicU32::new(config.capacity)),
        }
    }

    /// Take the tokens for one retry; false when the bucket cannot pay.
    pub(crate) fn try_withdraw(&self, timeout: bool) -> bool {
        let cost = if timeout {
            self.config.retry_cost.saturating_mul(2)
        } else {
            self.config.retry_cost
        };
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }

    /// Return tokens after a success.
    pub(crate) fn deposit(&self) {
        let refund = self.config.success_refund;
        let capacity = self.config.capacity;
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(refund).min(capacity))
            });
    }

    /// Tokens left (for `Debug` and tests).
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

/// Why the client stopped retrying and returned what it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryStop {
    /// The failure is not retryable for this request (e.g. a `POST` after it was sent).
    NotRetryable,
    /// [`RetryPolicy::max_attempts`] reached.
    AttemptsExhausted,
    /// The [`RetryBudget`] was empty.
    BudgetExhausted,
    /// Waiting for the next attempt would pass the [`RetryPolicy::deadline`].
    Deadline,
    /// The server asked to wait longer than [`RetryPolicy::max_retry_after`].
    RetryAfterTooLong,
    /// The request body is a stream that cannot be sent twice.
    BodyNotReplayable,
    /// The server kept throttling (429/503) and no request of the client succeeded for the
    /// progress timeout, or it asked to wait longer than what was left of it
    /// ([`ThrottlePolicy::progress_timeout`]).
    NoProgress {
        /// The last throttle status (429 or 503).
        status: u16,
        /// Seconds since the last successful request of the client (while throttled).
        throttled_secs: u64,
        /// The last `Retry-After`, in seconds, if the server sent one.
        retry_after_secs: Option<u64>,
        /// The progress timeout, in seconds.
        timeout_secs: u64,
    },
}

impl RetryStop {
    /// Stable text used in internal headers and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryStop::NotRetryable => "not retryable",
            RetryStop::AttemptsExhausted => "attempts exhausted",
            RetryStop::BudgetExhausted => "retry budget exhausted",
            RetryStop::Deadline => "deadline reached",
            RetryStop::RetryAfterTooLong => "Retry-After longer than the configured maximum",
            RetryStop::BodyNotReplayable => "request body cannot be replayed",
            RetryStop::NoProgress { .. } => "no progress while throttled",
        }
    }

    /// The text carried in the internal stop header (with the numbers of `NoProgress`).
    pub(crate) fn encode(self) -> String {
        match self {
            RetryStop::NoProgress {
                status,
                throttled_secs,
                retry_after_secs,
                timeout_secs,
            } => format!(
                "{}:{status}:{throttled_secs}:{}:{timeout_secs}",
                self.as_str(),
                retry_after_secs.map_or(String::new(), |s| s.to_string())
            ),
            other => other.as_str().to_owned(),
        }
    }

    pub(crate) fn parse(text: &str) -> Option<RetryStop> {
        if let Some(rest) = text.strip_prefix("no progress while throttled:") {
            let mut parts = rest.split(':');
            let mut next = || parts.next().unwrap_or_default();
            return Some(RetryStop::NoProgress {
                status: next().parse().ok()?,
                throttled_secs: next().parse().ok()?,
                retry_after_secs: next().parse().ok(),
                timeout_secs: next().parse().ok()?,
            });
        }
        [
            RetryStop::NotRetryable,
            RetryStop::AttemptsExhausted,
            RetryStop::BudgetExhausted,
            RetryStop::Deadline,
            RetryStop::RetryAfterTooLong,
            RetryStop::BodyNotReplayable,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for RetryStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            RetryStop::NoProgress {
                status,
                throttled_secs,
                retry_after_secs,
                timeout_secs,
            } => {
                let timeout = human_secs(timeout_secs);
                match retry_after_secs {
                    Some(ra)
                        if throttled_secs < timeout_secs && ra > timeout_secs - throttled_secs =>
                    {
                        write!(
                            f,
                            "the server answered {status} with Retry-After {}, longer than the \
                         {timeout} progress timeout allows{}",
                            human_secs(ra),
                            if throttled_secs > 0 {
                                format!(" after {} of throttling", human_secs(throttled_secs))
                            } else {
                                String::new()
                            }
                        )
                    }
                    Some(ra) => write!(
                        f,
                        "the server kept answering {status} for {}; last Retry-After {} \
                         (progress timeout {timeout})",
                        human_secs(throttled_secs),
                        human_secs(ra)
                    ),
                    None => write!(
                        f,
                        "the server kept answering {status} for {} (progress timeout {timeout})",
                        human_secs(throttled_secs)
                    ),
                }
            }
            other => f.write_str(other.as_str()),
        }
    }
}

/// `45 s`, `5 min`, `2 min 30 s`.
fn human_secs(secs: u64) -> String {
    match (secs / 60, secs % 60) {
        _ if secs < 120 => format!("{secs} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        h.insert(http::header::RETRY_AFTER, later.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(90)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        h.insert(http::header::RETRY_AFTER, past.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert(http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), None);
    }

    #[test]
    fn no_progress_round_trips_through_the_header_text_and_reads_well() {
        let stop = RetryStop::NoProgress {
            status: 429,
            throttled_secs: 300,
            retry_after_secs: Some(60),
            timeout_secs: 300,
        };
        assert_eq!(RetryStop::parse(&stop.encode()), Some(stop));
        assert_eq!(
            stop.to_string(),
            "the server kept answering 429 for 5 min; last Retry-After 60 s (progress timeout 5 min)"
        );
        let long = RetryStop::NoProgress {
            status: 429,
            throttled_secs: 0,
            retry_after_secs: Some(3600),
            timeout_secs: 300,
        };
        assert_eq!(RetryStop::parse(&long.encode()), Some(long));
        assert!(long.to_string().contains("Retry-After 60 min"), "{long}");
        let none = RetryStop::NoProgress {
            status: 503,
            throttled_secs: 7,
            retry_after_secs: None,
            timeout_secs: 5,
        };
        assert_eq!(RetryStop::parse(&none.encode()), Some(none));
        assert_eq!(
            RetryStop::parse(RetryStop::BudgetExhausted.as_str()),
            Some(RetryStop::BudgetExhausted)
        );
    }

    #[test]
    fn method_rules() {
        let p = RetryPolicy::default();
        let s503 = StatusCode::SERVICE_UNAVAILABLE;
        assert!(p.may_retry_status(&Method::GET, s503));
        assert!(p.may_retry_status(&Method::DELETE, s503));
        assert!(!p.may_retry_status(&Method::POST, s503));
        assert!(!p.may_retry_status(&Method::PATCH, s503));
        assert!(
            p.clone()
                .retry_patch(true)
                .may_retry_status(&Method::PATCH, s503)
        );
        assert!(!p.may_retry_status(&Method::GET, StatusCode::INTERNAL_SERVER_ERROR));
        assert!(p.may_retry_transport(&Method::POST, TransportFailure::Connect));
        assert!(!p.may_retry_transport(&Method::POST, TransportFailure::Timeout));
        assert!(p.may_retry_transport(&Method::GET, TransportFailure::Timeout));
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(300));
        for retry in 1..40 {
            assert!(p.backoff(retry) <= Duration::from_millis(300));
        }
        assert!(p.backoff(1) <= Duration::from_millis(100));
    }

    #[test]
    fn budget_drains_and_refills() {
        let b = BudgetState::new(RetryBudget::new(10, 5, 1));
        assert!(b.try_withdraw(false));
        assert!(b.try_withdraw(false));
        assert!(!b.try_withdraw(false));
        b.deposit();
        assert_eq!(b.available(), 1);
        for _ in 0..20 {
            b.deposit();
        }
        assert_eq!(b.available(), 10);
        assert!(b.try_withdraw(true));
        assert_eq!(b.available(), 0);
    }
}
