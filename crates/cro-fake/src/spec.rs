//! The OpenAPI document, embedded at build time and parsed once: the source of truth for
//! request validation (parameter and body schemas) and for the response self-checks.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use cro_api::meta::{Operation, TenantHeader};
use serde_json::Value;

/// The spec text: `spec/openapi.yaml`, copied into this crate (`crates/cro-fake/spec/`) by
/// `cargo xtask codegen` so that the published package carries it (`--check` keeps it equal).
pub const SPEC_YAML: &str = include_str!("../spec/openapi.yaml");

static SPEC: LazyLock<Spec> = LazyLock::new(|| Spec::parse(SPEC_YAML));

/// The parsed spec shared by every server in the process.
pub fn spec() -> &'static Spec {
    &SPEC
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    /// Path segment.
    Path,
    /// Query string.
    Query,
    /// Header.
    Header,
}

/// One parameter of an operation (its schema with a top-level `$ref` resolved).
#[derive(Debug, Clone)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Location.
    pub location: ParamIn,
    /// Required.
    pub required: bool,
    /// Schema.
    pub schema: Value,
}

/// The request body of an operation.
#[derive(Debug, Clone)]
pub struct Body {
    /// Whether a body must be sent.
    pub required: bool,
    /// The JSON schema (usually a `$ref` to a named model).
    pub schema: Value,
    /// Name of the model, for error messages.
    pub model: String,
}

/// What the validator needs about one operation.
#[derive(Debug, Clone, Default)]
pub struct OpSpec {
    /// Parameters (path-level ones merged in).
    pub params: Vec<Param>,
    /// JSON body, if the operation takes one.
    pub body: Option<Body>,
    /// Content types of the 200 response (`application/json`, `application/pdf`).
    pub produces: Vec<String>,
    /// Schema of the 200 response.
    pub response: Option<Value>,
}

/// The parsed document.
#[derive(Debug)]
pub struct Spec {
    /// The whole document as JSON.
    pub root: Value,
    ops: HashMap<String, OpSpec>,
    /// Models reachable from some response: the server sends them, so they stay open to
    /// unknown keys when they come back in a request (e.g. `DriverChatUserModel`).
    response_models: HashSet<String>,
    /// Error text if the document failed to parse (the server then validates nothing).
    pub load_error: Option<String>,
}

impl Spec {
    /// Parses YAML text; never panics (a broken spec yields an empty table and `load_error`).
    pub fn parse(yaml: &str) -> Spec {
        let root: Value = match serde_yaml::from_str(yaml) {
            Ok(v) => v,
            Err(e) => {
                return Spec {
                    root: Value::Null,
                    ops: HashMap::new(),
                    response_models: HashSet::new(),
                    load_error: Some(e.to_string()),
                };
            }
        };
        let mut ops = HashMap::new();
        if let Some(paths) = root.get("paths").and_then(Value::as_object) {
            for item in paths.values() {
                let shared = item.get("parameters");
                for method in ["get", "post", "patch", "put", "delete"] {
                    let Some(op) = item.get(method) else { continue };
                    let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                        continue;
                    };
                    ops.insert(id.to_owned(), op_spec(&root, shared, op));
                }
            }
        }
        let mut response_models = HashSet::new();
        for op in ops.values() {
            if let Some(schema) = &op.response {
                collect_refs(&root, schema, &mut response_models);
            }
        }
        Spec {
            root,
            ops,
            response_models,
            load_error: None,
        }
    }

    /// Whether a request body object of model `name` rejects unknown keys, as the API does
    /// ("`CreateCustomerModel.user_id: Unknown field.`"): models marked
    /// `additionalProperties: false`, and models that only ever appear in requests. Models the
    /// server also sends stay open, so a client echoing one back is not refused.
    pub fn rejects_unknown(&self, name: &str) -> bool {
        let marked_closed = self
            .schema(name)
            .and_then(|s| s.get("additionalProperties"))
            .is_some_and(|a| a == &Value::Bool(false));
        marked_closed || !self.response_models.contains(name)
    }

    /// Whether property `prop` of model `model` is nullable.
    pub fn is_nullable(&self, model: &str, prop: &str) -> bool {
        self.schema(model)
            .and_then(|s| s.pointer(&format!("/properties/{prop}/nullable")))
            .and_then(Value::as_bool)
            == Some(true)
    }

    /// Whether property `prop` of model `model` can hold a `target` model (a `$ref` to it
    /// anywhere in the property's schema, e.g. in an `anyOf`).
    pub fn property_refers_to(&self, model: &str, prop: &str, target: &str) -> bool {
        let mut found = HashSet::new();
        if let Some(p) = self
            .schema(model)
            .and_then(|s| s.pointer(&format!("/properties/{prop}")))
        {
            collect_refs(&Value::Null, p, &mut found);
        }
        found.contains(target)
    }

    /// The operation's parameters, body and response.
    pub fn op(&self, id: &str) -> Option<&OpSpec> {
        self.ops.get(id)
    }

    /// Resolves a local `$ref` (`#/components/schemas/X`).
    pub fn resolve<'a>(&'a self, reference: &str) -> Option<&'a Value> {
        resolve(&self.root, reference)
    }

    /// A named component schema.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.root.pointer(&format!("/components/schemas/{name}"))
    }
}

