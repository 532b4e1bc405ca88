//! Users, bearer tokens and role checks.
//!
//! The fake has one user per documented role (assigned to the first tenant) plus a
//! multi-tenant admin (both tenants). Seeded tokens are deterministic per seed, so scripts can
//! reuse them across runs; the OAuth server mints more through [`TokenIssuer`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cro_api::meta::{Operation, ROLES};
use http::HeaderValue;
use sha2::{Digest, Sha256};

use crate::errors::ApiError;
pub use crate::oauth::TokenIssuer;
use crate::world::{DRIVER_BASE, USER_BASE, World};

/// Key of the multi-tenant admin in [`Auth::role_tokens`] and the startup line.
pub const MULTI_TENANT_ADMIN: &str = "MultiTenantAdmin";

/// The `authorization` header cap (facts §2.2: the whole value is 1..256 characters).
pub const MAX_AUTHORIZATION_LEN: usize = 256;

static TOKEN_RE: LazyLock<Option<regress::Regex>> = LazyLock::new(|| {
    // The documented pattern, matched case-insensitively: real tokens have capitals.
    regress::Regex::with_flags(r"^bearer [a-z0-9-_=]+.[a-z0-9-_=]+.?[a-z0-9-_.+/=]*$", "i").ok()
});

/// A user who can hold tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name (`admin`, `driver`, `multi-admin`, ...).
    pub login: String,
    /// Key in the startup line's `tokens` map (the role name, or [`MULTI_TENANT_ADMIN`]).
    pub key: String,
    /// User id (used as `created_by` of jobs the user creates).
    pub id: i64,
    /// Roles (wire names).
    pub roles: Vec<String>,
    /// Tenant ids the user may act on.
    pub tenants: Vec<i64>,
    /// The driver record of a driver user (for GPS events and chats).
    pub driver_id: Option<i64>,
}

impl User {
    /// Whether the user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
    /// Whether the user may call `op` according to the spec's role list.
    pub fn may_call(&self, op: &Operation) -> bool {
        self.roles.iter().any(|r| op.allows_role(r))
    }
    /// A driver without dispatching powers (restricted on Update Job).
    pub fn is_only_driver(&self) -> bool {
        self.roles
            .iter()
            .all(|r| r == "Driver" || r == "ThirdPartyDriver")
    }
}

/// Who is calling: the token's user and OAuth client id.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: Arc<User>,
    /// The OAuth client id the token was issued to (version pins are per client id).
    pub client_id: Arc<str>,
    expires: Option<Instant>,
}

/// The user and token tables.
#[derive(Debug)]
pub struct Auth {
    users: Vec<Arc<User>>,
    tokens: RwLock<HashMap<String, Principal>>,
    role_tokens: Vec<(String, String)>,
    seed: u64,
    minted: AtomicU64,
}

impl Auth {
    /// Users and their seeded tokens (issued to `client_id`).
    pub fn new(world: &World, client_id: &str) -> Auth {
        let first = world.tenants[0].id;
        let all: Vec<i64> = world.tenants.iter().map(|t| t.id).collect();
        let driver_id = (world.drivers > 0).then(|| world.id(DRIVER_BASE, 0, 0));
        let mut users: Vec<Arc<User>> = ROLES
            .iter()
            .filter(|r| **r != "Public")
            .enumerate()
            .map(|(n, role)| {
                Arc::new(User {
                    login: role.to_ascii_lowercase(),
                    key: (*role).to_owned(),
                    id: USER_BASE - 100 + n as i64,
                    roles: vec![(*role).to_owned()],
                    tenants: vec![first],
                    driver_id: role.ends_with("Driver").then_some(driver_id).flatten(),
                })
            })
            .collect();
        users.push(Arc::new(User {
            login: "multi-admin".to_owned(),
            key: MULTI_TENANT_ADMIN.to_owned(),
            id: USER_BASE - 1,
            roles: vec!["Admin".to_owned(), "Dispatcher".to_owned()],
            tenants: all,
            driver_id: None,
        }));
        let auth = Auth {
            users,
            tokens: RwLock::new(HashMap::new()),
            role_tokens: Vec::new(),
            seed: world.seed,
            minted: AtomicU64::new(0),
        };
        let role_tokens = auth
            .users
            .iter()
            .map(|u| (u.key.clone(), auth.mint(u.clone(), client_id, None)))
            .collect();
        Auth {
            role_tokens,
            ..auth
        }
    }

    /// `(key, token)` of every seeded user: role names plus [`MULTI_TENANT_ADMIN`].
    pub fn role_tokens(&self) -> &[(String, String)] {
        &self.role_tokens
    }

