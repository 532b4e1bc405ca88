//! What a handler gets ([`Call`]) and gives back ([`Reply`]).

use cro_api::meta::Operation;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

use crate::auth::{Principal, User};
use crate::errors::ApiError;
use crate::json::JsonBuf;
use crate::server::AppState;
use crate::store::TenantState;
use crate::versions::Version;

/// Query parameters: the spec-declared ones type-checked, plus the raw pairs.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Declared parameters, converted to JSON values and validated.
    pub typed: Vec<(String, Value)>,
    /// Every `name=value` pair as sent (decoded).
    pub raw: Vec<(String, String)>,
}

impl Query {
    /// A declared parameter's value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.typed.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// An integer parameter.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }
    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }
    /// A string parameter.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
    /// A raw pair's value (for parameters the spec does not declare).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.raw
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    /// True when any parameter other than paging was sent.
    pub fn has_filters(&self) -> bool {
        self.typed
            .iter()
            .any(|(n, _)| n != "page_index" && n != "page_limit")
    }
}

/// One API call, after routing, authentication, tenancy and validation.
pub struct Call<'a> {
    /// Server state.
    pub state: &'a AppState,
    /// The operation.
    pub op: &'static Operation,
    /// Token holder (absent on public operations called without a token).
    pub principal: Option<Principal>,
    /// The tenant named by `x-tenant-id`, when sent.
    pub tenant: Option<&'a TenantState>,
    /// Effective API version.
    pub version: Version,
    /// Path parameters in path order.
    pub path: Vec<(&'static str, String)>,
    /// Query.
    pub query: Query,
    /// The JSON body (validated), when the operation takes one and it was sent.
    pub body: Option<Value>,
    /// `total_count` drift injected by the fault layer.
    pub drift: i64,
}

impl Call<'_> {
    /// A path parameter as text.
    pub fn path_str(&self, name: &str) -> &str {
        self.path
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// An integer path parameter (validated as one by the pipeline).
    pub fn path_id(&self, name: &str) -> Result<i64, ApiError> {
        self.path_str(name)
            .parse()
            .map_err(|_| ApiError::bad_request(name, "Not a valid integer."))
    }

    /// The tenant, for operations that need one.
    pub fn tenant(&self) -> Result<&TenantState, ApiError> {
        self.tenant.ok_or_else(|| {
            ApiError::bad_request(
                "StandardRequestHeadersModel.x-tenant-id",
                "Missing data for required field.",
            )
        })
    }

    /// The calling user, if any.
    pub fn user(&self) -> Option<&User> {
        self.principal.as_ref().map(|p| &*p.user)
    }

    /// The body as an object (empty when absent).
    pub fn body_obj(&self) -> serde_json::Map<String, Value> {
        match &self.body {
            Some(Value::Object(m)) => m.clone(),
            _ => serde_json::Map::new(),
        }
    }
}

/// A successful answer.
#[derive(Debug)]
pub struct Reply {
    /// Status (200 for every documented success).
    pub status: StatusCode,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Content type.
    pub content_type: &'static str,
    /// Extra headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn json(out: JsonBuf) -> Reply {
        Reply {
            status: StatusCode::OK,
            body: out.into_inner(),
            content_type: "application/json",
            headers: Vec::new(),
        }
    }

    /// 200 with one JSON object written by `f`.
    pub fn with(f: impl FnOnce(&mut JsonBuf)) -> Reply {
        let mut out = JsonBuf::with_capacity(1024);
        f(&mut out);
        Reply::json(out)
    }
}
