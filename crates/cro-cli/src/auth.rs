//! `cro auth login | status | logout`.
//!
//! Login is the OAuth 2.0 authorization code flow with PKCE (S256) for native apps (RFC 8252):
//! a one-shot HTTP listener on `127.0.0.1:<port>` receives the redirect, the code is exchanged
//! with the PKCE verifier, and the tokens go to the owner-only credentials file of the profile.
//! Later commands use them through a refreshing token source that writes rotated tokens back.
//! No command ever prints a token.

use crate::cli::{GlobalArgs, LoginArgs};
use crate::connect::{self, to_unix};
use crate::credentials::{self, StoredToken, now_unix};
use crate::exit::{CliError, CliResult, Exit};
use crate::settings::{self, Source};
use cro_api::SecretString;
use cro_api::oauth::{
    DEFAULT_AUTH_URL, DEFAULT_SCOPE, DEFAULT_TOKEN_URL, OAuthClient, OAuthConfig,
};
use std::io::Write;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest request head the loopback listener reads.
const MAX_HEAD: usize = 16 * 1024;

/// What came back to the redirect URI.
#[derive(Debug, PartialEq, Eq)]
pub enum Callback {
    /// `code` and `state`.
    Code {
        /// The authorization code (single use, short-lived; not printed anyway).
        code: String,
        /// The state to verify.
        state: String,
    },
    /// `error` (and `error_description`).
    Error {
        /// OAuth error code (`access_denied`, ...).
        error: String,
        /// Human-readable description.
        description: Option<String>,
    },
}

/// Parse the request line of a redirect: `GET /callback?code=..&state=.. HTTP/1.1`.
/// `None` when it is not for `path` (a favicon request, a probe).
pub fn parse_callback(request_line: &str, path: &str) -> Option<Callback> {
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?;
    if method != "GET" {
        return None;
    }
    let (p, query) = target.split_once('?').unwrap_or((target, ""));
    if p != path {
        return None;
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    if let Some(error) = error {
        return Some(Callback::Error { error, description });
    }
    Some(Callback::Code {
        code: code?,
        state: state.unwrap_or_default(),
    })
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn read_request_line(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > MAX_HEAD {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    text.lines().next().map(str::to_owned)
}

/// Serve the loopback listener until the redirect for `path` arrives.
pub async fn wait_for_callback(listener: &TcpListener, path: &str) -> CliResult<Callback> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| CliError::auth(format!("login listener failed: {e}")))?;
        let Some(line) = read_request_line(&mut stream).await else {
            continue;
        };
        match parse_callback(&line, path) {
            Some(cb @ Callback::Code { .. }) => {
                respond(
                    &mut stream,
                    "200 OK",
                    "<html><body><h1>Logged in</h1><p>You can close this window and return to the terminal.</p></body></html>",
                )
                .await;
                return Ok(cb);
            }
            Some(cb @ Callback::Error { .. }) => {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "<html><body><h1>Login failed</h1><p>See the terminal for details.</p></body></html>",
                )
                .await;
                return Ok(cb);
            }
            None => respond(&mut stream, "404 Not Found", "not found").await,
        }
    }
}

