//! [`Error`]: every way a call can fail, with the API's own message and typed helpers.
//!
//! Generated `send()` methods return this type: they convert progenitor's
//! `progenitor_client::Error<types::ErrorBody>` with the `From` impl below. The request hook has already folded into the
//! progenitor error everything progenitor would otherwise drop (the reason phrase, attempts,
//! a body excerpt, local failures; see [`crate::headers`] and [`LocalFailure`]), so the
//! conversion can rebuild the full picture.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use crate::auth::{TokenError, TokenProblem};
use crate::config::ConfigError;
use crate::headers::{self, X_REQUEST_ID};
use crate::retry::{RetryStop, parse_retry_after};
use crate::sanitize;
use crate::types;
use crate::validation::ValidationError;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error the client can return.
///
/// Inspect it with the helpers rather than matching when you can:
///
/// ```no_run
/// # async fn demo(client: &cro_api::Client) {
/// match client.get_hauler().hauler_uuid(uuid::Uuid::nil()).send().await {
///     Ok(hauler) => println!("{:?}", hauler.into_inner()),
///     Err(err) => {
///         if err.is_not_found() {
///             println!("no such hauler");
///         } else if let Some(field) = err.field() {
///             // `400 CreateCustomerModel.user_id: Unknown field.`
///             println!("{:?}.{:?}: {:?}", field.model(), field.name(), err.detail());
///         } else if let Some(wait) = err.retry_after() {
///             println!("rate limited; retry in {wait:?}");
///         } else {
///             println!("{err} (status {:?}, request id {:?})", err.status(), err.request_id());
///         }
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status (after any retries).
    Api(Box<ApiError>),
    /// A setting is invalid or missing: at build time, or for one request (no tenant id for
    /// an operation that requires `x-tenant-id`, no token for one that needs it). Nothing was
    /// sent.
    Config(ConfigError),
    /// A parameter was rejected before sending (e.g. a value outside the documented range,
    /// a required parameter not set). Nothing was sent.
    InvalidRequest(String),
    /// A request body broke a constraint of the spec (a string too long, a required field not
    /// set); names the model, field and rule ([`Error::field`] works as for the API's 400s).
    /// Nothing was sent.
    Validation(Box<ValidationError>),
    /// The token source could not provide a usable token. Nothing was sent.
    Auth(AuthError),
    /// The request could not be completed: connect failure, timeout, deadline, broken
    /// connection.
    Transport(Box<TransportError>),
    /// A success response whose body could not be decoded into the documented type.
    Decode(Box<DecodeError>),
    /// The server answered with a redirect (3xx). The client follows none: the API documents
    /// no redirects, and following one would send the request's headers to wherever the
    /// server points (another host, or plain http).
    Redirect(Box<RedirectError>),
    /// A status the spec does not describe for this operation (a 1xx, or a 2xx other than
    /// the documented one).
    UnexpectedStatus {
        /// The status.
        status: StatusCode,
        /// The request id, when known.
        request_id: Option<String>,
    },
}

