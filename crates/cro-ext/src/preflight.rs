//! Opt-in client-side role checks: fail fast, with a clear local error and nothing sent,
//! when the configured roles cannot call an operation.
//!
//! The server is the authority (it answers 403), but a local check gives a better message
//! and avoids a round trip, for example in a CLI that knows the user's roles. The rule comes
//! from the spec's `x-cro-roles` via [`cro_api::meta::OPERATIONS`]; some role lists are
//! inferred rather than documented, and the error says so.
//!
//! ```
//! use cro_api::meta::OperationId;
//! use cro_ext::preflight::ensure_allowed;
//! use cro_ext::roles::{Role, RoleSet};
//!
//! let roles: RoleSet = [Role::Dispatcher].into_iter().collect();
//! match ensure_allowed(&roles, OperationId::ListTenants) {
//!     Ok(()) => { /* send it */ }
//!     Err(error) => eprintln!("{error}"),
//! }
//! ```

use cro_api::meta::{Auth, OperationId};

use crate::request::PagedRequest;
use crate::roles::{OperationRef, RoleSet};

/// A preflight refusal. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoleError {
    /// The `operationId` is not in [`cro_api::meta::OPERATIONS`].
    #[error("preflight: unknown operation `{operation}`; the request was not sent")]
    UnknownOperation {
        /// The name asked for.
        operation: String,
    },
    /// None of the configured roles may call the operation.
    #[error(
        "preflight: {} may not call `{operation}` (the spec allows {}{}); the request was not sent",
        if roles.is_empty() { "no role configured".to_owned() } else { format!("roles [{roles}]") },
        if allowed.is_empty() { "no role".to_owned() } else { allowed.join(", ") },
        if *inferred { ", a list inferred rather than documented: disable the preflight if the server accepts it" } else { "" }
    )]
    NotAllowed {
        /// The `operationId`.
        operation: &'static str,
        /// The configured roles.
        roles: RoleSet,
        /// The roles the spec allows, wire names.
        allowed: &'static [&'static str],
        /// True when the spec's role list is an inference (`x-cro-roles-inferred`).
        inferred: bool,
    },
}

/// Check that at least one of `roles` may call `operation`, named by the generated enum
/// (`OperationId::GetCustomer`), so a misspelt operation does not compile.
///
/// Operations that send no credentials (`security: []`: the sign-up operations) are
/// allowed whatever the roles, since the server cannot know them.
pub fn ensure_allowed(roles: &RoleSet, operation: OperationId) -> Result<(), RoleError> {
    ensure_allowed_by_name(roles, operation)
}

/// [`ensure_allowed`] for an operation known only at run time: an `operationId` string (a
/// CLI argument; unknown names are [`RoleError::UnknownOperation`]) or an
/// [`Operation`](cro_api::meta::Operation) row.
pub fn ensure_allowed_by_name(
    roles: &RoleSet,
    operation: impl OperationRef,
) -> Result<(), RoleError> {
    let Some(op) = operation.resolve() else {
        return Err(RoleError::UnknownOperation {
            operation: operation.operation_id().to_owned(),
        });
    };
    if op.auth == Auth::None || roles.can(op) {
        return Ok(());
    }
    Err(RoleError::NotAllowed {
        operation: op.id,
        roles: roles.clone(),
        allowed: op.roles,
        inferred: op.roles_inferred,
    })
}

/// `.preflight(&roles)` on paged request builders: [`ensure_allowed`] for the request's own
/// operation, keeping the request when it passes.
///
/// For other operations call [`ensure_allowed`] with the operation's [`OperationId`]
/// before `send()`; for walks, [`Paginator::preflight`](crate::paging::Paginator::preflight)
/// does the same check lazily.
///
/// ```no_run
/// use cro_ext::paging::Paginate;
/// use cro_ext::preflight::PreflightExt;
/// use cro_ext::roles::RoleSet;
///
/// # async fn run(client: &cro_api::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let roles: RoleSet = "Driver".parse()?;
/// let tenants = client.list_tenants().preflight(&roles)?.paginate().collect_all().await?;
/// # let _ = tenants;
/// # Ok(())
/// # }
/// ```
pub trait PreflightExt: PagedRequest + Sized {
    /// `self` if one of `roles` may call this operation, else the refusal.
    fn preflight(self, roles: &RoleSet) -> Result<Self, RoleError> {
        ensure_allowed_by_name(roles, self.operation_id())?;
        Ok(self)
    }
}

impl<R: PagedRequest> PreflightExt for R {}