/// Try to open `url` in the user's browser; false if no opener could be started.
fn open_browser(url: &str) -> bool {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// `cro auth login`.
pub async fn login(global: &GlobalArgs, args: &LoginArgs) -> CliResult<()> {
    let settings = connect::resolve_settings_for(global, true)?;
    if global.demo {
        // The demo server lives only as long as one command: a login to it would store
        // credentials for a server that is gone. `cro fake` + `--auth-url` is the way to try it.
        return Err(CliError::usage(
            "--demo needs no login; to try `cro auth login`, run `cro fake` and pass its \
             oauth URLs (--auth-url, --token-url, --client-id, --client-secret)",
        ));
    }
    let profile_oauth = settings.profile_config.oauth.clone().unwrap_or_default();
    let client_id = args
        .client_id
        .clone()
        .or(profile_oauth.client_id.clone())
        .ok_or_else(|| {
            CliError::auth(format!(
                "no OAuth client id: pass --client-id or set client_id in [profiles.{}.oauth] of {}",
                settings.profile,
                settings::config_path(&settings.config_dir).display()
            ))
        })?;
    let client_secret = args
        .client_secret
        .clone()
        .map(SecretString::new)
        .or_else(|| {
            std::env::var("CRO_CLIENT_SECRET")
                .ok()
                .filter(|s| !s.is_empty())
                .map(SecretString::new)
        })
        .or(profile_oauth.client_secret.clone());
    let auth_url = args
        .auth_url
        .clone()
        .or(profile_oauth.auth_url.clone())
        .unwrap_or_else(|| DEFAULT_AUTH_URL.to_string());
    let token_url = args
        .token_url
        .clone()
        .or(profile_oauth.token_url.clone())
        .unwrap_or_else(|| DEFAULT_TOKEN_URL.to_string());
    let scopes = if !args.scopes.is_empty() {
        args.scopes.clone()
    } else if !profile_oauth.scopes.is_empty() {
        profile_oauth.scopes.clone()
    } else {
        vec![DEFAULT_SCOPE.to_string()]
    };
    let path = if args.redirect_path.starts_with('/') {
        args.redirect_path.clone()
    } else {
        format!("/{}", args.redirect_path)
    };

    let listener = TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| CliError::auth(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;
    let port = listener
        .local_addr()
        .map_err(|e| CliError::auth(format!("login listener: {e}")))?
        .port();
    let redirect = format!("http://127.0.0.1:{port}{path}");
    let mut config = OAuthConfig::new(client_id.clone())
        .auth_url(auth_url)
        .token_url(token_url.clone())
        .redirect_url(redirect)
        .scopes(scopes.clone());
    if let Some(s) = &client_secret {
        config = config.client_secret(s.expose_secret());
    }
    let oauth = OAuthClient::new(config).map_err(|e| CliError::auth(format!("OAuth: {e}")))?;
    let request = oauth.authorize_url();
    let mut url = request.url().clone();
    if let Some(hint) = &args.login_hint {
        url.query_pairs_mut().append_pair("login_hint", hint);
    }
    {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "Open this URL in your browser to log in:");
        let _ = writeln!(err, "{url}");
        let _ = writeln!(err, "Waiting for the redirect on 127.0.0.1:{port} ...");
    }
    if !args.no_browser && !open_browser(url.as_str()) {
        eprintln!("(could not start a browser; open the URL above yourself)");
    }
    let callback = tokio::time::timeout(
        Duration::from_secs(args.wait.max(1)),
        wait_for_callback(&listener, &path),
    )
    .await
    .map_err(|_| CliError::auth(format!("no login within {} s", args.wait)))??;
    let (code, state) = match callback {
        Callback::Code { code, state } => (code, state),
        Callback::Error { error, description } => {
            return Err(CliError::auth(format!(
                "login refused by the authorization server: {error}{}",
                description.map(|d| format!(": {d}")).unwrap_or_default()
            )));
        }
    };
    let tokens = oauth
        .exchange_callback(&request, &state, &code)
        .await
        .map_err(|e| CliError::auth(format!("login failed: {e}")))?;
    let stored = StoredToken {
        access_token: SecretString::new(tokens.access_token().expose_secret()),
        refresh_token: tokens
            .refresh_token()
            .map(|r| SecretString::new(r.expose_secret())),
        expires_at: tokens.expires_at().map(to_unix),
        token_url,
        client_id,
        client_secret,
        scopes: if tokens.scopes().is_empty() {
            scopes
        } else {
            tokens.scopes().to_vec()
        },
        base_url: Some(settings.base_url.clone()),
    };
    let mut file = credentials::load(&settings.config_dir)?;
    file.profiles
        .insert(settings.profile.clone(), stored.clone());
    credentials::save(&settings.config_dir, &file)?;
    eprintln!(
        "Logged in (profile {}); token {}; stored in {}",
        settings.profile,
        describe_expiry(stored.expires_at, now_unix()),
        credentials::credentials_path(&settings.config_dir).display()
    );
    Ok(())
}

/// "expires 2026-... (in 59 min)" without chrono.
pub fn describe_expiry(expires_at: Option<i64>, now: i64) -> String {
    let Some(exp) = expires_at else {
        return "with no known expiry".to_string();
    };
    let when = httpdate::fmt_http_date(connect::to_system_time(exp));
    let delta = exp - now;
    let rel = |s: i64| {
        if s >= 7200 {
            format!("{} h", s / 3600)
        } else if s >= 120 {
            format!("{} min", s / 60)
        } else {
            format!("{s} s")
        }
    };
    if delta >= 0 {
        format!("expires {when} (in {})", rel(delta))
    } else {
        format!("expired {when} ({} ago)", rel(-delta))
    }
}

/// `cro auth status`: exit 0 when a token is available, 3 when not.
pub async fn status(global: &GlobalArgs) -> CliResult<()> {
    let settings = connect::resolve_settings(global)?;
    let creds = credentials::load(&settings.config_dir)?;
    let stored = creds.profiles.get(&settings.profile);
    let mut out = String::new();
    let src = |s: Option<Source>| s.map(|s| s.to_string()).unwrap_or_else(|| "unset".into());
    out.push_str(&format!(
        "profile:     {} (from {})\n",
        settings.profile, settings.profile_source
    ));
    out.push_str(&format!("config dir:  {}\n", settings.config_dir.display()));
    let login_url = stored
        .filter(|_| settings.token_source.is_none())
        .and_then(|t| t.base_url.as_deref())
        .filter(|_| settings.base_url_source == Source::Default);
    if global.demo {
        out.push_str("base URL:    embedded demo server (--demo)\n");
    } else if let Some(url) = login_url {
        out.push_str(&format!("base URL:    {url} (from the stored login)\n"));
    } else {
        out.push_str(&format!(
            "base URL:    {} (from {})\n",
            settings.base_url, settings.base_url_source
        ));
    }
    out.push_str(&format!(
        "tenant:      {} (from {})\n",
        settings
            .tenant_id
            .map(|t| t.to_string())
            .unwrap_or_else(|| "not set".into()),
        src(settings.tenant_source)
    ));
    out.push_str(&format!(
        "API version: {}\n",
        settings
            .api_version
            .clone()
            .unwrap_or_else(|| format!("{} (default)", cro_api::meta::LATEST_API_VERSION))
    ));
    let has_token;
    if global.demo {
        out.push_str("token:       the demo server's Admin token\n");
        has_token = true;
    } else if let Some(source) = settings.token_source {
        out.push_str(&format!("token:       set (from {source}; never shown)\n"));
        if stored.is_some() {
            out.push_str("             (stored login credentials exist but are overridden)\n");
        }
        has_token = true;
    } else if let Some(t) = stored {
        let now = now_unix();
        out.push_str(&format!(
            "token:       stored login; {}; refresh token: {}\n",
            describe_expiry(t.expires_at, now),
            match (t.refresh_token.is_some(), t.needs_refresh(now)) {
                (true, true) => "yes (the token will be refreshed on next use)",
                (true, false) => "yes (refreshed automatically)",
                (false, true) => "no (log in again)",
                (false, false) => "no",
            }
        ));
        out.push_str(&format!(
            "             client id {}, token URL {}\n",
            t.client_id, t.token_url
        ));
        has_token = true;
    } else {
        out.push_str("token:       none (set CRO_TOKEN, pass --token, or run `cro auth login`)\n");
        has_token = false;
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    if has_token {
        Ok(())
    } else {
        Err(CliError::new(Exit::Auth, "not logged in"))
    }
}

/// `cro auth logout`: forget the profile's stored tokens.
pub fn logout(global: &GlobalArgs) -> CliResult<()> {
    let settings = connect::resolve_settings(global)?;
    let mut file = credentials::load(&settings.config_dir)?;
    if file.profiles.remove(&settings.profile).is_none() {
        eprintln!("No stored login for profile {}.", settings.profile);
        return Ok(());
    }
    if file.profiles.is_empty() {
        let path = credentials::credentials_path(&settings.config_dir);
        std::fs::remove_file(&path)
            .map_err(|e| CliError::other(format!("cannot remove {}: {e}", path.display())))?;
    } else {
        credentials::save(&settings.config_dir, &file)?;
    }
    eprintln!("Logged out (profile {}).", settings.profile);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redirects() {
        assert_eq!(
            parse_callback(
                "GET /callback?code=abc&state=xyz12345 HTTP/1.1",
                "/callback"
            ),
            Some(Callback::Code {
                code: "abc".into(),
                state: "xyz12345".into()
            })
        );
        assert_eq!(
            parse_callback(
                "GET /callback?error=access_denied&error_description=no%20way HTTP/1.1",
                "/callback"
            ),
            Some(Callback::Error {
                error: "access_denied".into(),
                description: Some("no way".into())
            })
        );
        assert_eq!(
            parse_callback("GET /favicon.ico HTTP/1.1", "/callback"),
            None
        );
        assert_eq!(
            parse_callback("POST /callback?code=a HTTP/1.1", "/callback"),
            None
        );
        assert_eq!(parse_callback("GET /callback HTTP/1.1", "/callback"), None);
        assert_eq!(parse_callback("", "/callback"), None);
    }

    #[test]
    fn expiry_descriptions() {
        assert_eq!(describe_expiry(None, 0), "with no known expiry");
        assert!(describe_expiry(Some(3600), 0).contains("(in 60 min)"));
        assert!(describe_expiry(Some(0), 300).contains("(5 min ago)"));
    }
}
