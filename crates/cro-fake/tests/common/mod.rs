//! Shared helpers of the API integration tests: start a fake, call it, check answers against
//! the spec.
#![allow(dead_code)]

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use cro_fake::versions::Version;
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

/// Every test is bounded in time.
pub async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test timed out")
}

pub async fn start(config: FakeConfig) -> RunningFake {
    FakeServer::start(config).await.expect("fake starts")
}

pub async fn start_default() -> RunningFake {
    start(FakeConfig::default()).await
}

/// One HTTP client for all tests of a binary (building one loads TLS roots: slow in debug).
pub static HTTP: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);

/// A small client bound to one fake, token and tenant.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
    pub tenant: Option<i64>,
    pub version: Option<&'static str>,
}

impl Api {
    pub fn new(fake: &RunningFake, role: &str) -> Api {
        Api {
            http: HTTP.clone(),
            base: fake.base_url().to_owned(),
            token: fake.token(role),
            tenant: Some(fake.tenant_ids()[0]),
            version: Some("2023/04/19"),
        }
    }

    pub fn tenant(mut self, t: Option<i64>) -> Api {
        self.tenant = t;
        self
    }

    pub fn version(mut self, v: Option<&'static str>) -> Api {
        self.version = v;
        self
    }

    pub fn token(mut self, t: Option<String>) -> Api {
        self.token = t;
        self
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let mut r = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            r = r.header("authorization", format!("bearer {t}"));
        }
        if let Some(t) = self.tenant {
            r = r.header("x-tenant-id", t.to_string());
        }
        if let Some(v) = self.version {
            r = r.header("x-api-version", v);
        }
        r
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.expect("request")
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut r = self.req(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.expect("request")
    }

    /// GET and decode, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let r = self.get(path).await;
        expect_json(r, status).await
    }
}

pub async fn expect_json(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let url = r.url().to_string();
    let text = r.text().await.expect("body");
    let short: String = text.chars().take(600).collect();
    assert_eq!(got, status, "{url}: {short}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {text}"))
}

/// Checks a 200 body against the operation's response schema at `version`.
pub fn conforms(op_id: &str, body: &Value, version: &str) {
    let spec = cro_fake::spec::spec();
    let op = spec
        .op(op_id)
        .unwrap_or_else(|| panic!("{op_id} not in spec"));
    let schema = op.response.as_ref().expect("json response");
    let v = Version::parse(version).expect("version");
    if let Err(e) = cro_fake::validate::check(
        spec,
        schema,
        body,
        "Response",
        Some(v),
        cro_fake::validate::Unknown::Strict,
    ) {
        panic!("{op_id} @ {version}: {}: {}\n{body:#}", e.field, e.detail);
    }
}

/// Checks an error answer: status, reason phrase `field: detail`, and the JSON body.
pub async fn expect_error(r: Response, status: u16, field: &str) -> Value {
    let body = expect_json(r, status).await;
    assert_eq!(body["field"], field, "{body}");
    assert!(body["detail"].is_string() && body["explanation"].is_string());
    body
}

/// Sends a raw HTTP/1.1 request and returns the status line exactly as received (reqwest hides
/// the reason phrase).
pub async fn raw_status_line(addr: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(2).any(|w| w == b"\r\n") {
        let n = s.read(&mut chunk).await.expect("read");
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    text.split("\r\n").next().unwrap_or_default().to_owned()
}

/// Ids of a page's results (`customer_id` or `id`).
pub fn ids(page: &Value) -> Vec<i64> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            r.get("id")
                .or_else(|| r.get("customer_id"))
                .and_then(Value::as_i64)
                .expect("id")
        })
        .collect()
}

/// A valid `CreateCustomerModel` body.
pub fn new_customer(name: &str, line_1: &str) -> Value {
    serde_json::json!({
        "name": name,
        "addresses": [{"country": "US", "is_billing": true, "is_shipping": true,
            "latitude": 47.0, "line_1": line_1, "locality": "Olympia",
            "longitude": -122.9, "postcode": "98501", "region": "WA"}],
        "contacts": [{"name": "Pat Test", "email": "pat@test.example", "number": "(360) 555-0101"}]
    })
}
