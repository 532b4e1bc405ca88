//! `cro-fake`: a stateful, spec-faithful fake of the CRO Developer API.
//!
//! Start it in-process with [`FakeServer::start`] (tests, the CLI's `--demo`, benchmarks) or
//! run the `cro-fake` binary. See [`FakeConfig`] for the knobs.

pub mod auth;
pub mod faults;
pub mod oauth;
pub mod webhook_delivery;
