//! Extensions on top of the generated CRO Developer API client ([`cro_api`]): paging, role
//! preflight, webhook signatures.
//!
//! # Quick start
//!
//! ```no_run
//! use cro_ext::prelude::*; // `.paginate()`, `.preflight()`
//! use futures::TryStreamExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = cro_api::Client::from_env()?; // CRO_BASE_URL, CRO_TOKEN, CRO_TENANT_ID
//! let mut customers = client.list_customers().paginate().items();
//! while let Some(customer) = customers.try_next().await? {
//!     println!("{:?} {}", customer.id(), customer.name);
//! }
//! let everything = client.list_trucks().paginate().collect_all().await?;
//! println!("{} trucks", everything.len());
//! # Ok(())
//! # }
//! ```
//!
//! The `cro_api` crate docs cover the client, errors and request bodies; runnable programs
//! for each task are in `examples/` (list and page, get and 404, create with validation
//! errors, webhook verification, OAuth login and refresh, blocking iteration).
//!
//! # Modules
//!
//! - [`request`]: the [`PagedRequest`] trait, implemented for the progenitor builder of every
//!   paged list operation (`cro_api::builder::ListCustomers`, ...), which fetches one page and
//!   normalises both paging styles (envelope and bare array) into a [`RawPage`];
//! - [`registry`]: building such a request from an `operationId` and textual parameters
//!   ([`with_paged_request`]), for callers that only know operations at run time (the CLI).
//! - [`raw`]: [`RawListRequest`], a paged request built from the operation table at run time
//!   whose items are the server's JSON, byte for byte ([`RawItem`]), for pass-through exports;
//! - [`paging`]: `request.paginate()` ([`Paginate`]) on every paged request: streams of
//!   pages and items, `collect_all()`, bounded prefetch, resume, stop rules, drift reports,
//!   and (feature `blocking`) plain iterators;
//! - [`roles`] and [`preflight`]: the spec's roles per operation ([`Role`], [`RoleSet`],
//!   `role.can(op)`) and an opt-in local check that sends nothing when the roles cannot call
//!   an operation ([`ensure_allowed`], which takes a [`cro_api::meta::OperationId`]);
//! - `webhooks` (feature `webhooks`, default): `X-Cro-Signature` verification
//!   (`verify_signature`); the event type is [`HookEvent`], the generated one.
//!
//! The per-operation parts are generated from `spec/openapi.yaml` by `cargo xtask codegen`
//! (`generated_paging.rs`); everything else here is hand-written.

#![warn(missing_docs)]

pub mod paging;
pub mod preflight;
pub mod raw;
pub mod registry;
pub mod request;
pub mod roles;
#[cfg(feature = "webhooks")]
pub mod webhooks;

#[rustfmt::skip]
mod generated_paging;

pub use generated_paging::with_paged_request;
pub use paging::{DriftPolicy, Page, Paginate, Paginator, PagingError, WalkStats};
pub use preflight::{PreflightExt, RoleError, ensure_allowed, ensure_allowed_by_name};
pub use raw::{RawItem, RawListRequest};
pub use registry::{ParamError, Params};
pub use request::{PageStyle, PagedRequest, PagedVisitor, RawPage};
pub use roles::{Role, RoleSet};
#[cfg(feature = "webhooks")]
pub use webhooks::{SignatureError, verify_signature};

/// The webhook event type (one type for hooks and deliveries; see [`webhooks`]).
pub use cro_api::types::HookEvent;

/// The traits for paging and preflight in one `use cro_ext::prelude::*;`.
pub mod prelude {
    pub use crate::paging::Paginate;
    pub use crate::preflight::PreflightExt;
    pub use crate::request::PagedRequest;
}

/// The crate README's code blocks, compiled (and run unless marked `no_run`) as doctests so
/// that the crates.io front page stays correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
