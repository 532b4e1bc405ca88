//! The lenient-response transform: drop validation keywords from schemas we only decode.
//!
//! Why: typify turns a constrained schema into a validating type: a `maxLength: 64` string
//! becomes a newtype whose `Deserialize` rejects 65 characters, a `minimum: 1` integer becomes
//! `NonZeroU64`, `uniqueItems` becomes a set. The CRO API does not always honour its own
//! documented constraints (legacy names longer than documented, `0` where `>= 1` is promised),
//! and one such value would make a whole page of results fail to decode. So we are strict in
//! what we send and lenient in what we decode:
//!
//! - component schemas reachable (transitively through `$ref`) only from responses lose the
//!   keywords in [`RELAXED_KEYWORDS`]; so do inline schemas inside responses;
//! - schemas reachable from a request body or a parameter keep every constraint, because there
//!   the typify newtypes validate input before it is sent, which is what we want;
//! - `enum` is kept everywhere: it carries meaning (it is the type), not just validation, and
//!   typify's enums decode unknown values as errors deliberately (the hand-written layer decides
//!   where an open enum is needed).
//!
//! The transform runs on the raw JSON value, before the value is handed to progenitor.

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use serde_json::Value;

/// Validation keywords removed from response-only schemas.
pub const RELAXED_KEYWORDS: &[&str] = &[
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
];

/// HTTP methods under an OpenAPI path item (other keys are `parameters`, `summary`, ...).
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// What the transform did, for the log line and for tests.
#[derive(Debug, Default)]
pub struct Report {
    /// Component schemas reachable only from responses (relaxed), sorted.
    pub relaxed: BTreeSet<String>,
    /// Component schemas reachable from requests (kept strict), sorted.
    pub strict: BTreeSet<String>,
    /// Number of keywords removed in total.
    pub keywords_removed: usize,
}

/// Apply the transform in place and report what changed.
pub fn apply(spec: &mut Value) -> Result<Report> {
    let mut response_roots = Vec::new();
    let mut request_roots = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            if let Some(params) = item.get("parameters") {
                request_roots.push(params.clone());
            }
            for method in METHODS {
                let Some(op) = item.get(*method) else {
                    continue;
                };
                for key in ["parameters", "requestBody"] {
                    if let Some(v) = op.get(key) {
                        request_roots.push(v.clone());
                    }
                }
                if let Some(v) = op.get("responses") {
                    response_roots.push(v.clone());
                }
            }
        }
    }

    let from_responses = reachable_schemas(spec, &response_roots)?;
    let from_requests = reachable_schemas(spec, &request_roots)?;
    let mut report = Report {
        relaxed: from_responses.difference(&from_requests).cloned().collect(),
        strict: from_requests,
        keywords_removed: 0,
    };

    // Component schemas used only by responses.
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in &report.relaxed {
            if let Some(schema) = schemas.get_mut(name) {
                report.keywords_removed += strip(schema);
            }
        }
    }

    // Inline schemas inside responses (operation responses and `components/responses`):
    // progenitor names those `{OperationId}Response`, and they are decoded only.
    let mut inline_responses: Vec<&mut Value> = Vec::new();
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, op) in item.iter_mut() {
                if !METHODS.contains(&key.as_str()) {
                    continue;
                }
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                    inline_responses.extend(responses.values_mut());
                }
            }
        }
    }
    for response in inline_responses {
        report.keywords_removed += strip_response(response);
    }
    if let Some(responses) = spec
        .pointer_mut("/components/responses")
        .and_then(Value::as_object_mut)
    {
        for response in responses.values_mut() {
            report.keywords_removed += strip_response(response);
        }
    }
    Ok(report)
}

