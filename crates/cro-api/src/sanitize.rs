//! Cleaning text that came from the network before anyone prints it.
//!
//! A server (or a proxy, a captive portal, a compromised deployment) controls the reason
//! phrase, the fields of an error body, the `Location` of a redirect and any body the client
//! fails to decode. Printed raw, that text can drive the terminal (ESC sequences that retitle
//! the window, clear the screen or rewrite earlier lines; BEL; CR that overwrites the line)
//! and can echo the caller's own token back onto the screen or into a log.
//!
//! Everything the client renders goes through [`for_terminal`]: secrets the process knows are
//! replaced by `[redacted]` (case-insensitively) and every control character is escaped.
//! Error texts are cleaned when the error is built and once more when it is displayed, so no
//! path can skip it.
//!
//! The secrets come from a small process-wide registry: the client registers every token it
//! sends (static, from a token source, or from OAuth) and OAuth client secrets and refresh
//! tokens. Applications can add their own with [`register_secret`].
//!
//! ```
//! use cro_api::sanitize;
//! sanitize::register_secret("eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl");
//! let hostile = "bad token EYJHBGCIOI.EYJZDWIIOI.C2LNBMF0DXJL\x1b]0;pwned\x07";
//! assert_eq!(
//!     sanitize::for_terminal(hostile),
//!     "bad token [redacted]\\x1b]0;pwned\\x07"
//! );
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::RwLock;

use crate::secret::{REDACTED, SecretString};

/// Secrets shorter than this are not registered: scrubbing a 3-letter string from every
/// message would destroy the messages and protect nothing.
pub const MIN_SECRET_LEN: usize = 8;

/// How many secrets the registry keeps (the oldest are forgotten first). Tokens rotate, so
/// a long-running process registers a new one per refresh.
const MAX_SECRETS: usize = 32;

static SECRETS: RwLock<Vec<SecretString>> = RwLock::new(Vec::new());

/// Remember `secret` so that every error the client renders from now on shows it as
/// `[redacted]`. The client registers its tokens itself; call this for other secrets your
/// program holds that a server might echo. Secrets shorter than [`MIN_SECRET_LEN`] bytes are
/// ignored.
pub fn register_secret(secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let known = |list: &[SecretString]| {
        list.iter()
            .any(|s| s.expose_secret().eq_ignore_ascii_case(secret))
    };
    if SECRETS.read().map(|l| known(&l)).unwrap_or(false) {
        return;
    }
    if let Ok(mut list) = SECRETS.write()
        && !known(&list)
    {
        if list.len() >= MAX_SECRETS {
            list.remove(0);
        }
        list.push(SecretString::new(secret));
    }
}

/// Replace every registered secret in `text` by `[redacted]`, ignoring ASCII case (a proxy
/// that upper-cases what it echoes still leaks the token).
pub fn scrub_secrets(text: &str) -> Cow<'_, str> {
    let Ok(list) = SECRETS.read() else {
        return Cow::Borrowed(text);
    };
    let mut out = Cow::Borrowed(text);
    for secret in list.iter() {
        if let Cow::Owned(replaced) = scrub_one(&out, secret.expose_secret()) {
            out = Cow::Owned(replaced);
        }
    }
    out
}

/// Replace `secret` in `text` by `[redacted]`, ignoring ASCII case. An empty secret changes
/// nothing.
pub(crate) fn scrub_one<'a>(text: &'a str, secret: &str) -> Cow<'a, str> {
    if secret.is_empty() || text.len() < secret.len() {
        return Cow::Borrowed(text);
    }
    let needle = secret.as_bytes();
    let hay = text.as_bytes();
    let first = needle[0].to_ascii_lowercase();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i].to_ascii_lowercase() == first
            && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
        {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            // Matches start and end on char boundaries: ASCII case folding maps a byte of
            // the needle only to a byte of the same class, so a match of a valid UTF-8
            // needle is a whole sequence of chars.
            buf.push_str(&text[copied..i]);
            buf.push_str(REDACTED);
            i += needle.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(text),
    }
}

/// True for characters that must not reach a terminal raw: C0 controls (including TAB, LF
/// and CR), DEL, C1 controls, and the Unicode bidirectional overrides and isolates that can
/// make text display in another order than it is stored.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Escape every control character (see the module docs): `\n`, `\r`, `\t`, `\x1b`,
/// `\u{9b}`, ... Everything else is kept. Escaping is idempotent: the output has no control
/// characters, so escaping it again changes nothing.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 && is_unsafe(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// At most `max_chars` characters of `text`, with `…` appended when it was cut.
pub fn truncate(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// Text safe to print: registered secrets redacted, control characters escaped.
pub fn for_terminal(text: &str) -> String {
    escape_controls(&scrub_secrets(text)).into_owned()
}

/// [`for_terminal`] cut to `max_chars` characters (after cleaning, so an escape sequence is
/// never half cut into something else: the cut only removes visible characters).
pub fn one_line(text: &str, max_chars: usize) -> String {
    let clean = for_terminal(text);
    truncate(&clean, max_chars).into_owned()
}

/// A server-provided string for keeping in an error: redacted, escaped and cut to
/// `max_chars`; the per-call token (when known) is redacted too.
pub(crate) fn server_text(text: &str, token: Option<&SecretString>, max_chars: usize) -> String {
    let text = match token {
        Some(t) => scrub_one(text, t.expose_secret()),
        None => Cow::Borrowed(text),
    };
    one_line(&text, max_chars)
}

/// An error and its causes on one line, `error: cause: cause`, skipping a cause whose text
/// the line already holds (many errors repeat their source's message). Not cleaned: pass it
/// through [`for_terminal`] before it reaches a terminal.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_c0_c1_del_and_bidi() {
        assert_eq!(escape_controls("plain"), "plain");
        assert_eq!(
            escape_controls("a\x1b[2Jb\x07c\rd\ne\tf\x7fg\u{9b}h\u{202e}i"),
            "a\\x1b[2Jb\\x07c\\rd\\ne\\tf\\x7fg\\x9bh\\u{202e}i"
        );
        let once = escape_controls("\x1b]0;t\x07").into_owned();
        assert_eq!(escape_controls(&once), once, "idempotent");
    }

    #[test]
    fn scrub_ignores_case_and_repeats() {
        let s = "Token=AbCdEfGh12, again abcdefgh12 and ABCDEFGH12.";
        assert_eq!(
            scrub_one(s, "abcdefgh12"),
            "Token=[redacted], again [redacted] and [redacted]."
        );
        assert_eq!(scrub_one("short", "abcdefgh12"), "short");
        assert_eq!(scrub_one("x", ""), "x");
        // Non-ASCII around and inside does not break boundaries.
        assert_eq!(scrub_one("é-sécrêt-é", "sécrêt"), "é-[redacted]-é");
    }

    #[test]
    fn registry_scrubs_everywhere() {
        register_secret("registry-secret-123");
        register_secret("short");
        assert_eq!(
            for_terminal("x REGISTRY-SECRET-123 y short"),
            "x [redacted] y short"
        );
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(one_line("a\nb", 3), "a\\n…");
    }
}
