//! Table layouts of `cro sync`, derived from the item model of each list in
//! `spec/openapi.yaml` (embedded at build time): one column per top-level field, with its wire
//! name and a kind mapped from the schema. Nothing here knows a particular resource.

use serde_yaml::{Mapping, Value as Yaml};
use std::sync::OnceLock;

/// The spec, embedded so that `cro` needs no files at run time (cro-fake carries the copy
/// `cargo xtask codegen` keeps equal to `spec/openapi.yaml`).
const SPEC: &str = cro_fake::spec::SPEC_YAML;

/// How deep `$ref`/`allOf` chains are followed before a field is stored as JSON.
const MAX_REF_DEPTH: usize = 8;

/// Our own bookkeeping columns, all prefixed so they can never clash with a wire name.
pub const TENANT_COL: &str = "_cro_tenant";
/// The item's identity (its `id`, or the version's id field), as text.
pub const ID_COL: &str = "_cro_id";
/// A hash of the item's JSON as received, to tell unchanged rows from updated ones.
pub const HASH_COL: &str = "_cro_hash";
/// When the row was last inserted or changed by a sync (UTC, ISO 8601).
pub const SYNCED_COL: &str = "_cro_synced_at";
/// When a full refresh last found the row missing from the list (UTC); NULL while present.
pub const REMOVED_COL: &str = "_cro_removed_at";

/// What a column holds; each sink maps it to its own SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// JSON integer.
    Integer,
    /// JSON number.
    Real,
    /// JSON boolean.
    Boolean,
    /// JSON string.
    Text,
    /// The API's naive ISO 8601 timestamps (`format: iso8601`).
    Timestamp,
    /// Nested objects, arrays and anything of no single scalar type, as JSON text.
    Json,
}

/// One column: a top-level field of the item model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The field's wire name (also the column name).
    pub name: String,
    /// Its kind.
    pub kind: ColumnKind,
}

/// The layout of one mirrored list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Table name: the `cro export` resource name with `_` for `-`.
    pub name: String,
    /// Item model the columns come from.
    pub model: &'static str,
    /// The model's top-level fields for the API version in use, in schema order.
    pub columns: Vec<Column>,
    /// Field holding the item's identity (`id`, or e.g. `customer_id` in old versions).
    pub id_field: String,
    /// Field holding the item's last-change time (`last_updated_on`), if the model has one.
    pub updated_field: Option<String>,
}

fn schemas() -> Option<&'static Mapping> {
    static PARSED: OnceLock<Option<Yaml>> = OnceLock::new();
    PARSED
        .get_or_init(|| serde_yaml::from_str(SPEC).ok())
        .as_ref()?
        .get("components")?
        .get("schemas")?
        .as_mapping()
}

impl Table {
    /// The table of resource `resource` (export name) whose items are `model`, for
    /// `api_version`. `None` when the model is not an object schema of the spec.
    pub fn from_spec(resource: &str, model: &'static str, api_version: &str) -> Option<Table> {
        let schemas = schemas()?;
        let schema = resolve(schemas, schemas.get(model)?, 0)?;
        let props = schema.get("properties")?.as_mapping()?;
        let mut columns = Vec::new();
        for (name, prop) in props {
            let Some(name) = name.as_str() else { continue };
            if !in_version(prop, api_version) || name.starts_with("_cro_") {
                continue;
            }
            columns.push(Column {
                name: name.to_owned(),
                kind: kind_of(schemas, prop, 0),
            });
        }
        let has = |n: &str| columns.iter().any(|c| c.name == n);
        let singular = resource.trim_end_matches('s').replace('-', "_");
        let id_field = if has("id") {
            "id".to_owned()
        } else if has(&format!("{singular}_id")) {
            format!("{singular}_id")
        } else {
            return None;
        };
        let updated_field = columns
            .iter()
            .find(|c| c.kind == ColumnKind::Timestamp && c.name.starts_with("last_updated"))
            .map(|c| c.name.clone());
        Some(Table {
            name: resource.replace('-', "_"),
            model,
            columns,
            id_field,
            updated_field,
        })
    }
}

/// Whether a property exists in `api_version` (`x-cro-since` / `x-cro-removed-in`, both
/// `YYYY/MM/DD`, which compare as text).
fn in_version(prop: &Yaml, api_version: &str) -> bool {
    let since = prop.get("x-cro-since").and_then(Yaml::as_str);
    let removed = prop.get("x-cro-removed-in").and_then(Yaml::as_str);
    since.is_none_or(|s| api_version >= s) && removed.is_none_or(|r| api_version < r)
}

/// Follow `$ref` and single-element `allOf` wrappers.
fn resolve<'a>(schemas: &'a Mapping, schema: &'a Yaml, depth: usize) -> Option<&'a Yaml> {
    if depth > MAX_REF_DEPTH {
        return None;
    }
    if let Some(r) = schema.get("$ref").and_then(Yaml::as_str) {
        let name = r.rsplit('/').next()?;
        return resolve(schemas, schemas.get(name)?, depth + 1);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = schema.get(key).and_then(Yaml::as_sequence) {
            // `nullable` wrappers: one real alternative, possibly beside a null type.
            let real: Vec<&Yaml> = list
                .iter()
                .filter(|s| !crate::export::columns::is_null_schema(s))
                .collect();
            if let [only] = real.as_slice() {
                return resolve(schemas, only, depth + 1);
            }
            return Some(schema);
        }
    }
    Some(schema)
}

/// The column kind of one property schema.
fn kind_of(schemas: &Mapping, prop: &Yaml, depth: usize) -> ColumnKind {
    let Some(schema) = resolve(schemas, prop, depth) else {
        return ColumnKind::Json;
    };
    match schema.get("type").and_then(Yaml::as_str) {
        Some("integer") => ColumnKind::Integer,
        Some("number") => ColumnKind::Real,
        Some("boolean") => ColumnKind::Boolean,
        Some("string") => match schema.get("format").and_then(Yaml::as_str) {
            Some("iso8601" | "date-time" | "date") => ColumnKind::Timestamp,
            _ => ColumnKind::Text,
        },
        _ => ColumnKind::Json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_have_typed_columns_and_an_identity() {
        let t = Table::from_spec("customers", "CustomerModel", "2024/01/01").expect("in spec");
        assert_eq!(t.name, "customers");
        assert_eq!(t.id_field, "id");
        assert_eq!(t.updated_field.as_deref(), Some("last_updated_on"));
        let kind = |n: &str| t.columns.iter().find(|c| c.name == n).map(|c| c.kind);
        assert_eq!(kind("id"), Some(ColumnKind::Integer));
        assert_eq!(kind("name"), Some(ColumnKind::Text));
        assert_eq!(kind("created_on"), Some(ColumnKind::Timestamp));
        assert_eq!(kind("addresses"), Some(ColumnKind::Json));
    }

    #[test]
    fn version_markers_select_fields() {
        let t = Table::from_spec("dump-destinations", "DumpDestinationModel", "2024/01/01");
        if let Some(t) = t {
            assert_eq!(t.name, "dump_destinations");
        }
        assert!(in_version(
            &serde_yaml::from_str("{x-cro-since: '2021/04/07'}").unwrap(),
            "2021/04/07"
        ));
        assert!(!in_version(
            &serde_yaml::from_str("{x-cro-removed-in: '2021/04/07'}").unwrap(),
            "2021/04/07"
        ));
    }
}