    /// The seeded token of a role (or [`MULTI_TENANT_ADMIN`]).
    pub fn token(&self, key: &str) -> Option<&str> {
        self.role_tokens
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, t)| t.as_str())
    }

    /// All users.
    pub fn users(&self) -> &[Arc<User>] {
        &self.users
    }

    /// A user by login name, role key, or `MultiTenantAdmin` (case-insensitive).
    pub fn user(&self, name: &str) -> Option<&Arc<User>> {
        self.users
            .iter()
            .find(|u| u.login.eq_ignore_ascii_case(name) || u.key.eq_ignore_ascii_case(name))
    }

    /// Mints a token for a known user and OAuth client id (`None` ttl: never expires).
    pub fn issue(&self, user: &str, client_id: &str, ttl: Option<Duration>) -> Option<String> {
        let user = self.user(user)?.clone();
        Some(self.mint(user, client_id, ttl))
    }

    fn mint(&self, user: Arc<User>, client_id: &str, ttl: Option<Duration>) -> String {
        let n = self.minted.fetch_add(1, Ordering::Relaxed);
        // JWT-shaped (header.payload.signature) so it passes the documented regex and looks
        // like what real clients handle; nothing verifies the signature but this table.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{}","n":{n}}}"#, user.login));
        let mut h = Sha256::new();
        h.update(self.seed.to_le_bytes());
        h.update(crate::seed::token_bytes(self.seed, n));
        h.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(&h.finalize()[..16]);
        let token = format!("{header}.{payload}.{sig}");
        let principal = Principal {
            user,
            client_id: Arc::from(client_id),
            expires: ttl.map(|t| Instant::now() + t),
        };
        self.tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), principal);
        token
    }

    /// Checks the `authorization` header (`model` names the header model in errors).
    pub fn authenticate(
        &self,
        raw: Option<&HeaderValue>,
        model: &str,
    ) -> Result<Principal, ApiError> {
        let field = || format!("{model}.authorization");
        let raw =
            raw.ok_or_else(|| ApiError::unauthorized(field(), "Missing data for required field."))?;
        let text = raw
            .to_str()
            .map_err(|_| ApiError::unauthorized(field(), "Not a valid string."))?;
        if text.is_empty() || text.chars().count() > MAX_AUTHORIZATION_LEN {
            return Err(ApiError::unauthorized(
                field(),
                format!("Length must be between 1 and {MAX_AUTHORIZATION_LEN}."),
            ));
        }
        let matches = TOKEN_RE.as_ref().is_some_and(|re| re.find(text).is_some());
        if !matches {
            return Err(ApiError::unauthorized(
                field(),
                "String does not match expected pattern.",
            ));
        }
        let token = text.get("bearer ".len()..).unwrap_or_default();
        let found = self
            .tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned();
        match found {
            Some(p) if p.expires.is_none_or(|e| Instant::now() < e) => Ok(p),
            _ => Err(ApiError::unauthorized(
                field(),
                "The access token is invalid or expired.",
            )),
        }
    }
}

impl TokenIssuer for Auth {
    fn issue_access_token(&self, user: &str, client_id: &str, ttl: Duration) -> String {
        match self.user(user) {
            Some(u) => self.mint(u.clone(), client_id, Some(ttl)),
            // The OAuth server only passes users it got from `resolve_login`; an unknown one
            // still gets a syntactically valid token that nothing accepts.
            None => "unknown.user.token".to_owned(),
        }
    }

    fn resolve_login(&self, login_hint: Option<&str>) -> Option<String> {
        let hint = login_hint.unwrap_or("admin");
        self.user(hint).map(|u| u.login.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FakeConfig;

    fn auth() -> Auth {
        Auth::new(&World::new(&FakeConfig::default()), "client-a")
    }

    #[test]
    fn seeded_tokens_authenticate_and_match_the_documented_regex() {
        let a = auth();
        for (key, token) in a.role_tokens() {
            assert!(crate::oauth::is_valid_api_token(token), "{key}: {token}");
            let hv = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
            let p = a.authenticate(Some(&hv), "M").unwrap();
            assert_eq!(&p.user.key, key);
            assert_eq!(&*p.client_id, "client-a");
        }
        let again = auth();
        assert_eq!(
            a.role_tokens(),
            again.role_tokens(),
            "deterministic per seed"
        );
    }

    #[test]
    fn bad_headers_are_401() {
        let a = auth();
        for bad in ["", "bearer", "Basic abc", "bearer nodots", "bearer a.b.c"] {
            let hv = HeaderValue::from_str(bad).unwrap();
            let e = a.authenticate(Some(&hv), "M").unwrap_err();
            assert_eq!(e.status, 401, "{bad}");
        }
        assert_eq!(a.authenticate(None, "M").unwrap_err().status, 401);
        let long = HeaderValue::from_str(&format!("bearer a.{}", "b".repeat(300))).unwrap();
        assert_eq!(a.authenticate(Some(&long), "M").unwrap_err().status, 401);
    }
}
