//! `cro-fake`: a stateful, spec-faithful fake of the CRO Developer API.
//!
//! Start it in-process with [`FakeServer::start`] (tests, the CLI's `--demo`, benchmarks) or
//! run the `cro-fake` binary. See [`FakeConfig`] for the knobs.
//!
//! How it is put together:
//! - every endpoint, its roles, tenant-header rule and paging style come from
//!   `cro_api::meta::OPERATIONS` ([`router`], [`pipeline`]), and request validation walks the
//!   embedded `spec/openapi.yaml` ([`spec`], [`validate`]);
//! - data is procedural ([`seed`], [`world`]): record `i` is a pure function of
//!   `(seed, tenant, i)`, so a million customers start instantly; changes live in a per-tenant
//!   overlay ([`store`]);
//! - responses are written straight into a byte buffer ([`json`], [`render`]).
//!
//! # The seeded world
//!
//! - Two tenants: **34** ("SMS RollOffs", code `SMSCORP`, Washington) and **35** ("Cascade
//!   Disposal", code `CASCADE`, Oregon). Counts in [`FakeConfig`] are per tenant.
//! - Ids interleave the tenants (`id = base + 1 + index * 2 + tenant`): tenant 34 has locations
//!   1, 3, 5, ... and customers 1, 3, 5, ...; tenant 35 the even ids. Records created later get
//!   ids after the seeded range. Seeded address and contact ids are `customer_id * 4 + n`;
//!   drivers start at 100001, users at 300001. Customer `i` lives at location `i % locations`.
//! - One token per role (users assigned to tenant 34 only) plus `MultiTenantAdmin` (roles
//!   Admin and Dispatcher, both tenants): [`RunningFake::token`]. They are issued to the OAuth
//!   client id of [`FakeConfig::oauth`], so they share one API-version pin.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = cro_fake::FakeServer::start(cro_fake::FakeConfig::default()).await?;
//! let page = reqwest::Client::new()
//!     .get(format!("{}/customers", fake.base_url()))
//!     .bearer_auth(fake.token("Admin").unwrap())
//!     .header("x-tenant-id", fake.tenant_ids()[0])
//!     .send()
//!     .await?;
//! assert_eq!(page.status(), 200);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod errors;
pub mod faults;
mod handlers;
pub mod json;
pub mod log;
pub mod model;
pub mod oauth;
pub mod paging;
pub mod pipeline;
pub mod render;
pub mod request;
pub mod router;
pub mod seed;
pub mod server;
pub mod spec;
pub mod store;
pub mod throttle;
pub mod time;
pub mod validate;
pub mod versions;
pub mod webhook_delivery;
pub mod world;

pub use auth::MULTI_TENANT_ADMIN;
pub use config::FakeConfig;
pub use errors::ApiError;
pub use log::LoggedRequest;
pub use server::{FakeServer, RunningFake, StartError, run_until_ctrl_c};
pub use throttle::{ThrottleCounts, ThrottlePlan};

/// The crate README's code blocks, compiled (and run unless marked `no_run`) as doctests so
/// that the crates.io front page stays correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
