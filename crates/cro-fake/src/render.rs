//! Response renderers: one function per response model, writing JSON straight into a
//! [`JsonBuf`]. Keys follow the spec's schemas; version-dependent keys take the request's
//! [`Version`].

use std::sync::LazyLock;

use crate::json::JsonBuf;
use crate::model::{
    Address, ChatMsg, Connection, Contact, Customer, Driver, Hauler, Hook, Profile, Truck, UserRec,
};
use crate::seed::{self, ASSET_TYPE_NAMES, MATERIALS};
use crate::time::{DAY, SAMPLE_EPOCH, Stamp};
use crate::versions::Version;
use crate::world::{
    ASSET_TYPES_PER_LOCATION, ASSETS_PER_LOCATION, DUMPS_PER_LOCATION, MATERIALS_PER_LOCATION,
    TenantInfo, World,
};

/// The version that renamed `DispatchCustomerLocationModel.customer_id` to `id`.
pub const V_CUSTOMER_ID_RENAME: &str = "2021/04/07";
/// The version that moved Update Truck's inputs to a JSON body.
pub const V_TRUCK_BODY: &str = "2021/05/07";
/// The version that renamed `created_by_id` to `created_by` and changed `JobModel.customer`.
pub const V_JOB_RENAME: &str = "2021/11/04";

/// `CustomerAddressModel`.
pub fn address(o: &mut JsonBuf, a: &Address) {
    o.raw("{\"country\":");
    o.opt_str(a.country.as_deref());
    o.raw(",\"id\":");
    o.int(a.id);
    o.raw(",\"is_active\":");
    o.bool(a.is_active);
    o.raw(",\"is_billing\":");
    o.bool(a.is_billing);
    o.raw(",\"is_physical\":");
    o.bool(a.is_physical);
    o.raw(",\"is_shipping\":");
    o.bool(a.is_shipping);
    o.raw(",\"latitude\":");
    o.num(a.latitude);
    o.raw(",\"line_1\":");
    o.opt_str(a.line_1.as_deref());
    o.raw(",\"line_2\":");
    o.opt_str(a.line_2.as_deref());
    o.raw(",\"line_3\":");
    o.opt_str(a.line_3.as_deref());
    o.raw(",\"line_4\":");
    o.opt_str(a.line_4.as_deref());
    o.raw(",\"locality\":");
    o.opt_str(a.locality.as_deref());
    o.raw(",\"longitude\":");
    o.num(a.longitude);
    o.raw(",\"postcode\":");
    o.opt_str(a.postcode.as_deref());
    o.raw(",\"region\":");
    o.opt_str(a.region.as_deref());
    o.raw("}");
}

/// `CustomerContactModel`.
pub fn contact(o: &mut JsonBuf, c: &Contact) {
    o.raw("{\"email\":");
    o.opt_str(c.email.as_deref());
    o.raw(",\"fax\":");
    o.opt_str(c.fax.as_deref());
    o.raw(",\"id\":");
    o.int(c.id);
    o.raw(",\"name\":");
    o.opt_str(c.name.as_deref());
    o.raw(",\"notify_on_acknowledged_request\":");
    o.bool(c.notify_acknowledged);
    o.raw(",\"notify_on_completed_request\":");
    o.bool(c.notify_completed);
    o.raw(",\"notify_on_dispatched_request\":");
    o.bool(c.notify_dispatched);
    o.raw(",\"notify_on_failed_request\":");
    o.bool(c.notify_failed);
    o.raw(",\"notify_on_new_request\":");
    o.bool(c.notify_new);
    o.raw(",\"number\":");
    o.opt_str(c.number.as_deref());
    o.raw("}");
}

fn list<T>(o: &mut JsonBuf, items: &[T], mut f: impl FnMut(&mut JsonBuf, &T)) {
    o.raw("[");
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            o.raw(",");
        }
        f(o, it);
    }
    o.raw("]");
}

