//! User roles and which operations each may call, from the spec's `x-cro-roles`.
//!
//! Everything here reads [`cro_api::meta::OPERATIONS`]: a new operation (or a changed role
//! list) in `spec/openapi.yaml` is picked up by `cargo xtask codegen` alone. The [`Role`]
//! enum names the roles of [`cro_api::meta::ROLES`] (a test keeps the two in sync); a role
//! the enum does not know is kept as [`Role::Unknown`] and still matched by name.
//!
//! ```
//! use cro_ext::roles::{Role, RoleSet};
//!
//! let roles: RoleSet = "Dispatcher, Driver".parse().unwrap();
//! assert!(roles.contains(&Role::Driver));
//! let listable = Role::Dispatcher.can("list_tenants");
//! # let _ = listable;
//! ```

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use cro_api::meta::{OPERATIONS, Operation};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CRO user role, by its wire name.
///
/// `Display`, `FromStr` and serde use the exact wire names (`ThirdPartyDispatcher`, ...).
/// Parsing also accepts known names in another letter case (`admin`), which helps command
/// lines; any other name becomes [`Role::Unknown`], keeping the text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// `Public`: unauthenticated callers (sign-up operations).
    Public,
    /// `Admin`.
    Admin,
    /// `Driver`.
    Driver,
    /// `Dispatcher`.
    Dispatcher,
    /// `CrmUser` (added in API release 1.0.7).
    CrmUser,
    /// `ClientCustomer`: a hauler's customer (missing from the docs' role list, present in
    /// the operation role lists).
    ClientCustomer,
    /// `ThirdPartyDispatcher`.
    ThirdPartyDispatcher,
    /// `ThirdPartyDriver`.
    ThirdPartyDriver,
    /// `ThirdPartyAdmin` (older docs).
    ThirdPartyAdmin,
    /// `ThirdPartyCrmUser` (older docs).
    ThirdPartyCrmUser,
    /// A role this version of the crate does not know, with its wire name.
    Unknown(String),
}

impl Role {
    /// Every known role, in the order of the spec's `Role` enum.
    pub const KNOWN: &'static [Role] = &[
        Role::Public,
        Role::Admin,
        Role::Driver,
        Role::Dispatcher,
        Role::CrmUser,
        Role::ClientCustomer,
        Role::ThirdPartyDispatcher,
        Role::ThirdPartyDriver,
        Role::ThirdPartyAdmin,
        Role::ThirdPartyCrmUser,
    ];

    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Public => "Public",
            Role::Admin => "Admin",
            Role::Driver => "Driver",
            Role::Dispatcher => "Dispatcher",
            Role::CrmUser => "CrmUser",
            Role::ClientCustomer => "ClientCustomer",
            Role::ThirdPartyDispatcher => "ThirdPartyDispatcher",
            Role::ThirdPartyDriver => "ThirdPartyDriver",
            Role::ThirdPartyAdmin => "ThirdPartyAdmin",
            Role::ThirdPartyCrmUser => "ThirdPartyCrmUser",
            Role::Unknown(name) => name,
        }
    }

    /// The role with this wire name (exact match, else case-insensitive among the known
    /// roles, else [`Role::Unknown`]).
    pub fn from_name(name: &str) -> Role {
        let known = Role::KNOWN.iter();
        known
            .clone()
            .find(|role| role.as_str() == name)
            .or_else(|| {
                known
                    .clone()
                    .find(|role| role.as_str().eq_ignore_ascii_case(name))
            })
            .cloned()
            .unwrap_or_else(|| Role::Unknown(name.to_owned()))
    }

    /// False for [`Role::Unknown`].
    pub fn is_known(&self) -> bool {
        !matches!(self, Role::Unknown(_))
    }

    /// Whether the spec lets this role call `operation` (an `operationId` or an
    /// [`Operation`]). False for operations that do not exist.
    ///
    /// This is the spec's `x-cro-roles` list read literally; see
    /// [`ensure_allowed`](crate::preflight::ensure_allowed) for the preflight rule, which
    /// also lets anyone call operations that send no credentials.
    pub fn can(&self, operation: impl OperationRef) -> bool {
        operation
            .resolve()
            .is_some_and(|op| op.allows_role(self.as_str()))
    }

    /// The operations this role may call, in `operationId` order.
    pub fn operations(&self) -> impl Iterator<Item = &'static Operation> + '_ {
        OPERATIONS
            .iter()
            .filter(move |op| op.allows_role(self.as_str()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Role::from_name(s))
    }
}

impl From<&str> for Role {
    fn from(name: &str) -> Self {
        Role::from_name(name)
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(Role::from_name(&name))
    }
}

