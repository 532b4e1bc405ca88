//! Each injected fault, against a tiny axum app wrapped in the fault layer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Extension, Query};
use axum::routing::{get, post};
use cro_fake::faults::{
    self, Burst, Drift, FaultArgs, FaultCounts, FaultPlan, FaultScope, FaultState, SlowPage,
    TotalCountDrift,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A list endpoint whose body is a paged envelope with `total_count` adjusted by the drift the
/// layer hands over, like the fake's paging does.
async fn list(
    Query(q): Query<std::collections::HashMap<String, String>>,
    drift: Option<Extension<TotalCountDrift>>,
) -> axum::Json<serde_json::Value> {
    let page: i64 = q
        .get("page_index")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let drift = drift.map_or(0, |Extension(TotalCountDrift(d))| d);
    let results: Vec<_> = (0..50)
        .map(|i| serde_json::json!({"id": page * 100 + i, "name": format!("Customer {i}")}))
        .collect();
    axum::Json(serde_json::json!({
        "current_page": page,
        "current_limit": 50,
        "total_count": 500 + drift,
        "total_pages": 10,
        "results": results,
    }))
}

struct App {
    base: String,
    state: Arc<FaultState>,
    http: reqwest::Client,
}

async fn start(plan: FaultPlan) -> App {
    let state = Arc::new(FaultState::new(plan));
    let app = Router::new()
        .route(
            "/locations/{id}/customers",
            get(list).post(|| async { "created" }),
        )
        .route("/customers/{id}", get(|| async { "one" }))
        .route("/tenants", get(list))
        .route("/echo", post(|| async { "posted" }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            faults::middleware,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    App {
        base: format!("http://{addr}"),
        state,
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
    }
}

impl App {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }
    async fn get_with(&self, path: &str, fault: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("x-cro-fake-fault", fault)
            .send()
            .await
            .expect("request")
    }
    async fn statuses(&self, path: &str, n: usize) -> Vec<u16> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.get(path).await.status().as_u16());
        }
        out
    }
}

const LIST: &str = "/locations/1/customers";

#[tokio::test]
async fn rate_limit_every_nth_with_retry_after_and_error_body() {
    let app = start(FaultPlan {
        rate_limit_every: Some(3),
        retry_after_secs: 2,
        ..FaultPlan::default()
    })
    .await;
    assert_eq!(app.statuses(LIST, 6).await, [200, 200, 429, 200, 200, 429]);
    let resp = app.get(LIST).await;
    assert_eq!(resp.status().as_u16(), 200);
    app.get(LIST).await;
    let resp = app.get(LIST).await; // request 9
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    let body: serde_json::Value = resp.json().await.expect("error body");
    assert_eq!(body["detail"], "Too many requests; retry after 2 seconds.");
    assert!(body["explanation"].is_string());
    assert_eq!(app.state.injected().rate_limited, 3);
    assert_eq!(app.state.injected().eligible, 9);
}

