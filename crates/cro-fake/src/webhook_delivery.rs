//! Webhook delivery for `GET /hooks/{hook_id}/ping`: the fake really POSTs a signed request to the
//! hook's URL and reports the outcome as a `WebhookPingResultModel`.
//!
//! # Signature scheme (inferred)
//! The docs show `X-Cro-Signature: sha1=2cc2d3…` and call the hook `secret` the "response body
//! HMAC signing key" (Base64 text). Nothing says whether the key is the Base64 *text* or the
//! decoded bytes. We use the secret string exactly as configured (its UTF-8 bytes) as the HMAC
//! key, like GitHub's `X-Hub-Signature`, because a receiver then needs no Base64 step and any
//! secret string works. The message is the raw request body, and the header value is
//! `sha1=` + lowercase hex (see [`sign`]). Without a secret no signature header is sent.
//!
//! # Safety
//! The fake must never be turned into a request cannon against other hosts, so only loopback
//! targets are called: `127.0.0.0/8`, `::1` (also IPv4-mapped), and `localhost` (only if every
//! address it resolves to is loopback). Anything else is refused before connecting. Callers should
//! use [`delivery_client`], which disables redirects (a redirect could leave loopback) and proxies
//! (a proxy would be a non-loopback hop).

use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use uuid::Uuid;

/// Timeout of one delivery attempt (connect + response headers). Short, because the ping
/// endpoint waits for it before answering its own caller.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// `X-API-VERSION` sent with a delivery when the caller does not choose one.
pub const DEFAULT_API_VERSION: &str = "2023/04/19";

/// The message the real API reports when the HTTP call completed (whatever its status).
pub const OK_MESSAGE: &str = "No exceptions raised.";

/// Result of one delivery, shaped like `WebhookPingResultModel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingOutcome {
    /// Status the receiver answered with, or `-1` when the call was refused, failed or timed out.
    pub http_status: i32,
    /// The delivery (hook execution) id; also sent as `x-request-id`.
    pub delivery_id: Uuid,
    /// Human-readable result: [`OK_MESSAGE`] when the receiver answered, else the reason.
    pub message: String,
}

/// One delivery with every knob explicit; [`ping`] fills in defaults.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// Target URL (must be `http` or `https` on a loopback host).
    pub url: &'a str,
    /// Hook secret; `None` sends no `X-Cro-Signature`.
    pub secret: Option<&'a str>,
    /// Raw JSON body, signed byte for byte.
    pub payload: &'a [u8],
    /// Delivery id (sent as `x-request-id`, returned in the outcome).
    pub delivery_id: Uuid,
    /// Value of the `X-API-VERSION` header.
    pub api_version: &'a str,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// A client fit for deliveries: no redirects, no proxies, [`DEFAULT_TIMEOUT`].
///
/// Returns `None` only if the TLS backend cannot be initialised.
pub fn delivery_client() -> Option<reqwest::Client> {
    // Started from cro-api's builder: with its `rustls-ring` feature alone, reqwest has no
    // TLS provider of its own.
    cro_api::tls::client_builder()
        .ok()?
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(DEFAULT_TIMEOUT)
        .connect_timeout(DEFAULT_TIMEOUT)
        .build()
        .ok()
}

/// `sha1=<lowercase hex HMAC-SHA1(key = secret's UTF-8 bytes, message = body)>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here; the fallback keeps
    // the function total anyway.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::from("sha1=");
    };
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The JSON body of a ping delivery: `{"event":"Ping","hook_id":..,"delivery_id":..}`.
pub fn ping_payload(hook_id: i64, delivery_id: Uuid) -> Vec<u8> {
    serde_json::json!({
        "event": "Ping",
        "hook_id": hook_id,
        "delivery_id": delivery_id,
    })
    .to_string()
    .into_bytes()
}

/// POSTs `payload` to `url`, signed with `secret`, and reports the outcome.
///
/// The delivery id is taken from the payload's `delivery_id` field when it holds a UUID (so the
/// body and the outcome agree, as with [`ping_payload`]); otherwise a new one is made.
pub async fn ping(
    client: &reqwest::Client,
    url: &str,
    secret: Option<&str>,
    payload: &[u8],
) -> PingOutcome {
    let delivery_id = delivery_id_of(payload).unwrap_or_else(Uuid::new_v4);
    deliver(
        client,
        &Delivery {
            url,
            secret,
            payload,
            delivery_id,
            api_version: DEFAULT_API_VERSION,
            timeout: DEFAULT_TIMEOUT,
        },
    )
    .await
}

/// Performs one delivery; never panics and never connects to a non-loopback host.
pub async fn deliver(client: &reqwest::Client, d: &Delivery<'_>) -> PingOutcome {
    let failed = |message: String| PingOutcome {
        http_status: -1,
        delivery_id: d.delivery_id,
        message,
    };
    let url = match check_loopback(d.url).await {
        Ok(url) => url,
        Err(why) => return failed(why),
    };
    let mut req = client
        .post(url)
        .timeout(d.timeout)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("x-request-id", d.delivery_id.to_string())
        .header("X-API-VERSION", d.api_version)
        .body(d.payload.to_vec());
    if let Some(secret) = d.secret {
        req = req.header("X-Cro-Signature", sign(secret, d.payload));
    }
    match req.send().await {
        Ok(resp) => PingOutcome {
            http_status: i32::from(resp.status().as_u16()),
            delivery_id: d.delivery_id,
            message: OK_MESSAGE.to_string(),
        },
        Err(e) if e.is_timeout() => failed(format!(
            "Timed out after {} ms calling the hook URL.",
            d.timeout.as_millis()
        )),
        Err(e) => failed(format!("HTTP call failed: {}", error_chain(&e))),
    }
}

fn delivery_id_of(payload: &[u8]) -> Option<Uuid> {
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    v.get("delivery_id")?.as_str()?.parse().ok()
}

/// Parses `raw` and accepts it only if it is http(s) on a loopback host.
async fn check_loopback(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("Invalid hook URL {raw:?}: {e}."))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "Refused: hook URL scheme {:?} is not http or https.",
            url.scheme()
        ));
    }
    let refused = |host: &str| {
        format!(
            "Refused: cro-fake only delivers webhooks to loopback hosts \
             (127.0.0.0/8, ::1, localhost); {host:?} is not one."
        )
    };
    match url.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(url),
        Some(url::Host::Ipv6(ip)) if is_loopback(IpAddr::V6(ip)) => Ok(url),
        Some(url::Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => {
            // Trust /etc/hosts only as far as it really points at loopback.
            let port = url.port_or_known_default().unwrap_or(80);
            let addrs: Vec<_> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| format!("Cannot resolve {name:?}: {e}."))?
                .collect();
            if !addrs.is_empty() && addrs.iter().all(|a| is_loopback(a.ip())) {
                Ok(url)
            } else {
                Err(refused(name))
            }
        }
        Some(host) => Err(refused(&host.to_string())),
        None => Err(format!("Invalid hook URL {raw:?}: no host.")),
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `reqwest::Error`'s Display hides the cause ("error sending request"); the chain says
/// "Connection refused", which is what a user debugging a hook needs.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
