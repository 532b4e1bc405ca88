//! [`FakeConfig`]: everything a fake server run is made of.

use std::net::SocketAddr;

use crate::faults::FaultPlan;
use crate::oauth::OAuthConfig;
use crate::throttle::ThrottlePlan;

/// Settings of one fake server. Counts are **per tenant** (the fake has two tenants, 34 and
/// 35); records are spread round-robin over the tenant's locations.
///
/// ```no_run
/// # async fn demo() -> Result<(), cro_fake::StartError> {
/// let fake = cro_fake::FakeServer::start(
///     cro_fake::FakeConfig::default().with_customers(1_000_000).with_seed(7),
/// )
/// .await?;
/// println!("{}", fake.base_url());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Seed of all generated data and tokens.
    pub seed: u64,
    /// Customers per tenant (the default, 504, is the getting-started sample's `total_count`).
    pub customers: u64,
    /// Locations per tenant (at least 1).
    pub locations: u64,
    /// Trucks per tenant.
    pub trucks: u64,
    /// Drivers per tenant.
    pub drivers: u64,
    /// Jobs per tenant.
    pub jobs: u64,
    /// Users per tenant (listed by `list_users`; the token holders are separate).
    pub users: u64,
    /// Injected faults (none by default).
    pub faults: FaultPlan,
    /// Rate limits and page latency of a slow, throttled server (none by default).
    pub throttle: ThrottlePlan,
    /// The OAuth authorization server's client registration and lifetimes.
    pub oauth: OAuthConfig,
    /// Address to bind; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Allow binding a non-loopback address (the fake has no real security).
    pub allow_non_loopback: bool,
    /// How many requests the request log keeps (oldest dropped first).
    pub request_log_capacity: usize,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            seed: 1,
            customers: 504,
            locations: 2,
            trucks: 6,
            drivers: 6,
            jobs: 120,
            users: 8,
            faults: FaultPlan::default(),
            throttle: ThrottlePlan::default(),
            oauth: OAuthConfig::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow_non_loopback: false,
            request_log_capacity: 100_000,
        }
    }
}

macro_rules! with {
    ($($(#[$m:meta])* $name:ident: $field:ident: $ty:ty),* $(,)?) => {
        impl FakeConfig {
            $(
                $(#[$m])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

with! {
    /// Sets [`FakeConfig::seed`].
    with_seed: seed: u64,
    /// Sets [`FakeConfig::customers`].
    with_customers: customers: u64,
    /// Sets [`FakeConfig::locations`].
    with_locations: locations: u64,
    /// Sets [`FakeConfig::trucks`].
    with_trucks: trucks: u64,
    /// Sets [`FakeConfig::drivers`].
    with_drivers: drivers: u64,
    /// Sets [`FakeConfig::jobs`].
    with_jobs: jobs: u64,
    /// Sets [`FakeConfig::users`].
    with_users: users: u64,
    /// Sets [`FakeConfig::faults`].
    with_faults: faults: FaultPlan,
    /// Sets [`FakeConfig::throttle`].
    with_throttle: throttle: ThrottlePlan,
    /// Sets [`FakeConfig::oauth`].
    with_oauth: oauth: OAuthConfig,
    /// Sets [`FakeConfig::addr`].
    with_addr: addr: SocketAddr,
    /// Sets [`FakeConfig::allow_non_loopback`].
    with_allow_non_loopback: allow_non_loopback: bool,
    /// Sets [`FakeConfig::request_log_capacity`].
    with_request_log_capacity: request_log_capacity: usize,
}
