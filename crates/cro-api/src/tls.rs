//! The TLS set-up of the HTTP clients this crate builds.
//!
//! Feature `rustls` (default): reqwest's rustls with its built-in provider, `aws-lc-rs`.
//! Feature `rustls-ring`: this crate's clients get a ready-made rustls configuration with
//! the `ring` crypto provider and the platform's certificate verifier
//! (`rustls-platform-verifier`, the system's trust store). It is handed to reqwest per client
//! rather than installed as rustls' process-wide default, so nothing else in the program
//! changes. `ring` builds faster and needs only a C compiler, never CMake or NASM (figures
//! in the workspace README), but without `rustls` reqwest has no provider of its own: any
//! other reqwest 0.13 client built in the program panics unless the program installs one
//! (`rustls::crypto::ring::default_provider().install_default()`) or starts it from
//! [`client_builder`].
//!
//! With `native-tls` (alone or with a rustls feature), reqwest's platform TLS is used, as
//! reqwest does by default when both are enabled. With none, only plain `http` works.

/// A `reqwest::ClientBuilder` with the TLS backend this crate's features chose, for HTTP
/// clients of your own (with `rustls-ring` alone, a plain `reqwest::Client::new()` would
/// panic for want of a provider; a client started here does not).
///
/// ```
/// let http = cro_api::tls::client_builder()?.build()?;
/// # let _ = http;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn client_builder() -> Result<reqwest::ClientBuilder, crate::ConfigError> {
    configure(reqwest::Client::builder()).map_err(crate::ConfigError::HttpClient)
}

/// Configure `builder`'s TLS backend; the error is the reason, in words.
#[cfg(all(feature = "rustls-ring", not(feature = "native-tls")))]
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
    Ok(builder.tls_backend_preconfigured(rustls_config()?))
}

/// Configure `builder`'s TLS backend: reqwest's own choice for these features.
#[cfg(not(all(feature = "rustls-ring", not(feature = "native-tls"))))]
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
    Ok(builder)
}

/// rustls with `ring`, TLS 1.2 and 1.3, and the platform verifier: what this crate's clients
/// use with `rustls-ring`, for rustls connections of your own (the error is the reason, in
/// words).
#[cfg(feature = "rustls-ring")]
pub fn rustls_config() -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_platform_verifier()
        .map_err(|e| format!("TLS set-up: the system's certificate verifier: {e}"))?
        .with_no_client_auth();
    Ok(config)
}

#[cfg(all(test, feature = "rustls-ring", not(feature = "native-tls")))]
mod tests {
    use super::*;

    #[test]
    fn rustls_config_uses_ring_with_tls_1_2_and_1_3_suites() {
        let config = rustls_config().expect("rustls config builds");
        let ring = rustls::crypto::ring::default_provider();
        let ours: Vec<_> = config
            .crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect();
        let rings: Vec<_> = ring.cipher_suites.iter().map(|s| s.suite()).collect();
        assert_eq!(ours, rings, "the client's cipher suites are ring's");
        let versions: Vec<_> = config
            .crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| s.version().version)
            .collect();
        assert!(versions.contains(&rustls::ProtocolVersion::TLSv1_3));
        assert!(versions.contains(&rustls::ProtocolVersion::TLSv1_2));
    }

    #[test]
    fn an_https_client_builds_without_a_process_wide_provider() {
        // reqwest's rustls-no-provider backend panics when it has to pick a provider itself;
        // building with ours must not need one.
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        configure(reqwest::Client::builder())
            .expect("tls configured")
            .build()
            .expect("client builds");
        crate::Client::builder()
            .base_url("https://api.example.invalid")
            .build()
            .expect("cro client builds over https");
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    }
}
