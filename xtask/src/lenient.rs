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
//! - every `format: iso8601` string, request or response, loses its `pattern` and `x-cro-date`
//!   (see [`TIMESTAMP_ONLY_KEYWORDS`]): `cro_api::Timestamp` is the type and the validator of
//!   those, and typify maps a schema to it only when the schema is exactly
//!   `{type: string, format: iso8601}` (plus metadata); with a pattern it would emit a
//!   validating `String` newtype instead.
//!
//! - a nullable reference is written in the spec as `oneOf: [{$ref: X}, <null>]`, where `<null>`
//!   is `{type: object, nullable: true, enum: [null]}` (the OAS 3.0.3 construction validators
//!   honour; `nullable` beside a bare `allOf` is ignored there). typify would make that an
//!   untagged enum with a unit variant, so the null branch is dropped and `nullable: true` set
//!   instead, with a single remaining branch as `allOf: [{$ref: X}]`: the shape typify turns
//!   into `Option<X>` ([`normalise_nullable_refs`]).
//!
//! - an operation's exact error statuses (`'404'`) whose body schema is the same as their
//!   class range's (`4XX`) are dropped ([`fold_error_codes_into_ranges`]): the spec lists the
//!   documented statuses for readers and other tools, but for the generated client they add
//!   nothing (every one is an ErrorBody), and progenitor orders its match arms so that the
//!   range would shadow the later exact codes (unreachable-pattern warnings).
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

/// Keywords removed from every `format: iso8601` string schema: the pattern and the date-side
/// rule are there for other OpenAPI tools (spec/README.md); cro-rs parses such strings into
/// `cro_api::Timestamp`.
pub const TIMESTAMP_ONLY_KEYWORDS: &[&str] = &["pattern", "x-cro-date"];

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
    report.keywords_removed += strip_timestamp_keywords(spec);
    normalise_nullable_refs(spec);
    fold_error_codes_into_ranges(spec)?;
    Ok(report)
}

/// The body schema of a response (following a `$ref` to `components/responses`), if JSON.
fn response_body_schema(spec: &Value, response: &Value) -> Result<Option<Value>> {
    let response = match response.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(spec, reference)?,
        None => response,
    };
    Ok(response
        .pointer("/content/application~1json/schema")
        .cloned())
}

/// Drop exact 4xx/5xx statuses whose body schema equals that of their `4XX`/`5XX` range (see
/// the module docs); returns how many were dropped.
fn fold_error_codes_into_ranges(spec: &mut Value) -> Result<usize> {
    let mut drops: Vec<(String, String, String)> = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                let Some(responses) = item
                    .get(*method)
                    .and_then(|op| op.get("responses"))
                    .and_then(Value::as_object)
                else {
                    continue;
                };
                for (code, response) in responses {
                    let Some(class) = code
                        .strip_prefix(['4', '5'])
                        .filter(|rest| rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()))
                        .and(code.get(..1))
                    else {
                        continue;
                    };
                    let Some(range) = responses.get(&format!("{class}XX")) else {
                        continue;
                    };
                    if response_body_schema(spec, response)? == response_body_schema(spec, range)? {
                        drops.push((path.clone(), (*method).to_owned(), code.clone()));
                    }
                }
            }
        }
    }
    for (path, method, code) in &drops {
        if let Some(responses) = spec
            .get_mut("paths")
            .and_then(|p| p.get_mut(path))
            .and_then(|item| item.get_mut(method))
            .and_then(|op| op.get_mut("responses"))
            .and_then(Value::as_object_mut)
        {
            responses.remove(code);
        }
    }
    Ok(drops.len())
}

/// Whether `schema` admits only JSON null (`enum: [null]`): the null branch of a nullable
/// `oneOf`/`anyOf`.
fn is_null_only(schema: &Value) -> bool {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| values.len() == 1 && values[0].is_null())
}

