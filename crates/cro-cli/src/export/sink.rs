//! Output formats: encoding pages of items into bytes ([`Encoder`]) and writing them in order
//! on a dedicated thread ([`Writer`]).
//!
//! Pages are encoded where they are fetched (each producer encodes its own pages, so encoding
//! runs in parallel with the network and with the writer) and travel as [`Chunk`]s through a
//! bounded channel to the single writer. Memory is therefore bounded by the channel capacity
//! and the pager's prefetch window, whatever the size of the export.
//!
//! - `ndjson`: one JSON object per line, as the server sent it.
//! - `json`: one JSON array, streamed: `[`, then items separated by `,\n`, then `]`.
//! - `csv`: a header row, then one row per item, built from the item's JSON text; see
//!   [`super::columns`] for the columns and cells.
//!
//! Every format reads the records as the server sent them ([`RawItem`]); none decodes them
//! into the typed models.

use super::columns::{Columns, Formulas};
use cro_ext::RawItem;
use std::io::{self, Write};
use std::sync::{Arc, OnceLock};

/// Output format of `cro export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Newline-delimited JSON: one object per line (default; best for streaming tools).
    Ndjson,
    /// One JSON array (streamed, never held in memory).
    Json,
    /// CSV with a header row; nested objects flattened to dotted columns, arrays as JSON cells.
    Csv,
}

impl Format {
    /// The format a file name asks for by its extension (`.csv`, `.json`, `.ndjson`,
    /// `.jsonl`; any case), if any.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }

    /// The name of the format as `--format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

/// Encoded items of one page.
#[derive(Debug, Default)]
pub struct Chunk {
    /// Encoded bytes (for `json`, the items separated by `,\n`, without outer brackets).
    pub bytes: Vec<u8>,
    /// Number of items encoded.
    pub records: u64,
}

/// Encodes pages of items; cheap to clone (one per producer).
#[derive(Debug, Clone)]
pub struct Encoder {
    format: Format,
    /// CSV only: the column set, fixed by the schema up front, or by the first page encoded
    /// when the schema is unknown.
    columns: Arc<OnceLock<Columns>>,
    /// CSV only: what to do with cells that look like formulas.
    formulas: Formulas,
}

/// An item could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode an item as {format:?}: {reason}")]
pub struct EncodeError {
    format: Format,
    reason: String,
}

impl Encoder {
    /// An encoder for `format`; for CSV, `columns` from the schema when known (else taken from
    /// the first page), with formula cells escaped.
    pub fn new(format: Format, columns: Option<Columns>) -> Self {
        let cell = OnceLock::new();
        if let Some(c) = columns {
            let _ = cell.set(c);
        }
        Encoder {
            format,
            columns: Arc::new(cell),
            formulas: Formulas::Escape,
        }
    }

    /// The same encoder with CSV formula cells handled as `formulas` says.
    pub fn with_formulas(mut self, formulas: Formulas) -> Self {
        self.formulas = formulas;
        self
    }

    /// The CSV columns, once known.
    pub fn columns(&self) -> Option<&Columns> {
        self.columns.get()
    }

    fn err(&self, reason: impl ToString) -> EncodeError {
        EncodeError {
            format: self.format,
            reason: reason.to_string(),
        }
    }

    /// Encode one page of records kept as the server's JSON: for NDJSON and JSON a copy of
    /// their bytes with the format's separators, for CSV one row per record built from the
    /// JSON text (no serde, no typed models).
    pub fn encode_raw(&self, items: &[RawItem]) -> Result<Chunk, EncodeError> {
        let size: usize = items.iter().map(|i| i.as_bytes().len() + 2).sum();
        let mut bytes = Vec::with_capacity(size);
        match self.format {
            Format::Ndjson => {
                for item in items {
                    push_one_line(&mut bytes, item.as_bytes());
                    bytes.push(b'\n');
                }
            }
            Format::Json => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        bytes.extend_from_slice(b",\n");
                    }
                    bytes.extend_from_slice(item.as_bytes());
                }
            }
            Format::Csv => {
                let columns = self.columns.get_or_init(|| Columns::from_raw_items(items));
                bytes = columns
                    .write_rows(items, self.formulas, bytes)
                    .map_err(|e| self.err(e))?;
            }
        }
        Ok(Chunk {
            bytes,
            records: items.len() as u64,
        })
    }
}