#[tokio::test]
async fn reason_phrase_carries_the_message() {
    let app = start(FaultPlan {
        rate_limit_every: Some(1),
        retry_after_secs: 1,
        ..FaultPlan::default()
    })
    .await;
    let addr = app.base.trim_start_matches("http://");
    let mut sock = tokio::net::TcpStream::connect(addr).await.expect("connect");
    sock.write_all(
        format!("GET {LIST} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("write");
    let mut raw = Vec::new();
    sock.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.starts_with("HTTP/1.1 429 Too many requests; retry after 1 seconds.\r\n"),
        "{text}"
    );
}

#[tokio::test]
async fn only_list_gets_are_faulted_by_default() {
    let app = start(FaultPlan {
        rate_limit_every: Some(1),
        ..FaultPlan::default()
    })
    .await;
    assert_eq!(app.get("/customers/5").await.status().as_u16(), 200);
    let post = app
        .http
        .post(format!("{}{LIST}", app.base))
        .send()
        .await
        .expect("post");
    assert_eq!(post.status().as_u16(), 200);
    assert_eq!(app.get(LIST).await.status().as_u16(), 429);
    assert_eq!(app.state.injected().eligible, 1);
    assert_eq!(app.state.injected().requests, 3);
}

#[tokio::test]
async fn scope_all_faults_writes_too() {
    let app = start(FaultPlan {
        rate_limit_every: Some(1),
        scope: FaultScope::All,
        ..FaultPlan::default()
    })
    .await;
    let post = app
        .http
        .post(format!("{}/echo", app.base))
        .send()
        .await
        .expect("post");
    assert_eq!(post.status().as_u16(), 429);
}

#[tokio::test]
async fn global_5xx_burst() {
    let app = start(FaultPlan {
        bursts: vec![Burst {
            start: 2,
            len: 3,
            status: 503,
            path_prefix: None,
        }],
        ..FaultPlan::default()
    })
    .await;
    assert_eq!(app.statuses(LIST, 6).await, [200, 503, 503, 503, 200, 200]);
    let c = app.state.injected();
    assert_eq!(c.server_errors, 3);
    assert_eq!(c.rate_limited, 0);
}

#[tokio::test]
async fn burst_counted_per_path_prefix() {
    let app = start(FaultPlan {
        bursts: vec!["2:2:502:/tenants".parse().expect("burst")],
        ..FaultPlan::default()
    })
    .await;
    // Requests to other lists neither fail nor advance the burst's counter.
    assert_eq!(app.statuses(LIST, 3).await, [200, 200, 200]);
    assert_eq!(app.statuses("/tenants", 4).await, [200, 502, 502, 200]);
    assert_eq!(app.state.injected().server_errors, 2);
}

#[tokio::test]
async fn seeded_percentage_repeats_per_seed() {
    let plan = FaultPlan {
        seed: 7,
        random_5xx_percent: 40,
        ..FaultPlan::default()
    };
    let a = start(plan.clone()).await.statuses(LIST, 30).await;
    let b = start(plan).await.statuses(LIST, 30).await;
    assert_eq!(a, b);
    assert!(a.iter().any(|&s| s >= 500) && a.contains(&200), "{a:?}");
}

#[tokio::test]
async fn latency_and_slow_page() {
    let app = start(FaultPlan {
        latency: Duration::from_millis(50),
        slow_pages: vec![SlowPage {
            page: 3,
            delay: Duration::from_millis(300),
        }],
        ..FaultPlan::default()
    })
    .await;
    let t = Instant::now();
    assert_eq!(app.get(LIST).await.status().as_u16(), 200);
    let first = t.elapsed();
    assert!(first >= Duration::from_millis(50), "{first:?}");
    assert!(first < Duration::from_millis(300), "{first:?}");
    let t = Instant::now();
    app.get(&format!("{LIST}?page_index=3&page_limit=50")).await;
    assert!(
        t.elapsed() >= Duration::from_millis(350),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(app.state.injected().delayed, 2);
}

#[tokio::test]
async fn drop_mid_body_sends_headers_then_resets() {
    let app = start(FaultPlan {
        drop_mid_body_every: Some(2),
        ..FaultPlan::default()
    })
    .await;
    assert!(app.get(LIST).await.bytes().await.is_ok());
    let resp = app.get(LIST).await;
    // Headers arrive intact: the failure only shows while reading the body.
    assert_eq!(resp.status().as_u16(), 200);
    let declared: usize = resp.headers()["content-length"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    assert!(declared > 1000);
    let err = resp.bytes().await.expect_err("body must fail");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    assert_eq!(app.state.injected().dropped_mid_body, 1);
}

#[tokio::test]
async fn drop_mid_body_on_the_wire() {
    let app = start(FaultPlan::default()).await;
    let addr = app.base.trim_start_matches("http://");
    let mut sock = tokio::net::TcpStream::connect(addr).await.expect("connect");
    sock.write_all(
        format!("GET {LIST} HTTP/1.1\r\nhost: {addr}\r\nx-cro-fake-fault: drop-mid-body\r\n\r\n")
            .as_bytes(),
    )
    .await
    .expect("write");
    let mut raw = Vec::new();
    // The connection ends (EOF or reset) before the declared length arrives.
    let _ = sock.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("headers were sent");
    let declared: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .parse()
        .expect("number");
    assert!(!body.is_empty(), "part of the body was sent");
    assert!(body.len() < declared, "{} of {declared}", body.len());
}

#[tokio::test]
async fn truncate_sends_valid_http_with_cut_json() {
    let app = start(FaultPlan {
        truncate_body_every: Some(1),
        ..FaultPlan::default()
    })
    .await;
    let resp = app.get(LIST).await;
    assert_eq!(resp.status().as_u16(), 200);
    let declared: usize = resp.headers()["content-length"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    let body = resp
        .bytes()
        .await
        .expect("the HTTP message itself is complete");
    assert_eq!(body.len(), declared);
    let err = serde_json::from_slice::<serde_json::Value>(&body).expect_err("cut JSON");
    assert!(err.is_eof(), "{err}");
    assert_eq!(app.state.injected().truncated, 1);
}

#[tokio::test]
async fn total_count_drift_after_request_k() {
    let app = start(FaultPlan {
        total_count_drift: Some(Drift {
            after_request: 2,
            delta: 7,
        }),
        ..FaultPlan::default()
    })
    .await;
    let mut totals = Vec::new();
    for page in 1..=4 {
        let v: serde_json::Value = app
            .get(&format!("{LIST}?page_index={page}"))
            .await
            .json()
            .await
            .expect("json");
        totals.push(v["total_count"].as_i64().expect("total"));
    }
    assert_eq!(totals, [500, 500, 507, 507]);
    assert_eq!(app.state.total_count_drift(), 7);
    assert_eq!(app.state.injected().drifted, 2);
}

#[tokio::test]
async fn header_faults_work_on_any_request() {
    let app = start(FaultPlan::default()).await;
    let r = app.get_with("/customers/1", "status=503").await;
    assert_eq!(r.status().as_u16(), 503);
    let r = app.get_with(LIST, "retry-after=1;status=429").await;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let r = app.get_with(LIST, "truncate").await;
    assert!(serde_json::from_slice::<serde_json::Value>(&r.bytes().await.expect("body")).is_err());
    let r = app.get_with(LIST, "drift=-5").await;
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["total_count"], 495);
    let t = Instant::now();
    let r = app.get_with(LIST, "latency-ms=120").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(t.elapsed() >= Duration::from_millis(120));
    let r = app.get_with(LIST, "explode").await;
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["field"], "x-cro-fake-fault");

    let c = app.state.injected();
    assert_eq!(
        c,
        FaultCounts {
            requests: 6,
            eligible: 4,
            rate_limited: 1,
            server_errors: 1,
            client_errors: 0,
            delayed: 1,
            dropped_mid_body: 0,
            truncated: 1,
            drifted: 1,
        }
    );
}

#[tokio::test]
async fn header_can_be_ignored() {
    let app = start(FaultPlan {
        ignore_fault_header: true,
        ..FaultPlan::default()
    })
    .await;
    assert_eq!(
        app.get_with(LIST, "status=503").await.status().as_u16(),
        200
    );
}

#[test]
fn command_line_flags_build_a_plan() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        faults: FaultArgs,
    }
    let cli = Cli::try_parse_from([
        "cro-fake",
        "--fault-429-every",
        "5",
        "--retry-after",
        "3",
        "--fault-5xx-burst",
        "10:2:503",
        "--fault-5xx-burst",
        "1:1:500:/tenants",
        "--latency-ms",
        "15",
        "--slow-page",
        "2:1000",
        "--drop-mid-body-every",
        "7",
        "--truncate-body-every",
        "11",
        "--total-count-drift",
        "4:-3",
        "--fault-seed",
        "9",
    ])
    .expect("flags parse");
    let plan = FaultPlan::from(cli.faults);
    assert_eq!(plan.rate_limit_every, Some(5));
    assert_eq!(plan.retry_after_secs, 3);
    assert_eq!(plan.bursts.len(), 2);
    assert_eq!(plan.bursts[1].path_prefix.as_deref(), Some("/tenants"));
    assert_eq!(plan.latency, Duration::from_millis(15));
    assert_eq!(plan.slow_pages[0].page, 2);
    assert_eq!(plan.drop_mid_body_every, Some(7));
    assert_eq!(plan.truncate_body_every, Some(11));
    assert_eq!(
        plan.total_count_drift,
        Some(Drift {
            after_request: 4,
            delta: -3
        })
    );
    assert_eq!(plan.seed, 9);
    assert!(!plan.is_quiet());
    assert!(FaultPlan::from(Cli::try_parse_from(["x"]).expect("defaults").faults).is_quiet());
    assert!(Cli::try_parse_from(["x", "--fault-429-every", "0"]).is_err());
    assert!(Cli::try_parse_from(["x", "--fault-5xx-burst", "1:1:404"]).is_err());
}

