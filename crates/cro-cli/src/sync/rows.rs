//! From an item's JSON, as the server sent it, to one row: only the top-level fields the table
//! has are read, scalars are converted, and nested values are kept as their JSON text.
//!
//! A row keeps the item's bytes (a shared slice of the page body, no copy) and records where
//! each text value lies in them, so that a million rows cost no per-cell allocation: the
//! sink binds text straight from the server's bytes. Only strings with escapes (rare) are
//! unescaped into the row's own buffer.

use super::tables::{ColumnKind, Table};
use crate::export::json_scan::{self, Kind, Span};
use bytes::Bytes;
use std::borrow::Cow;
use std::ops::Range;

/// One value of a row, as every sink binds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// SQL NULL (JSON `null` or a missing field).
    Null,
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// A boolean.
    Bool(bool),
    /// UTF-8 text: strings, timestamps as sent, JSON text of nested values, and numbers that
    /// do not fit their column (kept exactly rather than rounded).
    Text(&'a [u8]),
}

/// Where a cell's value is: converted in place, or text in the item or the row's buffer.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    /// Text at this range of the item's JSON.
    InItem(Range<u32>),
    /// Unescaped text at this range of [`Row::unescaped`].
    Unescaped(Range<u32>),
}

/// One item, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The item's JSON as received (valid UTF-8: it comes from a parsed page).
    item: Bytes,
    /// Strings of this item that had escapes, unescaped (usually empty: no allocation).
    unescaped: String,
    /// The item's identity as text (`_cro_id`).
    id: Slot,
    /// The item's last-change time as sent, when the table has such a field.
    updated: Option<Slot>,
    /// One cell per column of the table, in the table's order.
    cells: Vec<Slot>,
    /// Hash of the item's JSON (`_cro_hash`): equal JSON, equal hash.
    pub hash: i64,
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
    /// The item is too large to be a row (its values are located by 32-bit offsets).
    #[error("an item of {0} bytes is larger than a row can be (4 GiB)")]
    TooLarge(usize),
}

impl Row {
    fn value<'a>(&'a self, slot: &Slot) -> Value<'a> {
        match slot {
            Slot::Null => Value::Null,
            Slot::Int(i) => Value::Int(*i),
            Slot::Real(f) => Value::Real(*f),
            Slot::Bool(b) => Value::Bool(*b),
            Slot::InItem(r) => Value::Text(&self.item[r.start as usize..r.end as usize]),
            Slot::Unescaped(r) => {
                Value::Text(&self.unescaped.as_bytes()[r.start as usize..r.end as usize])
            }
        }
    }

    /// The item's identity (`_cro_id`), as UTF-8 text.
    pub fn id(&self) -> &[u8] {
        match self.value(&self.id) {
            Value::Text(t) => t,
            _ => b"",
        }
    }

    /// The item's last-change time as the server wrote it, if the table has such a field and
    /// the item a string in it.
    pub fn updated(&self) -> Option<Cow<'_, str>> {
        match self.value(self.updated.as_ref()?) {
            // Valid UTF-8 by construction (see `item`); the lossy path is never taken.
            Value::Text(t) => Some(String::from_utf8_lossy(t)),
            _ => None,
        }
    }

    /// One value per column of the table, in the table's order.
    pub fn values(&self) -> impl Iterator<Item = Value<'_>> + '_ {
        self.cells.iter().map(|s| self.value(s))
    }
}

/// Builds rows of one table, remembering where each field was last found: the server sends
/// every item's fields in the same order, so the next field is almost always the next
/// column, and finding it costs one comparison rather than a scan of every column name.
pub struct RowBuilder<'t> {
    table: &'t Table,
    /// The column to try first for the next field: the one after the last match.
    next_guess: usize,
}

impl<'t> RowBuilder<'t> {
    /// A builder for `table`.
    pub fn new(table: &'t Table) -> Self {
        RowBuilder {
            table,
            next_guess: 0,
        }
    }

    /// The column named `key`, trying the one after the last match first.
    fn column_of(&mut self, key: &[u8]) -> Option<usize> {
        let columns = &self.table.columns;
        let hit = match columns.get(self.next_guess) {
            Some(c) if c.name.as_bytes() == key => Some(self.next_guess),
            _ => columns.iter().position(|c| c.name.as_bytes() == key),
        };
        if let Some(i) = hit {
            self.next_guess = i + 1;
        }
        hit
    }

    /// Convert one item (`json` is the item's JSON, valid UTF-8).
    pub fn row(&mut self, json: Bytes) -> Result<Row, RowError> {
        if u32::try_from(json.len()).is_err() {
            return Err(RowError::TooLarge(json.len()));
        }
        let table = self.table;
        let mut row = Row {
            item: Bytes::new(),
            unescaped: String::new(),
            id: Slot::Null,
            updated: None,
            cells: vec![Slot::Null; table.columns.len()],
            hash: hash(&json),
        };
        self.next_guess = 0;
        let base = json.as_ptr() as usize;
        let offset = |span: &Span<'_>| (span.text.as_ptr() as usize - base) as u32;
        let mut id = None;
        let mut updated = None;
        let scan = json_scan::members(&json, |key, span| {
            if span.kind == Kind::Null {
                return Ok(());
            }
            let key: &[u8] = &key;
            if key == table.id_field.as_bytes() {
                id = Some(text_slot(&span, offset(&span), &mut row.unescaped)?);
            }
            if table.updated_field.as_deref().map(str::as_bytes) == Some(key)
                && span.kind == Kind::String
            {
                updated = Some(text_slot(&span, offset(&span), &mut row.unescaped)?);
            }
            if let Some(i) = self.column_of(key) {
                row.cells[i] = cell(
                    table.columns[i].kind,
                    &span,
                    offset(&span),
                    &mut row.unescaped,
                )?;
            }
            Ok(())
        });
        scan.map_err(|e| RowError::NotAnObject(e.to_string()))?;
        row.item = json;
        row.updated = updated;
        row.id = match id {
            Some(slot) if !matches!(row.value(&slot), Value::Text(b"")) => slot,
            _ => return Err(RowError::NoId(table.id_field.clone())),
        };
        Ok(row)
    }
}

