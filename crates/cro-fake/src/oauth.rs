//! A small OAuth 2.0 authorization server for the flow CRO documents (facts §2.2): the
//! authorization code grant (optionally with PKCE, `S256` or `plain`) and the refresh token
//! grant. Client credentials (and every other grant) is refused with `unsupported_grant_type`.
//!
//! Endpoints (mounted by [`router`]):
//! - `GET /oauth2/auth`: validates the request and, since there is no human in the loop,
//!   auto-approves it and answers `302` to `redirect_uri?code=..&state=..`. `login_hint` (a role
//!   or user name, resolved by the [`TokenIssuer`]) chooses who "logs in"; the default is the
//!   issuer's default user (Admin).
//! - `POST /oauth2/token`: form-encoded token requests; the client authenticates with HTTP Basic
//!   or a form `client_secret` (never both). Answers RFC 6749 §5.1 JSON or §5.2 error JSON.
//! - `GET /.well-known/oauth-authorization-server`: RFC 8414 metadata, so tools can discover
//!   the two URLs above.
//!
//! Choices where CRO documents nothing (facts §5): codes live [`OAuthConfig::code_ttl`] and are
//! single use (reusing one revokes the refresh tokens it produced, RFC 6749 §4.1.2); refresh
//! tokens rotate on every use, and presenting a rotated one revokes its whole family (OAuth 2.1
//! / RFC 9700 §4.14.2); a PKCE verifier is rejected when the code was issued without a challenge
//! (downgrade protection). Access tokens come from the [`TokenIssuer`] and are checked against
//! the API's header regex, so a bad issuer is a loud `server_error`, not a confusing 401 later.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// Path of the authorization endpoint.
pub const AUTH_PATH: &str = "/oauth2/auth";
/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/token";
/// Path of the RFC 8414 metadata document.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// The only documented scope.
pub const SCOPE: &str = "api";
/// CRO requires `state` values of at least this many characters.
pub const MIN_STATE_LEN: usize = 8;
/// The API caps the whole `authorization` header value (`bearer <token>`) at this length.
pub const MAX_AUTHORIZATION_LEN: usize = 256;

/// Mints access tokens and maps login hints to users. Implemented by the fake's auth module,
/// which owns the token → user table the API endpoints check.
pub trait TokenIssuer: Send + Sync {
    /// A new access token for `user`, valid for `ttl`. It must satisfy [`is_valid_api_token`].
    fn issue_access_token(&self, user: &str, client_id: &str, ttl: Duration) -> String;
    /// The user that logs in for `login_hint` (a role name such as `Driver`, or a user name);
    /// `None` hint means the default user (Admin). `None` result: no such user.
    fn resolve_login(&self, login_hint: Option<&str>) -> Option<String>;
}

/// Settings of the authorization server.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The registered client's id.
    pub client_id: String,
    /// The registered client's secret.
    pub client_secret: String,
    /// Exact redirect URIs registered for the client.
    pub redirect_uris: Vec<String>,
    /// Also accept any `http` redirect URI on a loopback host (the demo client; RFC 8252 §7.3
    /// native-app style, any port).
    pub allow_loopback_redirects: bool,
    /// Lifetime of access tokens (`expires_in`).
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_token_ttl: Duration,
    /// Lifetime of authorization codes.
    pub code_ttl: Duration,
    /// Accept token requests without a client secret when the code was issued with PKCE
    /// (public clients). CRO issues secrets, so this is off by default.
    pub allow_public_clients: bool,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            client_id: "cro-fake-demo".into(),
            client_secret: "cro-fake-demo-secret".into(),
            redirect_uris: Vec::new(),
            allow_loopback_redirects: true,
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            code_ttl: Duration::from_secs(600),
            allow_public_clients: false,
        }
    }
}

/// Command-line flags for [`OAuthConfig`] (flatten into the binary's arguments).
#[derive(Debug, Clone, clap::Args)]
pub struct OAuthArgs {
    /// OAuth client id accepted by /oauth2/auth and /oauth2/token.
    #[arg(long, default_value = "cro-fake-demo")]
    pub oauth_client_id: String,
    /// OAuth client secret for that client.
    #[arg(long, default_value = "cro-fake-demo-secret")]
    pub oauth_client_secret: String,
    /// Extra registered redirect URI (repeatable); loopback http URIs are always accepted.
    #[arg(long = "oauth-redirect-uri")]
    pub oauth_redirect_uris: Vec<String>,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=10 * 365 * 86_400))]
    pub oauth_access_ttl_secs: u64,
}

