//! A small, allocation-free JSON writer for response bodies.
//!
//! Page bodies are the hot path (1000 customer profiles per request), so records are written
//! field by field straight into one byte buffer instead of building `serde_json::Value` trees.
//! Keys are written as literals by the renderers; only values go through these helpers.

use crate::time::Stamp;

/// A growable JSON output buffer.
#[derive(Debug, Default)]
pub struct JsonBuf {
    buf: Vec<u8>,
}

impl JsonBuf {
    /// An empty buffer with room for `cap` bytes.
    pub fn with_capacity(cap: usize) -> Self {
        JsonBuf {
            buf: Vec::with_capacity(cap),
        }
    }

    /// The bytes written so far.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Raw JSON text (punctuation and keys), written as is.
    #[inline]
    pub fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// Raw bytes, written as is.
    #[inline]
    pub fn raw_bytes(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
    }

    /// An object key followed by `:`, preceded by `,` unless `first`.
    #[inline]
    pub fn key(&mut self, first: bool, k: &str) {
        if !first {
            self.buf.push(b',');
        }
        self.buf.push(b'"');
        self.buf.extend_from_slice(k.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// A JSON string, escaped.
    #[inline]
    pub fn str(&mut self, s: &str) {
        self.buf.push(b'"');
        let bytes = s.as_bytes();
        // Most text needs no escaping; copy it in one go.
        if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
            self.buf.extend_from_slice(bytes);
        } else {
            self.escape_slow(s);
        }
        self.buf.push(b'"');
    }

    #[cold]
    fn escape_slow(&mut self, s: &str) {
        for &b in s.as_bytes() {
            match b {
                b'"' => self.buf.extend_from_slice(b"\\\""),
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                0..=0x1f => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.buf.extend_from_slice(b"\\u00");
                    self.buf.push(HEX[(b >> 4) as usize]);
                    self.buf.push(HEX[(b & 15) as usize]);
                }
                _ => self.buf.push(b),
            }
        }
    }

    /// A string or `null`.
    #[inline]
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    /// `null`.
    #[inline]
    pub fn null(&mut self) {
        self.buf.extend_from_slice(b"null");
    }

    /// An integer.
    #[inline]
    pub fn int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(v).as_bytes());
    }

    /// An integer or `null`.
    #[inline]
    pub fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    /// A number (non-finite values, which JSON cannot carry, become `null`).
    #[inline]
    pub fn num(&mut self, v: f64) {
        if v.is_finite() {
            let mut b = ryu::Buffer::new();
            self.buf.extend_from_slice(b.format_finite(v).as_bytes());
        } else {
            self.null();
        }
    }

    /// A boolean.
    #[inline]
    pub fn bool(&mut self, v: bool) {
        self.buf
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
    }

    /// A boolean or `null`.
    #[inline]
    pub fn opt_bool(&mut self, v: Option<bool>) {
        match v {
            Some(v) => self.bool(v),
            None => self.null(),
        }
    }

    /// A timestamp in the API's naive form, quoted.
    #[inline]
    pub fn ts(&mut self, t: Stamp) {
        self.buf.push(b'"');
        t.write_to(&mut self.buf);
        self.buf.push(b'"');
    }

    /// A timestamp or `null`.
    #[inline]
    pub fn opt_ts(&mut self, t: Option<Stamp>) {
        match t {
            Some(t) => self.ts(t),
            None => self.null(),
        }
    }

    /// Any serde value (for the rare bodies that are not on a hot path).
    pub fn value<T: serde::Serialize + ?Sized>(&mut self, v: &T) {
        if serde_json::to_writer(&mut self.buf, v).is_err() {
            self.null();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json() {
        let mut j = JsonBuf::default();
        j.raw("{");
        j.key(true, "a");
        j.str("x\"y\\z\n\u{1}é");
        j.key(false, "b");
        j.num(1.5);
        j.key(false, "c");
        j.opt_int(None);
        j.key(false, "d");
        j.num(f64::NAN);
        j.raw("}");
        let v: serde_json::Value = serde_json::from_slice(&j.into_inner()).unwrap();
        assert_eq!(v["a"], "x\"y\\z\n\u{1}é");
        assert_eq!(v["b"], 1.5);
        assert!(v["c"].is_null() && v["d"].is_null());
    }
}
