//! Tenants, locations and the per-location catalogues (assets, materials, dump destinations).

use super::{location, not_found, paged};
use crate::errors::ApiError;
use crate::render;
use crate::request::{Call, Reply};
use crate::world::{ASSETS_PER_LOCATION, DUMPS_PER_LOCATION, MATERIALS_PER_LOCATION};

/// `GET /tenants`: the tenants the caller is assigned to.
pub fn list_tenants(call: &Call<'_>) -> Result<Reply, ApiError> {
    let w = &call.state.store.world;
    let mine: Vec<_> = w
        .tenants
        .iter()
        .filter(|t| call.user().is_some_and(|u| u.tenants.contains(&t.id)))
        .collect();
    paged(call, mine.len() as u64, 400, |pos, out| {
        render::tenant(out, w, mine[pos as usize]);
    })
}

/// `GET /locations`.
pub fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let w = &call.state.store.world;
    paged(call, w.locations, 1500, |li, out| {
        render::location(out, w, t.info.k, li);
    })
}

/// `GET /locations/{location_id}`.
pub fn get(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    Ok(Reply::with(|o| {
        render::location(o, &call.state.store.world, t.info.k, li);
    }))
}

/// `GET /locations/{location_id}/assets`.
pub fn list_assets(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let w = &call.state.store.world;
    paged(call, ASSETS_PER_LOCATION, 1200, |a, out| {
        render::asset(out, w, t.info.k, li * ASSETS_PER_LOCATION + a);
    })
}

/// `GET /locations/{location_id}/materials` (a bare array, paged all the same).
pub fn list_materials(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let w = &call.state.store.world;
    paged(call, MATERIALS_PER_LOCATION, 250, |m, out| {
        render::material(out, w, t.info.k, li * MATERIALS_PER_LOCATION + m);
    })
}

/// `GET /locations/{location_id}/dump_destinations`.
pub fn list_dumps(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let w = &call.state.store.world;
    paged(call, DUMPS_PER_LOCATION, 400, |d, out| {
        render::dump_destination(out, w, t.info.k, li * DUMPS_PER_LOCATION + d);
    })
}

/// `GET /locations/{location_id}/dump_destinations/{dump_destination_id}`.
pub fn get_dump(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let w = &call.state.store.world;
    let id = call.path_id("dump_destination_id")?;
    let idx = w
        .index_in(0, t.info.k, id)
        .filter(|idx| idx / DUMPS_PER_LOCATION == li)
        .ok_or_else(|| not_found("dump_destination_id", "dump destination", id))?;
    Ok(Reply::with(|o| {
        render::dump_destination(o, w, t.info.k, idx)
    }))
}
