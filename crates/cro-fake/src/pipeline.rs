//! The request pipeline every API call goes through, in the order the checks apply:
//! route (404/405) -> `Accept` (406) -> `x-request-id` -> token (401) -> version (400) ->
//! role (403) -> tenant (400/403) -> path, query and body validation (400) -> handler.
//! Everything is driven by the operation's row in `cro_api::meta::OPERATIONS` and its entry in
//! the spec; nothing here knows individual endpoints except Update Truck's versioned input.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use cro_api::meta::{Auth, Operation, TenantHeader};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::auth::Principal;
use crate::errors::ApiError;
use crate::faults::TotalCountDrift;
use crate::handlers;
use crate::render::V_TRUCK_BODY;
use crate::request::{Call, Query, Reply};
use crate::router::Routed;
use crate::server::AppState;
use crate::spec::{self, ParamIn};
use crate::store::TenantState;
use crate::validate;
use crate::versions::Version;

/// Largest request body read (bigger ones are a 400).
pub const MAX_BODY: usize = 1 << 20;

/// Headers a browser may send cross-origin (the docs' CORS list plus the optional headers).
const CORS_ALLOW_HEADERS: &str =
    "Authorization, Accept, X-TENANT-ID, Content-Type, X-API-VERSION, X-REQUEST-ID";

/// The axum handler of every API path.
pub async fn api_entry(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let drift = parts.extensions.get::<TotalCountDrift>().map_or(0, |d| d.0);
    let mut version = None;
    let result = run(&state, &parts, body, drift, &mut version).await;
    let mut resp = match result {
        Ok(reply) => {
            let mut resp = (reply.status, reply.body).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(reply.content_type),
            );
            for (k, v) in reply.headers {
                resp.headers_mut().insert(k, v);
            }
            resp
        }
        Err(e) => e.into_response(),
    };
    // Errors before the version was resolved echo the requested (valid) or pinned-default one.
    let v = version.unwrap_or_else(|| requested_version(&parts.headers));
    resp.headers_mut()
        .insert("x-api-version", HeaderValue::from_static(v.as_str()));
    resp
}

/// The valid version named by the request's header, else the earliest.
pub fn requested_version(headers: &HeaderMap) -> Version {
    headers
        .get("x-api-version")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Version::parse(v.trim()))
        .unwrap_or_else(Version::earliest)
}

async fn run(
    state: &AppState,
    parts: &http::request::Parts,
    body: Body,
    drift: i64,
    version_out: &mut Option<Version>,
) -> Result<Reply, ApiError> {
    let path = parts.uri.path();
    let (op, path_params) = match state.routes.route(&parts.method, path) {
        Routed::Found(op, params) => (op, params),
        Routed::WrongMethod(methods) => {
            let allow = methods.join(", ");
            if parts.method == http::Method::OPTIONS {
                return Ok(preflight(&allow));
            }
            return Err(ApiError::method_not_allowed(parts.method.as_str(), allow));
        }
        Routed::NotFound => {
            return Err(ApiError::not_found(
                "",
                format!("The requested URL {path} was not found on the server."),
            ));
        }
    };
    let model = spec::header_model(op);
    let op_spec = state.spec.op(op.id);

    // 406: the client must accept what the operation produces.
    let produces = op_spec
        .and_then(|s| s.produces.first().map(String::as_str))
        .unwrap_or("application/json");
    if !accepts(&parts.headers, produces) {
        return Err(ApiError::not_acceptable(produces));
    }

    if let Some(raw) = parts.headers.get("x-request-id") {
        let ok = raw
            .to_str()
            .ok()
            .is_some_and(|s| uuid::Uuid::parse_str(s.trim()).is_ok());
        if !ok {
            return Err(ApiError::bad_request(
                format!("{model}.x-request-id"),
                "Not a valid UUID.",
            ));
        }
    }

    // 401: bearer operations need a known token; public ones use one only to find the client.
    let auth_header = parts.headers.get(header::AUTHORIZATION);
    let principal: Option<Principal> = match op.auth {
        Auth::Bearer => Some(state.auth.authenticate(auth_header, model)?),
        Auth::None => auth_header.and_then(|h| state.auth.authenticate(Some(h), model).ok()),
    };

    let version = state.pins.resolve(
        parts.headers.get("x-api-version"),
        principal.as_ref().map(|p| &*p.client_id),
        model,
    )?;
    *version_out = Some(version);

    // 403: the spec's role list.
    if op.auth == Auth::Bearer
        && let Some(p) = &principal
        && !p.user.may_call(op)
    {
        return Err(ApiError::forbidden(
            format!("{model}.authorization"),
            format!(
                "Role {} may not call {} (allowed: {}).",
                p.user.roles.join(", "),
                op.id,
                op.roles.join(", ")
            ),
        ));
    }

    let tenant = tenant_of(state, op, principal.as_ref(), &parts.headers, model)?;

    let params = op_spec.map(|s| s.params.as_slice()).unwrap_or_default();
    for (name, raw) in &path_params {
        if let Some(p) = params
            .iter()
            .find(|p| p.location == ParamIn::Path && p.name == *name)
        {
            validate::check_param(state.spec, p, raw, "")
                .map_err(|v| ApiError::bad_request(*name, v.detail))?;
        }
    }

    let query = query_of(state, op, parts.uri.query(), params)?;

    let body = match op_spec.and_then(|s| s.body.as_ref()) {
        Some(spec_body) => {
            // Update Truck took query parameters before 2021/05/07; the body is optional then.
            let required =
                spec_body.required && (op.id != "update_truck" || version.at_least(V_TRUCK_BODY));
            read_body(state, parts, body, spec_body, required, model).await?
        }
        None => None,
    };

    let call = Call {
        state,
        op,
        principal,
        tenant,
        version,
        path: path_params,
        query,
        body,
        drift,
    };
    handlers::dispatch(&call).await
}

