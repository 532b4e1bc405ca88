//! Driver chat (2021 docs only).

use serde_json::Value;

use super::{not_found, paged};
use crate::errors::ApiError;
use crate::json::JsonBuf;
use crate::model::{ChatMsg, Driver, UserRec};
use crate::render;
use crate::request::{Call, Reply};
use crate::seed;
use crate::time::Stamp;
use crate::world::USER_BASE;

/// Tenant index and driver index of the `driver_id` path parameter.
fn driver(call: &Call<'_>) -> Result<(usize, u64), ApiError> {
    let t = call.tenant()?;
    let id = call.path_id("driver_id")?;
    let idx = call
        .state
        .store
        .driver_index(t.info.k, id)
        .ok_or_else(|| not_found("driver_id", "driver", id))?;
    Ok((t.info.k, idx))
}

/// `GET /drivers/{driver_id}/chats`.
pub fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (k, idx) = driver(call)?;
    let t = call.tenant()?;
    let q = &call.query;
    let start = q.str("start_date").and_then(Stamp::parse);
    let end = q.str("end_date").and_then(Stamp::parse);
    let read = q.bool("is_read");
    let msgs: Vec<ChatMsg> = call
        .state
        .store
        .chats(&t.read(), k, idx)
        .into_iter()
        .filter(|m| {
            start.is_none_or(|s| m.sent_on >= s)
                && end.is_none_or(|e| m.sent_on <= e)
                && read.is_none_or(|r| m.is_read == r)
        })
        .collect();
    paged(call, msgs.len() as u64, 300, |pos, out| {
        render::chat(out, &msgs[pos as usize]);
    })
}

/// `POST /drivers/{driver_id}/chats`: the caller sends a message in the driver's thread.
pub fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (k, idx) = driver(call)?;
    let t = call.tenant()?;
    let store = &call.state.store;
    let driver_id = store.world.id(crate::world::DRIVER_BASE, k, idx);
    let body = call.body_obj();
    let user = call.user();
    let me = match user {
        Some(u) if u.driver_id == Some(driver_id) => (driver_id, "Driver".to_owned()),
        Some(u) => (u.id, "Dispatcher".to_owned()),
        None => (USER_BASE, "Dispatcher".to_owned()),
    };
    let receiver = body
        .get("receiver")
        .and_then(|r| Some((r.get("id")?.as_i64()?, r.get("type")?.as_str()?.to_owned())))
        .unwrap_or_else(|| {
            if me.0 == driver_id {
                (store.dispatcher_for(k, idx), "Dispatcher".to_owned())
            } else {
                (driver_id, "Driver".to_owned())
            }
        });
    let msg = ChatMsg {
        id: store.new_chat_id(),
        text: body
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        is_read: false,
        is_edited: false,
        last_edited_on: None,
        sent_on: Stamp::now(),
        sender: me,
        receiver,
    };
    let r = Reply::with(|o| render::chat(o, &msg));
    store.chats_mut(&mut t.write(), k, idx).push(msg);
    Ok(r)
}

/// `PATCH /drivers/{driver_id}/chats/{driver_chat_msg_id}`.
pub fn update(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (k, idx) = driver(call)?;
    let t = call.tenant()?;
    let id = call.path_id("driver_chat_msg_id")?;
    let body = call.body_obj();
    let mut ov = t.write();
    let list = call.state.store.chats_mut(&mut ov, k, idx);
    let m = list
        .iter_mut()
        .find(|m| m.id == id)
        .ok_or_else(|| not_found("driver_chat_msg_id", "message", id))?;
    if let Some(text) = body.get("text").and_then(Value::as_str) {
        text.clone_into(&mut m.text);
        m.is_edited = true;
        m.last_edited_on = Some(Stamp::now());
    }
    if let Some(r) = body.get("is_read").and_then(Value::as_bool) {
        m.is_read = r;
    }
    Ok(Reply::with(|o| render::chat(o, m)))
}

/// `GET /drivers/{driver_id}/chats/recipients`: the location's dispatch users and the other
/// drivers there (a bare array).
pub fn recipients(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (k, idx) = driver(call)?;
    let w = &call.state.store.world;
    let li = w.home_of(idx);
    let mut out = JsonBuf::with_capacity(2048);
    out.raw("[");
    let mut first = true;
    let mut sep = |out: &mut JsonBuf| {
        if !first {
            out.raw(",");
        }
        first = false;
    };
    let mut u = UserRec::default();
    for j in 0..w.count_at(w.users, li).min(25) {
        seed::user(w, k, w.nth_at(li, j), &mut u);
        if u.roles
            .iter()
            .any(|r| r.contains("Dispatcher") || r == "Admin")
        {
            sep(&mut out);
            render::recipient(&mut out, u.id, &u.username, "Dispatcher");
        }
    }
    let mut d = Driver::default();
    for j in 0..w.count_at(w.drivers, li).min(50) {
        let other = w.nth_at(li, j);
        if other == idx {
            continue;
        }
        seed::driver(w, k, other, &mut d);
        sep(&mut out);
        render::recipient(&mut out, d.id, &d.name, "Driver");
    }
    out.raw("]");
    Ok(Reply::json(out))
}
