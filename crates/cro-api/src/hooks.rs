//! The request hooks: progenitor calls `pre`, `exec` and `post` around every operation.
//!
//! - `pre` decides the headers from the operation's metadata (`meta::OPERATIONS`), because
//!   the rules differ per operation: public operations send no `authorization`, List Tenants
//!   no `x-tenant-id`, Get Hauler sends it only when configured. It also removes progenitor's
//!   `api-version` header: the CRO API documents only `x-api-version`, and an undocumented
//!   header invites a strict proxy or a future server version to reject the request.
//! - `exec` runs the attempts: token per attempt, per-attempt timeout capped by the deadline,
//!   retries per [`RetryPolicy`](crate::RetryPolicy), one repeat after a 401 when the token
//!   source has a fresh token, the tracing span, and the normalisation of error responses
//!   (see [`finalize`]).
//! - `post` turns a failure that `exec` recorded into progenitor's `Error::Custom`, the only
//!   error a hook can produce (`exec` must return a `reqwest::Result`, and `reqwest::Error`
//!   cannot be constructed outside reqwest).
//!
//! The impl is for `Client`, not `&Client`: progenitor generates an empty impl for `&Client`
//! and method resolution prefers ours ("auto-ref specialisation").

use std::time::{Duration, Instant};

use http::header::{AUTHORIZATION, CONTENT_LENGTH, LOCATION, TRANSFER_ENCODING};
use http::{HeaderValue, StatusCode};
use progenitor_client::{ClientHooks, OperationInfo};
use tracing::Instrument;

use crate::auth::{authorization_value, strip_bearer, validate_token};
use crate::body::{BodyTooLarge, ReadBodyError, read_capped};
use crate::error::{
    LocalFailure, LocalKind, SERVER_TEXT_MAX_CHARS, TransportKind, error_chain, excerpt,
};
use crate::headers::{
    self, INTERNAL_ATTEMPTS, INTERNAL_EXCERPT, INTERNAL_OPERATION, INTERNAL_REASON,
    INTERNAL_REQUEST_ID, INTERNAL_STOP, PROGENITOR_API_VERSION, X_API_VERSION, X_REQUEST_ID,
    X_TENANT_ID,
};
use crate::meta::{Auth, Operation, TenantHeader};
use crate::retry::{
    RetryStop, TransportFailure, is_retryable_status, is_throttle_status, parse_retry_after,
};
use crate::sanitize;
use crate::secret::SecretString;
use crate::throttle::Verdict;
use crate::{Client, ClientState, types};

/// Largest error body the client reads (the API's error bodies are a few hundred bytes; a
/// proxy's HTML page a few kilobytes). The rest is discarded. A smaller
/// [`max_body_size`](crate::ClientBuilder::max_body_size) lowers it.
const MAX_ERROR_BODY: usize = 64 * 1024;

#[doc(hidden)]
impl ClientHooks<ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        prepare(&self.inner, request, info.operation_id)
            .map_err(|failure| progenitor_client::Error::Custom(failure.encode()))
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        Ok(execute(self, request, info.operation_id).await)
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        match result {
            Ok(response) => match response.extensions().get::<LocalFailure>() {
                Some(failure) => Err(progenitor_client::Error::Custom(failure.encode())),
                None => Ok(()),
            },
            Err(_) => Ok(()),
        }
    }
}

/// The operation's rules; an id missing from the table (metadata out of date) gets the
/// common case: bearer token, tenant sent when configured.
fn rules(operation: Option<&Operation>) -> (Auth, TenantHeader) {
    operation.map_or((Auth::Bearer, TenantHeader::Optional), |op| {
        (op.auth, op.tenant)
    })
}