/// `DispatchCustomerLocationModel`: a customer as seen at one location.
pub fn customer_location(o: &mut JsonBuf, c: &Customer, p: &Profile, v: Version) {
    o.raw("{\"account_number_1\":");
    o.opt_str(p.account_number_1.as_deref());
    o.raw(",\"account_number_2\":");
    o.opt_str(p.account_number_2.as_deref());
    o.raw(",\"addresses\":");
    list(o, &c.addresses, address);
    o.raw(",\"contacts\":");
    list(o, &c.contacts, contact);
    o.raw(",\"created_on\":");
    o.ts(p.created_on);
    // Breaking change 2021/04/07: `customer_id` became `id`.
    if v.at_least(V_CUSTOMER_ID_RENAME) {
        o.raw(",\"id\":");
    } else {
        o.raw(",\"customer_id\":");
    }
    o.int(c.id);
    o.raw(",\"is_active\":");
    o.bool(p.is_active);
    o.raw(",\"is_commercial\":");
    o.opt_bool(p.is_commercial);
    o.raw(",\"last_updated_on\":");
    o.ts(p.last_updated_on.max(c.last_updated_on));
    o.raw(",\"location_id\":");
    o.int(p.location_id);
    o.raw(",\"name\":");
    o.str(&c.name);
    o.raw(",\"note\":");
    o.opt_str(p.note.as_deref());
    o.raw(",\"parent_id\":");
    o.opt_int(c.parent_id);
    o.raw(",\"reference_number\":");
    o.opt_str(p.reference_number.as_deref());
    o.raw(",\"renewal_date\":");
    o.opt_ts(p.renewal_date);
    o.raw(",\"sales_rep\":");
    o.opt_str(p.sales_rep.as_deref());
    o.raw(",\"sales_rep_id\":");
    o.opt_str(p.sales_rep_id.as_deref());
    o.raw(",\"suspension_id\":");
    o.opt_int(p.suspension_id);
    o.raw("}");
}

/// `DispatchCustomerSettingsModel`: the location-level half of a profile.
pub fn customer_settings(o: &mut JsonBuf, p: &Profile) {
    o.raw("{\"created_on\":");
    o.ts(p.created_on);
    o.raw(",\"customer_id\":");
    o.int(p.customer_id);
    o.raw(",\"is_active\":");
    o.bool(p.is_active);
    o.raw(",\"is_commercial\":");
    o.opt_bool(p.is_commercial);
    o.raw(",\"last_updated_on\":");
    o.ts(p.last_updated_on);
    o.raw(",\"location_id\":");
    o.int(p.location_id);
    o.raw(",\"note\":");
    o.opt_str(p.note.as_deref());
    o.raw(",\"reference_number\":");
    o.opt_str(p.reference_number.as_deref());
    o.raw(",\"renewal_date\":");
    o.opt_ts(p.renewal_date);
    o.raw(",\"sales_rep\":");
    o.opt_str(p.sales_rep.as_deref());
    o.raw(",\"sales_rep_id\":");
    o.opt_str(p.sales_rep_id.as_deref());
    o.raw(",\"suspension_id\":");
    o.opt_int(p.suspension_id);
    o.raw("}");
}

/// `CustomerModel` (also `JobCustomerModel`, which has the same shape).
pub fn customer(o: &mut JsonBuf, c: &Customer, profiles: &[Profile]) {
    o.raw("{\"addresses\":");
    list(o, &c.addresses, address);
    o.raw(",\"contacts\":");
    list(o, &c.contacts, contact);
    o.raw(",\"created_on\":");
    o.ts(c.created_on);
    o.raw(",\"id\":");
    o.int(c.id);
    o.raw(",\"last_updated_on\":");
    o.ts(c.last_updated_on);
    o.raw(",\"locations\":");
    list(o, profiles, customer_settings);
    o.raw(",\"name\":");
    o.str(&c.name);
    o.raw(",\"parent_id\":");
    o.opt_int(c.parent_id);
    o.raw("}");
}

/// `LocationAddressModel` of a location or asset site.
pub fn location_address(o: &mut JsonBuf, w: &World, k: usize, li: u64, street: &str) {
    let town = seed::location_town(w, k, li);
    o.raw("{\"id\":null,\"latitude\":");
    o.num(town.4);
    o.raw(",\"line_1\":");
    o.str(street);
    o.raw(",\"line_2\":null,\"line_3\":null,\"line_4\":null,\"locality\":");
    o.str(town.0);
    o.raw(",\"longitude\":");
    o.num(town.5);
    o.raw(",\"postcode\":");
    o.str(town.2);
    o.raw(",\"region\":");
    o.str(town.1);
    o.raw("}");
}