impl Error {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Redirect(e) => Some(e.status),
            Error::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The API error, when the server answered with an error status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The text after the status code in the response's status line, when the server sent
    /// one of its own (`CreateCustomerModel.user_id: Unknown field.`).
    pub fn reason(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.reason.as_deref())
    }

    /// `field` of the error body, split into model and field name. Falls back to the reason
    /// phrase (`Model.field: detail`) when the body has none.
    pub fn field(&self) -> Option<&FieldRef> {
        match self {
            Error::Validation(e) => Some(e.field()),
            _ => self.api_error().and_then(|e| e.details.field.as_ref()),
        }
    }

    /// `detail` of the error body (why the request was rejected).
    pub fn detail(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.details.detail.as_deref())
    }

    /// `explanation` of the error body (the general class of error).
    pub fn explanation(&self) -> Option<&str> {
        self.api_error()
            .and_then(|e| e.details.explanation.as_deref())
    }

    /// `title` of the error body (older API versions).
    pub fn title(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.details.title.as_deref())
    }

    /// The request id: the one the server echoed, else the one the client sent.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Transport(e) => e.request_id.as_deref(),
            Error::Auth(e) => e.request_id.as_deref(),
            Error::Redirect(e) => e.request_id.as_deref(),
            Error::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// How many attempts were made (`None` when nothing was attempted or it is unknown).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Api(e) => Some(e.attempts),
            Error::Transport(e) => Some(e.attempts),
            _ => None,
        }
    }

    /// Why the client stopped retrying, when it had retried or could have.
    pub fn retry_stop(&self) -> Option<RetryStop> {
        match self {
            Error::Api(e) => e.retry_stop,
            Error::Transport(e) => e.retry_stop,
            _ => None,
        }
    }

    /// The server's `Retry-After` (seconds or HTTP-date), when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|e| e.retry_after)
    }

    /// An excerpt of an error body that was not the documented JSON (an HTML page from a
    /// proxy, JSON of another shape); `Some("")` for an empty body.
    pub fn body_excerpt(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.excerpt.as_deref(),
            Error::Decode(e) => Some(&e.excerpt),
            _ => None,
        }
    }

    fn has_status(&self, status: StatusCode) -> bool {
        self.status() == Some(status)
    }

    /// 400 Bad Request.
    pub fn is_bad_request(&self) -> bool {
        self.has_status(StatusCode::BAD_REQUEST)
    }

    /// 401 Unauthorized (missing, invalid or expired token).
    pub fn is_unauthorized(&self) -> bool {
        self.has_status(StatusCode::UNAUTHORIZED)
    }

    /// 403 Forbidden (role or tenant not allowed).
    pub fn is_forbidden(&self) -> bool {
        self.has_status(StatusCode::FORBIDDEN)
    }

    /// 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.has_status(StatusCode::NOT_FOUND)
    }

    /// 409 Conflict (e.g. a duplicate customer).
    pub fn is_conflict(&self) -> bool {
        self.has_status(StatusCode::CONFLICT)
    }

    /// 429 Too Many Requests.
    pub fn is_rate_limited(&self) -> bool {
        self.has_status(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Any 5xx.
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| s.is_server_error())
    }

    /// An attempt timed out, or the overall deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(e)
            if matches!(e.kind, TransportKind::Timeout | TransportKind::Deadline))
    }

    /// The overall deadline of the retry policy passed.
    pub fn is_deadline(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportKind::Deadline)
    }

    /// The client could not connect.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportKind::Connect)
    }

    /// A configuration problem (nothing was sent).
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config(_))
    }

    /// A response body was larger than
    /// [`ClientBuilder::max_body_size`](crate::ClientBuilder::max_body_size) allows.
    pub fn is_body_too_large(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportKind::BodyTooLarge)
    }

    /// The server answered with a redirect, which the client does not follow.
    pub fn is_redirect(&self) -> bool {
        matches!(self, Error::Redirect(_))
    }

    /// Whether trying again later may succeed (429, 502, 503, 504, connect errors,
    /// timeouts). The client has already retried per its policy.
    pub fn is_retryable(&self) -> bool {
        self.status().is_some_and(crate::retry::is_retryable_status)
            || matches!(self, Error::Transport(e)
                if !matches!(e.kind, TransportKind::Other | TransportKind::BodyTooLarge))
    }
}

/// Upper bound, in characters, of the one-line `Display` of every error.
pub const DISPLAY_MAX_CHARS: usize = 290;
/// Longest server message (reason phrase, `detail`) in a one-line `Display`.
const MESSAGE_CHARS: usize = 160;
/// Longest body excerpt in a one-line `Display`.
const LINE_EXCERPT_CHARS: usize = 100;
/// Longest server-provided string an error keeps (fields of the error body, reason phrase,
/// `Location`); accessors return at most this many characters, cleaned.
pub const SERVER_TEXT_MAX_CHARS: usize = 1000;
/// Longest request id shown (the server may echo anything).
const REQUEST_ID_CHARS: usize = 80;

/// The rendering every error type shares: a one-line summary (cleaned of control characters
/// and secrets, and cut to [`DISPLAY_MAX_CHARS`]), then with `{:#}` one detail per line.
fn render(f: &mut fmt::Formatter<'_>, line: &str, details: &[String]) -> fmt::Result {
    f.write_str(&sanitize::one_line(line, DISPLAY_MAX_CHARS))?;
    if f.alternate() {
        for detail in details {
            f.write_str("\n  ")?;
            f.write_str(&sanitize::one_line(detail, SERVER_TEXT_MAX_CHARS + 40))?;
        }
    }
    Ok(())
}

/// `key: value` when there is a value.
fn detail_line(details: &mut Vec<String>, key: &str, value: Option<impl fmt::Display>) {
    if let Some(value) = value {
        details.push(format!("{key}: {value}"));
    }
}

