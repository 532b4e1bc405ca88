//! CSV columns: which columns an export has, in which order, and how one JSON item becomes
//! one CSV row.
//!
//! Rules (summarised in `cro export --help` and the README):
//! - identity first: `id`, then `name` where the model has them, then the model's other
//!   fields in the order of their properties in `spec/openapi.yaml` (which lists them as the
//!   API's reference docs do); the same rule applies inside every nested object;
//! - every nested object is flattened into dotted columns (`customer.name`, `asset.id`),
//!   recursively (up to [`MAX_DEPTH`] levels). A field documented as one of several object
//!   shapes (`JobModel.customer`, which changed shape in API version 2021/11/04) gets the union
//!   of their fields, so it is flattened like any other object;
//! - arrays (e.g. a customer's `addresses`) are one cell holding the array as compact JSON,
//!   so that no data is lost whatever the array's length and the column set stays fixed;
//!   objects without declared properties (free-form maps) are one JSON cell, too;
//! - null or missing values are empty cells; strings are written unescaped; numbers exactly as
//!   the server wrote them (never through `f64`); booleans as `true`/`false`;
//! - string cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//!   tab or CR) get a leading `'` unless `--csv-formulas raw` ([`Formulas`]).
//!
//! The column set comes from the item model's schema in the spec (embedded at build time),
//! without the fields that the API version in use does not have (`x-cro-since` /
//! `x-cro-removed-in`), so the header is the same for every run against one API version,
//! whatever the data. Only if a model is missing from the spec are the columns taken from the
//! first page's items (the union of their flattened keys, sorted). The order is read from the
//! embedded spec rather than from the generated metadata because the spec already keeps the
//! property order: no codegen change and no extra `x-cro-column-order` list to maintain.
//!
//! Rows are built from the server's JSON text ([`cro_ext::RawItem`]) with
//! [`super::json_scan`]: each item is walked once, its values located against a key tree
//! ([`Node`]) of the columns, and written as cells, with no decode into the typed models.

use super::json_scan::{self, Kind, ScanError, Span};
use cro_ext::RawItem;
use serde_json::Value;
use serde_yaml::Value as Yaml;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The spec, embedded so that `cro` needs no files at run time (cro-fake carries the copy
/// `cargo xtask codegen` keeps equal to `spec/openapi.yaml`).
const SPEC: &str = cro_fake::spec::SPEC_YAML;

/// Nesting depth after which objects are written as JSON cells (guards against cycles and
/// absurdly wide files).
pub const MAX_DEPTH: usize = 4;

/// Property names that lead every object's columns, in this order.
const IDENTITY: [&str; 2] = ["id", "name"];

/// What to do with string cells that a spreadsheet would run as a formula.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Formulas {
    /// Prefix cells starting with `=`, `+`, `-`, `@`, tab or CR with `'` (OWASP's advice),
    /// so that a spreadsheet shows them as text.
    #[default]
    Escape,
    /// Write every string as received.
    Raw,
}

/// Whether a spreadsheet would read `s` as a formula.
pub fn looks_like_formula(s: &[u8]) -> bool {
    matches!(s.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}

/// The ordered columns of a CSV export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    names: Vec<String>,
    paths: Vec<Vec<String>>,
    /// The columns as a key tree, for locating values in an item.
    tree: Node,
}

/// A level of the key tree: the keys of one object that lead to columns, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Node {
    keys: Vec<(Box<[u8]>, Slot)>,
}

/// What one key of an object leads to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Slot {
    /// The column holding the value itself.
    leaf: Option<usize>,
    /// Columns inside the value, when it is an object.
    child: Option<Node>,
}

impl Node {
    fn insert(&mut self, path: &[String], column: usize) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let key = first.as_bytes();
        let at = match self.keys.binary_search_by(|(k, _)| (**k).cmp(key)) {
            Ok(at) => at,
            Err(at) => {
                self.keys.insert(at, (key.into(), Slot::default()));
                at
            }
        };
        let slot = &mut self.keys[at].1;
        if rest.is_empty() {
            slot.leaf = Some(column);
        } else {
            slot.child
                .get_or_insert_with(Node::default)
                .insert(rest, column);
        }
    }

    /// The slot of `key`; `hint` is where the previous key was found, since servers send keys
    /// in a fixed (usually sorted) order, so the next key is most often the next slot.
    fn find(&self, key: &[u8], hint: &mut usize) -> Option<&Slot> {
        let at = match self.keys.get(*hint) {
            Some((k, _)) if **k == *key => *hint,
            _ => self.keys.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?,
        };
        *hint = at + 1;
        Some(&self.keys[at].1)
    }

    /// Put the values of `obj`'s members that have a column into `cells`.
    fn fill<'a>(&self, obj: &'a [u8], cells: &mut [Option<Span<'a>>]) -> Result<(), ScanError> {
        let mut hint = 0;
        json_scan::members(obj, |key, value| {
            let Some(slot) = self.find(&key, &mut hint) else {
                return Ok(());
            };
            match (&slot.child, value.kind) {
                (Some(child), Kind::Object) => child.fill(value.text, cells)?,
                _ => {
                    if let Some(col) = slot.leaf {
                        cells[col] = Some(value);
                    }
                }
            }
            Ok(())
        })
    }
}

