//! The SDK idioms of issue 12, each held by a test against an in-process cro-fake: the 404
//! match on the one error type, bodies from plain strings, a one-line error Display, `field()`
//! on a local validation error, the version-proof id, and the API version as an enum.

use cro_api::types::{
    ApiVersion, CreateCustomerAddressModel, CreateCustomerModel, DispatchCustomerLocationModel,
};
use cro_api::{Client, Error};
use cro_ext::prelude::*;
use cro_fake::{FakeConfig, FakeServer, RunningFake};

async fn fake() -> RunningFake {
    let config = FakeConfig {
        customers: 12,
        ..FakeConfig::default()
    };
    FakeServer::start(config).await.expect("cro-fake starts")
}

fn client(fake: &RunningFake, role: &str) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .token(fake.token(role).expect("seeded role token"))
        .tenant_id(fake.tenant_ids()[0] as u64)
        .build()
        .expect("client builds")
}

fn address(country: &str) -> cro_api::types::builder::CreateCustomerAddressModel {
    CreateCustomerAddressModel::builder()
        .line_1("1 Main St")
        .locality("Springfield")
        .region("IL")
        .postcode("62701")
        .country(country)
        .is_billing(true)
        .is_shipping(true)
        .latitude(39.78)
        .longitude(-89.65)
}

#[tokio::test]
async fn a_404_matches_on_the_one_error_type() {
    let fake = fake().await;
    let client = client(&fake, "Admin");
    let outcome = match client.get_customer().customer_id(1).send().await {
        Err(cro_api::Error::Api(e)) if e.status() == 404 => "not found",
        Err(e) => panic!("expected Ok or a 404, got {e:?}"),
        Ok(_) => "found",
    };
    assert_eq!(outcome, "found");
    let missing = match client
        .get_customer()
        .customer_id(i64::from(i32::MAX))
        .send()
        .await
    {
        Err(cro_api::Error::Api(e)) if e.status() == 404 => e.request_id().map(str::to_owned),
        other => panic!("expected a 404, got {other:?}"),
    };
    assert!(missing.is_some(), "a 404 carries the request id");
}

#[tokio::test]
async fn an_address_is_built_from_plain_strings() {
    let fake = fake().await;
    let client = client(&fake, "Dispatcher");
    let location_id = fake.location_ids(fake.tenant_ids()[0])[0];
    // `.line_1("1 Main St").locality(..)`: no newtypes, no `Some(..)`, no `try_from`; a list
    // takes builders.
    let body = CreateCustomerModel::builder()
        .name("Plain Strings Inc.")
        .note(String::from("made from &str and String"))
        .addresses([address("US")]);
    let created = client
        .create_customer()
        .location_id(location_id)
        .body(body)
        .send()
        .await
        .expect("the fake creates the customer");
    assert_eq!(created.name, "Plain Strings Inc.");
    assert_eq!(created.addresses[0].line_1.as_deref(), Some("1 Main St"));
    assert_eq!(created.addresses[0].country.as_deref(), Some("US"));
}

#[tokio::test]
async fn a_local_validation_error_names_model_field_and_rule() {
    let fake = fake().await;
    let client = client(&fake, "Dispatcher");
    let body = CreateCustomerModel::builder()
        .name("Acme")
        .addresses([address("USA")]);
    let err = client
        .create_customer()
        .location_id(1)
        .body(body)
        .send()
        .await
        .expect_err("a three-letter country code breaks maxLength 2");
    let field = err.field().expect("field() works for local errors too");
    assert_eq!(field.model(), Some("CreateCustomerAddressModel"));
    assert_eq!(field.name(), Some("country"));
    match &err {
        Error::Validation(v) => assert_eq!(v.rule(), "longer than 2 characters"),
        other => panic!("expected Error::Validation, got {other:?}"),
    }
    assert_eq!(err.status(), None, "nothing was sent");

    // A required field left unset is named the same way.
    let err = client
        .create_customer()
        .location_id(1)
        .body(CreateCustomerModel::builder().addresses([address("US")]))
        .send()
        .await
        .expect_err("name is required");
    assert_eq!(
        err.field().map(|f| f.to_string()).as_deref(),
        Some("CreateCustomerModel.name")
    );
}

/// Needs the one-line `Display` of helper H4 (crates/cro-api/src/error.rs).
#[tokio::test]
async fn a_403_displays_on_one_short_line() {
    let fake = fake().await;
    let driver = client(&fake, "Driver");
    let body = CreateCustomerModel::builder()
        .name("Acme")
        .addresses([address("US")]);
    let err = driver
        .create_customer()
        .location_id(1)
        .body(body)
        .send()
        .await
        .expect_err("a Driver may not create customers");
    assert!(err.is_forbidden(), "{err:?}");
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
    for text in [format!("{boxed}"), boxed.to_string()] {
        assert!(!text.contains('\n'), "one line: {text}");
        assert!(text.len() < 300, "{} chars: {text}", text.len());
        assert!(text.starts_with("403"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("x-cro-rs"), "{text}");
    }
}

#[tokio::test]
async fn the_id_reads_the_same_whatever_the_api_version() {
    let fake = fake().await;
    let mut ids = Vec::new();
    let mut last = None;
    for version in [ApiVersion::V2019_02_08, ApiVersion::V2023_04_19] {
        let client = Client::builder()
            .base_url(fake.base_url())
            .token(fake.token("Admin").unwrap())
            .tenant_id(fake.tenant_ids()[0] as u64)
            .api_version(version)
            .build()
            .unwrap();
        let customers = client
            .list_customers()
            .paginate()
            .max_pages(1)
            .collect_all()
            .await
            .unwrap();
        let first = &customers[0];
        // Old versions send `customer_id`, new ones `id`: `id()` reads either.
        assert_eq!(
            first.id.is_some(),
            version != ApiVersion::V2019_02_08,
            "{first:?}"
        );
        ids.push(first.id().expect("an id in every version"));
        last = Some(first.clone());
    }
    assert_eq!(ids[0], ids[1]);

    // The same record as an older version writes it.
    let new: DispatchCustomerLocationModel = last.expect("a customer");
    let mut old = new.clone();
    old.customer_id = old.id.take();
    assert_eq!((old.id, old.id()), (None, new.id()));
}

#[tokio::test]
async fn the_api_version_is_an_enum() {
    let fake = fake().await;
    let client = Client::builder()
        .base_url(fake.base_url())
        .token(fake.token("Admin").unwrap())
        .api_version(ApiVersion::V2021_11_04)
        .build()
        .unwrap();
    assert_eq!(client.configured_api_version(), ApiVersion::V2021_11_04);
    assert_eq!(client.state().api_version(), "2021/11/04");
    assert_eq!(
        Client::spec_api_version().to_string(),
        cro_api::meta::LATEST_API_VERSION
    );
    assert_eq!(
        "2021/11/04".parse::<ApiVersion>().unwrap(),
        ApiVersion::V2021_11_04
    );
    let tenants = client.list_tenants().send().await.unwrap();
    assert_eq!(
        tenants
            .headers()
            .get("x-api-version")
            .and_then(|v| v.to_str().ok()),
        Some("2021/11/04"),
        "the fake answers in the configured version"
    );
}
