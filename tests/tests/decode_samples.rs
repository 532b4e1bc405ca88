//! Every sample payload of the API documentation decodes into the generated types.
//!
//! The fixtures in `tests/fixtures/` are the samples shown in the project's reference notes
//! (cro-api-facts.md) and the seed "Getting Started" page. Where the notes give a sample only
//! in part (listed values, `<uuid>` placeholders, `"..."` elisions), the rest is filled with
//! values of the documented type; every value the notes do give is kept as given, including
//! `null`s in fields the docs call Required and naive timestamps.
//!
//! Every payload must also re-encode losslessly: same keys at every level, equal values,
//! numbers compared as `f64`. Two tolerances, both from how typify encodes fields that are
//! *not* `required`: such a field is an `Option` skipped when `None`, so a `null` in it comes
//! back absent (allowed in every fixture; in the seed page only for the profile fields the docs
//! call Optional, [`OPTIONAL_PROFILE_FIELDS`]); and an empty optional array or object comes
//! back absent (allowed in request bodies only).

use std::path::Path;

use cro_api::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}.json is not JSON: {e}"))
}

/// Decode fixture `name` as `T`, panicking with the serde error (which names the field).
fn decode<T: DeserializeOwned>(name: &str) -> (T, Value) {
    let original = fixture(name);
    let decoded = serde_json::from_value(original.clone()).unwrap_or_else(|e| {
        panic!(
            "{name}.json does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    (decoded, original)
}

/// What re-encoding may drop (see the module docs).
#[derive(Clone, Copy)]
struct Tolerate {
    /// Keys whose value was `null`.
    nulls: bool,
    /// Keys whose value was `[]` or `{}`.
    empty: bool,
}

const EXACT: Tolerate = Tolerate {
    nulls: false,
    empty: false,
};
const RESPONSE: Tolerate = Tolerate {
    nulls: true,
    empty: false,
};
const REQUEST: Tolerate = Tolerate {
    nulls: true,
    empty: true,
};

/// Decode, re-encode, and compare with the original.
fn round_trip<T: DeserializeOwned + Serialize>(name: &str, tolerate: Tolerate) -> T {
    let (decoded, original) = decode::<T>(name);
    let reencoded = serde_json::to_value(&decoded).expect("generated types serialize");
    let mut differences = Vec::new();
    compare("$", &original, &reencoded, tolerate, &mut differences);
    assert!(
        differences.is_empty(),
        "{name}.json changed when re-encoded as {}:\n  {}",
        std::any::type_name::<T>(),
        differences.join("\n  ")
    );
    decoded
}

/// Recursive comparison: same key sets, same array lengths, numbers equal as `f64`.
fn compare(
    path: &str,
    original: &Value,
    reencoded: &Value,
    tolerate: Tolerate,
    out: &mut Vec<String>,
) {
    match (original, reencoded) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = format!("{path}.{key}");
                match b.get(key) {
                    Some(other) => compare(&child, value, other, tolerate, out),
                    None if tolerate.nulls && value.is_null() => {}
                    None if tolerate.empty && is_empty_container(value) => {}
                    None => out.push(format!("{child}: key lost")),
                }
            }
            for key in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{key}: key added"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, tolerate, out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: {a} became {b}")),
    }
}

fn is_empty_container(value: &Value) -> bool {
    matches!(value, Value::Array(a) if a.is_empty())
        || matches!(value, Value::Object(o) if o.is_empty())
}

/// One test per response fixture: decodes and re-encodes losslessly (nulls may be omitted).
macro_rules! responses {
    ($($test:ident: $fixture:literal => $ty:ty;)*) => {$(
        #[test]
        fn $test() {
            round_trip::<$ty>($fixture, RESPONSE);
        }
    )*};
}

/// One test per request fixture: decodes (so it passes the request constraints) and
/// re-encodes without losing anything but nulls and empty optional containers.
macro_rules! requests {
    ($($test:ident: $fixture:literal => $ty:ty;)*) => {$(
        #[test]
        fn $test() {
            round_trip::<$ty>($fixture, REQUEST);
        }
    )*};
}