/// Set the per-call headers, or refuse the call when a required setting is missing.
fn prepare(
    state: &ClientState,
    request: &mut reqwest::Request,
    operation_id: &'static str,
) -> Result<(), Box<LocalFailure>> {
    let (auth, tenant) = rules(Operation::find(operation_id));
    let headers = request.headers_mut();
    headers.remove(PROGENITOR_API_VERSION);
    // The generated builders take `x_api_version`/`x_request_id` per call; keep those.
    if !headers.contains_key(X_API_VERSION)
        && let Ok(value) = HeaderValue::from_str(state.api_version())
    {
        headers.insert(X_API_VERSION, value);
    }
    // One id per call, shared by its retries, so the server's logs group the attempts.
    let request_id = match headers.get(X_REQUEST_ID).and_then(|v| v.to_str().ok()) {
        Some(id) => id.to_owned(),
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            if let Ok(value) = HeaderValue::from_str(&id) {
                headers.insert(X_REQUEST_ID, value);
            }
            id
        }
    };
    // Only this hook decides these two.
    headers.remove(AUTHORIZATION);
    headers.remove(X_TENANT_ID);
    let local = |kind: LocalKind, message: String| {
        Box::new(LocalFailure {
            kind,
            message,
            operation: operation_id.to_owned(),
            request_id: Some(request_id.clone()),
            attempts: 0,
            elapsed_ms: 0,
            stop: None,
            token_problem: None,
            location: None,
        })
    };
    match (tenant, state.tenant_id()) {
        (TenantHeader::Absent, _) | (TenantHeader::Optional, None) => {}
        (TenantHeader::Required | TenantHeader::Optional, Some(id)) => {
            headers.insert(X_TENANT_ID, HeaderValue::from(id));
        }
        (TenantHeader::Required, None) => {
            return Err(local(
                LocalKind::MissingTenant,
                format!("{operation_id} requires a tenant id (x-tenant-id)"),
            ));
        }
    }
    if auth == Auth::Bearer && state.token_source().is_none() {
        return Err(local(
            LocalKind::MissingToken,
            format!("{operation_id} requires an access token"),
        ));
    }
    Ok(())
}

/// Run the call inside its tracing span.
async fn execute(
    client: &Client,
    request: reqwest::Request,
    operation_id: &'static str,
) -> reqwest::Response {
    let operation = Operation::find(operation_id);
    let path = operation.map_or_else(|| request.url().path().to_owned(), |op| op.path.to_owned());
    let request_id = request
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let span = crate::trace::request_span(operation_id, request.method(), &path, &request_id);
    span.in_scope(|| {
        // Ids and filter values, for tools that show what was sent (`cro -v`); opt-in by
        // target, so the span itself stays free of them.
        tracing::debug!(
            target: crate::trace::TARGET_TARGET,
            path_and_query = %format_args!(
                "{}{}{}",
                request.url().path(),
                if request.url().query().is_some() { "?" } else { "" },
                request.url().query().unwrap_or_default()
            ),
            "request target"
        );
    });
    let started = Instant::now();
    let call = Call {
        client,
        operation_id,
        operation,
        request_id,
        started,
    };
    let response = call.run(request).instrument(span.clone()).await;
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    match response.extensions().get::<LocalFailure>() {
        Some(failure) => {
            span.record("error", failure_label(failure.kind));
        }
        None => {
            span.record("status", response.status().as_u16());
        }
    }
    response
}

fn failure_label(kind: LocalKind) -> &'static str {
    match kind {
        LocalKind::MissingTenant => "missing tenant",
        LocalKind::MissingToken => "missing token",
        LocalKind::Auth => "token",
        LocalKind::Transport(TransportKind::Connect) => "connect",
        LocalKind::Transport(TransportKind::Timeout) => "timeout",
        LocalKind::Transport(TransportKind::Deadline) => "deadline",
        LocalKind::Transport(TransportKind::BodyTooLarge) => "body too large",
        LocalKind::Transport(_) => "transport",
        LocalKind::Redirect(_) => "redirect",
    }
}

/// One call of one operation: its fixed context.
struct Call<'a> {
    client: &'a Client,
    operation_id: &'static str,
    operation: Option<&'static Operation>,
    request_id: String,
    started: Instant,
}

/// What happened to one attempt, for the retry decision.
enum Attempted {
    Response(reqwest::Response),
    Failed {
        kind: TransportKind,
        failure: TransportFailure,
        message: String,
    },
}