impl From<OAuthArgs> for OAuthConfig {
    fn from(a: OAuthArgs) -> Self {
        OAuthConfig {
            client_id: a.oauth_client_id,
            client_secret: a.oauth_client_secret,
            redirect_uris: a.oauth_redirect_uris,
            access_token_ttl: Duration::from_secs(a.oauth_access_ttl_secs),
            ..OAuthConfig::default()
        }
    }
}

/// The authorization server's routes, with their state inside.
pub fn router(config: OAuthConfig, issuer: Arc<dyn TokenIssuer>) -> Router {
    let server = Arc::new(Server {
        config,
        issuer,
        grants: Mutex::new(Grants::default()),
    });
    Router::new()
        .route(AUTH_PATH, get(authorize))
        .route(TOKEN_PATH, post(token))
        .route(METADATA_PATH, get(metadata))
        .with_state(server)
}

/// Whether `bearer <token>` passes the API's `authorization` header constraints: the regex
/// `^bearer [a-z0-9-_=]+.[a-z0-9-_=]+.?[a-z0-9-_.+/=]*$` (case-insensitive, ECMAScript
/// semantics) and at most [`MAX_AUTHORIZATION_LEN`] characters.
pub fn is_valid_api_token(token: &str) -> bool {
    static RE: LazyLock<Option<regress::Regex>> = LazyLock::new(|| {
        regress::Regex::with_flags(r"^bearer [a-z0-9-_=]+.[a-z0-9-_=]+.?[a-z0-9-_.+/=]*$", "i").ok()
    });
    let header = format!("bearer {token}");
    header.chars().count() <= MAX_AUTHORIZATION_LEN
        && RE.as_ref().is_some_and(|re| re.find(&header).is_some())
}

struct Server {
    config: OAuthConfig,
    issuer: Arc<dyn TokenIssuer>,
    grants: Mutex<Grants>,
}

impl Server {
    fn grants(&self) -> std::sync::MutexGuard<'_, Grants> {
        // A panic elsewhere must not take the login server down with it; the maps stay usable.
        self.grants.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Outstanding and spent credentials. A "family" is everything minted from one code.
#[derive(Default)]
struct Grants {
    codes: HashMap<String, CodeGrant>,
    /// Spent codes → family, kept so a replay can revoke what the code produced.
    used_codes: HashMap<String, (u64, Instant)>,
    refresh: HashMap<String, RefreshGrant>,
    /// Rotated-away refresh tokens → family, for reuse detection.
    retired_refresh: HashMap<String, (u64, Instant)>,
    next_family: u64,
}

impl Grants {
    fn purge(&mut self, now: Instant) {
        self.codes.retain(|_, g| g.expires > now);
        self.used_codes.retain(|_, (_, until)| *until > now);
        self.refresh.retain(|_, g| g.expires > now);
        self.retired_refresh.retain(|_, (_, until)| *until > now);
    }

    fn revoke_family(&mut self, family: u64) {
        self.refresh.retain(|_, g| g.family != family);
    }
}

struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    user: String,
    scope: String,
    pkce: Option<Pkce>,
    expires: Instant,
}

struct Pkce {
    challenge: String,
    s256: bool,
}

struct RefreshGrant {
    client_id: String,
    user: String,
    scope: String,
    family: u64,
    expires: Instant,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An RFC 6749 §5.2 error (also used, as JSON, for authorize errors that must not redirect).
struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        let status = match code {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        OAuthError {
            status,
            code,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.code,
            "error_description": self.description,
        });
        let mut resp = (self.status, no_store(), axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6749 §5.2: a 401 must say how to authenticate.
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"cro-fake\""),
            );
        }
        resp
    }
}

/// Token responses must not be cached (RFC 6749 §5.1).
fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

// ---------------------------------------------------------------------------------------------
// Parameters

/// Decoded form or query parameters. Repeated parameters are an error (RFC 6749 §3.1, §3.2) and
/// empty values count as absent.
struct Params(HashMap<String, String>);

