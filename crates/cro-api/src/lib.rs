//! Rust client for the CRO Developer API.
//!
//! # Quick start
//!
//! ```no_run
//! use cro_ext::prelude::*; // `.paginate()` on every list
//! use futures::TryStreamExt;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = cro_api::Client::from_env()?; // CRO_BASE_URL, CRO_TOKEN, CRO_TENANT_ID
//! let mut customers = client.list_customers().paginate().items();
//! while let Some(customer) = customers.try_next().await? {
//!     println!("{:?} {}", customer.id(), customer.name); // `id()`: any API version
//! }
//! match client.get_customer().customer_id(1).send().await {
//!     Ok(customer) => println!("found {}", customer.name),
//!     Err(cro_api::Error::Api(e)) if e.status() == 404 => println!("no customer 1"),
//!     Err(e) => return Err(e.into()),
//! }
//! let address = cro_api::types::CreateCustomerAddressModel::builder()
//!     .line_1("1 Main St").locality("Springfield").region("IL").postcode("62701").country("US")
//!     .is_billing(true).is_shipping(true).latitude(39.78).longitude(-89.65);
//! let body = cro_api::types::CreateCustomerModel::builder().name("Acme").addresses([address]);
//! let created = client.create_customer().location_id(1).body(body).send().await?;
//! println!("created {:?}", created.id());
//! # Ok(())
//! # }
//! ```
//!
//! Every `send()` returns `Result<ResponseValue<T>, cro_api::Error>` ([`Error`]): the API's
//! errors with status, message and request id, and local ones (a body that breaks the spec's
//! limits is [`Error::Validation`], naming the model and field, and nothing is sent). Paging,
//! role checks and webhook signatures are in the `cro_ext` crate; runnable programs for each
//! task are in `crates/cro-ext/examples/`.
//!
//! # What is in the crate
//!
//! The operation methods and model types ([`types`], by area) are generated from
//! `spec/openapi.yaml` by `cargo xtask codegen` (see `generated.rs`, never edited by hand);
//! this crate adds the hand-written client layer around them:
//!
//! - [`Client::builder`] / [`Client::from_env`]: base URL, token, tenant, API version
//!   ([`types::ApiVersion`]), timeouts, user agent, validated before anything is sent
//!   ([`ConfigError`]).
//! - Per-operation headers from [`meta::OPERATIONS`] (see [What goes on the wire](#what-goes-on-the-wire)).
//! - Retries with backoff, `Retry-After`, a deadline and a budget ([`RetryPolicy`]), and an
//!   adaptive limiter per client that treats 429/503 as back-pressure ([`ThrottlePolicy`],
//!   [`Client::throttle_stats`]).
//! - One error type with the API's status line and body ([`Error`]).
//! - Secrets that never print ([`SecretString`]), OAuth 2.0 helpers (`oauth`, feature
//!   `oauth`), and a `tracing` span per request ([`trace`]).
//!
//! Features: `rustls` (default; reqwest's rustls with `aws-lc-rs`), `rustls-ring` (rustls
//! with `ring` for this crate's clients; read the caveat in the README first) or `native-tls`
//! (the platform's TLS) for HTTPS; `oauth` (default).
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

#![warn(missing_docs)]

#[rustfmt::skip]
#[allow(clippy::all, rustdoc::all, missing_docs, unused_comparisons, unused_imports, unused_mut, unused_variables)]
mod generated;
#[rustfmt::skip]
#[allow(clippy::all, rustdoc::all, missing_docs)]
mod generated_meta;

pub mod auth;
pub mod body;
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
pub mod sanitize;
mod secret;
mod throttle;
mod timestamp;
pub mod tls;
pub mod trace;
mod validation;

pub use generated::{Client, builder, types};
pub use timestamp::{Timestamp, TimestampError};
pub use validation::ValidationError;

pub use auth::{StaticToken, TokenError, TokenProblem, TokenSource};
pub use config::{
    ClientBuilder, ClientState, ConfigError, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT, ENV_API_VERSION, ENV_BASE_URL, ENV_TENANT_ID, ENV_TOKEN, USER_AGENT,
};
pub use error::{
    ApiError, AuthError, DISPLAY_MAX_CHARS, DecodeError, Error, ErrorDetails, FieldRef,
    RedirectError, Result, SERVER_TEXT_MAX_CHARS, TransportError, TransportKind,
};
pub use retry::{RetryBudget, RetryPolicy, RetryStop};
pub use secret::SecretString;
pub use throttle::{ThrottlePolicy, ThrottleStats};

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

/// The crate README's code blocks, compiled (and run unless marked `no_run`) as doctests so
/// that the crates.io front page stays correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
