//! A tiny local list server for the paging tests.
//!
//! It serves two lists and records every page request it sees:
//! - `GET /tenants`: the paged envelope, items `TenantModel` with ids 1..=total;
//! - `GET /locations/{id}/materials`: a bare JSON array of `MaterialModel`, ids 1..=total.
//!
//! A [`Scenario`] (replaceable between walks) sets the list size and injects faults: an
//! error status on page k, a wrong `current_page` echo, a change of `total_count` from
//! page k on, per-page delays (to make prefetched responses arrive out of order), and
//! verbatim bodies for chosen pages (exact bytes, or broken JSON).

#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// What the server serves, and which faults it injects.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// Number of items in the list.
    pub total: u64,
    /// Answer this page with `400` and an error body.
    pub error_on_page: Option<u32>,
    /// On page `.0`, report `current_page = .1` (bare arrays: serve page `.1`'s items).
    pub echo: Option<(u32, u64)>,
    /// From page `.0` on, the list holds `total + .1` items (may be negative).
    pub drift: Option<(u32, i64)>,
    /// Delay the answer to a page by this many milliseconds.
    pub delays_ms: HashMap<u32, u64>,
    /// Answer this page `200` with exactly this body (any text, valid JSON or not).
    pub raw_bodies: HashMap<u32, String>,
    /// From page `.0` on, pages start `.1` items earlier, as offset paging does when rows are
    /// inserted ahead of the walk (the totals do not change): items repeat, the last go
    /// missing.
    pub shift: Option<(u32, u64)>,
}

