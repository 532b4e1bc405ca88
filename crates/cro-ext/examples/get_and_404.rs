//! Get one customer, and handle the 404 of one that does not exist by matching on the one
//! error type every `send()` returns.
//!
//! ```sh
//! CRO_BASE_URL=http://127.0.0.1:8080 CRO_TOKEN=... CRO_TENANT_ID=42 \
//!     cargo run -p cro-ext --example get_and_404
//! ```

use cro_ext::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = cro_api::Client::from_env()?;

    let first = client
        .list_customers()
        .paginate()
        .max_pages(1)
        .collect_all()
        .await?;
    let id = first
        .first()
        .and_then(|c| c.id())
        .ok_or("expected at least one customer")?;
    let customer = client.get_customer().customer_id(id).send().await?;
    println!("customer {id}: {}", customer.name);

    let missing = i64::from(i32::MAX);
    match client.get_customer().customer_id(missing).send().await {
        Ok(customer) => return Err(format!("expected a 404, got {}", customer.name).into()),
        Err(cro_api::Error::Api(e)) if e.status() == 404 => {
            println!("customer {missing}: not found ({e})");
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
