//! The adaptive limiter seen from outside: 429/503 cut the window and hold the client, success
//! grows it, throttles are bounded by progress (not attempts, budget or the call deadline),
//! and many concurrent calls on one client stay near what the server allows.
//!
//! Assertions are on counts, order and the limiter's state, never on how long things took.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use cro_api::{RetryPolicy, RetryStop, ThrottlePolicy};

fn slow_down(retry_after: Option<&str>) -> axum::response::Response {
    let response = json(429, serde_json::json!({"detail": "Slow down."}));
    match retry_after {
        Some(value) => with_header(response, "retry-after", value),
        None => response,
    }
}

fn policy(throttle: ThrottlePolicy) -> RetryPolicy {
    fast_retries().throttling(Some(throttle))
}

#[tokio::test]
async fn a_429_cuts_the_window_and_is_retried_without_using_attempts() {
    bounded(async {
        // Five throttles, then success; only two attempts allowed for real failures.
        let server = TestServer::start(|_, i| {
            if i < 5 {
                slow_down(None)
            } else {
                tenants_page()
            }
        })
        .await;
        let client = server
            .builder()
            .retry_policy(policy(ThrottlePolicy::default().initial_window(4)).max_attempts(2))
            .build()
            .unwrap();
        let before = client.throttle_stats().unwrap();
        assert_eq!(before.limit, 4);
        client.list_tenants().send().await.unwrap();
        assert_eq!(server.count(), 6);
        let stats = client.throttle_stats().unwrap();
        assert_eq!(stats.throttles, 5);
        assert!(stats.limit < 4, "{stats:?}");
        assert_eq!(stats.in_flight, 0);
        // Throttles cost no retry budget either.
        assert_eq!(client.state().retry_budget_available(), Some(100));
    })
    .await;
}

#[tokio::test]
async fn a_503_is_back_pressure_too() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            if i == 0 {
                json(503, serde_json::json!({"detail": "Busy."}))
            } else {
                tenants_page()
            }
        })
        .await;
        let client = server
            .builder()
            .retry_policy(policy(ThrottlePolicy::default().initial_window(6)))
            .build()
            .unwrap();
        client.list_tenants().send().await.unwrap();
        let stats = client.throttle_stats().unwrap();
        assert_eq!(stats.throttles, 1);
        // Refused with one request in flight: back to one.
        assert_eq!(stats.limit, 1, "{stats:?}");
    })
    .await;
}

#[tokio::test]
async fn success_grows_the_window_up_to_the_maximum() {
    bounded(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Slow enough that the calls overlap and use the window.
        let app = axum::Router::new().fallback(|| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            tenants_page()
        });
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let client = cro_api::Client::builder()
            .base_url(format!("http://{addr}"))
            .token(TOKEN)
            .retry_policy(policy(
                ThrottlePolicy::default().initial_window(1).max_in_flight(6),
            ))
            .build()
            .unwrap();
        assert_eq!(client.throttle_stats().unwrap().limit, 1);
        let calls = (0..40).map(|_| client.list_tenants().send());
        for result in futures::future::join_all(calls).await {
            result.unwrap();
        }
        let stats = client.throttle_stats().unwrap();
        assert_eq!(stats.limit, 6, "{stats:?}");
        assert_eq!(stats.max_in_flight, 6);
        assert_eq!(stats.throttles, 0);
    })
    .await;
}

/// One call gets `429` + `Retry-After: 1`; the other calls of the same client are held
/// until it has passed, and come back spread out (jitter), not all at once.
#[tokio::test]
async fn retry_after_holds_the_whole_client_with_jitter() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            if i == 0 {
                slow_down(Some("1"))
            } else {
                tenants_page()
            }
        })
        .await;
        let client = server
            .builder()
            .retry_policy(policy(
                ThrottlePolicy::default().initial_window(8).max_in_flight(8),
            ))
            .build()
            .unwrap();
        // The throttled call first, alone.
        let first = tokio::spawn({
            let client = client.clone();
            async move { client.list_tenants().send().await.map(|_| ()) }
        });
        while server.count() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let throttled_at = server.requests()[0].at;
        let others = (0..4).map(|_| client.list_tenants().send());
        for result in futures::future::join_all(others).await {
            result.unwrap();
        }
        first.await.unwrap().unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 6);
        let later: Vec<_> = requests[1..].iter().map(|r| r.at).collect();
        assert!(
            later
                .iter()
                .all(|at| *at - throttled_at >= Duration::from_millis(990)),
            "a request was sent during the hold"
        );
        // Each waiter adds its own jitter: the five sends after the hold are not identical.
        let distinct: std::collections::BTreeSet<_> = later.iter().collect();
        assert!(distinct.len() > 1, "{later:?}");
        assert_eq!(client.throttle_stats().unwrap().throttles, 1);
    })
    .await;
}