/// An item could not be written as a CSV row: it is not JSON of the expected form.
#[derive(Debug, thiserror::Error)]
#[error("a record is not a JSON object as expected: {0}")]
pub struct RowError(#[from] ScanError);

/// Columns requested with `--columns` that the export does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownColumn {
    /// The name as given.
    pub name: String,
    /// Existing columns that look like it, closest first.
    pub close: Vec<String>,
}

impl std::fmt::Display for UnknownColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--columns: there is no column `{}`", self.name)?;
        if self.close.is_empty() {
            write!(
                f,
                " (run the export without --columns to see every column in its header)"
            )
        } else {
            let close: Vec<String> = self.close.iter().map(|c| format!("`{c}`")).collect();
            write!(f, "; did you mean {}?", close.join(", "))
        }
    }
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
    fn from_paths(paths: Vec<Vec<String>>) -> Columns {
        let mut cols = Columns {
            names: Vec::new(),
            paths: Vec::new(),
            tree: Node::default(),
        };
        for path in paths {
            cols.push(&path);
        }
        cols
    }

    /// Columns of `model` from the spec, for API version `api_version` (`YYYY/MM/DD`).
    pub fn from_schema(model: &str, api_version: &str) -> Option<Columns> {
        let schemas = schemas()?;
        let schema = schemas.get(model)?;
        let mut paths = Vec::new();
        let mut stack = vec![model.to_string()];
        expand(
            schemas,
            schema,
            &mut Vec::new(),
            api_version,
            &mut stack,
            &mut paths,
        );
        if paths.is_empty() {
            None
        } else {
            Some(Columns::from_paths(paths))
        }
    }

    /// Columns from sample items: the union of their flattened keys, in key order (the
    /// fallback for a model the spec does not describe).
    pub fn from_items<'a>(items: impl IntoIterator<Item = &'a Value>) -> Columns {
        let mut paths = Vec::new();
        for item in items {
            collect_keys(item, &mut Vec::new(), &mut paths);
        }
        Columns::from_paths(paths)
    }

    /// Columns from sample raw items (see [`from_items`](Columns::from_items)); items that do
    /// not parse add no columns (their rows report the error).
    pub fn from_raw_items(items: &[RawItem]) -> Columns {
        let values: Vec<Value> = items
            .iter()
            .filter_map(|i| serde_json::from_slice(i.as_bytes()).ok())
            .collect();
        Columns::from_items(&values)
    }

    /// Column names (the header row).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The columns named in `wanted`, in that order. A name is a column (`customer.name`) or
    /// a nested object, standing for all of its columns (`customer`).
    pub fn select(&self, wanted: &[String]) -> Result<Columns, UnknownColumn> {
        let mut paths: Vec<Vec<String>> = Vec::new();
        for name in wanted {
            let name = name.trim();
            let prefix = format!("{name}.");
            let matched: Vec<&Vec<String>> = self
                .names
                .iter()
                .zip(&self.paths)
                .filter(|(n, _)| *n == name || n.starts_with(&prefix))
                .map(|(_, p)| p)
                .collect();
            if matched.is_empty() || name.is_empty() {
                return Err(UnknownColumn {
                    name: name.to_string(),
                    close: self.close_to(name),
                });
            }
            for p in matched {
                if !paths.contains(p) {
                    paths.push(p.clone());
                }
            }
        }
        Ok(Columns::from_paths(paths))
    }

    /// Up to five column names that look like `name`, closest first.
    fn close_to(&self, name: &str) -> Vec<String> {
        let name = name.to_ascii_lowercase();
        let budget = (name.chars().count() / 3).max(2);
        let mut scored: Vec<(usize, &String)> = self
            .names
            .iter()
            .filter_map(|n| {
                let lower = n.to_ascii_lowercase();
                let last = lower.rsplit('.').next().unwrap_or(&lower);
                let d = edit_distance(&name, &lower).min(edit_distance(&name, last) + 1);
                if d <= budget {
                    Some((d, n))
                } else if name.len() >= 3 && lower.contains(&name) {
                    Some((budget + 1, n))
                } else {
                    None
                }
            })
            .collect();
        scored.sort();
        scored.into_iter().take(5).map(|(_, n)| n.clone()).collect()
    }

    fn push(&mut self, path: &[String]) {
        let name = path.join(".");
        if !self.names.contains(&name) {
            self.tree.insert(path, self.names.len());
            self.names.push(name);
            self.paths.push(path.to_vec());
        }
    }

    /// Append one CSV row per item to `out`, and return it.
    ///
    /// Rows are written as the `csv` crate writes records (RFC 4180, `\n` line ends, quotes
    /// only where needed), straight into `out`: the end-to-end tests compare the two.
    pub fn write_rows(
        &self,
        items: &[RawItem],
        formulas: Formulas,
        mut out: Vec<u8>,
    ) -> Result<Vec<u8>, RowError> {
        let mut cells: Vec<Option<Span<'_>>> = vec![None; self.names.len()];
        for item in items {
            cells.fill(None);
            // A `RawItem` is one JSON value without surrounding whitespace; walking its members
            // checks that it is an object.
            self.tree.fill(item.as_bytes(), &mut cells)?;
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let field = cell_bytes(*cell, formulas)?;
                if field.is_empty() && cells.len() == 1 {
                    // A record of one empty field must not read as an empty line.
                    out.extend_from_slice(b"\"\"");
                } else {
                    push_field(&mut out, &field);
                }
            }
            out.push(b'\n');
        }
        Ok(out)
    }
}

