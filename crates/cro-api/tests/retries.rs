//! Retries: which failures, which methods, how long to wait, when to stop.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use cro_api::{RetryBudget, RetryPolicy, RetryStop};

fn unavailable() -> axum::response::Response {
    json(503, serde_json::json!({"detail": "Try again later."}))
}

/// The failure the attempt/budget/deadline tests use: a 502 is retried and uses up attempts
/// (a 503 or 429 is back-pressure, bounded by progress instead: tests/throttling.rs).
fn bad_gateway() -> axum::response::Response {
    json(502, serde_json::json!({"detail": "Try again later."}))
}

#[tokio::test]
async fn rate_limited_then_success_honours_retry_after_seconds() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            if i == 0 {
                with_header(
                    json(429, serde_json::json!({"detail": "Slow down."})),
                    "retry-after",
                    "1",
                )
            } else {
                tenants_page()
            }
        })
        .await;
        let started = Instant::now();
        server.client().list_tenants().send().await.unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        let gap = requests[1].at - requests[0].at;
        assert!(gap >= Duration::from_millis(900), "waited only {gap:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    })
    .await;
}

#[tokio::test]
async fn retry_after_as_http_date() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            if i == 0 {
                let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
                with_header(json(503, serde_json::json!({})), "retry-after", &when)
            } else {
                tenants_page()
            }
        })
        .await;
        server.client().list_tenants().send().await.unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        // HTTP dates have one-second resolution: the wait is between ~1 and 2 seconds.
        let gap = requests[1].at - requests[0].at;
        assert!(gap >= Duration::from_millis(900), "waited only {gap:?}");
    })
    .await;
}

/// A 429 whose `Retry-After` is longer than the progress timeout (5 min by default) allows:
/// given up at once, and the message says why.
#[tokio::test]
async fn retry_after_longer_than_the_progress_window_is_not_waited_for() {
    bounded(async {
        let server = TestServer::start(|_, _| {
            with_header(
                json(429, serde_json::json!({"detail": "Slow down."})),
                "retry-after",
                "3600",
            )
        })
        .await;
        let started = Instant::now();
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(server.count(), 1);
        assert!(err.is_rate_limited());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
        assert!(
            matches!(
                err.retry_stop(),
                Some(RetryStop::NoProgress { status: 429, .. })
            ),
            "{:?}",
            err.retry_stop()
        );
        let text = err.to_string();
        assert!(text.starts_with("429 Slow down."), "{text}");
        assert!(text.contains("Retry-After 60 min"), "{text}");
        assert!(text.contains("5 min progress timeout"), "{text}");
    })
    .await;
}

/// Other retryable statuses keep the `max_retry_after` cap.
#[tokio::test]
async fn retry_after_longer_than_the_cap_is_not_waited_for_on_502() {
    bounded(async {
        let server = TestServer::start(|_, _| {
            with_header(
                json(502, serde_json::json!({"detail": "Upstream down."})),
                "retry-after",
                "3600",
            )
        })
        .await;
        let started = Instant::now();
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(server.count(), 1);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
        assert_eq!(err.retry_stop(), Some(RetryStop::RetryAfterTooLong));
        assert!(err.to_string().starts_with("502 Upstream down."), "{err}");
    })
    .await;
}

#[tokio::test]
async fn server_error_burst_exhausts_attempts_and_reports_them() {
    bounded(async {
        let server = TestServer::start(|_, _| bad_gateway()).await;
        let client = server
            .builder()
            .retry_policy(fast_retries().max_attempts(4))
            .build()
            .unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert_eq!(server.count(), 4);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
        assert_eq!(err.attempts(), Some(4));
        assert_eq!(err.retry_stop(), Some(RetryStop::AttemptsExhausted));
        assert_eq!(
            err.to_string(),
            format!(
                "502 Try again later. (after 4 attempts; request id {})",
                err.request_id().unwrap()
            )
        );
    })
    .await;
}

#[tokio::test]
async fn default_policy_makes_three_attempts() {
    bounded(async {
        let server = TestServer::start(|_, _| json(502, serde_json::json!({}))).await;
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert_eq!(server.count(), 3);
        assert_eq!(err.attempts(), Some(3));
    })
    .await;
}

#[tokio::test]
async fn post_is_not_retried_on_503() {
    bounded(async {
        let server = TestServer::start(|_, _| unavailable()).await;
        let err = server
            .client()
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        assert_eq!(server.count(), 1);
        assert_eq!(err.attempts(), Some(1));
        assert_eq!(err.retry_stop(), Some(RetryStop::NotRetryable));
    })
    .await;
}

