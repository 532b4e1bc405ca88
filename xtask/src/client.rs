//! Running progenitor: the generated client (`crates/cro-api/src/generated.rs`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::{Context, Result, anyhow};
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use schemars::schema::{InstanceType, SchemaObject};

/// The generated client, as a syntax tree (read by the other emitters) and as source text.
pub struct GeneratedClient {
    /// Parsed output, used to look up builder structs and type names.
    pub file: syn::File,
    /// Formatted source without the file header.
    pub source: String,
}

/// The progenitor settings for cro-api.
///
/// - Builder interface: paging wraps the per-operation builder structs (cloned per page).
/// - Merged tags: every method lives on `Client`; no per-tag extension traits to import.
/// - `crate::ClientState` inner type: the hand-written hooks find auth, tenant and retry
///   settings there.
/// - `PartialEq` on every type: tests and callers compare decoded values.
/// - `format: iso8601` strings (our custom format for the API's naive date-times) become
///   `crate::Timestamp`, which keeps the text verbatim; `chrono::DateTime` would reject it.
fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote!(crate::ClientState))
        .with_derive("PartialEq")
        .with_conversion(
            iso8601_schema(),
            "crate::Timestamp",
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    settings
}

/// The schema shape that [`settings`] maps to `crate::Timestamp` (nullable ones included:
/// typify matches the non-null part and wraps it in `Option`).
fn iso8601_schema() -> SchemaObject {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: Some("iso8601".to_owned()),
        ..SchemaObject::default()
    }
}

/// Generate the client for `api`.
///
/// progenitor reports most spec problems as errors, but a few (an operation with two different
/// success or error body types) are `assert!`s; those panics are turned into errors here so
/// the message says which step failed.
pub fn generate(api: &openapiv3::OpenAPI) -> Result<GeneratedClient> {
    let settings = settings();
    let mut generator = Generator::new(&settings);
    let tokens = catch_unwind(AssertUnwindSafe(|| generator.generate_tokens(api)))
        .map_err(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            anyhow!(
                "progenitor panicked while generating the client: {message}\n\
                 (usually an operation with more than one success or error body type)"
            )
        })?
        .map_err(|e| anyhow!("progenitor rejected spec/openapi.yaml: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).context("progenitor produced tokens that are not a Rust file")?;
    let source = prettyplease::unparse(&file);
    Ok(GeneratedClient { file, source })
}
