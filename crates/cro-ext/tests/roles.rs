//! Roles and preflight, all driven by `cro_api::meta`.

use std::collections::BTreeSet;

use cro_api::meta::{Auth, OPERATIONS, Operation, ROLES};
use cro_ext::preflight::{PreflightExt, RoleError, ensure_allowed, ensure_allowed_by_name};
use cro_ext::roles::{Role, RoleSet, role_matrix};

#[test]
fn the_enum_names_exactly_the_roles_of_the_spec() {
    let known: BTreeSet<&str> = Role::KNOWN.iter().map(Role::as_str).collect();
    let spec: BTreeSet<&str> = ROLES.iter().copied().collect();
    assert_eq!(known, spec, "Role::KNOWN and cro_api::meta::ROLES differ");
    // Every role named by an operation is a documented role.
    for op in OPERATIONS {
        for name in op.roles {
            assert!(
                Role::from_name(name).is_known(),
                "{}: unknown role {name}",
                op.id
            );
        }
    }
}

#[test]
fn wire_names_round_trip() {
    for role in Role::KNOWN {
        let text = role.to_string();
        assert_eq!(text.parse::<Role>().unwrap(), *role);
        let json = serde_json::to_string(role).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), *role);
    }
    assert_eq!(
        "ThirdPartyDispatcher".parse::<Role>().unwrap(),
        Role::ThirdPartyDispatcher
    );
    assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
}

#[test]
fn unknown_roles_keep_their_name() {
    let role: Role = serde_json::from_str("\"Auditor\"").unwrap();
    assert_eq!(role, Role::Unknown("Auditor".to_owned()));
    assert!(!role.is_known());
    assert_eq!(serde_json::to_string(&role).unwrap(), "\"Auditor\"");
    assert_eq!(role.operations().count(), 0);
}

#[test]
fn can_and_operations_follow_the_table() {
    for op in OPERATIONS {
        for role in Role::KNOWN {
            let allowed = op.roles.contains(&role.as_str());
            assert_eq!(role.can(op.id), allowed, "{} {}", role, op.id);
            assert_eq!(role.can(op), allowed);
            assert_eq!(role.operations().any(|o| o.id == op.id), allowed);
        }
        assert_eq!(
            RoleSet::allowed_for(op.id)
                .iter()
                .map(Role::as_str)
                .collect::<BTreeSet<_>>(),
            op.roles.iter().copied().collect::<BTreeSet<_>>()
        );
    }
    assert!(!Role::Admin.can("no_such_operation"));
}

#[test]
fn role_sets_parse_display_and_serialize() {
    let set: RoleSet = "Driver, Admin Dispatcher,,".parse().unwrap();
    assert_eq!(set.len(), 3);
    assert_eq!(set.to_string(), "Admin, Driver, Dispatcher");
    assert_eq!(
        serde_json::to_string(&set).unwrap(),
        r#"["Admin","Driver","Dispatcher"]"#
    );
    let back: RoleSet = serde_json::from_str(r#"["Dispatcher","Admin","Driver"]"#).unwrap();
    assert_eq!(back, set);
    let ops: Vec<&str> = set.operations().map(|o| o.id).collect();
    let expected: Vec<&str> = OPERATIONS
        .iter()
        .filter(|o| {
            ["Admin", "Driver", "Dispatcher"]
                .iter()
                .any(|r| o.allows_role(r))
        })
        .map(|o| o.id)
        .collect();
    assert_eq!(ops, expected);
}

#[test]
fn preflight_passes_and_refuses_per_the_spec() {
    let nobody = RoleSet::new();
    for op in OPERATIONS {
        let everyone: RoleSet = Role::KNOWN.iter().cloned().collect();
        assert_eq!(
            ensure_allowed_by_name(&everyone, op.id).is_ok(),
            !op.roles.is_empty() || op.auth == Auth::None
        );
        // Operations that send no credentials pass whatever the roles.
        assert_eq!(
            ensure_allowed_by_name(&nobody, op.id).is_ok(),
            op.auth == Auth::None,
            "{}",
            op.id
        );
        for role in Role::KNOWN {
            let one: RoleSet = [role.clone()].into_iter().collect();
            assert_eq!(
                ensure_allowed_by_name(&one, op).is_ok(),
                role.can(op) || op.auth == Auth::None,
                "{} {}",
                role,
                op.id
            );
        }
    }
}

#[test]
fn refusals_explain_themselves() {
    let op: &Operation = OPERATIONS
        .iter()
        .find(|op| op.auth == Auth::Bearer && !op.allows_role("Driver"))
        .expect("an operation drivers may not call");
    let roles: RoleSet = "Driver".parse().unwrap();
    let error = ensure_allowed_by_name(&roles, op.id).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(op.id) && text.contains("Driver") && text.contains("not sent"),
        "{text}"
    );
    for allowed in op.roles {
        assert!(text.contains(allowed), "{text}");
    }
    assert_eq!(text.contains("inferred"), op.roles_inferred, "{text}");
    assert!(matches!(
        ensure_allowed_by_name(&roles, "no_such_operation"),
        Err(RoleError::UnknownOperation { .. })
    ));
}

#[test]
fn paged_builders_have_a_preflight() {
    let client = cro_api::Client::new("http://127.0.0.1:9", Default::default());
    let dispatcher: RoleSet = "Dispatcher".parse().unwrap();
    assert!(client.list_tenants().preflight(&dispatcher).is_ok());
    let public: RoleSet = "Public".parse().unwrap();
    assert!(client.list_tenants().preflight(&public).is_err());
}

#[test]
fn role_matrix_snapshot() {
    insta::assert_snapshot!(role_matrix());
}

#[test]
fn preflight_takes_the_generated_operation_enum() {
    use cro_api::meta::OperationId;
    let driver: RoleSet = "Driver".parse().unwrap();
    let by_enum = ensure_allowed(&driver, OperationId::CreateCustomer);
    let by_name = ensure_allowed_by_name(&driver, "create_customer");
    assert!(by_enum.is_err(), "Driver may not create customers");
    assert_eq!(by_enum, by_name);
    assert!(ensure_allowed(&driver, OperationId::ListTenants).is_ok());
}
