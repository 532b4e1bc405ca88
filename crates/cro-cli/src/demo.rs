//! `cro --demo ...` and `cro fake`: the embedded fake CRO server.
//!
//! `--demo` starts `cro-fake` in-process on a loopback port with demo data and uses its Admin
//! token and first tenant, so every command works on a fresh machine with nothing configured.
//! `cro fake` runs the same server standalone until Ctrl-C, printing the same startup JSON
//! line as the `cro-fake` binary (base URL, tenants, a token per role, OAuth endpoints).

use crate::exit::{CliError, CliResult};
use cro_fake::{FakeConfig, FakeServer, RunningFake};

/// Customers per tenant in the demo (enough for several pages and a visible progress bar).
pub const DEMO_CUSTOMERS: u64 = 2_500;
/// Locations per tenant in the demo (so `--all-locations` has something to walk).
pub const DEMO_LOCATIONS: u64 = 5;
/// The role whose token the demo uses (may call every list operation).
pub const DEMO_ROLE: &str = "Admin";

/// Flags of `cro fake`: the fake library's own, so they match the `cro-fake` binary's.
pub use cro_fake::cli::FakeArgs as FakeCmdArgs;

/// A running demo server and the credentials to use with it.
pub struct Demo {
    /// The server (stops when dropped).
    pub fake: RunningFake,
    /// Its Admin token.
    pub token: String,
    /// Its first tenant.
    pub tenant_id: u64,
}

/// Start the demo server on a free loopback port; the banner on stderr says so unless
/// `quiet` (export's `-q`).
pub async fn start(quiet: bool) -> CliResult<Demo> {
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
    if !quiet {
        eprintln!(
            "demo: using the embedded fake CRO server at {} (tenant {tenant_id}, role {DEMO_ROLE})",
            fake.base_url()
        );
    }
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
