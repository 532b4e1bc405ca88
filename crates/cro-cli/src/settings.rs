//! Connection settings and named profiles.
//!
//! Precedence, highest first: command-line flags, environment variables (`CRO_BASE_URL`,
//! `CRO_TOKEN`, `CRO_TENANT_ID`, `CRO_API_VERSION`, `CRO_PROFILE`), the selected profile of
//! `<config dir>/cro/config.toml`, then defaults. A token may also come from the credentials
//! that `cro auth login` stored for the profile (see [`crate::credentials`]); that lookup is
//! async (it may refresh) and happens in [`crate::auth`], after this module.
//!
//! The config directory is `dirs::config_dir()/cro` (`~/.config/cro` on Linux), or the
//! directory named by `CRO_CONFIG_DIR` (used by tests and by anyone who wants several
//! independent set-ups).
//!
//! Example `config.toml`:
//!
//! ```toml
//! default_profile = "prod"
//!
//! [profiles.prod]
//! base_url = "https://api.crosoftware.net"
//! tenant_id = 34
//! api_version = "2023/04/19"
//!
//! [profiles.prod.oauth]
//! client_id = "my-client-id"
//! auth_url = "https://idp.example/oauth2/auth"
//! token_url = "https://idp.example/oauth2/token"
//! scopes = ["api"]
//! ```

use crate::exit::{CliError, CliResult};
use cro_api::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The production API (the only documented server).
pub const DEFAULT_BASE_URL: &str = "https://api.crosoftware.net";
/// Name of the profile used when none is selected.
pub const DEFAULT_PROFILE: &str = "default";

/// `config.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile used when neither `--profile` nor `CRO_PROFILE` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    /// Named profiles.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One named profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// API base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Tenant id sent as `x-tenant-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<u64>,
    /// API version sent as `x-api-version` (default: the newest the SDK knows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// A static access token. Prefer `cro auth login`, which stores tokens in the owner-only
    /// credentials file instead of here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretString>,
    /// OAuth client settings for `cro auth login`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthProfile>,
}

/// OAuth client registration of a profile (values CRO sends with the credentials).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthProfile {
    /// OAuth client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// OAuth client secret, for confidential clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretString>,
    /// Authorization endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Scopes to request (default `["api"]`, the only documented scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// Where a setting came from (shown by `cro auth status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// The profile in `config.toml`.
    Config,
    /// `--demo`: the embedded fake server.
    Demo,
    /// Built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "flag",
            Source::Env => "environment",
            Source::Config => "config file",
            Source::Demo => "demo",
            Source::Default => "default",
        })
    }
}

/// Values given on the command line (all optional).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--profile`
    pub profile: Option<String>,
    /// `--base-url`
    pub base_url: Option<String>,
    /// `--token`
    pub token: Option<SecretString>,
    /// `--tenant`
    pub tenant_id: Option<u64>,
    /// `--api-version`
    pub api_version: Option<String>,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Directory holding `config.toml` and `credentials.toml`.
    pub config_dir: PathBuf,
    /// Selected profile name.
    pub profile: String,
    /// Where the profile name came from.
    pub profile_source: Source,
    /// The profile's contents (empty when the profile is not in the config file).
    pub profile_config: Profile,
    /// API base URL.
    pub base_url: String,
    /// Where the base URL came from.
    pub base_url_source: Source,
    /// Access token from flag, env or config (the credentials store is consulted later).
    pub token: Option<SecretString>,
    /// Where the token came from.
    pub token_source: Option<Source>,
    /// Tenant id.
    pub tenant_id: Option<u64>,
    /// Where the tenant id came from.
    pub tenant_source: Option<Source>,
    /// API version override (None: the SDK's default, the newest version).
    pub api_version: Option<String>,
}

/// Read access to the environment, so tests can resolve settings without touching the real
/// process environment.
pub trait Env {
    /// The variable's value; empty values count as unset.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .filter(|v| !v.is_empty())
    }
}

/// The directory holding `config.toml` and `credentials.toml`.
pub fn config_dir(env: &dyn Env) -> CliResult<PathBuf> {
    if let Some(dir) = env.var("CRO_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir().map(|d| d.join("cro")).ok_or_else(|| {
        CliError::auth("cannot find the platform's config directory; set CRO_CONFIG_DIR")
    })
}

/// Path of `config.toml` in `dir`.
pub fn config_path(dir: &Path) -> PathBuf {
    dir.join("config.toml")
}

