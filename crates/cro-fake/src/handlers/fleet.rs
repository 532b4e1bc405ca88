//! Drivers, trucks (including the job-list PDF) and GPS events.

use serde_json::Value;

use super::{location, not_found, paged};
use crate::errors::ApiError;
use crate::json::JsonBuf;
use crate::model::{Driver, Job, Truck};
use crate::render::{self, V_TRUCK_BODY};
use crate::request::{Call, Reply};
use crate::seed;
use crate::time::Stamp;
use crate::world::DRIVER_BASE;

/// `GET /locations/{location_id}/drivers`.
pub fn list_drivers(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let w = &call.state.store.world;
    let mut d = Driver::default();
    paged(call, w.count_at(w.drivers, li), 600, |pos, out| {
        seed::driver(w, t.info.k, w.nth_at(li, pos), &mut d);
        render::driver(out, &d, None);
    })
}

/// `GET /locations/{location_id}/drivers/{driver_id}` (with `can_assign_to`/`can_dispatch_to`).
pub fn get_driver(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let store = &call.state.store;
    let w = &store.world;
    let id = call.path_id("driver_id")?;
    let idx = store
        .driver_index(t.info.k, id)
        .filter(|&i| w.home_of(i) == li)
        .ok_or_else(|| not_found("driver_id", "driver", id))?;
    let mut d = Driver::default();
    seed::driver(w, t.info.k, idx, &mut d);
    // The trucks of the driver's location are what a dispatcher can assign the driver to.
    let trucks: Vec<i64> = (0..w.count_at(w.trucks, li))
        .map(|j| w.id(0, t.info.k, w.nth_at(li, j)))
        .collect();
    Ok(Reply::with(|o| render::driver(o, &d, Some(&trucks))))
}

/// `GET /locations/{location_id}/trucks`.
pub fn list_trucks(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let store = &call.state.store;
    let w = &store.world;
    let k = t.info.k;
    let ov = t.read();
    let mut scratch = Truck::default();
    paged(call, w.count_at(w.trucks, li), 300, |pos, out| {
        let id = w.id(0, k, w.nth_at(li, pos));
        match store.truck(&ov, k, id, &mut scratch) {
            Some(tr) => render::truck(out, tr),
            None => out.null(),
        }
    })
}

fn truck_at(call: &Call<'_>, li: u64, truck: &mut Truck) -> Result<(), ApiError> {
    let t = call.tenant()?;
    let store = &call.state.store;
    let id = call.path_id("truck_id")?;
    let ov = t.read();
    let found = store
        .truck(&ov, t.info.k, id, truck)
        .filter(|tr| tr.location_id == store.world.location_id(t.info.k, li))
        .cloned()
        .ok_or_else(|| not_found("truck_id", "truck", id))?;
    *truck = found;
    Ok(())
}

/// `GET /locations/{location_id}/trucks/{truck_id}`.
pub fn get_truck(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (_, li) = location(call)?;
    let mut truck = Truck::default();
    truck_at(call, li, &mut truck)?;
    Ok(Reply::with(|o| render::truck(o, &truck)))
}

/// `PATCH /locations/{location_id}/trucks/{truck_id}`: assign or clear the driver. From
/// 2021/05/07 the input is the JSON body; before, the `driver_id` query parameter (a body is
/// still accepted then when the query parameter is absent, so spec-driven clients work at any
/// pinned version).
pub fn update_truck(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let mut truck = Truck::default();
    truck_at(call, li, &mut truck)?;
    let from_query = !call.version.at_least(V_TRUCK_BODY);
    let driver: Option<Option<i64>> = if from_query && let Some(raw) = call.query.raw("driver_id") {
        let raw = raw.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("null") {
            Some(None)
        } else {
            Some(Some(raw.parse().map_err(|_| {
                ApiError::bad_request(
                    "UpdateTruckQueryParamsModel.driver_id",
                    "Not a valid integer.",
                )
            })?))
        }
    } else {
        call.body
            .as_ref()
            .and_then(|b| b.get("driver_id"))
            .map(Value::as_i64)
    };
    let store = &call.state.store;
    let k = t.info.k;
    if let Some(Some(d)) = driver
        && store.driver_index(k, d).is_none()
    {
        let model = if from_query {
            "UpdateTruckQueryParamsModel"
        } else {
            "UpdateTruckRequestModel"
        };
        return Err(ApiError::not_found(
            format!("{model}.driver_id"),
            format!("No driver with id {d}."),
        ));
    }
    let mut ov = t.write();
    let tr = store
        .truck_mut(&mut ov, k, truck.id)
        .ok_or_else(|| not_found("truck_id", "truck", truck.id))?;
    if let Some(d) = driver {
        tr.driver_id = d;
    }
    Ok(Reply::with(|o| render::truck(o, tr)))
}

