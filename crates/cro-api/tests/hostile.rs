//! Hostile and broken servers (issue 11): bounded reads, clean error text, no redirects,
//! one-line errors. Each test starts its own loopback server.

mod common;

use std::time::Duration;

use axum::body::{Body, Bytes};
use common::*;
use cro_api::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A small cap, so the tests move little data.
const CAP: u64 = 1 << 20;

/// A body that never ends: 64 KiB chunks of `x`, forever.
fn endless_body() -> Body {
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    Body::from_stream(futures::stream::repeat_with(move || {
        Ok::<_, std::io::Error>(chunk.clone())
    }))
}

/// No control character (C0, DEL, C1) in `text`.
fn assert_clean(text: &str, what: &str) {
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{what} holds a control character: {text:?}"
    );
    let lower = text.to_lowercase();
    assert!(
        !lower.contains(&TOKEN.to_lowercase()),
        "{what} holds the token (in some letter case): {text}"
    );
    assert!(
        !lower.contains("x-cro-rs"),
        "{what} shows internal headers: {text}"
    );
}

/// Every rendering of an error: one line, `{:#}`, `{:?}`, the accessors.
fn assert_all_clean(err: &Error) {
    let line = err.to_string();
    assert!(!line.contains('\n'), "Display is one line: {line:?}");
    assert!(line.chars().count() < 300, "Display is short: {line}");
    assert_clean(&line, "Display");
    assert_clean(&format!("{err:#}"), "{:#}");
    for (what, value) in [
        ("reason", err.reason()),
        ("detail", err.detail()),
        ("explanation", err.explanation()),
        ("title", err.title()),
        ("body excerpt", err.body_excerpt()),
        ("field", err.field().map(|f| f.as_str())),
    ] {
        if let Some(value) = value {
            assert_clean(value, what);
        }
    }
}

fn capped_client(server: &TestServer) -> cro_api::Client {
    server.builder().max_body_size(CAP).build().unwrap()
}

#[tokio::test]
async fn endless_success_body_stops_at_the_cap() {
    bounded(async {
        let server = TestServer::start(|_, _| raw(200, "application/json", endless_body())).await;
        let err = capped_client(&server)
            .list_tenants()
            .send()
            .await
            .unwrap_err();
        assert!(err.is_body_too_large(), "{err:?}");
        assert!(!err.is_retryable());
        let text = err.to_string();
        assert!(text.contains("1 MiB limit"), "names the cap: {text}");
        assert!(
            text.contains("max_body_size"),
            "says how to raise it: {text}"
        );
        // Not retried: the same body would come again.
        assert_eq!(server.count(), 1);
    })
    .await;
}

#[tokio::test]
async fn endless_body_of_a_post_stops_at_the_cap_too() {
    bounded(async {
        // POST is never repeated, so its body used to be read only after the hook returned.
        let server = TestServer::start(|_, _| raw(200, "application/json", endless_body())).await;
        let err = capped_client(&server)
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        assert!(err.is_body_too_large(), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn a_body_under_the_cap_is_read() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let page = capped_client(&server)
            .list_tenants()
            .send()
            .await
            .expect("a small page is under any cap");
        assert_eq!(page.total_count, 0);
        let err = server
            .builder()
            .max_body_size(0)
            .build()
            .expect_err("a zero cap is refused");
        assert_eq!(err.setting(), Some("max_body_size"));
    })
    .await;
}

/// A raw HTTP/1.1 server that answers every request with `head` and then keeps the
/// connection open without sending anything else.
async fn silent_after_head(head: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let _ = stream.write_all(head.as_bytes()).await;
            held.push(stream);
        }
    });
    url
}

