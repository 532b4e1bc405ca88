//! The operation model: what the emitters need to know about each operation, read from the
//! spec's structure, security requirements and `x-cro-*` extensions, and checked against the
//! conventions of `spec/openapi.yaml`.
//!
//! Every convention violation is collected (not just the first) so one codegen run lists all
//! the spec problems, each with its location.

use std::collections::BTreeSet;
use std::fmt;

use anyhow::{Result, bail};
use openapiv3::{
    APIKeyLocation, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr,
    RequestBody, Response, SecurityScheme, StatusCode,
};
use serde_json::Value;

/// Header parameters every operation declares (optional); anything else is a spec error.
pub const STANDARD_HEADERS: &[&str] = &["x-api-version", "x-request-id"];

/// Query parameters owned by the pager (never set from user-supplied filters).
pub const PAGING_PARAMS: &[&str] = &["page_index", "page_limit"];

/// Everything the emitters read from the spec.
#[derive(Debug)]
pub struct Model {
    /// Operations sorted by `operationId`.
    pub operations: Vec<OperationModel>,
    /// Values of the `Role` schema, in spec order.
    pub roles: Vec<String>,
    /// Values of the `ApiVersion` schema, in spec order.
    pub api_versions: Vec<String>,
    /// Values of the `HookEvent` schema, in spec order.
    pub hook_events: Vec<String>,
    /// `info.version`.
    pub latest_api_version: String,
    /// The identity of the items of every paged list: item model name and its key
    /// components (each a list of alternative property names), sorted by model name.
    pub item_keys: Vec<(String, Vec<Vec<String>>)>,
}

/// HTTP method (mirrors `cro_api::meta::Method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
}

/// Paging style (mirrors `cro_api::meta::Paging`), with schema names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    None,
    Envelope {
        list_model: String,
        item_model: String,
    },
    BareArray {
        array_model: String,
        item_model: String,
    },
}

impl Paging {
    /// Schema name of one item, for paged operations.
    pub fn item_model(&self) -> Option<String> {
        match self {
            Paging::None => None,
            Paging::Envelope { item_model, .. } | Paging::BareArray { item_model, .. } => {
                Some(item_model.clone())
            }
        }
    }
}

/// Bearer token requirement (mirrors `cro_api::meta::Auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Bearer,
    None,
}

/// `x-tenant-id` requirement (mirrors `cro_api::meta::TenantHeader`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenant {
    Required,
    Optional,
    Absent,
}

/// JSON type of a scalar parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Number,
    Boolean,
    String,
}

impl Kind {
    /// The name used in `cro_api::meta::QueryParam::kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::String => "string",
        }
    }
}

/// One path or query parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Scalar JSON type.
    pub kind: Kind,
    /// `format`, if the (resolved) schema has one.
    pub format: Option<String>,
    /// First line of the description ("" when there is none).
    pub description: String,
}

/// One operation.
#[derive(Debug, Clone)]
pub struct OperationModel {
    pub id: String,
    pub method: Method,
    pub path: String,
    pub tag: String,
    pub summary: String,
    pub roles: Vec<String>,
    pub roles_inferred: bool,
    pub paging: Paging,
    pub auth: Auth,
    pub tenant: Tenant,
    pub deprecated: bool,
    pub source: String,
    /// Path parameters in path-template order.
    pub path_params: Vec<Param>,
    /// Query parameters in declaration order (path-item level first).
    pub query_params: Vec<Param>,
    /// Component schema name of the JSON request body.
    pub request_body: Option<String>,
}

impl OperationModel {
    /// Query parameters other than the paging pair.
    pub fn filters(&self) -> impl Iterator<Item = &Param> {
        self.query_params
            .iter()
            .filter(|p| !PAGING_PARAMS.contains(&p.name.as_str()))
    }
}

/// Collected spec problems.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, location: impl fmt::Display, message: impl fmt::Display) {
        self.0.push(format!("{location}: {message}"));
    }
}

