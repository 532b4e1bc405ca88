//! The credentials store: `<config dir>/credentials.toml`, one entry per profile, written by
//! `cro auth login` and by automatic refreshes, removed by `cro auth logout`.
//!
//! The file holds live tokens, so it is written owner-only (0600 on Unix) and atomically (a
//! temporary file in the same directory, renamed over the old one): a crash mid-write can
//! neither leave a half-written file nor briefly expose the tokens with default permissions.

use crate::exit::{CliError, CliResult};
use cro_api::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Tokens refresh this many seconds before they expire, so that a request started just
/// before expiry does not fail with 401 in flight.
pub const EXPIRY_SKEW_SECS: i64 = 60;

/// `credentials.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CredentialsFile {
    /// Stored tokens per profile name.
    #[serde(default)]
    pub profiles: BTreeMap<String, StoredToken>,
}

/// Tokens of one profile, plus what is needed to refresh them without the config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredToken {
    /// The bearer access token.
    pub access_token: SecretString,
    /// The refresh token, when the server issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<SecretString>,
    /// Expiry as Unix seconds (None: the server did not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Token endpoint used for refreshes.
    pub token_url: String,
    /// OAuth client id used for refreshes.
    pub client_id: String,
    /// OAuth client secret (confidential clients only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretString>,
    /// Scopes granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// API base URL in effect at login (informational, shown by `cro auth status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl StoredToken {
    /// Whether the access token is expired, or expires within [`EXPIRY_SKEW_SECS`].
    pub fn needs_refresh(&self, now: i64) -> bool {
        self.expires_at
            .is_some_and(|exp| exp - EXPIRY_SKEW_SECS <= now)
    }
}

/// Current time as Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Path of the credentials file in `dir`.
pub fn credentials_path(dir: &Path) -> PathBuf {
    dir.join("credentials.toml")
}

/// Load the credentials file (a missing file is empty).
pub fn load(dir: &Path) -> CliResult<CredentialsFile> {
    let path = credentials_path(dir);
    match std::fs::read_to_string(&path) {
        // Never include toml's message: it quotes the offending line, i.e. possibly a token.
        Ok(text) => toml::from_str(&text).map_err(|_| {
            CliError::auth(format!(
                "credentials file {} is damaged; run `cro auth logout` and log in again",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CredentialsFile::default()),
        Err(e) => Err(CliError::auth(format!(
            "cannot read credentials file {}: {e}",
            path.display()
        ))),
    }
}

/// Write the credentials file atomically with owner-only permissions.
pub fn save(dir: &Path, creds: &CredentialsFile) -> CliResult<()> {
    create_private_dir(dir)?;
    let text = toml::to_string(creds)
        .map_err(|e| CliError::other(format!("cannot encode credentials: {e}")))?;
    let path = credentials_path(dir);
    // NamedTempFile is created 0600 on Unix, and rename keeps the mode: the tokens are never
    // readable by others, not even for a moment.
    let mut tmp = tempfile::Builder::new()
        .prefix(".credentials.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io_err(&path, e))?;
    tmp.write_all(text.as_bytes())
        .map_err(|e| io_err(&path, e))?;
    tmp.as_file().sync_all().map_err(|e| io_err(&path, e))?;
    set_owner_only(tmp.path()).map_err(|e| io_err(&path, e))?;
    tmp.persist(&path).map_err(|e| io_err(&path, e.error))?;
    Ok(())
}

fn io_err(path: &Path, e: std::io::Error) -> CliError {
    CliError::other(format!("cannot write {}: {e}", path.display()))
}

/// Create the config directory (0700 on Unix when we create it).
pub fn create_private_dir(dir: &Path) -> CliResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| CliError::other(format!("cannot create {}: {e}", dir.display())))
}

#[cfg(unix)]
fn set_owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_owner_only(_path: &Path) -> std::io::Result<()> {
    // The file lives in the user's own profile directory, which is private by default.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(exp: Option<i64>) -> StoredToken {
        StoredToken {
            access_token: SecretString::new("acc"),
            refresh_token: Some(SecretString::new("ref")),
            expires_at: exp,
            token_url: "http://127.0.0.1:1/oauth2/token".into(),
            client_id: "cid".into(),
            client_secret: None,
            scopes: vec!["api".into()],
            base_url: None,
        }
    }

    #[test]
    fn expiry_with_skew() {
        assert!(!token(None).needs_refresh(1_000));
        assert!(!token(Some(2_000)).needs_refresh(1_000));
        assert!(token(Some(1_050)).needs_refresh(1_000));
        assert!(token(Some(900)).needs_refresh(1_000));
    }

    #[test]
    fn save_load_roundtrip_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("cro");
        let mut creds = CredentialsFile::default();
        creds.profiles.insert("default".into(), token(Some(5)));
        save(&sub, &creds).unwrap();
        let back = load(&sub).unwrap();
        assert_eq!(back.profiles["default"].access_token.expose_secret(), "acc");
        assert_eq!(back.profiles["default"].expires_at, Some(5));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(credentials_path(&sub))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = std::fs::metadata(&sub).unwrap().permissions().mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
        // No temporary files left behind.
        let names: Vec<_> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn damaged_file_error_does_not_leak() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            credentials_path(dir.path()),
            "[profiles.x]\naccess_token = \"leaky-token\"\noops",
        )
        .unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(!err.to_string().contains("leaky-token"));
    }
}