/// Load `config.toml` (a missing file is an empty config).
pub fn load_config(dir: &Path) -> CliResult<ConfigFile> {
    let path = config_path(dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| {
            // toml's rendering quotes the offending line, which could hold a token: keep only
            // the description, the position and the key.
            let at = e
                .span()
                .map(|span| position(&text, span.start))
                .unwrap_or_default();
            CliError::auth(format!(
                "invalid config file {}{at}: {}",
                path.display(),
                e.message().trim()
            ))
            .detail("hint: fix or remove the file; `cro --help` describes the settings")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(CliError::auth(format!(
            "cannot read config file {}: {e}",
            path.display()
        ))),
    }
}

/// `, line L, column C (key `k`)` of a byte offset in a TOML text. The key is the one being
/// defined on that line (`name = ...`) or the table header (`[profiles.x]`); the value is
/// never shown, as it may be a token.
fn position(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line_no = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let line = text[line_start..].lines().next().unwrap_or_default().trim();
    let key = if let Some(header) = line.strip_prefix('[') {
        Some(
            header
                .trim_end_matches(']')
                .trim_matches(['[', ' '])
                .to_owned(),
        )
    } else {
        line.split_once('=').map(|(k, _)| k.trim().to_owned())
    }
    .filter(|k| !k.is_empty() && k.len() <= 64);
    match key {
        Some(k) => format!(", line {line_no}, column {column} (key `{k}`)"),
        None => format!(", line {line_no}, column {column}"),
    }
}

/// Resolve settings from flags, environment and config file.
///
/// `known_profiles` lists profiles that exist outside the config file (those with stored
/// credentials), so that `--profile x` after `cro auth login --profile x` is not an error.
pub fn resolve(
    flags: &Flags,
    env: &dyn Env,
    config_dir: PathBuf,
    config: &ConfigFile,
    known_profiles: &[String],
) -> CliResult<Settings> {
    let (profile, profile_source) = if let Some(p) = &flags.profile {
        (p.clone(), Source::Flag)
    } else if let Some(p) = env.var("CRO_PROFILE") {
        (p, Source::Env)
    } else if let Some(p) = &config.default_profile {
        (p.clone(), Source::Config)
    } else {
        (DEFAULT_PROFILE.to_string(), Source::Default)
    };
    let profile_config = match config.profiles.get(&profile) {
        Some(p) => p.clone(),
        None if profile == DEFAULT_PROFILE || known_profiles.contains(&profile) => {
            Profile::default()
        }
        None => {
            let mut names: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
            names.extend(known_profiles.iter().map(String::as_str));
            names.sort_unstable();
            names.dedup();
            return Err(CliError::auth(format!(
                "unknown profile {profile:?} (from {profile_source}); known profiles: {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
    };

    let (base_url, base_url_source) = pick(
        flags.base_url.clone(),
        env.var("CRO_BASE_URL"),
        profile_config.base_url.clone(),
    )
    .unwrap_or((DEFAULT_BASE_URL.to_string(), Source::Default));

    let (token, token_source) = match pick(
        flags.token.clone(),
        env.var("CRO_TOKEN").map(SecretString::new),
        profile_config.token.clone(),
    ) {
        Some((t, s)) => (Some(t), Some(s)),
        None => (None, None),
    };

    let env_tenant = match env.var("CRO_TENANT_ID") {
        Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
            // Exit 2, like the same mistake in `--tenant`.
            CliError::usage(format!(
                "CRO_TENANT_ID: {v:?} is not a tenant id (expected an integer, as in --tenant 34)"
            ))
        })?),
        None => None,
    };
    let (tenant_id, tenant_source) =
        match pick(flags.tenant_id, env_tenant, profile_config.tenant_id) {
            Some((t, s)) => (Some(t), Some(s)),
            None => (None, None),
        };

    let api_version = pick(
        flags.api_version.clone(),
        env.var("CRO_API_VERSION"),
        profile_config.api_version.clone(),
    )
    .map(|(v, source)| check_api_version(v, source))
    .transpose()?;

    Ok(Settings {
        config_dir,
        profile,
        profile_source,
        profile_config,
        base_url,
        base_url_source,
        token,
        token_source,
        tenant_id,
        tenant_source,
        api_version,
    })
}

/// An API version from the environment or the config file gets the check (and the exit
/// code, 2) that clap gives `--api-version`.
fn check_api_version(version: String, source: Source) -> CliResult<String> {
    if cro_api::meta::API_VERSIONS.contains(&version.as_str()) {
        return Ok(version);
    }
    let setting = match source {
        Source::Env => "CRO_API_VERSION",
        Source::Config => "api_version in the config file",
        _ => "--api-version",
    };
    Err(CliError::usage(format!(
        "{setting}: {version:?} is not a known API version (known: {})",
        cro_api::meta::API_VERSIONS.join(", ")
    )))
}

/// First of flag, env, config that is set, with its source.
fn pick<T>(flag: Option<T>, env: Option<T>, config: Option<T>) -> Option<(T, Source)> {
    flag.map(|v| (v, Source::Flag))
        .or_else(|| env.map(|v| (v, Source::Env)))
        .or_else(|| config.map(|v| (v, Source::Config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ConfigFile {
        toml::from_str(
            r#"
            default_profile = "prod"
            [profiles.prod]
            base_url = "https://prod.example"
            tenant_id = 34
            token = "config-token"
            [profiles.staging]
            base_url = "https://staging.example"
            api_version = "2021/11/04"
            [profiles.staging.oauth]
            client_id = "cid"
            token_url = "https://idp.example/token"
            "#,
        )
        .expect("valid config")
    }

    #[test]
    fn flags_beat_env_beat_config_beat_defaults() {
        let cfg = config();
        let env = [
            ("CRO_BASE_URL", "https://env.example"),
            ("CRO_TENANT_ID", "7"),
        ];
        let flags = Flags {
            tenant_id: Some(9),
            ..Flags::default()
        };
        let s = resolve(&flags, &env, PathBuf::from("/x"), &cfg, &[]).unwrap();
        assert_eq!(s.profile, "prod");
        assert_eq!(s.profile_source, Source::Config);
        assert_eq!(s.base_url, "https://env.example");
        assert_eq!(s.base_url_source, Source::Env);
        assert_eq!(s.tenant_id, Some(9));
        assert_eq!(s.tenant_source, Some(Source::Flag));
        assert_eq!(
            s.token.as_ref().map(SecretString::expose_secret),
            Some("config-token")
        );
        assert_eq!(s.token_source, Some(Source::Config));
        assert_eq!(s.api_version, None);
    }

    #[test]
    fn profile_from_env_and_defaults() {
        let cfg = config();
        let env = [("CRO_PROFILE", "staging")];
        let s = resolve(&Flags::default(), &env, PathBuf::from("/x"), &cfg, &[]).unwrap();
        assert_eq!(s.profile, "staging");
        assert_eq!(s.base_url, "https://staging.example");
        assert_eq!(s.api_version.as_deref(), Some("2021/11/04"));
        assert!(s.token.is_none());
        assert_eq!(
            s.profile_config.oauth.unwrap().client_id.as_deref(),
            Some("cid")
        );

        let empty = ConfigFile::default();
        let s = resolve(
            &Flags::default(),
            &[("X", "")],
            PathBuf::from("/x"),
            &empty,
            &[],
        )
        .unwrap();
        assert_eq!(s.profile, DEFAULT_PROFILE);
        assert_eq!(s.base_url, DEFAULT_BASE_URL);
        assert_eq!(s.base_url_source, Source::Default);
    }

    #[test]
    fn unknown_profile_is_an_auth_error_unless_it_has_credentials() {
        let cfg = config();
        let flags = Flags {
            profile: Some("nope".into()),
            ..Flags::default()
        };
        let err = resolve(&flags, &[("X", "")], PathBuf::from("/x"), &cfg, &[]).unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Auth);
        assert!(err.message.contains("prod, staging"), "{}", err.message);
        let ok = resolve(
            &flags,
            &[("X", "")],
            PathBuf::from("/x"),
            &cfg,
            &["nope".to_string()],
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn bad_env_tenant_and_empty_env_values() {
        let cfg = ConfigFile::default();
        let err = resolve(
            &Flags::default(),
            &[("CRO_TENANT_ID", "abc")],
            PathBuf::from("/x"),
            &cfg,
            &[],
        )
        .unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Usage);
        assert!(err.message.contains("CRO_TENANT_ID"), "{}", err.message);
        let err = resolve(
            &Flags::default(),
            &[("CRO_API_VERSION", "2020/01/01")],
            PathBuf::from("/x"),
            &cfg,
            &[],
        )
        .unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Usage);
        assert!(err.message.contains("CRO_API_VERSION"), "{}", err.message);
        let s = resolve(
            &Flags::default(),
            &[("CRO_TOKEN", "")],
            PathBuf::from("/x"),
            &cfg,
            &[],
        )
        .unwrap();
        assert!(s.token.is_none());
    }

    #[test]
    fn config_errors_do_not_echo_tokens() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            config_path(dir.path()),
            "[profiles.x]\ntoken = \"supersecret\"\nbogus = 1\n",
        )
        .unwrap();
        let err = load_config(dir.path()).unwrap_err();
        assert!(!err.to_string().contains("supersecret"), "{err}");
        assert!(err.to_string().contains("bogus"), "{err}");
        assert!(err.to_string().contains("line 3, column 1"), "{err}");
        std::fs::write(
            config_path(dir.path()),
            "[profiles.x\ntoken = \"supersecret\"\n",
        )
        .unwrap();
        let err = load_config(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("line 1") && err.contains("key `profiles.x`"),
            "{err}"
        );
        assert!(!err.contains("supersecret"), "{err}");
    }
}