responses! {
    error_body: "seed_error" => types::ErrorBody;
    add_customer_address_response: "add_customer_address_response" => types::CustomerAddressModel;
    get_customer_address_response: "get_customer_address_response" => types::CustomerAddressModel;
    create_customer_contact_response: "create_customer_contact_response" => types::CustomerContactModel;
    get_customer_location_response: "get_customer_location_response" => types::DispatchCustomerLocationModel;
    get_location_response: "get_location_response" => types::LocationModel;
    list_tenants_response: "list_tenants_response" => types::TenantListModel;
    list_users_response: "list_users_response" => types::UserListResultsModel;
    list_trucks_response: "list_trucks_response" => types::TruckListModel;
    list_materials_response: "list_materials_response" => types::MaterialModelArray;
    get_driver_response: "get_driver_response" => types::DriverModel;
    log_gps_event_response: "log_gps_event_response" => types::GpsStopModel;
    create_hauler_response: "create_hauler_response" => types::ThirdPartyHaulerModel;
    create_hauler_connection_response: "create_hauler_connection_response" => types::ThirdPartyHaulerConnectionModel;
    delete_hook_response: "delete_hook_response" => types::WebhookModel;
    ping_hook_response: "ping_hook_response" => types::WebhookPingResultModel;
}

requests! {
    add_customer_address_request: "add_customer_address_request" => types::CreateCustomerAddressModel;
    create_customer_contact_request: "create_customer_contact_request" => types::CreateCustomerContactModel;
    update_customer_contact_request: "update_customer_contact_request" => types::UpdateCustomerContactModel;
    update_customer_request: "update_customer_request" => types::UpdateCustomerModel;
    update_customer_location_request: "update_customer_location_request" => types::UpdateDispatchCustomerLocationModel;
    create_hauler_request: "create_hauler_request" => types::CreateHaulerRequestModel;
    create_hauler_connection_request: "create_hauler_connection_request" => types::CreateHaulerConnectionRequestModel;
    create_user_request: "create_user_request" => types::CreateUserRequestModel;
    create_hook_request: "create_hook_request" => types::CreateWebhookModel;
    update_hook_request: "update_hook_request" => types::UpdateWebhookModel;
    update_truck_request: "update_truck_request" => types::UpdateTruckRequestModel;
    log_gps_event_request: "log_gps_event_request" => types::GpsEventProfileModel;
}

/// The seed's customer page: the envelope, nulls in documented-Required fields, naive
/// timestamps, integral floats (`"latitude": 54`), and the 2019/02/08 `customer_id` key.
#[test]
fn seed_customer_page() {
    let page: types::CustomerListModel = round_trip("seed_customer_page", RESPONSE);
    // Exact but for nulls in the profile fields the docs call Optional (skipped when None).
    let original = fixture("seed_customer_page");
    let reencoded = serde_json::to_value(&page).unwrap();
    let mut differences = Vec::new();
    compare("$", &original, &reencoded, EXACT, &mut differences);
    differences.retain(|d| {
        !OPTIONAL_PROFILE_FIELDS
            .iter()
            .any(|f| d.ends_with(&format!(".{f}: key lost")))
    });
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert_eq!(
        (page.current_page, page.total_pages, page.total_count),
        (1, 6, 504)
    );
    let customer = &page.results[0];
    assert_eq!(customer.customer_id, Some(1));
    assert_eq!(customer.renewal_date, None);
    assert_eq!(customer.created_on.as_str(), "2020-10-19T04:06:50.733000");
    assert_eq!(customer.created_on.offset(), None);
    assert_eq!(customer.addresses[0].line_2, None);
    assert_eq!(customer.addresses[0].latitude, 54.0);
    assert_eq!(customer.contacts[0].fax, None);
}

/// `update_truck`: `driver_id: null` means "clear the driver", so it must be sent, not skipped.
#[test]
fn null_driver_is_sent() {
    let body: types::UpdateTruckRequestModel = round_trip("update_truck_request", EXACT);
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"driver_id":null}"#
    );
}

