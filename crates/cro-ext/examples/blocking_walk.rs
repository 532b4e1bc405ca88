//! Paging from synchronous code: a plain `Iterator` over every customer (feature
//! `blocking`; it drives the async client on its own runtime).
//!
//! ```sh
//! CRO_BASE_URL=http://127.0.0.1:8080 CRO_TOKEN=... CRO_TENANT_ID=42 \
//!     cargo run -p cro-ext --features blocking --example blocking_walk
//! ```

use cro_ext::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = cro_api::Client::from_env()?;
    let mut count = 0;
    for customer in client.list_customers().paginate().blocking_items() {
        let customer = customer?;
        count += 1;
        if count <= 3 {
            println!("customer {:?}: {}", customer.id(), customer.name);
        }
    }
    println!("{count} customers");
    if count == 0 {
        return Err("expected at least one customer".into());
    }
    Ok(())
}