/// `LocationModel` of tenant `k`'s location number `li`.
pub fn location(o: &mut JsonBuf, w: &World, k: usize, li: u64) {
    let t = &w.tenants[k];
    let town = seed::location_town(w, k, li);
    let mut name = String::new();
    seed::location_name(w, k, li, &mut name);
    let mut street = String::new();
    seed::location_street(w, k, li, &mut street);
    o.raw("{\"address\":");
    location_address(o, w, k, li, &street);
    o.raw(concat!(
        ",\"allow_new_asset_numbers\":true,\"asset_number_required\":false",
        ",\"auto_billing_setup\":false,\"auto_complete_dumps\":false",
        ",\"auto_rollover_enabled\":true,\"bar_code_type\":\"code_39\"",
        ",\"billing_accounts_global\":false,\"contact\":{\"email\":"
    ));
    o.str(&format!("dispatch@{}", t.domain));
    o.raw(",\"id\":null,\"name\":null,\"number\":");
    o.str(&format!("({}) 555-0100", town.3));
    o.raw(concat!(
        "},\"delivery_hidden\":false,\"delivery_name\":\"LiveLoad\"",
        ",\"distance_factor\":0.621371,\"distance_label\":\"mi\"",
        ",\"do_share_drivers\":false,\"driver_self_assignment\":false",
        ",\"dropoff_hidden\":false,\"dropoff_name\":\"Delivery\",\"dtt_enabled\":false",
        ",\"exchange_hidden\":false,\"exchange_name\":\"Swap\",\"id\":"
    ));
    o.int(w.location_id(k, li));
    o.raw(",\"is_active\":true,\"leed_enabled\":null,\"main_inventory_name\":");
    o.str(&format!("{} {}", t.code, town.0));
    o.raw(",\"name\":");
    o.str(&name);
    o.raw(concat!(
        ",\"notify_on_acknowledged_job\":true,\"notify_on_completed_job\":true",
        ",\"notify_on_dispatched_job\":false,\"notify_on_failed_job\":true",
        ",\"pickup_hidden\":false,\"pickup_name\":\"Pickup\"",
        ",\"require_reason_fail_delay\":true,\"require_reference_number\":false",
        ",\"require_signature\":false",
        ",\"service_disclaimer\":\"Do not overfill containers above the rim.\"",
        ",\"service_hidden\":false,\"service_name\":\"Service\"",
        ",\"use_additional_items\":false}"
    ));
}

/// `TenantModel`.
pub fn tenant(o: &mut JsonBuf, w: &World, t: &TenantInfo) {
    let town = &seed::TOWNS[t.home_town];
    let mut street = String::new();
    seed::location_street(w, t.k, 0, &mut street);
    o.raw("{\"address\":");
    o.str(&street);
    o.raw(",\"city\":");
    o.str(town.0);
    o.raw(",\"code\":");
    o.str(t.code);
    o.raw(",\"created_on\":");
    o.ts(Stamp(
        SAMPLE_EPOCH.0 - 4 * 365 * DAY + t.k as i64 * 40 * DAY,
    ));
    o.raw(",\"email\":");
    o.str(&format!("office@{}", t.domain));
    o.raw(",\"id\":");
    o.int(t.id);
    o.raw(",\"is_active\":true,\"name\":");
    o.str(t.name);
    o.raw(",\"phone\":");
    o.str(&format!("{}5550100", town.3));
    o.raw(",\"state\":");
    o.str(town.1);
    o.raw(",\"truck_limit\":null,\"zip\":");
    o.str(town.2);
    o.raw("}");
}

/// `TruckModel`.
pub fn truck(o: &mut JsonBuf, t: &Truck) {
    o.raw("{\"driver_id\":");
    o.opt_int(t.driver_id);
    o.raw(",\"id\":");
    o.int(t.id);
    o.raw(",\"interface_color\":");
    o.opt_str(t.interface_color.as_deref());
    o.raw(",\"location_id\":");
    o.int(t.location_id);
    o.raw(",\"name\":");
    o.str(&t.name);
    o.raw(",\"notes\":");
    o.str(&t.notes);
    o.raw(",\"out_of_service\":");
    o.bool(t.out_of_service);
    o.raw(",\"require_odometer\":");
    o.bool(t.require_odometer);
    o.raw(",\"third_party_hauler_id\":");
    o.opt_str(t.third_party_hauler_id.as_deref());
    o.raw(",\"trailer_id\":");
    o.opt_int(t.trailer_id);
    o.raw(",\"type\":");
    o.str(&t.kind);
    o.raw(",\"weight\":");
    o.num(t.weight);
    o.raw("}");
}

