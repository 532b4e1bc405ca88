//! OAuth 2.0 for the CRO API: authorization code with PKCE, refresh token, and a
//! [`TokenSource`] that keeps the access token fresh.
//!
//! The API offers only these grants (client credentials is not offered), so getting a first
//! token takes a user login in a browser:
//!
//! 1. [`OAuthClient::authorize_url`] gives the URL to open, with a random `state` (the API
//!    requires at least 8 characters) and a PKCE S256 challenge.
//! 2. The identity provider redirects to your redirect URL with `code` and `state`;
//!    [`OAuthClient::exchange_callback`] checks the state and exchanges the code.
//! 3. [`RefreshingTokenSource`] holds the [`TokenSet`], refreshes it shortly before it
//!    expires and once when the API answers 401, and is passed to
//!    [`ClientBuilder::token_source`](crate::ClientBuilder::token_source).
//!
//! Built on the [`oauth2`] crate (v5) without its bundled HTTP client, which would pull in a
//! second reqwest (0.12) and TLS stack; token requests go through a reqwest 0.13 client of
//! this crate (redirects disabled, as `oauth2` recommends, so a token request cannot be
//! bounced to another host).
//!
//! ```no_run
//! use cro_api::oauth::{OAuthClient, OAuthConfig, RefreshingTokenSource};
//!
//! # async fn demo(callback_code: &str, callback_state: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let oauth = OAuthClient::new(
//!     OAuthConfig::new("my-client-id")
//!         .client_secret("my-client-secret")
//!         .redirect_url("https://app.example.com/oauth/callback"),
//! )?;
//! let login = oauth.authorize_url();
//! println!("open {}", login.url());
//! // ... the browser comes back to the redirect URL with `code` and `state` ...
//! let tokens = oauth.exchange_callback(&login, callback_state, callback_code).await?;
//!
//! let source = RefreshingTokenSource::new(oauth, tokens)
//!     .on_refresh(|tokens| {
//!         // Persist the new refresh token here (it may rotate).
//!         let _ = tokens.refresh_token();
//!     });
//! let client = cro_api::Client::builder().token_source(source).tenant_id(42).build()?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use oauth2_bare as oauth2;

use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use url::Url;

use crate::auth::{BoxFuture, TokenError, TokenSource};
use crate::config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, USER_AGENT};
use crate::secret::SecretString;

/// Authorization endpoint printed in the 2021 docs; CRO sends the current one with the
/// credentials.
pub const DEFAULT_AUTH_URL: &str = "https://idp.crobins.net/oauth2/auth";
/// Token endpoint printed in the 2021 docs.
pub const DEFAULT_TOKEN_URL: &str = "https://idp.crobins.net/oauth2/token";
/// The only documented scope.
pub const DEFAULT_SCOPE: &str = "api";
/// The API's minimum length of the `state` parameter.
pub const MIN_STATE_LEN: usize = 8;
/// Default for [`RefreshingTokenSource::refresh_margin`].
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Largest token response read (they are a few kilobytes).
const MAX_TOKEN_RESPONSE: usize = 256 * 1024;

/// Something went wrong in an OAuth step. Never contains a token, secret or verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// A setting is invalid.
    #[error("{setting}: {reason}")]
    Config {
        /// The setting.
        setting: &'static str,
        /// Why.
        reason: String,
    },
    /// A caller-supplied `state` is shorter than the API's minimum.
    #[error("state must be at least {min} characters long (got {length})")]
    StateTooShort {
        /// Its length.
        length: usize,
        /// [`MIN_STATE_LEN`].
        min: usize,
    },
    /// The `state` returned to the redirect URL is not the one sent (possible CSRF).
    #[error("the state returned by the authorization server does not match the one sent")]
    StateMismatch,
    /// The token endpoint answered with an OAuth error (`invalid_grant`, ...).
    #[error("token endpoint error `{error}`{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Server {
        /// The OAuth error code.
        error: String,
        /// `error_description`, when sent.
        description: Option<String>,
    },
    /// The token endpoint could not be reached or answered with something unreadable.
    #[error("token request failed: {0}")]
    Http(String),
    /// The token response could not be parsed.
    #[error("could not parse the token response: {0}")]
    Parse(String),
    /// A refresh was needed but there is no refresh token.
    #[error("the access token expired and there is no refresh token")]
    NoRefreshToken,
}

