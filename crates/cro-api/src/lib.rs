//! Rust client for the CRO Developer API.
//!
//! The operation methods and model types are generated from `spec/openapi.yaml` by
//! `cargo xtask codegen` (see `generated.rs`, never edited by hand); this crate adds the
//! hand-written client layer around them:
//!
//! - [`Client::builder`] / [`Client::from_env`]: base URL, token, tenant, API version,
//!   timeouts, user agent, validated before anything is sent ([`ConfigError`]).
//! - Per-operation headers from [`meta::OPERATIONS`]: `authorization` only where the spec
//!   requires it, `x-tenant-id` per the operation's rule, always `x-api-version` and an
//!   `x-request-id` (see the `hooks` module docs on GitHub, or [`headers`]).
//! - Retries with backoff, `Retry-After`, a deadline and a budget ([`RetryPolicy`]).
//! - One error type with the API's status line and body ([`Error`]).
//! - Secrets that never print ([`SecretString`]), OAuth 2.0 helpers ([`oauth`]), and a
//!   `tracing` span per request ([`trace`]).
//!
//! # What goes on the wire
//!
//! The request hook (an `impl progenitor_client::ClientHooks for Client`) sets the headers
//! per request, from the operation's row in [`meta::OPERATIONS`], rather than as client-wide
//! default headers, because the rules differ per operation:
//!
//! | header | sent |
//! |---|---|
//! | `authorization: bearer <token>` | when the operation needs a token ([`meta::Auth::Bearer`]); never on public operations (Create User, Create Hauler). Marked sensitive. A missing token is a local [`ConfigError::MissingToken`]. |
//! | `x-tenant-id` | [`meta::TenantHeader::Required`]: always (a missing tenant id is a local [`ConfigError::MissingTenant`], nothing is sent); `Optional` (Get Hauler, Create Connection): when configured; `Absent` (List Tenants, public operations): never. |
//! | `x-api-version` | always: the configured version, or the one given to the generated builder's `x_api_version`. Without it the server answers with whatever version the OAuth client id used last. |
//! | `x-request-id` | always: a fresh UUID v4 per call, or the one given to `x_request_id`. Retries of one call (and its repeat after a 401) reuse the call's id, so the server's logs group the attempts; a new call gets a new id. |
//! | `user-agent` | `cro-rs/<version>` plus [`ClientBuilder::user_agent_suffix`]. |
//!
//! progenitor adds an `api-version: <spec version>` header to every request; the hook
//! **removes** it. The CRO API documents only `x-api-version`, and an undocumented header is
//! at best ignored and at worst rejected by a strict proxy or a future server; the test suite
//! checks that it is gone.
//!
//! Error responses keep what the API puts in them: the hook copies the reason phrase (the
//! API's message, `400 CreateCustomerModel.user_id: Unknown field.`), an excerpt of a body that
//! is not the documented JSON, the attempt count and the request id into internal
//! `x-cro-rs-*` response headers (never sent), which [`Error`] reads back and strips; see
//! [`headers`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), cro_api::Error> {
//! let client = cro_api::Client::builder()
//!     .token("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
//!     .tenant_id(42)
//!     .build()?;
//! let tenants = client.list_tenants().page_index(1).send().await?;
//! println!("{} tenants", tenants.total_count);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

#[rustfmt::skip]
#[allow(clippy::all, rustdoc::all, missing_docs, unused_comparisons, unused_imports, unused_mut, unused_variables)]
mod generated;
#[rustfmt::skip]
#[allow(clippy::all, rustdoc::all, missing_docs)]
mod generated_meta;

pub mod auth;
mod client;
mod config;
mod error;
pub mod headers;
mod hooks;
pub mod input;
pub mod meta;
#[cfg(feature = "oauth")]
pub mod oauth;
pub mod retry;
mod secret;
mod timestamp;
mod validation;
pub mod trace;

pub use generated::{Client, builder, types};
pub use timestamp::{Timestamp, TimestampError};
pub use validation::ValidationError;

pub use auth::{StaticToken, TokenError, TokenProblem, TokenSource};
pub use config::{
    ClientBuilder, ClientState, ConfigError, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT, ENV_API_VERSION, ENV_BASE_URL, ENV_TENANT_ID, ENV_TOKEN, USER_AGENT,
};
pub use error::{
    ApiError, AuthError, DecodeError, Error, ErrorDetails, FieldRef, Result, TransportError,
    TransportKind,
};
pub use retry::{RetryBudget, RetryPolicy, RetryStop};
pub use secret::SecretString;

/// Re-exported so callers can name the types in generated signatures without their own
/// dependency (`ResponseValue<T>`, the raw `Error<types::ErrorBody>`).
pub use progenitor_client::{self, ResponseValue};

#[cfg(test)]
mod tests {
    /// Callers put these in `Box<dyn Error + Send + Sync>`, `anyhow`, and spawned tasks.
    #[test]
    fn public_types_are_thread_safe() {
        fn check<T: Send + Sync + 'static>() {}
        check::<crate::Client>();
        check::<crate::ClientBuilder>();
        check::<crate::ClientState>();
        check::<crate::Error>();
        check::<crate::ConfigError>();
        #[cfg(feature = "oauth")]
        {
            check::<crate::oauth::OAuthClient>();
            check::<crate::oauth::RefreshingTokenSource>();
            check::<crate::oauth::OAuthError>();
        }
    }
}
