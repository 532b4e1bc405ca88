//! Users of a location, and the public sign-up.

use serde_json::Value;

use super::{body_str, location, not_found, paged};
use crate::errors::ApiError;
use crate::model::UserRec;
use crate::render;
use crate::request::{Call, Reply};
use crate::seed;
use crate::world::USER_BASE;

/// `GET /locations/{location_id}/users`.
pub fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let w = &call.state.store.world;
    let mut u = UserRec::default();
    paged(call, w.count_at(w.users, li), 250, |pos, out| {
        seed::user(w, t.info.k, w.nth_at(li, pos), &mut u);
        render::user(out, &u);
    })
}

/// `GET /locations/{location_id}/users/{user_id}`.
pub fn get(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let w = &call.state.store.world;
    let id = call.path_id("user_id")?;
    let idx = w
        .index_in(USER_BASE, t.info.k, id)
        .filter(|&i| i < w.users && w.home_of(i) == li)
        .ok_or_else(|| not_found("user_id", "user", id))?;
    let mut u = UserRec::default();
    seed::user(w, t.info.k, idx, &mut u);
    Ok(Reply::with(|o| render::user(o, &u)))
}

/// `POST /users` (public): signs up a client customer or third-party dispatcher.
pub fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    const MODEL: &str = "CreateUserRequestModel";
    let store = &call.state.store;
    let body = call.body_obj();
    let username = body_str(&body, "username").unwrap_or_default();
    let hauler = body_str(&body, "third_party_hauler_id");
    let mut g = store.global_mut();
    if let Some(h) = &hauler
        && !g.haulers.iter().any(|x| x.id.eq_ignore_ascii_case(h))
    {
        return Err(ApiError::not_found(
            format!("{MODEL}.third_party_hauler_id"),
            format!("No hauler with id {h}."),
        ));
    }
    if g.users
        .iter()
        .any(|u| u.username.eq_ignore_ascii_case(&username))
    {
        return Err(ApiError::conflict(
            format!("{MODEL}.username"),
            "A user with this username already exists.",
        ));
    }
    let user = UserRec {
        id: store.new_user_id(),
        location_id: None,
        dispatcher_id: None,
        roles: vec![
            body.get("user_type")
                .and_then(Value::as_str)
                .unwrap_or("ClientCustomer")
                .to_owned(),
        ],
        third_party_hauler_id: hauler,
        uid: uuid::Uuid::new_v4().to_string(),
        username,
    };
    let r = Reply::with(|o| render::user(o, &user));
    g.users.push(user);
    Ok(r)
}
