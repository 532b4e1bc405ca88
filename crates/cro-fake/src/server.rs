//! Starting, describing and stopping a fake server.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use http::{HeaderValue, header};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::Auth;
use crate::config::FakeConfig;
use crate::faults::{self, FaultState};
use crate::log::{LOGGED_HEADERS, LoggedRequest, RequestLog};
use crate::oauth;
use crate::pipeline;
use crate::router::Routes;
use crate::spec::{self, Spec};
use crate::store::Store;
use crate::throttle::{self, ThrottleCounts, ThrottleState};
use crate::versions::Pins;
use crate::world::World;

/// Shared state of one running server.
#[derive(Debug)]
pub struct AppState {
    /// Data.
    pub store: Store,
    /// Users and tokens.
    pub auth: Arc<Auth>,
    /// API version pins per OAuth client id.
    pub pins: Pins,
    /// The route table.
    pub routes: Arc<Routes>,
    /// The spec.
    pub spec: &'static Spec,
    /// What the server saw.
    pub log: Arc<RequestLog>,
    /// Fault plan and counters.
    pub faults: Arc<FaultState>,
    /// Rate limits and their counters.
    pub throttle: Arc<ThrottleState>,
    /// HTTP client for webhook deliveries, built on first use (building one loads TLS roots,
    /// which would slow every start-up for a feature most runs never use).
    pub webhook_client: OnceLock<Option<reqwest::Client>>,
}

impl AppState {
    /// The webhook delivery client (`None` only if TLS cannot be initialised).
    pub fn webhook_client(&self) -> Option<&reqwest::Client> {
        self.webhook_client
            .get_or_init(crate::webhook_delivery::delivery_client)
            .as_ref()
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address is not loopback and `allow_non_loopback` is off.
    #[error(
        "refusing to bind {0}: cro-fake has no real security; use a loopback address or allow non-loopback explicitly"
    )]
    NotLoopback(SocketAddr),
    /// Binding failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The embedded spec did not parse.
    #[error("the embedded spec/openapi.yaml does not parse: {0}")]
    Spec(String),
}

/// Entry point: `FakeServer::start(config)`.
#[derive(Debug)]
pub struct FakeServer;

