//! `cro ops` and `cro roles`: the operation metadata, as tables or JSON.

use crate::cli::{OpsArgs, RolesArgs};
use crate::exit::{CliError, CliResult};
use crate::resources;
use cro_api::meta::{OPERATIONS, Operation, ROLES};
use serde_json::json;
use std::io::Write;

fn print(text: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The `cro ops` table.
pub fn ops_table(ops: &[&Operation]) -> String {
    let w_id = ops.iter().map(|o| o.id.len()).max().unwrap_or(2).max(2);
    let w_path = ops.iter().map(|o| o.path.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{:<w_id$}  {:<6}  {:<w_path$}  ROLES\n",
        "OPERATION", "METHOD", "PATH"
    );
    for op in ops {
        let mut roles = op.roles.join(",");
        if op.roles_inferred {
            roles.push_str(" (inferred)");
        }
        out.push_str(&format!(
            "{:<w_id$}  {:<6}  {:<w_path$}  {roles}\n",
            op.id,
            op.method.as_str(),
            op.path
        ));
    }
    out
}

/// `cro ops`.
pub fn run_ops(args: &OpsArgs) -> CliResult<()> {
    if args.resources {
        return print(&resources::render(resources::table()));
    }
    if let Some(role) = &args.role
        && !ROLES.contains(&role.as_str())
    {
        return Err(CliError::usage(format!(
            "unknown role {role:?}; roles: {}",
            ROLES.join(", ")
        )));
    }
    let ops: Vec<&Operation> = OPERATIONS
        .iter()
        .filter(|op| args.role.as_deref().is_none_or(|r| op.allows_role(r)))
        .collect();
    if args.json {
        let list: Vec<_> = ops
            .iter()
            .map(|op| {
                json!({
                    "id": op.id,
                    "method": op.method.as_str(),
                    "path": op.path,
                    "summary": op.summary,
                    "roles": op.roles,
                    "roles_inferred": op.roles_inferred,
                    "paged": op.paging.is_paged(),
                    "deprecated": op.deprecated,
                })
            })
            .collect();
        let text =
            serde_json::to_string_pretty(&list).map_err(|e| CliError::other(e.to_string()))?;
        return print(&format!("{text}\n"));
    }
    print(&ops_table(&ops))
}

/// Role → operation ids, in the spec's role order.
pub fn role_map() -> Vec<(&'static str, Vec<&'static str>)> {
    ROLES
        .iter()
        .map(|role| {
            let ids = OPERATIONS
                .iter()
                .filter(|op| op.allows_role(role))
                .map(|op| op.id)
                .collect();
            (*role, ids)
        })
        .collect()
}

/// `cro roles`.
pub fn run_roles(args: &RolesArgs) -> CliResult<()> {
    let map = role_map();
    if args.json {
        let obj: serde_json::Map<String, serde_json::Value> = map
            .iter()
            .map(|(role, ids)| (role.to_string(), json!(ids)))
            .collect();
        let text =
            serde_json::to_string_pretty(&obj).map_err(|e| CliError::other(e.to_string()))?;
        return print(&format!("{text}\n"));
    }
    let mut out = String::new();
    for (role, ids) in map {
        out.push_str(&format!("{role} ({} operations)\n", ids.len()));
        for id in ids {
            out.push_str(&format!("  {id}\n"));
        }
    }
    print(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_listed_once() {
        let all: Vec<&Operation> = OPERATIONS.iter().collect();
        let table = ops_table(&all);
        assert_eq!(table.lines().count(), OPERATIONS.len() + 1);
        for op in OPERATIONS {
            assert!(table.contains(op.path), "{}", op.id);
        }
    }

    #[test]
    fn roles_cover_their_operations() {
        for (role, ids) in role_map() {
            for id in ids {
                let op = Operation::find(id).unwrap();
                assert!(op.roles.contains(&role));
            }
        }
    }
}
