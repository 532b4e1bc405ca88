//! From global flags to a configured [`cro_api::Client`]: settings resolution, the token
//! (flag, environment, config, or the credentials stored by `cro auth login`, refreshed
//! automatically and written back when they rotate), and the `--demo` server.

use crate::cli::GlobalArgs;
use crate::credentials::{self, StoredToken};
use crate::demo::{self, Demo};
use crate::errors;
use crate::exit::{CliError, CliResult};
use crate::settings::{self, Env, Flags, ProcessEnv, Settings, Source};
use cro_api::SecretString;
use cro_api::oauth::{OAuthClient, OAuthConfig, RefreshingTokenSource, TokenSet};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A ready client and what it was made from.
pub struct Connection {
    /// The client.
    pub client: cro_api::Client,
    /// API version in use (`x-api-version`).
    pub api_version: String,
    /// The demo server, kept alive (and stopped) with the connection.
    _demo: Option<Demo>,
}

/// Resolve settings from flags, environment and config file.
pub fn resolve_settings(global: &GlobalArgs) -> CliResult<Settings> {
    resolve_settings_for(global, false)
}

/// Like [`resolve_settings`]; with `new_profile_ok`, a profile that exists nowhere yet is
/// accepted (`cro auth login --profile new` creates it).
pub fn resolve_settings_for(global: &GlobalArgs, new_profile_ok: bool) -> CliResult<Settings> {
    let env = ProcessEnv;
    let dir = settings::config_dir(&env)?;
    let config = settings::load_config(&dir)?;
    let creds = credentials::load(&dir).unwrap_or_default();
    let mut known: Vec<String> = creds.profiles.keys().cloned().collect();
    if new_profile_ok {
        known.extend(global.profile.clone());
        known.extend(env.var("CRO_PROFILE"));
    }
    let flags = Flags {
        profile: global.profile.clone(),
        base_url: global.base_url.clone(),
        token: global.token.clone().map(SecretString::new),
        tenant_id: global.tenant,
        api_version: global.api_version.clone(),
    };
    settings::resolve(&flags, &env, dir, &config, &known)
}

/// Build the client for the global flags (starting the demo server for `--demo`).
pub async fn connect(global: &GlobalArgs) -> CliResult<Connection> {
    connect_with(global, None).await
}

/// Like [`connect`], with at most `max_in_flight` requests in flight (`--concurrency`):
/// the client's adaptive limiter starts below it and grows toward it while the server keeps
/// up, and backs off when it answers 429 or 503.
pub async fn connect_with(
    global: &GlobalArgs,
    max_in_flight: Option<u32>,
) -> CliResult<Connection> {
    let mut settings = resolve_settings(global)?;
    let mut throttling = cro_api::ThrottlePolicy::default()
        .progress_timeout(Duration::from_secs(global.progress_timeout.max(1)));
    if let Some(max) = max_in_flight {
        throttling = throttling.max_in_flight(max);
    }
    let retry = cro_api::RetryPolicy::default()
        .max_attempts(global.attempts)
        .throttling(Some(throttling));
    let mut builder = cro_api::Client::builder()
        .request_timeout(Duration::from_secs(global.timeout.max(1)))
        .retry_policy(retry)
        .max_body_size(global.max_body_size)
        .user_agent_suffix(concat!("cro-cli/", env!("CARGO_PKG_VERSION")));
    let mut demo = None;
    if global.demo {
        let d = demo::start(global.quiet).await?;
        settings.base_url = d.fake.base_url().to_string();
        settings.base_url_source = Source::Demo;
        builder = builder.token(d.token.clone());
        if settings.tenant_source != Some(Source::Flag) {
            settings.tenant_id = Some(d.tenant_id);
            settings.tenant_source = Some(Source::Demo);
        }
        demo = Some(d);
    } else if let Some(token) = &settings.token {
        builder = builder.token(token.expose_secret());
    } else if let Some(stored) = credentials::load(&settings.config_dir)?
        .profiles
        .get(&settings.profile)
        .cloned()
    {
        builder = builder.token_source(refreshing_source(
            &stored,
            settings.config_dir.clone(),
            settings.profile.clone(),
        )?);
        // The login was made for a server: use it unless a URL was chosen explicitly.
        if settings.base_url_source == Source::Default
            && let Some(url) = &stored.base_url
        {
            settings.base_url = url.clone();
        }
    }
    builder = builder.base_url(settings.base_url.clone());
    if let Some(t) = settings.tenant_id {
        builder = builder.tenant_id(t);
    }
    if let Some(v) = &settings.api_version {
        builder = builder.api_version_str(v.clone());
    }
    errors::remember_base_url(&settings.base_url);
    let client = builder
        .build()
        .map_err(|e| errors::config_in(&e, Some(&settings)))?;
    let api_version = client.state().api_version().to_string();
    Ok(Connection {
        client,
        api_version,
        _demo: demo,
    })
}

/// Unix seconds to `SystemTime`.
pub fn to_system_time(secs: i64) -> SystemTime {
    match u64::try_from(secs) {
        Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
        Err(_) => UNIX_EPOCH,
    }
}

/// `SystemTime` to Unix seconds.
pub fn to_unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The OAuth client that refreshes `stored`.
pub fn oauth_client_for(stored: &StoredToken) -> CliResult<OAuthClient> {
    let mut config = OAuthConfig::new(stored.client_id.clone()).token_url(stored.token_url.clone());
    if let Some(s) = &stored.client_secret {
        config = config.client_secret(s.expose_secret());
    }
    OAuthClient::new(config)
        .map_err(|e| CliError::auth(format!("stored credentials cannot be used: {e}")))
}

/// A token source over stored credentials that refreshes them when they expire and writes
/// the new tokens back to the credentials file (refresh tokens rotate).
fn refreshing_source(
    stored: &StoredToken,
    dir: PathBuf,
    profile: String,
) -> CliResult<RefreshingTokenSource> {
    let oauth = oauth_client_for(stored)?;
    let tokens = TokenSet::new(
        stored.access_token.expose_secret(),
        stored
            .refresh_token
            .as_ref()
            .map(|r| cro_api::SecretString::new(r.expose_secret())),
        stored.expires_at.map(to_system_time),
    );
    let template = stored.clone();
    Ok(RefreshingTokenSource::new(oauth, tokens)
        .refresh_margin(Duration::from_secs(credentials::EXPIRY_SKEW_SECS as u64))
        .on_refresh(move |fresh| {
            let updated = updated_token(&template, fresh);
            // A failure to persist only costs a refresh next time; the export goes on.
            let result = credentials::load(&dir).and_then(|mut file| {
                file.profiles.insert(profile.clone(), updated);
                credentials::save(&dir, &file)
            });
            if let Err(e) = result {
                eprintln!("warning: could not save refreshed credentials: {e}");
            }
        }))
}

/// `template` with the tokens of `fresh`.
pub fn updated_token(template: &StoredToken, fresh: &TokenSet) -> StoredToken {
    StoredToken {
        access_token: SecretString::new(fresh.access_token().expose_secret()),
        refresh_token: fresh
            .refresh_token()
            .map(|r| SecretString::new(r.expose_secret())),
        expires_at: fresh.expires_at().map(to_unix),
        scopes: if fresh.scopes().is_empty() {
            template.scopes.clone()
        } else {
            fresh.scopes().to_vec()
        },
        ..template.clone()
    }
}
