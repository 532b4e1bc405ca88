//! A small zero-copy walk over one JSON value, for building CSV rows straight from the
//! server's bytes.
//!
//! The items it reads were already validated as JSON when their page was parsed
//! ([`cro_ext::RawItem`] guarantees it), so this walk only needs to find where each value
//! starts and ends: no allocation, no number conversion (numbers stay exactly as written,
//! never through `f64`), strings unescaped only when they contain an escape. It still checks
//! what it relies on and returns an error rather than panicking on bytes it does not expect.

use std::borrow::Cow;

/// The kind of a JSON value, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `null`
    Null,
    /// `true` or `false`
    Bool,
    /// A number, as written.
    Number,
    /// A string (the span includes the quotes).
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

/// One JSON value inside an item: its kind and its exact text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span<'a> {
    /// What the value is.
    pub kind: Kind,
    /// The value's JSON text, byte for byte as the server sent it.
    pub text: &'a [u8],
    /// Noted while the value was scanned, so that the common case costs no second pass: a
    /// string without escapes, or an array/object without whitespace between its tokens.
    pub plain: bool,
}

/// The bytes at which the scanning loops stop (a table: one lookup per byte).
const STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};
const CONTAINER_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let stops = *b"\"{}[] \n\r\t";
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
};

/// The bytes were not the JSON this walk expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed JSON at byte {at}: {what}")]
pub struct ScanError {
    at: usize,
    what: &'static str,
}

fn err<T>(at: usize, what: &'static str) -> Result<T, ScanError> {
    Err(ScanError { at, what })
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// Index just past the closing quote of the string that starts at `i` (a `"`), and whether
/// the string has no escapes.
fn string_end(b: &[u8], i: usize) -> Result<(usize, bool), ScanError> {
    let mut j = i + 1;
    let mut plain = true;
    loop {
        while j < b.len() && !STRING_STOP[b[j] as usize] {
            j += 1;
        }
        match b.get(j) {
            Some(b'"') => return Ok((j + 1, plain)),
            Some(_) => {
                plain = false;
                j += 2;
            }
            None => return err(i, "unterminated string"),
        }
    }
}

/// The value starting at `i` (no leading whitespace): its kind, end index and plainness.
fn value_at(b: &[u8], i: usize) -> Result<(Kind, usize, bool), ScanError> {
    let Some(&first) = b.get(i) else {
        return err(i, "expected a value");
    };
    let literal = |word: &[u8], kind| {
        if b[i..].starts_with(word) {
            Ok((kind, i + word.len(), true))
        } else {
            err(i, "unknown literal")
        }
    };
    match first {
        b'"' => {
            let (end, plain) = string_end(b, i)?;
            Ok((Kind::String, end, plain))
        }
        b'{' | b'[' => {
            let (end, plain) = container_end(b, i)?;
            let kind = if first == b'{' {
                Kind::Object
            } else {
                Kind::Array
            };
            Ok((kind, end, plain))
        }
        b'n' => literal(b"null", Kind::Null),
        b't' => literal(b"true", Kind::Bool),
        b'f' => literal(b"false", Kind::Bool),
        b'-' | b'0'..=b'9' => {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                j += 1;
            }
            Ok((Kind::Number, j, true))
        }
        _ => err(i, "expected a value"),
    }
}

/// Index just past the `}` or `]` closing the container that starts at `i`, and whether it
/// has no whitespace between its tokens.
fn container_end(b: &[u8], i: usize) -> Result<(usize, bool), ScanError> {
    let mut depth = 0usize;
    let mut plain = true;
    let mut j = i;
    loop {
        while j < b.len() && !CONTAINER_STOP[b[j] as usize] {
            j += 1;
        }
        match b.get(j) {
            Some(b'"') => {
                j = string_end(b, j)?.0;
                continue;
            }
            Some(b'{' | b'[') => depth += 1,
            Some(b'}' | b']') => {
                depth -= 1;
                if depth == 0 {
                    return Ok((j + 1, plain));
                }
            }
            Some(_) => plain = false, // whitespace
            None => return err(i, "unterminated object or array"),
        }
        j += 1;
    }
}

/// The value that makes up all of `b` (surrounding whitespace allowed).
#[cfg(test)]
pub fn value(b: &[u8]) -> Result<Span<'_>, ScanError> {
    let start = skip_ws(b, 0);
    let (kind, end, plain) = value_at(b, start)?;
    if skip_ws(b, end) != b.len() {
        return err(end, "trailing characters");
    }
    Ok(Span {
        kind,
        text: &b[start..end],
        plain,
    })
}

/// Call `f` with each member of the object `obj` (its key, unescaped, and its value), in the
/// order they appear.
pub fn members<'a>(
    obj: &'a [u8],
    mut f: impl FnMut(Cow<'a, [u8]>, Span<'a>) -> Result<(), ScanError>,
) -> Result<(), ScanError> {
    if obj.first() != Some(&b'{') {
        return err(0, "expected an object");
    }
    let mut i = skip_ws(obj, 1);
    if obj.get(i) == Some(&b'}') {
        return Ok(());
    }
    loop {
        if obj.get(i) != Some(&b'"') {
            return err(i, "expected a key");
        }
        let (key_end, key_plain) = string_end(obj, i)?;
        let key = unescape(&obj[i..key_end], key_plain)?;
        i = skip_ws(obj, key_end);
        if obj.get(i) != Some(&b':') {
            return err(i, "expected ':'");
        }
        i = skip_ws(obj, i + 1);
        let (kind, end, plain) = value_at(obj, i)?;
        f(
            key,
            Span {
                kind,
                text: &obj[i..end],
                plain,
            },
        )?;
        i = skip_ws(obj, end);
        match obj.get(i) {
            Some(b',') => i = skip_ws(obj, i + 1),
            Some(b'}') => return Ok(()),
            _ => return err(i, "expected ',' or '}'"),
        }
    }
}

