//! The API's error shape: a reason phrase in the status line plus a `{field, detail,
//! explanation}` JSON body (facts §2.7, getting-started "Errors").

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// An error answer. Every failure path of the fake ends here, so the wire format is uniform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `Model.field` (or a bare name, or empty when no field is to blame).
    pub field: String,
    /// Why the request was rejected, e.g. `Unknown field.`.
    pub detail: String,
    /// `Allow` header value, for 405.
    pub allow: Option<String>,
    /// `Retry-After` seconds, for 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with an explicit status.
    pub fn new(status: StatusCode, field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            field: field.into(),
            detail: detail.into(),
            allow: None,
            retry_after: None,
        }
    }
    /// 400: an input error naming the field.
    pub fn bad_request(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, field, detail)
    }
    /// 401: missing, malformed or unknown token.
    pub fn unauthorized(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, field, detail)
    }
    /// 403: role or tenant not allowed.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, field, detail)
    }
    /// 404: unknown id (or unknown path).
    pub fn not_found(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, field, detail)
    }
    /// 409: duplicate.
    pub fn conflict(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, field, detail)
    }
    /// 405 with the `Allow` header listing what the path supports.
    pub fn method_not_allowed(method: &str, allow: String) -> Self {
        ApiError {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "",
                format!("Method {method} is not allowed for this resource."),
            )
        }
    }
    /// 406: the client does not accept what the operation produces.
    pub fn not_acceptable(produces: &str) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "Accept",
            format!("This resource only produces {produces}."),
        )
    }
    /// 429 with `Retry-After: secs`: the server is pushing back (rate limits, fault
    /// injection).
    pub fn too_many_requests(secs: u64) -> Self {
        ApiError {
            retry_after: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "",
                format!("Too many requests; retry after {secs} seconds."),
            )
        }
    }
    /// 500: a bug in the fake (kept as an answer rather than a panic).
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "", detail)
    }

    /// The text of the status line after the code: `Model.field: detail`, or just the detail.
    pub fn reason(&self) -> String {
        let text = if self.field.is_empty() {
            self.detail.clone()
        } else {
            format!("{}: {}", self.field, self.detail)
        };
        sanitize_reason(&text)
    }

    /// The general explanation the API puts next to `detail`.
    pub fn explanation(&self) -> &'static str {
        explanation(self.status)
    }

    /// The JSON body `{field, detail, explanation}`.
    pub fn body(&self) -> Vec<u8> {
        let mut out = crate::json::JsonBuf::with_capacity(128 + self.detail.len());
        out.raw("{\"field\":");
        out.str(&self.field);
        out.raw(",\"detail\":");
        out.str(&self.detail);
        out.raw(",\"explanation\":");
        out.str(self.explanation());
        out.raw("}");
        out.into_inner()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.reason())
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.body(),
        )
            .into_response();
        if let Some(allow) = &self.allow
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            resp.headers_mut().insert(header::ALLOW, v);
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        set_reason(&mut resp, &self.reason());
        resp
    }
}

/// Puts `text` in the HTTP/1.1 status line (hyper reads the `ReasonPhrase` extension).
pub fn set_reason(resp: &mut Response, text: &str) {
    if let Ok(r) = hyper::ext::ReasonPhrase::try_from(sanitize_reason(text).into_bytes()) {
        resp.extensions_mut().insert(r);
    }
}

/// The general text for a status, as the real API puts in `explanation`.
pub fn explanation(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request was invalid.",
        401 => "The request could not be authenticated.",
        403 => "The resource could not be accessed.",
        404 => "The resource could not be found.",
        405 => "The method is not supported by the resource.",
        406 => "The resource cannot produce a representation the client accepts.",
        409 => "The request conflicts with an existing resource.",
        429 => "Too many requests.",
        _ => "The server could not process the request.",
    }
}

/// A reason phrase may only hold tab, space, visible ASCII and obs-text; the fake keeps it to
/// printable ASCII (so clients that decode it as ASCII never choke) and bounded in length
/// (user input can end up in it).
pub fn sanitize_reason(text: &str) -> String {
    const MAX: usize = 240;
    let mut out = String::with_capacity(text.len().min(MAX));
    for c in text.chars() {
        if out.len() >= MAX {
            out.push_str("...");
            break;
        }
        out.push(if (' '..='~').contains(&c) { c } else { '?' });
    }
    if out.is_empty() {
        out.push_str("Error");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_joins_field_and_detail() {
        let e = ApiError::bad_request("CreateCustomerModel.user_id", "Unknown field.");
        assert_eq!(e.reason(), "CreateCustomerModel.user_id: Unknown field.");
        let v: serde_json::Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(v["field"], "CreateCustomerModel.user_id");
        assert_eq!(v["detail"], "Unknown field.");
    }

    #[test]
    fn reason_is_sanitized() {
        assert_eq!(sanitize_reason("a\r\nb\u{e9}"), "a??b?");
        assert!(sanitize_reason(&"x".repeat(1000)).len() < 250);
    }
}