impl Params {
    fn parse(raw: &[u8]) -> Result<Params, OAuthError> {
        let mut map = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw) {
            if v.is_empty() {
                continue;
            }
            if map.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(OAuthError::new(
                    "invalid_request",
                    format!("Parameter {k:?} is repeated."),
                ));
            }
        }
        Ok(Params(map))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::new("invalid_request", format!("Missing parameter {name:?}."))
        })
    }
}

/// An unguessable token: two v4 UUIDs are 244 bits from the OS generator.
fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Comparison whose time does not depend on where the inputs differ (secrets, PKCE).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------------
// GET /oauth2/auth

async fn authorize(State(server): State<Arc<Server>>, RawQuery(query): RawQuery) -> Response {
    let params = match Params::parse(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    // Errors about the client or its redirect URI are shown to the "user" (a 400), never
    // redirected: the redirect target is not trusted yet (RFC 6749 §4.1.2.1).
    let cfg = &server.config;
    match params.get("client_id") {
        Some(id) if id == cfg.client_id => {}
        Some(_) => return OAuthError::new("invalid_request", "Unknown client_id.").into_response(),
        None => {
            return OAuthError::new("invalid_request", "Missing parameter \"client_id\".")
                .into_response();
        }
    }
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return OAuthError::new("invalid_request", "Missing parameter \"redirect_uri\".")
            .into_response();
    };
    let Some(redirect) = registered_redirect(cfg, redirect_uri) else {
        return OAuthError::new(
            "invalid_request",
            "redirect_uri is not registered for this client (loopback http URLs are accepted).",
        )
        .into_response();
    };
    let state = params.get("state");
    match approve(&server, &params, redirect_uri) {
        Ok(code) => redirect_with(redirect, &[("code", &code)], state),
        Err(e) => redirect_with(
            redirect,
            &[("error", e.code), ("error_description", &e.description)],
            state,
        ),
    }
}

/// Validates everything but the client and redirect URI, then mints a code.
fn approve(server: &Server, params: &Params, redirect_uri: &str) -> Result<String, OAuthError> {
    match params.get("response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(OAuthError::new(
                "unsupported_response_type",
                "Only response_type=code is supported.",
            ));
        }
        None => return Err(OAuthError::new("invalid_request", "Missing response_type.")),
    }
    match params.get("state") {
        Some(s) if s.chars().count() >= MIN_STATE_LEN => {}
        _ => {
            return Err(OAuthError::new(
                "invalid_request",
                format!("state must be at least {MIN_STATE_LEN} characters."),
            ));
        }
    }
    let scope = check_scope(params.get("scope"), SCOPE)?;
    let pkce = pkce_of(params)?;
    let user = server
        .issuer
        .resolve_login(params.get("login_hint"))
        .ok_or_else(|| OAuthError::new("access_denied", "No such user (login_hint)."))?;
    let code = random_token("croac_");
    let now = Instant::now();
    let mut grants = server.grants();
    grants.purge(now);
    grants.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: server.config.client_id.clone(),
            redirect_uri: redirect_uri.to_string(),
            user,
            scope,
            pkce,
            expires: now + server.config.code_ttl,
        },
    );
    Ok(code)
}

/// `scope` must be a subset of `allowed` (space-separated); absent means all of `allowed`.
fn check_scope(requested: Option<&str>, allowed: &str) -> Result<String, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed.to_string());
    };
    let allowed: Vec<&str> = allowed.split(' ').collect();
    if let Some(bad) = requested.split(' ').find(|s| !allowed.contains(s)) {
        return Err(OAuthError::new(
            "invalid_scope",
            format!("Unknown scope {bad:?}; only \"{SCOPE}\" exists."),
        ));
    }
    Ok(requested.to_string())
}