/// Display: one line of reasonable length (status, the API's message once, the request id);
/// `{:#}` adds the details, one per line. Server text is cleaned (control characters
/// escaped, secrets redacted) on the way.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => fmt::Display::fmt(e, f),
            Error::Config(e) => render(f, &e.to_string(), &[]),
            Error::InvalidRequest(message) => {
                render(f, &format!("invalid request: {message}"), &[])
            }
            Error::Validation(e) => render(f, &e.to_string(), &[]),
            Error::Auth(e) => fmt::Display::fmt(e, f),
            Error::Transport(e) => fmt::Display::fmt(e, f),
            Error::Decode(e) => fmt::Display::fmt(e, f),
            Error::Redirect(e) => fmt::Display::fmt(e, f),
            Error::UnexpectedStatus { status, request_id } => {
                let mut line = format!("unexpected response status {status}");
                if let Some(id) = request_id {
                    line.push_str(&format!(
                        " (request id {})",
                        sanitize::truncate(id, REQUEST_ID_CHARS)
                    ));
                }
                render(f, &line, &[])
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

/// The server's error response: status line, structured body and call metadata.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    reason: Option<String>,
    details: ErrorDetails,
    excerpt: Option<String>,
    request_id: Option<String>,
    api_version: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
    retry_stop: Option<RetryStop>,
    operation: Option<String>,
    headers: HeaderMap,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase as sent by the server, when it differs from the standard one.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The decoded error body.
    pub fn details(&self) -> &ErrorDetails {
        &self.details
    }

    /// See [`Error::body_excerpt`].
    pub fn body_excerpt(&self) -> Option<&str> {
        self.excerpt.as_deref()
    }

    /// See [`Error::request_id`].
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The API version the server answered with (`X-API-VERSION`).
    pub fn api_version(&self) -> Option<&str> {
        self.api_version.as_deref()
    }

    /// See [`Error::retry_after`].
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Attempts made (1 when not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// See [`Error::retry_stop`].
    pub fn retry_stop(&self) -> Option<RetryStop> {
        self.retry_stop
    }

    /// The operation id, when known.
    pub fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The status line as the API would write it: `400 CreateCustomerModel.user_id: Unknown
    /// field.`. Uses the server's reason phrase, else `field: detail` from the body, else
    /// the standard reason.
    pub fn status_line(&self) -> String {
        let code = self.status.as_u16();
        let d = &self.details;
        if let Some(reason) = &self.reason {
            format!("{code} {reason}")
        } else if let (Some(field), Some(detail)) = (&d.field, &d.detail) {
            format!("{code} {field}: {detail}")
        } else if let Some(text) = d.detail.as_ref().or(d.title.as_ref()) {
            format!("{code} {text}")
        } else {
            let canonical = self.status.canonical_reason().unwrap_or("Unknown Status");
            format!("{code} {canonical}")
        }
    }

    /// Build from what a response left behind (status, headers with the internal
    /// diagnostics, decoded body when there was one).
    fn from_parts(
        status: StatusCode,
        headers: &HeaderMap,
        body: Option<&types::ErrorBody>,
    ) -> Self {
        // Everything the server wrote is cleaned here, once (control characters escaped,
        // known secrets redacted, long strings cut), and again when displayed.
        let reason = headers::decode_text(headers, &headers::INTERNAL_REASON)
            .filter(|r| !r.trim().is_empty())
            .map(|r| sanitize::one_line(&r, SERVER_TEXT_MAX_CHARS));
        let mut details = body.map(ErrorDetails::from_body).unwrap_or_default();
        if let Some(reason) = &reason {
            details.fill_from_reason(reason);
        }
        let excerpt = headers::decode_text(headers, &headers::INTERNAL_EXCERPT)
            .map(|x| sanitize::one_line(&x, SERVER_TEXT_MAX_CHARS));
        let sent_id = headers::decode_text(headers, &headers::INTERNAL_REQUEST_ID);
        let echoed_id = headers
            .get(X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(|id| sanitize::one_line(id, REQUEST_ID_CHARS));
        let attempts = headers
            .get(headers::INTERNAL_ATTEMPTS)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let retry_stop = headers::decode_text(headers, &headers::INTERNAL_STOP)
            .and_then(|s| RetryStop::parse(&s));
        ApiError {
            status,
            reason,
            details,
            excerpt,
            request_id: echoed_id.or(sent_id),
            api_version: headers
                .get(crate::headers::X_API_VERSION)
                .and_then(|v| v.to_str().ok())
                .map(|v| sanitize::one_line(v, REQUEST_ID_CHARS)),
            retry_after: parse_retry_after(headers, SystemTime::now()),
            attempts,
            retry_stop,
            operation: headers::decode_text(headers, &headers::INTERNAL_OPERATION),
            headers: headers::without_internal(headers),
        }
    }
}

impl ApiError {
    /// Whether the server said anything beyond the status (reason phrase or error fields).
    fn has_message(&self) -> bool {
        let d = &self.details;
        self.reason.is_some() || d.detail.is_some() || d.title.is_some() || d.field.is_some()
    }

    /// The one-line summary: `403 Not your tenant. (request id …)`.
    fn summary(&self) -> String {
        let status_line = self.status_line();
        let code_len = 4; // "403 "
        let mut line = if status_line.chars().count() > MESSAGE_CHARS + code_len {
            sanitize::truncate(&status_line, MESSAGE_CHARS + code_len).into_owned()
        } else {
            status_line
        };
        if !self.has_message() {
            match self.excerpt.as_deref() {
                Some("") => line.push_str("; empty body"),
                Some(excerpt) => {
                    line.push_str("; body: ");
                    line.push_str(&sanitize::truncate(excerpt, LINE_EXCERPT_CHARS));
                }
                None => {}
            }
        }
        let mut extras = Vec::new();
        if self.attempts > 1 {
            match self.retry_stop {
                Some(stop) if stop != RetryStop::AttemptsExhausted => {
                    extras.push(format!("after {} attempts; {stop}", self.attempts))
                }
                _ => extras.push(format!("after {} attempts", self.attempts)),
            }
        } else if let Some(
            stop @ (RetryStop::BudgetExhausted
            | RetryStop::RetryAfterTooLong
            | RetryStop::NoProgress { .. }),
        ) = self.retry_stop
        {
            extras.push(format!("not retried: {stop}"));
        }
        if let Some(id) = &self.request_id {
            extras.push(format!("request id {id}"));
        }
        if !extras.is_empty() {
            line.push_str(&format!(" ({})", extras.join("; ")));
        }
        line
    }

    /// Every detail, one per line, for `{:#}`.
    fn detail_lines(&self) -> Vec<String> {
        let d = &self.details;
        let mut lines = Vec::new();
        detail_line(&mut lines, "field", d.field.as_ref());
        detail_line(&mut lines, "title", d.title.as_ref());
        detail_line(&mut lines, "detail", d.detail.as_ref());
        detail_line(&mut lines, "explanation", d.explanation.as_ref());
        match self.excerpt.as_deref() {
            Some("") => lines.push("body: (empty)".to_owned()),
            Some(x) => lines.push(format!("body: {x}")),
            None => {}
        }
        detail_line(&mut lines, "operation", self.operation.as_ref());
        detail_line(&mut lines, "request id", self.request_id.as_ref());
        detail_line(&mut lines, "api version", self.api_version.as_ref());
        if let Some(wait) = self.retry_after {
            lines.push(format!("retry after: {} s", wait.as_secs()));
        }
        lines
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render(f, &self.summary(), &self.detail_lines())
    }
}

impl std::error::Error for ApiError {}

/// The structured error body: `{field, detail, explanation, title}`, all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    field: Option<FieldRef>,
    detail: Option<String>,
    explanation: Option<String>,
    title: Option<String>,
}

impl ErrorDetails {
    /// `field`, split into model and field name.
    pub fn field(&self) -> Option<&FieldRef> {
        self.field.as_ref()
    }
    /// `detail`.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
    /// `explanation`.
    pub fn explanation(&self) -> Option<&str> {
        self.explanation.as_deref()
    }
    /// `title`.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// Read the keys through serde so that this keeps working whatever optional keys the
    /// generated `ErrorBody` has.
    fn from_body(body: &types::ErrorBody) -> Self {
        let value = serde_json::to_value(body).unwrap_or_default();
        let text = |key: &str| {
            value
                .get(key)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(|s| sanitize::one_line(s, SERVER_TEXT_MAX_CHARS))
        };
        ErrorDetails {
            field: text("field").map(|f| FieldRef::parse(&f)),
            detail: text("detail"),
            explanation: text("explanation"),
            title: text("title"),
        }
    }

    /// `Model.field: detail` in the reason phrase fills a missing `field`/`detail`.
    fn fill_from_reason(&mut self, reason: &str) {
        let Some((head, tail)) = reason.split_once(": ") else {
            return;
        };
        let looks_like_field =
            !head.is_empty() && head.contains('.') && !head.contains(char::is_whitespace);
        if !looks_like_field {
            return;
        }
        if self.field.is_none() {
            self.field = Some(FieldRef::parse(head));
        }
        if self.detail.is_none() && !tail.trim().is_empty() {
            self.detail = Some(tail.trim().to_owned());
        }
    }
}

/// An error's `field` (`CreateCustomerModel.user_id`) split into model and field name.
///
/// ```
/// use cro_api::FieldRef;
/// let f = FieldRef::parse("CreateCustomerModel.user_id");
/// assert_eq!(f.model(), Some("CreateCustomerModel"));
/// assert_eq!(f.name(), Some("user_id"));
/// assert_eq!(f.to_string(), "CreateCustomerModel.user_id");
/// let nested = FieldRef::parse("CreateCustomerModel.addresses.0.line_1");
/// assert_eq!(nested.name(), Some("addresses.0.line_1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    raw: String,
    model: Option<String>,
    name: Option<String>,
}

