//! The `tracing` span around each call.
//!
//! One span per call (`cro_api.request`), named fields only, never a header value: the
//! operation id, method, path **template** (`/locations/{location_id}/customers`, so no ids
//! or query values end up in logs), request id, and, filled in as the call progresses, the
//! attempt number, final status, duration and error kind. Attempts and retries are `debug`
//! and `info` events inside the span.

use tracing::Span;
use tracing::field::Empty;

/// Span name of a call.
pub const REQUEST_SPAN: &str = "cro_api.request";

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