#[tokio::test]
async fn patch_is_not_retried_by_default_but_can_be() {
    bounded(async {
        let server = TestServer::start(|_, _| bad_gateway()).await;
        let name: cro_api::types::UpdateCustomerModelName = "New name".parse().unwrap();
        let body = cro_api::types::UpdateCustomerModel::builder().name(Some(name));
        let _ = server
            .client()
            .update_customer()
            .customer_id(1)
            .body(body.clone())
            .send()
            .await;
        assert_eq!(server.count(), 1);
        let client = server
            .builder()
            .retry_policy(fast_retries().retry_patch(true))
            .build()
            .unwrap();
        let _ = client
            .update_customer()
            .customer_id(1)
            .body(body)
            .send()
            .await;
        assert_eq!(server.count(), 1 + 3);
    })
    .await;
}

#[tokio::test]
async fn delete_is_retried() {
    bounded(async {
        let server = TestServer::start(|_, _| bad_gateway()).await;
        let _ = server.client().delete_hook().hook_id(3).send().await;
        assert_eq!(server.count(), 3);
        assert!(server.requests().iter().all(|r| r.method == "DELETE"));
    })
    .await;
}

#[tokio::test]
async fn connect_errors_are_retried_for_get_until_the_server_is_up() {
    bounded(async {
        let addr = closed_port().await;
        // The server comes up ~300 ms after the first attempt fails.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
            let server = TestServer::start_on(listener, |_, _| tenants_page());
            tokio::time::sleep(Duration::from_secs(15)).await;
            drop(server);
        });
        let policy = RetryPolicy::default()
            .max_attempts(10)
            .initial_backoff(Duration::from_millis(200))
            .max_backoff(Duration::from_millis(200));
        let client = cro_api::Client::builder()
            .base_url(format!("http://{addr}"))
            .token(TOKEN)
            .retry_policy(policy)
            .build()
            .unwrap();
        let page = client.list_tenants().send().await.unwrap();
        assert_eq!(page.total_pages, 0);
    })
    .await;
}

#[tokio::test]
async fn connect_errors_exhaust_attempts_and_report_them() {
    bounded(async {
        let addr = closed_port().await;
        let client = cro_api::Client::builder()
            .base_url(format!("http://{addr}"))
            .token(TOKEN)
            .retry_policy(fast_retries())
            .build()
            .unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        assert_eq!(err.attempts(), Some(3));
        let text = err.to_string();
        assert!(
            text.starts_with("could not connect (list_tenants) after 3 attempts"),
            "{text}"
        );
        assert!(err.request_id().is_some());
    })
    .await;
}

#[tokio::test]
async fn post_is_retried_after_a_connect_error() {
    bounded(async {
        // Connect errors are safe for every method: the request never left.
        let addr = closed_port().await;
        let client = cro_api::Client::builder()
            .base_url(format!("http://{addr}"))
            .retry_policy(fast_retries())
            .build()
            .unwrap();
        let err = client
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        assert!(err.is_connect());
        assert_eq!(err.attempts(), Some(3));
    })
    .await;
}

#[tokio::test]
async fn slow_get_times_out_and_is_retried_but_post_is_not() {
    bounded(async {
        // The responder of `TestServer` cannot sleep; this server answers after 5 s.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(5)).await;
                tenants_page()
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let client = cro_api::Client::builder()
            .base_url(format!("http://{addr}"))
            .token(TOKEN)
            .request_timeout(Duration::from_millis(200))
            .retry_policy(fast_retries())
            .build()
            .unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(!err.is_deadline());
        assert_eq!(err.attempts(), Some(3));
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 3);

        let err = client
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        assert!(err.is_timeout());
        assert_eq!(err.attempts(), Some(1));
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 4);
    })
    .await;
}

#[tokio::test]
async fn overall_deadline_stops_retrying() {
    bounded(async {
        let server = TestServer::start(|_, _| bad_gateway()).await;
        let policy = RetryPolicy::default()
            .max_attempts(100)
            .initial_backoff(Duration::from_millis(200))
            .max_backoff(Duration::from_millis(200))
            .deadline(Some(Duration::from_millis(700)))
            .budget(None);
        let client = server.builder().retry_policy(policy).build().unwrap();
        let started = Instant::now();
        let err = client.list_tenants().send().await.unwrap_err();
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
        assert_eq!(err.retry_stop(), Some(RetryStop::Deadline));
        assert!(
            server.count() >= 2 && server.count() < 100,
            "{}",
            server.count()
        );
        assert_eq!(err.attempts(), Some(server.count() as u32));
    })
    .await;
}