impl FieldRef {
    /// Split at the first dot. Without a dot, a capitalised word is taken as a model name
    /// (`CreateCustomerModel`), anything else as a field name.
    pub fn parse(raw: &str) -> Self {
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let (model, name) = match raw.split_once('.') {
            Some((model, name)) => (nonempty(model), nonempty(name)),
            None if raw.starts_with(|c: char| c.is_ascii_uppercase()) => (nonempty(raw), None),
            None => (None, nonempty(raw)),
        };
        FieldRef {
            raw: raw.to_owned(),
            model,
            name,
        }
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The model (schema) name, e.g. `CreateCustomerModel`.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The field name within the model, e.g. `user_id`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// What kind of network failure ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TransportKind {
    /// Could not connect (nothing was sent).
    Connect,
    /// An attempt exceeded the request timeout.
    Timeout,
    /// The retry policy's overall deadline passed.
    Deadline,
    /// Anything else (connection reset, broken body, ...).
    Other,
    /// The response body was larger than the client's cap
    /// ([`ClientBuilder::max_body_size`](crate::ClientBuilder::max_body_size)); reading
    /// stopped there. Not retried.
    BodyTooLarge,
}

/// A call that ended without an HTTP response.
#[derive(Debug, Clone)]
pub struct TransportError {
    kind: TransportKind,
    message: String,
    operation: Option<String>,
    request_id: Option<String>,
    attempts: u32,
    elapsed: Duration,
    retry_stop: Option<RetryStop>,
}

impl TransportError {
    /// The kind of failure.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }
    /// The underlying error, with its causes.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// Time spent on the call, attempts and waits included.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
    /// The operation id, when known.
    pub fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let what = match self.kind {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "request timed out",
            TransportKind::Deadline => "deadline exceeded",
            TransportKind::Other => "request failed",
            TransportKind::BodyTooLarge => "response too large",
        };
        let mut line = what.to_owned();
        if let Some(op) = &self.operation {
            let _ = write!(line, " ({op})");
        }
        let _ = write!(
            line,
            " after {} attempt{} in {:.1?}",
            self.attempts,
            if self.attempts == 1 { "" } else { "s" },
            self.elapsed
        );
        if let Some(stop) = self
            .retry_stop
            .filter(|s| !matches!(s, RetryStop::AttemptsExhausted | RetryStop::NotRetryable))
        {
            let _ = write!(line, " ({stop})");
        }
        if !self.message.is_empty() {
            let _ = write!(line, ": {}", self.message);
        }
        let mut details = Vec::new();
        detail_line(&mut details, "request id", self.request_id.as_ref());
        render(f, &line, &details)
    }
}