/// The key of each paged list's item model: `x-cro-key` (a list of components, each a
/// property name or `|`-separated alternatives for a field renamed between API versions),
/// or `id` when the schema has one. Every name must be a property of the schema.
fn item_keys(
    spec: &Value,
    operations: &[OperationModel],
    problems: &mut Problems,
) -> Vec<(String, Vec<Vec<String>>)> {
    let models: BTreeSet<&str> = operations
        .iter()
        .filter_map(|op| match &op.paging {
            Paging::Envelope { item_model, .. } | Paging::BareArray { item_model, .. } => {
                Some(item_model.as_str())
            }
            Paging::None => None,
        })
        .collect();
    let mut keys = Vec::new();
    for model in models {
        let location = format!("components.schemas.{model}");
        let schema = spec
            .pointer(&format!("/components/schemas/{model}"))
            .unwrap_or(&Value::Null);
        let properties = schema.get("properties");
        let has = |name: &str| properties.and_then(|p| p.get(name)).is_some();
        let components: Vec<Vec<String>> = match schema.get("x-cro-key") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .unwrap_or_default()
                        .split('|')
                        .map(|n| n.trim().to_owned())
                        .collect()
                })
                .collect(),
            Some(_) => {
                problems.push(
                    &location,
                    "x-cro-key must be a non-empty list of property names",
                );
                continue;
            }
            None if has("id") => vec![vec!["id".to_owned()]],
            None => {
                problems.push(
                    &location,
                    "the item model of a paged list needs an `id` property or an x-cro-key",
                );
                continue;
            }
        };
        for name in components.iter().flatten() {
            if !has(name) {
                problems.push(
                    &location,
                    format!("x-cro-key names `{name}`, not a property"),
                );
            }
        }
        keys.push((model.to_owned(), components));
    }
    keys
}

/// Names of the security schemes, identified by what they are rather than what they are called.
struct Schemes {
    bearer: BTreeSet<String>,
    tenant: BTreeSet<String>,
}

impl Model {
    /// Build the model; `spec` is the same document as JSON (used for schema inspection).
    pub fn from_spec(api: &OpenAPI, spec: &Value) -> Result<Model> {
        let mut problems = Problems::default();
        let schemes = security_schemes(api);

        let roles = string_enum(spec, "Role", &mut problems);
        let api_versions = string_enum(spec, "ApiVersion", &mut problems);
        let hook_events = string_enum(spec, "HookEvent", &mut problems);
        let latest_api_version = api.info.version.clone();
        if !api_versions.is_empty() && !api_versions.contains(&latest_api_version) {
            problems.push(
                "info.version",
                format!("`{latest_api_version}` is not one of the ApiVersion values"),
            );
        }

        let mut operations = Vec::new();
        for (path, item) in api.paths.paths.iter() {
            let item = match item {
                ReferenceOr::Item(item) => item,
                ReferenceOr::Reference { .. } => {
                    problems.push(path, "`$ref` path items are not supported by progenitor");
                    continue;
                }
            };
            for (method, op) in item.iter() {
                let location = format!("{} {path}", method.to_uppercase());
                let reader = OperationReader {
                    api,
                    spec,
                    schemes: &schemes,
                    roles: &roles,
                    location: &location,
                };
                if let Some(model) = reader.read(path, method, &item.parameters, op, &mut problems)
                {
                    operations.push(model);
                }
            }
        }
        operations.sort_by(|a, b| a.id.cmp(&b.id));
        for pair in operations.windows(2) {
            if pair[0].id == pair[1].id {
                problems.push(
                    format!("operationId `{}`", pair[0].id),
                    format!("used by both {} and {}", pair[0].path, pair[1].path),
                );
            }
        }

        let item_keys = item_keys(spec, &operations, &mut problems);

        if !problems.0.is_empty() {
            bail!(
                "spec/openapi.yaml breaks the generator's conventions:\n  - {}",
                problems.0.join("\n  - ")
            );
        }
        Ok(Model {
            operations,
            roles,
            api_versions,
            hook_events,
            latest_api_version,
            item_keys,
        })
    }
}

/// Per-operation reading context.
struct OperationReader<'a> {
    api: &'a OpenAPI,
    spec: &'a Value,
    schemes: &'a Schemes,
    roles: &'a [String],
    location: &'a str,
}

