//! Turning library errors into [`CliError`]s: the exit code class, the server's status line,
//! and the structured fields of the API's error body, one per line.
//!
//! Nothing here can print a token: the client's errors are documented to be secret-free, and
//! the CLI adds only statuses, field names and ids.

use crate::exit::{CliError, Exit};
use cro_api::ConfigError;
use cro_ext::{PagingError, ParamError};

/// Map a client error.
pub fn api(e: &cro_api::Error) -> CliError {
    match e {
        cro_api::Error::Api(api) => {
            let exit = match api.status().as_u16() {
                401 | 403 => Exit::Auth,
                _ => Exit::Api,
            };
            let mut err = CliError::new(exit, format!("the API answered {}", api.status_line()));
            let d = api.details();
            if let Some(f) = d.field() {
                err = err.detail(format!("field: {f}"));
            }
            if let Some(t) = d.title() {
                err = err.detail(format!("title: {t}"));
            }
            if let Some(t) = d.detail() {
                err = err.detail(format!("detail: {t}"));
            }
            if let Some(t) = d.explanation() {
                err = err.detail(format!("explanation: {t}"));
            }
            match api.body_excerpt() {
                Some("") => err = err.detail("body: (empty)"),
                Some(x) => err = err.detail(format!("body: {x}")),
                None => {}
            }
            if let Some(op) = api.operation() {
                err = err.detail(format!("operation: {op}"));
            }
            if let Some(id) = api.request_id() {
                err = err.detail(format!("request id: {id}"));
            }
            if api.attempts() > 1 {
                err = err.detail(format!("attempts: {}", api.attempts()));
            }
            // Why the retries stopped (retry budget exhausted, throttled without progress, ...).
            if let Some(stop) = api
                .retry_stop()
                .filter(|s| *s != cro_api::RetryStop::AttemptsExhausted)
            {
                err = err.detail(format!("gave up: {stop}"));
            }
            if let Some(wait) = api.retry_after() {
                err = err.detail(format!("retry after: {} s", wait.as_secs()));
            }
            match api.status().as_u16() {
                401 => err.detail(
                    "hint: the token is missing, invalid or expired; `cro auth login` or set CRO_TOKEN",
                ),
                403 => err.detail(
                    "hint: your role or tenant may not call this operation; see `cro ops` and `cro roles`",
                ),
                _ => err,
            }
        }
        cro_api::Error::Config(c) => config(c),
        cro_api::Error::InvalidRequest(m) => CliError::usage(format!("invalid request: {m}")),
        cro_api::Error::Auth(a) => CliError::auth(a.to_string()),
        cro_api::Error::Transport(_) => {
            let mut err = CliError::new(Exit::Network, e.to_string());
            if let Some(id) = e.request_id() {
                err = err.detail(format!("request id: {id}"));
            }
            err
        }
        cro_api::Error::Decode(_) => CliError::data(format!("undecodable response: {e}")),
        cro_api::Error::UnexpectedStatus { .. } => CliError::new(Exit::Api, e.to_string()),
        // `Error` is non-exhaustive: anything new is at least reported.
        _ => CliError::other(e.to_string()),
    }
}

/// Map a configuration error (always exit 3: fix the settings).
pub fn config(e: &ConfigError) -> CliError {
    let err = CliError::auth(format!("configuration: {e}"));
    match e {
        ConfigError::MissingToken { .. } => err.detail(
            "hint: set CRO_TOKEN, pass --token, run `cro auth login`, or try `cro --demo ...`",
        ),
        ConfigError::MissingTenant { .. } => err
            .detail("hint: set CRO_TENANT_ID or pass --tenant (`cro export tenants` lists yours)"),
        _ => err,
    }
}

/// Map a paging error.
pub fn paging(e: &PagingError) -> CliError {
    match e {
        PagingError::Request { page_index, source } => {
            api(source).context(format_args!("page {page_index}"))
        }
        PagingError::InvalidOptions { .. } => CliError::usage(e.to_string()),
        PagingError::Preflight(_) => CliError::auth(e.to_string()),
        PagingError::NotAdvancing { .. }
        | PagingError::Drift(_)
        | PagingError::PageCeiling { .. } => CliError::data(e.to_string()),
        _ => CliError::data(e.to_string()),
    }
}

/// Map a parameter error (a flag value the operation cannot take).
pub fn param(e: &ParamError) -> CliError {
    CliError::usage(e.to_string())
}
