//! Operation handlers, one module per resource. [`dispatch`] maps an operation id of the
//! metadata table to its handler.

use cro_api::meta::Paging;

use crate::errors::ApiError;
use crate::json::JsonBuf;
use crate::paging::{Page, PageReq, write_page};
use crate::request::{Call, Reply};
use crate::spec;
use crate::store::TenantState;

mod addresses;
mod chat;
mod contacts;
mod customers;
mod fleet;
mod haulers;
mod hooks;
mod jobs;
mod locations;
mod users;

/// Runs the handler of `call.op`.
pub async fn dispatch(call: &Call<'_>) -> Result<Reply, ApiError> {
    match call.op.id {
        "list_customers" => customers::list_all(call),
        "list_location_customers" => customers::list_at_location(call),
        "create_customer" => customers::create(call),
        "get_location_customer" => customers::get_at_location(call),
        "get_customer" => customers::get(call),
        "update_customer" => customers::update(call),
        "list_customer_locations" => customers::list_profiles(call),
        "add_customer_location" => customers::add_profile(call),
        "get_customer_location" => customers::get_profile(call),
        "update_customer_location" => customers::update_profile(call),
        "deactivate_customer_location" => customers::deactivate_profile(call),
        "add_customer_address" => addresses::add(call),
        "list_customer_addresses" => addresses::list(call),
        "get_customer_address" => addresses::get(call),
        "update_customer_address" => addresses::update(call),
        "deactivate_customer_address" => addresses::deactivate(call),
        "create_customer_contact" => contacts::create(call),
        "list_customer_contacts" => contacts::list(call),
        "get_customer_contact" => contacts::get(call),
        "update_customer_contact" => contacts::update(call),
        "list_tenants" => locations::list_tenants(call),
        "list_locations" => locations::list(call),
        "get_location" => locations::get(call),
        "list_assets" => locations::list_assets(call),
        "list_materials" => locations::list_materials(call),
        "list_dump_destinations" => locations::list_dumps(call),
        "get_dump_destination" => locations::get_dump(call),
        "list_drivers" => fleet::list_drivers(call),
        "get_driver" => fleet::get_driver(call),
        "list_trucks" => fleet::list_trucks(call),
        "get_truck" => fleet::get_truck(call),
        "update_truck" => fleet::update_truck(call),
        "get_truck_jobs_pdf" => fleet::jobs_pdf(call),
        "log_gps_event" => fleet::log_gps(call),
        "list_jobs" => jobs::list(call),
        "create_job" => jobs::create(call),
        "get_job" => jobs::get(call),
        "update_job" => jobs::update(call),
        "dispatch_job" => jobs::dispatch(call),
        "list_users" => users::list(call),
        "get_user" => users::get(call),
        "create_user" => users::create(call),
        "create_hook" => hooks::create(call),
        "list_hooks" => hooks::list(call),
        "get_hook" => hooks::get(call),
        "update_hook" => hooks::update(call),
        "delete_hook" => hooks::delete(call),
        "ping_hook" => hooks::ping(call).await,
        "create_hauler" => haulers::create(call),
        "list_haulers" => haulers::list(call),
        "get_hauler" => haulers::get(call),
        "create_hauler_connection" => haulers::connect(call),
        "list_hauler_connections" => haulers::list_connections(call),
        "create_driver_chat_message" => chat::create(call),
        "list_driver_chat_messages" => chat::list(call),
        "update_driver_chat_message" => chat::update(call),
        "list_driver_chat_recipients" => chat::recipients(call),
        other => Err(ApiError::internal(format!(
            "cro-fake does not implement operation {other}."
        ))),
    }
}

/// The requested page (validated against the documented ranges).
pub(crate) fn page_req(call: &Call<'_>) -> Result<PageReq, ApiError> {
    PageReq::from_query(&call.query, &spec::query_model(call.op))
}

/// A paged reply over `total` items in the operation's paging style (envelope or bare array,
/// from the metadata table); `item(position, out)` renders one item.
pub(crate) fn paged(
    call: &Call<'_>,
    total: u64,
    approx_item_len: usize,
    item: impl FnMut(u64, &mut JsonBuf),
) -> Result<Reply, ApiError> {
    let req = page_req(call)?;
    let page = Page::of(req, total, call.drift).shifted(call.state.faults.row_shift(), total);
    let bare = matches!(call.op.paging, Paging::BareArray { .. });
    Ok(Reply::json(write_page(&page, bare, approx_item_len, item)))
}

/// 404 for an unknown id.
pub(crate) fn not_found(field: &str, what: &str, id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found(field, format!("No {what} with id {id}."))
}

/// Tenant and location number of the `location_id` path parameter (404 if the location is
/// not the tenant's).
pub(crate) fn location<'a>(call: &'a Call<'_>) -> Result<(&'a TenantState, u64), ApiError> {
    let t = call.tenant()?;
    let id = call.path_id("location_id")?;
    let li = call
        .state
        .store
        .world
        .location_index(t.info.k, id)
        .ok_or_else(|| not_found("location_id", "location", id))?;
    Ok((t, li))
}

/// The body field `name` as a string (None when absent or null).
pub(crate) fn body_str(
    obj: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<String> {
    obj.get(name).and_then(|v| v.as_str()).map(str::to_owned)
}
