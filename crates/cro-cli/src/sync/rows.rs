//! From an item's JSON, as the server sent it, to one row: only the top-level fields the table
//! has are read, scalars are converted, and nested values are kept as their JSON text.

use super::tables::{ColumnKind, Table};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;

/// One value of a row, in the form every sink can bind.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL (JSON `null` or a missing field).
    Null,
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// A boolean.
    Bool(bool),
    /// Text: strings, timestamps as sent, JSON text of nested values, and numbers that do
    /// not fit their column (kept exactly rather than rounded).
    Text(String),
}

/// One item, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The item's identity as text (`_cro_id`).
    pub id: String,
    /// Hash of the item's JSON (`_cro_hash`): equal JSON, equal hash.
    pub hash: i64,
    /// One cell per column of the table, in the table's order.
    pub cells: Vec<Cell>,
    /// The item's last-change time as sent, when the table has such a field.
    pub updated: Option<String>,
}

/// Why an item could not become a row.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// The item is not a JSON object.
    #[error("an item is not a JSON object: {0}")]
    NotAnObject(String),
    /// The item has no usable identity.
    #[error("an item has no `{0}` (its identity)")]
    NoId(String),
}

/// The top-level fields of an object, in order, values unparsed. A list rather than a hash
/// map: items have a few dozen fields, and hashing every key of a million items cost more
/// than scanning these short lists.
struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Fields<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for FieldsVisitor<'a> {
            type Value = Fields<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Fields<'a>, M::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(32));
                while let Some(entry) = map.next_entry::<Cow<'a, str>, &'a RawValue>()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor(std::marker::PhantomData))
    }
}

/// Convert one item of `table`.
pub fn row(table: &Table, json: &[u8]) -> Result<Row, RowError> {
    let Fields(fields) =
        serde_json::from_slice(json).map_err(|e| RowError::NotAnObject(e.to_string()))?;
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
            .filter(|v| v.get() != "null")
    };
    let id = match get(&table.id_field) {
        Some(v) => match text_of(v) {
            Cell::Text(t) if !t.is_empty() => t,
            _ => return Err(RowError::NoId(table.id_field.clone())),
        },
        None => return Err(RowError::NoId(table.id_field.clone())),
    };
    let cells = table
        .columns
        .iter()
        .map(|c| get(&c.name).map_or(Cell::Null, |v| cell(c.kind, v)))
        .collect();
    let updated = table
        .updated_field
        .as_deref()
        .and_then(get)
        .and_then(|v| serde_json::from_str::<String>(v.get()).ok());
    Ok(Row {
        id,
        hash: hash(json),
        cells,
        updated,
    })
}

/// The first 8 bytes of the SHA-256 of the item's JSON, as a signed 64-bit integer (what both
/// SQLite and PostgreSQL store natively).
fn hash(json: &[u8]) -> i64 {
    let digest = Sha256::digest(json);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// A JSON value as a cell of `kind`; values of another type than the column's are kept as
/// text rather than dropped or coerced.
fn cell(kind: ColumnKind, v: &RawValue) -> Cell {
    let text = v.get();
    match kind {
        ColumnKind::Integer => text.parse().map_or_else(|_| text_of(v), Cell::Int),
        ColumnKind::Real => match text.parse::<f64>() {
            Ok(f) if f.is_finite() && !text.starts_with('"') => Cell::Real(f),
            _ => text_of(v),
        },
        ColumnKind::Boolean => match text {
            "true" => Cell::Bool(true),
            "false" => Cell::Bool(false),
            _ => text_of(v),
        },
        ColumnKind::Text | ColumnKind::Timestamp => text_of(v),
        ColumnKind::Json => Cell::Text(text.to_owned()),
    }
}

/// Strings unescaped; anything else as its JSON text.
fn text_of(v: &RawValue) -> Cell {
    match serde_json::from_str::<String>(v.get()) {
        Ok(s) => Cell::Text(s),
        Err(_) => Cell::Text(v.get().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tables::Column;
    use super::*;

    fn table() -> Table {
        let col = |name: &str, kind| Column {
            name: name.into(),
            kind,
        };
        Table {
            name: "things".into(),
            model: "ThingModel",
            columns: vec![
                col("id", ColumnKind::Integer),
                col("name", ColumnKind::Text),
                col("ok", ColumnKind::Boolean),
                col("rate", ColumnKind::Real),
                col("last_updated_on", ColumnKind::Timestamp),
                col("tags", ColumnKind::Json),
            ],
            id_field: "id".into(),
            updated_field: Some("last_updated_on".into()),
        }
    }

    #[test]
    fn scalars_nested_and_missing_fields() {
        let r = row(
            &table(),
            br#"{"id":7,"name":"A \"q\"","ok":true,"tags":[1, 2],"last_updated_on":"2024-01-02T03:04:05","extra":1}"#,
        )
        .unwrap();
        assert_eq!(r.id, "7");
        assert_eq!(
            r.cells,
            vec![
                Cell::Int(7),
                Cell::Text("A \"q\"".into()),
                Cell::Bool(true),
                Cell::Null,
                Cell::Text("2024-01-02T03:04:05".into()),
                Cell::Text("[1, 2]".into()),
            ]
        );
        assert_eq!(r.updated.as_deref(), Some("2024-01-02T03:04:05"));
    }

    #[test]
    fn big_numbers_stay_exact_and_hash_follows_content() {
        let a = row(&table(), br#"{"id":99999999999999999999999}"#).unwrap();
        assert_eq!(a.cells[0], Cell::Text("99999999999999999999999".into()));
        let b = row(&table(), br#"{"id":99999999999999999999999,"name":"x"}"#).unwrap();
        assert_ne!(a.hash, b.hash);
        assert_eq!(
            a.hash,
            row(&table(), br#"{"id":99999999999999999999999}"#)
                .unwrap()
                .hash
        );
    }

    #[test]
    fn items_without_identity_are_errors() {
        assert!(matches!(
            row(&table(), br#"{"name":"x"}"#),
            Err(RowError::NoId(_))
        ));
        assert!(matches!(
            row(&table(), br#"{"id":null}"#),
            Err(RowError::NoId(_))
        ));
        assert!(matches!(
            row(&table(), b"[1]"),
            Err(RowError::NotAnObject(_))
        ));
    }
}
