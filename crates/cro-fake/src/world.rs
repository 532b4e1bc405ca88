//! The shape of the seeded world: tenants, how many records of each kind they have, and the id
//! scheme that maps `(tenant, index)` to ids and back.
//!
//! Ids interleave tenants (`id = base + 1 + index * tenants + tenant`) so that every table has
//! one id space, ids stay small, a tenant's records can be found from an id in O(1), and records
//! created later (index `>= seeded count`) never collide with another tenant's.

use crate::config::FakeConfig;

/// Id base of drivers (driver ids look like the docs' `100014`).
pub const DRIVER_BASE: i64 = 100_000;
/// Id base of users.
pub const USER_BASE: i64 = 300_000;
/// Assets per location.
pub const ASSETS_PER_LOCATION: u64 = 20;
/// Asset types per location.
pub const ASSET_TYPES_PER_LOCATION: u64 = 4;
/// Dump destinations per location.
pub const DUMPS_PER_LOCATION: u64 = 3;
/// Materials per location.
pub const MATERIALS_PER_LOCATION: u64 = 6;
/// Seeded chat messages per driver.
pub const CHATS_PER_DRIVER: u64 = 3;
/// Address and contact id slots per customer (seeded ids are `customer_id * SLOTS + slot`).
pub const SLOTS: i64 = 4;

/// A tenant (bin provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    /// Position in [`World::tenants`].
    pub k: usize,
    /// Tenant id (the `x-tenant-id` value).
    pub id: i64,
    /// Display name.
    pub name: &'static str,
    /// Facility code (used in hauler connection codes `CODE+location`).
    pub code: &'static str,
    /// Email domain.
    pub domain: &'static str,
    /// Index into the town table of its home town.
    pub home_town: usize,
    /// Towns its locations are in.
    pub towns: &'static [usize],
}

/// `(id, name, code, email domain, home town, towns of its locations)`; towns index
/// `seed::TOWNS`.
pub type TenantRow = (
    i64,
    &'static str,
    &'static str,
    &'static str,
    usize,
    &'static [usize],
);

/// Seeded tenants: the docs' sample tenant (34, SMSCORP) in Washington and a second one in
/// Oregon, so tenancy can be tested.
pub const TENANTS: [TenantRow; 2] = [
    (
        34,
        "SMS RollOffs",
        "SMSCORP",
        "smsrolloffs.com",
        0,
        &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    ),
    (
        35,
        "Cascade Disposal",
        "CASCADE",
        "cascadedisposal.com",
        17,
        &[17, 16, 18, 19, 20, 21, 22, 23, 24, 25],
    ),
];

/// Counts and id scheme of the seeded data (immutable after start).
#[derive(Debug, Clone)]
pub struct World {
    /// Seed of every generated value.
    pub seed: u64,
    /// Tenants.
    pub tenants: Vec<TenantInfo>,
    /// Customers per tenant.
    pub customers: u64,
    /// Locations per tenant (at least 1).
    pub locations: u64,
    /// Trucks per tenant.
    pub trucks: u64,
    /// Drivers per tenant.
    pub drivers: u64,
    /// Jobs per tenant.
    pub jobs: u64,
    /// Users per tenant.
    pub users: u64,
}

impl World {
    /// The world a configuration describes.
    pub fn new(cfg: &FakeConfig) -> World {
        World {
            seed: cfg.seed,
            tenants: TENANTS
                .iter()
                .enumerate()
                .map(|(k, t)| TenantInfo {
                    k,
                    id: t.0,
                    name: t.1,
                    code: t.2,
                    domain: t.3,
                    home_town: t.4,
                    towns: t.5,
                })
                .collect(),
            customers: cfg.customers,
            locations: cfg.locations.max(1),
            trucks: cfg.trucks,
            drivers: cfg.drivers,
            jobs: cfg.jobs,
            users: cfg.users,
        }
    }

    fn t(&self) -> i64 {
        self.tenants.len() as i64
    }

    /// Tenant by id.
    pub fn tenant(&self, id: i64) -> Option<&TenantInfo> {
        self.tenants.iter().find(|t| t.id == id)
    }

    /// `base + 1 + index * tenants + k`.
    pub fn id(&self, base: i64, k: usize, index: u64) -> i64 {
        base.saturating_add(1)
            .saturating_add((index as i64).saturating_mul(self.t()))
            .saturating_add(k as i64)
    }

    /// Inverse of [`World::id`]: `(k, index)`.
    pub fn decode(&self, base: i64, id: i64) -> Option<(usize, u64)> {
        let n = id.checked_sub(base)?.checked_sub(1)?;
        if n < 0 {
            return None;
        }
        Some(((n % self.t()) as usize, (n / self.t()) as u64))
    }

    /// Index of `id` within tenant `k`, if it belongs to `k`.
    pub fn index_in(&self, base: i64, k: usize, id: i64) -> Option<u64> {
        match self.decode(base, id)? {
            (kk, idx) if kk == k => Some(idx),
            _ => None,
        }
    }

    /// Id of tenant `k`'s location number `li`.
    pub fn location_id(&self, k: usize, li: u64) -> i64 {
        self.id(0, k, li)
    }

    /// Location number of `id` within tenant `k`.
    pub fn location_index(&self, k: usize, id: i64) -> Option<u64> {
        self.index_in(0, k, id).filter(|&li| li < self.locations)
    }

    /// How many of `total` round-robin-spread records land on location `li`.
    pub fn count_at(&self, total: u64, li: u64) -> u64 {
        let l = self.locations;
        total / l + u64::from(li < total % l)
    }

    /// Index of the `j`-th round-robin-spread record at location `li`.
    pub fn nth_at(&self, li: u64, j: u64) -> u64 {
        j * self.locations + li
    }

    /// Location number a round-robin-spread record lives at.
    pub fn home_of(&self, index: u64) -> u64 {
        index % self.locations
    }

    /// Customer id.
    pub fn customer_id(&self, k: usize, index: u64) -> i64 {
        self.id(0, k, index)
    }

    /// Largest seeded customer id of any tenant (created address/contact ids start above it).
    pub fn max_seeded_customer_id(&self) -> i64 {
        self.id(0, self.tenants.len() - 1, self.customers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let w = World::new(&FakeConfig::default());
        for k in 0..2 {
            for i in [0u64, 1, 7, 1_000_000] {
                let id = w.customer_id(k, i);
                assert_eq!(w.decode(0, id), Some((k, i)));
                assert_eq!(w.index_in(0, k, id), Some(i));
                assert_eq!(w.index_in(0, 1 - k, id), None);
            }
        }
        assert_eq!(w.decode(0, 0), None);
        assert_eq!(w.decode(0, -5), None);
        assert_eq!(w.decode(DRIVER_BASE, 5), None);
    }

    #[test]
    fn round_robin_counts_add_up() {
        let w = World::new(&FakeConfig::default().with_locations(3));
        for total in [0u64, 1, 2, 3, 4, 10, 11] {
            let sum: u64 = (0..3).map(|li| w.count_at(total, li)).sum();
            assert_eq!(sum, total);
        }
    }
}