/// A transport error found outside the request hook (reading a body in `cro-ext`).
pub(crate) fn transport_error(kind: TransportKind, message: String) -> Error {
    Error::Transport(Box::new(TransportError {
        kind,
        message,
        operation: None,
        request_id: None,
        attempts: 1,
        elapsed: Duration::ZERO,
        retry_stop: None,
    }))
}

/// The server answered with a redirect; see [`Error::Redirect`].
#[derive(Debug, Clone)]
pub struct RedirectError {
    status: StatusCode,
    location: Option<String>,
    operation: Option<String>,
    request_id: Option<String>,
}

impl RedirectError {
    /// The 3xx status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// Where the server pointed (`Location`, cleaned and cut to a readable length).
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
    /// The operation id, when known.
    pub fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = format!("the server answered {} ", self.status);
        match &self.location {
            Some(location) => line.push_str(&format!(
                "redirecting to `{}`",
                sanitize::truncate(location, MESSAGE_CHARS)
            )),
            None => line.push_str("(a redirect without a Location)"),
        }
        line.push_str("; the client follows no redirects: check the base URL");
        if let Some(id) = &self.request_id {
            line.push_str(&format!(" (request id {id})"));
        }
        let mut details = Vec::new();
        detail_line(&mut details, "location", self.location.as_ref());
        detail_line(&mut details, "operation", self.operation.as_ref());
        render(f, &line, &details)
    }
}

