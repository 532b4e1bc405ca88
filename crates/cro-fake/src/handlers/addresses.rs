//! Customer addresses (`CustomerAddressModel`).

use super::{not_found, paged};
use crate::errors::ApiError;
use crate::handlers::customers::{address_from, apply_address_fields};
use crate::model::{Address, Customer};
use crate::render;
use crate::request::{Call, Reply};
use crate::time::Stamp;

/// Runs `f` on the customer of the path (read-only).
fn with_customer<R>(
    call: &Call<'_>,
    f: impl FnOnce(&Customer) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let t = call.tenant()?;
    let cid = call.path_id("customer_id")?;
    let ov = t.read();
    let mut scratch = Customer::default();
    let c = call
        .state
        .store
        .customer(&ov, t.info.k, cid, &mut scratch)
        .ok_or_else(|| not_found("customer_id", "customer", cid))?;
    f(c)
}

/// Runs `f` on the customer of the path, for changing it.
fn change_customer<R>(
    call: &Call<'_>,
    f: impl FnOnce(&mut Customer) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let t = call.tenant()?;
    let cid = call.path_id("customer_id")?;
    let mut ov = t.write();
    let c = call
        .state
        .store
        .customer_mut(&mut ov, t.info.k, cid)
        .ok_or_else(|| not_found("customer_id", "customer", cid))?;
    let r = f(c)?;
    c.last_updated_on = Stamp::now();
    Ok(r)
}

fn find(c: &mut Customer, aid: i64) -> Result<&mut Address, ApiError> {
    c.addresses
        .iter_mut()
        .find(|a| a.id == aid)
        .ok_or_else(|| not_found("customer_address_id", "address", aid))
}

fn reply(a: &Address) -> Reply {
    Reply::with(|o| render::address(o, a))
}

/// `POST /customers/{customer_id}/addresses`.
pub fn add(call: &Call<'_>) -> Result<Reply, ApiError> {
    let body = call.body_obj();
    let id = call.state.store.new_address_id();
    change_customer(call, |c| {
        let a = address_from(&body, id);
        let r = reply(&a);
        c.addresses.push(a);
        Ok(r)
    })
}

/// `GET /customers/{customer_id}/addresses`.
pub fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    with_customer(call, |c| {
        paged(call, c.addresses.len() as u64, 400, |pos, out| {
            render::address(out, &c.addresses[pos as usize]);
        })
    })
}

/// `GET /customers/{customer_id}/addresses/{customer_address_id}`.
pub fn get(call: &Call<'_>) -> Result<Reply, ApiError> {
    let aid = call.path_id("customer_address_id")?;
    with_customer(call, |c| {
        c.addresses
            .iter()
            .find(|a| a.id == aid)
            .map(reply)
            .ok_or_else(|| not_found("customer_address_id", "address", aid))
    })
}

/// `PATCH /customers/{customer_id}/addresses/{customer_address_id}`.
pub fn update(call: &Call<'_>) -> Result<Reply, ApiError> {
    let aid = call.path_id("customer_address_id")?;
    let body = call.body_obj();
    change_customer(call, |c| {
        let a = find(c, aid)?;
        apply_address_fields(a, &body);
        Ok(reply(a))
    })
}

/// `DELETE /customers/{customer_id}/addresses/{customer_address_id}`: sets `is_active=false`.
pub fn deactivate(call: &Call<'_>) -> Result<Reply, ApiError> {
    let aid = call.path_id("customer_address_id")?;
    change_customer(call, |c| {
        let a = find(c, aid)?;
        a.is_active = false;
        Ok(reply(a))
    })
}
