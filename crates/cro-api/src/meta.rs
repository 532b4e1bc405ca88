//! Types of the operation metadata table that `cargo xtask codegen` generates from the
//! `x-cro-*` extensions and security requirements of `spec/openapi.yaml`.
//!
//! The table itself lives in `generated_meta.rs` ([`OPERATIONS`]); everything that must know
//! "which roles may call this", "is this a paged list", or "does this send `x-tenant-id`"
//! reads it instead of hard-coding per-endpoint knowledge.

pub use crate::generated_meta::{
    API_VERSIONS, HOOK_EVENTS, ITEM_KEYS, LATEST_API_VERSION, OPERATIONS, OperationId, ROLES,
    SPEC_API_VERSION,
};

/// What identifies one item of a list of `item_model` ([`ITEM_KEYS`]): key components, each a
/// list of alternative property names (a field renamed between API versions), or an empty
/// slice for a model that is not the item of a paged list.
pub fn item_key(item_model: &str) -> &'static [&'static [&'static str]] {
    ITEM_KEYS
        .binary_search_by(|(model, _)| (*model).cmp(item_model))
        .map_or(&[], |i| ITEM_KEYS[i].1)
}

impl OperationId {
    /// The operation's row in [`OPERATIONS`] (the enum is generated in the table's order).
    ///
    /// ```
    /// use cro_api::meta::OperationId;
    /// let op = OperationId::ListTenants.operation();
    /// assert_eq!(op.path, "/tenants");
    /// ```
    pub fn operation(self) -> &'static Operation {
        &OPERATIONS[self as usize]
    }

    /// The `operationId`, which is also the `Client` method name (`"list_tenants"`).
    pub fn as_str(self) -> &'static str {
        self.operation().id
    }
}

impl std::fmt::Display for OperationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OperationId {
    type Err = UnknownOperation;

    /// From an `operationId` known only at run time (a CLI argument).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        OPERATIONS
            .iter()
            .position(|op| op.id == name)
            .and_then(|index| OPERATION_IDS.get(index).copied())
            .ok_or_else(|| UnknownOperation(name.chars().take(64).collect()))
    }
}

/// Every [`OperationId`], in the order of [`OPERATIONS`].
pub static OPERATION_IDS: &[OperationId] = crate::generated_meta::OPERATION_IDS;

/// An `operationId` that is not in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl std::fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown operation `{}` (see `cro ops` for the list)",
            self.0
        )
    }
}

impl std::error::Error for UnknownOperation {}

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PATCH`
    Patch,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method as it appears on the wire (`"GET"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// How a list operation returns its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// Not a list, or a list without paging parameters.
    None,
    /// The documented envelope `{current_page, current_limit, total_pages, total_count, results}`.
    Envelope {
        /// Schema name of the envelope (e.g. `DispatchCustomerLocationListModel`).
        list_model: &'static str,
        /// Schema name of one item (e.g. `DispatchCustomerLocationModel`).
        item_model: &'static str,
    },
    /// A bare JSON array that still accepts `page_index`/`page_limit` (List Materials).
    BareArray {
        /// Schema name of one item.
        item_model: &'static str,
    },
}

impl Paging {
    /// True for both paged styles.
    pub fn is_paged(self) -> bool {
        !matches!(self, Paging::None)
    }
    /// Schema name of one item, for paged operations.
    pub fn item_model(self) -> Option<&'static str> {
        match self {
            Paging::None => None,
            Paging::Envelope { item_model, .. } | Paging::BareArray { item_model } => {
                Some(item_model)
            }
        }
    }
}

/// Whether an operation needs the bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `authorization: bearer <token>` is required.
    Bearer,
    /// Public operation: no `authorization` header is sent.
    None,
}

/// Whether an operation takes the `x-tenant-id` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantHeader {
    /// Must be sent.
    Required,
    /// May be sent (Get Hauler, Create Connection); the client sends it when configured.
    Optional,
    /// Must not be sent (List Tenants, public operations).
    Absent,
}

/// One query parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParam {
    /// Wire name (`page_index`, `created_on_gte`, ...).
    pub name: &'static str,
    /// JSON type of the value: `"integer"`, `"number"`, `"boolean"` or `"string"`.
    pub kind: &'static str,
    /// `format` of the schema, when it has one (`"int64"`, `"iso8601"`, ...).
    pub format: Option<&'static str>,
    /// One-line description from the spec.
    pub description: &'static str,
}

/// Everything the hand-written layers need to know about one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// `operationId`, which is also the name of the generated client method.
    pub id: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/locations/{location_id}/customers`.
    pub path: &'static str,
    /// First tag of the operation (the resource group).
    pub tag: &'static str,
    /// Summary line from the spec.
    pub summary: &'static str,
    /// Roles allowed to call the operation (`x-cro-roles`), wire names.
    pub roles: &'static [&'static str],
    /// True when the role list is our inference rather than documented (`x-cro-roles-inferred`).
    pub roles_inferred: bool,
    /// Paging style.
    pub paging: Paging,
    /// Bearer token needed or not.
    pub auth: Auth,
    /// `x-tenant-id` requirement.
    pub tenant: TenantHeader,
    /// Marked `deprecated` in the spec.
    pub deprecated: bool,
    /// Where the operation is documented (`x-cro-source`: `D`, `S21`, `S20` or `inferred`).
    pub source: &'static str,
    /// Path parameter names, in path order.
    pub path_params: &'static [&'static str],
    /// Query parameters, including `page_index`/`page_limit` for paged operations.
    pub query_params: &'static [QueryParam],
    /// Schema name of the JSON request body, if any.
    pub request_body: Option<&'static str>,
}

impl Operation {
    /// Look an operation up by its `operationId` (for names known only at run time; in code,
    /// [`OperationId::operation`] cannot name a missing one).
    pub fn find(id: &str) -> Option<&'static Operation> {
        OPERATIONS.iter().find(|op| op.id == id)
    }

    /// Filters (query parameters other than the paging pair).
    pub fn filters(&self) -> impl Iterator<Item = &'static QueryParam> + use<> {
        self.query_params
            .iter()
            .filter(|q| q.name != "page_index" && q.name != "page_limit")
    }

    /// What identifies one item of this paged list ([`item_key`]); empty when not paged.
    pub fn item_key(&self) -> &'static [&'static [&'static str]] {
        self.paging.item_model().map_or(&[], item_key)
    }

    /// Whether `role` (wire name) may call this operation according to the spec.
    pub fn allows_role(&self, role: &str) -> bool {
        self.roles.contains(&role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_line_up_with_the_table() {
        assert_eq!(OPERATION_IDS.len(), OPERATIONS.len());
        for (id, op) in OPERATION_IDS.iter().zip(OPERATIONS) {
            assert_eq!(id.as_str(), op.id);
            assert_eq!(op.id.parse::<OperationId>(), Ok(*id));
        }
        assert!("list_tenant".parse::<OperationId>().is_err());
    }
}
