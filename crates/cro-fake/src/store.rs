//! State: the seeded world plus, per tenant, an overlay of everything that was changed or
//! created. Reads consult the overlay first and fall back to the generator, so unchanged
//! records never take memory.
//!
//! Each tenant has its own `RwLock` (tenants never block each other, reads never block reads);
//! cross-tenant things (haulers, public sign-ups) sit in one small global lock.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::model::{ChatMsg, Connection, Customer, Hauler, Hook, Job, Profile, Truck, UserRec};
use crate::seed;
use crate::time::{SAMPLE_EPOCH, Stamp};
use crate::world::{CHATS_PER_DRIVER, DRIVER_BASE, SLOTS, TenantInfo, USER_BASE, World};

/// Everything that differs from the seeded data of one tenant.
#[derive(Debug, Default)]
pub struct Overlay {
    /// Changed or created customers (full records).
    pub customers: BTreeMap<i64, Customer>,
    /// Changed or created profiles, keyed `(customer_id, location_id)`.
    pub profiles: BTreeMap<(i64, i64), Profile>,
    /// Profiles that are not a seeded customer's home profile, in creation order.
    pub extra_profiles: Vec<(i64, i64)>,
    /// The same, per location: location id -> customer ids.
    pub extra_at: BTreeMap<i64, Vec<i64>>,
    /// Index of the next created customer (starts after the seeded range).
    pub next_customer: u64,
    /// Changed trucks.
    pub trucks: BTreeMap<i64, Truck>,
    /// Changed or created jobs.
    pub jobs: BTreeMap<i64, Job>,
    /// Created jobs per location id, in creation order.
    pub extra_jobs_at: BTreeMap<i64, Vec<i64>>,
    /// Index of the next created job.
    pub next_job: u64,
    /// Webhooks.
    pub hooks: BTreeMap<i64, Hook>,
    /// Full message lists of drivers whose chat changed.
    pub chats: BTreeMap<i64, Vec<ChatMsg>>,
}

/// One tenant's identity and overlay.
#[derive(Debug)]
pub struct TenantState {
    /// Who the tenant is.
    pub info: TenantInfo,
    overlay: RwLock<Overlay>,
}

impl TenantState {
    /// Shared read access (held while a page is rendered).
    pub fn read(&self) -> RwLockReadGuard<'_, Overlay> {
        self.overlay.read().unwrap_or_else(|e| e.into_inner())
    }
    /// Exclusive access for a change.
    pub fn write(&self) -> RwLockWriteGuard<'_, Overlay> {
        self.overlay.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Cross-tenant state.
#[derive(Debug, Default)]
pub struct Global {
    /// Third-party haulers (seeded first, then created).
    pub haulers: Vec<Hauler>,
    /// Hauler connections.
    pub connections: Vec<Connection>,
    /// Users created through the public `POST /users`.
    pub users: Vec<UserRec>,
}

/// The whole fake database.
#[derive(Debug)]
pub struct Store {
    /// Seeded shape.
    pub world: World,
    /// Per-tenant state, indexed like `world.tenants`.
    pub tenants: Vec<TenantState>,
    global: RwLock<Global>,
    next_address: AtomicI64,
    next_contact: AtomicI64,
    next_hook: AtomicI64,
    next_stop: AtomicI64,
    next_chat: AtomicI64,
    next_user: AtomicI64,
}

impl Store {
    /// A store over `world`; nothing is generated up front.
    pub fn new(world: World) -> Store {
        let tenants = world
            .tenants
            .iter()
            .map(|info| TenantState {
                info: info.clone(),
                overlay: RwLock::new(Overlay {
                    next_customer: world.customers,
                    next_job: world.jobs,
                    ..Overlay::default()
                }),
            })
            .collect();
        let haulers = (0..seed::SEEDED_HAULERS)
            .map(|i| seed::hauler(&world, i))
            .collect::<Vec<_>>();
        let connections = seeded_connections(&world, &haulers);
        // Created ids start above every seeded id of their table.
        let children = (world.max_seeded_customer_id() + 1) * SLOTS;
        let max_driver = world.id(DRIVER_BASE, world.tenants.len() - 1, world.drivers);
        let max_user = world.id(USER_BASE, world.tenants.len() - 1, world.users);
        Store {
            tenants,
            global: RwLock::new(Global {
                haulers,
                connections,
                users: Vec::new(),
            }),
            next_address: AtomicI64::new(children),
            next_contact: AtomicI64::new(children),
            next_hook: AtomicI64::new(1),
            next_stop: AtomicI64::new(1000),
            next_chat: AtomicI64::new((max_driver + 1) * 10),
            next_user: AtomicI64::new(max_user + 1),
            world,
        }
    }