/// `DriverModel`; `can_*_to` lists only when `detail` (the Get Driver shape).
pub fn driver(o: &mut JsonBuf, d: &Driver, detail: Option<&[i64]>) {
    o.raw("{\"address\":");
    o.opt_str(d.address.as_deref());
    if let Some(ids) = detail {
        o.raw(",\"can_assign_to\":");
        o.value(ids);
    }
    o.raw(",\"can_convert_to_group\":");
    o.bool(d.flags[0]);
    o.raw(",\"can_create_requests\":");
    o.bool(d.flags[1]);
    if let Some(ids) = detail {
        o.raw(",\"can_dispatch_to\":");
        o.value(ids);
    }
    o.raw(",\"can_edit_requests\":");
    o.bool(d.flags[2]);
    o.raw(",\"can_reposition_asset\":");
    o.bool(d.flags[3]);
    o.raw(",\"city\":");
    o.str(&d.city);
    o.raw(",\"disable_shift_tracking\":");
    o.bool(d.flags[4]);
    o.raw(",\"email\":");
    o.str(&d.email);
    o.raw(",\"id\":");
    o.int(d.id);
    o.raw(",\"is_deactivated\":");
    o.bool(d.flags[5]);
    o.raw(",\"license_number\":");
    o.str(&d.license_number);
    o.raw(",\"location_id\":");
    o.int(d.location_id);
    o.raw(",\"name\":");
    o.str(&d.name);
    o.raw(",\"phone_number\":");
    o.opt_str(d.phone_number.as_deref());
    o.raw(",\"state\":");
    o.str(&d.state);
    o.raw(",\"third_party_hauler_id\":");
    o.opt_str(d.third_party_hauler_id.as_deref());
    o.raw(",\"username\":");
    o.str(&d.username);
    o.raw(",\"zip\":");
    o.str(&d.zip);
    o.raw("}");
}

/// `UserModel`.
pub fn user(o: &mut JsonBuf, u: &UserRec) {
    o.raw("{\"dispatcher_id\":");
    o.opt_int(u.dispatcher_id);
    o.raw(",\"id\":");
    o.int(u.id);
    o.raw(",\"roles\":");
    o.value(&u.roles);
    o.raw(",\"third_party_hauler_id\":");
    o.opt_str(u.third_party_hauler_id.as_deref());
    o.raw(",\"uid\":");
    o.str(&u.uid);
    o.raw(",\"username\":");
    o.str(&u.username);
    o.raw("}");
}

/// `JobAssetTypeModel` (also `AssetTypeModel`) of asset type `idx` (`li * 4 + t`).
pub fn asset_type(o: &mut JsonBuf, w: &World, k: usize, idx: u64) {
    let li = idx / ASSET_TYPES_PER_LOCATION;
    let t = (idx % ASSET_TYPES_PER_LOCATION) as usize;
    o.raw("{\"deleted\":false,\"id\":");
    o.int(w.id(0, k, idx));
    o.raw(",\"is_default\":");
    o.bool(t == 1);
    o.raw(",\"location_id\":");
    o.int(w.location_id(k, li));
    o.raw(",\"name\":");
    o.str(ASSET_TYPE_NAMES[t].0);
    o.raw(",\"quantity\":");
    o.int((ASSETS_PER_LOCATION / ASSET_TYPES_PER_LOCATION) as i64);
    o.raw(",\"require_numbers\":true,\"weight\":");
    o.num(ASSET_TYPE_NAMES[t].1);
    o.raw("}");
}

static YARD_ASSET_CUSTOMER_NULL: LazyLock<bool> =
    LazyLock::new(|| crate::spec::spec().is_nullable("JobAssetModel", "customer_id"));

