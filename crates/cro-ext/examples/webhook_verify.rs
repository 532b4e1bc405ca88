//! Webhooks: create a hook pointing at a small local receiver, ask the API to ping it, and
//! verify the delivery's `X-Cro-Signature` against the raw body, as a real receiver would.
//!
//! ```sh
//! CRO_BASE_URL=http://127.0.0.1:8080 CRO_TOKEN=... CRO_TENANT_ID=42 \
//!     cargo run -p cro-ext --example webhook_verify
//! ```
//!
//! The receiver listens on 127.0.0.1, so this runs against a server on the same machine
//! (cro-fake); against the real API, the hook URL must be reachable from the internet.

use axum::body::Bytes;
use axum::http::HeaderMap;
use cro_api::types::{CreateWebhookModel, HookEvent};
use cro_ext::webhooks::{SIGNATURE_HEADER, SignatureError, verify_signature};
use tokio::sync::mpsc;

/// The hook's signing secret (in real code: from your secret store, never logged).
const SECRET: &str = "VGhlIGxhenkgYnJvd24gZG9n";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = cro_api::Client::from_env()?;

    // The receiver: hands each delivery's signature header and raw body to `deliveries`.
    let (tx, mut deliveries) = mpsc::channel::<(String, Bytes)>(4);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let signature = headers
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let _ = tx.send((signature, body)).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let hook = CreateWebhookModel::builder()
        .url(url.clone())
        .secret(SECRET)
        .events([HookEvent::Customer, HookEvent::Job]);
    let hook = client.create_hook().body(hook).send().await?;
    println!("hook {} -> {url}", hook.id);

    let ping = client.ping_hook().hook_id(hook.id).send().await?;
    println!("ping: receiver answered {}", ping.http_status);
    let (signature, body) =
        tokio::time::timeout(std::time::Duration::from_secs(10), deliveries.recv())
            .await?
            .ok_or("the receiver stopped")?;

    verify_signature(SECRET, &body, &signature)?;
    println!("delivery of {} bytes: signature verified", body.len());
    let mut tampered = body.to_vec();
    tampered.push(b' ');
    match verify_signature(SECRET, &tampered, &signature) {
        Err(SignatureError::Mismatch) => println!("tampered body: rejected"),
        other => return Err(format!("a tampered body must be rejected, got {other:?}").into()),
    }

    client.delete_hook().hook_id(hook.id).send().await?;
    server.abort();
    Ok(())
}