impl OperationReader<'_> {
    fn read(
        &self,
        path: &str,
        method: &str,
        path_item_params: &[ReferenceOr<Parameter>],
        op: &Operation,
        problems: &mut Problems,
    ) -> Option<OperationModel> {
        let loc = self.location;
        let count_before = problems.0.len();

        let id = op.operation_id.clone().unwrap_or_default();
        if id.is_empty() {
            problems.push(loc, "missing operationId");
        } else if !is_snake_case(&id) {
            problems.push(loc, format!("operationId `{id}` is not snake_case"));
        }
        let method = match method {
            "get" => Method::Get,
            "post" => Method::Post,
            "patch" => Method::Patch,
            "put" => Method::Put,
            "delete" => Method::Delete,
            other => {
                problems.push(loc, format!("method `{other}` is not supported"));
                Method::Get
            }
        };
        let tag = match op.tags.as_slice() {
            [tag] => tag.clone(),
            tags => {
                problems.push(loc, format!("needs exactly one tag, has {}", tags.len()));
                tags.first().cloned().unwrap_or_default()
            }
        };
        let summary = op.summary.clone().unwrap_or_default();
        if summary.trim().is_empty() {
            problems.push(loc, "missing summary");
        }

        let roles = self.roles_extension(op, problems);
        let roles_inferred = match op.extensions.get("x-cro-roles-inferred") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                problems.push(
                    loc,
                    format!("x-cro-roles-inferred must be a boolean, is {other}"),
                );
                false
            }
        };
        let source = match op.extensions.get("x-cro-source").and_then(Value::as_str) {
            Some(s @ ("D" | "S21" | "S20" | "inferred")) => s.to_owned(),
            other => {
                problems.push(
                    loc,
                    format!("x-cro-source must be one of D, S21, S20, inferred; is {other:?}"),
                );
                String::new()
            }
        };
        let (auth, tenant) = self.security(op, problems);

        let (path_params, query_params) =
            self.parameters(path, path_item_params, &op.parameters, problems);
        let request_body = self.request_body(op, problems);
        self.check_error_responses(op, problems);
        let paging = self.paging(op, &query_params, problems);

        (problems.0.len() == count_before).then(|| OperationModel {
            id,
            method,
            path: path.to_owned(),
            tag,
            summary: first_line(&summary),
            roles,
            roles_inferred,
            paging,
            auth,
            tenant,
            deprecated: op.deprecated,
            source,
            path_params,
            query_params,
            request_body,
        })
    }

    /// `x-cro-roles`: a list of wire role names, each a value of the `Role` schema.
    fn roles_extension(&self, op: &Operation, problems: &mut Problems) -> Vec<String> {
        let loc = self.location;
        let Some(Value::Array(values)) = op.extensions.get("x-cro-roles") else {
            problems.push(
                loc,
                "x-cro-roles (a list of Role values) is missing or not a list",
            );
            return Vec::new();
        };
        let mut roles = Vec::new();
        for value in values {
            match value.as_str() {
                Some(role) if self.roles.iter().any(|r| r == role) => roles.push(role.to_owned()),
                _ => problems.push(loc, format!("x-cro-roles: {value} is not a Role value")),
            }
        }
        roles
    }

    /// Map the effective `security` to bearer/tenant requirements.
    ///
    /// `[]` is public; every alternative must contain the bearer scheme; the tenant header is
    /// required when every alternative has it, optional when some do, absent when none do.
    fn security(&self, op: &Operation, problems: &mut Problems) -> (Auth, Tenant) {
        let loc = self.location;
        let requirements = op
            .security
            .as_ref()
            .or(self.api.security.as_ref())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if requirements.is_empty() {
            return (Auth::None, Tenant::Absent);
        }
        let mut with_tenant = 0;
        for requirement in requirements {
            let mut has_bearer = false;
            for name in requirement.keys() {
                if self.schemes.bearer.contains(name) {
                    has_bearer = true;
                } else if self.schemes.tenant.contains(name) {
                    with_tenant += 1;
                } else {
                    problems.push(loc, format!("security scheme `{name}` is not supported"));
                }
            }
            if !has_bearer {
                problems.push(
                    loc,
                    "every security alternative must include the bearer scheme \
                     (use `security: []` for a public operation)",
                );
            }
        }
        let tenant = match with_tenant {
            0 => Tenant::Absent,
            n if n == requirements.len() => Tenant::Required,
            _ => Tenant::Optional,
        };
        (Auth::Bearer, tenant)
    }

    /// Path and query parameters; checks header parameters against [`STANDARD_HEADERS`].
    fn parameters(
        &self,
        path: &str,
        path_item_params: &[ReferenceOr<Parameter>],
        op_params: &[ReferenceOr<Parameter>],
        problems: &mut Problems,
    ) -> (Vec<Param>, Vec<Param>) {
        let loc = self.location;
        // Operation-level parameters override path-item ones with the same name and location.
        let mut merged: Vec<&Parameter> = Vec::new();
        for reference in path_item_params.iter().chain(op_params) {
            let Some(param) = self.resolve_parameter(reference, problems) else {
                continue;
            };
            let key = param_key(param);
            merged.retain(|p| param_key(p) != key);
            merged.push(param);
        }

        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        let mut headers = BTreeSet::new();
        for param in merged {
            let data = param.parameter_data_ref();
            let name = data.name.as_str();
            match param {
                Parameter::Header { .. } => {
                    if !STANDARD_HEADERS.contains(&name) {
                        problems.push(
                            loc,
                            format!(
                                "header parameter `{name}` is not allowed (only {}; \
                                 x-tenant-id and authorization come from `security`)",
                                STANDARD_HEADERS.join(", ")
                            ),
                        );
                    } else if data.required {
                        problems.push(loc, format!("header parameter `{name}` must be optional"));
                    }
                    headers.insert(name.to_owned());
                }
                Parameter::Cookie { .. } => {
                    problems.push(loc, format!("cookie parameter `{name}` is not supported"));
                }
                Parameter::Path { .. } | Parameter::Query { .. } => {
                    let Some((kind, format)) = self.param_kind(param, problems) else {
                        continue;
                    };
                    let model = Param {
                        name: name.to_owned(),
                        kind,
                        format,
                        description: first_line(data.description.as_deref().unwrap_or("")),
                    };
                    if matches!(param, Parameter::Path { .. }) {
                        path_params.push(model);
                    } else {
                        query_params.push(model);
                    }
                }
            }
        }
        for header in STANDARD_HEADERS {
            if !headers.contains(*header) {
                problems.push(
                    loc,
                    format!("missing the optional `{header}` header parameter"),
                );
            }
        }

        // Path parameters in template order, and exactly those named in the template.
        let template: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        let mut ordered = Vec::new();
        for name in &template {
            match path_params.iter().position(|p| p.name == *name) {
                Some(i) => ordered.push(path_params.remove(i)),
                None => problems.push(loc, format!("path parameter `{name}` is not declared")),
            }
        }
        for extra in path_params {
            problems.push(
                loc,
                format!(
                    "path parameter `{}` is not in the path template",
                    extra.name
                ),
            );
        }
        (ordered, query_params)
    }

    fn resolve_parameter<'p>(
        &'p self,
        reference: &'p ReferenceOr<Parameter>,
        problems: &mut Problems,
    ) -> Option<&'p Parameter> {
        match reference {
            ReferenceOr::Item(param) => Some(param),
            ReferenceOr::Reference { reference } => {
                let found = reference
                    .strip_prefix("#/components/parameters/")
                    .and_then(|name| self.api.components.as_ref()?.parameters.get(name))
                    .and_then(ReferenceOr::as_item);
                if found.is_none() {
                    problems.push(self.location, format!("cannot resolve `{reference}`"));
                }
                found
            }
        }
    }

    /// Scalar kind and format of a path or query parameter's schema.
    fn param_kind(
        &self,
        param: &Parameter,
        problems: &mut Problems,
    ) -> Option<(Kind, Option<String>)> {
        let data = param.parameter_data_ref();
        let loc = format!("{} parameter `{}`", self.location, data.name);
        let ParameterSchemaOrContent::Schema(schema) = &data.format else {
            problems.push(loc, "`content` parameters are not supported; use `schema`");
            return None;
        };
        let schema = match serde_json::to_value(schema) {
            Ok(value) => value,
            Err(e) => {
                problems.push(loc, e);
                return None;
            }
        };
        match scalar_kind(self.spec, &schema, 0) {
            Ok(kind) => Some(kind),
            Err(message) => {
                problems.push(loc, message);
                None
            }
        }
    }

    /// Component schema name of the `application/json` request body, if any.
    fn request_body(&self, op: &Operation, problems: &mut Problems) -> Option<String> {
        let loc = self.location;
        let body: &RequestBody = match op.request_body.as_ref()? {
            ReferenceOr::Item(body) => body,
            ReferenceOr::Reference { reference } => {
                let found = reference
                    .strip_prefix("#/components/requestBodies/")
                    .and_then(|name| self.api.components.as_ref()?.request_bodies.get(name))
                    .and_then(ReferenceOr::as_item);
                match found {
                    Some(body) => body,
                    None => {
                        problems.push(loc, format!("cannot resolve `{reference}`"));
                        return None;
                    }
                }
            }
        };
        let schema = body.content.get("application/json")?.schema.as_ref();
        match schema {
            Some(ReferenceOr::Reference { reference }) => {
                schema_ref_name(reference).map(str::to_owned)
            }
            _ => {
                problems.push(loc, "the JSON request body must `$ref` a component schema");
                None
            }
        }
    }

    /// `4XX` and `5XX` must both decode to `ErrorBody` so every error is typed.
    fn check_error_responses(&self, op: &Operation, problems: &mut Problems) {
        for class in [4, 5] {
            let schema = op
                .responses
                .responses
                .get(&StatusCode::Range(class))
                .and_then(|r| self.response_schema(r));
            if schema.as_deref() != Some("ErrorBody") {
                problems.push(
                    self.location,
                    format!("the `{class}XX` response must be `$ref: '#/components/responses/Error'` (ErrorBody)"),
                );
            }
        }
    }

    /// `x-cro-paging`, checked against the shape of the 200 response.
    fn paging(&self, op: &Operation, query: &[Param], problems: &mut Problems) -> Paging {
        let loc = self.location;
        let has = |name: &str| query.iter().any(|p| p.name == name);
        let style = match op.extensions.get("x-cro-paging") {
            None => {
                if PAGING_PARAMS.iter().any(|p| has(p)) {
                    problems.push(loc, "has page_index/page_limit but no x-cro-paging");
                }
                return Paging::None;
            }
            Some(value) => value.as_str().unwrap_or_default(),
        };
        if style != "envelope" && style != "bare-array" {
            problems.push(
                loc,
                format!("x-cro-paging must be `envelope` or `bare-array`, is `{style}`"),
            );
            return Paging::None;
        }
        for name in PAGING_PARAMS {
            if !has(name) {
                problems.push(
                    loc,
                    format!("x-cro-paging is set but the `{name}` query parameter is missing"),
                );
            }
        }
        let Some(list_model) = op
            .responses
            .responses
            .get(&StatusCode::Code(200))
            .and_then(|r| self.response_schema(r))
        else {
            problems.push(loc, format!("x-cro-paging: {style} needs a 200 response whose JSON schema is a `$ref` to a component schema"));
            return Paging::None;
        };
        let schema = self
            .spec
            .pointer(&format!("/components/schemas/{list_model}"))
            .unwrap_or(&Value::Null);
        let item_ref = |items: Option<&Value>| {
            items
                .and_then(|i| i.get("$ref"))
                .and_then(Value::as_str)
                .and_then(schema_ref_name)
                .map(str::to_owned)
        };
        if style == "envelope" {
            let properties = schema.get("properties");
            let missing: Vec<&str> = [
                "current_page",
                "current_limit",
                "total_pages",
                "total_count",
                "results",
            ]
            .into_iter()
            .filter(|field| properties.and_then(|p| p.get(*field)).is_none())
            .collect();
            let item = item_ref(properties.and_then(|p| p.pointer("/results/items")));
            match item {
                Some(item_model) if missing.is_empty() => Paging::Envelope {
                    list_model,
                    item_model,
                },
                _ => {
                    problems.push(
                        loc,
                        format!(
                            "x-cro-paging: envelope, but `{list_model}` is not an envelope \
                             (needs properties current_page, current_limit, total_pages, total_count \
                             and results with `items: {{$ref: ...}}`; missing: {missing:?})"
                        ),
                    );
                    Paging::None
                }
            }
        } else {
            let is_array = schema.get("type").and_then(Value::as_str) == Some("array");
            match item_ref(schema.get("items")) {
                Some(item_model) if is_array => Paging::BareArray {
                    array_model: list_model,
                    item_model,
                },
                _ => {
                    problems.push(
                        loc,
                        format!(
                            "x-cro-paging: bare-array, but `{list_model}` is not `type: array` \
                             with `items: {{$ref: ...}}`"
                        ),
                    );
                    Paging::None
                }
            }
        }
    }

    /// Component schema name of a response's `application/json` body (through response refs).
    fn response_schema(&self, response: &ReferenceOr<Response>) -> Option<String> {
        let response = match response {
            ReferenceOr::Item(response) => response,
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/responses/")
                .and_then(|name| self.api.components.as_ref()?.responses.get(name))
                .and_then(ReferenceOr::as_item)?,
        };
        match response.content.get("application/json")?.schema.as_ref()? {
            ReferenceOr::Reference { reference } => schema_ref_name(reference).map(str::to_owned),
            ReferenceOr::Item(_) => None,
        }
    }
}