/// Client credentials and endpoints. [`OAuthConfig::new`] starts with the endpoints of the
/// 2021 docs and the `api` scope.
#[derive(Clone)]
pub struct OAuthConfig {
    client_id: String,
    client_secret: Option<SecretString>,
    auth_url: String,
    token_url: String,
    redirect_url: Option<String>,
    scopes: Vec<String>,
    allow_insecure_http: bool,
}

impl fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl OAuthConfig {
    /// Configuration for `client_id`.
    pub fn new(client_id: impl Into<String>) -> Self {
        OAuthConfig {
            client_id: client_id.into(),
            client_secret: None,
            auth_url: DEFAULT_AUTH_URL.to_owned(),
            token_url: DEFAULT_TOKEN_URL.to_owned(),
            redirect_url: None,
            scopes: vec![DEFAULT_SCOPE.to_owned()],
            allow_insecure_http: false,
        }
    }

    /// The client secret (confidential clients).
    pub fn client_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Authorization endpoint.
    pub fn auth_url(mut self, url: impl Into<String>) -> Self {
        self.auth_url = url.into();
        self
    }

    /// Token endpoint (also used for refresh).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// The redirect (landing) URL registered with CRO.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Scopes to request (default `["api"]`).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Allow plain-`http` endpoints on non-loopback hosts (tests only).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }
}

type Oauth2Client =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Performs the OAuth steps. Cheap to clone.
#[derive(Clone)]
pub struct OAuthClient {
    inner: Arc<Oauth2Client>,
    http: reqwest::Client,
    scopes: Vec<String>,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.inner.client_id().as_str())
            .field("auth_url", &self.inner.auth_uri().as_str())
            .field("token_url", &self.inner.token_uri().as_str())
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// Validate the configuration and build the client (with its own HTTP client: no
    /// redirects, default timeouts, `cro-rs` user agent).
    pub fn new(config: OAuthConfig) -> Result<Self, OAuthError> {
        let http = crate::tls::configure(reqwest::Client::builder())
            .map_err(OAuthError::Http)?
            .user_agent(USER_AGENT)
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .timeout(DEFAULT_REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .build()
            .map_err(|e| OAuthError::Http(crate::error::error_chain(&e)))?;
        OAuthClient::with_http_client(config, http)
    }

    /// Like [`new`](Self::new) with a caller-provided HTTP client (it should not follow
    /// redirects).
    pub fn with_http_client(
        config: OAuthConfig,
        http: reqwest::Client,
    ) -> Result<Self, OAuthError> {
        let insecure = config.allow_insecure_http;
        let auth_url = check_endpoint(&config.auth_url, "auth_url", insecure)?;
        let token_url = check_endpoint(&config.token_url, "token_url", insecure)?;
        if config.client_id.trim().is_empty() {
            return Err(OAuthError::Config {
                setting: "client_id",
                reason: "must not be empty".to_owned(),
            });
        }
        let mut inner = BasicClient::new(ClientId::new(config.client_id))
            .set_auth_uri(AuthUrl::from_url(auth_url))
            .set_token_uri(TokenUrl::from_url(token_url));
        if let Some(secret) = &config.client_secret {
            crate::sanitize::register_secret(secret.expose_secret());
            inner = inner.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
        }
        if let Some(redirect) = &config.redirect_url {
            let url = Url::parse(redirect).map_err(|e| OAuthError::Config {
                setting: "redirect_url",
                reason: format!("not an absolute URL ({e})"),
            })?;
            inner = inner.set_redirect_uri(RedirectUrl::from_url(url));
        }
        Ok(OAuthClient {
            inner: Arc::new(inner),
            http,
            scopes: config.scopes,
        })
    }

    /// Start a login with a random `state` (16 random bytes, 22 characters) and a PKCE S256
    /// challenge.
    pub fn authorize_url(&self) -> AuthorizationRequest {
        self.build_authorization(CsrfToken::new_random())
    }

    /// Start a login with your own `state` (at least [`MIN_STATE_LEN`] characters; make it
    /// unguessable).
    pub fn authorize_url_with_state(
        &self,
        state: impl Into<String>,
    ) -> Result<AuthorizationRequest, OAuthError> {
        let state = state.into();
        let length = state.chars().count();
        if length < MIN_STATE_LEN {
            return Err(OAuthError::StateTooShort {
                length,
                min: MIN_STATE_LEN,
            });
        }
        Ok(self.build_authorization(CsrfToken::new(state)))
    }

    fn build_authorization(&self, state: CsrfToken) -> AuthorizationRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .inner
            .authorize_url(move || state)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        AuthorizationRequest {
            url,
            state: state.secret().clone(),
            pkce_verifier: SecretString::new(verifier.secret().as_str()),
        }
    }

    /// Check the `state` that came back to the redirect URL, then exchange the `code`.
    pub async fn exchange_callback(
        &self,
        request: &AuthorizationRequest,
        returned_state: &str,
        code: &str,
    ) -> Result<TokenSet, OAuthError> {
        request.verify_state(returned_state)?;
        self.exchange_code(code, request.pkce_verifier()).await
    }

    /// Exchange an authorization code (with the PKCE verifier of its
    /// [`AuthorizationRequest`]) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
    ) -> Result<TokenSet, OAuthError> {
        let http = HttpAdapter(&self.http);
        let response = self
            .inner
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                pkce_verifier.expose_secret().to_owned(),
            ))
            .request_async(&http)
            .await
            .map_err(map_token_error)?;
        Ok(TokenSet::from_response(&response, None))
    }

    /// Use a refresh token. When the response has no new refresh token, the old one is kept
    /// in the returned set.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, OAuthError> {
        let http = HttpAdapter(&self.http);
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = self
            .inner
            .exchange_refresh_token(&token)
            .request_async(&http)
            .await
            .map_err(map_token_error)?;
        Ok(TokenSet::from_response(&response, Some(refresh_token)))
    }
}