impl Call<'_> {
    fn state(&self) -> &ClientState {
        &self.client.inner
    }

    fn failure(
        &self,
        kind: LocalKind,
        message: String,
        attempts: u32,
        stop: Option<RetryStop>,
    ) -> LocalFailure {
        LocalFailure {
            kind,
            message,
            operation: self.operation_id.to_owned(),
            request_id: Some(self.request_id.clone()),
            attempts,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
            stop: stop.map(RetryStop::encode),
            token_problem: None,
            location: None,
        }
    }

    /// The failure of a body over the size cap (never retried: it would be as large again).
    fn too_large(&self, e: BodyTooLarge, attempts: u32) -> LocalFailure {
        tracing::warn!(limit = e.limit(), "response body over the size cap");
        self.failure(
            LocalKind::Transport(TransportKind::BodyTooLarge),
            e.to_string(),
            attempts,
            Some(RetryStop::NotRetryable),
        )
    }

    async fn run(&self, request: reqwest::Request) -> reqwest::Response {
        let policy = self.state().retry_policy().clone();
        // Pushed back by the time spent waiting for the limiter and in throttle holds: a
        // throttled call is bounded by the progress timeout, not by this deadline.
        let mut deadline = policy.get_deadline().map(|d| self.started + d);
        let (auth, _) = rules(self.operation);
        let method = request.method().clone();
        let mut template = Some(request);
        let mut attempt: u32 = 0;
        // A repeat after a 401 is not a policy retry: it does not use up attempts or budget.
        let mut auth_repeats: u32 = 0;
        // Neither is a throttled repeat (429/503 with throttling on): bounded by progress.
        let mut throttle_repeats: u32 = 0;
        loop {
            attempt += 1;
            tracing::Span::current().record("attempt", attempt);
            let Some(current) = template.take() else {
                // Unreachable: the loop only continues while a template is kept.
                return failure_response(self.failure(
                    LocalKind::Transport(TransportKind::Other),
                    "request could not be repeated".to_owned(),
                    attempt - 1,
                    Some(RetryStop::BodyNotReplayable),
                ));
            };
            // Send a copy and keep the original for the next attempt; a streaming body
            // cannot be copied, so it gets exactly one attempt.
            let mut request = match current.try_clone() {
                Some(copy) => {
                    template = Some(current);
                    copy
                }
                None => current,
            };
            let replayable = template.is_some();

            // Every attempt passes the client's adaptive limiter, first attempts too.
            let mut permit = match self.state().limiter() {
                Some(limiter) => {
                    let queued = Instant::now();
                    let permit = limiter.acquire().await;
                    let waited = queued.elapsed();
                    deadline = deadline.map(|d| d + waited);
                    Some(permit)
                }
                None => None,
            };

            let token = if auth == Auth::Bearer {
                match self.authorize(&mut request, attempt).await {
                    Ok(token) => Some(token),
                    Err(failure) => return failure_response(*failure),
                }
            } else {
                None
            };

            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining == Some(Duration::ZERO) {
                return failure_response(self.failure(
                    LocalKind::Transport(TransportKind::Deadline),
                    "the overall deadline passed before the next attempt".to_owned(),
                    attempt - 1,
                    Some(RetryStop::Deadline),
                ));
            }
            let (timeout, capped_by_deadline) = match (self.state().request_timeout(), remaining) {
                (Some(t), Some(r)) if r < t => (Some(r), true),
                (None, Some(r)) => (Some(r), true),
                (t, _) => (t, false),
            };
            if timeout.is_some() {
                *request.timeout_mut() = timeout;
            }

            let sent = Instant::now();
            tracing::trace!(
                target: crate::trace::HEADERS_TARGET,
                attempt,
                headers = %crate::trace::redacted_headers(request.headers()),
                "request headers"
            );
            let sent_result = match self.client.client.execute(request).await {
                // Success bodies are read here, under the size cap: an endless or huge body
                // ends with a clear error instead of growing the process (progenitor would
                // read it whole after `exec` returns). A body cut off mid-stream (connection
                // reset, truncated chunk) is then an attempt failure like any other, retried
                // when the request may be repeated.
                Ok(response) if response.status().is_success() => {
                    match buffer_body(response, self.state().max_body_size()).await {
                        Ok(response) => Ok(response),
                        Err(ReadBodyError::Read(e)) => Err(e),
                        Err(ReadBodyError::TooLarge(e)) => {
                            return failure_response(self.too_large(e, attempt));
                        }
                    }
                }
                other => other,
            };
            let outcome = match sent_result {
                Ok(response) => Attempted::Response(response),
                Err(e) => {
                    let failure = if e.is_connect() {
                        TransportFailure::Connect
                    } else if e.is_timeout() {
                        TransportFailure::Timeout
                    } else {
                        TransportFailure::Other
                    };
                    let kind = match failure {
                        TransportFailure::Connect => TransportKind::Connect,
                        TransportFailure::Timeout if capped_by_deadline => TransportKind::Deadline,
                        TransportFailure::Timeout => TransportKind::Timeout,
                        TransportFailure::Other => TransportKind::Other,
                    };
                    // Drop the URL from the message: logs and errors name the operation.
                    let message = error_chain(&e.without_url());
                    Attempted::Failed {
                        kind,
                        failure,
                        message,
                    }
                }
            };
            let elapsed_ms = sent.elapsed().as_millis() as u64;
            let policy_attempt = attempt - auth_repeats - throttle_repeats;

            match outcome {
                Attempted::Response(response) => {
                    let status = response.status();
                    tracing::debug!(attempt, status = status.as_u16(), elapsed_ms, "response");
                    tracing::trace!(
                        target: crate::trace::HEADERS_TARGET,
                        attempt,
                        headers = %crate::trace::redacted_headers(response.headers()),
                        "response headers"
                    );
                    if status == StatusCode::UNAUTHORIZED
                        && auth_repeats == 0
                        && replayable
                        && let Some(token) = &token
                        && self.refresh_after_401(token).await
                    {
                        auth_repeats += 1;
                        continue;
                    }
                    if status.is_success() {
                        if let Some(budget) = self.state().budget() {
                            budget.deposit();
                        }
                        if let Some(permit) = permit.take() {
                            permit.success();
                        }
                    }
                    if !is_retryable_status(status) {
                        return self.finalize(response, attempt, None, token.as_ref()).await;
                    }
                    let retry_after =
                        parse_retry_after(response.headers(), std::time::SystemTime::now());
                    if let Some(permit) = permit.take().filter(|_| is_throttle_status(status)) {
                        let fallback = policy.throttle_backoff(throttle_repeats + 1);
                        // `Retry-After: 0` (or a date in the past) is not an invitation to spin.
                        let hold = retry_after.map(|ra| ra.max(policy.min_throttle_hold()));
                        let verdict = permit.throttled(status.as_u16(), hold, fallback);
                        let stop = if !policy.may_retry_status(&method, status) {
                            RetryStop::NotRetryable
                        } else if !replayable {
                            RetryStop::BodyNotReplayable
                        } else {
                            match verdict {
                                Verdict::Retry(wait) => {
                                    tracing::info!(
                                        attempt,
                                        status = status.as_u16(),
                                        wait_ms = wait.as_millis() as u64,
                                        throttled = true,
                                        "retrying"
                                    );
                                    drop(response);
                                    tokio::time::sleep(wait).await;
                                    deadline = deadline.map(|d| d + wait);
                                    throttle_repeats += 1;
                                    continue;
                                }
                                Verdict::GiveUp {
                                    throttled_for,
                                    timeout,
                                } => RetryStop::NoProgress {
                                    status: status.as_u16(),
                                    throttled_secs: throttled_for.as_secs(),
                                    retry_after_secs: retry_after.map(|d| d.as_secs()),
                                    timeout_secs: timeout.as_secs(),
                                },
                            }
                        };
                        return self
                            .finalize(response, attempt, Some(stop), token.as_ref())
                            .await;
                    }
                    let decision = self.decide(
                        policy.may_retry_status(&method, status),
                        replayable,
                        policy_attempt,
                        retry_after,
                        deadline,
                        false,
                    );
                    match decision {
                        Ok(wait) => {
                            tracing::info!(
                                attempt,
                                status = status.as_u16(),
                                wait_ms = wait.as_millis() as u64,
                                "retrying"
                            );
                            drop(response);
                            tokio::time::sleep(wait).await;
                        }
                        Err(stop) => {
                            return self
                                .finalize(response, attempt, Some(stop), token.as_ref())
                                .await;
                        }
                    }
                }
                Attempted::Failed {
                    kind,
                    failure,
                    message,
                } => {
                    tracing::debug!(
                        attempt,
                        error = failure_label(LocalKind::Transport(kind)),
                        elapsed_ms,
                        "attempt failed"
                    );
                    let decision = if kind == TransportKind::Deadline {
                        Err(RetryStop::Deadline)
                    } else {
                        self.decide(
                            policy.may_retry_transport(&method, failure),
                            replayable,
                            policy_attempt,
                            None,
                            deadline,
                            failure == TransportFailure::Timeout,
                        )
                    };
                    match decision {
                        Ok(wait) => {
                            tracing::info!(
                                attempt,
                                error = failure_label(LocalKind::Transport(kind)),
                                wait_ms = wait.as_millis() as u64,
                                "retrying"
                            );
                            tokio::time::sleep(wait).await;
                        }
                        Err(stop) => {
                            let kind = if stop == RetryStop::Deadline
                                && failure == TransportFailure::Timeout
                            {
                                TransportKind::Deadline
                            } else {
                                kind
                            };
                            let message = scrub(message, token.as_ref());
                            return failure_response(self.failure(
                                LocalKind::Transport(kind),
                                message,
                                attempt,
                                Some(stop),
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Ask the token source for a token, check it, and set `authorization`.
    async fn authorize(
        &self,
        request: &mut reqwest::Request,
        attempt: u32,
    ) -> Result<SecretString, Box<LocalFailure>> {
        let Some(source) = self.state().token_source() else {
            return Err(Box::new(self.failure(
                LocalKind::MissingToken,
                format!("{} requires an access token", self.operation_id),
                attempt - 1,
                None,
            )));
        };
        let token = match source.token().await {
            Ok(token) => strip_bearer(token),
            Err(e) => {
                return Err(Box::new(self.failure(
                    LocalKind::Auth,
                    format!("the token source failed: {}", e.message()),
                    attempt - 1,
                    None,
                )));
            }
        };
        let checked = validate_token(&token, self.state().check_token_shape())
            .and_then(|()| authorization_value(&token));
        match checked {
            Ok(value) => {
                // Whatever the server echoes of it is redacted from every error rendered.
                sanitize::register_secret(token.expose_secret());
                request.headers_mut().insert(AUTHORIZATION, value);
                Ok(token)
            }
            Err(problem) => {
                let mut failure = self.failure(
                    LocalKind::Auth,
                    format!("the token source returned an unusable token: {problem}"),
                    attempt - 1,
                    None,
                );
                failure.token_problem = Some(problem.into());
                Err(Box::new(failure))
            }
        }
    }

    /// After a 401: true when the token source has a different token to try.
    async fn refresh_after_401(&self, rejected: &SecretString) -> bool {
        let Some(source) = self.state().token_source() else {
            return false;
        };
        match source.on_unauthorized(rejected).await {
            Ok(true) => {
                tracing::info!("token rejected (401); repeating once with a refreshed token");
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::warn!(error = %e, "token rejected (401) and the refresh failed");
                false
            }
        }
    }

    /// Retry now (after the returned wait), or stop and say why.
    fn decide(
        &self,
        allowed: bool,
        replayable: bool,
        policy_attempt: u32,
        retry_after: Option<Duration>,
        deadline: Option<Instant>,
        timed_out: bool,
    ) -> Result<Duration, RetryStop> {
        let policy = self.state().retry_policy();
        if !allowed {
            return Err(RetryStop::NotRetryable);
        }
        if !replayable {
            return Err(RetryStop::BodyNotReplayable);
        }
        if policy_attempt >= policy.get_max_attempts() {
            return Err(RetryStop::AttemptsExhausted);
        }
        let wait = match retry_after {
            Some(wait) if wait > policy.get_max_retry_after() => {
                return Err(RetryStop::RetryAfterTooLong);
            }
            Some(wait) => wait,
            None => policy.backoff(policy_attempt),
        };
        if let Some(deadline) = deadline
            && Instant::now() + wait >= deadline
        {
            return Err(RetryStop::Deadline);
        }
        if let Some(budget) = self.state().budget()
            && !budget.try_withdraw(timed_out)
        {
            return Err(RetryStop::BudgetExhausted);
        }
        Ok(wait)
    }

    /// Return the final response. Error responses (non-2xx) are rebuilt so that nothing
    /// progenitor would drop is lost:
    ///
    /// - the reason phrase (hyper keeps a non-canonical one in the `ReasonPhrase` response
    ///   extension; reqwest exposes it through `Response::extensions`) is copied into an
    ///   internal header, because `ResponseValue` keeps only status and headers;
    /// - the body is read (at most [`MAX_ERROR_BODY`]); if it is not a JSON `ErrorBody`
    ///   (an HTML page from a proxy, an empty body, JSON of another shape), an excerpt goes
    ///   into an internal header and the body is replaced by `{}` so that progenitor decodes
    ///   it into `Error::ErrorResponse` with the status and headers, instead of
    ///   `Error::InvalidResponsePayload`, which has neither;
    /// - attempts, the retry stop reason, the request id sent and the operation id are added.
    ///
    /// The response is rebuilt with `http::Response` → `reqwest::Response::from` (the URL is
    /// kept with `ResponseBuilderExt::url`).
    async fn finalize(
        &self,
        mut response: reqwest::Response,
        attempts: u32,
        stop: Option<RetryStop>,
        token: Option<&SecretString>,
    ) -> reqwest::Response {
        let status = response.status();
        if status.is_success() {
            return response;
        }
        if status.is_redirection() {
            // Not followed (the HTTP client's redirect policy is `none`): following would send
            // this request's headers wherever the server points. Reported with its target.
            let location = response
                .headers()
                .get(LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .map(|l| sanitize::server_text(&l, token, SERVER_TEXT_MAX_CHARS));
            let mut failure = self.failure(
                LocalKind::Redirect(status.as_u16()),
                format!("the server answered {status}, a redirect the client does not follow"),
                attempts,
                stop,
            );
            failure.location = location;
            return failure_response(failure);
        }
        let version = response.version();
        let url = response.url().clone();
        let mut headers = response.headers().clone();
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .cloned();

        let max_error_body =
            MAX_ERROR_BODY.min(usize::try_from(self.state().max_body_size()).unwrap_or(usize::MAX));
        let mut body = Vec::new();
        let mut complete = false;
        while body.len() < max_error_body {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = max_error_body - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => {
                    complete = true;
                    break;
                }
                Err(e) => {
                    tracing::debug!(error = %error_chain(&e.without_url()), "error body incomplete");
                    break;
                }
            }
        }
        drop(response);

        let documented = complete && has_error_fields(&body);
        if documented {
            // The fields reach messages: redact the token from them before anything else.
            body = scrub_json(&body, token);
        }
        // `{}` says nothing, but is not a surprise either: no excerpt for it.
        let empty_object = complete && is_empty_object(&body);
        if !documented && !empty_object {
            let text = scrub(excerpt(&body), token);
            headers.insert(INTERNAL_EXCERPT, headers::encode_text(&text));
            if !complete || serde_json::from_slice::<types::ErrorBody>(&body).is_err() {
                body = b"{}".to_vec();
            }
        }
        if let Some(reason) = &reason {
            let text = String::from_utf8_lossy(reason.as_bytes()).into_owned();
            headers.insert(INTERNAL_REASON, headers::encode_text(&scrub(text, token)));
        }
        headers.insert(INTERNAL_ATTEMPTS, HeaderValue::from(attempts));
        headers.insert(INTERNAL_REQUEST_ID, headers::encode_text(&self.request_id));
        headers.insert(INTERNAL_OPERATION, headers::encode_text(self.operation_id));
        if let Some(stop) = stop {
            headers.insert(INTERNAL_STOP, headers::encode_text(&stop.encode()));
        }
        headers.remove(CONTENT_LENGTH);
        headers.remove(TRANSFER_ENCODING);

        use reqwest::ResponseBuilderExt;
        let mut builder = http::Response::builder()
            .status(status)
            .version(version)
            .url(url);
        if let Some(map) = builder.headers_mut() {
            *map = headers;
        }
        if let Some(reason) = reason {
            builder = builder.extension(reason);
        }
        match builder.body(body) {
            Ok(rebuilt) => reqwest::Response::from(rebuilt),
            Err(e) => failure_response(self.failure(
                LocalKind::Transport(TransportKind::Other),
                format!("could not rebuild the error response {status}: {e}"),
                attempts,
                stop,
            )),
        }
    }
}

/// Read the whole body of a success response, at most `limit` bytes (see [`read_capped`]),
/// and hand back an equivalent response over the buffered bytes. Costs no copy: progenitor
/// reads the full body before decoding anyway.
async fn buffer_body(
    response: reqwest::Response,
    limit: u64,
) -> Result<reqwest::Response, ReadBodyError> {
    use reqwest::ResponseBuilderExt;
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = response.headers().clone();
    let body = read_capped(response, limit).await?;
    let mut builder = http::Response::builder()
        .status(status)
        .version(version)
        .url(url);
    if let Some(map) = builder.headers_mut() {
        *map = headers;
    }
    // The parts come from a valid response, so building cannot fail; keep a fallback anyway.
    Ok(match builder.body(body.clone()) {
        Ok(rebuilt) => reqwest::Response::from(rebuilt),
        Err(_) => reqwest::Response::from(http::Response::new(body)),
    })
}

/// True when the body is a JSON object with at least one documented error key (as a string).
fn has_error_fields(body: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) else {
        return false;
    };
    ["field", "detail", "explanation", "title"]
        .iter()
        .any(|key| map.get(*key).is_some_and(serde_json::Value::is_string))
        && serde_json::from_slice::<types::ErrorBody>(body).is_ok()
}

fn is_empty_object(body: &[u8]) -> bool {
    matches!(serde_json::from_slice(body), Ok(serde_json::Value::Object(map)) if map.is_empty())
}

/// Remove the token from text that came from the server (a body or reason echoing it, in any
/// letter case), along with every other secret the process registered.
fn scrub(text: String, token: Option<&SecretString>) -> String {
    let text = match token {
        Some(token) => sanitize::scrub_one(&text, token.expose_secret()).into_owned(),
        None => text,
    };
    sanitize::scrub_secrets(&text).into_owned()
}

/// A JSON body with the token redacted from every string in it (keys included). Falls back
/// to the body as it was if it does not re-encode (it parsed a moment ago, so it does).
fn scrub_json(body: &[u8], token: Option<&SecretString>) -> Vec<u8> {
    fn walk(value: &mut serde_json::Value, token: Option<&SecretString>) {
        match value {
            serde_json::Value::String(s) => *s = scrub(std::mem::take(s), token),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, token)),
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut v) in entries {
                    walk(&mut v, token);
                    map.insert(scrub(key, token), v);
                }
            }
            _ => {}
        }
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.to_vec();
    };
    walk(&mut value, token);
    serde_json::to_vec(&value).unwrap_or_else(|_| body.to_vec())
}

/// A response that carries a local failure to `post` (never seen by callers).
fn failure_response(failure: LocalFailure) -> reqwest::Response {
    let mut response = http::Response::new(Vec::<u8>::new());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.extensions_mut().insert(failure);
    reqwest::Response::from(response)
}