fn preflight(allow: &str) -> Reply {
    let h = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    Reply {
        status: StatusCode::OK,
        body: Vec::new(),
        content_type: "text/plain",
        headers: vec![
            (header::ALLOW, h(allow)),
            (header::ACCESS_CONTROL_ALLOW_METHODS, h(allow)),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(CORS_ALLOW_HEADERS),
            ),
        ],
    }
}

/// Whether the `Accept` header admits `produces` (no header admits everything; `q=0` excludes).
pub fn accepts(headers: &HeaderMap, produces: &str) -> bool {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return true;
    }
    let (ptype, psub) = produces.split_once('/').unwrap_or((produces, ""));
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .any(|range| {
            let mut it = range.split(';');
            let media = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = it.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            let (t, s) = media.split_once('/').unwrap_or((&media, ""));
            !refused && (t == "*" || t == ptype) && (s == "*" || s == psub)
        })
}

fn tenant_of<'a>(
    state: &'a AppState,
    op: &Operation,
    principal: Option<&Principal>,
    headers: &HeaderMap,
    model: &str,
) -> Result<Option<&'a TenantState>, ApiError> {
    if op.tenant == TenantHeader::Absent {
        return Ok(None);
    }
    let field = || format!("{model}.x-tenant-id");
    let Some(raw) = headers.get("x-tenant-id") else {
        return match op.tenant {
            TenantHeader::Required => Err(ApiError::bad_request(
                field(),
                "Missing data for required field.",
            )),
            _ => Ok(None),
        };
    };
    let id: i64 = raw
        .to_str()
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| ApiError::bad_request(field(), "Not a valid integer."))?;
    let assigned = principal.is_some_and(|p| p.user.tenants.contains(&id));
    match state.store.tenant(id) {
        Some(t) if assigned => Ok(Some(t)),
        _ => Err(ApiError::forbidden(
            field(),
            format!("You are not assigned to tenant {id}."),
        )),
    }
}

fn query_of(
    state: &AppState,
    op: &Operation,
    raw: Option<&str>,
    params: &[spec::Param],
) -> Result<Query, ApiError> {
    let pairs: Vec<(String, String)> = raw
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let model = spec::query_model(op);
    let mut typed = Vec::new();
    for p in params.iter().filter(|p| p.location == ParamIn::Query) {
        match pairs.iter().find(|(n, _)| *n == p.name) {
            Some((_, value)) => {
                let v = validate::check_param(state.spec, p, value, &model)
                    .map_err(validate::Violation::into_error)?;
                typed.push((p.name.clone(), v));
            }
            None if p.required => {
                return Err(ApiError::bad_request(
                    format!("{model}.{}", p.name),
                    "Missing data for required field.",
                ));
            }
            None => {}
        }
    }
    Ok(Query { typed, raw: pairs })
}

async fn read_body(
    state: &AppState,
    parts: &http::request::Parts,
    body: Body,
    spec_body: &spec::Body,
    required: bool,
    header_model: &str,
) -> Result<Option<Value>, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::bad_request(
            spec_body.model.clone(),
            format!("The request body is larger than {MAX_BODY} bytes."),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        if required {
            return Err(ApiError::bad_request(
                spec_body.model.clone(),
                "Missing data for required field.",
            ));
        }
        return Ok(None);
    }
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        let ok = ct
            .to_str()
            .ok()
            .and_then(|s| s.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !ok {
            return Err(ApiError::bad_request(
                format!("{header_model}.Content-Type"),
                "Must be one of: application/json.",
            ));
        }
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(spec_body.model.clone(), format!("Invalid JSON: {e}."))
    })?;
    // No version: a request body may use a renamed field under either name (created_by_id /
    // created_by) at any API version. The docs name that rename for the job request models
    // without showing either field, and no OpenAPI keyword can tie a body field to the
    // x-api-version header, so the spec accepts both and so does the fake. Responses still
    // use the name of the requested version.
    validate::check(
        state.spec,
        &spec_body.schema,
        &value,
        &spec_body.model,
        None,
        validate::Unknown::Request,
    )
    .map_err(validate::Violation::into_error)?;
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_matching() {
        let mut h = HeaderMap::new();
        assert!(accepts(&h, "application/json"));
        for (accept, ok) in [
            ("application/json", true),
            ("*/*", true),
            ("application/*", true),
            ("text/html, application/json;q=0.5", true),
            ("text/html", false),
            ("application/json;q=0", false),
            ("application/xml", false),
        ] {
            h.insert(header::ACCEPT, HeaderValue::from_static(accept));
            assert_eq!(accepts(&h, "application/json"), ok, "{accept}");
        }
    }
}