/// The plan and the header reach the real fake's list endpoints, and only those.
#[tokio::test]
async fn the_fake_server_applies_a_plan() {
    let fake =
        cro_fake::FakeServer::start(cro_fake::FakeConfig::default().with_faults(FaultPlan {
            rate_limit_every: Some(2),
            retry_after_secs: 3,
            ..FaultPlan::default()
        }))
        .await
        .expect("fake starts");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let get = |path: &str, fault: Option<&str>| {
        let mut req = http
            .get(format!("{}{path}", fake.base_url()))
            .bearer_auth(fake.token("Admin").expect("admin token"))
            .header("x-tenant-id", fake.tenant_ids()[0]);
        if let Some(f) = fault {
            req = req.header("x-cro-fake-fault", f);
        }
        req.send()
    };
    assert_eq!(
        get("/customers", None)
            .await
            .expect("call")
            .status()
            .as_u16(),
        200
    );
    let limited = get("/customers", None).await.expect("call");
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "3");
    assert!(limited.headers().contains_key("x-request-id"));
    // A single read is not a list: never rate limited by the plan.
    assert_eq!(
        get("/customers/1", None)
            .await
            .expect("call")
            .status()
            .as_u16(),
        200
    );
    // Request 3 is not a multiple of 2, so only the header's fault applies.
    let dropped = get("/customers", Some("drop-mid-body"))
        .await
        .expect("call");
    assert_eq!(dropped.status().as_u16(), 200);
    assert!(dropped.bytes().await.is_err());
    let c = fake.faults_injected();
    assert_eq!((c.rate_limited, c.dropped_mid_body, c.eligible), (1, 1, 3));
}