impl std::error::Error for RedirectError {}

impl std::error::Error for TransportError {}

/// The token source failed, or produced a token that breaks the documented rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    message: String,
    problem: Option<TokenProblem>,
    operation: Option<String>,
    request_id: Option<String>,
}

impl AuthError {
    /// What went wrong (never contains a token).
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The rule the token broke, when it was a validation failure.
    pub fn problem(&self) -> Option<TokenProblem> {
        self.problem
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = "no usable access token".to_owned();
        if let Some(op) = &self.operation {
            line.push_str(&format!(" for {op}"));
        }
        line.push_str(&format!(": {}", self.message));
        render(f, &line, &[])
    }
}

impl std::error::Error for AuthError {}

impl From<TokenError> for Error {
    fn from(e: TokenError) -> Self {
        Error::Auth(AuthError {
            message: e.message().to_owned(),
            problem: None,
            operation: None,
            request_id: None,
        })
    }
}

/// A success response whose body did not decode.
#[derive(Debug, Clone)]
pub struct DecodeError {
    message: String,
    excerpt: String,
}

impl DecodeError {
    /// The decoder's message (position and expectation).
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The start of the body.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The decoder's message can quote the body: cut it to a readable length.
        let line = format!(
            "could not decode the response body: {}",
            sanitize::truncate(&self.message, MESSAGE_CHARS)
        );
        let mut details = Vec::new();
        if !self.excerpt.is_empty() {
            details.push(format!("body: {}", self.excerpt));
        }
        render(f, &line, &details)
    }
}

impl std::error::Error for DecodeError {}

impl From<progenitor_client::Error<types::ErrorBody>> for Error {
    fn from(e: progenitor_client::Error<types::ErrorBody>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::ErrorResponse(rv) => Error::Api(Box::new(ApiError::from_parts(
                rv.status(),
                rv.headers(),
                Some(rv.as_ref()),
            ))),
            P::UnexpectedResponse(response) => {
                let status = response.status();
                if status.is_client_error() || status.is_server_error() {
                    Error::Api(Box::new(ApiError::from_parts(
                        status,
                        response.headers(),
                        None,
                    )))
                } else {
                    Error::UnexpectedStatus {
                        status,
                        request_id: response
                            .headers()
                            .get(X_REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                    }
                }
            }
            P::InvalidRequest(message) => match ValidationError::parse(&message) {
                Some(validation) => Error::Validation(Box::new(validation)),
                None => Error::InvalidRequest(message),
            },
            P::Custom(message) => match LocalFailure::decode(&message) {
                Some(failure) => failure.into_error(),
                None => Error::InvalidRequest(message),
            },
            P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => {
                Error::Transport(Box::new(TransportError {
                    kind: if e.is_connect() {
                        TransportKind::Connect
                    } else if e.is_timeout() {
                        TransportKind::Timeout
                    } else {
                        TransportKind::Other
                    },
                    message: error_chain(&e),
                    operation: None,
                    request_id: None,
                    attempts: 1,
                    elapsed: Duration::ZERO,
                    retry_stop: None,
                }))
            }
            P::InvalidResponsePayload(bytes, e) => Error::Decode(Box::new(DecodeError {
                message: e.to_string(),
                excerpt: excerpt(&bytes),
            })),
        }
    }
}

pub(crate) use crate::sanitize::error_chain;

/// Longest body excerpt kept, in characters.
pub(crate) const EXCERPT_CHARS: usize = 300;

/// How much of a body the excerpt builder looks at. Bounding the input (not only the output)
/// keeps the cost of an error message independent of the body's size: a 3 MB HTML page costs
/// as much as its first few kilobytes.
pub(crate) const EXCERPT_INPUT_BYTES: usize = 8 * 1024;

/// A one-line, bounded excerpt of a body: tags of an HTML page dropped, whitespace collapsed,
/// secrets redacted. Built in linear time from the first [`EXCERPT_INPUT_BYTES`] only.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let prefix = utf8_prefix(bytes, EXCERPT_INPUT_BYTES);
    let text = String::from_utf8_lossy(prefix);
    let visible = if text.trim_start().starts_with('<') {
        strip_html(&text)
    } else {
        text.into_owned()
    };
    let mut out = String::new();
    let mut chars = 0;
    'words: for word in visible.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars == EXCERPT_CHARS {
                out.push('…');
                break 'words;
            }
            out.push(c);
            chars += 1;
        }
    }
    sanitize::for_terminal(&out)
}