/// Bytes that make a CSV field need quotes: the delimiter, the quote and line ends.
const NEEDS_QUOTES: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// Append one CSV field: as is, or quoted with its quotes doubled when it needs quotes.
fn push_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field.iter().any(|&b| NEEDS_QUOTES[b as usize]) {
        out.extend_from_slice(field);
        return;
    }
    out.reserve(field.len() + 8);
    out.push(b'"');
    for (i, part) in field.split(|&b| b == b'"').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(part);
    }
    out.push(b'"');
}

/// One value as the bytes of a CSV cell (before CSV quoting).
fn cell_bytes(value: Option<Span<'_>>, formulas: Formulas) -> Result<Cow<'_, [u8]>, ScanError> {
    let Some(value) = value else {
        return Ok(Cow::Borrowed(b""));
    };
    Ok(match value.kind {
        Kind::Null => Cow::Borrowed(b""),
        Kind::Bool | Kind::Number => Cow::Borrowed(value.text),
        Kind::Array | Kind::Object => json_scan::compact(&value),
        Kind::String => {
            let s = json_scan::unescape(value.text, value.plain)?;
            if formulas == Formulas::Escape && looks_like_formula(&s) {
                let mut escaped = Vec::with_capacity(s.len() + 1);
                escaped.push(b'\'');
                escaped.extend_from_slice(&s);
                Cow::Owned(escaped)
            } else {
                s
            }
        }
    })
}

/// Levenshtein distance (column names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

fn collect_keys(v: &Value, path: &mut Vec<String>, paths: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(map) if path.len() < MAX_DEPTH && !map.is_empty() => {
            for (k, sub) in map {
                path.push(k.clone());
                collect_keys(sub, path, paths);
                path.pop();
            }
        }
        _ if path.is_empty() => {}
        _ => {
            if !paths.contains(path) {
                paths.push(path.clone());
            }
        }
    }
}

/// Whether a schema admits only `null`: the second alternative of the spec's nullable
/// reference (`oneOf: [$ref, {type: object, nullable: true, enum: [null]}]`), or `type: null`.
pub(crate) fn is_null_schema(schema: &Yaml) -> bool {
    schema.get("type").and_then(Yaml::as_str) == Some("null")
        || schema
            .get("enum")
            .and_then(Yaml::as_sequence)
            .is_some_and(|values| !values.is_empty() && values.iter().all(Yaml::is_null))
}

