//! Exit codes and the error type every command returns.
//!
//! Scripts around `cro` need to tell "fix your flags" from "log in again" from "the API is
//! down" without parsing messages, so each failure class has its own exit code. The table is
//! printed in `cro --help` ([`EXIT_CODES_HELP`]) and is part of the command's contract.

use std::fmt;

/// The process exit codes of `cro`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Ok = 0,
    /// 1: anything not covered below (local I/O errors, internal errors).
    Other = 1,
    /// 2: bad command line (unknown flag, bad value, missing required flag).
    Usage = 2,
    /// 3: authentication or configuration problem: no token, 401/403, bad profile, login failed.
    Auth = 3,
    /// 4: the API answered with another error status (4xx other than 401/403, 5xx).
    Api = 4,
    /// 5: network problem or timeout: no answer from the server.
    Network = 5,
    /// 6: data or paging problem: undecodable or oversized body, total_count drift, a page
    /// that does not advance, fewer or more records than announced.
    Data = 6,
    /// 141 (128 + SIGPIPE): the reader of stdout went away (`cro export ... | head -1`). The
    /// export stops quietly, as a program killed by SIGPIPE would, without claiming success.
    BrokenPipe = 141,
}

impl Exit {
    /// The numeric code passed to `std::process::exit`.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// The `after_help` text of `cro --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other error (local I/O, internal)
  2  usage error (bad flags or values)
  3  authentication/configuration error (missing token, 401/403, bad profile, login failed)
  4  API error (other 4xx/5xx; the server's status line and error fields are printed)
  5  network error or timeout
  6  data/paging error (undecodable or oversized response, total_count drift,
     non-advancing pages, repeated records, record count different from total_count)
  129, 130, 143  stopped by SIGHUP, SIGINT (Ctrl-C) or SIGTERM (128 + signal number): the
     temporary file is removed and an existing --output file is left as it was
  141  the reader of stdout went away (`| head`); the export stopped quietly

Settings precedence: flags > environment (CRO_BASE_URL, CRO_TOKEN, CRO_TENANT_ID,
CRO_API_VERSION, CRO_PROFILE) > profile in <config dir>/cro/config.toml (CRO_CONFIG_DIR
replaces <config dir>/cro) > defaults. Tokens are never printed.";

/// An error that ends the command: what to print and which exit code to use.
#[derive(Debug)]
pub struct CliError {
    /// Exit class.
    pub exit: Exit,
    /// One-line message (already free of secrets).
    pub message: String,
    /// Extra lines printed under the message (e.g. the API's structured error fields).
    pub details: Vec<String>,
}

impl CliError {
    /// An error of class `exit` with a message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
            details: Vec::new(),
        }
    }
    /// Usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }
    /// Auth/config error (exit 3).
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(Exit::Auth, message)
    }
    /// Data/paging error (exit 6).
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(Exit::Data, message)
    }
    /// Any other error (exit 1).
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(Exit::Other, message)
    }
    /// The reader of stdout went away: exit 141 with nothing printed (see [`Exit::BrokenPipe`]).
    pub fn broken_pipe() -> Self {
        Self::new(Exit::BrokenPipe, "")
    }
    /// Whether nothing should be printed for this error (a closed pipe).
    pub fn is_quiet(&self) -> bool {
        self.message.is_empty() && self.details.is_empty()
    }
    /// Add a detail line.
    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }
    /// Prefix the message with context ("exporting customers: ...").
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

/// Longest message printed, in characters (server text is cut well before this).
const MESSAGE_MAX_CHARS: usize = 600;
/// Longest detail line printed, in characters.
const DETAIL_MAX_CHARS: usize = 400;

/// The one place errors are rendered for the terminal: every line is cleaned on the way out
/// (control characters escaped, every secret the process knows redacted in any letter case,
/// lengths bounded), whatever path built it.
impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use cro_api::sanitize::one_line;
        f.write_str(&one_line(&self.message, MESSAGE_MAX_CHARS))?;
        for d in &self.details {
            write!(f, "\n  {}", one_line(d, DETAIL_MAX_CHARS))?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        // A closed stdout (`cro get ... | head`) is not worth a scary message but still must
        // not look like success to the shell.
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::broken_pipe()
        } else {
            CliError::other(format!("I/O error: {e}"))
        }
    }
}

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_documented() {
        let all = [
            Exit::Ok,
            Exit::Other,
            Exit::Usage,
            Exit::Auth,
            Exit::Api,
            Exit::Network,
            Exit::Data,
            Exit::BrokenPipe,
        ];
        let mut codes: Vec<i32> = all.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes, vec![0, 1, 2, 3, 4, 5, 6, 141]);
        for c in codes {
            assert!(
                EXIT_CODES_HELP.contains(&format!("  {c}  ")),
                "code {c} not documented"
            );
        }
    }

    #[test]
    fn display_escapes_controls_and_redacts_secrets() {
        cro_api::sanitize::register_secret("cli-test-secret-value");
        let e = CliError::new(Exit::Api, "403 \x1b]0;owned\x07 CLI-TEST-SECRET-VALUE\r")
            .detail("detail: a\nb\u{9b}c");
        let text = e.to_string();
        assert_eq!(
            text,
            "403 \\x1b]0;owned\\x07 [redacted]\\r\n  detail: a\\nb\\x9bc"
        );
    }

    #[test]
    fn display_includes_details() {
        let e = CliError::new(Exit::Api, "400 Bad Request").detail("field: X.y");
        assert_eq!(e.to_string(), "400 Bad Request\n  field: X.y");
    }
}