/// `JobAssetModel` of asset `idx` (`li * ASSETS_PER_LOCATION + a`).
pub fn asset(o: &mut JsonBuf, w: &World, k: usize, idx: u64) {
    let li = idx / ASSETS_PER_LOCATION;
    let a = idx % ASSETS_PER_LOCATION;
    let mut r = seed::Rng::new(w.seed, k, seed::kind::ASSET, idx);
    let type_idx = li * ASSET_TYPES_PER_LOCATION + a % ASSET_TYPES_PER_LOCATION;
    let n_customers = w.count_at(w.customers, li);
    // Roughly half the containers are out at customers.
    let at_customer = n_customers > 0 && r.chance(50);
    let customer = w.customer_id(k, w.nth_at(li, r.below(n_customers.max(1))));
    let town = seed::location_town(w, k, li);
    let mut street = String::new();
    seed::location_street(w, k, li, &mut street);
    let dispatched = Stamp(SAMPLE_EPOCH.0 - r.span(90 * DAY) - DAY);
    o.raw("{\"asset_type\":");
    asset_type(o, w, k, type_idx);
    o.raw(",\"asset_type_id\":");
    o.int(w.id(0, k, type_idx));
    o.raw(",\"cluster\":");
    o.int((a / 5) as i64);
    // Containers in the yard belong to no customer: null where the spec allows it; a spec that
    // makes `customer_id` non-nullable gets the customer that had them last (0 when the
    // location has no customers at all).
    o.raw(",\"customer_id\":");
    if !at_customer && *YARD_ASSET_CUSTOMER_NULL {
        o.null();
    } else {
        o.int(if n_customers > 0 { customer } else { 0 });
    }
    o.raw(",\"description\":");
    o.str(&format!(
        "{} roll-off container",
        ASSET_TYPE_NAMES[(a % 4) as usize].0
    ));
    o.raw(",\"dispatched_on\":");
    o.opt_ts(at_customer.then_some(dispatched));
    o.raw(",\"id\":");
    o.int(w.id(0, k, idx));
    o.raw(",\"is_returned\":");
    o.bool(!at_customer);
    o.raw(",\"last_activity_on\":");
    o.ts(dispatched);
    o.raw(",\"last_rental_invoice_on\":");
    o.opt_ts(at_customer.then_some(Stamp(dispatched.0 + 7 * DAY)));
    o.raw(",\"latitude\":");
    o.num(town.4);
    o.raw(",\"location\":");
    location_address(o, w, k, li, &street);
    o.raw(",\"location_id\":");
    o.int(w.location_id(k, li));
    o.raw(",\"longitude\":");
    o.num(town.5);
    o.raw(",\"number\":");
    o.str(&format!("RO-{:05}", w.id(0, k, idx)));
    o.raw(",\"quantity\":1,\"returned_on\":");
    o.opt_ts((!at_customer).then_some(dispatched));
    o.raw("}");
}

/// `DumpDestinationModel` of destination `idx` (`li * 3 + d`; `d == 0` is the holding yard).
pub fn dump_destination(o: &mut JsonBuf, w: &World, k: usize, idx: u64) {
    let li = idx / DUMPS_PER_LOCATION;
    let d = idx % DUMPS_PER_LOCATION;
    let town = seed::location_town(w, k, li);
    let (name, desc) = match d {
        0 => ("Main Yard", "Holding yard for empty containers."),
        1 => (
            "Transfer Station",
            "Municipal transfer station; scale on site.",
        ),
        _ => ("Regional Landfill", "Accepts C&D and MSW; closed Sundays."),
    };
    o.raw("{\"address\":");
    o.str(&format!("{} Industrial Way", 1000 + 100 * d));
    o.raw(",\"city\":");
    o.str(town.0);
    o.raw(",\"contact_email\":");
    o.str(&format!("scale{d}@{}", w.tenants[k].domain));
    o.raw(",\"contact_name\":");
    o.str(&format!("{} {name} office", town.0));
    o.raw(",\"contact_phone\":");
    o.str(&format!("({}) 555-02{d:02}", town.3));
    o.raw(",\"description\":");
    o.str(desc);
    o.raw(",\"id\":");
    o.int(w.id(0, k, idx));
    o.raw(",\"is_holding_yard\":");
    o.bool(d == 0);
    o.raw(",\"latitude\":");
    o.num(((town.4 + 0.01 * d as f64) * 1e6).round() / 1e6);
    o.raw(",\"location_id\":");
    o.int(w.location_id(k, li));
    o.raw(",\"longitude\":");
    o.num(((town.5 - 0.01 * d as f64) * 1e6).round() / 1e6);
    o.raw(",\"state\":");
    o.str(town.1);
    o.raw(",\"zip\":");
    o.str(town.2);
    o.raw("}");
}

