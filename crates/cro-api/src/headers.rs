//! Header names the client sends, and the internal headers that carry diagnostics from the
//! request hook to the error conversion.
//!
//! Why internal headers: progenitor's generated methods turn a response into
//! `Error::ErrorResponse(ResponseValue<ErrorBody>)`, which keeps only status, headers and the
//! decoded body. The reason phrase (where the API puts its message), the attempt count and an
//! excerpt of a body that was not the documented JSON would be lost. The hook therefore copies
//! them into `x-cro-rs-*` response headers, which [`crate::Error`] reads and strips again.
//! They never go on the wire: they are added to responses after they were received.

use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// `x-api-version`: the API version to answer with (always sent).
pub const X_API_VERSION: HeaderName = HeaderName::from_static("x-api-version");
/// `x-request-id`: a UUID identifying the call (always sent; echoed by the server).
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// `x-tenant-id`: the tenant to act for (sent per the operation's rule).
pub const X_TENANT_ID: HeaderName = HeaderName::from_static("x-tenant-id");
/// `api-version`: progenitor's own header, which the CRO API does not document; removed.
pub(crate) const PROGENITOR_API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// Prefix of the internal diagnostic headers (see the module docs).
pub(crate) const INTERNAL_PREFIX: &str = "x-cro-rs-";
/// The HTTP/1 reason phrase, percent-encoded.
pub(crate) const INTERNAL_REASON: HeaderName = HeaderName::from_static("x-cro-rs-reason");
/// A short, percent-encoded excerpt of an error body that was not the documented JSON.
pub(crate) const INTERNAL_EXCERPT: HeaderName = HeaderName::from_static("x-cro-rs-body-excerpt");
/// Attempts made for the call.
pub(crate) const INTERNAL_ATTEMPTS: HeaderName = HeaderName::from_static("x-cro-rs-attempts");
/// The request id the client sent (the server may not echo it).
pub(crate) const INTERNAL_REQUEST_ID: HeaderName = HeaderName::from_static("x-cro-rs-request-id");
/// Why retrying stopped ([`crate::RetryStop::as_str`]).
pub(crate) const INTERNAL_STOP: HeaderName = HeaderName::from_static("x-cro-rs-retry-stop");
/// The operation id.
pub(crate) const INTERNAL_OPERATION: HeaderName = HeaderName::from_static("x-cro-rs-operation");

/// Characters escaped in internal header values: controls, non-ASCII (via UTF-8) and `%`.
const HEADER_TEXT: &AsciiSet = &CONTROLS.add(b'%').add(0x7f);

/// Any text as a valid header value (percent-encoding what a header cannot hold).
pub(crate) fn encode_text(text: &str) -> HeaderValue {
    let encoded = utf8_percent_encode(text, HEADER_TEXT).to_string();
    // Only visible ASCII and spaces remain, which are always valid.
    HeaderValue::try_from(encoded).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Inverse of [`encode_text`]; `None` when absent.
pub(crate) fn decode_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let raw = headers.get(name)?.to_str().ok()?;
    Some(percent_decode_str(raw).decode_utf8_lossy().into_owned())
}

/// A copy of `headers` without the internal ones.
pub(crate) fn without_internal(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !name.as_str().starts_with(INTERNAL_PREFIX) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        let mut h = HeaderMap::new();
        let text = "Bad Gateway <h1>Oops</h1>\n100% naïve";
        h.insert(INTERNAL_EXCERPT, encode_text(text));
        assert_eq!(decode_text(&h, &INTERNAL_EXCERPT).as_deref(), Some(text));
        h.insert(X_REQUEST_ID, HeaderValue::from_static("x"));
        let clean = without_internal(&h);
        assert!(clean.get(INTERNAL_EXCERPT).is_none());
        assert!(clean.get(X_REQUEST_ID).is_some());
    }
}
