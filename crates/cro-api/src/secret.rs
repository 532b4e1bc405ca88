//! [`SecretString`]: a string that never prints itself.
//!
//! Access tokens, refresh tokens, client secrets and PKCE verifiers all travel in this type so
//! that no `{:?}`, `{}`, `tracing` field or error message can leak them by accident. Reading
//! the value needs an explicit, greppable [`SecretString::expose_secret`] call.

use std::fmt;

/// What a secret prints instead of its value.
pub(crate) const REDACTED: &str = "[redacted]";

/// A secret string (token, client secret, PKCE verifier) whose `Debug` and `Display` print
/// `[redacted]`.
///
/// ```
/// use cro_api::SecretString;
/// let token = SecretString::new("eyJhbGciOi.eyJzdWIiOi.c2ln");
/// assert_eq!(format!("{token:?} {token}"), "[redacted] [redacted]");
/// assert_eq!(token.expose_secret(), "eyJhbGciOi.eyJzdWIiOi.c2ln");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Box<str>);

impl SecretString {
    /// Wrap a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretString(secret.into().into_boxed_str())
    }

    /// The secret itself. Call this only where the value is put on the wire.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Length in bytes (safe to log).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        SecretString::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        SecretString::new(value)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Serialises as the plain string. Only for writing credentials to owner-only storage (the
/// `cro` CLI's credentials file); never serialise a secret into anything that is logged.
impl serde::Serialize for SecretString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString::from)
    }
}

impl Drop for SecretString {
    /// Best-effort wipe so the secret does not linger in freed memory. Not a guarantee (the
    /// HTTP stack makes its own copies), hence no `zeroize` dependency for it.
    fn drop(&mut self) {
        // `into_string`/`into_bytes` reuse the allocation, so this zeroes the original bytes.
        let mut bytes = std::mem::take(&mut self.0).into_string().into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}
