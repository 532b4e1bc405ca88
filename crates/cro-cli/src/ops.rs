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

/// Width the `cro ops` table fits in.
pub const TABLE_WIDTH: usize = 100;

/// The `cro ops` table: one line per operation (id, method, path), then its roles on an
/// indented line, wrapped so that no line is wider than [`TABLE_WIDTH`].
pub fn ops_table(ops: &[&Operation]) -> String {
    let w_id = ops.iter().map(|o| o.id.len()).max().unwrap_or(2).max(9);
    let mut out = format!("{:<w_id$} {:<6} PATH\n    ROLES\n", "OPERATION", "METHOD");
    for op in ops {
        let line = format!("{:<w_id$} {:<6} {}", op.id, op.method.as_str(), op.path);
        if line.len() <= TABLE_WIDTH {
            out.push_str(&line);
        } else {
            // An unusually long id or path: the path goes on its own line.
            out.push_str(&format!(
                "{} {}\n    {}",
                op.id,
                op.method.as_str(),
                op.path
            ));
        }
        out.push('\n');
        let mut roles: Vec<String> = op.roles.iter().map(|r| r.to_string()).collect();
        if op.roles_inferred {
            roles.push("(inferred)".into());
        }
        out.push_str(&wrap(&roles, "    ", TABLE_WIDTH));
    }
    out
}

/// `words` joined by ", " into lines of at most `width` characters, each starting with
/// `indent`.
fn wrap(words: &[String], indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for (i, word) in words.iter().enumerate() {
        let sep = if i + 1 < words.len() && !words[i + 1].starts_with('(') {
            ","
        } else {
            ""
        };
        let piece = format!("{word}{sep}");
        if line.len() > indent.len() && line.len() + 1 + piece.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// The role named `given`, in any case (`driver` → `Driver`).
pub fn find_role(given: &str) -> CliResult<&'static str> {
    let given = given.trim();
    if let Some(role) = ROLES.iter().find(|r| r.eq_ignore_ascii_case(given)) {
        return Ok(role);
    }
    let lower = given.to_ascii_lowercase();
    let close: Vec<&str> = ROLES
        .iter()
        .filter(|r| {
            let r = r.to_ascii_lowercase();
            !lower.is_empty() && (r.contains(&lower) || lower.contains(&r))
        })
        .copied()
        .collect();
    let mut err = CliError::usage(format!(
        "--role: unknown role {:?}; roles: {}",
        crate::errors::clean(given),
        ROLES.join(", ")
    ));
    if !close.is_empty() {
        err = err.detail(format!("did you mean {}?", close.join(" or ")));
    }
    Err(err)
}

/// `cro ops`.
pub fn run_ops(args: &OpsArgs) -> CliResult<()> {
    if args.resources {
        return print(&resources::render(resources::table()));
    }
    let role = args.role.as_deref().map(find_role).transpose()?;
    let ops: Vec<&Operation> = OPERATIONS
        .iter()
        .filter(|op| role.is_none_or(|r| op.allows_role(r)))
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
        for op in OPERATIONS {
            assert!(table.contains(op.path), "{}", op.id);
            assert!(
                table.lines().any(|l| l.starts_with(&format!("{} ", op.id))),
                "{}",
                op.id
            );
        }
        for line in table.lines() {
            assert!(
                line.len() <= TABLE_WIDTH,
                "{} > {TABLE_WIDTH}: {line}",
                line.len()
            );
        }
    }

    #[test]
    fn roles_match_in_any_case() {
        assert_eq!(find_role("driver").unwrap(), "Driver");
        assert_eq!(find_role("ADMIN").unwrap(), "Admin");
        let err = find_role("drivr").unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Usage);
    }

    #[test]
    fn wrap_stays_within_width() {
        let words: Vec<String> = (0..40).map(|i| format!("Role{i}")).collect();
        for line in wrap(&words, "    ", 30).lines() {
            assert!(line.len() <= 30, "{line}");
            assert!(line.starts_with("    "));
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
