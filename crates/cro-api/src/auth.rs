//! Where the bearer token comes from ([`TokenSource`]) and what a valid one looks like.
//!
//! The client asks its token source for a token on every attempt of every request that needs
//! one (cheap for [`StaticToken`]), so a refreshing source can swap tokens between attempts.
//! When the server answers 401, the client calls [`TokenSource::on_unauthorized`] once and,
//! if the source says a new token is ready, repeats the request once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use crate::secret::SecretString;

/// A boxed, `Send` future, the return type of the object-safe [`TokenSource`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The documented cap on the whole `authorization` header value (`bearer <token>`).
pub const MAX_AUTHORIZATION_LEN: usize = 256;

/// The scheme word the client puts in front of the token, as the API documents it.
pub(crate) const BEARER_PREFIX: &str = "bearer ";

/// Supplies the access token for `authorization: bearer <token>`.
///
/// Implementations must redact the token in their `Debug` output (hold it in a
/// [`SecretString`]). Implemented by [`StaticToken`] and
/// [`RefreshingTokenSource`](crate::oauth::RefreshingTokenSource).
pub trait TokenSource: fmt::Debug + Send + Sync + 'static {
    /// The token to send now. Called before every attempt.
    fn token(&self) -> BoxFuture<'_, Result<SecretString, TokenError>>;

    /// The server rejected `rejected` with 401. Return `Ok(true)` when a different token is
    /// now available (the client then repeats the request once), `Ok(false)` when there is
    /// nothing better to offer. The default offers nothing.
    fn on_unauthorized<'a>(
        &'a self,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<bool, TokenError>> {
        let _ = rejected;
        Box::pin(async { Ok(false) })
    }
}

/// A fixed access token, validated when the client is built.
#[derive(Clone, Debug)]
pub struct StaticToken(SecretString);

impl StaticToken {
    /// Wrap a token (without the `bearer ` prefix; a leading `bearer ` is removed).
    pub fn new(token: impl Into<SecretString>) -> Self {
        StaticToken(strip_bearer(token.into()))
    }

    pub(crate) fn value(&self) -> &SecretString {
        &self.0
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<SecretString, TokenError>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// A token source could not produce a token (for example the refresh grant failed).
///
/// The message never contains a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TokenError {
    message: String,
}

impl TokenError {
    /// A token error with this (secret-free) message.
    pub fn new(message: impl Into<String>) -> Self {
        TokenError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Why a token was refused before anything was sent. Never contains the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenProblem {
    /// The token is empty.
    #[error("the token is empty")]
    Empty,
    /// `bearer <token>` is longer than the documented 256 characters.
    #[error(
        "`bearer <token>` is {length} characters long; the API accepts at most {max} \
         (documented limit on the authorization header)"
    )]
    TooLong {
        /// Length of `bearer <token>`.
        length: usize,
        /// The limit ([`MAX_AUTHORIZATION_LEN`]).
        max: usize,
    },
    /// The token contains characters that cannot appear in an HTTP header (spaces, control
    /// characters, non-ASCII).
    #[error("the token contains characters that are not allowed in an HTTP header")]
    InvalidCharacters,
    /// The token does not have the documented shape (`header.payload[.signature]`, a JWT).
    #[error(
        "the token does not have the documented shape `<part>.<part>[.<part>]` \
         (letters, digits, `-`, `_`, `=`; a JWT)"
    )]
    Malformed,
}

/// The API's documented pattern for the whole header value, matched case-insensitively
/// (real JWTs contain upper-case letters; the docs' pattern is lower-case only).
///
/// The dots are unescaped in the docs, so they match any character. The client applies the
/// pattern exactly as documented rather than a stricter JWT check, so that it never refuses a
/// token the server would accept; it still catches pasted garbage (quotes, `$`, `;`, ...).
const AUTHORIZATION_PATTERN: &str = r"^bearer [a-z0-9-_=]+.[a-z0-9-_=]+.?[a-z0-9-_.+/=]*$";

static AUTHORIZATION_REGEX: LazyLock<Option<regress::Regex>> =
    LazyLock::new(|| regress::Regex::with_flags(AUTHORIZATION_PATTERN, "i").ok());

