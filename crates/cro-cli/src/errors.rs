//! Turning library errors into [`CliError`]s, in the user's words: the flag or environment
//! variable they set (never a builder method), the API's message said once, and network
//! failures that name the host and the setting to check.
//!
//! Nothing here can print a token or drive the terminal: the client's errors carry server
//! text already cleaned (control characters escaped, secrets redacted), and
//! [`CliError`]'s `Display` cleans every line once more on the way out.

use crate::exit::{CliError, Exit};
use crate::resources;
use crate::settings::{Settings, Source};
use cro_api::ConfigError;
use cro_api::TransportKind;
use cro_ext::{PagingError, ParamError};
use std::sync::OnceLock;

/// The base URL in use, for network error messages (set once by `connect`).
static BASE_URL: OnceLock<String> = OnceLock::new();

/// Remember the base URL the client talks to, so that "cannot connect" can name it.
pub fn remember_base_url(url: &str) {
    let _ = BASE_URL.set(url.to_owned());
}

/// `HOST:PORT` of the remembered base URL.
fn endpoint() -> Option<String> {
    let url = url::Url::parse(BASE_URL.get()?).ok()?;
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    Some(format!("{host}:{port}"))
}

/// Text from the network or the user, made safe for a terminal: control characters (C0
/// including newlines and tabs, DEL, C1, bidirectional overrides) escaped and registered
/// secrets redacted, by the one sanitizer the SDK uses for its own messages.
pub fn clean(text: &str) -> String {
    cro_api::sanitize::for_terminal(text)
}

/// Map a client error.
pub fn api(e: &cro_api::Error) -> CliError {
    match e {
        cro_api::Error::Api(api) => api_status(api),
        cro_api::Error::Config(c) => config(c),
        cro_api::Error::InvalidRequest(m) => CliError::usage(format!("invalid request: {m}")),
        cro_api::Error::Auth(a) => auth(a),
        cro_api::Error::Transport(_) if e.is_body_too_large() => CliError::data(
            e.to_string()
                .replace("with max_body_size", "with --max-body-size"),
        )
        .detail("hint: a real page is far smaller; check --base-url, or raise --max-body-size (e.g. 1GiB) if the server is right"),
        cro_api::Error::Redirect(r) => {
            let mut err = CliError::new(Exit::Api, e.to_string());
            if let Some(location) = r.location() {
                err = err.detail(format!("location: {location}"));
            }
            err.detail("hint: the API documents no redirects; check --base-url / CRO_BASE_URL")
        }
        cro_api::Error::Transport(t) => transport(t, e.request_id()),
        cro_api::Error::Decode(d) => {
            let err = CliError::data(format!("undecodable response: {e}"));
            match d.excerpt() {
                "" => err,
                excerpt => err.detail(format!("body: {excerpt}")),
            }
        }
        cro_api::Error::UnexpectedStatus { .. } => CliError::new(Exit::Api, e.to_string()),
        // `Error` is non-exhaustive: anything new is at least reported.
        _ => CliError::other(e.to_string()),
    }
}

/// An error status: the API's own message once in the headline, the rest as details.
fn api_status(api: &cro_api::ApiError) -> CliError {
    let status = api.status();
    let exit = match status.as_u16() {
        401 | 403 => Exit::Auth,
        _ => Exit::Api,
    };
    let canonical = status.canonical_reason().unwrap_or("error");
    let d = api.details();
    // The server's message: its reason phrase, else `field: detail`, else detail or title.
    let message = api
        .reason()
        .map(str::to_owned)
        .filter(|r| r != canonical)
        .or_else(|| match (d.field(), d.detail()) {
            (Some(f), Some(t)) => Some(format!("{f}: {t}")),
            (None, Some(t)) => Some(t.to_owned()),
            _ => d.title().map(str::to_owned),
        });
    let headline = match &message {
        Some(m) => format!("the API answered {} {canonical}: {m}", status.as_u16()),
        None => format!("the API answered {} {canonical}", status.as_u16()),
    };
    let mut err = CliError::new(exit, clean(&headline));
    if let Some(x) = d.explanation()
        && !message.as_deref().is_some_and(|m| m.contains(x))
    {
        err = err.detail(clean(x));
    }
    if message.is_none() {
        match api.body_excerpt() {
            Some("") => err = err.detail("the body was empty"),
            Some(x) => err = err.detail(format!("body: {}", clean(x))),
            None => {}
        }
    }
    if let Some(id) = api.request_id() {
        err = err.detail(format!("request id: {}", clean(id)));
    }
    if api.attempts() > 1 {
        err = err.detail(format!("after {} attempts", api.attempts()));
    }
    // Why the retries stopped (retry budget exhausted, throttled without progress, ...).
    if let Some(stop) = api
        .retry_stop()
        .filter(|s| *s != cro_api::RetryStop::AttemptsExhausted)
    {
        err = err.detail(format!("gave up: {stop}"));
    }
    if let Some(wait) = api.retry_after() {
        err = err.detail(format!(
            "the server asks to retry after {} s",
            wait.as_secs()
        ));
    }
    match status.as_u16() {
        401 => err.detail(
            "hint: the token is missing, invalid or expired; run `cro auth login` or set CRO_TOKEN",
        ),
        403 => err.detail(
            "hint: your role or tenant may not do this; see `cro ops --role ROLE` and `cro roles`",
        ),
        _ => err,
    }
}