fn pkce_of(params: &Params) -> Result<Option<Pkce>, OAuthError> {
    let method = params.get("code_challenge_method");
    let Some(challenge) = params.get("code_challenge") else {
        return match method {
            Some(_) => Err(OAuthError::new(
                "invalid_request",
                "code_challenge_method without code_challenge.",
            )),
            None => Ok(None),
        };
    };
    // RFC 7636 §4.3: the method defaults to plain.
    let s256 = match method.unwrap_or("plain") {
        "S256" => true,
        "plain" => false,
        other => {
            return Err(OAuthError::new(
                "invalid_request",
                format!("code_challenge_method {other:?} is not supported (S256, plain)."),
            ));
        }
    };
    let ok = if s256 {
        // BASE64URL(SHA-256) without padding is always 43 characters.
        challenge.len() == 43 && challenge.bytes().all(is_b64url)
    } else {
        is_verifier_shaped(challenge)
    };
    if !ok {
        return Err(OAuthError::new(
            "invalid_request",
            "Malformed code_challenge (RFC 7636 §4.2).",
        ));
    }
    Ok(Some(Pkce {
        challenge: challenge.to_string(),
        s256,
    }))
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// RFC 7636 §4.1: 43..128 characters of `[A-Za-z0-9-._~]`.
fn is_verifier_shaped(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The parsed redirect URI if it is registered (exactly, or as a loopback http URL).
fn registered_redirect(cfg: &OAuthConfig, raw: &str) -> Option<url::Url> {
    let url = url::Url::parse(raw).ok()?;
    if url.fragment().is_some() {
        return None; // RFC 6749 §3.1.2: no fragments.
    }
    if cfg.redirect_uris.iter().any(|r| r == raw) {
        return Some(url);
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    (cfg.allow_loopback_redirects && url.scheme() == "http" && loopback).then_some(url)
}

fn redirect_with(mut url: url::Url, pairs: &[(&str, &str)], state: Option<&str>) -> Response {
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if let Some(state) = state {
            q.append_pair("state", state);
        }
    }
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => OAuthError::new("server_error", "Redirect URI cannot be sent.").into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// POST /oauth2/token

async fn token(State(server): State<Arc<Server>>, headers: HeaderMap, body: Bytes) -> Response {
    match token_inner(&server, &headers, &body) {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

fn token_inner(server: &Server, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let form_ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !form_ok {
        return Err(OAuthError::new(
            "invalid_request",
            "Token requests must be application/x-www-form-urlencoded.",
        ));
    }
    let params = Params::parse(body)?;
    // The grant type is checked first so that client credentials gets the documented answer
    // whatever else the request holds.
    let grant_type = params.require("grant_type")?;
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            format!(
                "grant_type {grant_type:?} is not supported; use authorization_code or refresh_token."
            ),
        ));
    }
    let client = authenticate(&server.config, headers, &params)?;
    let now = Instant::now();
    let mut grants = server.grants();
    grants.purge(now);
    let (user, scope, family) = if grant_type == "authorization_code" {
        redeem_code(server, &mut grants, &client, &params, now)?
    } else {
        redeem_refresh(server, &mut grants, &params)?
    };
    let access = server.issuer.issue_access_token(
        &user,
        &server.config.client_id,
        server.config.access_token_ttl,
    );
    if !is_valid_api_token(&access) {
        return Err(OAuthError::new(
            "server_error",
            "The token issuer produced a token the API's authorization header rules reject.",
        ));
    }
    let refresh = random_token("crort_");
    grants.refresh.insert(
        refresh.clone(),
        RefreshGrant {
            client_id: server.config.client_id.clone(),
            user,
            scope: scope.clone(),
            family,
            expires: now + server.config.refresh_token_ttl,
        },
    );
    let body = serde_json::json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": server.config.access_token_ttl.as_secs(),
        "refresh_token": refresh,
        "scope": scope,
    });
    Ok((StatusCode::OK, no_store(), axum::Json(body)).into_response())
}

/// How the client proved itself.
enum Client {
    /// Presented the right secret.
    Confidential,
    /// Sent only its id (allowed only with PKCE and [`OAuthConfig::allow_public_clients`]).
    Public,
}

