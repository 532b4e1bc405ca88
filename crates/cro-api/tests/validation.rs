//! Settings are validated before anything is sent; each error names the setting.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use cro_api::{Client, ConfigError, TokenProblem};

fn build_err(builder: cro_api::ClientBuilder) -> ConfigError {
    builder.build().expect_err("the builder should refuse this")
}

#[test]
fn token_too_long_is_rejected() {
    // `bearer ` + 250 characters = 257 > 256.
    let long = format!("{}.{}", "a".repeat(125), "b".repeat(124));
    assert_eq!(long.len(), 250);
    let err = build_err(Client::builder().token(long.as_str()));
    assert_eq!(err.setting(), Some("token"));
    assert_eq!(
        err,
        ConfigError::Token {
            setting: "token",
            problem: TokenProblem::TooLong {
                length: 257,
                max: 256
            }
        }
    );
    assert!(err.to_string().contains("at most 256"), "{err}");
    assert!(!err.to_string().contains("aaaa"), "{err}");
    // One character less is fine.
    let ok = format!("{}.{}", "a".repeat(125), "b".repeat(123));
    assert!(Client::builder().token(ok.as_str()).build().is_ok());
}

#[test]
fn malformed_tokens_are_rejected() {
    for bad in [
        "",
        "ab",
        "abc$$def",
        "tok;en;semi;colons",
        "two words.x.y",
        "ünï.cödé.x",
    ] {
        let err = build_err(Client::builder().token(bad));
        assert_eq!(err.setting(), Some("token"), "{bad:?}");
        assert!(matches!(err, ConfigError::Token { .. }), "{bad:?}: {err:?}");
    }
    assert!(matches!(
        build_err(Client::builder().token("abc$$def")),
        ConfigError::Token {
            problem: TokenProblem::Malformed,
            ..
        }
    ));
    assert!(matches!(
        build_err(Client::builder().token("bad\ntoken.x")),
        ConfigError::Token {
            problem: TokenProblem::InvalidCharacters,
            ..
        }
    ));
    // Opaque tokens are accepted when the shape check is off; the length limit stays.
    assert!(
        Client::builder()
            .token("abc$$def")
            .check_token_shape(false)
            .build()
            .is_ok()
    );
    let long = "x".repeat(300);
    assert!(
        Client::builder()
            .token(long.as_str())
            .check_token_shape(false)
            .build()
            .is_err()
    );
}

#[test]
fn pasted_bearer_prefix_is_removed() {
    assert!(
        Client::builder()
            .token(format!("Bearer {TOKEN}"))
            .build()
            .is_ok()
    );
}

#[test]
fn unknown_api_version_is_rejected() {
    let err = build_err(Client::builder().api_version_str("2022/01/01"));
    assert_eq!(err.setting(), Some("api_version"));
    let text = err.to_string();
    assert!(
        text.contains("2022/01/01") && text.contains("2023/04/19"),
        "{text}"
    );
    for version in cro_api::meta::API_VERSIONS {
        assert!(
            Client::builder().api_version_str(*version).build().is_ok(),
            "{version}"
        );
    }
    let client = Client::builder().build().unwrap();
    assert_eq!(
        client.state().api_version(),
        cro_api::meta::LATEST_API_VERSION
    );
    assert_eq!(cro_api::meta::LATEST_API_VERSION, "2023/04/19");
}