/// A 64-bit hash of the item's JSON (XXH3, a fixed published algorithm, so hashes stored by
/// one version of `cro` compare equal in the next), as the signed integer both SQLite and
/// PostgreSQL store natively. Only used to tell changed items from unchanged ones.
fn hash(json: &[u8]) -> i64 {
    i64::from_ne_bytes(xxhash_rust::xxh3::xxh3_64(json).to_ne_bytes())
}

/// A JSON value as a cell of `kind`; values of another type than the column's are kept as
/// text rather than dropped or coerced.
fn cell(
    kind: ColumnKind,
    span: &Span<'_>,
    at: u32,
    unescaped: &mut String,
) -> Result<Slot, json_scan::ScanError> {
    let number = || std::str::from_utf8(span.text).ok();
    let converted = match (kind, span.kind) {
        (ColumnKind::Integer, Kind::Number) => number().and_then(|t| t.parse().ok()).map(Slot::Int),
        (ColumnKind::Real, Kind::Number) => number()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|f| f.is_finite())
            .map(Slot::Real),
        (ColumnKind::Boolean, Kind::Bool) => Some(Slot::Bool(span.text == b"true")),
        (ColumnKind::Json, _) => Some(Slot::InItem(at..at + span.text.len() as u32)),
        _ => None,
    };
    match converted {
        Some(slot) => Ok(slot),
        None => text_slot(span, at, unescaped),
    }
}

/// Strings unescaped (in place when they have no escape); anything else as its JSON text.
fn text_slot(
    span: &Span<'_>,
    at: u32,
    unescaped: &mut String,
) -> Result<Slot, json_scan::ScanError> {
    let len = span.text.len() as u32;
    if span.kind != Kind::String {
        return Ok(Slot::InItem(at..at + len));
    }
    match json_scan::unescape(span.text, span.plain)? {
        Cow::Borrowed(_) => Ok(Slot::InItem(at + 1..at + len - 1)),
        Cow::Owned(text) => {
            let start = unescaped.len() as u32;
            unescaped.push_str(&String::from_utf8_lossy(&text));
            Ok(Slot::Unescaped(start..unescaped.len() as u32))
        }
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

    fn row(json: &'static [u8]) -> Result<Row, RowError> {
        RowBuilder::new(&table()).row(Bytes::from_static(json))
    }

    #[test]
    fn scalars_nested_and_missing_fields() {
        let r = row(
            br#"{"id":7,"name":"A \"q\"","ok":true,"tags":[1, 2],"last_updated_on":"2024-01-02T03:04:05","extra":1}"#,
        )
        .unwrap();
        assert_eq!(r.id(), b"7");
        assert_eq!(
            r.values().collect::<Vec<_>>(),
            vec![
                Value::Int(7),
                Value::Text(b"A \"q\""),
                Value::Bool(true),
                Value::Null,
                Value::Text(b"2024-01-02T03:04:05"),
                Value::Text(b"[1, 2]"),
            ]
        );
        assert_eq!(r.updated().as_deref(), Some("2024-01-02T03:04:05"));
    }

    #[test]
    fn fields_in_any_order_and_values_of_another_type() {
        let r = row(br#"{"tags":{"a":1},"rate":"high","ok":1,"name":"\u00e9t\u00e9","id":"x-1"}"#)
            .unwrap();
        assert_eq!(r.id(), b"x-1");
        assert_eq!(
            r.values().collect::<Vec<_>>(),
            vec![
                Value::Text(b"x-1"),
                Value::Text("été".as_bytes()),
                Value::Text(b"1"),
                Value::Text(b"high"),
                Value::Null,
                Value::Text(br#"{"a":1}"#),
            ]
        );
        assert_eq!(r.updated(), None);
        let real = row(br#"{"id":1,"rate":2.5e0}"#).unwrap();
        assert_eq!(real.values().nth(3), Some(Value::Real(2.5)));
    }

    #[test]
    fn big_numbers_stay_exact_and_hash_follows_content() {
        let a = row(br#"{"id":99999999999999999999999}"#).unwrap();
        assert_eq!(
            a.values().next(),
            Some(Value::Text(b"99999999999999999999999"))
        );
        assert_eq!(a.id(), b"99999999999999999999999");
        let b = row(br#"{"id":99999999999999999999999,"name":"x"}"#).unwrap();
        assert_ne!(a.hash, b.hash);
        assert_eq!(
            a.hash,
            row(br#"{"id":99999999999999999999999}"#).unwrap().hash
        );
    }

    #[test]
    fn items_without_identity_are_errors() {
        assert!(matches!(row(br#"{"name":"x"}"#), Err(RowError::NoId(_))));
        assert!(matches!(row(br#"{"id":null}"#), Err(RowError::NoId(_))));
        assert!(matches!(row(br#"{"id":""}"#), Err(RowError::NoId(_))));
        assert!(matches!(row(b"[1]"), Err(RowError::NotAnObject(_))));
        assert!(matches!(row(br#"{"id":1"#), Err(RowError::NotAnObject(_))));
    }
}
