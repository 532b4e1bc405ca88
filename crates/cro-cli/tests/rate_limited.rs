//! Exact output under every rate-limited mode of `cro-fake`: `cro export customers`, with its
//! default settings, against an in-process fake that answers list pages slowly and refuses
//! requests beyond a limit (in flight, or per second) with `429` + `Retry-After`.
//!
//! A 429 is back-pressure, not a failure: every cell must exit 0 with every customer exactly
//! once (checked by id against a walk of an unthrottled fake with the same seed). The number
//! of 429s the fake sent is printed (`cargo test -- --nocapture`), not asserted: how few a
//! client provokes is a benchmark figure (`cargo xtask bench --rate-limited`), not a test.
//!
//! Small data (2,000 customers, pages of 100: 20 pages), 50 ms per page, `Retry-After: 1`,
//! and every run bounded (`RUN_TIMEOUT`).

mod common;
use common::{record_id, run_with_timeout};
use cro_fake::{FakeConfig, FakeServer, RunningFake, ThrottlePlan};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Customers per tenant in every fake of this file.
const CUSTOMERS: u64 = 2_000;
/// Page size of the exports (20 pages).
const PAGE_SIZE: &str = "100";
/// Page latency of every mode.
const PAGE_LATENCY: Duration = Duration::from_millis(50);
/// Deadline of one `cro` run; far above the slowest expected run (a few seconds).
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// A fake on its own runtime (its workers serve while the test thread waits for `cro`).
struct Server {
    // Dropped before the runtime it runs on.
    fake: RunningFake,
    rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(throttle: ThrottlePlan) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let config = FakeConfig::default()
            .with_customers(CUSTOMERS)
            .with_throttle(throttle);
        let fake = rt
            .block_on(FakeServer::start(config))
            .expect("the fake starts");
        Server { fake, rt }
    }

    fn token(&self) -> String {
        self.fake.token("Admin").expect("seeded Admin token")
    }

    fn tenant(&self) -> i64 {
        self.fake.tenant_ids()[0]
    }
}

/// The ids the export must produce: every customer of the first tenant, read page by page
/// from an unthrottled fake with the same seed and size (with a plain HTTP client, so the
/// oracle shares no code with the client under test). Computed once per test binary.
fn expected_ids() -> &'static BTreeSet<i64> {
    static IDS: OnceLock<BTreeSet<i64>> = OnceLock::new();
    IDS.get_or_init(|| {
        let server = Server::start(ThrottlePlan::default());
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        let mut ids = BTreeSet::new();
        let mut listed = 0u64;
        for page in 1.. {
            let request = http
                .get(format!(
                    "{}/customers?page_index={page}&page_limit=1000",
                    server.fake.base_url()
                ))
                .header("authorization", format!("bearer {}", server.token()))
                .header("x-tenant-id", server.tenant().to_string())
                .header("x-api-version", cro_api::meta::LATEST_API_VERSION);
            let body: Value = server
                .rt
                .block_on(async move { request.send().await?.error_for_status()?.json().await })
                .expect("reference page");
            let results = body["results"].as_array().expect("results");
            listed += results.len() as u64;
            ids.extend(results.iter().map(record_id));
            if results.is_empty() || body["current_page"] == body["total_pages"] {
                break;
            }
        }
        assert_eq!(listed, CUSTOMERS, "reference walk");
        assert_eq!(ids.len() as u64, CUSTOMERS, "reference ids are unique");
        ids
    })
}

/// Exports every customer through a fake throttled by `throttle` and checks the output is
/// exactly the expected ids.
fn export_exactly(name: &str, throttle: ThrottlePlan) {
    let expected = expected_ids();
    let server = Server::start(throttle);
    let token = server.token();
    let config_dir = tempfile::tempdir().expect("config dir");
    let out_dir = tempfile::tempdir().expect("output dir");
    let file = out_dir.path().join("customers.ndjson");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cro"));
    for var in ["CRO_API_VERSION", "CRO_PROFILE", "CRO_CLIENT_SECRET"] {
        cmd.env_remove(var);
    }
    cmd.env("CRO_CONFIG_DIR", config_dir.path())
        .env("CRO_BASE_URL", server.fake.base_url())
        .env("CRO_TOKEN", &token)
        .env("CRO_TENANT_ID", server.tenant().to_string())
        .args(["export", "customers", "--format", "ndjson"])
        .args(["--page-size", PAGE_SIZE, "--output"])
        .arg(&file);
    let started = Instant::now();
    let output = run_with_timeout(cmd, RUN_TIMEOUT);
    let elapsed = started.elapsed();
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let counts = server.fake.throttle_counts();
    let context = format!("[{name}] exit {code}, throttle {counts:?}\n--- stderr\n{stderr}");
    assert!(!stderr.contains("panicked"), "cro panicked {context}");
    assert!(!stderr.contains(&token), "cro printed the token {context}");
    assert_eq!(code, 0, "a rate-limited export must succeed {context}");

    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("exit 0 but no output file ({e}) {context}"));
    let ids: Vec<i64> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("bad NDJSON line ({e}) {context}"));
            record_id(&v)
        })
        .collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    let missing = expected.difference(&unique).count();
    let extra = unique.difference(expected).count();
    let repeated = ids.len() - unique.len();
    assert!(
        (missing, extra, repeated) == (0, 0, 0),
        "{missing} ids missing, {extra} unexpected, {repeated} repeated {context}"
    );
    // The limits held (the fake's own invariant, checked where a real client pushes it).
    if let Some(max) = server.fake.config().throttle.max_in_flight {
        assert!(counts.peak_in_flight <= u64::from(max), "{context}");
    }
    eprintln!(
        "rate limited: {name:<40} -> exact, {} pages admitted, {} x 429, peak {} in flight, {:.1} s",
        counts.admitted,
        counts.refused(),
        counts.peak_in_flight,
        elapsed.as_secs_f64()
    );
}

#[test]
fn two_in_flight() {
    export_exactly(
        "2 in flight, Retry-After 1",
        ThrottlePlan {
            page_latency: PAGE_LATENCY,
            max_in_flight: Some(2),
            retry_after_secs: 1,
            ..ThrottlePlan::default()
        },
    );
}

#[test]
fn four_in_flight() {
    export_exactly(
        "4 in flight, Retry-After 1",
        ThrottlePlan {
            page_latency: PAGE_LATENCY,
            max_in_flight: Some(4),
            retry_after_secs: 1,
            ..ThrottlePlan::default()
        },
    );
}

#[test]
fn requests_per_second() {
    export_exactly(
        "5 requests/s, Retry-After 1",
        ThrottlePlan {
            page_latency: PAGE_LATENCY,
            rate_limit: Some(5),
            retry_after_secs: 1,
            ..ThrottlePlan::default()
        },
    );
}

#[test]
fn in_flight_and_rate_together() {
    export_exactly(
        "2 in flight and 8 requests/s, Retry-After 1",
        ThrottlePlan {
            page_latency: PAGE_LATENCY,
            max_in_flight: Some(2),
            rate_limit: Some(8),
            retry_after_secs: 1,
            ..ThrottlePlan::default()
        },
    );
}
