//! The command-line flags of the fake server, shared by the `cro-fake` binary and `cro fake`
//! so that the two cannot drift apart.

use std::net::{IpAddr, SocketAddr};

use crate::FakeConfig;
use crate::faults::FaultArgs;
use crate::oauth::OAuthArgs;
use crate::throttle::ThrottleArgs;

/// Flags that configure a fake server run.
#[derive(Debug, Clone, clap::Args)]
pub struct FakeArgs {
    /// Seed of all generated data and tokens.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Customers per tenant.
    #[arg(long, default_value_t = 504)]
    pub customers: u64,
    /// Locations per tenant.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub locations: u64,
    /// Trucks per tenant.
    #[arg(long, default_value_t = 6)]
    pub trucks: u64,
    /// Drivers per tenant.
    #[arg(long, default_value_t = 6)]
    pub drivers: u64,
    /// Jobs per tenant.
    #[arg(long, default_value_t = 120)]
    pub jobs: u64,
    /// Users per tenant.
    #[arg(long, default_value_t = 8)]
    pub users: u64,
    /// Address to listen on (loopback unless --allow-non-loopback).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port (0 picks a free one; see base_url in the startup line).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Allow listening on a non-loopback address. The fake has no real security.
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// Fault injection.
    #[command(flatten)]
    pub faults: FaultArgs,
    /// Rate limits.
    #[command(flatten)]
    pub throttle: ThrottleArgs,
    /// OAuth settings.
    #[command(flatten)]
    pub oauth: OAuthArgs,
}

impl FakeArgs {
    /// The server configuration these flags describe.
    pub fn config(&self) -> FakeConfig {
        FakeConfig {
            seed: self.seed,
            customers: self.customers,
            locations: self.locations,
            trucks: self.trucks,
            drivers: self.drivers,
            jobs: self.jobs,
            users: self.users,
            faults: self.faults.clone().into(),
            throttle: self.throttle.plan(self.faults.retry_after),
            oauth: self.oauth.clone().into(),
            addr: SocketAddr::new(self.host, self.port),
            allow_non_loopback: self.allow_non_loopback,
            ..FakeConfig::default()
        }
    }
}