impl FakeServer {
    /// Binds, seeds (lazily: nothing is generated up front) and serves in the background.
    pub async fn start(config: FakeConfig) -> Result<RunningFake, StartError> {
        if !config.addr.ip().is_loopback() && !config.allow_non_loopback {
            return Err(StartError::NotLoopback(config.addr));
        }
        let spec = spec::spec();
        if let Some(e) = &spec.load_error {
            return Err(StartError::Spec(e.clone()));
        }
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
        let world = World::new(&config);
        let auth = Arc::new(Auth::new(&world, &config.oauth.client_id));
        let routes = Arc::new(Routes::default());
        let classify_routes = routes.clone();
        let is_list: faults::Classifier = Arc::new(move |m, p| classify_routes.is_list(m, p));
        let faults =
            Arc::new(FaultState::new(config.faults.clone()).with_classifier(is_list.clone()));
        let throttle =
            Arc::new(ThrottleState::new(config.throttle.clone()).with_list_classifier(is_list));
        let log = Arc::new(RequestLog::new(config.request_log_capacity));
        let state = Arc::new(AppState {
            store: Store::new(world),
            auth: auth.clone(),
            pins: Pins::default(),
            routes,
            spec,
            log: log.clone(),
            faults: faults.clone(),
            throttle: throttle.clone(),
            webhook_client: OnceLock::new(),
        });
        let api = Router::new()
            .fallback(pipeline::api_entry)
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                faults.clone(),
                faults::middleware,
            ))
            .layer(axum::middleware::from_fn_with_state(
                throttle,
                throttle::middleware,
            ));
        let app = oauth::router(config.oauth.clone(), auth.clone())
            .route(
                STATS_PATH,
                axum::routing::get(stats).with_state(state.clone()),
            )
            .fallback_service(api)
            .layer(middleware::from_fn_with_state(log.clone(), outer));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        let base_url = format!("http://{addr}");
        Ok(RunningFake {
            base_url,
            addr,
            config,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// Path of the fake's own counters (not part of the API; outside its rate limits):
/// `{"throttle": {...}, "faults": {...}, "too_many_requests": N}`, where `too_many_requests`
/// counts every `429` sent (rate limits and injected faults).
pub const STATS_PATH: &str = "/_fake/stats";

async fn stats(State(state): State<Arc<AppState>>) -> axum::Json<serde_json::Value> {
    let t = state.throttle.counts();
    let f = state.faults.injected();
    axum::Json(serde_json::json!({
        "too_many_requests": t.refused() + f.rate_limited,
        "throttle": t,
        "faults": {
            "requests": f.requests,
            "eligible": f.eligible,
            "rate_limited": f.rate_limited,
            "server_errors": f.server_errors,
            "client_errors": f.client_errors,
            "delayed": f.delayed,
            "dropped_mid_body": f.dropped_mid_body,
            "truncated": f.truncated,
            "drifted": f.drifted,
        },
    }))
}

/// Outermost layer: request id, CORS, version echo for answers the API pipeline did not make
/// (fault injection), and the request log.
async fn outer(State(log): State<Arc<RequestLog>>, mut req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let headers: Vec<(String, String)> = LOGGED_HEADERS
        .iter()
        .filter_map(|h| {
            req.headers().get(*h).map(|v| {
                (
                    (*h).to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
        })
        .collect();
    // Echo a valid x-request-id, else make one up (the pipeline rejects invalid ones).
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
        .unwrap_or_else(uuid::Uuid::new_v4);
    let version = pipeline::requested_version(req.headers());
    req.extensions_mut().insert(request_id);
    let mut resp = next.run(req).await;
    let is_api = !path.starts_with("/oauth2") && !path.starts_with("/.well-known");
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id.hyphenated().to_string()) {
        h.insert("x-request-id", v);
    }
    if is_api && !h.contains_key("x-api-version") {
        h.insert("x-api-version", HeaderValue::from_static(version.as_str()));
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(header::SERVER, HeaderValue::from_static("cro-fake"));
    log.push(LoggedRequest {
        seq: 0,
        method,
        path,
        query,
        headers,
        status: resp.status().as_u16(),
    });
    resp
}

/// A running fake. Dropping it stops the server (without waiting); [`RunningFake::shutdown`]
/// stops it and waits.
#[derive(Debug)]
pub struct RunningFake {
    base_url: String,
    addr: SocketAddr,
    config: FakeConfig,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningFake {
    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &FakeConfig {
        &self.config
    }

    /// Tenant ids (the `x-tenant-id` values), first one first.
    pub fn tenant_ids(&self) -> Vec<i64> {
        self.state
            .store
            .world
            .tenants
            .iter()
            .map(|t| t.id)
            .collect()
    }

    /// Location ids of a tenant.
    pub fn location_ids(&self, tenant_id: i64) -> Vec<i64> {
        let w = &self.state.store.world;
        match w.tenants.iter().find(|t| t.id == tenant_id) {
            Some(t) => (0..w.locations).map(|li| w.location_id(t.k, li)).collect(),
            None => Vec::new(),
        }
    }

    /// The seeded token of a role (`"Admin"`, `"Driver"`, ...) or of `"MultiTenantAdmin"`.
    /// Role users are assigned to the first tenant only; the multi-tenant admin (roles Admin and
    /// Dispatcher) to all.
    pub fn token(&self, role: &str) -> Option<String> {
        self.state.auth.token(role).map(str::to_owned)
    }

    /// Mints a token for a user (login, role name or `MultiTenantAdmin`) issued to another
    /// OAuth client id (version pins are per client id).
    pub fn issue_token(&self, user: &str, client_id: &str) -> Option<String> {
        self.state.auth.issue(user, client_id, None)
    }

    /// The single JSON line the binary prints on start: base URL, tenant ids, one token per
    /// role and the OAuth endpoints and client.
    pub fn startup_info(&self) -> serde_json::Value {
        let tokens: serde_json::Map<String, serde_json::Value> = self
            .state
            .auth
            .role_tokens()
            .iter()
            .map(|(k, t)| (k.clone(), serde_json::Value::String(t.clone())))
            .collect();
        serde_json::json!({
            "base_url": self.base_url,
            "tenants": self.tenant_ids(),
            "tokens": tokens,
            "oauth": {
                "authorize_url": format!("{}{}", self.base_url, oauth::AUTH_PATH),
                "token_url": format!("{}{}", self.base_url, oauth::TOKEN_PATH),
                "client_id": self.config.oauth.client_id,
                "client_secret": self.config.oauth.client_secret,
            },
        })
    }

    /// Every request seen so far (bounded by `request_log_capacity`), oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state.log.snapshot()
    }

    /// Empties the request log.
    pub fn clear_request_log(&self) {
        self.state.log.clear();
    }

    /// What the fault layer injected so far.
    pub fn faults_injected(&self) -> faults::FaultCounts {
        self.state.faults.injected()
    }

    /// What the rate limits did so far (429s sent, peak in flight, ...).
    pub fn throttle_counts(&self) -> ThrottleCounts {
        self.state.throttle.counts()
    }

    /// Every `429` sent so far: by the rate limits and by fault injection.
    pub fn too_many_requests_sent(&self) -> u64 {
        self.state.throttle.counts().refused() + self.state.faults.injected().rate_limited
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s) and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningFake {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Graceful shutdown waits for open keep-alive connections; a dropped fake must not
        // linger, so the task is aborted as well.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Starts a fake, prints its startup line to stdout, and serves until Ctrl-C.
pub async fn run_until_ctrl_c(config: FakeConfig) -> Result<(), StartError> {
    let fake = FakeServer::start(config).await?;
    println!("{}", fake.startup_info());
    let _ = tokio::signal::ctrl_c().await;
    fake.shutdown().await;
    Ok(())
}