fn authenticate(
    cfg: &OAuthConfig,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Client, OAuthError> {
    let invalid = || OAuthError::new("invalid_client", "Client authentication failed.");
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(v) => Some(parse_basic(v).ok_or_else(invalid)?),
        None => None,
    };
    let form_id = params.get("client_id");
    let form_secret = params.get("client_secret");
    let (id, secret) = match (basic, form_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                "invalid_request",
                "Use one client authentication method (Basic or client_secret), not both.",
            ));
        }
        (Some((id, secret)), None) => {
            if form_id.is_some_and(|f| f != id) {
                return Err(invalid());
            }
            (id, Some(secret))
        }
        (None, secret) => {
            let id = form_id.ok_or_else(invalid)?.to_string();
            (id, secret.map(str::to_string))
        }
    };
    if id != cfg.client_id {
        return Err(invalid());
    }
    match secret {
        Some(s) if ct_eq(s.as_bytes(), cfg.client_secret.as_bytes()) => Ok(Client::Confidential),
        Some(_) => Err(invalid()),
        None if cfg.allow_public_clients => Ok(Client::Public),
        None => Err(invalid()),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(v: &HeaderValue) -> Option<(String, String)> {
    let v = v.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
fn form_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = (bytes.next()? as char).to_digit(16)?;
                let lo = (bytes.next()? as char).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// `(user, scope, family)` for a valid code; the code is spent whatever the outcome, so a
/// verifier cannot be guessed by retrying.
fn redeem_code(
    server: &Server,
    grants: &mut Grants,
    client: &Client,
    params: &Params,
    now: Instant,
) -> Result<(String, String, u64), OAuthError> {
    let code = params.require("code")?;
    let Some(grant) = grants.codes.remove(code) else {
        if let Some(&(family, _)) = grants.used_codes.get(code) {
            grants.revoke_family(family);
            return Err(OAuthError::new(
                "invalid_grant",
                "Authorization code already used; tokens issued from it are revoked.",
            ));
        }
        return Err(OAuthError::new(
            "invalid_grant",
            "Unknown or expired authorization code.",
        ));
    };
    let family = grants.next_family;
    grants.next_family += 1;
    grants.used_codes.insert(
        code.to_string(),
        (family, now + server.config.refresh_token_ttl),
    );
    let bad = |why: &str| Err(OAuthError::new("invalid_grant", why));
    if grant.expires <= now {
        return bad("Authorization code expired.");
    }
    if grant.client_id != server.config.client_id {
        return bad("Authorization code was issued to another client.");
    }
    if params.get("redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return bad("redirect_uri does not match the authorization request.");
    }
    match (&grant.pkce, params.get("code_verifier")) {
        (Some(pkce), Some(verifier)) => {
            if !is_verifier_shaped(verifier) || !pkce_matches(pkce, verifier) {
                return bad("PKCE verification failed (code_verifier).");
            }
        }
        (Some(_), None) => return bad("code_verifier is required (PKCE)."),
        (None, Some(_)) => return bad("code_verifier sent but the code was issued without PKCE."),
        (None, None) if matches!(client, Client::Public) => {
            return bad("Public clients must use PKCE.");
        }
        (None, None) => {}
    }
    Ok((grant.user, grant.scope, family))
}

fn pkce_matches(pkce: &Pkce, verifier: &str) -> bool {
    let computed = if pkce.s256 {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    } else {
        verifier.to_string()
    };
    ct_eq(computed.as_bytes(), pkce.challenge.as_bytes())
}

/// Rotation: the presented token is retired and the caller mints its successor in the same
/// family. Public clients may refresh too (OAuth 2.1 §4.3.1), because rotation detects theft.
fn redeem_refresh(
    server: &Server,
    grants: &mut Grants,
    params: &Params,
) -> Result<(String, String, u64), OAuthError> {
    // Expired tokens were purged just before this, so "unknown" covers "expired".
    let token = params.require("refresh_token")?;
    let Some(grant) = grants.refresh.remove(token) else {
        if let Some(&(family, _)) = grants.retired_refresh.get(token) {
            grants.revoke_family(family);
            return Err(OAuthError::new(
                "invalid_grant",
                "Refresh token already used (tokens rotate); its successors are revoked.",
            ));
        }
        return Err(OAuthError::new(
            "invalid_grant",
            "Unknown, expired or revoked refresh token.",
        ));
    };
    grants
        .retired_refresh
        .insert(token.to_string(), (grant.family, grant.expires));
    if grant.client_id != server.config.client_id {
        return Err(OAuthError::new(
            "invalid_grant",
            "Refresh token was issued to another client.",
        ));
    }
    let scope = check_scope(params.get("scope"), &grant.scope)?;
    Ok((grant.user, scope, grant.family))
}

// ---------------------------------------------------------------------------------------------
// Metadata

async fn metadata(headers: HeaderMap) -> Response {
    // The fake may listen on any port, so the issuer is whatever host the client used.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    axum::Json(serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}{AUTH_PATH}"),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": [SCOPE],
    }))
    .into_response()
}
