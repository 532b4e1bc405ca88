//! [`ClientBuilder`]: settings, their validation, and the state every request reads
//! ([`ClientState`]).
//!
//! Everything that can be checked without the network is checked in
//! [`ClientBuilder::build`], and each [`ConfigError`] names the setting (or environment
//! variable) at fault, so a misconfigured client fails before it sends anything.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use url::{Host, Url};

use crate::Client;
use crate::auth::{StaticToken, TokenProblem, TokenSource, validate_token};
use crate::meta;
use crate::retry::{BudgetState, RetryPolicy};
use crate::secret::SecretString;
use crate::throttle::Limiter;

/// The production API host, the only documented server.
pub const DEFAULT_BASE_URL: &str = "https://api.crosoftware.net";
/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time limit of one attempt (connect, send, receive headers and body).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `User-Agent` of every request: `cro-rs/<crate version>`.
pub const USER_AGENT: &str = concat!("cro-rs/", env!("CARGO_PKG_VERSION"));

/// Environment variable read by [`Client::from_env`]: base URL.
pub const ENV_BASE_URL: &str = "CRO_BASE_URL";
/// Environment variable read by [`Client::from_env`]: access token.
pub const ENV_TOKEN: &str = "CRO_TOKEN";
/// Environment variable read by [`Client::from_env`]: tenant id.
pub const ENV_TENANT_ID: &str = "CRO_TENANT_ID";
/// Environment variable read by [`Client::from_env`]: API version.
pub const ENV_API_VERSION: &str = "CRO_API_VERSION";

/// A setting is invalid or missing. The message names the setting and never contains a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL is not an absolute `https` (or loopback `http`) URL without credentials,
    /// query or fragment.
    #[error("{setting}: {reason}")]
    BaseUrl {
        /// `base_url` or `CRO_BASE_URL`.
        setting: &'static str,
        /// What is wrong (contains the URL without any credentials).
        reason: String,
    },
    /// The token breaks a documented rule.
    #[error("{setting}: {problem}")]
    Token {
        /// `token` or `CRO_TOKEN`.
        setting: &'static str,
        /// The rule.
        problem: TokenProblem,
    },
    /// The API version is not one of the documented values.
    #[error("{setting}: `{version}` is not a documented API version (expected one of {expected})")]
    ApiVersion {
        /// `api_version` or `CRO_API_VERSION`.
        setting: &'static str,
        /// The rejected value (at most 64 characters of it).
        version: String,
        /// The documented values, comma-separated.
        expected: String,
    },
    /// A value cannot be sent as an HTTP header.
    #[error("{setting}: not a valid HTTP header value ({reason})")]
    HeaderValue {
        /// The setting.
        setting: &'static str,
        /// Why.
        reason: String,
    },
    /// Any other invalid value.
    #[error("{setting}: {reason}")]
    Invalid {
        /// The setting.
        setting: &'static str,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be created (TLS setup).
    #[error("could not create the HTTP client: {0}")]
    HttpClient(String),
    /// The operation requires `x-tenant-id` and the client has no tenant id.
    #[error(
        "{operation} requires a tenant id (x-tenant-id); set ClientBuilder::tenant_id, \
         CRO_TENANT_ID, or use Client::with_tenant (list_tenants shows the choices)"
    )]
    MissingTenant {
        /// The operation id.
        operation: String,
    },
    /// The operation requires a bearer token and the client has none.
    #[error("{operation} requires an access token; set ClientBuilder::token or CRO_TOKEN")]
    MissingToken {
        /// The operation id.
        operation: String,
    },
}

impl ConfigError {
    /// The setting (or environment variable) at fault, when there is one.
    pub fn setting(&self) -> Option<&'static str> {
        match self {
            ConfigError::BaseUrl { setting, .. }
            | ConfigError::Token { setting, .. }
            | ConfigError::ApiVersion { setting, .. }
            | ConfigError::HeaderValue { setting, .. }
            | ConfigError::Invalid { setting, .. } => Some(setting),
            ConfigError::MissingTenant { .. } => Some("tenant_id"),
            ConfigError::MissingToken { .. } => Some("token"),
            ConfigError::HttpClient(_) => None,
        }
    }
}

