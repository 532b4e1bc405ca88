//! Customer contacts (`CustomerContactModel`).

use super::{not_found, paged};
use crate::errors::ApiError;
use crate::handlers::customers::{apply_contact_fields, contact_from};
use crate::model::Customer;
use crate::render;
use crate::request::{Call, Reply};
use crate::time::Stamp;

/// `POST /customers/{customer_id}/contacts`.
pub fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let body = call.body_obj();
    let id = call.state.store.new_contact_id();
    let t = call.tenant()?;
    let cid = call.path_id("customer_id")?;
    let mut ov = t.write();
    let c = call
        .state
        .store
        .customer_mut(&mut ov, t.info.k, cid)
        .ok_or_else(|| not_found("customer_id", "customer", cid))?;
    let contact = contact_from(&body, id);
    let r = Reply::with(|o| render::contact(o, &contact));
    c.contacts.push(contact);
    c.last_updated_on = Stamp::now();
    Ok(r)
}

/// `GET /customers/{customer_id}/contacts`.
pub fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let cid = call.path_id("customer_id")?;
    let ov = t.read();
    let mut scratch = Customer::default();
    let c = call
        .state
        .store
        .customer(&ov, t.info.k, cid, &mut scratch)
        .ok_or_else(|| not_found("customer_id", "customer", cid))?;
    paged(call, c.contacts.len() as u64, 300, |pos, out| {
        render::contact(out, &c.contacts[pos as usize]);
    })
}

/// `GET /customers/{customer_id}/contacts/{customer_contact_id}`.
pub fn get(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let cid = call.path_id("customer_id")?;
    let id = call.path_id("customer_contact_id")?;
    let ov = t.read();
    let mut scratch = Customer::default();
    let c = call
        .state
        .store
        .customer(&ov, t.info.k, cid, &mut scratch)
        .ok_or_else(|| not_found("customer_id", "customer", cid))?;
    let contact = c
        .contacts
        .iter()
        .find(|x| x.id == id)
        .ok_or_else(|| not_found("customer_contact_id", "contact", id))?;
    Ok(Reply::with(|o| render::contact(o, contact)))
}

/// `PATCH /customers/{customer_id}/contacts/{customer_contact_id}`.
pub fn update(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let cid = call.path_id("customer_id")?;
    let id = call.path_id("customer_contact_id")?;
    let body = call.body_obj();
    let mut ov = t.write();
    let c = call
        .state
        .store
        .customer_mut(&mut ov, t.info.k, cid)
        .ok_or_else(|| not_found("customer_id", "customer", cid))?;
    let contact = c
        .contacts
        .iter_mut()
        .find(|x| x.id == id)
        .ok_or_else(|| not_found("customer_contact_id", "contact", id))?;
    apply_contact_fields(contact, &body);
    let r = Reply::with(|o| render::contact(o, contact));
    c.last_updated_on = Stamp::now();
    Ok(r)
}
