//! Rough serving-rate check (not a benchmark): starts a fake with 1,000,000 customers per
//! tenant and walks 100 pages of 1000 of `GET /customers`, then prints customer records per
//! second. Run with `cargo run --release -p cro-fake --example serve_rate [pages] [clients]`.

use std::time::Instant;

use cro_fake::{FakeConfig, FakeServer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let pages: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let clients: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let t0 = Instant::now();
    let fake = FakeServer::start(FakeConfig::default().with_customers(1_000_000)).await?;
    println!(
        "start-up with 1,000,000 customers per tenant: {:?}",
        t0.elapsed()
    );
    let token = fake.token("Admin").ok_or("no token")?;
    let tenant = fake.tenant_ids()[0];
    let http = reqwest::Client::new();
    // Warm up (connection, page buffers).
    http.get(format!("{}/customers?page_limit=1000", fake.base_url()))
        .bearer_auth(&token)
        .header("x-tenant-id", tenant)
        .send()
        .await?
        .bytes()
        .await?;
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let http = http.clone();
        let url = fake.base_url().to_owned();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut records = 0u64;
            let mut bytes = 0u64;
            for p in 0..pages {
                let page = 1 + (c * pages + p) % 1000;
                let body = http
                    .get(format!("{url}/customers?page_limit=1000&page_index={page}"))
                    .bearer_auth(&token)
                    .header("x-tenant-id", tenant)
                    .header("x-api-version", "2023/04/19")
                    .send()
                    .await?
                    .bytes()
                    .await?;
                bytes += body.len() as u64;
                // Count records without a full parse: one `"addresses":` per profile.
                records += memcount(&body, b"\"addresses\":");
            }
            Ok::<_, reqwest::Error>((records, bytes))
        }));
    }
    let (mut records, mut bytes) = (0, 0);
    for t in tasks {
        let (r, b) = t.await??;
        records += r;
        bytes += b;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{records} customer records ({:.1} MB) in {secs:.3} s with {clients} client(s): {:.0} records/s, {:.0} MB/s",
        bytes as f64 / 1e6,
        records as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    fake.shutdown().await;
    Ok(())
}

fn memcount(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len()).filter(|w| *w == needle).count() as u64
}
