//! Create a customer from plain values, and meet both kinds of validation error: a local one
//! (a value breaks a limit in the spec; nothing is sent) and one from the server (a rule the
//! spec states only in prose). Both name the field through `err.field()`.
//!
//! ```sh
//! CRO_BASE_URL=http://127.0.0.1:8080 CRO_TOKEN=... CRO_TENANT_ID=42 \
//!     cargo run -p cro-ext --example create_customer
//! ```

use cro_api::types::{CreateCustomerAddressModel, CreateCustomerModel};
use cro_ext::prelude::*;

fn address(country: &str, billing: bool) -> cro_api::types::builder::CreateCustomerAddressModel {
    CreateCustomerAddressModel::builder()
        .line_1("1 Main St")
        .locality("Springfield")
        .region("IL")
        .postcode("62701")
        .country(country)
        .is_billing(billing)
        .is_shipping(true)
        .latitude(39.78)
        .longitude(-89.65)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = cro_api::Client::from_env()?;
    let locations = client
        .list_locations()
        .paginate()
        .max_pages(1)
        .collect_all()
        .await?;
    let location_id = locations.first().ok_or("expected a location")?.id;

    // Local: "USA" is not a two-letter country code; nothing is sent.
    let body = CreateCustomerModel::builder()
        .name("Acme Roll-Off")
        .addresses([address("USA", true)]);
    let local = client
        .create_customer()
        .location_id(location_id)
        .body(body)
        .send()
        .await
        .err()
        .ok_or("expected a local validation error")?;
    let field = local.field().ok_or("expected a field")?;
    println!(
        "local:  {local}\n        field {field} ({:?})",
        field.name()
    );

    // Server: the only address is not a billing address (a rule the spec states in prose).
    let body = CreateCustomerModel::builder()
        .name("Acme Roll-Off")
        .addresses([address("US", false)]);
    let server = client
        .create_customer()
        .location_id(location_id)
        .body(body)
        .send()
        .await
        .err()
        .ok_or("expected the server to refuse")?;
    println!(
        "server: {server}\n        field {:?}",
        server.field().map(|f| f.to_string())
    );
    if !server.is_bad_request() {
        return Err(server.into());
    }

    // And one that works.
    let body = CreateCustomerModel::builder()
        .name("Acme Roll-Off")
        .note("created by the create_customer example")
        .addresses([address("US", true)]);
    let created = client
        .create_customer()
        .location_id(location_id)
        .body(body)
        .send()
        .await?;
    println!(
        "created customer {:?} at location {location_id}",
        created.id()
    );
    Ok(())
}