/// The Update Hook sample sends `"events": []`. typify skips empty optional arrays when
/// encoding, so the spec declares `events` nullable: the field becomes `Option<Vec<_>>` and an
/// explicit empty list is sent as `[]`.
#[test]
fn empty_hook_events_survive_reencoding() {
    round_trip::<types::UpdateWebhookModel>("update_hook_request", EXACT);
}

/// A naive timestamp with an impossible date is a decode error (naming the value), never a
/// panic and never silently accepted.
#[test]
fn bad_naive_date_is_a_decode_error() {
    let mut page = fixture("seed_customer_page");
    page["results"][0]["created_on"] = Value::from("2020-02-30T04:06:50.733000");
    let result =
        std::panic::catch_unwind(|| serde_json::from_value::<types::CustomerListModel>(page));
    let error = result
        .expect("decoding must not panic")
        .expect_err("February 30th must not decode");
    assert!(
        error.to_string().contains("2020-02-30T04:06:50.733000"),
        "{error}"
    );
}

/// Decoding is lenient where the API is known to exceed its documented limits: constraints of
/// response-only schemas were relaxed by `cargo xtask codegen` (a 65-character name, a
/// `current_page` of 0), while request bodies still validate.
#[test]
fn responses_are_lenient_requests_are_strict() {
    let mut page = fixture("seed_customer_page");
    page["results"][0]["name"] = Value::from("x".repeat(65));
    page["current_page"] = Value::from(0);
    serde_json::from_value::<types::CustomerListModel>(page).expect("lenient response decoding");

    let mut body = fixture("update_customer_request");
    body["name"] = Value::from("x".repeat(65));
    assert!(serde_json::from_value::<types::UpdateCustomerModel>(body).is_err());
}

/// The fields the docs call Optional in a customer-location profile (issue 14): a server that
/// omits any one of them must not break decoding of a profile, nor of a customer list.
const OPTIONAL_PROFILE_FIELDS: [&str; 6] = [
    "is_commercial",
    "note",
    "reference_number",
    "sales_rep",
    "sales_rep_id",
    "suspension_id",
];

#[test]
fn profile_decodes_without_each_optional_field() {
    for field in OPTIONAL_PROFILE_FIELDS {
        let mut profile = fixture("get_customer_location_response");
        assert!(
            profile.as_object_mut().unwrap().remove(field).is_some(),
            "the sample has {field}"
        );
        let decoded: types::DispatchCustomerLocationModel = serde_json::from_value(profile)
            .unwrap_or_else(|e| panic!("a profile without {field} must decode: {e}"));
        let value = serde_json::to_value(&decoded).unwrap();
        assert!(value.get(field).is_none(), "{field} comes back absent");

        let mut page = fixture("seed_customer_page");
        page["results"][0].as_object_mut().unwrap().remove(field);
        serde_json::from_value::<types::CustomerListModel>(page)
            .unwrap_or_else(|e| panic!("a customer page without {field} must decode: {e}"));
    }
}

/// The same six fields in the per-location settings nested in a customer
/// (`DispatchCustomerSettingsModel`); the sample is the profile above minus the
/// customer-level keys.
#[test]
fn settings_decode_without_each_optional_field() {
    let mut full = fixture("get_customer_location_response");
    let object = full.as_object_mut().unwrap();
    for customer_level in [
        "account_number_1",
        "account_number_2",
        "addresses",
        "contacts",
        "name",
        "parent_id",
    ] {
        object.remove(customer_level);
    }
    let all: types::DispatchCustomerSettingsModel =
        serde_json::from_value(full.clone()).expect("the full settings decode");
    assert_eq!(all.sales_rep.as_deref(), Some("Shane"));
    for field in OPTIONAL_PROFILE_FIELDS {
        let mut settings = full.clone();
        settings.as_object_mut().unwrap().remove(field);
        serde_json::from_value::<types::DispatchCustomerSettingsModel>(settings)
            .unwrap_or_else(|e| panic!("settings without {field} must decode: {e}"));
    }
    // A documented Required field is still required.
    let mut settings = full;
    settings.as_object_mut().unwrap().remove("is_active");
    assert!(serde_json::from_value::<types::DispatchCustomerSettingsModel>(settings).is_err());
}
