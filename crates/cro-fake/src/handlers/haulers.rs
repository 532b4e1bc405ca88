//! Third-party haulers and their connections to tenant locations.

use serde_json::Value;

use super::{body_str, not_found, paged};
use crate::errors::ApiError;
use crate::model::{Connection, Hauler};
use crate::render;
use crate::request::{Call, Reply};
use crate::seed;
use crate::time::Stamp;

/// `POST /haulers` (public).
pub fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let body = call.body_obj();
    let name = body_str(&body, "company_name").unwrap_or_default();
    let mut g = call.state.store.global_mut();
    if g.haulers.iter().any(|h| h.name.eq_ignore_ascii_case(&name)) {
        return Err(ApiError::conflict(
            "CreateHaulerRequestModel.company_name",
            "A hauler with this company name already exists.",
        ));
    }
    let h = Hauler {
        id: uuid::Uuid::new_v4().to_string(),
        name,
    };
    let r = Reply::with(|o| render::hauler(o, &h));
    g.haulers.push(h);
    Ok(r)
}

/// `GET /haulers`.
pub fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let g = call.state.store.global();
    paged(call, g.haulers.len() as u64, 80, |pos, out| {
        render::hauler(out, &g.haulers[pos as usize]);
    })
}

fn hauler_id(call: &Call<'_>) -> Result<String, ApiError> {
    let id = call.path_str("hauler_uuid").to_ascii_lowercase();
    let g = call.state.store.global();
    g.haulers
        .iter()
        .find(|h| h.id == id)
        .map(|h| h.id.clone())
        .ok_or_else(|| not_found("hauler_uuid", "hauler", &id))
}

/// `GET /haulers/{hauler_uuid}`.
pub fn get(call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = hauler_id(call)?;
    let g = call.state.store.global();
    let h = g
        .haulers
        .iter()
        .find(|h| h.id == id)
        .ok_or_else(|| not_found("hauler_uuid", "hauler", &id))?;
    Ok(Reply::with(|o| render::hauler(o, h)))
}

/// `POST /haulers/{hauler_uuid}/connections`: `tenant_code` is `<TenantModel.code>+<location
/// id>` (inferred from the sample `SMSCORP+3`).
pub fn connect(call: &Call<'_>) -> Result<Reply, ApiError> {
    const FIELD: &str = "CreateHaulerConnectionRequestModel.tenant_code";
    let id = hauler_id(call)?;
    let w = &call.state.store.world;
    let code = call
        .body
        .as_ref()
        .and_then(|b| b.get("tenant_code"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (tenant_code, loc) = code
        .rsplit_once('+')
        .and_then(|(c, l)| Some((c, l.parse::<i64>().ok()?)))
        .ok_or_else(|| ApiError::bad_request(FIELD, "Expected <tenant code>+<location id>."))?;
    let tenant = w
        .tenants
        .iter()
        .find(|t| t.code.eq_ignore_ascii_case(tenant_code))
        .ok_or_else(|| ApiError::not_found(FIELD, format!("Unknown tenant code {tenant_code}.")))?;
    let li = w.location_index(tenant.k, loc).ok_or_else(|| {
        ApiError::not_found(
            FIELD,
            format!("Tenant {} has no location {loc}.", tenant.code),
        )
    })?;
    let mut name = String::new();
    seed::location_name(w, tenant.k, li, &mut name);
    let mut g = call.state.store.global_mut();
    if g.connections
        .iter()
        .any(|c| c.hauler_id == id && c.location_id == loc && c.denied_on.is_none())
    {
        return Err(ApiError::conflict(
            FIELD,
            format!("The hauler is already connected to location {loc}."),
        ));
    }
    let c = Connection {
        hauler_id: id,
        provider_id: tenant.id,
        provider_name: format!("{} - {name}", tenant.name),
        location_id: loc,
        is_approved: false,
        approved_by: None,
        approved_on: None,
        denied_on: None,
        requested_on: Stamp::now(),
    };
    let r = Reply::with(|o| render::connection(o, &c));
    g.connections.push(c);
    Ok(r)
}

/// `GET /haulers/{hauler_uuid}/connections` (only the caller's tenant's, when `x-tenant-id` is
/// sent).
pub fn list_connections(call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = hauler_id(call)?;
    let tenant = call.tenant.map(|t| t.info.id);
    let g = call.state.store.global();
    let mine: Vec<&Connection> = g
        .connections
        .iter()
        .filter(|c| c.hauler_id == id && tenant.is_none_or(|t| c.provider_id == t))
        .collect();
    paged(call, mine.len() as u64, 300, |pos, out| {
        render::connection(out, mine[pos as usize]);
    })
}