/// Where the token comes from.
#[derive(Clone)]
enum TokenSetting {
    Static(SecretString, &'static str),
    Source(Arc<dyn TokenSource>),
}

/// Builds a [`Client`]. Start with [`Client::builder`] or [`ClientBuilder::from_env`].
///
/// ```
/// use std::time::Duration;
/// use cro_api::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .token("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
///     .tenant_id(42)
///     .api_version(cro_api::types::ApiVersion::V2023_04_19)
///     .request_timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().max_attempts(4))
///     .build()?;
/// assert_eq!(client.tenant_id(), Some(42));
///
/// // Every check happens before anything is sent:
/// let err = Client::builder().api_version_str("2020/01/01").build().unwrap_err();
/// assert_eq!(err.setting(), Some("api_version"));
/// let err = Client::builder().base_url("http://api.example.com").build().unwrap_err();
/// assert_eq!(err.setting(), Some("base_url"));
/// # Ok::<(), cro_api::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: (String, &'static str),
    token: Option<TokenSetting>,
    tenant_id: Option<u64>,
    api_version: (String, &'static str),
    check_token_shape: bool,
    allow_insecure_http: bool,
    connect_timeout: Duration,
    request_timeout: Duration,
    user_agent_suffix: Option<String>,
    retry: RetryPolicy,
    http_client: Option<reqwest::Client>,
    env_error: Option<ConfigError>,
    max_body_size: u64,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url.0)
            .field("token", &self.token.as_ref().map(TokenSetting::describe))
            .field("tenant_id", &self.tenant_id)
            .field("api_version", &self.api_version.0)
            .field("check_token_shape", &self.check_token_shape)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("retry", &self.retry)
            .field("custom_http_client", &self.http_client.is_some())
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

impl TokenSetting {
    fn describe(&self) -> String {
        match self {
            TokenSetting::Static(..) => "[redacted]".to_owned(),
            TokenSetting::Source(source) => format!("{source:?}"),
        }
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: (DEFAULT_BASE_URL.to_owned(), "base_url"),
            token: None,
            tenant_id: None,
            api_version: (meta::LATEST_API_VERSION.to_owned(), "api_version"),
            check_token_shape: true,
            allow_insecure_http: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            user_agent_suffix: None,
            retry: RetryPolicy::default(),
            http_client: None,
            env_error: None,
            max_body_size: crate::body::DEFAULT_MAX_BODY_SIZE,
        }
    }
}

impl ClientBuilder {
    /// Defaults: production base URL, no token, no tenant, the newest documented API version
    /// ([`meta::LATEST_API_VERSION`]), default timeouts and [`RetryPolicy`].
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    /// Settings from `CRO_BASE_URL`, `CRO_TOKEN`, `CRO_TENANT_ID` and `CRO_API_VERSION`
    /// (unset or empty variables keep the default). Problems are reported by
    /// [`build`](Self::build), naming the variable.
    pub fn from_env() -> Self {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) but reading variables through `lookup` (tests,
    /// configuration systems).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut builder = ClientBuilder::new();
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(url) = get(ENV_BASE_URL) {
            builder.base_url = (url.trim().to_owned(), ENV_BASE_URL);
        }
        if let Some(token) = get(ENV_TOKEN) {
            builder.token = Some(TokenSetting::Static(SecretString::new(token), ENV_TOKEN));
        }
        if let Some(tenant) = get(ENV_TENANT_ID) {
            match tenant.trim().parse::<u64>() {
                Ok(id) => builder.tenant_id = Some(id),
                Err(_) => {
                    builder.env_error = Some(ConfigError::Invalid {
                        setting: ENV_TENANT_ID,
                        reason: format!(
                            "`{}` is not a tenant id (a non-negative integer)",
                            truncate(tenant.trim(), 32)
                        ),
                    })
                }
            }
        }
        if let Some(version) = get(ENV_API_VERSION) {
            builder.api_version = (version.trim().to_owned(), ENV_API_VERSION);
        }
        builder
    }

