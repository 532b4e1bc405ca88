//! Adaptive concurrency: one limiter per built [`Client`], shared by its clones, that every
//! attempt of every call passes before it is sent (first attempts too).
//!
//! A `429` or a `503` is back-pressure, not a failure. The limiter answers it the way TCP
//! answers loss, with three additions for a server that states its wishes (`Retry-After`) and
//! charges a lot for every refusal:
//!
//! - **Window** (requests in flight): starts small ([`ThrottlePolicy::initial_window`]) and
//!   grows by one per success (slow start: doubling per round trip) until the first throttle.
//!   A throttle cuts it (in slow start to just below the number in flight when the refused
//!   request was sent, later to 0.7×), at most once per *round*:
//!   responses to requests sent before the last cut do not cut again, so 8 parallel 429s are
//!   one signal, not eight.
//! - **Ceiling and rare probes**: every throttle costs the whole client a `Retry-After` hold,
//!   so after one the limiter remembers the window that worked (the ceiling) and goes above it
//!   only rarely: a probe (+1) is allowed [`PROBE_INTERVAL_FACTOR`]× the last hold after the
//!   throttle (at least 2 s), and each failed probe doubles that interval (up to 10 min). A probe
//!   that survives a full round of successes raises the ceiling (additive increase, up to
//!   [`ThrottlePolicy::max_in_flight`]). A failed probe goes back to the ceiling, not below it.
//! - **Pace** (requests per second): a server may limit the rate rather than the concurrency,
//!   and one request at a time can already be too fast for it. When a throttle hits a window
//!   of one, the limiter also spaces requests, at 0.8× the sending rate measured when the
//!   throttle came (like the client-side token bucket of AWS's adaptive retry mode); probes
//!   raise the pace by a quarter and drop it once it no longer binds.
//! - **Hold**: a throttle with `Retry-After` holds every new request of the client until
//!   it has passed; each waiter adds its own random jitter (up to a tenth of the wait, at
//!   most 250 ms) so they don't all return at once. Without `Retry-After` the hold is the
//!   policy's backoff.
//!
//! Throttles don't use up a call's attempts or the retry budget; they are bounded by
//! progress instead (see [`ThrottlePolicy::progress_timeout`] and the `retry` module docs).
//!
//! Ideas from (read, not copied): AWS SDKs' adaptive retry mode, Netflix concurrency-limits'
//! AIMD limit, Google SRE's client-side throttling.

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::Client;

/// A probe above the ceiling is allowed this many times the last hold after a throttle.
pub const PROBE_INTERVAL_FACTOR: u32 = 10;
/// Shortest interval between probes above the ceiling.
const MIN_PROBE_INTERVAL: Duration = Duration::from_secs(2);
/// Longest interval between probes (reached after repeated failed probes).
const MAX_PROBE_INTERVAL: Duration = Duration::from_secs(600);
/// Longest jitter added to a hold.
const MAX_HOLD_JITTER: Duration = Duration::from_millis(250);
/// Sends remembered to measure the sending rate.
const RATE_SAMPLES: usize = 12;
/// Slowest pace the limiter falls to (one request per 10 s).
const MIN_PACE: f64 = 0.1;

/// Settings of the adaptive limiter ([`RetryPolicy::throttling`](crate::RetryPolicy::throttling)).
///
/// ```
/// use std::time::Duration;
/// use cro_api::{RetryPolicy, ThrottlePolicy};
/// let policy = RetryPolicy::default().throttling(Some(
///     ThrottlePolicy::default()
///         .max_in_flight(8)
///         .initial_window(2)
///         .progress_timeout(Duration::from_secs(60)),
/// ));
/// assert_eq!(policy.get_throttling().unwrap().get_max_in_flight(), 8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlePolicy {
    max_in_flight: u32,
    initial_window: u32,
    progress_timeout: Duration,
}

impl Default for ThrottlePolicy {
    /// At most 32 requests in flight, starting with 2, giving up after 5 minutes without a
    /// successful request while the server throttles.
    fn default() -> Self {
        ThrottlePolicy {
            max_in_flight: 32,
            initial_window: 2,
            progress_timeout: Duration::from_secs(300),
        }
    }
}

impl ThrottlePolicy {
    /// Most requests of the client in flight at once (at least 1).
    pub fn max_in_flight(mut self, max: u32) -> Self {
        self.max_in_flight = max.max(1);
        self
    }

