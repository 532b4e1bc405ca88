//! The getting-started sample ("Export Customers") in Rust: print every customer as JSON.
//!
//! ```sh
//! CRO_BASE_URL=https://api.example.test CRO_TOKEN=... CRO_TENANT_ID=42 \
//!     cargo run -p cro-ext --example export_customers
//! ```
//!
//! The Python sample requests `page_index` 1, 2, ... until `current_page` reaches
//! `total_pages`; `.paginate().items()` runs that loop (with the largest page size, and
//! guards against a server that stops advancing).

use cro_ext::Paginate;
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // CRO_BASE_URL, CRO_TOKEN and CRO_TENANT_ID.
    let client = cro_api::Client::from_env()?;

    let mut customers = client.list_customers().paginate().items();
    while let Some(customer) = customers.try_next().await? {
        println!("{}", serde_json::to_string(&customer)?);
    }
    Ok(())
}