/// `https`, or `http` on a loopback host (or when allowed).
fn check_endpoint(raw: &str, setting: &'static str, insecure: bool) -> Result<Url, OAuthError> {
    let url = Url::parse(raw.trim()).map_err(|e| OAuthError::Config {
        setting,
        reason: format!("not an absolute URL ({e})"),
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback || insecure => Ok(url),
        scheme => Err(OAuthError::Config {
            setting,
            reason: format!("scheme `{scheme}` not allowed (use https; http only for loopback)"),
        }),
    }
}

fn map_token_error(e: RequestTokenError<AdapterError, BasicErrorResponse>) -> OAuthError {
    match e {
        // Both strings come from the server: cleaned (controls escaped, secrets redacted)
        // and cut to a readable length.
        RequestTokenError::ServerResponse(r) => OAuthError::Server {
            error: crate::sanitize::one_line(r.error().as_ref(), 100),
            description: r
                .error_description()
                .map(|d| crate::sanitize::one_line(d, crate::error::SERVER_TEXT_MAX_CHARS)),
        },
        RequestTokenError::Request(e) => OAuthError::Http(e.0),
        // The serde message could quote a value from the body; report only where it failed.
        RequestTokenError::Parse(e, _body) => {
            OAuthError::Parse(format!("unexpected content at `{}`", e.path()))
        }
        RequestTokenError::Other(message) => OAuthError::Http(message),
    }
}

/// A login in progress: the URL to open, and the `state` and PKCE verifier to keep until the
/// browser comes back. `Debug` redacts the verifier.
#[derive(Clone)]
pub struct AuthorizationRequest {
    url: Url,
    state: String,
    pkce_verifier: SecretString,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &self.url.as_str())
            .field("pkce_verifier", &self.pkce_verifier)
            .finish_non_exhaustive()
    }
}

impl AuthorizationRequest {
    /// Rebuild from values you stored between the redirect and the callback.
    pub fn from_parts(url: Url, state: String, pkce_verifier: SecretString) -> Self {
        AuthorizationRequest {
            url,
            state,
            pkce_verifier,
        }
    }

    /// The URL to open in the user's browser.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The `state` sent.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The PKCE verifier to send with the code.
    pub fn pkce_verifier(&self) -> &SecretString {
        &self.pkce_verifier
    }