/// `(location, name)` of a parameter, for path-item/operation overriding.
fn param_key(param: &Parameter) -> (&'static str, &str) {
    let location = match param {
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Path { .. } => "path",
        Parameter::Cookie { .. } => "cookie",
    };
    (location, param.parameter_data_ref().name.as_str())
}

/// Classify the security schemes: HTTP bearer, and the `x-tenant-id` API key header.
fn security_schemes(api: &OpenAPI) -> Schemes {
    let mut schemes = Schemes {
        bearer: BTreeSet::new(),
        tenant: BTreeSet::new(),
    };
    let Some(components) = &api.components else {
        return schemes;
    };
    for (name, scheme) in &components.security_schemes {
        match scheme {
            ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. })
                if scheme.eq_ignore_ascii_case("bearer") =>
            {
                schemes.bearer.insert(name.clone());
            }
            ReferenceOr::Item(SecurityScheme::APIKey {
                location: APIKeyLocation::Header,
                name: header,
                ..
            }) if header.eq_ignore_ascii_case("x-tenant-id") => {
                schemes.tenant.insert(name.clone());
            }
            // Other schemes (the documented `oauth2` flow) may be described for tools; they
            // are an error only when an operation requires them (see `security`).
            _ => {}
        }
    }
    schemes
}

/// Values of a `type: string` enum component schema.
fn string_enum(spec: &Value, name: &str, problems: &mut Problems) -> Vec<String> {
    let location = format!("components.schemas.{name}");
    let values = spec
        .pointer(&format!("/components/schemas/{name}/enum"))
        .and_then(Value::as_array);
    let Some(values) = values else {
        problems.push(location, "must be a string enum (`type: string` + `enum`)");
        return Vec::new();
    };
    values
        .iter()
        .filter_map(|v| match v.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                problems.push(&location, format!("enum value {v} is not a string"));
                None
            }
        })
        .collect()
}

