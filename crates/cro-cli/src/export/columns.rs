//! CSV columns: how a JSON item becomes one CSV row.
//!
//! Rules (also printed by `cro export --help`):
//! - nested objects are flattened into dotted columns (`customer.name`), recursively;
//! - arrays (e.g. a customer's `addresses`) are one cell holding the array as compact JSON,
//!   so that no data is lost whatever the array's length and the column set stays fixed;
//! - objects without declared properties (free-form maps) are one JSON cell, too;
//! - null or missing values are empty cells; strings are written as-is; numbers and booleans
//!   in their JSON form (`true`, `12.5`).
//!
//! The column set comes from the item model's schema in `spec/openapi.yaml` (embedded at build
//! time), in the schema's property order, without the fields that the API version in use does
//! not have (`x-cro-since` / `x-cro-removed-in`). Every row therefore has the same columns,
//! whatever the first page happens to contain. Only if a model is missing from the spec are the
//! columns taken from the first page's items (the union of their flattened keys, sorted).

use serde_json::Value;
use serde_yaml::Value as Yaml;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The spec, embedded so that `cro` needs no files at run time.
const SPEC: &str = include_str!("../../../../spec/openapi.yaml");

/// Nesting depth after which objects are written as JSON cells (guards against cycles and
/// absurdly wide files).
const MAX_DEPTH: usize = 4;

/// The ordered columns of a CSV export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    names: Vec<String>,
    paths: Vec<Vec<String>>,
}

fn spec() -> Option<&'static Yaml> {
    static PARSED: OnceLock<Option<Yaml>> = OnceLock::new();
    PARSED
        .get_or_init(|| serde_yaml::from_str(SPEC).ok())
        .as_ref()
}

fn schemas() -> Option<&'static serde_yaml::Mapping> {
    spec()?.get("components")?.get("schemas")?.as_mapping()
}

impl Columns {
    /// Columns of `model` from the spec, for API version `api_version` (`YYYY/MM/DD`).
    pub fn from_schema(model: &str, api_version: &str) -> Option<Columns> {
        let schemas = schemas()?;
        let schema = schemas.get(model)?;
        let mut cols = Columns {
            names: Vec::new(),
            paths: Vec::new(),
        };
        let mut stack = vec![model.to_string()];
        expand(
            schemas,
            schema,
            &mut Vec::new(),
            api_version,
            &mut stack,
            &mut cols,
        );
        if cols.names.is_empty() {
            None
        } else {
            Some(cols)
        }
    }

    /// Columns from sample items: the union of their flattened keys, in key order.
    pub fn from_items<'a>(items: impl IntoIterator<Item = &'a Value>) -> Columns {
        let mut cols = Columns {
            names: Vec::new(),
            paths: Vec::new(),
        };
        for item in items {
            collect_keys(item, &mut Vec::new(), &mut cols);
        }
        cols
    }

    /// Column names (the header row).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The cells of `item`, one per column.
    pub fn row<'v>(&self, item: &'v Value) -> Vec<Cow<'v, str>> {
        self.paths
            .iter()
            .map(|path| {
                let mut v = item;
                for key in path {
                    match v.get(key.as_str()) {
                        Some(next) => v = next,
                        None => return Cow::Borrowed(""),
                    }
                }
                cell(v)
            })
            .collect()
    }

    fn push(&mut self, path: &[String]) {
        let name = path.join(".");
        if !self.names.contains(&name) {
            self.names.push(name);
            self.paths.push(path.to_vec());
        }
    }
}

/// One value as a CSV cell.
pub fn cell(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => Cow::Owned(n.to_string()),
        // Serializing a Value cannot fail (string keys only).
        Value::Array(_) | Value::Object(_) => Cow::Owned(v.to_string()),
    }
}

fn collect_keys(v: &Value, path: &mut Vec<String>, cols: &mut Columns) {
    match v {
        Value::Object(map) if path.len() < MAX_DEPTH && !map.is_empty() => {
            for (k, sub) in map {
                path.push(k.clone());
                collect_keys(sub, path, cols);
                path.pop();
            }
        }
        _ if path.is_empty() => {}
        _ => cols.push(path),
    }
}