#[tokio::test]
async fn content_length_over_the_cap_is_refused_before_reading() {
    bounded(async {
        // The body never comes: a client that waited for it would hang until the (long)
        // timeout, past the test's bound.
        let url = silent_after_head(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10485760\r\n\r\n"
                .to_owned(),
        )
        .await;
        let client = cro_api::Client::builder()
            .base_url(&url)
            .token(TOKEN)
            .max_body_size(CAP)
            .request_timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(err.is_body_too_large(), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("10 MiB") && text.contains("nothing was read"),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn endless_error_body_is_read_only_as_far_as_needed() {
    bounded(async {
        let server = TestServer::start(|_, _| raw(500, "text/html", endless_body())).await;
        let err = server
            .client()
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        assert!(err.is_server_error(), "{err:?}");
        assert!(err.body_excerpt().unwrap().chars().count() <= 301);
        assert_all_clean(&err);
    })
    .await;
}

/// Control characters and the token (in several letter cases) in every field of a JSON error
/// body, and in the reason phrase (where HTTP/1.1 parsers let through only TAB among the
/// controls; obs-text reasons are dropped by the parser).
#[tokio::test]
async fn control_characters_and_the_token_never_reach_the_error_text() {
    bounded(async {
        let upper = TOKEN.to_uppercase();
        let lower = TOKEN.to_lowercase();
        let reason = format!("Denied\tfor {}", TOKEN.to_uppercase());
        let server = TestServer::start(move |_, _| {
            let body = serde_json::json!({
                "field": "CreateUserRequestModel.\u{1b}[2Jusername",
                "detail": format!("bad token {TOKEN}\u{7}\u{1b}]0;pwned\u{7}\r overwritten"),
                "explanation": format!("echo {upper} and {lower}\u{9b}31m"),
                "title": format!("\u{1b}[31mForbidden {TOKEN}\u{202e}"),
            });
            with_reason(json(403, body), &reason)
        })
        .await;
        let err = server
            .client()
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        assert!(err.is_forbidden());
        assert_all_clean(&err);
        assert!(err.detail().unwrap().contains("[redacted]"), "{err:#}");
        assert!(err.explanation().unwrap().contains("[redacted]"), "{err:#}");
        // Escaped, not dropped: what the server sent stays readable.
        assert!(
            err.detail().unwrap().contains("\\x1b]0;pwned\\x07"),
            "{err:#}"
        );
        assert_eq!(err.reason(), Some("Denied\\tfor [redacted]"));
    })
    .await;
}

#[tokio::test]
async fn a_success_page_echoing_the_token_is_redacted() {
    bounded(async {
        let page = format!(
            "<html><head><title>Sign in</title></head><body>\u{1b}[2J Hello {}, your session \
             {TOKEN} expired\r</body></html>",
            TOKEN.to_ascii_lowercase()
        );
        let server = TestServer::start(move |_, _| raw(200, "text/html", page.clone())).await;
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "{err:?}");
        assert_all_clean(&err);
        assert!(err.body_excerpt().unwrap().contains("[redacted]"));
    })
    .await;
}

#[tokio::test]
async fn a_3_mb_html_page_is_excerpted_from_its_first_kilobytes() {
    bounded(async {
        // Many small tags (the old stripper lower-cased the rest of the page at each one),
        // visible text at the start, and a marker far past the examined prefix.
        let mut page = String::from("<html><body><p>Portal login required</p>");
        while page.len() < 3_000_000 {
            page.push_str("<i>a</i>");
        }
        page.push_str("<p>FAR-BEYOND-THE-PREFIX</p></body></html>");
        let server = TestServer::start(move |_, _| raw(200, "text/html", page.clone())).await;
        let err = server.client().list_tenants().send().await.unwrap_err();
        let excerpt = err.body_excerpt().unwrap();
        assert!(excerpt.starts_with("Portal login required"), "{excerpt}");
        assert!(!excerpt.contains("FAR-BEYOND"), "only a prefix is examined");
        assert!(excerpt.chars().count() <= 301);
        assert_all_clean(&err);
    })
    .await;
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    bounded(async {
        let other = TestServer::start(|_, _| tenants_page()).await;
        let target = format!("{}/tenants?stolen={TOKEN}", other.url);
        let server = TestServer::start(move |_, _| {
            with_header(raw(302, "text/html", "moved"), "location", &target)
        })
        .await;
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert!(err.is_redirect(), "{err:?}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
        assert_eq!(other.count(), 0, "no request may reach the other origin");
        assert_eq!(server.count(), 1, "a redirect is not retried");
        let Error::Redirect(redirect) = &err else {
            unreachable!()
        };
        let location = redirect.location().unwrap();
        assert!(location.starts_with(&other.url), "{location}");
        assert!(location.contains("[redacted]"), "{location}");
        let text = err.to_string();
        assert!(text.contains(&other.url) && text.contains("302"), "{text}");
        assert_all_clean(&err);
    })
    .await;
}

#[tokio::test]
async fn a_redirect_on_a_post_is_not_followed_either() {
    bounded(async {
        let other = TestServer::start(|_, _| tenants_page()).await;
        let target = format!("{}/users", other.url);
        let server = TestServer::start(move |_, _| {
            with_header(raw(307, "text/plain", ""), "location", &target)
        })
        .await;
        let err = server
            .client()
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        assert!(err.is_redirect(), "{err:?}");
        assert_eq!(other.count(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_403_displays_on_one_short_line_with_details_on_alternate() {
    bounded(async {
        let detail = format!("Start-of-message {}", "word ".repeat(600));
        let server = TestServer::start(move |_, _| {
            with_header(
                json(
                    403,
                    serde_json::json!({"field": "X.y", "detail": detail, "explanation": "why"}),
                ),
                "x-request-id",
                "3f0e8d5c-0000-4000-8000-000000000001",
            )
        })
        .await;
        let err = server
            .client()
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        let line = format!("{err}");
        assert!(!line.contains('\n') && line.chars().count() < 300, "{line}");
        assert!(line.starts_with("403 X.y: Start-of-message word"), "{line}");
        assert!(
            line.ends_with("(request id 3f0e8d5c-0000-4000-8000-000000000001)"),
            "{line}"
        );
        assert_eq!(
            line.matches("Start-of-message").count(),
            1,
            "the message once: {line}"
        );
        let full = format!("{err:#}");
        assert!(full.contains("\n  explanation: why"), "{full}");
        assert!(full.contains("\n  operation: create_user"), "{full}");
        // The accessor keeps a readable length, not the whole string.
        assert!(err.detail().unwrap().chars().count() <= cro_api::SERVER_TEXT_MAX_CHARS + 1);
        // Through `Box<dyn Error>` the same line.
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
        assert_eq!(boxed.to_string(), line);
    })
    .await;
}

#[tokio::test]
async fn oauth_token_endpoint_is_bounded_and_not_redirected() {
    bounded(async {
        let other = TestServer::start(|_, _| json(200, serde_json::json!({}))).await;
        let target = format!("{}/token", other.url);
        let server = TestServer::start(move |_, i| match i {
            0 => raw(200, "application/json", endless_body()),
            1 => with_header(raw(302, "text/plain", ""), "location", &target),
            _ => json(
                400,
                serde_json::json!({
                    "error": "invalid_grant",
                    "error_description": format!("bad \u{1b}[2J refresh {TOKEN}")
                }),
            ),
        })
        .await;
        let oauth = cro_api::oauth::OAuthClient::new(
            cro_api::oauth::OAuthConfig::new("client").token_url(format!("{}/token", server.url)),
        )
        .unwrap();
        let refresh = cro_api::SecretString::new("refresh-token-value-123");

        let err = oauth.refresh(&refresh).await.unwrap_err().to_string();
        assert!(err.contains("larger than 256 KiB"), "{err}");

        let err = oauth.refresh(&refresh).await.unwrap_err().to_string();
        assert!(err.contains("302") && err.contains(&other.url), "{err}");
        assert_eq!(other.count(), 0, "the token request is not sent elsewhere");

        let err = oauth.refresh(&refresh).await.unwrap_err().to_string();
        assert!(err.contains("invalid_grant"), "{err}");
        assert_clean(&err, "OAuth error");
    })
    .await;
}
