//! Webhook ping delivery: signature, loopback-only policy, failure reporting.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cro_fake::webhook_delivery::{
    DEFAULT_API_VERSION, Delivery, OK_MESSAGE, deliver, delivery_client, ping, ping_payload, sign,
};
use uuid::Uuid;

const SECRET: &str = "VGhlIGxhenkgYnJvd24gZG9n";

/// What the receiver saw: (signature valid?, headers, body).
type Seen = Arc<Mutex<Vec<(bool, HeaderMap, Bytes)>>>;

/// A receiver that checks the signature itself (independently of `sign`) and answers 202 when
/// it is valid, 401 when not.
async fn receiver(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> StatusCode {
    use hmac::{Hmac, Mac};
    let expected = {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).expect("hmac key");
        mac.update(&body);
        format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
    };
    let ok = headers
        .get("x-cro-signature")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    seen.lock().expect("lock").push((ok, headers, body));
    if ok {
        StatusCode::ACCEPTED
    } else {
        StatusCode::UNAUTHORIZED
    }
}

async fn start_receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/hook", post(receiver))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), seen)
}

#[test]
fn sign_matches_known_vector() {
    // RFC 2202 test case 2: HMAC-SHA1(key "Jefe", "what do ya want for nothing?").
    assert_eq!(
        sign("Jefe", b"what do ya want for nothing?"),
        "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    );
}

#[tokio::test]
async fn ping_posts_a_signed_request() {
    let (url, seen) = start_receiver().await;
    let client = delivery_client().expect("client");
    let delivery_id = Uuid::new_v4();
    let payload = ping_payload(7, delivery_id);

    let out = ping(&client, &url, Some(SECRET), &payload).await;

    assert_eq!(out.http_status, 202, "{out:?}");
    assert_eq!(out.delivery_id, delivery_id);
    assert_eq!(out.message, OK_MESSAGE);
    let seen = seen.lock().expect("lock");
    let (sig_ok, headers, body) = &seen[0];
    assert!(sig_ok, "receiver rejected the signature");
    assert_eq!(&body[..], &payload[..]);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-request-id"], delivery_id.to_string().as_str());
    assert_eq!(headers["x-api-version"], DEFAULT_API_VERSION);
    let json: serde_json::Value = serde_json::from_slice(body).expect("json body");
    assert_eq!(json["event"], "Ping");
    assert_eq!(json["hook_id"], 7);
}

#[tokio::test]
async fn wrong_secret_is_reported_with_the_receivers_status() {
    let (url, _seen) = start_receiver().await;
    let client = delivery_client().expect("client");
    let out = ping(&client, &url, Some("another secret"), b"{}").await;
    // The call completed, so the status is the receiver's and the message is the "ok" one.
    assert_eq!(out.http_status, 401);
    assert_eq!(out.message, OK_MESSAGE);
}

#[tokio::test]
async fn no_secret_means_no_signature_header() {
    let (url, seen) = start_receiver().await;
    let client = delivery_client().expect("client");
    let out = ping(&client, &url, None, b"{}").await;
    assert_eq!(out.http_status, 401);
    assert!(
        !seen.lock().expect("lock")[0]
            .1
            .contains_key("x-cro-signature")
    );
}

#[tokio::test]
async fn localhost_is_accepted() {
    let (url, _seen) = start_receiver().await;
    let client = delivery_client().expect("client");
    let url = url.replace("127.0.0.1", "localhost");
    let out = ping(&client, &url, Some(SECRET), b"{}").await;
    // "localhost" may resolve to ::1 first, where nothing listens; the connector falls back to
    // 127.0.0.1, so the receiver answers.
    assert_eq!(out.http_status, 202, "{out:?}");
}

#[tokio::test]
async fn non_loopback_targets_are_refused_without_connecting() {
    let client = delivery_client().expect("client");
    for url in [
        "http://10.0.0.1/hook",
        "https://example.com/hook",
        "http://192.168.1.1:8080/",
        "http://[2001:db8::1]/",
        "http://localhost.example.com/",
    ] {
        let started = std::time::Instant::now();
        let out = ping(&client, url, Some(SECRET), b"{}").await;
        assert_eq!(out.http_status, -1, "{url}");
        assert!(out.message.starts_with("Refused"), "{url}: {}", out.message);
        assert!(out.message.contains("loopback"), "{url}: {}", out.message);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{url} tried to connect"
        );
    }
    for url in ["ftp://127.0.0.1/", "not a url", "file:///etc/passwd"] {
        let out = ping(&client, url, None, b"{}").await;
        assert_eq!(out.http_status, -1, "{url}");
    }
}

#[tokio::test]
async fn unreachable_port_gives_minus_one() {
    // Bind then drop a listener so the port is (almost certainly) closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let client = delivery_client().expect("client");
    let out = ping(&client, &format!("http://127.0.0.1:{port}/"), None, b"{}").await;
    assert_eq!(out.http_status, -1);
    assert!(
        out.message.starts_with("HTTP call failed"),
        "{}",
        out.message
    );
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out() {
    // Accepts the connection but never responds.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let client = delivery_client().expect("client");
    let out = deliver(
        &client,
        &Delivery {
            url: &format!("http://{addr}/"),
            secret: None,
            payload: b"{}",
            delivery_id: Uuid::new_v4(),
            api_version: DEFAULT_API_VERSION,
            timeout: Duration::from_millis(300),
        },
    )
    .await;
    assert_eq!(out.http_status, -1);
    assert!(out.message.contains("Timed out"), "{}", out.message);
}
