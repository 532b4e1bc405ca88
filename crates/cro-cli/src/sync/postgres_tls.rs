//! How `cro sync` secures a PostgreSQL connection, from the `--to` URL.
//!
//! libpq's `sslmode` names are accepted, with one difference that keeps the default safe:
//! every TLS connection verifies the server's certificate (against the system's trust store,
//! or the CA file named by `sslrootcert=PATH`), where libpq's `prefer` and `require` do not.
//! - no `sslmode`, `prefer`: TLS if the server offers it (verified), else plain;
//! - `require`, `verify-ca`, `verify-full`: TLS or nothing (verified);
//! - `disable`: plain.
//!
//! The crypto is rustls with `ring`, as for every other connection `cro` makes.

use std::sync::Arc;

/// The connection settings `tokio-postgres` understands, and the TLS to use with them.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// The URL without our own parameters, with `sslmode` in the form the driver knows.
    pub url: String,
    /// Whether to offer TLS at all.
    pub tls: bool,
    /// A PEM file of CA certificates to trust instead of the system's (`sslrootcert`).
    pub root_cert: Option<String>,
}

/// Read the TLS settings from a `postgres://` URL. The query is edited as text, pair by pair,
/// so every other parameter reaches the driver exactly as written (re-encoding it could turn
/// an escaped space into a `+` the driver would keep).
pub fn target(url: &str) -> Result<Target, String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, query),
        None => (url, ""),
    };
    let mut tls = true;
    let mut root_cert = None;
    let mut kept: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map(|v| v.into_owned())
                .map_err(|_| format!("{key}: the value is not UTF-8 once decoded"))
        };
        match key {
            "sslrootcert" => root_cert = Some(decoded()?),
            "sslmode" => {
                let mode = match decoded()?.as_str() {
                    "disable" => {
                        tls = false;
                        "disable"
                    }
                    "allow" | "prefer" => "prefer",
                    "require" | "verify-ca" | "verify-full" => "require",
                    other => {
                        return Err(format!(
                            "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                        ));
                    }
                };
                kept.push(format!("sslmode={mode}"));
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Target {
        url,
        tls,
        root_cert,
    })
}

/// The rustls client configuration: `ring`, TLS 1.2 and 1.3, and the CA file of
/// `sslrootcert` or else the system's trust store.
pub fn client_config(root_cert: Option<&str>) -> Result<rustls::ClientConfig, String> {
    let Some(path) = root_cert else {
        return cro_api::tls::rustls_config();
    };
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs =
        CertificateDer::pem_file_iter(path).map_err(|e| format!("sslrootcert={path}: {e}"))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("sslrootcert={path}: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("sslrootcert={path}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("sslrootcert={path}: no certificate in the file"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmodes_map_to_what_the_driver_knows_and_our_parameters_are_removed() {
        let t = target("postgres://u:p@h:5/db").unwrap();
        assert_eq!(
            (t.url.as_str(), t.tls, t.root_cert),
            ("postgres://u:p@h:5/db", true, None)
        );
        let t =
            target("postgres://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=5")
                .unwrap();
        assert_eq!(t.url, "postgres://u@h/db?sslmode=require&connect_timeout=5");
        assert!(t.tls);
        assert_eq!(t.root_cert.as_deref(), Some("/ca.pem"));
        let t = target("postgres://u@h/db?sslmode=disable").unwrap();
        assert!(!t.tls);
        assert_eq!(
            target("postgres://u@h/db?sslmode=allow").unwrap().url,
            "postgres://u@h/db?sslmode=prefer"
        );
        assert!(target("postgres://u@h/db?sslmode=sometimes").is_err());
        let t = target("postgres://u@h/db?options=-c%20search_path%3Dx&sslrootcert=%2Fa%20b.pem")
            .unwrap();
        assert_eq!(t.url, "postgres://u@h/db?options=-c%20search_path%3Dx");
        assert_eq!(t.root_cert.as_deref(), Some("/a b.pem"));
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_an_error_in_words() {
        let e = client_config(Some("/nonexistent/ca.pem")).unwrap_err();
        assert!(e.starts_with("sslrootcert=/nonexistent/ca.pem"), "{e}");
        let empty = std::env::temp_dir().join(format!("cro-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let e = client_config(Some(&empty.to_string_lossy())).unwrap_err();
        let _ = std::fs::remove_file(&empty);
        assert!(e.contains("no certificate"), "{e}");
    }
}