/// The first `max` bytes of `bytes`, not cutting a UTF-8 sequence in two (a cut sequence
/// would show as a replacement character).
fn utf8_prefix(bytes: &[u8], max: usize) -> &[u8] {
    if bytes.len() <= max {
        return bytes;
    }
    let mut end = max;
    // Back up over at most 3 continuation bytes to the start of the cut sequence.
    while end > max.saturating_sub(3) && end > 0 && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    &bytes[..end]
}

/// Text of an HTML page without tags, scripts and styles (good enough for an error excerpt;
/// not an HTML parser). One pass: each byte is looked at a bounded number of times.
fn strip_html(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len().min(EXCERPT_INPUT_BYTES));
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        out.push_str(&html[text_start..i]);
        out.push(' ');
        let closing = if starts_with_ignore_case(&bytes[i..], b"<script") {
            Some(&b"</script>"[..])
        } else if starts_with_ignore_case(&bytes[i..], b"<style") {
            Some(&b"</style>"[..])
        } else {
            None
        };
        let end = match closing {
            Some(close) => find_ignore_case(&bytes[i..], close).map(|p| i + p + close.len()),
            None => bytes[i..]
                .iter()
                .position(|&b| b == b'>')
                .map(|p| i + p + 1),
        };
        match end {
            Some(end) => {
                i = end;
                text_start = end;
            }
            None => {
                // An unclosed tag runs to the end.
                text_start = bytes.len();
                break;
            }
        }
    }
    out.push_str(&html[text_start..]);
    out
}

fn starts_with_ignore_case(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// First position of `needle` in `hay`, ignoring ASCII case. `needle` is a short constant,
/// so this is linear in `hay`.
fn find_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// A failure detected by the request hook, carried through progenitor's
/// `Error::Custom(String)` (the only channel a hook has) and decoded again by
/// `From<progenitor_client::Error<_>>`.
///
/// The string is `"<human message> (cro-rs:<json>)"`, so that it still reads well if a caller
/// prints the progenitor error without converting it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LocalFailure {
    pub kind: LocalKind,
    pub message: String,
    pub operation: String,
    pub request_id: Option<String>,
    pub attempts: u32,
    pub elapsed_ms: u64,
    pub stop: Option<String>,
    pub token_problem: Option<TokenProblemCode>,
    /// [`LocalKind::Redirect`]: the cleaned `Location`.
    #[serde(default)]
    pub location: Option<String>,
}

/// What [`LocalFailure`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum LocalKind {
    MissingTenant,
    MissingToken,
    Auth,
    Transport(TransportKind),
    /// A 3xx answer (its status code), which the client does not follow.
    Redirect(u16),
}

/// Serializable mirror of [`TokenProblem`] (kept private so the public enum needs no serde).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) enum TokenProblemCode {
    Empty,
    TooLong(usize, usize),
    InvalidCharacters,
    Malformed,
}

impl From<TokenProblem> for TokenProblemCode {
    fn from(p: TokenProblem) -> Self {
        match p {
            TokenProblem::Empty => TokenProblemCode::Empty,
            TokenProblem::TooLong { length, max } => TokenProblemCode::TooLong(length, max),
            TokenProblem::InvalidCharacters => TokenProblemCode::InvalidCharacters,
            TokenProblem::Malformed => TokenProblemCode::Malformed,
        }
    }
}

impl From<TokenProblemCode> for TokenProblem {
    fn from(p: TokenProblemCode) -> Self {
        match p {
            TokenProblemCode::Empty => TokenProblem::Empty,
            TokenProblemCode::TooLong(length, max) => TokenProblem::TooLong { length, max },
            TokenProblemCode::InvalidCharacters => TokenProblem::InvalidCharacters,
            TokenProblemCode::Malformed => TokenProblem::Malformed,
        }
    }
}

const LOCAL_MARKER: &str = " (cro-rs:";