/// Append one JSON value on a single line.
///
/// The API sends compact JSON, but a record with line breaks between its tokens (a
/// pretty-printing server or proxy) would break NDJSON. In valid JSON a raw CR or LF can only
/// be insignificant whitespace (inside strings they must be escaped), and tokens never need
/// it as a separator, so dropping them keeps the value identical. Only LF is looked for (one
/// scan per record on the hot path): a lone CR does not end an NDJSON line, so it can stay.
fn push_one_line(out: &mut Vec<u8>, json: &[u8]) {
    if json.contains(&b'\n') {
        out.extend(json.iter().copied().filter(|&b| b != b'\n' && b != b'\r'));
    } else {
        out.extend_from_slice(json);
    }
}

/// Writes chunks in arrival order, adding the format's framing (JSON brackets and
/// separators, the CSV header).
pub struct Writer<W: Write> {
    out: W,
    encoder: Encoder,
    started: bool,
    wrote_item: bool,
    records: u64,
}

impl<W: Write> Writer<W> {
    /// A writer over `out` (give it a buffered writer).
    pub fn new(out: W, encoder: Encoder) -> Self {
        Writer {
            out,
            encoder,
            started: false,
            wrote_item: false,
            records: 0,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        match self.encoder.format {
            Format::Json => self.out.write_all(b"[\n"),
            Format::Csv => match self.encoder.columns() {
                Some(cols) => {
                    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
                    w.write_record(cols.names())?;
                    let header = w
                        .into_inner()
                        .map_err(|e| io::Error::other(e.to_string()))?;
                    self.out.write_all(&header)
                }
                None => Ok(()),
            },
            Format::Ndjson => Ok(()),
        }
    }

    /// Write one chunk.
    pub fn write(&mut self, chunk: &Chunk) -> io::Result<()> {
        if chunk.records == 0 {
            return Ok(());
        }
        self.start()?;
        if self.encoder.format == Format::Json && self.wrote_item {
            self.out.write_all(b",\n")?;
        }
        self.out.write_all(&chunk.bytes)?;
        self.wrote_item = true;
        self.records += chunk.records;
        Ok(())
    }

    /// Close the framing and flush; returns the underlying writer and the record count.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.start()?;
        if self.encoder.format == Format::Json {
            self.out
                .write_all(if self.wrote_item { b"\n]\n" } else { b"]\n" })?;
        }
        self.out.flush()?;
        Ok((self.out, self.records))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn raw(page: &[Value]) -> Vec<RawItem> {
        page.iter()
            .map(|v| RawItem::from_json(v.to_string().into_bytes()).unwrap())
            .collect()
    }

    fn run(format: Format, pages: &[Vec<Value>], columns: Option<Columns>) -> String {
        let enc = Encoder::new(format, columns);
        let mut w = Writer::new(Vec::new(), enc.clone());
        for p in pages {
            w.write(&enc.encode_raw(&raw(p)).unwrap()).unwrap();
        }
        let (out, n) = w.finish().unwrap();
        assert_eq!(n, pages.iter().map(|p| p.len() as u64).sum::<u64>());
        String::from_utf8(out).unwrap()
    }

    fn pages() -> Vec<Vec<Value>> {
        vec![
            vec![json!({"id": 1, "name": "A, Inc.", "loc": {"id": 3}})],
            vec![],
            vec![
                json!({"id": 2, "name": "B \"quoted\"", "loc": null}),
                json!({"id": 3, "name": "C\nnewline", "loc": {"id": 4}}),
            ],
        ]
    }

    #[test]
    fn ndjson_one_object_per_line() {
        let out = run(Format::Ndjson, &pages(), None);
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["name"], "C\nnewline");
    }

