//! List the tenants the configured token may act for.
//!
//! ```text
//! CRO_TOKEN=eyJ... cargo run -p cro-api --example list_tenants
//! ```
//!
//! Reads `CRO_BASE_URL`, `CRO_TOKEN`, `CRO_TENANT_ID` and `CRO_API_VERSION`; set
//! `RUST_LOG=cro_api=debug` to see the request span and retries.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let client = match cro_api::Client::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("configuration: {e}");
            return ExitCode::from(2);
        }
    };
    match client.list_tenants().send().await {
        Ok(page) => {
            for tenant in &page.results {
                println!("{tenant:?}");
            }
            println!("{} tenant(s)", page.total_count);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            if let Some(id) = e.request_id() {
                eprintln!("request id: {id}");
            }
            ExitCode::FAILURE
        }
    }
}