/// Follow `$ref`, and single-element `allOf`/`oneOf`/`anyOf` wrappers (the spec's idiom for
/// a nullable reference).
fn resolve<'a>(
    schemas: &'a serde_yaml::Mapping,
    schema: &'a Yaml,
    stack: &mut Vec<String>,
) -> Result<(&'a Yaml, Option<String>), ()> {
    if let Some(r) = schema.get("$ref").and_then(Yaml::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r).to_string();
        if stack.contains(&name) {
            return Err(()); // a cycle: write the value as JSON
        }
        let target = schemas.get(name.as_str()).ok_or(())?;
        let (resolved, _) = resolve(schemas, target, stack)?;
        return Ok((resolved, Some(name)));
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get(key).and_then(Yaml::as_sequence) {
            let parts: Vec<&Yaml> = parts
                .iter()
                .filter(|p| p.get("type").and_then(Yaml::as_str) != Some("null"))
                .collect();
            if parts.len() == 1 {
                return resolve(schemas, parts[0], stack);
            }
            return Err(());
        }
    }
    Ok((schema, None))
}

/// Whether a property exists in API version `version`.
fn in_version(prop: &Yaml, version: &str) -> bool {
    let since = prop.get("x-cro-since").and_then(Yaml::as_str);
    let removed = prop.get("x-cro-removed-in").and_then(Yaml::as_str);
    // `YYYY/MM/DD` strings order like the dates they are.
    since.is_none_or(|s| version >= s) && removed.is_none_or(|r| version < r)
}

fn expand(
    schemas: &serde_yaml::Mapping,
    schema: &Yaml,
    path: &mut Vec<String>,
    version: &str,
    stack: &mut Vec<String>,
    cols: &mut Columns,
) {
    let Ok((schema, name)) = resolve(schemas, schema, stack) else {
        cols.push(path);
        return;
    };
    let props = schema.get("properties").and_then(Yaml::as_mapping);
    let is_array = schema.get("type").and_then(Yaml::as_str) == Some("array");
    match props {
        Some(props) if !is_array && !props.is_empty() && path.len() < MAX_DEPTH => {
            if let Some(n) = &name {
                stack.push(n.clone());
            }
            for (key, prop) in props {
                let Some(key) = key.as_str() else { continue };
                if !in_version(prop, version) {
                    continue;
                }
                path.push(key.to_string());
                expand(schemas, prop, path, version, stack, cols);
                path.pop();
            }
            if name.is_some() {
                stack.pop();
            }
        }
        _ if path.is_empty() => {}
        _ => cols.push(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn customer_columns_are_stable_and_versioned() {
        let new = Columns::from_schema("DispatchCustomerLocationModel", "2023/04/19").unwrap();
        let old = Columns::from_schema("DispatchCustomerLocationModel", "2019/02/08").unwrap();
        assert!(new.names().contains(&"id".to_string()));
        assert!(!new.names().contains(&"customer_id".to_string()));
        assert!(old.names().contains(&"customer_id".to_string()));
        assert!(!old.names().contains(&"id".to_string()));
        // Arrays are single JSON cells.
        assert!(new.names().contains(&"addresses".to_string()));
        assert!(!new.names().iter().any(|n| n.starts_with("addresses.")));
    }

    #[test]
    fn nested_objects_flatten_to_dotted_columns() {
        let cols = Columns::from_schema("JobModel", "2023/04/19").unwrap();
        assert!(
            cols.names().iter().any(|n| n.starts_with("asset.")),
            "{:?}",
            cols.names()
        );
        assert!(!cols.names().contains(&"asset".to_string()));
    }

    #[test]
    fn rows_follow_the_columns() {
        let cols = Columns::from_items([
            &json!({"id": 1, "a": {"b": "x", "c": null}, "l": [1, {"k": "v"}]}),
        ]);
        // Sample-derived columns come in key order (serde_json maps are sorted).
        assert_eq!(cols.names(), ["a.b", "a.c", "id", "l"]);
        let v = json!({"id": 2, "l": [], "extra": 1});
        assert_eq!(cols.row(&v), ["", "", "2", "[]"]);
        let v = json!({"id": 3, "a": {"b": "y", "c": true}, "l": [{"k": "v"}]});
        assert_eq!(cols.row(&v), ["y", "true", "3", r#"[{"k":"v"}]"#]);
        // A value of unexpected shape in a leaf column is kept (as JSON), never dropped.
        let v = json!({"id": {"odd": 1}});
        assert_eq!(cols.row(&v), ["", "", r#"{"odd":1}"#, ""]);
    }

    #[test]
    fn unknown_model_has_no_schema_columns() {
        assert!(Columns::from_schema("NoSuchModel", "2023/04/19").is_none());
    }
}
