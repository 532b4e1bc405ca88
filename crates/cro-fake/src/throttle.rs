//! A rate-limited server, as real CRO deployments are: slow list pages, a cap on the requests
//! in flight and a cap on the request rate, both answered with `429` + `Retry-After`.
//!
//! A [`ThrottlePlan`] (from the command line via [`ThrottleArgs`], or built in code) says what
//! the server allows; the axum [`middleware`] enforces it on every API request:
//! - **Page latency**: list pages (the same requests the fault layer calls eligible) take
//!   this long before the handler runs, as a slow database would make them.
//! - **Requests in flight**: at most `max_in_flight` requests are being handled at once; a
//!   request is counted from its arrival until its answer is ready, *including* the page
//!   latency. One more is answered `429` at once.
//! - **Request rate**: a token bucket holding `burst` tokens (default: the rate), refilled at
//!   `rate_limit` tokens per second. Each admitted request takes one; with none left the answer
//!   is `429` at once. A refused request takes no token and no slot.
//!
//! Every `429` carries `Retry-After: retry_after_secs` and the API's error body and reason
//! phrase ([`crate::errors::ApiError::too_many_requests`]), and is counted
//! ([`ThrottleState::counts`], [`crate::RunningFake::throttle_counts`], and the binary's
//! `GET /_fake/stats`), so tests and benchmarks can report how often a client was pushed back.
//!
//! Put this layer *outside* the fault layer and inside the layer that adds
//! `X-REQUEST-ID`/`X-API-VERSION`: a throttled request never reaches the fault plan (so it does
//! not shift the plan's request numbering), and its answer carries the usual headers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use crate::errors::ApiError;
use crate::faults::Classifier;

/// What a rate-limited server allows. The default allows everything at full speed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThrottlePlan {
    /// Delay of every list page, counted as time in flight.
    pub page_latency: Duration,
    /// Most requests handled at once (`None`: no limit).
    pub max_in_flight: Option<u32>,
    /// Most requests admitted per second, on average (`None`: no limit).
    pub rate_limit: Option<u32>,
    /// Token bucket size: requests that may arrive back to back (default: `rate_limit`).
    pub burst: Option<u32>,
    /// `Retry-After` seconds sent with every `429`.
    pub retry_after_secs: u64,
}

impl ThrottlePlan {
    /// True when the plan neither delays nor refuses anything.
    pub fn is_quiet(&self) -> bool {
        self.page_latency.is_zero() && self.max_in_flight.is_none() && self.rate_limit.is_none()
    }

    /// The bucket size in effect: `burst`, else the rate (at least 1).
    pub fn bucket_size(&self) -> u32 {
        self.burst.or(self.rate_limit).unwrap_or(1).max(1)
    }
}

/// Command-line flags for a [`ThrottlePlan`] (flatten into the binary's arguments). The
/// `Retry-After` value is the fault flags' `--retry-after`, shared by every `429` the fake
/// sends.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Rate limiting (a slow, throttled server)")]
pub struct ThrottleArgs {
    /// Delay every list page by this many milliseconds (time in flight).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub page_latency_ms: u64,
    /// Handle at most N requests at once; more are answered 429 with Retry-After.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: Option<u32>,
    /// Admit at most R requests per second (token bucket); more are answered 429.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Token bucket size of --rate-limit: requests that may arrive back to back [default: R].
    #[arg(long, value_name = "N", requires = "rate_limit",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: Option<u32>,
}

impl ThrottleArgs {
    /// The plan these flags describe, with `retry_after_secs` from `--retry-after`.
    pub fn plan(&self, retry_after_secs: u64) -> ThrottlePlan {
        ThrottlePlan {
            page_latency: Duration::from_millis(self.page_latency_ms),
            max_in_flight: self.max_in_flight,
            rate_limit: self.rate_limit,
            burst: self.burst,
            retry_after_secs,
        }
    }
}

/// What the throttle did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ThrottleCounts {
    /// Requests that reached the layer.
    pub requests: u64,
    /// Requests admitted (handed to the server).
    pub admitted: u64,
    /// `429` answers sent because `max_in_flight` requests were being handled.
    pub refused_in_flight: u64,
    /// `429` answers sent because the token bucket was empty.
    pub refused_rate: u64,
    /// Most requests seen in flight at once (admitted ones only).
    pub peak_in_flight: u64,
    /// List pages delayed by the page latency.
    pub delayed: u64,
}

impl ThrottleCounts {
    /// Every `429` the throttle sent.
    pub fn refused(&self) -> u64 {
        self.refused_in_flight + self.refused_rate
    }
}

/// A token bucket: `size` tokens at most, `rate` tokens per second.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    size: f64,
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn new(rate: u32, size: u32, now: Instant) -> TokenBucket {
        TokenBucket {
            size: f64::from(size.max(1)),
            rate: f64::from(rate.max(1)),
            tokens: f64::from(size.max(1)),
            at: now,
        }
    }

    /// Takes a token at `now` if there is one (after refilling for the time since the last
    /// call). Times before the last call count as no time.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = self.at.max(now);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.size);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A plan plus its run-time state; share it (in an `Arc`) between the layer and whoever