/// Names of the component schemas reachable from `roots`, following every local `$ref`
/// (to schemas, parameters, request bodies, responses, headers) transitively.
fn reachable_schemas(spec: &Value, roots: &[Value]) -> Result<BTreeSet<String>> {
    let mut seen_refs = BTreeSet::new();
    let mut pending: Vec<&Value> = roots.iter().collect();
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(object) => {
                if let Some(Value::String(reference)) = object.get("$ref")
                    && seen_refs.insert(reference.clone())
                {
                    pending.push(resolve(spec, reference)?);
                }
                // `example(s)` hold payloads, not schemas; a `$ref` key in one is data.
                pending.extend(
                    object
                        .iter()
                        .filter(|(key, _)| *key != "example" && *key != "examples")
                        .map(|(_, v)| v),
                );
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    Ok(seen_refs
        .iter()
        .filter_map(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
        .map(str::to_owned)
        .collect())
}

/// Resolve a local reference such as `#/components/schemas/CustomerModel`.
fn resolve<'a>(spec: &'a Value, reference: &str) -> Result<&'a Value> {
    let Some(pointer) = reference.strip_prefix('#') else {
        bail!("`$ref: {reference}`: only local references (`#/...`) are supported");
    };
    match spec.pointer(pointer) {
        Some(target) => Ok(target),
        None => bail!("`$ref: {reference}` points to nothing in the spec"),
    }
}

/// Strip the schemas of one response object (its `content.*.schema` and `headers.*.schema`).
fn strip_response(response: &mut Value) -> usize {
    let mut removed = 0;
    for section in ["content", "headers"] {
        if let Some(entries) = response.get_mut(section).and_then(Value::as_object_mut) {
            for entry in entries.values_mut() {
                if let Some(schema) = entry.get_mut("schema") {
                    removed += strip(schema);
                }
            }
        }
    }
    removed
}

/// Remove [`RELAXED_KEYWORDS`] from a schema and its inline sub-schemas; returns how many.
///
/// Only schema positions are visited (`properties.*`, `items`, `allOf`, ...), so a property
/// that happens to be *named* `pattern` is left alone. `$ref`s are not followed: referenced
/// component schemas are relaxed (or not) on their own account.
fn strip(schema: &mut Value) -> usize {
    let Value::Object(object) = schema else {
        return 0;
    };
    if object.contains_key("$ref") {
        return 0;
    }
    let mut removed = RELAXED_KEYWORDS
        .iter()
        .filter(|keyword| object.remove(**keyword).is_some())
        .count();
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        removed += properties.values_mut().map(strip).sum::<usize>();
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = object.get_mut(key) {
            removed += strip(sub);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(subs)) = object.get_mut(key) {
            removed += subs.iter_mut().map(strip).sum::<usize>();
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn relaxes_only_response_only_schemas() {
        let mut spec = json!({
            "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}}}}
            }}},
            "components": {"schemas": {
                "In": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3}, "shared": {"$ref": "#/components/schemas/Shared"}}},
                "Out": {"type": "object", "properties": {
                    "name": {"type": "string", "maxLength": 3, "enum": ["a"]},
                    "pattern": {"type": "string", "pattern": "^a$"},
                    "list": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1}},
                    "shared": {"$ref": "#/components/schemas/Shared"}}},
                "Shared": {"type": "string", "minLength": 1}
            }}
        });
        let report = apply(&mut spec).unwrap();
        assert_eq!(report.relaxed.iter().collect::<Vec<_>>(), ["Out"]);
        assert_eq!(report.keywords_removed, 4);
        let out = &spec["components"]["schemas"]["Out"]["properties"];
        assert_eq!(out["name"], json!({"type": "string", "enum": ["a"]}));
        assert_eq!(out["pattern"], json!({"type": "string"}));
        assert_eq!(
            out["list"],
            json!({"type": "array", "items": {"type": "integer"}})
        );
        assert_eq!(
            spec["components"]["schemas"]["In"]["properties"]["name"]["maxLength"],
            3
        );
        assert_eq!(spec["components"]["schemas"]["Shared"]["minLength"], 1);
    }

    #[test]
    fn dangling_ref_is_an_error() {
        let mut spec = json!({"paths": {"/x": {"get": {"responses": {"200": {"$ref": "#/components/responses/Nope"}}}}}});
        let err = apply(&mut spec).unwrap_err().to_string();
        assert!(err.contains("#/components/responses/Nope"), "{err}");
    }
}