/// Follow `$ref`s and `allOf`/`oneOf`/`anyOf` (the spec's idiom for a nullable reference,
/// and for a field with several documented shapes) down to the object schemas a value may
/// have, with the names of the models they are. `Err` when the value is not always an object
/// with declared properties (or refers to itself): it is then written as one JSON cell.
fn resolve<'a>(
    schemas: &'a serde_yaml::Mapping,
    schema: &'a Yaml,
    stack: &[String],
    out: &mut Vec<(&'a Yaml, Option<String>)>,
) -> Result<(), ()> {
    if let Some(r) = schema.get("$ref").and_then(Yaml::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r).to_string();
        if stack.contains(&name) {
            return Err(()); // a cycle: write the value as JSON
        }
        let target = schemas.get(name.as_str()).ok_or(())?;
        let before = out.len();
        resolve(schemas, target, stack, out)?;
        for entry in &mut out[before..] {
            entry.1.get_or_insert_with(|| name.clone());
        }
        return Ok(());
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get(key).and_then(Yaml::as_sequence) {
            let parts: Vec<&Yaml> = parts.iter().filter(|p| !is_null_schema(p)).collect();
            if parts.is_empty() {
                return Err(());
            }
            for part in parts {
                resolve(schemas, part, stack, out)?;
            }
            return Ok(());
        }
    }
    let is_object = schema.get("type").and_then(Yaml::as_str) != Some("array")
        && schema
            .get("properties")
            .and_then(Yaml::as_mapping)
            .is_some_and(|p| !p.is_empty());
    if !is_object {
        return Err(());
    }
    out.push((schema, None));
    Ok(())
}

/// Whether a property exists in API version `version`.
fn in_version(prop: &Yaml, version: &str) -> bool {
    let since = prop.get("x-cro-since").and_then(Yaml::as_str);
    let removed = prop.get("x-cro-removed-in").and_then(Yaml::as_str);
    // `YYYY/MM/DD` strings order like the dates they are.
    since.is_none_or(|s| version >= s) && removed.is_none_or(|r| version < r)
}