    /// Window to start with, before any response (at least 1, at most the maximum).
    pub fn initial_window(mut self, window: u32) -> Self {
        self.initial_window = window.max(1);
        self
    }

    /// How long the client keeps waiting and retrying throttled requests (429, 503) while no
    /// request of the client succeeds. A `Retry-After` longer than what is left of it ends
    /// the wait at once.
    pub fn progress_timeout(mut self, timeout: Duration) -> Self {
        self.progress_timeout = timeout;
        self
    }

    /// See [`ThrottlePolicy::max_in_flight`].
    pub fn get_max_in_flight(&self) -> u32 {
        self.max_in_flight
    }

    /// See [`ThrottlePolicy::initial_window`].
    pub fn get_initial_window(&self) -> u32 {
        self.initial_window.min(self.max_in_flight)
    }

    /// See [`ThrottlePolicy::progress_timeout`].
    pub fn get_progress_timeout(&self) -> Duration {
        self.progress_timeout
    }
}

/// A snapshot of the limiter ([`Client::throttle_stats`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ThrottleStats {
    /// Requests allowed in flight now.
    pub limit: u32,
    /// Requests in flight now.
    pub in_flight: u32,
    /// The configured maximum.
    pub max_in_flight: u32,
    /// Throttled responses (429, 503) received so far.
    pub throttles: u64,
    /// Requests per second the limiter spaces sends at, when it does.
    pub pace: Option<f64>,
}

impl Client {
    /// The adaptive limiter's state, shared by every clone of this client (`None` when
    /// throttling is off in the [`RetryPolicy`](crate::RetryPolicy)).
    pub fn throttle_stats(&self) -> Option<ThrottleStats> {
        self.inner.limiter().map(Limiter::stats)
    }
}

/// The live limiter (cheap to clone: an `Arc`).
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    policy: ThrottlePolicy,
    state: Mutex<State>,
    wake: Notify,
}

#[derive(Debug)]
struct State {
    limit: u32,
    in_flight: u32,
    slow_start: bool,
    /// After the cut that ended slow start: requests sent before it that still succeed
    /// (what the server accepted while it refused one) and the most they may raise the
    /// window to.
    recovered: u32,
    recover_cap: Option<u32>,
    /// Window known to work since the last throttle; growing above it is a probe.
    ceiling: Option<u32>,
    /// Successes counted toward growing the window by one (congestion avoidance).
    grow_credit: u32,
    /// Successes of requests sent above the ceiling (a probe passes after a full round).
    probe_credit: u32,
    next_probe_at: Instant,
    probe_interval: Duration,
    /// Incremented by every cut: permits from an older round don't cut again.
    round: u64,
    hold_until: Option<Instant>,
    hold_jitter: Duration,
    /// Requests per second, when sends are spaced.
    pace: Option<f64>,
    next_send_at: Instant,
    recent_sends: VecDeque<Instant>,
    /// Start of the current run of throttles without a success in between.
    throttled_since: Option<Instant>,
    throttles: u64,
}

/// What the caller of [`Permit::throttled`] does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Wait this long, then acquire a permit again and repeat.
    Retry(Duration),
    /// Give up: no progress for the progress timeout, or the server asks for longer than is
    /// left of it.
    GiveUp {
        throttled_for: Duration,
        timeout: Duration,
    },
}