/// Rewrite `oneOf`/`anyOf` lists that contain a null-only branch into the `nullable: true`
/// form typify understands (see the module docs); returns how many were rewritten.
fn normalise_nullable_refs(value: &mut Value) -> usize {
    match value {
        Value::Object(object) => {
            let mut rewritten = 0;
            for key in ["oneOf", "anyOf"] {
                let Some(Value::Array(branches)) = object.get_mut(key) else {
                    continue;
                };
                let before = branches.len();
                branches.retain(|branch| !is_null_only(branch));
                if branches.len() == before || branches.is_empty() {
                    continue;
                }
                rewritten += 1;
                if branches.len() == 1 {
                    let only = branches.pop().unwrap_or(Value::Null);
                    object.remove(key);
                    object.insert("allOf".to_owned(), Value::Array(vec![only]));
                }
                object.insert("nullable".to_owned(), Value::Bool(true));
            }
            rewritten
                + object
                    .iter_mut()
                    .filter(|(key, _)| *key != "example" && *key != "examples")
                    .map(|(_, v)| normalise_nullable_refs(v))
                    .sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(normalise_nullable_refs).sum(),
        _ => 0,
    }
}

/// Remove [`TIMESTAMP_ONLY_KEYWORDS`] from every `{type: string, format: iso8601}` object in
/// the document (schemas, parameters, headers, wherever they are); returns how many.
fn strip_timestamp_keywords(value: &mut Value) -> usize {
    match value {
        Value::Object(object) => {
            let mut removed = 0;
            if object.get("format").and_then(Value::as_str) == Some("iso8601")
                && object.get("type").and_then(Value::as_str) == Some("string")
            {
                removed += TIMESTAMP_ONLY_KEYWORDS
                    .iter()
                    .filter(|keyword| object.remove(**keyword).is_some())
                    .count();
            }
            removed
                + object
                    .iter_mut()
                    .filter(|(key, _)| *key != "example" && *key != "examples")
                    .map(|(_, v)| strip_timestamp_keywords(v))
                    .sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(strip_timestamp_keywords).sum(),
        _ => 0,
    }
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
    fn timestamps_lose_pattern_and_date_rule_everywhere() {
        let stamp = json!({"type": "string", "format": "iso8601", "pattern": "^[0-9]{4}", "x-cro-date": "future", "description": "d"});
        let mut spec = json!({
            "paths": {"/x": {"post": {
                "parameters": [{"name": "since", "in": "query", "schema": stamp.clone()}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                "responses": {"200": {"description": "ok"}}
            }}},
            "components": {"schemas": {
                "In": {"type": "object", "properties": {
                    "when": stamp.clone(),
                    "code": {"type": "string", "pattern": "^a$"}}},
                "Unused": {"type": "object", "properties": {"when": stamp}}
            }}
        });
        let report = apply(&mut spec).unwrap();
        assert_eq!(report.keywords_removed, 6);
        let bare = json!({"type": "string", "format": "iso8601", "description": "d"});
        assert_eq!(spec["paths"]["/x"]["post"]["parameters"][0]["schema"], bare);
        assert_eq!(
            spec["components"]["schemas"]["In"]["properties"]["when"],
            bare
        );
        assert_eq!(
            spec["components"]["schemas"]["Unused"]["properties"]["when"],
            bare
        );
        // Other patterns in request schemas stay.
        assert_eq!(
            spec["components"]["schemas"]["In"]["properties"]["code"]["pattern"],
            "^a$"
        );
    }

    #[test]
    fn nullable_refs_become_the_shape_typify_makes_an_option_of() {
        let null_branch = json!({"type": "object", "nullable": true, "enum": [null]});
        let null_again = null_branch.clone();
        let mut spec = json!({
            "paths": {},
            "components": {"schemas": {
                "Job": {"type": "object", "properties": {
                    "asset": {"description": "d", "oneOf": [{"$ref": "#/components/schemas/A"}, null_again]},
                    "customer": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}, null_branch]},
                    "either": {"anyOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]}
                }},
                "A": {"type": "object"},
                "B": {"type": "object"}
            }}
        });
        assert_eq!(normalise_nullable_refs(&mut spec), 2);
        let props = &spec["components"]["schemas"]["Job"]["properties"];
        assert_eq!(
            props["asset"],
            json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/A"}], "nullable": true})
        );
        assert_eq!(
            props["customer"],
            json!({"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}], "nullable": true})
        );
        assert_eq!(
            props["either"],
            json!({"anyOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]})
        );
    }

    #[test]
    fn exact_error_codes_fold_into_their_range() {
        let error = json!({"description": "e", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}});
        let other = json!({"description": "o", "content": {"application/json": {"schema": {"type": "string"}}}});
        let mut spec = json!({
            "paths": {"/x": {"get": {"responses": {
                "200": {"description": "ok"},
                "404": {"$ref": "#/components/responses/NotFound"},
                "409": other,
                "503": error.clone(),
                "4XX": error.clone(),
                "5XX": error
            }}}},
            "components": {"responses": {"NotFound": {"description": "nf", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}}}
        });
        assert_eq!(fold_error_codes_into_ranges(&mut spec).unwrap(), 2);
        let codes: Vec<&String> = spec["paths"]["/x"]["get"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(codes, ["200", "409", "4XX", "5XX"]);
    }

    #[test]
    fn dangling_ref_is_an_error() {
        let mut spec = json!({"paths": {"/x": {"get": {"responses": {"200": {"$ref": "#/components/responses/Nope"}}}}}});
        let err = apply(&mut spec).unwrap_err().to_string();
        assert!(err.contains("#/components/responses/Nope"), "{err}");
    }
}