/// reads the counts.
pub struct ThrottleState {
    plan: ThrottlePlan,
    in_flight: AtomicU64,
    bucket: Option<Mutex<TokenBucket>>,
    counters: Counters,
    is_list: Option<Classifier>,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    admitted: AtomicU64,
    refused_in_flight: AtomicU64,
    refused_rate: AtomicU64,
    peak_in_flight: AtomicU64,
    delayed: AtomicU64,
}

impl std::fmt::Debug for ThrottleState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThrottleState")
            .field("plan", &self.plan)
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl ThrottleState {
    /// A fresh state for `plan` (full bucket, nothing in flight).
    pub fn new(plan: ThrottlePlan) -> Self {
        let bucket = plan
            .rate_limit
            .map(|r| Mutex::new(TokenBucket::new(r, plan.bucket_size(), Instant::now())));
        ThrottleState {
            plan,
            in_flight: AtomicU64::new(0),
            bucket,
            counters: Counters::default(),
            is_list: None,
        }
    }

    /// Says which requests are list pages (the ones the page latency applies to). Without it,
    /// every `GET` is.
    #[must_use]
    pub fn with_list_classifier(mut self, f: Classifier) -> Self {
        self.is_list = Some(f);
        self
    }

    /// The plan.
    pub fn plan(&self) -> &ThrottlePlan {
        &self.plan
    }

    /// What the throttle did so far.
    pub fn counts(&self) -> ThrottleCounts {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ThrottleCounts {
            requests: get(&c.requests),
            admitted: get(&c.admitted),
            refused_in_flight: get(&c.refused_in_flight),
            refused_rate: get(&c.refused_rate),
            peak_in_flight: get(&c.peak_in_flight),
            delayed: get(&c.delayed),
        }
    }

    fn is_list_page(&self, method: &Method, path: &str) -> bool {
        match &self.is_list {
            Some(f) => f(method, path),
            None => method == Method::GET,
        }
    }

    /// Admits a request (a slot, then a token) or says why not. The slot is held by the
    /// returned guard until it is dropped.
    fn admit(&self) -> Result<InFlight<'_>, Refusal> {
        let now_in_flight = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        let slot = InFlight(&self.in_flight);
        if self
            .plan
            .max_in_flight
            .is_some_and(|max| now_in_flight > u64::from(max))
        {
            return Err(Refusal::InFlight);
        }
        if let Some(bucket) = &self.bucket {
            let mut b = bucket.lock().unwrap_or_else(|e| e.into_inner());
            if !b.try_take(Instant::now()) {
                return Err(Refusal::Rate);
            }
        }
        self.counters
            .peak_in_flight
            .fetch_max(now_in_flight, Ordering::Relaxed);
        Ok(slot)
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    InFlight,
    Rate,
}

/// One request in flight; dropping it (answer ready, or the request abandoned) frees the slot.
struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

// ---------------------------------------------------------------------------------------------
// The middleware

/// The throttling middleware. Install with
/// `router.layer(axum::middleware::from_fn_with_state(state, throttle::middleware))`.
pub async fn middleware(
    axum::extract::State(state): axum::extract::State<Arc<ThrottleState>>,
    req: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let state = &*state;
    let c = &state.counters;
    c.requests.fetch_add(1, Ordering::Relaxed);
    let _slot = match state.admit() {
        Ok(slot) => slot,
        Err(why) => {
            match why {
                Refusal::InFlight => c.refused_in_flight.fetch_add(1, Ordering::Relaxed),
                Refusal::Rate => c.refused_rate.fetch_add(1, Ordering::Relaxed),
            };
            return ApiError::too_many_requests(state.plan.retry_after_secs).into_response();
        }
    };
    c.admitted.fetch_add(1, Ordering::Relaxed);
    let latency = state.plan.page_latency;
    if !latency.is_zero() && state.is_list_page(req.method(), req.uri().path()) {
        c.delayed.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(latency).await;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_starts_full_and_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(2, 3, t0);
        assert!((0..3).all(|_| b.try_take(t0)), "a full bucket of 3");
        assert!(!b.try_take(t0), "empty");
        // Half a second at 2/s is one token.
        let t1 = t0 + Duration::from_millis(500);
        assert!(b.try_take(t1));
        assert!(!b.try_take(t1));
        // A long pause refills to the size, not beyond.
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| b.try_take(t2)).count(), 3);
        // A clock reading from before the last one adds nothing.
        assert!(!b.try_take(t1));
    }

    #[test]
    fn in_flight_slots_are_freed_by_the_guard() {
        let st = ThrottleState::new(ThrottlePlan {
            max_in_flight: Some(2),
            ..ThrottlePlan::default()
        });
        let a = st.admit().ok();
        let b = st.admit().ok();
        assert!(a.is_some() && b.is_some());
        assert!(matches!(st.admit(), Err(Refusal::InFlight)));
        drop(a);
        assert!(st.admit().is_ok(), "a freed slot admits again");
        assert_eq!(st.in_flight.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_refused_request_takes_no_token() {
        let st = ThrottleState::new(ThrottlePlan {
            max_in_flight: Some(1),
            rate_limit: Some(1),
            burst: Some(2),
            ..ThrottlePlan::default()
        });
        let held = st.admit().ok();
        assert!(held.is_some());
        assert!(matches!(st.admit(), Err(Refusal::InFlight)));
        drop(held);
        // The second token is still there (refills of 1/s aside, it cannot be gone).
        assert!(st.admit().is_ok());
    }
}