/// Something that names an operation: an `operationId` (`&str`, `String`) or an
/// [`Operation`] from [`cro_api::meta::OPERATIONS`].
pub trait OperationRef {
    /// The `operationId`.
    fn operation_id(&self) -> &str;

    /// The operation's metadata, if it exists.
    fn resolve(&self) -> Option<Operation> {
        Operation::find(self.operation_id()).copied()
    }
}

impl OperationRef for cro_api::meta::OperationId {
    fn operation_id(&self) -> &str {
        self.as_str()
    }

    fn resolve(&self) -> Option<Operation> {
        Some(*self.operation())
    }
}

impl OperationRef for str {
    fn operation_id(&self) -> &str {
        self
    }
}

impl OperationRef for String {
    fn operation_id(&self) -> &str {
        self
    }
}

impl OperationRef for Operation {
    fn operation_id(&self) -> &str {
        self.id
    }

    fn resolve(&self) -> Option<Operation> {
        Some(*self)
    }
}

impl<T: OperationRef + ?Sized> OperationRef for &T {
    fn operation_id(&self) -> &str {
        (**self).operation_id()
    }

    fn resolve(&self) -> Option<Operation> {
        (**self).resolve()
    }
}

/// A set of roles (those of the signed-in user, or those an operation allows).
///
/// Parses from a comma- or space-separated list (`"Admin, Dispatcher"`), displays as
/// `Admin, Dispatcher`, and (de)serializes as an array of wire names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoleSet(BTreeSet<Role>);

impl RoleSet {
    /// The empty set.
    pub fn new() -> Self {
        RoleSet::default()
    }

    /// The roles the spec allows for `operation` (empty if it does not exist).
    pub fn allowed_for(operation: impl OperationRef) -> Self {
        operation
            .resolve()
            .map(|op| op.roles.iter().map(|name| Role::from_name(name)).collect())
            .unwrap_or_default()
    }

    /// Add a role; false if it was already there.
    pub fn insert(&mut self, role: Role) -> bool {
        self.0.insert(role)
    }

    /// Whether the set holds `role`.
    pub fn contains(&self, role: &Role) -> bool {
        self.0.contains(role)
    }

    /// True when no role is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of roles.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The roles, in [`Role::KNOWN`] order, unknown roles last.
    pub fn iter(&self) -> impl Iterator<Item = &Role> {
        self.0.iter()
    }

    /// Whether at least one role of the set may call `operation` (spec reading, as
    /// [`Role::can`]).
    pub fn can(&self, operation: impl OperationRef) -> bool {
        operation
            .resolve()
            .is_some_and(|op| self.iter().any(|role| op.allows_role(role.as_str())))
    }

    /// The operations at least one role of the set may call, in `operationId` order.
    pub fn operations(&self) -> impl Iterator<Item = &'static Operation> + '_ {
        OPERATIONS
            .iter()
            .filter(move |op| self.iter().any(|role| op.allows_role(role.as_str())))
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        RoleSet(iter.into_iter().collect())
    }
}

impl Extend<Role> for RoleSet {
    fn extend<I: IntoIterator<Item = Role>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<'a> IntoIterator for &'a RoleSet {
    type Item = &'a Role;
    type IntoIter = std::collections::btree_set::Iter<'a, Role>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for RoleSet {
    type Item = Role;
    type IntoIter = std::collections::btree_set::IntoIter<Role>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromStr for RoleSet {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|name| !name.is_empty())
            .map(Role::from_name)
            .collect())
    }
}

impl fmt::Display for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, role) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(role.as_str())?;
        }
        Ok(())
    }
}

/// The role x operation matrix as a text table: one row per operation (in `operationId`
/// order), one column per role of [`cro_api::meta::ROLES`], `x` where the spec allows the
/// role, and a final column marking role lists that are inferred rather than documented.
///
/// Meant for `cro roles`-style listings and for reviewing spec changes (it is snapshot
/// tested).
pub fn role_matrix() -> String {
    let roles = cro_api::meta::ROLES;
    let id_width = OPERATIONS
        .iter()
        .map(|op| op.id.len())
        .chain(["operation".len()])
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let mut line = format!("{:<id_width$}", "operation");
    for role in roles {
        line.push_str(&format!(" | {role}"));
    }
    line.push_str(" | roles");
    out.push_str(line.trim_end());
    out.push('\n');
    for op in OPERATIONS {
        let mut line = format!("{:<id_width$}", op.id);
        for role in roles {
            let mark = if op.allows_role(role) { "x" } else { "." };
            line.push_str(&format!(" | {mark:^width$}", width = role.len()));
        }
        line.push_str(if op.roles_inferred {
            " | inferred"
        } else {
            " | documented"
        });
        out.push_str(&line);
        out.push('\n');
    }
    out
}
