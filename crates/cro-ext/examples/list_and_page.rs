//! List and page: walk every customer item by item, then the first pages one at a time.
//!
//! ```sh
//! CRO_BASE_URL=http://127.0.0.1:8080 CRO_TOKEN=... CRO_TENANT_ID=42 \
//!     cargo run -p cro-ext --example list_and_page
//! ```

use cro_ext::prelude::*;
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = cro_api::Client::from_env()?;

    // Item by item: the pager asks for page 1, 2, ... until the last one.
    let mut customers = client.list_customers().paginate().items();
    let mut count = 0;
    while let Some(customer) = customers.try_next().await? {
        count += 1;
        if count <= 3 {
            // `id()`: `id` from API version 2021/04/07, `customer_id` before.
            println!("customer {:?}: {}", customer.id(), customer.name);
        }
    }
    println!("{count} customers");

    // Page by page, 50 at a time, the first three pages only.
    let mut pages = client
        .list_customers()
        .paginate()
        .page_size(50)
        .max_pages(3)
        .pages();
    while let Some(page) = pages.try_next().await? {
        println!(
            "page {} of {:?}: {} items",
            page.index,
            page.total_pages,
            page.items.len()
        );
    }
    if count == 0 {
        return Err("expected at least one customer".into());
    }
    Ok(())
}
