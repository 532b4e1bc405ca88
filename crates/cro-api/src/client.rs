//! Constructors and small helpers on the generated [`Client`].

use progenitor_client::ClientInfo;

use crate::config::{ClientBuilder, ConfigError};
use crate::types::ApiVersion;
use crate::{Client, ClientState};

impl Client {
    /// Start configuring a client; see [`ClientBuilder`].
    ///
    /// ```
    /// let client = cro_api::Client::builder()
    ///     .base_url("http://127.0.0.1:8080")
    ///     .token("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
    ///     .tenant_id(7)
    ///     .build()?;
    /// # Ok::<(), cro_api::ConfigError>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `CRO_BASE_URL`, `CRO_TOKEN`, `CRO_TENANT_ID` and
    /// `CRO_API_VERSION` (all optional; see [`ClientBuilder::from_env`]).
    pub fn from_env() -> Result<Client, ConfigError> {
        ClientBuilder::from_env().build()
    }

    /// A client for another tenant that shares this one's connection pool, token source and
    /// retry budget.
    pub fn with_tenant(&self, tenant_id: u64) -> Client {
        Client::new_with_client(
            self.baseurl(),
            self.client().clone(),
            self.inner.with_tenant(Some(tenant_id)),
        )
    }

    /// A client without a tenant id (for List Tenants and other tenant-less calls; those
    /// never send one anyway).
    pub fn without_tenant(&self) -> Client {
        Client::new_with_client(
            self.baseurl(),
            self.client().clone(),
            self.inner.with_tenant(None),
        )
    }

    /// The tenant id sent in `x-tenant-id`, if any.
    pub fn tenant_id(&self) -> Option<u64> {
        self.inner.tenant_id()
    }

    /// The API version this client sends in `x-api-version` (set with
    /// [`ClientBuilder::api_version`]; the newest by default).
    pub fn configured_api_version(&self) -> ApiVersion {
        // Validated against the generated list at build time, so it always parses.
        self.inner
            .api_version()
            .parse()
            .unwrap_or(crate::meta::SPEC_API_VERSION)
    }

    /// The API version `spec/openapi.yaml` describes (`info.version`), the newest one; what
    /// the generated types follow.
    pub fn spec_api_version() -> ApiVersion {
        crate::meta::SPEC_API_VERSION
    }

    /// The settings every request reads (API version, tenant, retry policy, ...).
    pub fn state(&self) -> &ClientState {
        &self.inner
    }
}
