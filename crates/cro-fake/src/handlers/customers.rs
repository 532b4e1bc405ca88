//! Customers and their location profiles (`DispatchCustomerLocationModel`).

use serde_json::{Map, Value};

use super::{body_str, location, not_found, paged};
use crate::errors::ApiError;
use crate::json::JsonBuf;
use crate::model::{Address, Contact, Customer, Profile};
use crate::render;
use crate::request::{Call, Reply};
use crate::seed;
use crate::store::{Overlay, Store};
use crate::time::Stamp;

/// Rough size of one rendered profile (sizes the page buffer).
const PROFILE_LEN: usize = 1100;

/// The customer-list filters (`ListCustomersQueryParamsModel`).
#[derive(Debug, Default)]
struct Filter {
    active: Option<bool>,
    created_gte: Option<Stamp>,
    updated_gte: Option<Stamp>,
    is_parent: Option<bool>,
    parent_id: Option<i64>,
    name: Option<String>,
    location_id: Option<i64>,
}

impl Filter {
    fn from_call(call: &Call<'_>) -> Filter {
        let q = &call.query;
        Filter {
            // `is_active` is the changelog 1.0.7 name of the same filter; the spec declares it
            // (deprecated) on the legacy `GET /customers` only, and `active` wins when both
            // are sent.
            active: q.bool("active").or_else(|| {
                (call.op.id == "list_customers")
                    .then(|| q.bool("is_active"))
                    .flatten()
            }),
            created_gte: q.str("created_on_gte").and_then(Stamp::parse),
            updated_gte: q.str("last_updated_gte").and_then(Stamp::parse),
            is_parent: q.bool("is_parent"),
            parent_id: q.int("parent_id"),
            name: q.str("name").map(|n| n.trim().to_lowercase()),
            location_id: q.int("location_id"),
        }
    }

    fn is_empty(&self) -> bool {
        self.active.is_none()
            && self.created_gte.is_none()
            && self.updated_gte.is_none()
            && self.is_parent.is_none()
            && self.parent_id.is_none()
            && self.name.is_none()
            && self.location_id.is_none()
    }

    fn matches(&self, c: &Customer, p: &Profile) -> bool {
        self.active.is_none_or(|a| p.is_active == a)
            && self.created_gte.is_none_or(|t| p.created_on >= t)
            && self
                .updated_gte
                .is_none_or(|t| p.last_updated_on.max(c.last_updated_on) >= t)
            && self
                .is_parent
                .is_none_or(|want| c.parent_id.is_none() == want)
            && self.parent_id.is_none_or(|id| c.parent_id == Some(id))
            && self.location_id.is_none_or(|id| p.location_id == id)
            && self
                .name
                .as_deref()
                .is_none_or(|pat| glob_match(pat, &c.name.to_lowercase()))
    }
}

