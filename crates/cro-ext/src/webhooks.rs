//! Webhook deliveries: checking the `X-Cro-Signature` header, and typed event names.
//!
//! CRO signs what it POSTs to a hook's URL (and the ping response) with
//! `X-Cro-Signature: sha1=<hex>`. The docs name the hook's `secret` the "response body HMAC
//! signing key" but do not spell out the algorithm; we take it to be HMAC-SHA1 of the raw
//! body keyed with the secret *string's UTF-8 bytes* (not its Base64 decoding), the
//! convention `cro-fake` also uses. Verify against the raw bytes as received: re-serialized
//! JSON will not match.
//!
//! ```
//! use cro_ext::webhooks::{sign, verify_signature};
//!
//! let secret = "VGhlIGxhenkgYnJvd24gZG9n";
//! let body = br#"{"event":"Customer","id":1}"#;
//! let header = sign(secret, body);
//! assert!(header.starts_with("sha1="));
//! verify_signature(secret, body, &header).unwrap();
//! assert!(verify_signature(secret, b"tampered", &header).is_err());
//! ```

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Name of the header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Cro-Signature";

/// The scheme prefix of the header value.
const SCHEME: &str = "sha1=";

type HmacSha1 = Hmac<Sha1>;

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The header value does not start with `sha1=`.
    #[error("signature header must look like `sha1=<hex>`, got `{0}`")]
    Malformed(String),
    /// The part after `sha1=` is not 40 hexadecimal digits.
    #[error("signature is not a hex SHA-1 digest (40 hex digits)")]
    BadDigest,
    /// The digest does not match the body and secret.
    #[error("signature does not match the body")]
    Mismatch,
}

fn mac(secret: &str, body: &[u8]) -> HmacSha1 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = HmacSha1::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body);
    mac
}

/// The `X-Cro-Signature` value for `body` under `secret`: `sha1=` and the lowercase hex
/// HMAC-SHA1.
pub fn sign(secret: &str, body: &[u8]) -> String {
    format!(
        "{SCHEME}{}",
        hex::encode(mac(secret, body).finalize().into_bytes())
    )
}

/// Check an `X-Cro-Signature` header value against the raw request body.
///
/// Accepts surrounding whitespace, `SHA1=` in any case, and upper- or lowercase hex. The
/// digest comparison is constant-time.
pub fn verify_signature(
    secret: &str,
    raw_body: &[u8],
    header_value: &str,
) -> Result<(), SignatureError> {
    let value = header_value.trim();
    let digest = value
        .get(..SCHEME.len())
        .filter(|scheme| scheme.eq_ignore_ascii_case(SCHEME))
        .map(|_| &value[SCHEME.len()..])
        .ok_or_else(|| SignatureError::Malformed(value.chars().take(16).collect()))?;
    let digest = hex::decode(digest).map_err(|_| SignatureError::BadDigest)?;
    if digest.len() != 20 {
        return Err(SignatureError::BadDigest);
    }
    mac(secret, raw_body)
        .verify_slice(&digest)
        .map_err(|_| SignatureError::Mismatch)
}

/// An event a webhook can subscribe to: the generated [`cro_api::types::HookEvent`], so a
/// hook created with `client.create_hook()` and a delivery checked here use one type.
pub use cro_api::types::HookEvent;

/// Every event the spec knows, in its order ([`cro_api::meta::HOOK_EVENTS`] as the enum).
pub fn known_events() -> impl Iterator<Item = HookEvent> {
    cro_api::meta::HOOK_EVENTS
        .iter()
        .filter_map(|name| name.parse().ok())
}

/// The event named `name` in a delivery: exact wire name, else case-insensitive; `None` for
/// an event this version of the crate does not know (a newer API may add some; skip those
/// rather than failing the delivery).
pub fn event_from_name(name: &str) -> Option<HookEvent> {
    name.parse().ok().or_else(|| {
        known_events().find(|event| event.to_string().eq_ignore_ascii_case(name.trim()))
    })
}