/// A server that never stops throttling: the call gives up once no request has succeeded for
/// the progress timeout, and says so.
#[tokio::test]
async fn no_progress_for_the_progress_timeout_gives_up_and_says_so() {
    bounded(async {
        let server = TestServer::start(|_, _| slow_down(None)).await;
        let client = server
            .builder()
            .retry_policy(
                fast_retries()
                    .max_attempts(2)
                    .progress_timeout(Duration::from_millis(300)),
            )
            .build()
            .unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(err.is_rate_limited());
        assert!(
            matches!(
                err.retry_stop(),
                Some(RetryStop::NoProgress {
                    status: 429,
                    retry_after_secs: None,
                    ..
                })
            ),
            "{:?}",
            err.retry_stop()
        );
        // More tries than the two attempts: throttles are bounded by progress.
        assert!(server.count() > 2, "{}", server.count());
        assert_eq!(err.attempts(), Some(server.count() as u32));
        let text = err.to_string();
        assert!(text.contains("the server kept answering 429 for"), "{text}");
        assert!(text.contains("progress timeout"), "{text}");
    })
    .await;
}

/// The per-call deadline does not count throttle holds: a call that is throttled longer
/// than its deadline still completes.
#[tokio::test]
async fn throttle_holds_do_not_count_against_the_call_deadline() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            if i < 2 {
                slow_down(Some("1"))
            } else {
                tenants_page()
            }
        })
        .await;
        let client = server
            .builder()
            .retry_policy(fast_retries().deadline(Some(Duration::from_millis(300))))
            .build()
            .unwrap();
        client.list_tenants().send().await.unwrap();
        assert_eq!(server.count(), 3);
    })
    .await;
}

#[tokio::test]
async fn with_throttling_off_a_429_uses_attempts_as_before() {
    bounded(async {
        let server = TestServer::start(|_, _| slow_down(None)).await;
        let client = server
            .builder()
            .retry_policy(fast_retries().throttling(None))
            .build()
            .unwrap();
        assert!(client.throttle_stats().is_none());
        let err = client.list_tenants().send().await.unwrap_err();
        assert_eq!(server.count(), 3);
        assert_eq!(err.retry_stop(), Some(RetryStop::AttemptsExhausted));
    })
    .await;
}

/// Many concurrent calls on one client against a server that serves at most `ALLOWED` at once
/// and refuses the rest with 429: every call succeeds, and the requests in flight at the
/// server stay near the limit (slow start may overshoot once before the first cut).
#[tokio::test]
async fn concurrent_calls_share_one_limiter_and_stay_near_the_servers_limit() {
    const ALLOWED: usize = 3;
    const CALLS: usize = 60;
    bounded(async {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicU32::new(0));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = {
            let (in_flight, peak, refused) = (in_flight.clone(), peak.clone(), refused.clone());
            axum::Router::new().fallback(move || {
                let (in_flight, peak, refused) = (in_flight.clone(), peak.clone(), refused.clone());
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    let response = if now > ALLOWED {
                        refused.fetch_add(1, Ordering::SeqCst);
                        slow_down(None)
                    } else {
                        tokio::time::sleep(Duration::from_millis(15)).await;
                        tenants_page()
                    };
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    response
                }
            })
        };
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let client = cro_api::Client::builder()
            .base_url(format!("http://{addr}"))
            .token(TOKEN)
            .retry_policy(policy(ThrottlePolicy::default().max_in_flight(16)))
            .build()
            .unwrap();
        // Clones and other tenants share the limiter.
        let other = client.with_tenant(9);
        let calls = (0..CALLS).map(|i| {
            let c = if i % 2 == 0 {
                client.clone()
            } else {
                other.clone()
            };
            async move { c.list_tenants().send().await.map(|_| ()) }
        });
        let results = futures::future::join_all(calls).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let stats = client.throttle_stats().unwrap();
        let peak = peak.load(Ordering::SeqCst);
        let refused = refused.load(Ordering::SeqCst);
        assert_eq!(other.throttle_stats().unwrap(), stats);
        assert!(peak <= 2 * ALLOWED + 1, "peak {peak} in flight");
        assert!(
            refused as usize <= CALLS / 5,
            "{refused} refused: {stats:?}"
        );
        assert_eq!(stats.throttles, u64::from(refused));
        assert!(stats.limit as usize <= ALLOWED, "{stats:?}");
        assert_eq!(stats.in_flight, 0);
    })
    .await;
}