#[tokio::test]
async fn overall_deadline_caps_a_slow_attempt() {
    bounded(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            tenants_page()
        });
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let client = cro_api::Client::builder()
            .base_url(format!("http://{addr}"))
            .token(TOKEN)
            .retry_policy(fast_retries().deadline(Some(Duration::from_millis(400))))
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(err.is_deadline(), "{err:?}");
        assert!(err.to_string().starts_with("deadline exceeded"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn retry_budget_stops_retries_after_repeated_failures() {
    bounded(async {
        let server = TestServer::start(|_, _| bad_gateway()).await;
        // 10 tokens, 5 per retry: two retries in total across calls, then none.
        let policy = fast_retries().budget(Some(RetryBudget::new(10, 5, 1)));
        let client = server.builder().retry_policy(policy).build().unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert_eq!(err.attempts(), Some(3));
        assert_eq!(client.state().retry_budget_available(), Some(0));
        // A clone shares the budget.
        let clone = client.with_tenant(8);
        let err = clone.list_tenants().send().await.unwrap_err();
        assert_eq!(err.attempts(), Some(1));
        assert_eq!(err.retry_stop(), Some(RetryStop::BudgetExhausted));
        assert!(err.to_string().contains("retry budget exhausted"), "{err}");
        assert_eq!(server.count(), 4);
    })
    .await;
}

#[tokio::test]
async fn successes_refill_the_budget() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            if i == 0 {
                bad_gateway()
            } else {
                tenants_page()
            }
        })
        .await;
        let policy = fast_retries().budget(Some(RetryBudget::new(10, 5, 1)));
        let client = server.builder().retry_policy(policy).build().unwrap();
        client.list_tenants().send().await.unwrap();
        assert_eq!(client.state().retry_budget_available(), Some(6));
    })
    .await;
}

#[tokio::test]
async fn retries_can_be_disabled() {
    bounded(async {
        let server = TestServer::start(|_, _| {
            with_header(json(429, serde_json::json!({})), "retry-after", "1")
        })
        .await;
        let client = server
            .builder()
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(800));
        assert_eq!(server.count(), 1);
        assert!(err.is_rate_limited());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
        assert_eq!(err.attempts(), Some(1));
    })
    .await;
}

#[tokio::test]
async fn non_retryable_statuses_are_returned_at_once() {
    bounded(async {
        let server =
            TestServer::start(|_, _| json(500, serde_json::json!({"detail": "Boom."}))).await;
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert_eq!(server.count(), 1);
        assert!(err.is_server_error());
        assert!(!err.is_retryable());
    })
    .await;
}

/// A success response whose body breaks off mid-stream (the connection is reset after some
/// bytes) is an attempt failure: a GET is sent again and the second, whole body is decoded.
#[tokio::test]
async fn body_cut_off_mid_stream_is_retried_for_get() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            if i == 0 {
                let chunks: Vec<Result<&'static str, std::io::Error>> = vec![
                    Ok(r#"{"current_page": 1, "current_limit": 100, "#),
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "cut",
                    )),
                ];
                let body = axum::body::Body::from_stream(futures::stream::iter(chunks));
                raw(200, "application/json", body)
            } else {
                tenants_page()
            }
        })
        .await;
        let page = server.client().list_tenants().send().await.unwrap();
        assert_eq!(page.total_count, 0);
        assert_eq!(server.count(), 2);
    })
    .await;
}

/// The same cut-off body on a POST is not re-sent: the server may have acted on it.
#[tokio::test]
async fn body_cut_off_mid_stream_is_not_retried_for_post() {
    bounded(async {
        let server = TestServer::start(|_, _| {
            let chunks: Vec<Result<&'static str, std::io::Error>> = vec![
                Ok(r#"{"id": 1, "#),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "cut",
                )),
            ];
            raw(
                200,
                "application/json",
                axum::body::Body::from_stream(futures::stream::iter(chunks)),
            )
        })
        .await;
        let body = cro_api::types::CreateWebhookModel::builder()
            .events(vec![cro_api::types::HookEvent::Customer])
            .url("https://hooks.example.test/cro");
        let result = server.client().create_hook().body(body).send().await;
        assert!(result.is_err());
        assert_eq!(server.count(), 1);
    })
    .await;
}