/// No usable token. A token endpoint that cannot be reached is a network problem (exit 5),
/// not a credentials problem.
fn auth(a: &cro_api::AuthError) -> CliError {
    let message = a.message();
    if message.contains("token request failed") {
        return CliError::new(
            Exit::Network,
            format!(
                "cannot refresh the access token: the login provider cannot be reached ({})",
                clean(short_cause(message))
            ),
        )
        .detail("hint: check the network, or the token URL stored by `cro auth login`");
    }
    CliError::auth(clean(&a.to_string()))
        .detail("hint: run `cro auth login` again, or set CRO_TOKEN")
}

/// No HTTP answer: say which host could not be reached and which setting names it.
fn transport(t: &cro_api::TransportError, request_id: Option<&str>) -> CliError {
    let host = endpoint().unwrap_or_else(|| "the server".to_owned());
    let lower = t.message().to_ascii_lowercase();
    let tls_mismatch = lower.contains("invalidcontenttype")
        || lower.contains("corrupt message")
        || lower.contains("wrong version number")
        || lower.contains("invalid tls");
    let mut err = if tls_mismatch {
        CliError::new(
            Exit::Network,
            format!(
                "cannot connect to {host}: it does not speak https (is it a plain http server? \
                 then use an http:// URL); check --base-url / CRO_BASE_URL"
            ),
        )
    } else {
        match t.kind() {
            TransportKind::Connect => {
                let why = if lower.contains("refused") {
                    "connection refused"
                } else if lower.contains("dns") || lower.contains("lookup") {
                    "host not found"
                } else if lower.contains("certificate") {
                    "its TLS certificate is not trusted"
                } else if lower.contains("timed out") {
                    "timed out"
                } else {
                    "connection failed"
                };
                CliError::new(
                    Exit::Network,
                    format!("cannot connect to {host} ({why}); check --base-url / CRO_BASE_URL"),
                )
            }
            TransportKind::Timeout => CliError::new(
                Exit::Network,
                format!("{host} did not answer in time; raise --timeout or check the network"),
            ),
            TransportKind::Deadline => CliError::new(
                Exit::Network,
                format!("{host} did not answer before the overall deadline"),
            ),
            _ => CliError::new(
                Exit::Network,
                format!(
                    "the connection to {host} failed: {}",
                    clean(short_cause(t.message()))
                ),
            ),
        }
    };
    if t.attempts() > 1 {
        err = err.detail(format!("after {} attempts", t.attempts()));
    }
    if let Some(id) = request_id {
        err = err.detail(format!("request id: {}", clean(id)));
    }
    err
}

/// The innermost cause of an error chain (`a: b: c` → `c`), which is the one a user can act on.
fn short_cause(chain: &str) -> &str {
    chain.rsplit(": ").next().unwrap_or(chain).trim()
}

/// Map a configuration error of the client (the flags and environment were already checked).
pub fn config(e: &ConfigError) -> CliError {
    config_in(e, None)
}