/// The text of a string value (`span.text` with its quotes), unescaped, as UTF-8 bytes.
/// Borrowed unless it contains an escape (`plain` says it does not: nothing to look for).
pub fn unescape(quoted: &[u8], plain: bool) -> Result<Cow<'_, [u8]>, ScanError> {
    let inner = quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default();
    if plain || !inner.contains(&b'\\') {
        // The item's text is valid UTF-8 (a `RawItem`), so a slice between quotes is, too.
        return Ok(Cow::Borrowed(inner));
    }
    serde_json::from_slice::<String>(quoted)
        .map(|s| Cow::Owned(s.into_bytes()))
        .or_else(|_| err(0, "invalid escape in a string"))
}

/// The array or object `span` without whitespace between its tokens (strings untouched).
/// Borrowed when it has none, which is what the API sends.
pub fn compact<'a>(span: &Span<'a>) -> Cow<'a, [u8]> {
    let json = span.text;
    if span.plain {
        return Cow::Borrowed(json);
    }
    let mut out = Vec::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for &c in json {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
            out.push(c);
        }
    }
    if out.len() == json.len() {
        // Only whitespace inside strings: nothing to drop.
        return Cow::Borrowed(json);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(obj: &str) -> Vec<(String, Kind, String)> {
        let mut out = Vec::new();
        members(obj.as_bytes(), |k, v| {
            out.push((
                String::from_utf8(k.into_owned()).unwrap(),
                v.kind,
                String::from_utf8(v.text.to_vec()).unwrap(),
            ));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn members_in_order_with_exact_text() {
        let got = collect(
            r#"{"id":99999999999999999999999,"n":-1.50e+3, "s":"a\"}{b","o":{"x":[1,{"y":"]"}]},"a":[ ],"t":true,"f":false,"z":null}"#,
        );
        let kinds: Vec<Kind> = got.iter().map(|g| g.1).collect();
        assert_eq!(
            kinds,
            [
                Kind::Number,
                Kind::Number,
                Kind::String,
                Kind::Object,
                Kind::Array,
                Kind::Bool,
                Kind::Bool,
                Kind::Null
            ]
        );
        assert_eq!(got[0].2, "99999999999999999999999");
        assert_eq!(got[1].2, "-1.50e+3");
        assert_eq!(got[2].2, r#""a\"}{b""#);
        assert_eq!(got[3].2, r#"{"x":[1,{"y":"]"}]}"#);
        assert_eq!(got[4].2, "[ ]");
        assert!(collect("{ }").is_empty());
    }

    #[test]
    fn keys_are_unescaped() {
        let got = collect(r#"{"a\u0062":1,"c":2}"#);
        assert_eq!(got[0].0, "ab");
        assert_eq!(got[1].0, "c");
    }

    #[test]
    fn whitespace_between_tokens_is_allowed() {
        let got = collect("{\n  \"a\" : 1 ,\r\n\t\"b\":\"x\"\n}");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].2, "1");
        assert_eq!(got[1].2, "\"x\"");
        assert_eq!(value(b"  {\"a\":1}\n").unwrap().kind, Kind::Object);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":}",
            "{\"a\":1",
            "{\"a\":1,}",
            "{\"a\":\"x",
            "[1,2",
            "{\"a\":nul}",
            "{\"a\":1}x",
            "\"\\",
        ] {
            let r = value(bad.as_bytes()).and_then(|v| {
                if v.kind == Kind::Object {
                    members(v.text, |_, _| Ok(()))
                } else {
                    Ok(())
                }
            });
            assert!(r.is_err(), "{bad:?}");
        }
    }

    #[test]
    fn strings_unescape_and_borrow_when_they_can() {
        let text = "\"plain é\"".as_bytes();
        let span = value(text).unwrap();
        assert!(span.plain);
        assert_eq!(
            unescape(text, true).unwrap(),
            Cow::Borrowed("plain é".as_bytes())
        );
        let text = br#""a\nb\u00e9\"""#;
        assert!(!value(text).unwrap().plain);
        assert_eq!(&*unescape(text, false).unwrap(), "a\nb\u{e9}\"".as_bytes());
        assert!(unescape(br#""bad \x""#, false).is_err());
    }

    #[test]
    fn compact_drops_only_insignificant_whitespace() {
        let plain = value(b"[1,2]").unwrap();
        assert!(plain.plain && matches!(compact(&plain), Cow::Borrowed(_)));
        let spaced_string = value(br#"["a b",{"c":"\" d"}]"#).unwrap();
        assert!(spaced_string.plain, "spaces inside strings do not count");
        let spaced = value(b"[ {\"k\" : \"a b\\\" c\" } ,\n 2 ]").unwrap();
        assert!(!spaced.plain);
        assert_eq!(&*compact(&spaced), b"[{\"k\":\"a b\\\" c\"},2]");
    }
}