/// Kind and format of a scalar schema, following `$ref` and single-element `allOf`.
fn scalar_kind(
    spec: &Value,
    schema: &Value,
    depth: usize,
) -> Result<(Kind, Option<String>), String> {
    if depth > 16 {
        return Err("`$ref` cycle".to_owned());
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| spec.pointer(pointer))
            .ok_or_else(|| format!("cannot resolve `{reference}`"))?;
        return scalar_kind(spec, target, depth + 1);
    }
    if let Some(Value::Array(all_of)) = schema.get("allOf")
        && let [single] = all_of.as_slice()
    {
        return scalar_kind(spec, single, depth + 1);
    }
    let format = schema
        .get("format")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let kind = match schema.get("type").and_then(Value::as_str) {
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        Some("string") => Kind::String,
        None if schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| values.iter().all(Value::is_string)) =>
        {
            Kind::String
        }
        other => {
            return Err(format!(
                "type {other:?} is not supported for path/query parameters \
                 (integer, number, boolean or string only)"
            ));
        }
    };
    Ok((kind, format))
}

/// `CustomerModel` from `#/components/schemas/CustomerModel`.
fn schema_ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

fn is_snake_case(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The first non-empty line, trimmed: table cells and `&'static str`s stay one line.
pub fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
        .to_owned()
}
