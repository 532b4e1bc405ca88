//! `cro --demo ...` and `cro fake`: the embedded fake CRO server.
//!
//! `--demo` starts `cro-fake` in-process on a loopback port with demo data and uses its Admin
//! token and first tenant, so every command works on a fresh machine with nothing configured.
//! `cro fake` runs the same server standalone until Ctrl-C, printing the same startup JSON
//! line as the `cro-fake` binary (base URL, tenants, a token per role, OAuth endpoints).

use crate::exit::{CliError, CliResult};
use cro_fake::faults::FaultArgs;
use cro_fake::oauth::OAuthArgs;
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use std::net::{IpAddr, SocketAddr};

/// Customers per tenant in the demo (enough for several pages and a visible progress bar).
pub const DEMO_CUSTOMERS: u64 = 2_500;
/// Locations per tenant in the demo (so `--all-locations` has something to walk).
pub const DEMO_LOCATIONS: u64 = 5;
/// The role whose token the demo uses (may call every list operation).
pub const DEMO_ROLE: &str = "Admin";

/// Flags of `cro fake`: the same as the `cro-fake` binary's (whose argument struct is private
/// to its `main.rs`, so it is mirrored here from the library's public parts: the fault and
/// OAuth flags are the library's own `FaultArgs` and `OAuthArgs`).
#[derive(Debug, Clone, clap::Args)]
pub struct FakeCmdArgs {
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
    /// OAuth settings.
    #[command(flatten)]
    pub oauth: OAuthArgs,
}

impl FakeCmdArgs {
    /// The fake's configuration for these flags.
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
            oauth: self.oauth.clone().into(),
            addr: SocketAddr::new(self.host, self.port),
            allow_non_loopback: self.allow_non_loopback,
            ..FakeConfig::default()
        }
    }
}

/// A running demo server and the credentials to use with it.
pub struct Demo {
    /// The server (stops when dropped).
    pub fake: RunningFake,
    /// Its Admin token.
    pub token: String,
    /// Its first tenant.
    pub tenant_id: u64,
}

/// Start the demo server on a free loopback port.
pub async fn start() -> CliResult<Demo> {
    let config = FakeConfig::default()
        .with_customers(DEMO_CUSTOMERS)
        .with_locations(DEMO_LOCATIONS);
    let fake = FakeServer::start(config)
        .await
        .map_err(|e| CliError::other(format!("cannot start the demo server: {e}")))?;
    let token = fake
        .token(DEMO_ROLE)
        .ok_or_else(|| CliError::other("the demo server has no Admin token"))?;
    let tenant_id = fake
        .tenant_ids()
        .first()
        .and_then(|t| u64::try_from(*t).ok())
        .ok_or_else(|| CliError::other("the demo server has no tenant"))?;
    eprintln!(
        "demo: using the embedded fake CRO server at {} (tenant {tenant_id}, role {DEMO_ROLE})",
        fake.base_url()
    );
    Ok(Demo {
        fake,
        token,
        tenant_id,
    })
}

/// `cro fake`: serve until Ctrl-C, exactly like the `cro-fake` binary.
pub async fn run_fake(args: &FakeCmdArgs) -> CliResult<()> {
    cro_fake::run_until_ctrl_c(args.config())
        .await
        .map_err(|e| CliError::other(format!("cannot start the fake server: {e}")))
}