/// The properties of the object `shapes` (the union of their properties, in spec order) that
/// exist in `version`, identity first: `id` (or, in versions before a rename to `id`, the
/// field that was renamed), then `name`, then the rest in spec order.
fn ordered_properties<'a>(
    shapes: &[(&'a Yaml, Option<String>)],
    version: &str,
) -> Vec<(&'a str, &'a Yaml)> {
    // The union of the shapes' properties that exist in `version` (a key may be absent from
    // one shape in this version and present in another).
    let mut all: Vec<(&'a str, &'a Yaml)> = Vec::new();
    let mut id_since = None;
    for (schema, _) in shapes {
        let Some(props) = schema.get("properties").and_then(Yaml::as_mapping) else {
            continue;
        };
        for (key, prop) in props {
            let Some(key) = key.as_str() else { continue };
            if key == IDENTITY[0] {
                id_since = id_since.or(prop.get("x-cro-since").and_then(Yaml::as_str));
            }
            if in_version(prop, version) && !all.iter().any(|(k, _)| *k == key) {
                all.push((key, prop));
            }
        }
    }
    // `id_since` is the version in which a field was renamed to `id`, if one was: that field
    // (`customer_id`) is the identity in older versions.
    let renamed_to_id = |key: &str, prop: &Yaml| {
        id_since.is_some()
            && prop.get("x-cro-removed-in").and_then(Yaml::as_str) == id_since
            && key.ends_with("_id")
    };
    let rank = |key: &str, prop: &Yaml| -> usize {
        if key == IDENTITY[0] || renamed_to_id(key, prop) {
            0
        } else if key == IDENTITY[1] {
            1
        } else {
            2
        }
    };
    // A stable sort keeps the spec order within each rank.
    all.sort_by_key(|(k, p)| rank(k, p));
    all
}

fn expand(
    schemas: &serde_yaml::Mapping,
    schema: &Yaml,
    path: &mut Vec<String>,
    version: &str,
    stack: &mut Vec<String>,
    paths: &mut Vec<Vec<String>>,
) {
    let mut shapes = Vec::new();
    if path.len() >= MAX_DEPTH || resolve(schemas, schema, stack, &mut shapes).is_err() {
        if !path.is_empty() {
            paths.push(path.clone());
        }
        return;
    }
    let names: Vec<String> = shapes.iter().filter_map(|(_, n)| n.clone()).collect();
    let depth = stack.len();
    stack.extend(names);
    for (key, prop) in ordered_properties(&shapes, version) {
        path.push(key.to_string());
        expand(schemas, prop, path, version, stack, paths);
        path.pop();
    }
    stack.truncate(depth);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(items: &[Value]) -> Vec<RawItem> {
        items
            .iter()
            .map(|v| RawItem::from_json(v.to_string().into_bytes()).unwrap())
            .collect()
    }

    fn rows(cols: &Columns, items: &[&str], formulas: Formulas) -> String {
        let items: Vec<RawItem> = items
            .iter()
            .map(|s| RawItem::from_json(s.as_bytes().to_vec()).unwrap())
            .collect();
        String::from_utf8(cols.write_rows(&items, formulas, Vec::new()).unwrap()).unwrap()
    }

    #[test]
    fn identity_comes_first_then_spec_order() {
        let cols = Columns::from_schema("DispatchCustomerLocationModel", "2023/04/19").unwrap();
        assert_eq!(
            cols.names()[..4],
            ["id", "name", "account_number_1", "account_number_2"]
        );
        assert!(!cols.names().contains(&"customer_id".to_string()));
        // Before the rename, the old name of `id` leads.
        let old = Columns::from_schema("DispatchCustomerLocationModel", "2019/02/08").unwrap();
        assert_eq!(old.names()[..2], ["customer_id", "name"]);
        assert!(!old.names().contains(&"id".to_string()));
        // Arrays are single JSON cells.
        assert!(cols.names().contains(&"addresses".to_string()));
        assert!(!cols.names().iter().any(|n| n.starts_with("addresses.")));
    }

    #[test]
    fn every_nested_object_flattens_the_same_way() {
        let cols = Columns::from_schema("JobModel", "2023/04/19").unwrap();
        let names = cols.names();
        assert_eq!(names[0], "id");
        for object in ["asset", "customer"] {
            assert!(
                !names.contains(&object.to_string()),
                "{object} is flattened"
            );
            let first = names
                .iter()
                .position(|n| n.starts_with(&format!("{object}.")));
            let first = first.unwrap_or_else(|| panic!("{object}.* columns: {names:?}"));
            // Identity first inside nested objects, too.
            assert_eq!(names[first], format!("{object}.id"));
        }
        assert!(names.contains(&"customer.name".to_string()));
        assert!(names.contains(&"customer.addresses".to_string()));
        // The job's customer changed shape in 2021/11/04: the header follows the version.
        let old = Columns::from_schema("JobModel", "2019/02/08").unwrap();
        assert!(old.names().contains(&"created_by_id".to_string()));
        assert!(!cols.names().contains(&"created_by_id".to_string()));
    }

    #[test]
    fn rows_follow_the_columns() {
        let cols = Columns::from_items([
            &json!({"id": 1, "a": {"b": "x", "c": null}, "l": [1, {"k": "v"}]}),
        ]);
        // Sample-derived columns come in key order (serde_json maps are sorted).
        assert_eq!(cols.names(), ["a.b", "a.c", "id", "l"]);
        let out = rows(
            &cols,
            &[
                r#"{"id":2,"l":[],"extra":1}"#,
                r#"{"l":[ {"k" : "v"} ],"a":{"c":true,"b":"y"},"id":3}"#,
                // A value of unexpected shape in a leaf column is kept (as JSON), never dropped;
                // a scalar where an object was expected gives empty cells.
                r#"{"id":{"odd":1},"a":"flat"}"#,
            ],
            Formulas::Escape,
        );
        assert_eq!(
            out,
            ",,2,[]\ny,true,3,\"[{\"\"k\"\":\"\"v\"\"}]\"\n,,\"{\"\"odd\"\":1}\",\n"
        );
    }

    #[test]
    fn numbers_are_written_exactly_and_strings_unescaped() {
        let cols = Columns::from_items([&json!({"n": 1, "s": "x"})]);
        let out = rows(
            &cols,
            &[
                r#"{"n":99999999999999999999999,"s":"a\"b\u00e9"}"#,
                r#"{"n":-1.50e3,"s":"c,d"}"#,
            ],
            Formulas::Escape,
        );
        assert_eq!(
            out,
            "99999999999999999999999,\"a\"\"bé\"\n-1.50e3,\"c,d\"\n"
        );
    }

    #[test]
    fn formula_cells_are_escaped_unless_raw() {
        let cols = Columns::from_items([&json!({"n": 1, "s": "x"})]);
        let items = [
            r#"{"n":-3,"s":"=HYPERLINK(\"http://x\")"}"#,
            r#"{"n":1,"s":"+1"}"#,
            r#"{"n":1,"s":"-2"}"#,
            r#"{"n":1,"s":"@SUM(A1)"}"#,
            r#"{"n":1,"s":"\tx"}"#,
            r#"{"n":1,"s":"\rx"}"#,
            r#"{"n":1,"s":"a=b"}"#,
        ];
        let out = rows(&cols, &items, Formulas::Escape);
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(out.as_bytes());
        let cells: Vec<(String, String)> = r
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), r[1].to_string())
            })
            .collect();
        assert_eq!(cells[0], ("-3".into(), "'=HYPERLINK(\"http://x\")".into()));
        let strings: Vec<&str> = cells.iter().map(|c| c.1.as_str()).collect();
        assert_eq!(
            strings[1..],
            ["'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "a=b"]
        );
        let out = rows(&cols, &items, Formulas::Raw);
        assert!(
            out.starts_with("-3,\"=HYPERLINK(\"\"http://x\"\")\"\n1,+1\n"),
            "{out}"
        );
    }

    #[test]
    fn select_orders_and_explains_unknown_names() {
        let cols = Columns::from_schema("JobModel", "2023/04/19").unwrap();
        let picked = cols
            .select(&["type".into(), "id".into(), "customer.name".into()])
            .unwrap();
        assert_eq!(picked.names(), ["type", "id", "customer.name"]);
        // An object name stands for all of its columns.
        let asset = cols.select(&["asset".into()]).unwrap();
        assert!(asset.names().len() > 1);
        assert!(asset.names().iter().all(|n| n.starts_with("asset.")));
        let err = cols
            .select(&["id".into(), "custmer.name".into()])
            .unwrap_err();
        assert_eq!(err.name, "custmer.name");
        assert_eq!(err.close[0], "customer.name");
        assert!(
            err.to_string().contains("did you mean `customer.name`"),
            "{err}"
        );
        let err = cols.select(&["zzzzzzzz".into()]).unwrap_err();
        assert!(err.close.is_empty());
        assert!(cols.select(&[String::new()]).is_err());
        // Selected rows hold the selected cells only.
        let out = rows(
            &picked,
            &[r#"{"id":7,"type":"D","customer":{"name":"Acme","id":1}}"#],
            Formulas::Escape,
        );
        assert_eq!(out, "D,7,Acme\n");
    }

    #[test]
    fn raw_items_give_fallback_columns() {
        let items = raw(&[json!({"b": 1}), json!({"a": {"c": 2}})]);
        assert_eq!(Columns::from_raw_items(&items).names(), ["b", "a.c"]);
    }

    #[test]
    fn fields_are_quoted_as_the_csv_crate_quotes_them() {
        let fields: [&[u8]; 7] = [
            b"",
            b"plain",
            b"a,b",
            b"say \"hi\"",
            b"l1\nl2",
            b"cr\r",
            b"'x",
        ];
        let mut expected = csv::WriterBuilder::new().from_writer(Vec::new());
        expected.write_record(fields).unwrap();
        let mut ours = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                ours.push(b',');
            }
            push_field(&mut ours, f);
        }
        ours.push(b'\n');
        assert_eq!(ours, expected.into_inner().unwrap());
        // A single empty column is written as "" (not an empty line), as the csv crate does.
        let one = Columns::from_items([&json!({"n": 1})]);
        assert_eq!(
            rows(&one, &[r#"{"n":null}"#, r#"{"n":2}"#], Formulas::Escape),
            "\"\"\n2\n"
        );
    }

    #[test]
    fn non_objects_are_row_errors() {
        let cols = Columns::from_items([&json!({"n": 1})]);
        let items = raw(&[json!([1])]);
        assert!(
            cols.write_rows(&items, Formulas::Escape, Vec::new())
                .is_err()
        );
    }

    #[test]
    fn unknown_model_has_no_schema_columns() {
        assert!(Columns::from_schema("NoSuchModel", "2023/04/19").is_none());
    }

    #[test]
    fn every_list_model_has_columns_with_identity_first() {
        for version in cro_api::meta::API_VERSIONS {
            for r in crate::resources::table() {
                let cols = Columns::from_schema(r.item_model, version)
                    .unwrap_or_else(|| panic!("{}: no columns", r.item_model));
                let n = cols.names();
                let mut unique = n.to_vec();
                unique.sort();
                unique.dedup();
                assert_eq!(unique.len(), n.len(), "{}: duplicate column", r.name);
                if n.iter().any(|c| c == "id") {
                    assert_eq!(n[0], "id", "{} at {version}", r.name);
                }
            }
        }
    }
}
