//! The token never appears in Debug/Display of any client type, error, or in tracing output.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use common::*;
use cro_api::oauth::{OAuthConfig, TokenSet};
use cro_api::{Client, SecretString};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// A part common to every segment of the test token.
const MARKER: &str = "TOPSECRET";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(MARKER), "{what} leaks the token: {text}");
    assert!(!text.contains(TOKEN), "{what} leaks the token: {text}");
}

fn check<T: std::fmt::Debug + std::fmt::Display>(what: &str, value: &T) {
    assert_clean(&format!("{what} (Debug)"), &format!("{value:?}"));
    assert_clean(&format!("{what} (Debug, pretty)"), &format!("{value:#?}"));
    assert_clean(&format!("{what} (Display)"), &format!("{value}"));
    assert_clean(
        &format!("{what} (Display, alternate)"),
        &format!("{value:#}"),
    );
}

#[tokio::test]
async fn token_never_printed() {
    let logs = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    bounded(async {
        // A server that echoes the authorization header in its 401 status line and body.
        let server = TestServer::start(|request, _| {
            let auth = request
                .header("authorization")
                .unwrap_or_default()
                .to_owned();
            with_reason(
                raw(
                    401,
                    "text/html",
                    format!("<h1>Invalid token</h1><p>{auth}</p>"),
                ),
                &format!("Invalid token {auth}"),
            )
        })
        .await;

        let builder = server.builder();
        assert_clean("builder", &format!("{builder:?} {builder:#?}"));
        let client = builder.build().unwrap();
        assert_clean("client", &format!("{client:?} {client:#?}"));
        assert_clean("client state", &format!("{:?}", client.state()));

        // A 401, as the raw progenitor error and as ours.
        let raw_err = client.list_tenants().send().await.unwrap_err();
        check("raw 401 error", &raw_err);
        let err = raw_err;
        assert!(err.is_unauthorized());
        check("401 error", &err);
        assert!(err.to_string().contains("[redacted]"), "{err}");
        assert_eq!(
            server.count(),
            1,
            "a static token is not repeated after a 401"
        );

        // A token that is too long.
        let long = format!("{MARKER}{}.{}", "a".repeat(200), "b".repeat(60));
        let config_err = Client::builder().token(long.as_str()).build().unwrap_err();
        check("too-long token error", &config_err);
        check(
            "too-long token error as Error",
            &cro_api::Error::from(config_err),
        );
        let malformed = format!("{MARKER}$${MARKER}");
        check(
            "malformed token error",
            &Client::builder()
                .token(malformed.as_str())
                .build()
                .unwrap_err(),
        );

        // A network error.
        let addr = closed_port().await;
        let offline = Client::builder()
            .base_url(format!("http://{addr}"))
            .token(TOKEN)
            .retry_policy(fast_retries())
            .build()
            .unwrap();
        let raw_err = offline.list_tenants().send().await.unwrap_err();
        check("raw network error", &raw_err);
        let err = raw_err;
        assert!(err.is_connect());
        check("network error", &err);

        // Secret-holding types.
        let secret = SecretString::new(TOKEN);
        check("secret", &secret);
        let tokens = TokenSet::new(
            TOKEN,
            Some(SecretString::new(TOKEN)),
            Some(SystemTime::now()),
        );
        assert_clean("token set", &format!("{tokens:?}"));
        let config = OAuthConfig::new("client-id").client_secret(TOKEN);
        assert_clean("oauth config", &format!("{config:?}"));
        let oauth =
            cro_api::oauth::OAuthClient::new(config.token_url("http://127.0.0.1:9/token")).unwrap();
        let login = oauth.authorize_url();
        assert_clean("authorization request", &format!("{login:?}"));
        assert!(!format!("{login:?}").contains(login.pkce_verifier().expose_secret()));
        let source = cro_api::oauth::RefreshingTokenSource::new(oauth, tokens);
        assert_clean("refreshing source", &format!("{source:?}"));
        let with_source = server.builder().token_source(source).build().unwrap();
        assert_clean("client with source", &format!("{with_source:?}"));
    })
    .await;

    drop(_guard);
    let output = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        output.contains("cro_api.request"),
        "no span captured: {output}"
    );
    assert_clean("tracing output", &output);
}
