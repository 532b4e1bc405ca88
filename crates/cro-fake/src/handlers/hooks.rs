//! Webhooks. Ping really POSTs a signed request to the hook's (loopback) URL through
//! `webhook_delivery` and reports what happened.

use http::HeaderValue;
use serde_json::Value;

use super::{body_str, not_found, paged};
use crate::errors::ApiError;
use crate::json::JsonBuf;
use crate::model::Hook;
use crate::render;
use crate::request::{Call, Reply};
use crate::time::Stamp;
use crate::webhook_delivery::{self, Delivery, PingOutcome};

fn events(body: &serde_json::Map<String, Value>) -> Option<Vec<String>> {
    body.get("events").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

/// `POST /hooks`.
pub fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let body = call.body_obj();
    let hook = Hook {
        id: call.state.store.new_hook_id(),
        url: body_str(&body, "url").unwrap_or_default(),
        events: events(&body).unwrap_or_default(),
        secret: body_str(&body, "secret"),
        deleted_at: None,
        last_http_fail: None,
        last_http_success: None,
    };
    let r = Reply::with(|o| render::hook(o, &hook));
    t.write().hooks.insert(hook.id, hook);
    Ok(r)
}

/// `GET /hooks` (deleted hooks included, with `deleted_at` set).
pub fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let ov = t.read();
    let hooks: Vec<&Hook> = ov.hooks.values().collect();
    paged(call, hooks.len() as u64, 250, |pos, out| {
        render::hook(out, hooks[pos as usize]);
    })
}

/// `GET /hooks/{hook_id}`.
pub fn get(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let id = call.path_id("hook_id")?;
    let ov = t.read();
    let h = ov
        .hooks
        .get(&id)
        .ok_or_else(|| not_found("hook_id", "webhook", id))?;
    Ok(Reply::with(|o| render::hook(o, h)))
}

fn change(call: &Call<'_>, f: impl FnOnce(&mut Hook)) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let id = call.path_id("hook_id")?;
    let mut ov = t.write();
    let h = ov
        .hooks
        .get_mut(&id)
        .ok_or_else(|| not_found("hook_id", "webhook", id))?;
    f(h);
    Ok(Reply::with(|o| render::hook(o, h)))
}

/// `PATCH /hooks/{hook_id}`.
pub fn update(call: &Call<'_>) -> Result<Reply, ApiError> {
    let body = call.body_obj();
    change(call, |h| {
        if let Some(url) = body_str(&body, "url") {
            h.url = url;
        }
        if let Some(ev) = events(&body) {
            h.events = ev;
        }
        if body.contains_key("secret") {
            h.secret = body_str(&body, "secret");
        }
    })
}

/// `DELETE /hooks/{hook_id}`: sets `deleted_at` (the docs call it "deactivate").
pub fn delete(call: &Call<'_>) -> Result<Reply, ApiError> {
    change(call, |h| {
        h.deleted_at.get_or_insert_with(Stamp::now);
    })
}

/// `GET /hooks/{hook_id}/ping`.
pub async fn ping(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let id = call.path_id("hook_id")?;
    let (url, secret) = {
        let ov = t.read();
        let h = ov
            .hooks
            .get(&id)
            .ok_or_else(|| not_found("hook_id", "webhook", id))?;
        if h.deleted_at.is_some() {
            return Err(ApiError::not_found(
                "hook_id",
                format!("Webhook {id} was deleted."),
            ));
        }
        (h.url.clone(), h.secret.clone())
    };
    let delivery_id = uuid::Uuid::new_v4();
    let payload = webhook_delivery::ping_payload(id, delivery_id);
    let outcome = match call.state.webhook_client() {
        Some(client) => {
            let delivery = Delivery {
                url: &url,
                secret: secret.as_deref(),
                payload: &payload,
                delivery_id,
                // The delivery speaks the version the ping was made with.
                api_version: call.version.as_str(),
                timeout: webhook_delivery::DEFAULT_TIMEOUT,
            };
            webhook_delivery::deliver(client, &delivery).await
        }
        None => PingOutcome {
            http_status: -1,
            delivery_id,
            message: "No HTTP client available.".to_owned(),
        },
    };
    {
        let mut ov = t.write();
        if let Some(h) = ov.hooks.get_mut(&id) {
            if (200..300).contains(&outcome.http_status) {
                h.last_http_success = Some(Stamp::now());
            } else {
                h.last_http_fail = Some(Stamp::now());
            }
        }
    }
    let mut out = JsonBuf::with_capacity(160);
    out.raw("{\"delivery_id\":");
    out.str(&outcome.delivery_id.hyphenated().to_string());
    out.raw(",\"http_status\":");
    out.int(i64::from(outcome.http_status));
    out.raw(",\"message\":");
    out.str(&outcome.message);
    out.raw("}");
    let mut reply = Reply::json(out);
    // WebhookPingResponseHeadersModel: `X-Cro-Signature` is the signature of the delivery
    // (what the receiver got), so a caller can check its receiver's verification against it.
    if let Some(secret) = &secret
        && let Ok(v) = HeaderValue::from_str(&webhook_delivery::sign(secret, &payload))
    {
        reply
            .headers
            .push((http::HeaderName::from_static("x-cro-signature"), v));
    }
    Ok(reply)
}
