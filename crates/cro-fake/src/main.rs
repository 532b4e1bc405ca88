//! `cro-fake`: runs the fake CRO API server until Ctrl-C, printing one JSON line on start:
//! `{"base_url", "tenants", "tokens", "oauth"}`.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use cro_fake::faults::FaultArgs;
use cro_fake::oauth::OAuthArgs;
use cro_fake::{FakeConfig, run_until_ctrl_c};

/// A stateful fake of the CRO Developer API for development, tests and demos.
#[derive(Debug, Parser)]
#[command(name = "cro-fake", version)]
struct Args {
    /// Seed of all generated data and tokens.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Customers per tenant.
    #[arg(long, default_value_t = 504)]
    customers: u64,
    /// Locations per tenant.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    locations: u64,
    /// Trucks per tenant.
    #[arg(long, default_value_t = 6)]
    trucks: u64,
    /// Drivers per tenant.
    #[arg(long, default_value_t = 6)]
    drivers: u64,
    /// Jobs per tenant.
    #[arg(long, default_value_t = 120)]
    jobs: u64,
    /// Users per tenant.
    #[arg(long, default_value_t = 8)]
    users: u64,
    /// Address to listen on (loopback unless --allow-non-loopback).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0 picks a free one; see base_url in the startup line).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Allow listening on a non-loopback address. The fake has no real security.
    #[arg(long)]
    allow_non_loopback: bool,
    #[command(flatten)]
    faults: FaultArgs,
    #[command(flatten)]
    oauth: OAuthArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let a = Args::parse();
    let config = FakeConfig {
        seed: a.seed,
        customers: a.customers,
        locations: a.locations,
        trucks: a.trucks,
        drivers: a.drivers,
        jobs: a.jobs,
        users: a.users,
        faults: a.faults.into(),
        oauth: a.oauth.into(),
        addr: SocketAddr::new(a.host, a.port),
        allow_non_loopback: a.allow_non_loopback,
        ..FakeConfig::default()
    };
    match run_until_ctrl_c(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cro-fake: {e}");
            ExitCode::FAILURE
        }
    }
}