/// Map a configuration error, naming the flag, variable or config key that `settings` took
/// the value from.
pub fn config_in(e: &ConfigError, settings: Option<&Settings>) -> CliError {
    let named = |flag: &str, var: &str, key: &str, source: Option<Source>| -> String {
        match source {
            Some(Source::Flag) => flag.to_owned(),
            Some(Source::Env) => var.to_owned(),
            Some(Source::Config) => format!(
                "{key} of profile {:?} in {}",
                settings.map(|s| s.profile.as_str()).unwrap_or_default(),
                settings
                    .map(|s| crate::settings::config_path(&s.config_dir)
                        .display()
                        .to_string())
                    .unwrap_or_default()
            ),
            _ => format!("{flag} / {var}"),
        }
    };
    match e {
        ConfigError::MissingToken { .. } => CliError::auth(
            "this command needs an access token and none is configured",
        )
        .detail("hint: set CRO_TOKEN, pass --token, run `cro auth login`, or try `cro --demo ...`"),
        ConfigError::MissingTenant { .. } => CliError::auth(
            "this command needs a tenant id and none is configured",
        )
        .detail("hint: pass --tenant ID or set CRO_TENANT_ID (`cro export tenants` lists yours)"),
        ConfigError::BaseUrl { reason, .. } => {
            let setting = named(
                "--base-url",
                "CRO_BASE_URL",
                "base_url",
                settings.map(|s| s.base_url_source),
            );
            let reason = match reason.find(" (http is allowed") {
                Some(cut) => format!(
                    "{}; plain http is only allowed for loopback hosts (127.0.0.1, localhost)",
                    &reason[..cut]
                ),
                None => reason.clone(),
            };
            CliError::usage(format!("{setting}: {reason}"))
        }
        ConfigError::ApiVersion {
            version, expected, ..
        } => CliError::usage(format!(
            "{}: `{version}` is not a known API version (known: {expected})",
            named("--api-version", "CRO_API_VERSION", "api_version", None)
        )),
        ConfigError::Token { problem, .. } => CliError::auth(format!(
            "{}: {problem}",
            named(
                "--token",
                "CRO_TOKEN",
                "token",
                settings.and_then(|s| s.token_source)
            )
        )),
        _ => CliError::auth(format!("configuration: {e}")),
    }
}

/// Map a paging error.
pub fn paging(e: &PagingError) -> CliError {
    match e {
        PagingError::Request { page_index, source } => {
            api(source).context(format_args!("page {page_index}"))
        }
        PagingError::InvalidOptions { .. } => CliError::usage(e.to_string()),
        PagingError::Preflight(_) => CliError::auth(e.to_string()),
        PagingError::NotAdvancing { .. }
        | PagingError::Drift(_)
        | PagingError::PageCeiling { .. } => CliError::data(e.to_string()),
        _ => CliError::data(e.to_string()),
    }
}

/// The `--flag` a parameter of an operation is set with on the command line.
pub fn flag_for(operation: &str, parameter: &str) -> String {
    for r in resources::table() {
        if !r.ops.iter().any(|op| op.id == operation) {
            continue;
        }
        if let Some(p) = r.path_flags.iter().find(|p| p.param == parameter) {
            return format!("--{}", p.flag);
        }
        if let Some(f) = r.filters.iter().find(|f| f.param.name == parameter) {
            return format!("--{}", f.flag);
        }
    }
    format!("--{}", parameter.replace('_', "-"))
}

/// Map a parameter error (a flag value the operation cannot take), naming the flag.
pub fn param(e: &ParamError) -> CliError {
    match e {
        ParamError::InvalidValue {
            operation,
            parameter,
            value,
            expected,
            reason,
        } => {
            let flag = flag_for(operation, parameter);
            // Some reasons already quote the value: say it once.
            if reason.contains(value.as_str()) {
                CliError::usage(format!("{flag}: {}", clean(reason)))
            } else {
                CliError::usage(format!(
                    "{flag}: `{}` is not {expected} ({})",
                    clean(value),
                    clean(reason)
                ))
            }
        }
        ParamError::MissingPathParameter {
            operation,
            parameter,
        } => CliError::usage(format!(
            "{} is required here",
            flag_for(operation, parameter)
        )),
        _ => CliError::usage(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\u{1b}[2Jb\u{7}c\nd"), "a\\x1b[2Jb\\x07c\\nd");
        assert_eq!(clean("x\u{9b}y\u{202e}"), "x\\x9by\\u{202e}");
    }

    #[test]
    fn filters_are_named_by_their_flag() {
        assert_eq!(
            flag_for("list_customers", "created_on_gte"),
            "--created-on-gte"
        );
        assert_eq!(
            flag_for("list_location_customers", "location_id"),
            "--location"
        );
    }

    #[test]
    fn innermost_cause() {
        assert_eq!(
            short_cause(
                "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)"
            ),
            "Connection refused (os error 111)"
        );
    }
}