/// `MaterialModel` of material `idx` (`li * 6 + m`).
pub fn material(o: &mut JsonBuf, w: &World, k: usize, idx: u64) {
    let li = idx / MATERIALS_PER_LOCATION;
    let m = (idx % MATERIALS_PER_LOCATION) as usize;
    let (desc, group, uom, price) = MATERIALS[m];
    o.raw("{\"created_on\":");
    o.ts(Stamp(SAMPLE_EPOCH.0 - 700 * DAY + m as i64 * DAY));
    o.raw(",\"description\":");
    o.str(desc);
    o.raw(",\"factor\":1.0,\"group_description\":");
    o.str(group);
    o.raw(",\"id\":");
    o.int(w.id(0, k, idx));
    o.raw(",\"line_item_id\":");
    o.int(500 + m as i64);
    o.raw(",\"location_id\":");
    o.int(w.location_id(k, li));
    o.raw(",\"unit_price\":");
    o.num(price);
    o.raw(",\"uom\":");
    o.str(uom);
    o.raw("}");
}

/// `WebhookModel`.
pub fn hook(o: &mut JsonBuf, h: &Hook) {
    o.raw("{\"deleted_at\":");
    o.opt_ts(h.deleted_at);
    o.raw(",\"events\":");
    o.value(&h.events);
    o.raw(",\"id\":");
    o.int(h.id);
    o.raw(",\"last_http_fail\":");
    o.opt_ts(h.last_http_fail);
    o.raw(",\"last_http_success\":");
    o.opt_ts(h.last_http_success);
    o.raw(",\"secret\":");
    o.opt_str(h.secret.as_deref());
    o.raw(",\"url\":");
    o.str(&h.url);
    o.raw("}");
}

/// `ThirdPartyHaulerModel`.
pub fn hauler(o: &mut JsonBuf, h: &Hauler) {
    o.raw("{\"id\":");
    o.str(&h.id);
    o.raw(",\"name\":");
    o.str(&h.name);
    o.raw("}");
}

/// `ThirdPartyHaulerConnectionModel`.
pub fn connection(o: &mut JsonBuf, c: &Connection) {
    o.raw("{\"approved_by\":");
    o.opt_int(c.approved_by);
    o.raw(",\"approved_on\":");
    o.opt_ts(c.approved_on);
    o.raw(",\"denied_on\":");
    o.opt_ts(c.denied_on);
    o.raw(",\"is_approved\":");
    o.bool(c.is_approved);
    o.raw(",\"location_id\":");
    o.int(c.location_id);
    o.raw(",\"provider_id\":");
    o.int(c.provider_id);
    o.raw(",\"provider_name\":");
    o.str(&c.provider_name);
    o.raw(",\"requested_on\":");
    o.ts(c.requested_on);
    o.raw(",\"third_party_hauler_id\":");
    o.str(&c.hauler_id);
    o.raw("}");
}

fn chat_user(o: &mut JsonBuf, u: &(i64, String)) {
    o.raw("{\"id\":");
    o.int(u.0);
    o.raw(",\"type\":");
    o.str(&u.1);
    o.raw("}");
}

/// `DriverChatMessageModel`.
pub fn chat(o: &mut JsonBuf, m: &ChatMsg) {
    o.raw("{\"id\":");
    o.int(m.id);
    o.raw(",\"is_edited\":");
    o.bool(m.is_edited);
    o.raw(",\"is_read\":");
    o.bool(m.is_read);
    o.raw(",\"last_edited_on\":");
    o.opt_ts(m.last_edited_on);
    o.raw(",\"receiver\":");
    chat_user(o, &m.receiver);
    o.raw(",\"sender\":");
    chat_user(o, &m.sender);
    o.raw(",\"sent_on\":");
    o.ts(m.sent_on);
    o.raw(",\"text\":");
    o.str(&m.text);
    o.raw("}");
}

/// `DriverChatRecipientModel`.
pub fn recipient(o: &mut JsonBuf, id: i64, name: &str, kind: &str) {
    o.raw("{\"id\":");
    o.int(id);
    o.raw(",\"name\":");
    o.str(name);
    o.raw(",\"type\":");
    o.str(kind);
    o.raw("}");
}