/// Adds the names of all models `schema` refers to (transitively, through `root`).
fn collect_refs(root: &Value, schema: &Value, out: &mut HashSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                let name = ref_name(r).to_owned();
                if out.insert(name)
                    && let Some(target) = resolve(root, r)
                {
                    collect_refs(root, target, out);
                }
            }
            for v in map.values() {
                collect_refs(root, v, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                collect_refs(root, v, out);
            }
        }
        _ => {}
    }
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

/// The last segment of a `$ref` (the model name).
pub fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

fn op_spec(root: &Value, shared: Option<&Value>, op: &Value) -> OpSpec {
    let mut params: Vec<Param> = Vec::new();
    for list in [shared, op.get("parameters")].into_iter().flatten() {
        for p in list.as_array().into_iter().flatten() {
            let p = match p.get("$ref").and_then(Value::as_str) {
                Some(r) => match resolve(root, r) {
                    Some(p) => p,
                    None => continue,
                },
                None => p,
            };
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => ParamIn::Path,
                Some("query") => ParamIn::Query,
                Some("header") => ParamIn::Header,
                _ => continue,
            };
            let param = Param {
                name: name.to_owned(),
                location,
                required: p.get("required").and_then(Value::as_bool) == Some(true),
                schema: p.get("schema").cloned().unwrap_or(Value::Null),
            };
            // Operation-level parameters override path-level ones of the same name.
            params.retain(|q| !(q.name == param.name && q.location == param.location));
            params.push(param);
        }
    }
    let body = op.get("requestBody").map(|rb| {
        let rb = match rb.get("$ref").and_then(Value::as_str) {
            Some(r) => resolve(root, r).unwrap_or(rb),
            None => rb,
        };
        let schema = rb
            .pointer("/content/application~1json/schema")
            .cloned()
            .unwrap_or(Value::Null);
        let model = model_name_of(&schema).unwrap_or("RequestBody").to_owned();
        Body {
            required: rb.get("required").and_then(Value::as_bool) == Some(true),
            schema,
            model,
        }
    });
    let ok = op.pointer("/responses/200");
    let produces = ok
        .and_then(|r| r.get("content"))
        .and_then(Value::as_object)
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default();
    let response = ok
        .and_then(|r| r.get("content"))
        .and_then(Value::as_object)
        .and_then(|c| c.get("application/json"))
        .and_then(|c| c.get("schema"))
        .cloned();
    OpSpec {
        params,
        body,
        produces,
        response,
    }
}

/// The model a schema names (`$ref`, or the single `$ref` inside `allOf`).
pub fn model_name_of(schema: &Value) -> Option<&str> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return Some(ref_name(r));
    }
    match schema.get("allOf").and_then(Value::as_array) {
        Some(all) if all.len() == 1 => model_name_of(&all[0]),
        _ => None,
    }
}

/// The documented request-header model of an operation (named in header errors).
pub fn header_model(op: &Operation) -> &'static str {
    use cro_api::meta::{Auth, Method};
    match (op.auth, op.tenant) {
        (Auth::None, _) => "StandardPublicRequestHeadersModel",
        (_, TenantHeader::Absent) => "TenantRequestHeadersModel",
        (_, TenantHeader::Optional) if op.method == Method::Get => "ListHaulersRequestHeadersModel",
        (_, TenantHeader::Optional) => "HaulersRequestHeadersModel",
        (_, TenantHeader::Required) => "StandardRequestHeadersModel",
    }
}

/// The model named in query-parameter errors: the documented ones where the docs name one,
/// else `<OperationId in CamelCase>QueryParamsModel`.
pub fn query_model(op: &Operation) -> String {
    match op.id {
        "list_location_customers" | "list_customers" => "ListCustomersQueryParamsModel".into(),
        "update_truck" => "UpdateTruckQueryParamsModel".into(),
        id => {
            let mut s = String::with_capacity(id.len() + 16);
            for part in id.split('_') {
                let mut cs = part.chars();
                if let Some(c) = cs.next() {
                    s.push(c.to_ascii_uppercase());
                    s.extend(cs);
                }
            }
            s.push_str("QueryParamsModel");
            s
        }
    }
}