impl Scenario {
    /// A list of `total` items, no faults.
    pub fn items(total: u64) -> Self {
        Scenario {
            total,
            ..Scenario::default()
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    scenario: Scenario,
    /// (path, page_index, page_limit) in arrival order.
    requests: Vec<(String, u32, u32)>,
    in_flight: usize,
    max_in_flight: usize,
}

/// A running server.
#[derive(Clone)]
pub struct TestServer {
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
}

impl TestServer {
    /// Start a server on 127.0.0.1:0 serving `scenario`.
    pub async fn start(scenario: Scenario) -> TestServer {
        let inner = Arc::new(Mutex::new(Inner {
            scenario,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/tenants", get(tenants))
            .route("/locations/{location_id}/materials", get(materials))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestServer {
            base_url: format!("http://{addr}"),
            inner,
        }
    }

    /// Replace the scenario and forget the recorded requests.
    pub fn reset(&self, scenario: Scenario) {
        let mut inner = self.inner.lock().unwrap();
        inner.scenario = scenario;
        inner.requests.clear();
        inner.max_in_flight = 0;
    }

    /// The (page_index, page_limit) pairs requested, in arrival order.
    pub fn requests(&self) -> Vec<(u32, u32)> {
        let inner = self.inner.lock().unwrap();
        inner.requests.iter().map(|(_, p, l)| (*p, *l)).collect()
    }

    /// The paths requested, in arrival order.
    pub fn paths(&self) -> Vec<String> {
        let inner = self.inner.lock().unwrap();
        inner
            .requests
            .iter()
            .map(|(path, _, _)| path.clone())
            .collect()
    }

    /// Most requests seen in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.inner.lock().unwrap().max_in_flight
    }

    /// A client for this server: no retries (faults must surface once), any token.
    pub fn client(&self) -> cro_api::Client {
        client_for(&self.base_url)
    }
}

/// A client for `base_url` (see [`TestServer::client`]); usable outside any runtime.
pub fn client_for(base_url: &str) -> cro_api::Client {
    cro_api::Client::builder()
        .base_url(base_url)
        .allow_insecure_http(true)
        .token("test-token")
        .check_token_shape(false)
        .tenant_id(7)
        .retry_policy(cro_api::RetryPolicy::disabled())
        .build()
        .expect("test client")
}

/// What a handler decided for one request, computed under the lock.
struct Plan {
    page: u32,
    limit: u32,
    total: u64,
    echo: u64,
    error: bool,
    delay: Duration,
    raw_body: Option<String>,
    shift: u64,
}

fn plan(inner: &Arc<Mutex<Inner>>, path: &str, query: &HashMap<String, String>) -> Plan {
    let page = query
        .get("page_index")
        .map_or(1, |v| v.parse().expect("page_index"));
    let limit = query
        .get("page_limit")
        .map_or(100, |v| v.parse().expect("page_limit"));
    let mut inner = inner.lock().unwrap();
    inner.requests.push((path.to_owned(), page, limit));
    inner.in_flight += 1;
    inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
    let s = &inner.scenario;
    let total = match s.drift {
        Some((from, delta)) if page >= from => s.total.saturating_add_signed(delta),
        _ => s.total,
    };
    let echo = match s.echo {
        Some((on, value)) if on == page => value,
        _ => u64::from(page),
    };
    Plan {
        page,
        limit,
        total,
        echo,
        error: s.error_on_page == Some(page),
        delay: Duration::from_millis(s.delays_ms.get(&page).copied().unwrap_or(0)),
        raw_body: s.raw_bodies.get(&page).cloned(),
        shift: match s.shift {
            Some((from, rows)) if page >= from => rows,
            _ => 0,
        },
    }
}

/// Ids of page `page` of `limit` items in a list of `total`, shifted back by `shift`.
fn ids(page: u32, limit: u32, total: u64, shift: u64) -> std::ops::RangeInclusive<u64> {
    let first = (u64::from(page - 1) * u64::from(limit)).saturating_sub(shift) + 1;
    let last = (u64::from(page) * u64::from(limit))
        .saturating_sub(shift)
        .min(total);
    first..=last
}

async fn finish(inner: &Arc<Mutex<Inner>>, plan: &Plan, body: Value) -> Response {
    tokio::time::sleep(plan.delay).await;
    inner.lock().unwrap().in_flight -= 1;
    if plan.error {
        let error = json!({"detail": "injected failure", "explanation": "test"});
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    }
    if let Some(raw) = &plan.raw_body {
        let content_type = [(axum::http::header::CONTENT_TYPE, "application/json")];
        return (StatusCode::OK, content_type, raw.clone()).into_response();
    }
    Json(body).into_response()
}

async fn tenants(
    State(inner): State<Arc<Mutex<Inner>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let plan = plan(&inner, "/tenants", &query);
    let results: Vec<Value> = ids(plan.page, plan.limit, plan.total, plan.shift)
        .map(tenant)
        .collect();
    let body = json!({
        "current_page": plan.echo,
        "current_limit": plan.limit,
        "total_pages": plan.total.div_ceil(u64::from(plan.limit)),
        "total_count": plan.total,
        "results": results,
    });
    finish(&inner, &plan, body).await
}

async fn materials(
    State(inner): State<Arc<Mutex<Inner>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let plan = plan(&inner, "/locations/1/materials", &query);
    // No page number in a bare array: the echo fault serves the echoed page's items.
    let page = u32::try_from(plan.echo).unwrap();
    let body: Vec<Value> = ids(page, plan.limit, plan.total, plan.shift)
        .map(material)
        .collect();
    finish(&inner, &plan, Value::Array(body)).await
}

fn tenant(id: u64) -> Value {
    json!({
        "address": "1 Main St.",
        "city": "Sequim",
        "code": format!("T{id}"),
        "created_on": "2022-08-20T01:10:52.307000",
        "email": "ops@example.com",
        "id": id,
        "is_active": true,
        "name": format!("Tenant {id}"),
        "phone": "3605550100",
        "state": "WA",
        "truck_limit": null,
        "zip": "98368",
    })
}

fn material(id: u64) -> Value {
    json!({
        "created_on": "2022-08-20T01:10:52.307000",
        "description": format!("Material {id}"),
        "factor": 1.0,
        "group_description": "Waste",
        "id": id,
        "line_item_id": 10,
        "location_id": 1,
        "name": format!("Material {id}"),
        "unit_price": 12.5,
        "uom": "ton",
    })
}

/// Bound every test: a paging bug is an endless loop more often than a failure.
pub async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("test timed out")
}

/// Run blocking code (a blocking iterator) on a runtime worker thread, bounded like
/// [`bounded`]: awaiting the task keeps the timeout running even though `f` blocks.
pub async fn in_worker<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    bounded(tokio::spawn(async move { f() }))
        .await
        .expect("worker task panicked")
}
