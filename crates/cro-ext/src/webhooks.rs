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

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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

/// An event a webhook can subscribe to (`hook_event`), by wire name.
///
/// Mirrors [`cro_api::meta::HOOK_EVENTS`] (a test keeps them in sync); other names are kept
/// as [`HookEvent::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HookEvent {
    /// `Ping`: sent by Ping Hook.
    Ping,
    /// `Customer`.
    Customer,
    /// `CustomerLocation`.
    CustomerLocation,
    /// `Job`.
    Job,
    /// `Truck`.
    Truck,
    /// An event this version of the crate does not know, with its wire name.
    Unknown(String),
}

impl HookEvent {
    /// Every known event, in the spec's order.
    pub const KNOWN: &'static [HookEvent] = &[
        HookEvent::Ping,
        HookEvent::Customer,
        HookEvent::CustomerLocation,
        HookEvent::Job,
        HookEvent::Truck,
    ];

    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            HookEvent::Ping => "Ping",
            HookEvent::Customer => "Customer",
            HookEvent::CustomerLocation => "CustomerLocation",
            HookEvent::Job => "Job",
            HookEvent::Truck => "Truck",
            HookEvent::Unknown(name) => name,
        }
    }

    /// The event with this wire name (exact match, else case-insensitive among the known
    /// events, else [`HookEvent::Unknown`]).
    pub fn from_name(name: &str) -> HookEvent {
        let known = HookEvent::KNOWN.iter();
        known
            .clone()
            .find(|event| event.as_str() == name)
            .or_else(|| {
                known
                    .clone()
                    .find(|event| event.as_str().eq_ignore_ascii_case(name))
            })
            .cloned()
            .unwrap_or_else(|| HookEvent::Unknown(name.to_owned()))
    }

    /// False for [`HookEvent::Unknown`].
    pub fn is_known(&self) -> bool {
        !matches!(self, HookEvent::Unknown(_))
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HookEvent {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(HookEvent::from_name(s))
    }
}

impl Serialize for HookEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HookEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(HookEvent::from_name(&name))
    }
}