/// Remove a leading `bearer ` (any case) that callers sometimes paste with the token.
pub(crate) fn strip_bearer(token: SecretString) -> SecretString {
    let text = token.expose_secret();
    let trimmed = text.trim();
    let lower_prefix = trimmed
        .get(..BEARER_PREFIX.len())
        .map(|p| p.eq_ignore_ascii_case(BEARER_PREFIX))
        .unwrap_or(false);
    if lower_prefix {
        SecretString::new(trimmed[BEARER_PREFIX.len()..].trim_start())
    } else if trimmed.len() != text.len() {
        SecretString::new(trimmed)
    } else {
        token
    }
}

/// Check a token against the documented rules. `check_shape: false` skips only the
/// JWT-shape pattern (for deployments that issue opaque tokens); the length limit and header
/// validity always apply.
pub fn validate_token(token: &SecretString, check_shape: bool) -> Result<(), TokenProblem> {
    let text = token.expose_secret();
    if text.is_empty() {
        return Err(TokenProblem::Empty);
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TokenProblem::InvalidCharacters);
    }
    let length = BEARER_PREFIX.len() + text.len();
    if length > MAX_AUTHORIZATION_LEN {
        return Err(TokenProblem::TooLong {
            length,
            max: MAX_AUTHORIZATION_LEN,
        });
    }
    if check_shape {
        let value = format!("{BEARER_PREFIX}{text}");
        let matches = AUTHORIZATION_REGEX
            .as_ref()
            .map(|re| re.find(&value).is_some())
            // The pattern is a constant; if regress ever rejected it, do not block requests.
            .unwrap_or(true);
        if !matches {
            return Err(TokenProblem::Malformed);
        }
    }
    Ok(())
}

/// The `authorization` header value for `token`, marked sensitive so that HTTP/2 never
/// indexes it and `Debug` of the header map hides it.
pub(crate) fn authorization_value(token: &SecretString) -> Result<http::HeaderValue, TokenProblem> {
    let mut value =
        http::HeaderValue::try_from(format!("{BEARER_PREFIX}{}", token.expose_secret()))
            .map_err(|_| TokenProblem::InvalidCharacters)?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_jwt_shapes() {
        for t in [
            "aaa.bbb.ccc",
            "eyJhbGci.eyJzdWIi.SflKxw-_=",
            "AbC.DeF",
            "a-b.c_d.e+f/g=",
        ] {
            assert_eq!(validate_token(&SecretString::new(t), true), Ok(()), "{t}");
        }
    }

    #[test]
    fn rejects_bad_tokens() {
        let check = |t: &str| validate_token(&SecretString::new(t), true);
        assert_eq!(check(""), Err(TokenProblem::Empty));
        assert_eq!(check("abc def"), Err(TokenProblem::InvalidCharacters));
        assert_eq!(check("abcé.def"), Err(TokenProblem::InvalidCharacters));
        assert_eq!(check("abc$$def"), Err(TokenProblem::Malformed));
        assert_eq!(check("ab"), Err(TokenProblem::Malformed));
        assert_eq!(
            check("tok;en;with;semicolons"),
            Err(TokenProblem::Malformed)
        );
        // The documented dots are unescaped (they match any character), and the server
        // applies the pattern as written, so the client does not reject more than it does.
        assert_eq!(check("nodots"), Ok(()));
        let long = format!("{}.{}", "a".repeat(200), "b".repeat(50));
        assert_eq!(
            check(&long),
            Err(TokenProblem::TooLong {
                length: 258,
                max: 256
            })
        );
        // Exactly 256 with the prefix is fine.
        let edge = format!("{}.{}", "a".repeat(200), "b".repeat(48));
        assert_eq!(check(&edge), Ok(()));
        // Shape check can be disabled, the limit cannot.
        assert_eq!(validate_token(&SecretString::new("opaque"), false), Ok(()));
    }

    #[test]
    fn strips_pasted_scheme() {
        let t = strip_bearer(SecretString::new("Bearer abc.def"));
        assert_eq!(t.expose_secret(), "abc.def");
        let t = strip_bearer(SecretString::new(" abc.def\n"));
        assert_eq!(t.expose_secret(), "abc.def");
    }
}