impl Limiter {
    pub(crate) fn new(policy: ThrottlePolicy) -> Self {
        let now = Instant::now();
        let state = State {
            limit: policy.get_initial_window(),
            in_flight: 0,
            slow_start: true,
            recovered: 0,
            recover_cap: None,
            ceiling: None,
            grow_credit: 0,
            probe_credit: 0,
            next_probe_at: now,
            probe_interval: MIN_PROBE_INTERVAL,
            round: 0,
            hold_until: None,
            hold_jitter: Duration::ZERO,
            pace: None,
            next_send_at: now,
            recent_sends: VecDeque::with_capacity(RATE_SAMPLES),
            throttled_since: None,
            throttles: 0,
        };
        Limiter {
            inner: Arc::new(Inner {
                policy,
                state: Mutex::new(state),
                wake: Notify::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update leaves the state consistent before anything can panic.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stats(&self) -> ThrottleStats {
        let s = self.lock();
        ThrottleStats {
            limit: s.limit,
            in_flight: s.in_flight,
            max_in_flight: self.inner.policy.max_in_flight,
            throttles: s.throttles,
            pace: s.pace,
        }
    }

    /// Wait for a free slot (and for any hold or pacing gap), then take it.
    pub(crate) async fn acquire(&self) -> Permit {
        loop {
            let mut woken = pin!(self.inner.wake.notified());
            // Register before checking, so a release between the check and the wait is seen.
            woken.as_mut().enable();
            let until = {
                let mut s = self.lock();
                let now = Instant::now();
                match s.hold_until {
                    Some(hold) if now < hold => Some(hold + jitter(s.hold_jitter)),
                    _ if s.in_flight >= s.limit => None,
                    _ if s.pace.is_some() && now < s.next_send_at => Some(s.next_send_at),
                    _ => {
                        s.in_flight += 1;
                        if let Some(pace) = s.pace {
                            let gap = Duration::from_secs_f64(1.0 / pace);
                            s.next_send_at = s.next_send_at.max(now) + gap;
                        }
                        if s.recent_sends.len() == RATE_SAMPLES {
                            s.recent_sends.pop_front();
                        }
                        s.recent_sends.push_back(now);
                        return Permit {
                            limiter: Some(self.clone()),
                            round: s.round,
                            level: s.in_flight,
                        };
                    }
                }
            };
            match until {
                Some(at) => tokio::time::sleep_until(at).await,
                None => woken.await,
            }
        }
    }
}

/// A random wait in `0..=span`.
fn jitter(span: Duration) -> Duration {
    let ms = u64::try_from(span.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(rand::random_range(0..=ms))
    }
}

/// One request's slot. Report the outcome with [`success`](Permit::success) or
/// [`throttled`](Permit::throttled); dropping it (any other outcome, or a cancelled call)
/// just frees the slot.
#[derive(Debug)]
pub(crate) struct Permit {
    limiter: Option<Limiter>,
    round: u64,
    /// Requests in flight once this one was sent (itself included).
    level: u32,
}

impl Permit {
    /// A successful response: the server keeps up. Grow the window.
    pub(crate) fn success(mut self) {
        let Some(limiter) = self.limiter.take() else {
            return;
        };
        let max = limiter.inner.policy.max_in_flight;
        let mut s = limiter.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.throttled_since = None;
        let before = s.limit;
        let now = Instant::now();
        // Grow only when the window was used: an idle window says nothing about the server.
        let used = self.level * 2 >= s.limit;
        if let Some(cap) = s.recover_cap
            && self.round + 1 == s.round
        {
            // Sent in the round that ended slow start, accepted while another was refused:
            // the server handles at least this many at once.
            s.recovered += 1;
            if s.recovered > s.limit {
                s.limit = s.recovered.min(cap);
                s.ceiling = Some(s.limit);
            }
        } else if s.slow_start {
            if used {
                s.limit = (s.limit + 1).min(max);
            }
        } else if let Some(ceiling) = s.ceiling {
            if s.limit > ceiling {
                // Probing: a full round of successes sent above the ceiling passes it.
                if self.level > ceiling {
                    s.probe_credit += 1;
                    if s.probe_credit >= s.limit {
                        s.ceiling = Some(s.limit);
                        s.probe_credit = 0;
                        s.probe_interval = MIN_PROBE_INTERVAL;
                        s.next_probe_at = now + MIN_PROBE_INTERVAL;
                    }
                }
            } else if used && now >= s.next_probe_at {
                s.next_probe_at = now + s.probe_interval;
                s.probe_credit = 0;
                match s.pace {
                    // Rate-limited: probe the rate first; drop the pace once it no longer binds.
                    Some(pace) => {
                        let measured = measured_rate(&s.recent_sends).unwrap_or(pace);
                        s.pace = (pace * 1.25 < measured * 2.0).then_some(pace * 1.25);
                    }
                    None if s.limit < max => s.limit += 1,
                    None => {}
                }
            }
        } else if used {
            s.grow_credit += 1;
            if s.grow_credit >= s.limit {
                s.grow_credit = 0;
                s.limit = (s.limit + 1).min(max);
            }
        }
        if s.limit != before {
            tracing::info!(
                limit = s.limit,
                previous = before,
                reason = "success",
                "request limit raised"
            );
        }
        drop(s);
        limiter.inner.wake.notify_waiters();
    }

    /// A throttled response (429, 503): cut the window (once per round), hold new requests
    /// for `retry_after` (or `fallback` without one), and say whether to retry.
    pub(crate) fn throttled(
        mut self,
        status: u16,
        retry_after: Option<Duration>,
        fallback: Duration,
    ) -> Verdict {
        let Some(limiter) = self.limiter.take() else {
            return Verdict::Retry(fallback);
        };
        let timeout = limiter.inner.policy.progress_timeout;
        let now = Instant::now();
        let mut s = limiter.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.throttles += 1;
        let since = *s.throttled_since.get_or_insert(now);
        let throttled_for = now.saturating_duration_since(since);
        let wait = retry_after.unwrap_or(fallback);
        let verdict = if throttled_for >= timeout || wait > timeout - throttled_for {
            Verdict::GiveUp {
                throttled_for,
                timeout,
            }
        } else {
            let span = (wait / 10).min(MAX_HOLD_JITTER);
            Verdict::Retry(wait + jitter(span))
        };
        if self.round == s.round {
            let before = s.limit;
            cut(&mut s, now, wait, self.level);
            if matches!(verdict, Verdict::Retry(_)) {
                s.hold_until = Some(now + wait);
                s.hold_jitter = (wait / 10).min(MAX_HOLD_JITTER);
            }
            tracing::info!(
                limit = s.limit,
                previous = before,
                status,
                retry_after_ms = retry_after.map(|d| d.as_millis() as u64),
                pace = s.pace,
                "request limit cut (server throttling)"
            );
        }
        drop(s);
        limiter.inner.wake.notify_waiters();
        verdict
    }
}

/// The multiplicative decrease, and what it teaches about probing and pace. `level`: the
/// requests in flight when the throttled one was sent.
fn cut(s: &mut State, now: Instant, hold: Duration, level: u32) {
    let before = s.limit;
    let probing = s.ceiling.is_some_and(|c| before > c);
    s.limit = if s.slow_start {
        // Just below the level that was refused (the requests in flight when it was sent);
        // the requests of that round that still succeed raise it back (a server's count
        // of requests in flight lags the client's). Slow start overshoots by up to 2x, and
        // halving would leave a server that caps requests in flight under-used until the
        // next (rare) probe. Where the guess is too high, the next round's throttle cuts.
        level.saturating_sub(1).clamp(1, before)
    } else if let Some(ceiling) = s.ceiling.filter(|_| probing) {
        ceiling
    } else {
        ((before * 7) / 10).max(1)
    };
    // A throttle at one request in flight: the server limits the rate, not (only) the
    // concurrency. Space the sends below the rate measured now.
    if before == 1 && !probing {
        let measured = measured_rate(&s.recent_sends);
        let base = match (s.pace, measured) {
            (Some(p), Some(m)) => Some(p.min(m)),
            (p, m) => p.or(m),
        };
        // Too few sends to measure (the very first requests): no pace yet.
        // Never slower than one request per hold: the server said when to come back, and
        // throttles that are not about the rate (a refusal every other request) would
        // otherwise drive the pace down without end.
        let floor = match hold.as_secs_f64() {
            h if h > 0.0 => (1.0 / h).max(MIN_PACE),
            _ => MIN_PACE,
        };
        if let Some(base) = base {
            s.pace = Some((base * 0.8).max(floor).max(MIN_PACE));
        }
    }
    let failed_probe = probing || (!s.slow_start && s.ceiling.is_some());
    // Only the round that ended slow start may raise the window back (see `success`).
    s.recover_cap = s.slow_start.then(|| before.saturating_sub(1).max(1));
    s.recovered = 0;
    s.slow_start = false;
    s.ceiling = Some(s.limit);
    s.grow_credit = 0;
    s.probe_credit = 0;
    let base = (hold * PROBE_INTERVAL_FACTOR).clamp(MIN_PROBE_INTERVAL, MAX_PROBE_INTERVAL);
    s.probe_interval = if failed_probe {
        (s.probe_interval * 2).max(base).min(MAX_PROBE_INTERVAL)
    } else {
        base
    };
    s.next_probe_at = now + s.probe_interval;
    s.round += 1;
}

/// Sends per second over the remembered sends (`None` with too few to tell).
fn measured_rate(sends: &VecDeque<Instant>) -> Option<f64> {
    let (first, last) = (sends.front()?, sends.back()?);
    let span = last.saturating_duration_since(*first).as_secs_f64();
    (sends.len() >= 3 && span > 0.0).then(|| (sends.len() - 1) as f64 / span)
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(limiter) = self.limiter.take() {
            let mut s = limiter.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            drop(s);
            limiter.inner.wake.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, initial: u32) -> Limiter {
        Limiter::new(
            ThrottlePolicy::default()
                .max_in_flight(max)
                .initial_window(initial),
        )
    }

    const RA: Option<Duration> = Some(Duration::from_secs(1));
    const FALLBACK: Duration = Duration::from_millis(100);

    #[tokio::test(start_paused = true)]
    async fn slow_start_grows_per_success_up_to_the_maximum() {
        let l = limiter(5, 1);
        assert_eq!(l.stats().limit, 1);
        // Full rounds: every permit the window allows, then their successes.
        for expected in [2, 4, 5, 5] {
            let ps = futures_permits(&l, l.stats().limit as usize).await;
            ps.into_iter().for_each(Permit::success);
            assert_eq!(l.stats().limit, expected);
        }
        assert_eq!(l.stats().in_flight, 0);
        // One request at a time does not use a window of 5: no growth from it.
        let l = limiter(8, 3);
        for _ in 0..5 {
            l.acquire().await.success();
        }
        assert_eq!(l.stats().limit, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn parallel_throttles_of_one_round_cut_once() {
        let l = limiter(16, 8);
        let permits: Vec<Permit> = futures_permits(&l, 8).await;
        assert_eq!(l.stats().in_flight, 8);
        // The last sent is refused first (a server that caps requests in flight).
        for p in permits.into_iter().rev() {
            assert!(matches!(p.throttled(429, RA, FALLBACK), Verdict::Retry(_)));
        }
        let stats = l.stats();
        assert_eq!(
            stats.limit, 7,
            "cut once (below the refused 8th), not eight times"
        );
        assert_eq!(stats.throttles, 8);
        assert_eq!(stats.in_flight, 0);
    }

    async fn futures_permits(l: &Limiter, n: usize) -> Vec<Permit> {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(l.acquire().await);
        }
        v
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_every_new_request_until_retry_after() {
        let l = limiter(4, 2);
        let p = l.acquire().await;
        let verdict = p.throttled(429, Some(Duration::from_secs(3)), FALLBACK);
        let Verdict::Retry(wait) = verdict else {
            panic!("{verdict:?}")
        };
        assert!(wait >= Duration::from_secs(3) && wait <= Duration::from_millis(3250));
        let start = Instant::now();
        let _next = l.acquire().await;
        // Paused clock: time only moves by the sleeps, so this is exact, not timed.
        let waited = start.elapsed();
        assert!(waited >= Duration::from_secs(3), "{waited:?}");
        assert!(waited <= Duration::from_millis(3250), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_throttle_growth_stops_at_the_ceiling_until_a_probe_is_due() {
        let l = limiter(8, 4);
        // Slow start from 4 to 7 (the first of four in flight did not use the window), then
        // the 5th in flight is refused: back to 4 (the ceiling).
        let ps = futures_permits(&l, 4).await;
        ps.into_iter().for_each(Permit::success);
        assert_eq!(l.stats().limit, 7);
        let mut ps = futures_permits(&l, 7).await;
        let _ = ps.remove(4).throttled(429, RA, FALLBACK);
        drop(ps);
        assert_eq!(l.stats().limit, 4);
        tokio::time::advance(Duration::from_secs(2)).await;
        // Many full rounds of successes before the probe interval (10 × 1 s): no growth.
        for _ in 0..20 {
            let ps = futures_permits(&l, 4).await;
            ps.into_iter().for_each(Permit::success);
        }
        assert_eq!(l.stats().limit, 4);
        // Once the probe is due, the next used success probes one above.
        tokio::time::advance(Duration::from_secs(10)).await;
        let ps = futures_permits(&l, 4).await;
        ps.into_iter().for_each(Permit::success);
        assert_eq!(l.stats().limit, 5);
        // The probe fails: back to the ceiling, not below.
        let mut ps = futures_permits(&l, 5).await;
        let _ = ps.pop().unwrap().throttled(429, RA, FALLBACK);
        drop(ps);
        assert_eq!(l.stats().limit, 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_passed_probe_raises_the_ceiling() {
        let l = limiter(8, 2);
        let ps = futures_permits(&l, 2).await;
        let mut ps = ps.into_iter();
        let _ = ps.next().unwrap().throttled(503, None, FALLBACK);
        drop(ps);
        assert_eq!(l.stats().limit, 1);
        tokio::time::advance(Duration::from_secs(3)).await;
        l.acquire().await.success();
        assert_eq!(l.stats().limit, 2, "probe");
        // A full round at 2 in flight passes the probe; the next one is due later.
        for _ in 0..2 {
            let ps = futures_permits(&l, 2).await;
            ps.into_iter().for_each(Permit::success);
        }
        assert_eq!(l.stats().limit, 2);
        tokio::time::advance(Duration::from_secs(3)).await;
        let ps = futures_permits(&l, 2).await;
        ps.into_iter().for_each(Permit::success);
        assert_eq!(l.stats().limit, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_at_one_in_flight_paces_the_sends() {
        let l = limiter(4, 1);
        // A first throttle ends slow start at one in flight (too few sends to measure a
        // rate: no pace yet).
        let _ = l
            .acquire()
            .await
            .throttled(429, Some(Duration::ZERO), Duration::ZERO);
        assert_eq!(l.stats().pace, None);
        tokio::time::advance(Duration::from_millis(200)).await;
        // Sends at 5 per second, one at a time, then a throttle.
        for _ in 0..8 {
            let p = l.acquire().await;
            tokio::time::advance(Duration::from_millis(200)).await;
            p.throttled_or_success(false);
        }
        let p = l.acquire().await;
        let _ = p.throttled(429, Some(Duration::ZERO), Duration::ZERO);
        let stats = l.stats();
        assert_eq!(stats.limit, 1);
        let pace = stats.pace.expect("pacing on");
        assert!((3.5..=4.5).contains(&pace), "0.8 × 5/s, got {pace}");
        // The sends are now spaced by 1/pace.
        let start = Instant::now();
        drop(l.acquire().await);
        drop(l.acquire().await);
        drop(l.acquire().await);
        let gap = start.elapsed() / 2;
        assert!(gap >= Duration::from_millis(200), "{gap:?}");
    }

    impl Permit {
        fn throttled_or_success(self, throttled: bool) {
            if throttled {
                let _ = self.throttled(429, RA, FALLBACK);
            } else {
                self.success();
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_progress_for_the_timeout_gives_up() {
        let l = Limiter::new(ThrottlePolicy::default().progress_timeout(Duration::from_secs(10)));
        let mut verdicts = Vec::new();
        for _ in 0..20 {
            let p = l.acquire().await;
            let v = p.throttled(429, RA, FALLBACK);
            verdicts.push(v);
            if let Verdict::Retry(wait) = v {
                tokio::time::advance(wait).await;
            } else {
                break;
            }
        }
        let last = *verdicts.last().unwrap();
        assert!(matches!(last, Verdict::GiveUp { .. }), "{verdicts:?}");
        assert!(verdicts.len() >= 8, "kept retrying first: {verdicts:?}");
        // A success starts a new progress window.
        l.acquire().await.success();
        let v = l.acquire().await.throttled(429, RA, FALLBACK);
        assert!(matches!(v, Verdict::Retry(_)), "{v:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_beyond_the_progress_window_gives_up_at_once() {
        let l = Limiter::new(ThrottlePolicy::default().progress_timeout(Duration::from_secs(60)));
        let v = l
            .acquire()
            .await
            .throttled(429, Some(Duration::from_secs(3600)), FALLBACK);
        assert!(matches!(v, Verdict::GiveUp { .. }), "{v:?}");
        // And no hour-long hold for the others.
        let start = Instant::now();
        drop(l.acquire().await);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_permit_frees_its_slot() {
        let l = limiter(1, 1);
        let p = l.acquire().await;
        assert_eq!(l.stats().in_flight, 1);
        drop(p);
        assert_eq!(l.stats().in_flight, 0);
        let _p = l.acquire().await;
    }
}