/// Name filter: exact (case-insensitive) unless it holds `*`, the documented wildcard.
fn glob_match(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text.trim();
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Renders one profile (or `null` if it vanished, which the id scheme rules out).
fn write_profile(
    out: &mut JsonBuf,
    store: &Store,
    ov: &Overlay,
    k: usize,
    (cid, loc): (i64, i64),
    scratch: &mut (Customer, Profile),
    call: &Call<'_>,
) {
    let (sc, sp) = scratch;
    match (
        store.customer(ov, k, cid, sc),
        store.profile(ov, k, cid, loc, sp),
    ) {
        (Some(c), Some(p)) => render::customer_location(out, c, p, call.version),
        _ => out.null(),
    }
}

/// Pages over `total` profiles, `at(position)` naming each; with filters, scans them all first.
fn list_profiles_where(
    call: &Call<'_>,
    ov: &Overlay,
    k: usize,
    total: u64,
    at: impl Fn(u64) -> Option<(i64, i64)>,
) -> Result<Reply, ApiError> {
    let store = &call.state.store;
    let filter = Filter::from_call(call);
    let mut scratch = (Customer::default(), Profile::default());
    if filter.is_empty() {
        return paged(call, total, PROFILE_LEN, |pos, out| match at(pos) {
            Some(key) => write_profile(out, store, ov, k, key, &mut scratch, call),
            None => out.null(),
        });
    }
    let mut hits = Vec::new();
    let (mut hc, mut hp) = (Customer::default(), Profile::default());
    for pos in 0..total {
        let Some((cid, loc)) = at(pos) else { continue };
        let (Some(c), Some(p)) = (
            store.customer_head(ov, k, cid, &mut hc),
            store.profile(ov, k, cid, loc, &mut hp),
        ) else {
            continue;
        };
        if filter.matches(c, p) {
            hits.push((cid, loc));
        }
    }
    paged(call, hits.len() as u64, PROFILE_LEN, |pos, out| {
        write_profile(out, store, ov, k, hits[pos as usize], &mut scratch, call);
    })
}

/// `GET /customers`: every customer-location profile of the tenant.
pub fn list_all(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let store = &call.state.store;
    let k = t.info.k;
    let ov = t.read();
    let total = store.tenant_profiles(&ov);
    list_profiles_where(call, &ov, k, total, |pos| {
        store.tenant_profile_at(&ov, k, pos)
    })
}

/// `GET /locations/{location_id}/customers`.
pub fn list_at_location(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let store = &call.state.store;
    let k = t.info.k;
    let loc = store.world.location_id(k, li);
    let ov = t.read();
    let total = store.customers_at(&ov, k, li);
    list_profiles_where(call, &ov, k, total, |pos| {
        store.customer_at(&ov, k, li, pos).map(|cid| (cid, loc))
    })
}

/// `GET /locations/{location_id}/customers/{customer_id}`.
pub fn get_at_location(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let loc = call.state.store.world.location_id(t.info.k, li);
    let cid = call.path_id("customer_id")?;
    profile_reply(call, cid, loc, "customer_id")
}

fn profile_reply(call: &Call<'_>, cid: i64, loc: i64, field: &str) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let store = &call.state.store;
    let ov = t.read();
    let mut c = Customer::default();
    let mut p = Profile::default();
    let c = store
        .customer(&ov, t.info.k, cid, &mut c)
        .ok_or_else(|| not_found("customer_id", "customer", cid))?;
    let p = store
        .profile(&ov, t.info.k, cid, loc, &mut p)
        .ok_or_else(|| {
            ApiError::not_found(
                field,
                format!("Customer {cid} has no profile at location {loc}."),
            )
        })?;
    Ok(Reply::with(|o| {
        render::customer_location(o, c, p, call.version)
    }))
}

fn customer_reply(call: &Call<'_>, cid: i64) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let store = &call.state.store;
    let k = t.info.k;
    let ov = t.read();
    let mut c = Customer::default();
    let c = store
        .customer(&ov, k, cid, &mut c)
        .ok_or_else(|| not_found("customer_id", "customer", cid))?;
    let profiles: Vec<Profile> = store
        .profile_locations(&ov, k, cid)
        .into_iter()
        .filter_map(|loc| {
            let mut p = Profile::default();
            store.profile(&ov, k, cid, loc, &mut p).cloned()
        })
        .collect();
    Ok(Reply::with(|o| render::customer(o, c, &profiles)))
}

/// `GET /customers/{customer_id}`.
pub fn get(call: &Call<'_>) -> Result<Reply, ApiError> {
    customer_reply(call, call.path_id("customer_id")?)
}

/// `PATCH /customers/{customer_id}`.
pub fn update(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let store = &call.state.store;
    let k = t.info.k;
    let cid = call.path_id("customer_id")?;
    let body = call.body_obj();
    {
        let mut ov = t.write();
        if !store.customer_exists(&ov, k, cid) {
            return Err(not_found("customer_id", "customer", cid));
        }
        let parent = body.get("parent_id").and_then(Value::as_i64);
        // A referenced record that does not exist is a 404 (the request itself is valid);
        // a customer cannot be its own parent (409).
        if parent == Some(cid) {
            return Err(ApiError::conflict(
                "UpdateCustomerModel.parent_id",
                "A customer cannot be its own parent.",
            ));
        }
        if let Some(pid) = parent
            && !store.customer_exists(&ov, k, pid)
        {
            return Err(ApiError::not_found(
                "UpdateCustomerModel.parent_id",
                format!("No customer with id {pid}."),
            ));
        }
        let c = store
            .customer_mut(&mut ov, k, cid)
            .ok_or_else(|| not_found("customer_id", "customer", cid))?;
        if let Some(name) = body_str(&body, "name") {
            c.name = name;
        }
        if body.contains_key("parent_id") {
            c.parent_id = parent;
        }
        c.last_updated_on = Stamp::now();
    }
    customer_reply(call, cid)
}

/// `POST /locations/{location_id}/customers`.
pub fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let (t, li) = location(call)?;
    let store = &call.state.store;
    let k = t.info.k;
    let loc = store.world.location_id(k, li);
    let body = call.body_obj();
    let addresses: Vec<&Map<String, Value>> = body
        .get("addresses")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let flag = |a: &&Map<String, Value>, f: &str| a.get(f).and_then(Value::as_bool) == Some(true);
    if !addresses.iter().any(|a| flag(a, "is_billing"))
        || !addresses.iter().any(|a| flag(a, "is_shipping"))
    {
        return Err(ApiError::bad_request(
            "CreateCustomerModel.addresses",
            "Must contain a billing address and a shipping address.",
        ));
    }
    let name = body_str(&body, "name").unwrap_or_default();
    let max_distance = call
        .query
        .int("max_address_edit_distance")
        .unwrap_or(0)
        .clamp(0, 1000) as usize;
    let lines: Vec<String> = addresses
        .iter()
        .filter_map(|a| a.get("line_1").and_then(Value::as_str))
        .map(normalize)
        .collect();

    let mut ov = t.write();
    let parent = body.get("parent_id").and_then(Value::as_i64);
    if let Some(pid) = parent
        && !store.customer_exists(&ov, k, pid)
    {
        return Err(ApiError::not_found(
            "CreateCustomerModel.parent_id",
            format!("No customer with id {pid}."),
        ));
    }
    if let Some(dup) = find_duplicate(store, &ov, k, li, &normalize(&name), &lines, max_distance) {
        return Err(ApiError::conflict(
            "CreateCustomerModel.name",
            format!("Customer {dup} at location {loc} has the same name and address."),
        ));
    }
    let idx = ov.next_customer;
    ov.next_customer += 1;
    let cid = store.world.customer_id(k, idx);
    let now = Stamp::now();
    let customer = Customer {
        id: cid,
        name,
        parent_id: parent,
        created_on: now,
        last_updated_on: now,
        addresses: addresses
            .iter()
            .map(|a| address_from(a, store.new_address_id()))
            .collect(),
        contacts: body
            .get("contacts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(|c| contact_from(c, store.new_contact_id()))
            .collect(),
    };
    let mut profile = Profile {
        customer_id: cid,
        location_id: loc,
        is_active: true,
        is_commercial: Some(false),
        created_on: now,
        last_updated_on: now,
        ..Profile::default()
    };
    apply_profile_fields(&mut profile, &body);
    let mut out = JsonBuf::with_capacity(PROFILE_LEN);
    render::customer_location(&mut out, &customer, &profile, call.version);
    ov.customers.insert(cid, customer);
    ov.profiles.insert((cid, loc), profile);
    ov.extra_profiles.push((cid, loc));
    ov.extra_at.entry(loc).or_default().push(cid);
    Ok(Reply::json(out))
}

fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A customer at location `li` with the same (normalized) name and an address whose first
/// line is within `max_distance` edits of one of `lines`.
fn find_duplicate(
    store: &Store,
    ov: &Overlay,
    k: usize,
    li: u64,
    name: &str,
    lines: &[String],
    max_distance: usize,
) -> Option<i64> {
    let w = &store.world;
    let same_lines = |candidate: &str| {
        let c = normalize(candidate);
        lines.iter().any(|l| levenshtein(l, &c, max_distance))
    };
    let same_customer = |c: &Customer| {
        normalize(&c.name) == name
            && c.addresses
                .iter()
                .filter_map(|a| a.line_1.as_deref())
                .any(same_lines)
    };
    let mut buf = String::new();
    for j in 0..w.count_at(w.customers, li) {
        let idx = w.nth_at(li, j);
        let cid = w.customer_id(k, idx);
        if let Some(c) = ov.customers.get(&cid) {
            if same_customer(c) {
                return Some(cid);
            }
            continue;
        }
        // Generate just the name first: the address only matters for equal names.
        seed::customer_name(w, k, idx, &mut buf);
        if normalize(&buf) != name {
            continue;
        }
        let (n, _) = seed::customer_child_counts(w, k, idx);
        for slot in 0..n {
            seed::address_line_1(w, k, idx, slot, &mut buf);
            if same_lines(&buf) {
                return Some(cid);
            }
        }
    }
    let loc = w.location_id(k, li);
    ov.extra_at
        .get(&loc)
        .into_iter()
        .flatten()
        .find(|cid| ov.customers.get(cid).is_some_and(same_customer))
        .copied()
}

/// Whether the edit distance of `a` and `b` is at most `max`.
fn levenshtein(a: &str, b: &str, max: usize) -> bool {
    if a == b {
        return true;
    }
    if max == 0 {
        return false;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()] <= max
}

/// A new address from a `CreateCustomerAddressModel` body.
pub(crate) fn address_from(a: &Map<String, Value>, id: i64) -> Address {
    let mut addr = Address {
        id,
        is_active: true,
        ..Address::default()
    };
    apply_address_fields(&mut addr, a);
    addr
}

/// Copies the address fields present in `a` (`Create`/`UpdateCustomerAddressModel`).
pub(crate) fn apply_address_fields(addr: &mut Address, a: &Map<String, Value>) {
    let text = |f: &str| a.get(f).map(|v| v.as_str().map(str::to_owned));
    for (field, slot) in [
        ("country", &mut addr.country),
        ("line_1", &mut addr.line_1),
        ("line_2", &mut addr.line_2),
        ("line_3", &mut addr.line_3),
        ("line_4", &mut addr.line_4),
        ("locality", &mut addr.locality),
        ("postcode", &mut addr.postcode),
        ("region", &mut addr.region),
    ] {
        if let Some(v) = text(field) {
            *slot = v;
        }
    }
    if let Some(b) = a.get("is_billing").and_then(Value::as_bool) {
        addr.is_billing = b;
    }
    if let Some(b) = a.get("is_shipping").and_then(Value::as_bool) {
        addr.is_shipping = b;
        // The physical address is where containers go: the shipping one.
        addr.is_physical = b;
    }
    if let Some(x) = a.get("latitude").and_then(Value::as_f64) {
        addr.latitude = x;
    }
    if let Some(x) = a.get("longitude").and_then(Value::as_f64) {
        addr.longitude = x;
    }
}

/// A new contact from a `CreateCustomerContactModel` body.
pub(crate) fn contact_from(c: &Map<String, Value>, id: i64) -> Contact {
    let mut contact = Contact {
        id,
        ..Contact::default()
    };
    apply_contact_fields(&mut contact, c);
    contact
}

/// Copies the contact fields present in `c`.
pub(crate) fn apply_contact_fields(contact: &mut Contact, c: &Map<String, Value>) {
    for (field, slot) in [
        ("name", &mut contact.name),
        ("email", &mut contact.email),
        ("fax", &mut contact.fax),
        ("number", &mut contact.number),
    ] {
        if let Some(v) = c.get(field) {
            *slot = v.as_str().map(str::to_owned);
        }
    }
    for (field, slot) in [
        (
            "notify_on_acknowledged_request",
            &mut contact.notify_acknowledged,
        ),
        ("notify_on_completed_request", &mut contact.notify_completed),
        (
            "notify_on_dispatched_request",
            &mut contact.notify_dispatched,
        ),
        ("notify_on_failed_request", &mut contact.notify_failed),
        ("notify_on_new_request", &mut contact.notify_new),
    ] {
        if let Some(b) = c.get(field).and_then(Value::as_bool) {
            *slot = b;
        }
    }
}

/// Copies the profile fields present in a Create/Update(Dispatch)CustomerLocation body.
fn apply_profile_fields(p: &mut Profile, b: &Map<String, Value>) {
    for (field, slot) in [
        ("account_number_1", &mut p.account_number_1),
        ("account_number_2", &mut p.account_number_2),
        ("note", &mut p.note),
        ("reference_number", &mut p.reference_number),
        ("sales_rep", &mut p.sales_rep),
        ("sales_rep_id", &mut p.sales_rep_id),
    ] {
        if let Some(v) = b.get(field) {
            *slot = v.as_str().map(str::to_owned);
        }
    }
    if let Some(v) = b.get("is_active").and_then(Value::as_bool) {
        p.is_active = v;
    }
    if let Some(v) = b.get("is_commercial") {
        p.is_commercial = v.as_bool();
    }
    if let Some(v) = b.get("renewal_date") {
        p.renewal_date = v.as_str().and_then(Stamp::parse);
    }
    if let Some(v) = b.get("suspension_id") {
        p.suspension_id = v.as_i64();
    }
}

/// `GET /customers/{customer_id}/locations`.
pub fn list_profiles(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let store = &call.state.store;
    let k = t.info.k;
    let cid = call.path_id("customer_id")?;
    let ov = t.read();
    if !store.customer_exists(&ov, k, cid) {
        return Err(not_found("customer_id", "customer", cid));
    }
    let locs = store.profile_locations(&ov, k, cid);
    let mut scratch = (Customer::default(), Profile::default());
    paged(call, locs.len() as u64, PROFILE_LEN, |pos, out| {
        write_profile(
            out,
            store,
            &ov,
            k,
            (cid, locs[pos as usize]),
            &mut scratch,
            call,
        );
    })
}

fn profile_location(call: &Call<'_>) -> Result<i64, ApiError> {
    let t = call.tenant()?;
    let loc = call.path_id("customer_location_id")?;
    call.state
        .store
        .world
        .location_index(t.info.k, loc)
        .map(|_| loc)
        .ok_or_else(|| not_found("customer_location_id", "location", loc))
}

/// `POST /customers/{customer_id}/locations/{customer_location_id}`: add an existing customer
/// to another location.
pub fn add_profile(call: &Call<'_>) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let store = &call.state.store;
    let k = t.info.k;
    let cid = call.path_id("customer_id")?;
    let loc = profile_location(call)?;
    let body = call.body_obj();
    {
        let mut ov = t.write();
        if !store.customer_exists(&ov, k, cid) {
            return Err(not_found("customer_id", "customer", cid));
        }
        let mut scratch = Profile::default();
        if store.profile(&ov, k, cid, loc, &mut scratch).is_some() {
            return Err(ApiError::conflict(
                "CreateDispatchCustomerLocationModel",
                format!("Customer {cid} already has a profile at location {loc}."),
            ));
        }
        let now = Stamp::now();
        let mut p = Profile {
            customer_id: cid,
            location_id: loc,
            is_active: true,
            is_commercial: Some(false),
            created_on: now,
            last_updated_on: now,
            ..Profile::default()
        };
        apply_profile_fields(&mut p, &body);
        ov.profiles.insert((cid, loc), p);
        ov.extra_profiles.push((cid, loc));
        ov.extra_at.entry(loc).or_default().push(cid);
    }
    profile_reply(call, cid, loc, "customer_location_id")
}

/// `GET /customers/{customer_id}/locations/{customer_location_id}`.
pub fn get_profile(call: &Call<'_>) -> Result<Reply, ApiError> {
    let cid = call.path_id("customer_id")?;
    let loc = profile_location(call)?;
    profile_reply(call, cid, loc, "customer_location_id")
}

fn change_profile(call: &Call<'_>, f: impl FnOnce(&mut Profile)) -> Result<Reply, ApiError> {
    let t = call.tenant()?;
    let store = &call.state.store;
    let k = t.info.k;
    let cid = call.path_id("customer_id")?;
    let loc = profile_location(call)?;
    {
        let mut ov = t.write();
        if !store.customer_exists(&ov, k, cid) {
            return Err(not_found("customer_id", "customer", cid));
        }
        let p = store.profile_mut(&mut ov, k, cid, loc).ok_or_else(|| {
            ApiError::not_found(
                "customer_location_id",
                format!("Customer {cid} has no profile at location {loc}."),
            )
        })?;
        f(p);
        p.last_updated_on = Stamp::now();
    }
    profile_reply(call, cid, loc, "customer_location_id")
}

/// `PATCH /customers/{customer_id}/locations/{customer_location_id}`.
pub fn update_profile(call: &Call<'_>) -> Result<Reply, ApiError> {
    let body = call.body_obj();
    change_profile(call, |p| apply_profile_fields(p, &body))
}

/// `DELETE /customers/{customer_id}/locations/{customer_location_id}`: sets `is_active=false`.
pub fn deactivate_profile(call: &Call<'_>) -> Result<Reply, ApiError> {
    change_profile(call, |p| p.is_active = false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_and_distance() {
        assert!(glob_match("smith*", "smith roofing"));
        assert!(glob_match("*roofing", "smith roofing"));
        assert!(glob_match("s*h*g", "smith roofing"));
        assert!(!glob_match("smith", "smith roofing"));
        assert!(glob_match("smith roofing", "smith roofing"));
        assert!(levenshtein("123 main st", "123 main st.", 1));
        assert!(!levenshtein("123 main st", "124 main sq", 1));
        assert!(!levenshtein("a", "b", 0));
    }
}