    /// Compare the `state` returned to the redirect URL with the one sent (in constant time).
    pub fn verify_state(&self, returned: &str) -> Result<(), OAuthError> {
        let (a, b) = (self.state.as_bytes(), returned.as_bytes());
        let same_len = a.len() == b.len();
        let diff = a
            .iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        if same_len && diff == 0 {
            Ok(())
        } else {
            Err(OAuthError::StateMismatch)
        }
    }
}

/// An access token, its expiry, and the refresh token. `Debug` redacts both tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    access_token: SecretString,
    refresh_token: Option<SecretString>,
    expires_at: Option<SystemTime>,
    scopes: Vec<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl TokenSet {
    /// A token set from stored values (`expires_at: None` means "unknown", never refreshed
    /// proactively, only after a 401).
    pub fn new(
        access_token: impl Into<SecretString>,
        refresh_token: Option<SecretString>,
        expires_at: Option<SystemTime>,
    ) -> Self {
        let set = TokenSet {
            access_token: access_token.into(),
            refresh_token,
            expires_at,
            scopes: Vec::new(),
        };
        set.register_secrets();
        set
    }

    /// Make both tokens known to [`crate::sanitize`], so that a server echoing them never
    /// gets them printed.
    fn register_secrets(&self) {
        crate::sanitize::register_secret(self.access_token.expose_secret());
        if let Some(refresh) = &self.refresh_token {
            crate::sanitize::register_secret(refresh.expose_secret());
        }
    }

    fn from_response(
        response: &impl TokenResponse,
        previous_refresh: Option<&SecretString>,
    ) -> Self {
        let set = TokenSet {
            access_token: SecretString::new(response.access_token().secret().as_str()),
            refresh_token: response
                .refresh_token()
                .map(|t| SecretString::new(t.secret().as_str()))
                .or_else(|| previous_refresh.cloned()),
            expires_at: response
                .expires_in()
                .and_then(|d| SystemTime::now().checked_add(d)),
            scopes: response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        };
        set.register_secrets();
        set
    }

    /// The access token.
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// The refresh token, if any.
    pub fn refresh_token(&self) -> Option<&SecretString> {
        self.refresh_token.as_ref()
    }

    /// When the access token expires, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Scopes granted, when the server listed them.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// True when the token expires within `margin` from now.
    pub fn expires_within(&self, margin: Duration) -> bool {
        match self.expires_at {
            Some(at) => SystemTime::now()
                .checked_add(margin)
                .is_none_or(|limit| at <= limit),
            None => false,
        }
    }
}

type RefreshCallback = Arc<dyn Fn(&TokenSet) + Send + Sync>;

/// A [`TokenSource`] that refreshes the access token shortly before it expires and once when
/// the API answers 401. Concurrent calls share one refresh (a lock is held while refreshing).
pub struct RefreshingTokenSource {
    oauth: OAuthClient,
    tokens: tokio::sync::Mutex<TokenSet>,
    margin: Duration,
    on_refresh: Option<RefreshCallback>,
}

impl fmt::Debug for RefreshingTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingTokenSource")
            .field("oauth", &self.oauth)
            .field("tokens", &"[redacted]")
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl RefreshingTokenSource {
    /// A source starting from `tokens` (from [`OAuthClient::exchange_code`] or storage).
    pub fn new(oauth: OAuthClient, tokens: TokenSet) -> Self {
        RefreshingTokenSource {
            oauth,
            tokens: tokio::sync::Mutex::new(tokens),
            margin: DEFAULT_REFRESH_MARGIN,
            on_refresh: None,
        }
    }

    /// Refresh this long before the expiry (default [`DEFAULT_REFRESH_MARGIN`]).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Called with the new tokens after every refresh, to persist them (refresh tokens may
    /// rotate).
    pub fn on_refresh(mut self, callback: impl Fn(&TokenSet) + Send + Sync + 'static) -> Self {
        self.on_refresh = Some(Arc::new(callback));
        self
    }

    /// The current tokens.
    pub async fn tokens(&self) -> TokenSet {
        self.tokens.lock().await.clone()
    }

    /// Refresh now, whatever the expiry.
    ///
    /// ```no_run
    /// # async fn demo(source: &cro_api::oauth::RefreshingTokenSource) -> Result<(), cro_api::oauth::OAuthError> {
    /// source.refresh_now().await?;
    /// let tokens = source.tokens().await;
    /// println!("new token expires at {:?}", tokens.expires_at());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refresh_now(&self) -> Result<(), OAuthError> {
        let mut tokens = self.tokens.lock().await;
        self.refresh_locked(&mut tokens).await
    }

    async fn refresh_locked(&self, tokens: &mut TokenSet) -> Result<(), OAuthError> {
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            return Err(OAuthError::NoRefreshToken);
        };
        let fresh = self.oauth.refresh(&refresh_token).await?;
        tracing::debug!(expires_at = ?fresh.expires_at, "access token refreshed");
        *tokens = fresh;
        if let Some(callback) = &self.on_refresh {
            callback(tokens);
        }
        Ok(())
    }
}