#[test]
fn plain_http_is_only_for_loopback_unless_allowed() {
    let err = build_err(Client::builder().base_url("http://api.crosoftware.net"));
    assert_eq!(err.setting(), Some("base_url"));
    assert!(err.to_string().contains("plain http"), "{err}");
    for ok in [
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
        "https://api.crosoftware.net/",
    ] {
        assert!(Client::builder().base_url(ok).build().is_ok(), "{ok}");
    }
    assert!(
        Client::builder()
            .base_url("http://10.0.0.5:8080")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    for bad in [
        "api.crosoftware.net",
        "ftp://x.example",
        "https://x.example/?a=1",
        "https://u:p@x.example",
    ] {
        let err = build_err(Client::builder().base_url(bad));
        assert_eq!(err.setting(), Some("base_url"), "{bad}");
    }
}

#[test]
fn base_url_keeps_a_path_stem_without_trailing_slash() {
    use cro_api::progenitor_client::ClientInfo;
    let client = Client::builder()
        .base_url("https://gw.example/cro/")
        .build()
        .unwrap();
    assert_eq!(client.baseurl(), "https://gw.example/cro");
    let client = Client::builder().build().unwrap();
    assert_eq!(client.baseurl(), cro_api::DEFAULT_BASE_URL);
}

#[test]
fn invalid_header_values_are_rejected() {
    let err = build_err(Client::builder().user_agent_suffix("my app\r\nx-evil: 1"));
    assert_eq!(err.setting(), Some("user_agent_suffix"));
    assert!(matches!(err, ConfigError::HeaderValue { .. }));
    let err = build_err(Client::builder().token("abc.def\u{7f}"));
    assert_eq!(err.setting(), Some("token"));
}

#[test]
fn zero_timeouts_are_rejected() {
    assert_eq!(
        build_err(Client::builder().request_timeout(Duration::ZERO)).setting(),
        Some("request_timeout")
    );
    assert_eq!(
        build_err(Client::builder().connect_timeout(Duration::ZERO)).setting(),
        Some("connect_timeout")
    );
}

fn env(vars: &[(&str, &str)]) -> cro_api::ClientBuilder {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    cro_api::ClientBuilder::from_lookup(move |name| map.get(name).cloned())
}

#[test]
fn environment_settings_and_errors_name_the_variable() {
    let client = env(&[
        ("CRO_BASE_URL", "http://127.0.0.1:9"),
        ("CRO_TOKEN", TOKEN),
        ("CRO_TENANT_ID", "12"),
        ("CRO_API_VERSION", "2021/11/04"),
    ])
    .build()
    .unwrap();
    assert_eq!(client.tenant_id(), Some(12));
    assert_eq!(client.state().api_version(), "2021/11/04");
    assert!(client.state().has_token());

    // Empty variables are unset.
    let client = env(&[("CRO_TENANT_ID", ""), ("CRO_TOKEN", " ")])
        .build()
        .unwrap();
    assert_eq!(client.tenant_id(), None);
    assert!(!client.state().has_token());

    let cases = [
        ("CRO_TENANT_ID", "twelve"),
        ("CRO_API_VERSION", "latest"),
        ("CRO_BASE_URL", "http://example.com"),
        ("CRO_TOKEN", "not a token"),
    ];
    for (name, value) in cases {
        let err = env(&[(name, value)]).build().unwrap_err();
        assert_eq!(err.setting(), Some(name), "{err}");
        assert!(err.to_string().starts_with(name), "{err}");
    }
}

#[tokio::test]
async fn nothing_is_sent_by_a_refused_configuration() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        assert!(server.builder().api_version_str("nope").build().is_err());
        assert!(server.builder().token("x").build().is_err());
        assert_eq!(server.count(), 0);
    })
    .await;
}

#[tokio::test]
async fn token_source_tokens_are_validated_per_request() {
    #[derive(Debug)]
    struct Bad;
    impl cro_api::TokenSource for Bad {
        fn token(
            &self,
        ) -> cro_api::auth::BoxFuture<'_, Result<cro_api::SecretString, cro_api::TokenError>>
        {
            Box::pin(async { Ok(cro_api::SecretString::new("x".repeat(300))) })
        }
    }
    #[derive(Debug)]
    struct Failing;
    impl cro_api::TokenSource for Failing {
        fn token(
            &self,
        ) -> cro_api::auth::BoxFuture<'_, Result<cro_api::SecretString, cro_api::TokenError>>
        {
            Box::pin(async { Err(cro_api::TokenError::new("refresh token revoked")) })
        }
    }
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let client = server.builder().token_source(Bad).build().unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        match &err {
            cro_api::Error::Auth(auth) => {
                assert!(matches!(
                    auth.problem(),
                    Some(TokenProblem::TooLong { length: 307, .. })
                ))
            }
            other => panic!("{other:?}"),
        }
        let client = server.builder().token_source(Failing).build().unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(err.to_string().contains("refresh token revoked"), "{err}");
        assert_eq!(server.count(), 0);
    })
    .await;
}
