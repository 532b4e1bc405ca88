//! Reading response bodies with a size cap.
//!
//! A server whose body never ends (a misconfigured proxy streaming a file, a hostile
//! endpoint) would otherwise grow the process without limit: the per-attempt timeout does not
//! end a body that keeps arriving. Every body the client reads from the network goes through
//! [`read_capped`]: it refuses a `Content-Length` over the cap before reading anything, then
//! stops the streaming read as soon as the cap is passed, so memory stays bounded by the cap
//! while the bytes arrive. The cap is [`ClientBuilder::max_body_size`] (default
//! [`DEFAULT_MAX_BODY_SIZE`], far above any real page of the API).
//!
//! [`ClientBuilder::max_body_size`]: crate::ClientBuilder::max_body_size

use std::fmt;

use bytes::{Bytes, BytesMut};
use http::header::CONTENT_LENGTH;

/// Default cap on one response body: 256 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 256 * 1024 * 1024;

/// A response body was larger than the client's cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyTooLarge {
    limit: u64,
    content_length: Option<u64>,
}

impl BodyTooLarge {
    /// The cap in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The `Content-Length` the server announced, when that is how the body was refused.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.content_length {
            Some(length) => write!(
                f,
                "the response body ({}) is larger than the {} limit; nothing was read",
                human_size(length),
                human_size(self.limit)
            )?,
            None => write!(
                f,
                "the response body is larger than the {} limit; reading stopped there",
                human_size(self.limit)
            )?,
        }
        f.write_str(" (raise the limit with max_body_size)")
    }
}

impl std::error::Error for BodyTooLarge {}

/// Why [`read_capped`] failed.
#[derive(Debug)]
pub enum ReadBodyError {
    /// The body is larger than the cap.
    TooLarge(BodyTooLarge),
    /// The body could not be received (connection reset, timeout, bad chunk).
    Read(reqwest::Error),
}

impl fmt::Display for ReadBodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadBodyError::TooLarge(e) => fmt::Display::fmt(e, f),
            ReadBodyError::Read(e) => write!(
                f,
                "could not read the response body: {}",
                crate::error::error_chain(e)
            ),
        }
    }
}

impl std::error::Error for ReadBodyError {}

impl From<ReadBodyError> for crate::Error {
    fn from(e: ReadBodyError) -> Self {
        let kind = match &e {
            ReadBodyError::TooLarge(_) => crate::TransportKind::BodyTooLarge,
            ReadBodyError::Read(r) if r.is_timeout() => crate::TransportKind::Timeout,
            ReadBodyError::Read(_) => crate::TransportKind::Other,
        };
        crate::error::transport_error(kind, e.to_string())
    }
}

/// The announced `Content-Length` of a response, if any.
fn content_length(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Check the announced `Content-Length` against `limit` without reading anything.
pub(crate) fn check_announced(
    response: &reqwest::Response,
    limit: u64,
) -> Result<(), BodyTooLarge> {
    match content_length(response) {
        Some(length) if length > limit => Err(BodyTooLarge {
            limit,
            content_length: Some(length),
        }),
        _ => Ok(()),
    }
}

/// Read the whole body of `response`, failing once more than `limit` bytes arrive (or at
/// once when `Content-Length` announces more). Memory use stays below `limit` plus one
/// network chunk.
///
/// ```no_run
/// # async fn demo(response: reqwest::Response) -> Result<(), cro_api::Error> {
/// let body = cro_api::body::read_capped(response, 1 << 20).await?;
/// # let _ = body; Ok(())
/// # }
/// ```
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Bytes, ReadBodyError> {
    check_announced(&response, limit).map_err(ReadBodyError::TooLarge)?;
    let announced = content_length(&response).unwrap_or(0);
    // Reserve what was announced (already checked against the cap), never more.
    let mut body = BytesMut::with_capacity(announced.min(limit).min(64 << 20) as usize);
    // The URL is dropped from errors: it could carry query values, and messages name the
    // operation instead.
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ReadBodyError::Read(e.without_url()))?
    {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(ReadBodyError::TooLarge(BodyTooLarge {
                limit,
                content_length: None,
            }));
        }
        if body.is_empty() && body.capacity() < chunk.len() {
            // A single chunk: keep it without a copy.
            body = BytesMut::from(chunk.as_ref());
            continue;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `1 MiB`, `256 MiB`, `1.5 GiB`, `1000 bytes`: the units the CLI flag accepts.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (name, size) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {name}", bytes / size)
            } else {
                format!("{:.1} {name}", bytes as f64 / size as f64)
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(DEFAULT_MAX_BODY_SIZE), "256 MiB");
        assert_eq!(human_size(1 << 20), "1 MiB");
        assert_eq!(human_size(1536 << 20), "1.5 GiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }

    #[test]
    fn message_names_the_cap_and_the_setting() {
        let e = BodyTooLarge {
            limit: 1 << 20,
            content_length: Some(3 << 20),
        };
        let text = e.to_string();
        assert!(
            text.contains("3 MiB") && text.contains("1 MiB limit"),
            "{text}"
        );
        assert!(text.contains("max_body_size"), "{text}");
    }
}