    #[test]
    fn json_is_one_valid_array() {
        let out = run(Format::Json, &pages(), None);
        let v: Vec<Value> = serde_json::from_str(&out).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(run(Format::Json, &[], None), "[\n]\n");
        let empty: Vec<Value> = serde_json::from_str(&run(Format::Json, &[vec![]], None)).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn raw_items_are_written_verbatim() {
        let items: Vec<RawItem> = [
            "{\"id\":1,\"x\":null,\"new\":1.50}",
            "{\"id\":2,\n  \"s\":\"a\\nb\"\r\n}",
        ]
        .into_iter()
        .map(|s| RawItem::from_json(s.as_bytes().to_vec()).unwrap())
        .collect();
        let run = |format| {
            let enc = Encoder::new(format, None);
            let mut w = Writer::new(Vec::new(), enc.clone());
            w.write(&enc.encode_raw(&items[..1]).unwrap()).unwrap();
            w.write(&enc.encode_raw(&[]).unwrap()).unwrap();
            w.write(&enc.encode_raw(&items[1..]).unwrap()).unwrap();
            let (out, n) = w.finish().unwrap();
            assert_eq!(n, 2);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            run(Format::Ndjson),
            "{\"id\":1,\"x\":null,\"new\":1.50}\n{\"id\":2,  \"s\":\"a\\nb\"}\n"
        );
        let json = run(Format::Json);
        assert!(json.starts_with("[\n{\"id\":1,\"x\":null,\"new\":1.50},\n{\"id\":2,\n"));
        let v: Vec<Value> = serde_json::from_str(&json).unwrap();
        assert_eq!(v[1]["s"], "a\nb");
    }

    #[test]
    fn csv_header_and_quoting() {
        let out = run(Format::Csv, &pages(), None);
        let mut r = csv::Reader::from_reader(out.as_bytes());
        assert_eq!(r.headers().unwrap(), vec!["id", "loc.id", "name"]);
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][2], "A, Inc.");
        assert_eq!(&rows[1][2], "B \"quoted\"");
        assert_eq!(&rows[1][1], "");
        assert_eq!(&rows[2][2], "C\nnewline");
    }

    #[test]
    fn csv_formulas_are_escaped_by_default() {
        let page = vec![json!({"id": -1, "name": "=1+2"})];
        let cols = || Some(Columns::from_items([&json!({"id": 1, "name": "x"})]));
        assert_eq!(
            run(Format::Csv, std::slice::from_ref(&page), cols()),
            "id,name\n-1,'=1+2\n"
        );
        let enc = Encoder::new(Format::Csv, cols()).with_formulas(Formulas::Raw);
        let chunk = enc.encode_raw(&raw(&page)).unwrap();
        assert_eq!(chunk.bytes, b"-1,=1+2\n");
    }

    #[test]
    fn format_from_the_file_name() {
        use std::path::Path;
        assert_eq!(Format::from_path(Path::new("a/x.CSV")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("x.json")), Some(Format::Json));
        assert_eq!(
            Format::from_path(Path::new("x.ndjson")),
            Some(Format::Ndjson)
        );
        assert_eq!(
            Format::from_path(Path::new("x.jsonl")),
            Some(Format::Ndjson)
        );
        assert_eq!(Format::from_path(Path::new("x.txt")), None);
        assert_eq!(Format::from_path(Path::new("csv")), None);
    }

    #[test]
    fn csv_with_schema_columns_writes_header_even_when_empty() {
        let cols = Columns::from_items([&json!({"id": 1, "name": "x"})]);
        assert_eq!(run(Format::Csv, &[], Some(cols)), "id,name\n");
    }
}
