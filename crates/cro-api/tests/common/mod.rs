//! A tiny loopback HTTP server for the client tests: it records every request and answers
//! with whatever the test's responder returns.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use tokio::net::TcpListener;

/// A token that matches the documented shape; tests assert it never leaks.
pub const TOKEN: &str = "eyJTOPSECRETHEADER.eyJTOPSECRETPAYLOAD.TOPSECRETSIGNATURE";

/// Every test is bounded by this.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Run a test body with a timeout, failing clearly instead of hanging.
pub async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_TIMEOUT, f)
        .await
        .expect("test exceeded its time limit")
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Responder = Arc<dyn Fn(&Recorded, usize) -> Response + Send + Sync>;

#[derive(Clone)]
struct ServerState {
    requests: Arc<Mutex<Vec<Recorded>>>,
    responder: Responder,
}

/// The running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    /// Start on a fresh loopback port; `responder(request, index)` answers request number
    /// `index` (0-based).
    pub async fn start(
        responder: impl Fn(&Recorded, usize) -> Response + Send + Sync + 'static,
    ) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        TestServer::start_on(listener, responder)
    }

    /// Start on an existing listener.
    pub fn start_on(
        listener: TcpListener,
        responder: impl Fn(&Recorded, usize) -> Response + Send + Sync + 'static,
    ) -> TestServer {
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = ServerState {
            requests: Arc::clone(&requests),
            responder: Arc::new(responder),
        };
        let app = Router::new().fallback(handle).with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            addr,
            url: format!("http://{addr}"),
            requests,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// A client for this server with the test token and tenant 7, retries with short waits.
    pub fn client(&self) -> cro_api::Client {
        self.builder().build().expect("client")
    }

    pub fn builder(&self) -> cro_api::ClientBuilder {
        cro_api::Client::builder()
            .base_url(&self.url)
            .token(TOKEN)
            .tenant_id(7)
            .retry_policy(fast_retries())
    }
}

/// Default policy with tiny backoff so tests run fast.
pub fn fast_retries() -> cro_api::RetryPolicy {
    cro_api::RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(20))
}

async fn handle(State(state): State<ServerState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        at: Instant::now(),
    };
    let index = {
        let mut requests = state.requests.lock().unwrap();
        requests.push(recorded.clone());
        requests.len() - 1
    };
    (state.responder)(&recorded, index)
}

/// A JSON response.
pub fn json(status: u16, value: serde_json::Value) -> Response {
    raw(status, "application/json", value.to_string())
}

/// Any body with a content type.
pub fn raw(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_str(content_type).unwrap());
    response
}

/// Put the API's message in the status line, as the CRO server does.
pub fn with_reason(mut response: Response, reason: &str) -> Response {
    let phrase = hyper::ext::ReasonPhrase::try_from(reason.as_bytes().to_vec()).unwrap();
    response.extensions_mut().insert(phrase);
    response
}

pub fn with_header(mut response: Response, name: &'static str, value: &str) -> Response {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_str(value).unwrap());
    response
}

/// An empty page of tenants (a valid `list_tenants` success body).
pub fn tenants_page() -> Response {
    json(
        200,
        serde_json::json!({
            "current_page": 1, "current_limit": 100, "total_pages": 0, "total_count": 0,
            "results": []
        }),
    )
}

/// The documented error body.
pub fn error_body(status: u16, field: &str, detail: &str) -> Response {
    json(
        status,
        serde_json::json!({
            "field": field,
            "detail": detail,
            "explanation": "The resource could not be accessed."
        }),
    )
}

/// A valid Create User body.
pub fn new_user() -> cro_api::types::builder::CreateUserRequestModel {
    cro_api::types::CreateUserRequestModel::builder()
        .password("Secret123")
        .recaptcha("recaptcha-response")
        .user_type(cro_api::types::UserType::ClientCustomer)
        .username("someone@example.com")
}

/// A loopback port with nothing listening (bound, then released).
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}
