//! Rust client for the CRO Developer API.
//!
//! The operation methods and model types are generated from `spec/openapi.yaml` by
//! `cargo xtask codegen` (see `generated.rs`, never edited by hand); this crate adds the
//! hand-written client layer around them.

#[rustfmt::skip]
#[allow(clippy::all, missing_docs, unused_imports, unused_mut, unused_variables)]
mod generated;
#[rustfmt::skip]
#[allow(clippy::all, missing_docs)]
mod generated_meta;

pub mod meta;
mod timestamp;

pub use generated::{builder, types, Client};
pub use timestamp::{Timestamp, TimestampError};

/// PLACEHOLDER (replaced by the client layer): state shared by every request of a [`Client`].
#[derive(Debug, Clone, Default)]
pub struct ClientState {}

/// PLACEHOLDER (replaced by the client layer): every error the client can return.
#[derive(Debug)]
pub struct Error(pub Box<progenitor_client::Error<types::ErrorBody>>);

impl From<progenitor_client::Error<types::ErrorBody>> for Error {
    fn from(e: progenitor_client::Error<types::ErrorBody>) -> Self {
        Error(Box::new(e))
    }
}