impl TokenSource for RefreshingTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<SecretString, TokenError>> {
        Box::pin(async move {
            let mut tokens = self.tokens.lock().await;
            if tokens.expires_within(self.margin) {
                match self.refresh_locked(&mut tokens).await {
                    Ok(()) => {}
                    // Still valid for a while: use it and try again on the next call.
                    Err(e) if !tokens.expires_within(Duration::ZERO) => {
                        tracing::warn!(error = %e, "token refresh failed; using the current token");
                    }
                    Err(e) => return Err(TokenError::new(e.to_string())),
                }
            }
            Ok(tokens.access_token.clone())
        })
    }

    fn on_unauthorized<'a>(
        &'a self,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<bool, TokenError>> {
        Box::pin(async move {
            let mut tokens = self.tokens.lock().await;
            if tokens.access_token != *rejected {
                // Another call refreshed meanwhile.
                return Ok(true);
            }
            if tokens.refresh_token.is_none() {
                return Ok(false);
            }
            self.refresh_locked(&mut tokens)
                .await
                .map(|()| true)
                .map_err(|e| TokenError::new(e.to_string()))
        })
    }
}

/// Adapts our reqwest 0.13 client to `oauth2::AsyncHttpClient` (see the module docs).
struct HttpAdapter<'a>(&'a reqwest::Client);

/// A transport failure of a token request (message only: the request carried secrets, the
/// message does not).
#[derive(Debug)]
struct AdapterError(String);

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AdapterError {}

impl<'c> oauth2::AsyncHttpClient<'c> for HttpAdapter<'_> {
    type Error = AdapterError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, AdapterError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let client = self.0.clone();
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| AdapterError(crate::error::error_chain(&e.without_url())))?;
            let response = client
                .execute(request)
                .await
                .map_err(|e| AdapterError(crate::error::error_chain(&e.without_url())))?;
            let status = response.status();
            if status.is_redirection() {
                // Not followed (see `OAuthClient::new`): a token request carries the code or
                // refresh token and the client secret.
                let location = response
                    .headers()
                    .get(http::header::LOCATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .unwrap_or_default();
                return Err(AdapterError(format!(
                    "the token endpoint answered {status} redirecting to `{}`; redirects are not \
                     followed: check the token URL",
                    crate::sanitize::one_line(&location, 200)
                )));
            }
            let mut builder = http::Response::builder()
                .status(status)
                .version(response.version());
            if let Some(headers) = builder.headers_mut() {
                *headers = response.headers().clone();
            }
            let body = crate::body::read_capped(response, MAX_TOKEN_RESPONSE as u64)
                .await
                .map_err(|e| match e {
                    crate::body::ReadBodyError::TooLarge(_) => AdapterError(format!(
                        "the token response is larger than {} (token responses are a few \
                         kilobytes); check the token URL",
                        crate::body::human_size(MAX_TOKEN_RESPONSE as u64)
                    )),
                    crate::body::ReadBodyError::Read(e) => {
                        AdapterError(crate::error::error_chain(&e))
                    }
                })?
                .to_vec();
            builder
                .body(body)
                .map_err(|e| AdapterError(format!("invalid token response: {e}")))
        })
    }
}