    /// API base URL (default [`DEFAULT_BASE_URL`]). Must be `https`, except for loopback
    /// hosts (`localhost`, `127.0.0.0/8`, `::1`) or when [`allow_insecure_http`] is set.
    ///
    /// [`allow_insecure_http`]: Self::allow_insecure_http
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = (url.into(), "base_url");
        self
    }

    /// Allow a plain `http` base URL on a non-loopback host (a test server on the LAN).
    /// The token would travel unencrypted.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// A fixed access token (without `bearer `; a pasted `bearer ` prefix is removed).
    pub fn token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(TokenSetting::Static(token.into(), "token"));
        self
    }

    /// A token source (e.g. [`RefreshingTokenSource`](crate::oauth::RefreshingTokenSource)),
    /// asked before every attempt.
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.token = Some(TokenSetting::Source(Arc::new(source)));
        self
    }

    /// Like [`token_source`](Self::token_source) for a source that is already shared.
    pub fn shared_token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token = Some(TokenSetting::Source(source));
        self
    }

    /// Check tokens against the documented JWT-like pattern (default on). Turn off only
    /// for a deployment that issues opaque tokens; the 256-character limit still applies.
    pub fn check_token_shape(mut self, check: bool) -> Self {
        self.check_token_shape = check;
        self
    }

    /// The tenant to act for (`x-tenant-id`).
    pub fn tenant_id(mut self, tenant_id: u64) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    /// The API version to send in `x-api-version` (default: the newest,
    /// [`meta::LATEST_API_VERSION`]).
    ///
    /// ```
    /// use cro_api::types::ApiVersion;
    /// let client = cro_api::Client::builder().api_version(ApiVersion::V2021_11_04).build()?;
    /// assert_eq!(client.configured_api_version(), ApiVersion::V2021_11_04);
    /// // From text (a flag, a config file): `FromStr`, or `api_version_str`.
    /// let version: ApiVersion = "2021/04/07".parse()?;
    /// # let _ = version;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn api_version(mut self, version: crate::types::ApiVersion) -> Self {
        self.api_version = (version.to_string(), "api_version");
        self
    }

    /// The API version by its wire name (`"2021/11/04"`), for text from a user; checked by
    /// [`build`](Self::build) against [`meta::API_VERSIONS`] ([`ConfigError::ApiVersion`]).
    pub fn api_version_str(mut self, version: impl Into<String>) -> Self {
        self.api_version = (version.into(), "api_version");
        self
    }

    /// Time to establish a connection (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time limit of one attempt (default [`DEFAULT_REQUEST_TIMEOUT`]); the retry policy's
    /// deadline bounds the whole call.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Text appended to the `cro-rs/<version>` user agent (your application's name).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Retry behaviour (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Largest response body the client reads, in bytes (default
    /// [`DEFAULT_MAX_BODY_SIZE`](crate::body::DEFAULT_MAX_BODY_SIZE), 256 MiB, far above any
    /// real page). A `Content-Length` over it is refused before reading; a body that grows
    /// past it while arriving is cut off there. Either way the call fails with
    /// [`Error::is_body_too_large`](crate::Error::is_body_too_large), and memory stays
    /// bounded by the cap whatever the server sends.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Use this `reqwest::Client` instead of building one (proxies, custom TLS roots). The
    /// connect timeout and user agent settings then do not apply; the request timeout does.
    /// It should follow no redirects (`reqwest::redirect::Policy::none()`), as the client
    /// this builder makes does: a 3xx is then reported as [`Error::Redirect`](crate::Error::Redirect).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Validate every setting and build the client.
    pub fn build(self) -> Result<Client, ConfigError> {
        if let Some(e) = self.env_error {
            return Err(e);
        }
        let (base_url, url_setting) = &self.base_url;
        let base_url = validate_base_url(base_url, url_setting, self.allow_insecure_http)?;
        let api_version = validate_api_version(&self.api_version.0, self.api_version.1)?;
        let token: Option<Arc<dyn TokenSource>> = match self.token {
            None => None,
            Some(TokenSetting::Static(token, setting)) => {
                let token = StaticToken::new(token);
                // Validate the stripped token now: a bad static token is a build error.
                validate_token(token.value(), self.check_token_shape)
                    .map_err(|problem| ConfigError::Token { setting, problem })?;
                crate::sanitize::register_secret(token.value().expose_secret());
                Some(Arc::new(token))
            }
            Some(TokenSetting::Source(source)) => Some(source),
        };
        if self.request_timeout.is_zero() {
            return Err(ConfigError::Invalid {
                setting: "request_timeout",
                reason: "must be greater than zero".to_owned(),
            });
        }
        if self.max_body_size == 0 {
            return Err(ConfigError::Invalid {
                setting: "max_body_size",
                reason: "must be greater than zero".to_owned(),
            });
        }
        if self.connect_timeout.is_zero() {
            return Err(ConfigError::Invalid {
                setting: "connect_timeout",
                reason: "must be greater than zero".to_owned(),
            });
        }
        let user_agent = match &self.user_agent_suffix {
            Some(suffix) => format!("{USER_AGENT} {suffix}"),
            None => USER_AGENT.to_owned(),
        };
        let user_agent =
            HeaderValue::try_from(user_agent).map_err(|e| ConfigError::HeaderValue {
                setting: "user_agent_suffix",
                reason: e.to_string(),
            })?;
        let http = match self.http_client {
            Some(client) => client,
            // No redirects: the API documents none, and following one would carry the
            // request's headers (tenant, version, request id) to wherever the server points,
            // another host or plain http included. No `Referer` either.
            None => crate::tls::configure(reqwest::Client::builder())
                .map_err(ConfigError::HttpClient)?
                .user_agent(user_agent)
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .referer(false)
                .build()
                .map_err(|e| ConfigError::HttpClient(crate::error::error_chain(&e)))?,
        };
        let state = ClientState {
            shared: Arc::new(Shared {
                api_version,
                token,
                check_token_shape: self.check_token_shape,
                request_timeout: Some(self.request_timeout),
                budget: self.retry.get_budget().copied().map(BudgetState::new),
                limiter: self.retry.get_throttling().cloned().map(Limiter::new),
                retry: self.retry,
                max_body_size: self.max_body_size,
            }),
            tenant_id: self.tenant_id,
        };
        Ok(Client::new_with_client(&base_url, http, state))
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Check the base URL and return it without a trailing slash (progenitor appends paths
/// starting with `/`).
pub(crate) fn validate_base_url(
    raw: &str,
    setting: &'static str,
    allow_insecure_http: bool,
) -> Result<String, ConfigError> {
    let fail = |reason: String| ConfigError::BaseUrl { setting, reason };
    // The parse error does not include the input, which might hold credentials.
    let mut url = Url::parse(raw.trim()).map_err(|e| fail(format!("not an absolute URL ({e})")))?;
    let had_credentials = !url.username().is_empty() || url.password().is_some();
    if had_credentials {
        // Strip them before the URL appears in any message.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        return Err(fail(format!(
            "`{url}` must not contain credentials; use the token setting"
        )));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(fail(format!(
                "`{url}` uses plain http, which would send the token unencrypted; use https \
                 (http is allowed for loopback hosts, or with allow_insecure_http(true))"
            )));
        }
        other => return Err(fail(format!("unsupported scheme `{other}` (use https)"))),
    }
    if url.host().is_none() {
        return Err(fail(format!("`{url}` has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        url.set_query(None);
        url.set_fragment(None);
        return Err(fail(format!(
            "`{url}` must not have a query or fragment (only scheme, host, port and path)"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Match the version against the documented list, returning the table's `'static` string.
pub(crate) fn validate_api_version(
    version: &str,
    setting: &'static str,
) -> Result<&'static str, ConfigError> {
    let wanted = version.trim();
    meta::API_VERSIONS
        .iter()
        .copied()
        .find(|v| *v == wanted)
        .ok_or_else(|| ConfigError::ApiVersion {
            setting,
            version: truncate(wanted, 64),
            expected: meta::API_VERSIONS.join(", "),
        })
}

/// State shared by every request of a [`Client`]: API version, tenant, token source, retry
/// policy and its live budget. Cheap to clone (an `Arc` and an integer).
///
/// `Debug` never shows a token.
#[derive(Clone)]
pub struct ClientState {
    shared: Arc<Shared>,
    tenant_id: Option<u64>,
}

pub(crate) struct Shared {
    api_version: &'static str,
    token: Option<Arc<dyn TokenSource>>,
    check_token_shape: bool,
    request_timeout: Option<Duration>,
    retry: RetryPolicy,
    budget: Option<BudgetState>,
    max_body_size: u64,
    /// The adaptive limiter (one per built client, shared by clones and `with_tenant`).
    limiter: Option<Limiter>,
}

impl Default for ClientState {
    /// No token, no tenant, newest API version, default retry policy, no per-attempt timeout
    /// (for `Client::new`; prefer [`Client::builder`]).
    fn default() -> Self {
        let retry = RetryPolicy::default();
        ClientState {
            shared: Arc::new(Shared {
                api_version: meta::LATEST_API_VERSION,
                token: None,
                check_token_shape: true,
                request_timeout: None,
                budget: retry.get_budget().copied().map(BudgetState::new),
                limiter: retry.get_throttling().cloned().map(Limiter::new),
                retry,
                max_body_size: crate::body::DEFAULT_MAX_BODY_SIZE,
            }),
            tenant_id: None,
        }
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("api_version", &self.shared.api_version)
            .field("tenant_id", &self.tenant_id)
            // The token source's own `Debug` redacts (trait contract); show only its kind.
            .field("token", &self.shared.token.as_ref().map(|_| "[redacted]"))
            .field("check_token_shape", &self.shared.check_token_shape)
            .field("request_timeout", &self.shared.request_timeout)
            .field("retry", &self.shared.retry)
            .field("max_body_size", &self.shared.max_body_size)
            .field(
                "retry_budget_available",
                &self.shared.budget.as_ref().map(BudgetState::available),
            )
            .field(
                "throttle",
                &self.shared.limiter.as_ref().map(Limiter::stats),
            )
            .finish()
    }
}

impl ClientState {
    /// The configured API version, sent in `x-api-version` (not the spec's version: see
    /// [`Client::spec_api_version`](crate::Client::spec_api_version)).
    pub fn api_version(&self) -> &'static str {
        self.shared.api_version
    }

    /// The tenant id sent in `x-tenant-id`, if any.
    pub fn tenant_id(&self) -> Option<u64> {
        self.tenant_id
    }

    /// Whether a token (or token source) is configured.
    pub fn has_token(&self) -> bool {
        self.shared.token.is_some()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.shared.retry
    }

    /// The largest response body read, in bytes
    /// ([`ClientBuilder::max_body_size`]).
    pub fn max_body_size(&self) -> u64 {
        self.shared.max_body_size
    }

    /// Tokens left in the retry budget (`None` when the policy has no budget).
    pub fn retry_budget_available(&self) -> Option<u32> {
        self.shared.budget.as_ref().map(BudgetState::available)
    }

    pub(crate) fn with_tenant(&self, tenant_id: Option<u64>) -> Self {
        ClientState {
            shared: Arc::clone(&self.shared),
            tenant_id,
        }
    }

    pub(crate) fn token_source(&self) -> Option<&Arc<dyn TokenSource>> {
        self.shared.token.as_ref()
    }

    pub(crate) fn check_token_shape(&self) -> bool {
        self.shared.check_token_shape
    }

    pub(crate) fn request_timeout(&self) -> Option<Duration> {
        self.shared.request_timeout
    }

    pub(crate) fn budget(&self) -> Option<&BudgetState> {
        self.shared.budget.as_ref()
    }

    pub(crate) fn limiter(&self) -> Option<&Limiter> {
        self.shared.limiter.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let ok = |u: &str| validate_base_url(u, "base_url", false);
        assert_eq!(
            ok("https://api.crosoftware.net").unwrap(),
            "https://api.crosoftware.net"
        );
        assert_eq!(ok("https://h.example/v1/").unwrap(), "https://h.example/v1");
        assert!(ok("http://127.0.0.1:8080").is_ok());
        assert!(ok("http://localhost:8080").is_ok());
        assert!(ok("http://[::1]:8080").is_ok());
        assert!(ok("http://api.example.com").is_err());
        assert!(validate_base_url("http://api.example.com", "base_url", true).is_ok());
        assert!(ok("ftp://x").is_err());
        assert!(ok("api.crosoftware.net").is_err());
        assert!(ok("https://h.example/?q=1").is_err());
        let err = ok("https://user:hunter2@h.example")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn versions() {
        assert_eq!(
            validate_api_version(meta::LATEST_API_VERSION, "api_version"),
            Ok(meta::LATEST_API_VERSION)
        );
        let err = validate_api_version("2020/01/01", "CRO_API_VERSION").unwrap_err();
        assert_eq!(err.setting(), Some("CRO_API_VERSION"));
        assert!(err.to_string().contains("2020/01/01"));
    }
}