/// `GET /locations/{location_id}/trucks/{truck_id}/get_jobs_list_pdf`: a one-page PDF listing
/// the truck's jobs.
pub fn jobs_pdf(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let mut truck = Truck::default();
    truck_at(call, li, &mut truck)?;
    let store = &call.state.store;
    let k = t.info.k;
    let ov = t.read();
    let mut lines = vec![
        format!("Job list - {} (truck {})", truck.name, truck.id),
        String::new(),
    ];
    let mut scratch = Job::default();
    for pos in 0..store.jobs_at(&ov, k, li) {
        let Some(jid) = store.job_at(&ov, k, li, pos) else {
            continue;
        };
        let Some(j) = store.job(&ov, k, jid, &mut scratch) else {
            continue;
        };
        if j.truck_id == Some(truck.id) && !j.is_deleted {
            lines.push(format!(
                "Job {}  type {}  customer {}  scheduled {}{}",
                j.id,
                j.kind,
                j.customer_id.map_or("-".to_owned(), |c| c.to_string()),
                j.schedule_date.map_or("-".to_owned(), Stamp::to_text),
                if j.is_completed { "  (completed)" } else { "" }
            ));
        }
        if lines.len() > 60 {
            break;
        }
    }
    Ok(Reply {
        status: http::StatusCode::OK,
        body: pdf(&lines),
        content_type: "application/pdf",
        headers: Vec::new(),
    })
}

/// A minimal, valid single-page PDF showing `lines` in Helvetica.
fn pdf(lines: &[String]) -> Vec<u8> {
    let mut text = String::from("BT /F1 10 Tf 40 800 Td 14 TL\n");
    for l in lines {
        let esc: String = l
            .chars()
            .filter(char::is_ascii)
            .flat_map(|c| match c {
                '(' | ')' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        text.push_str(&format!("({esc}) Tj T*\n"));
    }
    text.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// `POST /locations/{location_id}/gps_events`: records a position report of the calling driver.
pub fn log_gps(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let store = &call.state.store;
    let w = &store.world;
    let k = t.info.k;
    let body = call.body.clone().unwrap_or(Value::Null);
    let loc = body.get("location").cloned().unwrap_or(Value::Null);
    let coords = loc.get("coords").cloned().unwrap_or(Value::Null);
    let num = |v: &Value, f: &str| v.get(f).and_then(Value::as_f64);
    let user = call.user();
    let driver_id = user
        .and_then(|u| u.driver_id)
        .or_else(|| user.map(|u| u.id))
        .unwrap_or(DRIVER_BASE);
    // The truck the driver is assigned to, if it is at this location.
    let ov = t.read();
    let mut scratch = Truck::default();
    let truck_id = (0..w.count_at(w.trucks, li))
        .map(|j| w.id(0, k, w.nth_at(li, j)))
        .find(|&id| {
            store
                .truck(&ov, k, id, &mut scratch)
                .is_some_and(|tr| tr.driver_id == Some(driver_id))
        });
    let created = loc
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(Stamp::parse)
        .unwrap_or_else(Stamp::now);
    let mut o = JsonBuf::with_capacity(256);
    o.raw("{\"bearing\":");
    o.num(num(&coords, "heading").unwrap_or(0.0));
    o.raw(",\"created_on\":");
    o.ts(created);
    o.raw(",\"device_name\":\"n/a\",\"driver_id\":");
    o.int(driver_id);
    o.raw(",\"id\":");
    o.int(store.new_stop_id());
    o.raw(",\"latitude\":");
    o.num(num(&coords, "latitude").unwrap_or(0.0));
    o.raw(",\"longitude\":");
    o.num(num(&coords, "longitude").unwrap_or(0.0));
    o.raw(",\"truck_id\":");
    o.opt_int(truck_id);
    o.raw(",\"velocity\":");
    o.num(num(&coords, "speed").unwrap_or(0.0));
    o.raw("}");
    Ok(Reply::json(o))
}