impl LocalFailure {
    pub(crate) fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{}{LOCAL_MARKER}{json})", self.message)
    }

    pub(crate) fn decode(text: &str) -> Option<LocalFailure> {
        let start = text.rfind(LOCAL_MARKER)? + LOCAL_MARKER.len();
        let json = text.get(start..)?.strip_suffix(')')?;
        serde_json::from_str(json).ok()
    }

    pub(crate) fn into_error(self) -> Error {
        let operation = Some(self.operation.clone()).filter(|o| !o.is_empty());
        match self.kind {
            LocalKind::MissingTenant => Error::Config(ConfigError::MissingTenant {
                operation: self.operation,
            }),
            LocalKind::MissingToken => Error::Config(ConfigError::MissingToken {
                operation: self.operation,
            }),
            LocalKind::Auth => Error::Auth(AuthError {
                message: self.message,
                problem: self.token_problem.map(Into::into),
                operation,
                request_id: self.request_id,
            }),
            LocalKind::Transport(kind) => Error::Transport(Box::new(TransportError {
                kind,
                message: self.message,
                operation,
                request_id: self.request_id,
                attempts: self.attempts,
                elapsed: Duration::from_millis(self.elapsed_ms),
                retry_stop: self.stop.as_deref().and_then(RetryStop::parse),
            })),
            LocalKind::Redirect(code) => Error::Redirect(Box::new(RedirectError {
                status: StatusCode::from_u16(code).unwrap_or(StatusCode::FOUND),
                location: self.location,
                operation,
                request_id: self.request_id,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_ref_parsing() {
        let f = FieldRef::parse("user_id");
        assert_eq!((f.model(), f.name()), (None, Some("user_id")));
        let f = FieldRef::parse("CreateCustomerModel");
        assert_eq!((f.model(), f.name()), (Some("CreateCustomerModel"), None));
        let f = FieldRef::parse(".x");
        assert_eq!((f.model(), f.name()), (None, Some("x")));
    }

    #[test]
    fn reason_fills_details() {
        let mut d = ErrorDetails::default();
        d.fill_from_reason("CreateCustomerModel.user_id: Unknown field.");
        assert_eq!(d.field().and_then(FieldRef::name), Some("user_id"));
        assert_eq!(d.detail(), Some("Unknown field."));
        let mut d = ErrorDetails::default();
        d.fill_from_reason("Service Unavailable: try later");
        assert_eq!(d.field(), None);
    }

    #[test]
    fn excerpts() {
        let html = b"<html><head><title>502 Bad Gateway</title><style>body{}</style></head>\
            <body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        assert_eq!(excerpt(html), "502 Bad Gateway 502 Bad Gateway nginx");
        assert_eq!(excerpt(b""), "");
        assert_eq!(excerpt(b"{\"message\":  \"x\"}\n"), "{\"message\": \"x\"}");
        let long = "é".repeat(1000);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
    }

    #[test]
    fn excerpts_examine_a_bounded_prefix() {
        // Text past the prefix is never looked at: blank up to the bound, then a marker.
        let mut body = vec![b' '; EXCERPT_INPUT_BYTES];
        body.extend_from_slice(b"MARKER");
        assert_eq!(excerpt(&body), "");
        // The old stripper's worst case (a tag at every other byte) over 3 MB: only the
        // prefix is stripped, so this is as cheap as an 8 KiB page.
        let page = "<a".repeat(1_500_000) + ">visible";
        assert_eq!(excerpt(page.as_bytes()), "");
        let page = format!("<p>start</p>{}<p>MARKER</p>", "<i>a</i>".repeat(400_000));
        let e = excerpt(page.as_bytes());
        assert!(e.starts_with("start a a") && !e.contains("MARKER"), "{e}");
        // A multi-byte character cut by the bound is dropped, not turned into U+FFFD.
        let mut body = vec![b'a'; EXCERPT_INPUT_BYTES - 1];
        body.extend_from_slice("é".as_bytes());
        assert!(!excerpt(&body).contains('\u{fffd}'));
    }

    #[test]
    fn strip_html_handles_case_and_unclosed_tags() {
        assert_eq!(
            strip_html("a<SCRIPT>x<y</ScRiPt>b<STYLE>p{}</style>c<br"),
            "a b c "
        );
    }

    #[test]
    fn local_failure_round_trip() {
        let f = LocalFailure {
            kind: LocalKind::Transport(TransportKind::Connect),
            message: "could not connect: refused (really)".into(),
            operation: "list_tenants".into(),
            request_id: Some("abc".into()),
            attempts: 3,
            elapsed_ms: 1200,
            stop: Some(RetryStop::AttemptsExhausted.as_str().into()),
            token_problem: None,
            location: None,
        };
        let encoded = f.encode();
        assert!(encoded.starts_with("could not connect: refused (really) (cro-rs:{"));
        let err = LocalFailure::decode(&encoded).unwrap().into_error();
        assert!(err.is_connect());
        assert_eq!(err.attempts(), Some(3));
        assert_eq!(err.request_id(), Some("abc"));
        assert!(LocalFailure::decode("plain text").is_none());
    }
}