    /// Tenant by id.
    pub fn tenant(&self, id: i64) -> Option<&TenantState> {
        self.tenants.iter().find(|t| t.info.id == id)
    }

    /// Shared access to cross-tenant state.
    pub fn global(&self) -> RwLockReadGuard<'_, Global> {
        self.global.read().unwrap_or_else(|e| e.into_inner())
    }
    /// Exclusive access to cross-tenant state.
    pub fn global_mut(&self) -> RwLockWriteGuard<'_, Global> {
        self.global.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A new address id.
    pub fn new_address_id(&self) -> i64 {
        self.next_address.fetch_add(1, Ordering::Relaxed)
    }
    /// A new contact id.
    pub fn new_contact_id(&self) -> i64 {
        self.next_contact.fetch_add(1, Ordering::Relaxed)
    }
    /// A new hook id.
    pub fn new_hook_id(&self) -> i64 {
        self.next_hook.fetch_add(1, Ordering::Relaxed)
    }
    /// A new GPS stop id.
    pub fn new_stop_id(&self) -> i64 {
        self.next_stop.fetch_add(1, Ordering::Relaxed)
    }
    /// A new chat message id.
    pub fn new_chat_id(&self) -> i64 {
        self.next_chat.fetch_add(1, Ordering::Relaxed)
    }
    /// A new user id.
    pub fn new_user_id(&self) -> i64 {
        self.next_user.fetch_add(1, Ordering::Relaxed)
    }

    // -----------------------------------------------------------------------------------------
    // Customers and profiles

    /// Index of a seeded customer of tenant `k`.
    pub fn seeded_customer(&self, k: usize, cid: i64) -> Option<u64> {
        self.world
            .index_in(0, k, cid)
            .filter(|&i| i < self.world.customers)
    }

    /// Whether customer `cid` exists in tenant `k`.
    pub fn customer_exists(&self, ov: &Overlay, k: usize, cid: i64) -> bool {
        ov.customers.contains_key(&cid) || self.seeded_customer(k, cid).is_some()
    }

    /// Customer `cid` of tenant `k`: the overlay's, or generated into `scratch`.
    pub fn customer<'a>(
        &self,
        ov: &'a Overlay,
        k: usize,
        cid: i64,
        scratch: &'a mut Customer,
    ) -> Option<&'a Customer> {
        if let Some(c) = ov.customers.get(&cid) {
            return Some(c);
        }
        let idx = self.seeded_customer(k, cid)?;
        seed::customer(&self.world, k, idx, scratch);
        Some(scratch)
    }

    /// Like [`Store::customer`] without addresses and contacts (for filters).
    pub fn customer_head<'a>(
        &self,
        ov: &'a Overlay,
        k: usize,
        cid: i64,
        scratch: &'a mut Customer,
    ) -> Option<&'a Customer> {
        if let Some(c) = ov.customers.get(&cid) {
            return Some(c);
        }
        let idx = self.seeded_customer(k, cid)?;
        seed::customer_head(&self.world, k, idx, scratch);
        Some(scratch)
    }

    /// Customer `cid` for changing (copied into the overlay on first write).
    pub fn customer_mut<'a>(
        &self,
        ov: &'a mut Overlay,
        k: usize,
        cid: i64,
    ) -> Option<&'a mut Customer> {
        match ov.customers.entry(cid) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(e) => {
                let idx = self.seeded_customer(k, cid)?;
                let mut c = Customer::default();
                seed::customer(&self.world, k, idx, &mut c);
                Some(e.insert(c))
            }
        }
    }

    /// The home location id of a seeded customer.
    pub fn home_location(&self, k: usize, cid: i64) -> Option<i64> {
        let idx = self.seeded_customer(k, cid)?;
        Some(self.world.location_id(k, self.world.home_of(idx)))
    }

    /// Profile of customer `cid` at location `loc`.
    pub fn profile<'a>(
        &self,
        ov: &'a Overlay,
        k: usize,
        cid: i64,
        loc: i64,
        scratch: &'a mut Profile,
    ) -> Option<&'a Profile> {
        if let Some(p) = ov.profiles.get(&(cid, loc)) {
            return Some(p);
        }
        let idx = self.seeded_customer(k, cid)?;
        if self.world.location_id(k, self.world.home_of(idx)) != loc {
            return None;
        }
        seed::profile(&self.world, k, idx, scratch);
        Some(scratch)
    }

    /// Profile for changing (copied into the overlay on first write).
    pub fn profile_mut<'a>(
        &self,
        ov: &'a mut Overlay,
        k: usize,
        cid: i64,
        loc: i64,
    ) -> Option<&'a mut Profile> {
        match ov.profiles.entry((cid, loc)) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(e) => {
                let mut p = Profile::default();
                self.profile(&Overlay::default(), k, cid, loc, &mut p)?;
                Some(e.insert(p))
            }
        }
    }

    /// Location ids at which customer `cid` has a profile (home first).
    pub fn profile_locations(&self, ov: &Overlay, k: usize, cid: i64) -> Vec<i64> {
        let mut locs: Vec<i64> = self.home_location(k, cid).into_iter().collect();
        for &(_, loc) in ov
            .profiles
            .range((cid, i64::MIN)..=(cid, i64::MAX))
            .map(|(key, _)| key)
        {
            if !locs.contains(&loc) {
                locs.push(loc);
            }
        }
        locs
    }

    /// Number of customer profiles at location number `li` of tenant `k`.
    pub fn customers_at(&self, ov: &Overlay, k: usize, li: u64) -> u64 {
        let loc = self.world.location_id(k, li);
        self.world.count_at(self.world.customers, li)
            + ov.extra_at.get(&loc).map_or(0, |v| v.len() as u64)
    }

    /// Customer id of profile number `pos` at location number `li`.
    pub fn customer_at(&self, ov: &Overlay, k: usize, li: u64, pos: u64) -> Option<i64> {
        let seeded = self.world.count_at(self.world.customers, li);
        if pos < seeded {
            return Some(self.world.customer_id(k, self.world.nth_at(li, pos)));
        }
        let loc = self.world.location_id(k, li);
        ov.extra_at
            .get(&loc)
            .and_then(|v| v.get((pos - seeded) as usize))
            .copied()
    }

    /// Number of customer-location profiles of the whole tenant.
    pub fn tenant_profiles(&self, ov: &Overlay) -> u64 {
        self.world.customers + ov.extra_profiles.len() as u64
    }

    /// `(customer_id, location_id)` of tenant-wide profile number `pos`.
    pub fn tenant_profile_at(&self, ov: &Overlay, k: usize, pos: u64) -> Option<(i64, i64)> {
        if pos < self.world.customers {
            let cid = self.world.customer_id(k, pos);
            return Some((cid, self.world.location_id(k, self.world.home_of(pos))));
        }
        ov.extra_profiles
            .get((pos - self.world.customers) as usize)
            .copied()
    }

    /// Owner of an address id within tenant `k`, if the address exists.
    pub fn address_owner(&self, ov: &Overlay, k: usize, aid: i64) -> Option<i64> {
        // Seeded addresses encode their customer; created ones are found in the overlay.
        let cid = aid.div_euclid(SLOTS);
        if let Some(c) = ov.customers.get(&cid)
            && c.addresses.iter().any(|a| a.id == aid)
        {
            return Some(cid);
        }
        if let Some(idx) = self.seeded_customer(k, cid)
            && !ov.customers.contains_key(&cid)
        {
            let (n, _) = seed::customer_child_counts(&self.world, k, idx);
            if (aid.rem_euclid(SLOTS) as u64) < n {
                return Some(cid);
            }
        }
        ov.customers
            .values()
            .find(|c| c.addresses.iter().any(|a| a.id == aid))
            .map(|c| c.id)
    }

    // -----------------------------------------------------------------------------------------
    // Trucks and jobs

    /// Truck `tid` of tenant `k` (overlay or generated into `scratch`).
    pub fn truck<'a>(
        &self,
        ov: &'a Overlay,
        k: usize,
        tid: i64,
        scratch: &'a mut Truck,
    ) -> Option<&'a Truck> {
        if let Some(t) = ov.trucks.get(&tid) {
            return Some(t);
        }
        let idx = self
            .world
            .index_in(0, k, tid)
            .filter(|&i| i < self.world.trucks)?;
        seed::truck(&self.world, k, idx, scratch);
        Some(scratch)
    }

    /// Truck for changing.
    pub fn truck_mut<'a>(&self, ov: &'a mut Overlay, k: usize, tid: i64) -> Option<&'a mut Truck> {
        match ov.trucks.entry(tid) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(e) => {
                let mut t = Truck::default();
                self.truck(&Overlay::default(), k, tid, &mut t)?;
                Some(e.insert(t))
            }
        }
    }

    /// Job `jid` of tenant `k`.
    pub fn job<'a>(
        &self,
        ov: &'a Overlay,
        k: usize,
        jid: i64,
        scratch: &'a mut Job,
    ) -> Option<&'a Job> {
        if let Some(j) = ov.jobs.get(&jid) {
            return Some(j);
        }
        let idx = self
            .world
            .index_in(0, k, jid)
            .filter(|&i| i < self.world.jobs)?;
        seed::job(&self.world, k, idx, scratch);
        Some(scratch)
    }

    /// Job for changing.
    pub fn job_mut<'a>(&self, ov: &'a mut Overlay, k: usize, jid: i64) -> Option<&'a mut Job> {
        match ov.jobs.entry(jid) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(e) => {
                let mut j = Job::default();
                self.job(&Overlay::default(), k, jid, &mut j)?;
                Some(e.insert(j))
            }
        }
    }

    /// Number of jobs at location number `li`.
    pub fn jobs_at(&self, ov: &Overlay, k: usize, li: u64) -> u64 {
        let loc = self.world.location_id(k, li);
        self.world.count_at(self.world.jobs, li)
            + ov.extra_jobs_at.get(&loc).map_or(0, |v| v.len() as u64)
    }

    /// Job id of job number `pos` at location number `li`.
    pub fn job_at(&self, ov: &Overlay, k: usize, li: u64, pos: u64) -> Option<i64> {
        let seeded = self.world.count_at(self.world.jobs, li);
        if pos < seeded {
            return Some(self.world.id(0, k, self.world.nth_at(li, pos)));
        }
        let loc = self.world.location_id(k, li);
        ov.extra_jobs_at
            .get(&loc)
            .and_then(|v| v.get((pos - seeded) as usize))
            .copied()
    }

    // -----------------------------------------------------------------------------------------
    // Drivers and chats

    /// Index of driver `id` within tenant `k`.
    pub fn driver_index(&self, k: usize, id: i64) -> Option<u64> {
        self.world
            .index_in(DRIVER_BASE, k, id)
            .filter(|&i| i < self.world.drivers)
    }

    /// The dispatcher a driver chats with (a seeded user at the driver's location, else a
    /// stand-in id).
    pub fn dispatcher_for(&self, k: usize, driver_idx: u64) -> i64 {
        let li = self.world.home_of(driver_idx);
        if self.world.count_at(self.world.users, li) > 0 {
            self.world.id(USER_BASE, k, self.world.nth_at(li, 0))
        } else {
            USER_BASE
        }
    }

    /// All messages of a driver.
    pub fn chats(&self, ov: &Overlay, k: usize, driver_idx: u64) -> Vec<ChatMsg> {
        let id = self.world.id(DRIVER_BASE, k, driver_idx);
        if let Some(list) = ov.chats.get(&id) {
            return list.clone();
        }
        let dispatcher = self.dispatcher_for(k, driver_idx);
        (0..CHATS_PER_DRIVER)
            .map(|s| {
                let mut m = ChatMsg::default();
                seed::chat(&self.world, k, driver_idx, s, dispatcher, &mut m);
                m
            })
            .collect()
    }

    /// A driver's messages for changing.
    pub fn chats_mut<'a>(
        &self,
        ov: &'a mut Overlay,
        k: usize,
        driver_idx: u64,
    ) -> &'a mut Vec<ChatMsg> {
        let id = self.world.id(DRIVER_BASE, k, driver_idx);
        ov.chats
            .entry(id)
            .or_insert_with(|| self.chats(&Overlay::default(), k, driver_idx))
    }
}

fn seeded_connections(world: &World, haulers: &[Hauler]) -> Vec<Connection> {
    // The first hauler is approved at the first tenant's first location, the second one is
    // waiting for approval there.
    let t = &world.tenants[0];
    let loc = world.location_id(0, 0);
    let mut name = String::new();
    seed::location_name(world, 0, 0, &mut name);
    haulers
        .iter()
        .take(2)
        .enumerate()
        .map(|(i, h)| Connection {
            hauler_id: h.id.clone(),
            provider_id: t.id,
            provider_name: format!("{} - {}", t.name, name),
            location_id: loc,
            is_approved: i == 0,
            approved_by: (i == 0).then_some(USER_BASE + 1),
            approved_on: (i == 0).then_some(Stamp(SAMPLE_EPOCH.0 - 86_400_000_000 * 30)),
            denied_on: None,
            requested_on: Stamp(SAMPLE_EPOCH.0 - 86_400_000_000 * (31 + i as i64)),
        })
        .collect()
}
