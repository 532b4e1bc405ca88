//! `x-api-version`: validation against the documented set and per-client pinning
//! (facts §2.5): an omitted header means "the version this OAuth client id used last", and a
//! client that never sent one gets the earliest version.

use std::collections::HashMap;
use std::sync::RwLock;

use cro_api::meta::API_VERSIONS;
use http::HeaderValue;

use crate::errors::ApiError;

/// One documented API version (an index into [`API_VERSIONS`], which is sorted by date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(usize);

impl Version {
    /// The earliest version (what a new client id gets).
    pub fn earliest() -> Version {
        Version(0)
    }
    /// The newest documented version.
    pub fn latest() -> Version {
        Version(API_VERSIONS.len().saturating_sub(1))
    }
    /// Looks a version string up (`2021/04/07`).
    pub fn parse(s: &str) -> Option<Version> {
        API_VERSIONS.iter().position(|v| *v == s).map(Version)
    }
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        API_VERSIONS.get(self.0).copied().unwrap_or("2019/02/08")
    }
    /// True when this version is `v` or later (`v` must be a documented version; an unknown
    /// `v` counts as never reached, which keeps old behaviour).
    pub fn at_least(self, v: &str) -> bool {
        Version::parse(v).is_some_and(|v| self >= v)
    }
}

/// The version pins of all client ids.
#[derive(Debug, Default)]
pub struct Pins {
    by_client: RwLock<HashMap<String, Version>>,
}

impl Pins {
    /// The version of a request: the header if present (validated; pins `client_id` to it),
    /// else the client's pin, else the earliest. `model` names the header model in errors.
    pub fn resolve(
        &self,
        header: Option<&HeaderValue>,
        client_id: Option<&str>,
        model: &str,
    ) -> Result<Version, ApiError> {
        let field = format!("{model}.x-api-version");
        match header {
            Some(raw) => {
                let text = raw
                    .to_str()
                    .map_err(|_| ApiError::bad_request(field.clone(), "Not a valid string."))?;
                let v = Version::parse(text.trim()).ok_or_else(|| {
                    ApiError::bad_request(
                        field.clone(),
                        format!("Must be one of: {}.", API_VERSIONS.join(", ")),
                    )
                })?;
                if let Some(client) = client_id {
                    self.pin(client, v);
                }
                Ok(v)
            }
            None => Ok(client_id
                .and_then(|c| self.pinned(c))
                .unwrap_or_else(Version::earliest)),
        }
    }

    /// The version a client id is pinned to.
    pub fn pinned(&self, client_id: &str) -> Option<Version> {
        self.by_client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(client_id)
            .copied()
    }

    fn pin(&self, client_id: &str, v: Version) {
        // Most requests repeat the pinned version: check under the read lock first.
        if self.pinned(client_id) == Some(v) {
            return;
        }
        self.by_client
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(client_id.to_owned(), v);
    }
}
