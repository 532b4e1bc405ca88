//! Snapshots of the generated surface: the operation table (`cro_api::meta::OPERATIONS`) and
//! the public type names of `cro_api::types`.
//!
//! `cargo xtask codegen --check` already guards that the checked-in code matches the spec;
//! these snapshots make the *meaningful* effect of a spec change reviewable in one short diff
//! (`cargo insta review`): a role list, a paging style, a tenant requirement, a new or vanished
//! type.

use std::path::Path;

use cro_api::meta::{Auth, OPERATIONS, Paging, TenantHeader};

/// One line per operation:
/// `id METHOD path roles=[..] paged=envelope(Item)|bare-array(Item)|no tenant=.. auth=..`.
#[test]
fn operation_table() {
    let lines: Vec<String> = OPERATIONS
        .iter()
        .map(|op| {
            let paged = match op.paging {
                Paging::None => "no".to_owned(),
                Paging::Envelope { item_model, .. } => format!("envelope({item_model})"),
                Paging::BareArray { item_model } => format!("bare-array({item_model})"),
            };
            let tenant = match op.tenant {
                TenantHeader::Required => "required",
                TenantHeader::Optional => "optional",
                TenantHeader::Absent => "absent",
            };
            let auth = match op.auth {
                Auth::Bearer => "bearer",
                Auth::None => "none",
            };
            format!(
                "{} {} {} roles=[{}] paged={paged} tenant={tenant} auth={auth}",
                op.id,
                op.method.as_str(),
                op.path,
                op.roles.join(","),
            )
        })
        .collect();
    insta::assert_snapshot!("operation_table", lines.join("\n"));
}

/// Sorted names of the public structs, enums and aliases in `cro_api::types` (the `builder`
/// and `error` sub-modules are implementation details of typify).
#[test]
fn type_names() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/cro-api/src/generated.rs");
    let source = std::fs::read_to_string(&path).expect("read generated.rs");
    let file = syn::parse_file(&source).expect("generated.rs parses");
    let types = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "types" => module.content.as_ref(),
            _ => None,
        })
        .expect("generated.rs has `pub mod types { .. }`");
    let mut names: Vec<String> = types
        .1
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) if is_pub(&s.vis) => Some(s.ident.to_string()),
            syn::Item::Enum(e) if is_pub(&e.vis) => Some(e.ident.to_string()),
            syn::Item::Type(t) if is_pub(&t.vis) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect();
    names.sort();
    insta::assert_snapshot!("type_names", names.join("\n"));
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// The signature of every operation builder's `send()`, one line each (`Builder::send ->
/// output`): every one fails with `cro_api::Error` (`crate::Error` inside the crate), never
/// progenitor's error type.
#[test]
fn send_signatures() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/cro-api/src/generated.rs");
    let source = std::fs::read_to_string(&path).expect("read generated.rs");
    let mut lines = Vec::new();
    let mut builder = String::new();
    let mut text = source.lines();
    while let Some(line) = text.next() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("impl<'a> ") {
            builder = rest.split('<').next().unwrap_or_default().to_owned();
        }
        if trimmed.starts_with("pub async fn send(") {
            // prettyplease may wrap the signature; join it up to the body's `{`.
            let mut signature = trimmed.to_owned();
            while !signature.ends_with('{') {
                signature.push(' ');
                signature.push_str(text.next().expect("signature ends").trim());
            }
            let output = signature
                .split("->")
                .nth(1)
                .expect("send has an output")
                .trim_end_matches('{')
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace("< ", "<")
                .replace(" >", ">")
                .replace(",>", ">");
            assert!(
                output.ends_with("crate::Error>"),
                "{builder}::send must fail with cro_api::Error: {output}"
            );
            lines.push(format!("{builder}::send -> {output}"));
        }
    }
    assert!(lines.len() > 50, "found only {} send methods", lines.len());
    insta::assert_snapshot!("send_signatures", lines.join("\n"));
}

/// The spec itself, for what the generated code does not show: per-operation statuses and
/// required flags.
fn spec() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/openapi.yaml");
    let text = std::fs::read_to_string(&path).expect("spec/openapi.yaml is readable");
    serde_yaml::from_str(&text).expect("spec/openapi.yaml is YAML")
}

/// One line per operation: its response statuses, `*` marking the `x-cro-undocumented` ones.
/// (The generated client folds the exact error statuses into `4XX`/`5XX`, all ErrorBody.)
#[test]
fn documented_statuses() {
    let spec = spec();
    let mut lines = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(responses) = op.get("responses").and_then(|r| r.as_object()) else {
                continue;
            };
            let statuses: Vec<String> = responses
                .iter()
                .map(|(code, response)| {
                    let target = match response.get("$ref").and_then(|r| r.as_str()) {
                        Some(r) => spec
                            .pointer(r.trim_start_matches('#'))
                            .unwrap_or_else(|| panic!("{r} resolves")),
                        None => response,
                    };
                    let undocumented = target.get("x-cro-undocumented") == Some(&true.into());
                    format!("{code}{}", if undocumented { "*" } else { "" })
                })
                .collect();
            lines.push(format!(
                "{} {} {path}: {}",
                op["operationId"].as_str().unwrap_or("?"),
                method.to_uppercase(),
                statuses.join(" ")
            ));
        }
    }
    lines.sort();
    insta::assert_snapshot!(lines.join("\n"));
}

/// One line per component schema with properties: its required and optional property names.
#[test]
fn required_flags() {
    let spec = spec();
    let mut lines = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().expect("schemas") {
        let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else {
            continue;
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(|r| r.as_array())
            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let mut optional: Vec<&str> = properties
            .keys()
            .map(String::as_str)
            .filter(|k| !required.contains(k))
            .collect();
        optional.sort_unstable();
        let mut required = required;
        required.sort_unstable();
        lines.push(format!(
            "{name}: required=[{}] optional=[{}]",
            required.join(","),
            optional.join(",")
        ));
    }
    lines.sort();
    insta::assert_snapshot!(lines.join("\n"));
}
