//! The `tracing` span around each call.
//!
//! One span per call (`cro_api.request`), named fields only, never a header value: the
//! operation id, method, path **template** (`/locations/{location_id}/customers`, so no ids
//! or query values end up in the span), request id, and, filled in as the call progresses,
//! the attempt number, final status, duration and error kind. Attempts and retries are
//! `debug` and `info` events inside the span.
//!
//! Two opt-in event targets carry more, for tools that show a user what was sent (`cro -v`):
//! [`TARGET_TARGET`] (`debug`, once per call) has the path and query actually sent, ids and
//! filter values included (never a secret: tokens travel only in headers), and
//! [`HEADERS_TARGET`] (`trace`, per attempt) the request and response headers, with the
//! credentials-bearing ones redacted by [`redacted_headers`].

use tracing::Span;
use tracing::field::Empty;

/// Span name of a call.
pub const REQUEST_SPAN: &str = "cro_api.request";

/// Target of the `trace` events that carry request and response headers.
pub const HEADERS_TARGET: &str = "cro_api::headers";
/// Target of the `debug` event (field `path_and_query`) with the path and query a call sent.
pub const TARGET_TARGET: &str = "cro_api::target";

/// Headers whose values are credentials (or may carry them) and are never logged.
const REDACTED: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "www-authenticate",
];

/// `name: value` lines of `headers`, credentials replaced by `<redacted>` and values that are
/// not visible ASCII by `<binary>`.
pub fn redacted_headers(headers: &http::HeaderMap) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(name.as_str());
        out.push_str(": ");
        if REDACTED.contains(&name.as_str()) {
            out.push_str("<redacted>");
        } else {
            match value.to_str() {
                Ok(text) => out.push_str(text),
                Err(_) => out.push_str("<binary>"),
            }
        }
    }
    out
}

pub(crate) fn request_span(
    operation_id: &'static str,
    method: &http::Method,
    path: &str,
    request_id: &str,
) -> Span {
    tracing::info_span!(
        "cro_api.request",
        operation_id,
        method = %method,
        path,
        request_id,
        attempt = Empty,
        status = Empty,
        duration_ms = Empty,
        error = Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted() {
        let mut h = http::HeaderMap::new();
        h.insert("authorization", "bearer sekrit".parse().unwrap());
        h.insert("x-tenant-id", "34".parse().unwrap());
        let text = redacted_headers(&h);
        assert!(!text.contains("sekrit"), "{text}");
        assert!(text.contains("authorization: <redacted>"), "{text}");
        assert!(text.contains("x-tenant-id: 34"), "{text}");
    }
}
