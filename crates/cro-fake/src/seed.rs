//! Deterministic procedural data: record `i` of every collection is a pure function of
//! `(seed, tenant, i)`, so a million customers cost nothing until they are read.
//!
//! Each record kind draws from its own random stream (`Rng::new(seed, tenant, kind, index)`);
//! partial generators (name only, first address line only) replay the same draws as the full
//! ones, which keeps filters and duplicate detection consistent with what pages show.

use std::fmt::Write as _;

use crate::model::{
    Address, ChatMsg, Contact, Customer, Driver, Hauler, Job, Profile, Truck, UserRec, set_text,
    text_slot,
};
use crate::time::{DAY, SAMPLE_EPOCH, Stamp};
use crate::world::{
    ASSET_TYPES_PER_LOCATION, ASSETS_PER_LOCATION, CHATS_PER_DRIVER, DRIVER_BASE,
    DUMPS_PER_LOCATION, SLOTS, USER_BASE, World,
};

const HOUR: i64 = 3_600_000_000;
const YEAR: i64 = 365 * DAY;

/// Record kinds (separate random streams), one per table.
pub mod kind {
    /// Stream of name records.
    pub const NAME: u64 = 1;
    /// Stream of customer records.
    pub const CUSTOMER: u64 = 2;
    /// Stream of address records.
    pub const ADDRESS: u64 = 3;
    /// Stream of contact records.
    pub const CONTACT: u64 = 4;
    /// Stream of profile records.
    pub const PROFILE: u64 = 5;
    /// Stream of truck records.
    pub const TRUCK: u64 = 6;
    /// Stream of driver records.
    pub const DRIVER: u64 = 7;
    /// Stream of job records.
    pub const JOB: u64 = 8;
    /// Stream of user records.
    pub const USER: u64 = 9;
    /// Stream of asset records.
    pub const ASSET: u64 = 10;
    /// Stream of chat records.
    pub const CHAT: u64 = 11;
    /// Stream of hauler records.
    pub const HAULER: u64 = 12;
    /// Stream of token records.
    pub const TOKEN: u64 = 13;
}

/// SplitMix64: tiny, fast, and good enough for fake data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream of one record.
    pub fn new(seed: u64, tenant: usize, kind: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ 0x9E37_79B9_7F4A_7C15);
        r.0 = r.next_u64() ^ (tenant as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
        r.0 = r.next_u64() ^ kind.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7);
        r.0 = r.next_u64() ^ index;
        r
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 when `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    /// Uniform in `0..n` for positive spans of microseconds.
    pub fn span(&mut self, n: i64) -> i64 {
        self.below(n.max(0) as u64) as i64
    }
    /// True with probability `pct`%.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    /// One element.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// Uniform in `[-1, 1)`.
    pub fn signed_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    /// A version-4 UUID.
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }
}

/// A town: name, state, ZIP, area code, latitude, longitude.
pub type Town = (&'static str, &'static str, &'static str, u16, f64, f64);

/// Washington and Oregon towns (indices 0..16 are in WA, 16.. in OR).
pub const TOWNS: [Town; 32] = [
    ("Sequim", "WA", "98382", 360, 48.0795, -123.1018),
    ("Port Angeles", "WA", "98362", 360, 48.1181, -123.4307),
    ("Port Townsend", "WA", "98368", 360, 48.1170, -122.7604),
    ("Olympia", "WA", "98501", 360, 47.0379, -122.9007),
    ("Tacoma", "WA", "98402", 253, 47.2529, -122.4443),
    ("Bellingham", "WA", "98225", 360, 48.7519, -122.4787),
    ("Everett", "WA", "98201", 425, 47.9790, -122.2021),
    ("Bremerton", "WA", "98310", 360, 47.5673, -122.6326),
    ("Yakima", "WA", "98901", 509, 46.6021, -120.5059),
    ("Wenatchee", "WA", "98801", 509, 47.4235, -120.3103),
    ("Spokane", "WA", "99201", 509, 47.6588, -117.4260),
    ("Vancouver", "WA", "98660", 360, 45.6387, -122.6615),
    ("Kennewick", "WA", "99336", 509, 46.2112, -119.1372),
    ("Walla Walla", "WA", "99362", 509, 46.0646, -118.3430),
    ("Aberdeen", "WA", "98520", 360, 46.9754, -123.8157),
    ("Mount Vernon", "WA", "98273", 360, 48.4201, -122.3375),
    ("Salem", "OR", "97301", 503, 44.9429, -123.0351),
    ("Bend", "OR", "97701", 541, 44.0582, -121.3153),
    ("Eugene", "OR", "97401", 541, 44.0521, -123.0868),
    ("Medford", "OR", "97501", 541, 42.3265, -122.8756),
    ("Corvallis", "OR", "97330", 541, 44.5646, -123.2620),
    ("Astoria", "OR", "97103", 503, 46.1879, -123.8313),
    ("Hood River", "OR", "97031", 541, 45.7054, -121.5215),
    ("Pendleton", "OR", "97801", 541, 45.6721, -118.7886),
    ("Coos Bay", "OR", "97420", 541, 43.3665, -124.2179),
    ("Roseburg", "OR", "97470", 541, 43.2165, -123.3417),
    ("Newport", "OR", "97365", 541, 44.6368, -124.0535),
    ("Klamath Falls", "OR", "97601", 541, 42.2249, -121.7817),
    ("Albany", "OR", "97321", 541, 44.6365, -123.1059),
    ("Grants Pass", "OR", "97526", 541, 42.4390, -123.3284),
    ("Tillamook", "OR", "97141", 503, 45.4562, -123.8440),
    ("Redmond", "OR", "97756", 541, 44.2726, -121.1739),
];

const FIRST: [&str; 48] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Emily",
    "Paul",
    "Donna",
    "Andrew",
    "Michelle",
    "Joshua",
    "Carol",
    "Kenneth",
    "Amanda",
    "Kevin",
    "Melissa",
    "Brian",
    "Deborah",
    "George",
    "Stephanie",
    "Shane",
    "Garett",
];
const LAST: [&str; 48] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Hill",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Olsen",
    "Larson",
    "Peterson",
    "Hansen",
    "Lindqvist",
    "O'Brien",
];
const TRADES: [&str; 16] = [
    "Construction",
    "Roofing",
    "Landscaping",
    "Builders",
    "Demolition",
    "Excavation",
    "Homes",
    "Remodeling",
    "Property Management",
    "Farms",
    "Concrete",
    "Plumbing",
    "Restoration",
    "Contractors",
    "Tree Service",
    "Storage",
];
const ADJECTIVES: [&str; 16] = [
    "Evergreen",
    "Cascade",
    "Olympic",
    "Summit",
    "Pacific",
    "Northwest",
    "Timberline",
    "Rainier",
    "Columbia",
    "Harbor",
    "Coastal",
    "Ridgeline",
    "Puget",
    "Willamette",
    "Juniper",
    "Crater Lake",
];
const COMPANY_SUFFIX: [&str; 4] = ["LLC", "Inc.", "Co.", "Corp."];
const STREETS: [&str; 32] = [
    "Main St",
    "Oak Ave",
    "Cedar St",
    "Water St",
    "Front St",
    "Pine St",
    "Maple Ave",
    "Washington St",
    "Elm St",
    "Hemlock Rd",
    "Olympic Hwy",
    "Harbor Dr",
    "River Rd",
    "Mill Rd",
    "Spruce St",
    "Alder St",
    "Fir St",
    "Lincoln Ave",
    "Jefferson St",
    "Madison Ave",
    "1st Ave",
    "2nd St",
    "3rd Ave",
    "Railroad Ave",
    "Sunset Blvd",
    "Hillcrest Dr",
    "Lake Dr",
    "Forest Rd",
    "Ridge Rd",
    "Bay St",
    "Old Mill Rd",
    "Kitsap Way",
];
const EMAIL_DOMAINS: [&str; 6] = [
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "comcast.net",
    "hotmail.com",
    "icloud.com",
];
const NOTES: [&str; 6] = [
    "Gate code 4521.",
    "Call before delivery.",
    "Place container on the left side of the driveway.",
    "Exempt from billing.",
    "Net 30 terms.",
    "Watch for low power lines over the drive.",
];
const SALES_REPS: [&str; 6] = [
    "A Sales Guy",
    "Shane",
    "Jane Johnson",
    "Pat Olsen",
    "Dana Whitaker",
    "Chris Mendez",
];
const TRUCK_TYPES: [&str; 4] = ["Rolloff", "Rolloff", "Pickup", "Hook Lift"];
const COLORS: [&str; 6] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
];
const JOB_TYPES: [&str; 7] = ["D", "D", "P", "E", "E", "L", "R"];
const CHAT_TEXTS: [&str; 6] = [
    "Running 15 minutes late to the next stop.",
    "Customer asked for the can on the street side.",
    "Scale house is backed up, heading to the transfer station instead.",
    "Got it, thanks.",
    "Please call the office when you are back at the yard.",
    "Gate was locked, left a door hanger.",
];
/// Asset type names (yard sizes) per location.
pub const ASSET_TYPE_NAMES: [(&str, f64); 4] = [
    ("10 Yard", 2800.0),
    ("20 Yard", 3600.0),
    ("30 Yard", 4300.0),
    ("40 Yard", 5100.0),
];
/// Materials per location: description, group, unit, unit price.
pub const MATERIALS: [(&str, &str, &str, f64); 6] = [
    ("Mixed C&D", "Construction", "ton", 85.0),
    ("Concrete", "Inert", "ton", 35.0),
    ("Yard Waste", "Organics", "ton", 45.0),
    ("Scrap Metal", "Recycling", "ton", 0.0),
    ("Household Trash", "MSW", "ton", 95.5),
    ("Roofing", "Construction", "ton", 90.0),
];
const HAULER_NAMES: [&str; 3] = [
    "Peninsula Hauling Co.",
    "Rainier Roll-Off",
    "Willamette Waste Partners",
];
/// Roles of seeded users, cycled.
const USER_ROLES: [&str; 7] = [
    "Dispatcher",
    "Driver",
    "Admin",
    "CrmUser",
    "ThirdPartyDispatcher",
    "ThirdPartyDriver",
    "ClientCustomer",
];

// ---------------------------------------------------------------------------------------------
// Locations and towns

/// Town of tenant `k`'s location `li`.
pub fn location_town(w: &World, k: usize, li: u64) -> &'static Town {
    let towns = w.tenants[k].towns;
    &TOWNS[towns[(li as usize) % towns.len()]]
}

/// Display name of a location: the tenant's name for the first, `<Tenant> <Town>` after.
pub fn location_name(w: &World, k: usize, li: u64, out: &mut String) {
    out.clear();
    let t = &w.tenants[k];
    out.push_str(t.name);
    if li > 0 {
        out.push(' ');
        out.push_str(location_town(w, k, li).0);
        if li as usize >= t.towns.len() {
            let _ = write!(out, " {}", li as usize / t.towns.len() + 1);
        }
    }
}

/// Street address line of a location (deterministic per location).
pub fn location_street(w: &World, k: usize, li: u64, out: &mut String) {
    let mut r = Rng::new(w.seed, k, kind::ADDRESS, u64::MAX - li);
    out.clear();
    let _ = write!(out, "{} {}", 100 + r.below(9000), r.pick(&STREETS));
}

// ---------------------------------------------------------------------------------------------
// Customers

fn name_form(r: &mut Rng) -> u64 {
    // 0 = private person; the rest are businesses.
    let f = r.below(10);
    if f < 4 { 0 } else { 1 + f % 4 }
}

/// The customer's name (1..64 chars); replays the `NAME` stream only.
pub fn customer_name(w: &World, k: usize, idx: u64, out: &mut String) {
    let mut r = Rng::new(w.seed, k, kind::NAME, idx);
    out.clear();
    match name_form(&mut r) {
        0 => {
            let _ = write!(out, "{} {}", r.pick(&FIRST), r.pick(&LAST));
        }
        1 => {
            let _ = write!(out, "{} {}", r.pick(&LAST), r.pick(&TRADES));
        }
        2 => {
            let town = location_town(w, k, w.home_of(idx)).0;
            let _ = write!(out, "{} {}", town, r.pick(&TRADES));
        }
        3 => {
            let _ = write!(out, "{} & Sons {}", r.pick(&LAST), r.pick(&TRADES));
        }
        _ => {
            let _ = write!(
                out,
                "{} {} {}",
                r.pick(&ADJECTIVES),
                r.pick(&TRADES),
                r.pick(&COMPANY_SUFFIX)
            );
        }
    }
}

/// Whether the customer is a business (drives `is_commercial`).
pub fn customer_is_commercial(w: &World, k: usize, idx: u64) -> bool {
    name_form(&mut Rng::new(w.seed, k, kind::NAME, idx)) != 0
}

struct CustomerCore {
    created_on: Stamp,
    last_updated_on: Stamp,
    parent: Option<u64>,
    addresses: u64,
    contacts: u64,
}

fn customer_core(w: &World, k: usize, idx: u64) -> CustomerCore {
    let mut r = Rng::new(w.seed, k, kind::CUSTOMER, idx);
    let created = SAMPLE_EPOCH.0 - DAY - r.span(7 * YEAR);
    let updated = created + r.span(SAMPLE_EPOCH.0 - created);
    let has_parent = r.chance(5) && idx > 0;
    let parent = r.below(idx.max(1));
    let addresses = if r.chance(30) { 2 } else { 1 };
    let contacts = if r.chance(35) { 2 } else { 1 };
    CustomerCore {
        created_on: Stamp(created),
        last_updated_on: Stamp(updated),
        parent: has_parent.then_some(parent),
        addresses,
        contacts,
    }
}

/// Fills `out` with seeded customer `idx` of tenant `k` (reusing `out`'s buffers).
pub fn customer(w: &World, k: usize, idx: u64, out: &mut Customer) {
    let core = customer_core(w, k, idx);
    let id = w.customer_id(k, idx);
    out.id = id;
    customer_name(w, k, idx, &mut out.name);
    out.parent_id = core.parent.map(|p| w.customer_id(k, p));
    out.created_on = core.created_on;
    out.last_updated_on = core.last_updated_on;
    let n = core.addresses as usize;
    out.addresses.resize_with(n, Address::default);
    for (s, a) in out.addresses.iter_mut().enumerate() {
        address(w, k, idx, s as u64, n as u64, a);
    }
    let n = core.contacts as usize;
    out.contacts.resize_with(n, Contact::default);
    for (s, c) in out.contacts.iter_mut().enumerate() {
        contact(w, k, idx, s as u64, c);
    }
}

/// Customer-level fields only (no addresses or contacts): enough for list filters.
pub fn customer_head(w: &World, k: usize, idx: u64, out: &mut Customer) {
    let core = customer_core(w, k, idx);
    out.id = w.customer_id(k, idx);
    customer_name(w, k, idx, &mut out.name);
    out.parent_id = core.parent.map(|p| w.customer_id(k, p));
    out.created_on = core.created_on;
    out.last_updated_on = core.last_updated_on;
    out.addresses.clear();
    out.contacts.clear();
}

/// Number of seeded addresses and contacts of a customer.
pub fn customer_child_counts(w: &World, k: usize, idx: u64) -> (u64, u64) {
    let c = customer_core(w, k, idx);
    (c.addresses, c.contacts)
}

fn address_town(w: &World, k: usize, idx: u64, r: &mut Rng) -> &'static Town {
    let home = location_town(w, k, w.home_of(idx));
    let towns = w.tenants[k].towns;
    if r.chance(75) {
        home
    } else {
        &TOWNS[towns[r.below(towns.len() as u64) as usize]]
    }
}

/// First address line of a seeded customer's address `slot` (for duplicate detection).
pub fn address_line_1(w: &World, k: usize, idx: u64, slot: u64, out: &mut String) {
    let mut r = Rng::new(w.seed, k, kind::ADDRESS, idx * SLOTS as u64 + slot);
    out.clear();
    let _ = write!(out, "{} {}", 100 + r.below(19_900), r.pick(&STREETS));
}

/// Fills address `slot` of `n` of seeded customer `idx`.
pub fn address(w: &World, k: usize, idx: u64, slot: u64, n: u64, out: &mut Address) {
    let mut r = Rng::new(w.seed, k, kind::ADDRESS, idx * SLOTS as u64 + slot);
    let line = text_slot(&mut out.line_1);
    let _ = write!(line, "{} {}", 100 + r.below(19_900), r.pick(&STREETS));
    let town = address_town(w, k, idx, &mut r);
    out.id = w.customer_id(k, idx) * SLOTS + slot as i64;
    out.is_active = true;
    // One address carries both roles, or the first bills and the second ships.
    out.is_billing = n == 1 || slot == 0;
    out.is_shipping = n == 1 || slot == 1;
    out.is_physical = out.is_shipping;
    set_text(&mut out.country, "US");
    out.latitude = round6(town.4 + r.signed_unit() * 0.05);
    out.longitude = round6(town.5 + r.signed_unit() * 0.05);
    if r.chance(15) {
        let s = text_slot(&mut out.line_2);
        let _ = write!(s, "Suite {}", 100 + r.below(400));
    } else {
        out.line_2 = None;
    }
    out.line_3 = None;
    out.line_4 = None;
    set_text(&mut out.locality, town.0);
    set_text(&mut out.postcode, town.2);
    set_text(&mut out.region, town.1);
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Fills contact `slot` of seeded customer `idx`.
pub fn contact(w: &World, k: usize, idx: u64, slot: u64, out: &mut Contact) {
    let mut r = Rng::new(w.seed, k, kind::CONTACT, idx * SLOTS as u64 + slot);
    let first = *r.pick(&FIRST);
    let last = *r.pick(&LAST);
    let town = location_town(w, k, w.home_of(idx));
    out.id = w.customer_id(k, idx) * SLOTS + slot as i64;
    let name = text_slot(&mut out.name);
    let _ = write!(name, "{first} {last}");
    if r.chance(90) {
        let email = text_slot(&mut out.email);
        for part in [first, ".", last] {
            for c in part
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            {
                email.push(c.to_ascii_lowercase());
            }
        }
        let _ = write!(email, "{}@{}", r.below(100), r.pick(&EMAIL_DOMAINS));
    } else {
        out.email = None;
    }
    if r.chance(85) {
        let n = text_slot(&mut out.number);
        let _ = write!(n, "({}) 555-{:04}", town.3, r.below(10_000));
    } else {
        out.number = None;
    }
    if r.chance(10) {
        let f = text_slot(&mut out.fax);
        let _ = write!(f, "{}555{:04}", town.3, r.below(10_000));
    } else {
        out.fax = None;
    }
    let bits = r.next_u64();
    out.notify_acknowledged = bits & 1 != 0;
    out.notify_completed = bits & 2 != 0;
    out.notify_dispatched = bits & 4 != 0;
    out.notify_failed = bits & 8 != 0;
    out.notify_new = bits & 16 != 0;
}

/// Fills the seeded home-location profile of customer `idx`.
pub fn profile(w: &World, k: usize, idx: u64, out: &mut Profile) {
    let core = customer_core(w, k, idx);
    let mut r = Rng::new(w.seed, k, kind::PROFILE, idx);
    out.customer_id = w.customer_id(k, idx);
    out.location_id = w.location_id(k, w.home_of(idx));
    if r.chance(60) {
        let s = text_slot(&mut out.account_number_1);
        let _ = write!(s, "AC-{:06}", idx + 1);
    } else {
        out.account_number_1 = None;
    }
    if r.chance(10) {
        let s = text_slot(&mut out.account_number_2);
        let _ = write!(s, "B{:05}", r.below(100_000));
    } else {
        out.account_number_2 = None;
    }
    out.is_active = r.chance(96);
    out.is_commercial = Some(customer_is_commercial(w, k, idx));
    if r.chance(20) {
        let note = NOTES[r.below(NOTES.len() as u64) as usize];
        set_text(&mut out.note, note);
    } else {
        out.note = None;
    }
    if r.chance(70) {
        let s = text_slot(&mut out.reference_number);
        let _ = write!(s, "{}", 1000 + idx);
    } else {
        out.reference_number = None;
    }
    out.renewal_date = r
        .chance(25)
        .then(|| Stamp(SAMPLE_EPOCH.0 + 30 * DAY + r.span(2 * YEAR) / DAY * DAY));
    if r.chance(70) {
        let rep = SALES_REPS[r.below(SALES_REPS.len() as u64) as usize];
        set_text(&mut out.sales_rep, rep);
        if r.chance(50) {
            let s = text_slot(&mut out.sales_rep_id);
            let _ = write!(s, "{}", 100_000 + r.below(60));
        } else {
            out.sales_rep_id = None;
        }
    } else {
        out.sales_rep = None;
        out.sales_rep_id = None;
    }
    out.suspension_id = r.chance(3).then(|| 1 + r.below(5) as i64);
    out.created_on = core.created_on;
    out.last_updated_on = core.last_updated_on;
}

// ---------------------------------------------------------------------------------------------
// Drivers, trucks, users

/// Fills seeded driver `idx` of tenant `k`.
pub fn driver(w: &World, k: usize, idx: u64, out: &mut Driver) {
    let mut r = Rng::new(w.seed, k, kind::DRIVER, idx);
    let li = w.home_of(idx);
    let town = location_town(w, k, li);
    let first = *r.pick(&FIRST);
    let last = *r.pick(&LAST);
    out.id = w.id(DRIVER_BASE, k, idx);
    out.location_id = w.location_id(k, li);
    out.name = format!("{first} {last}");
    out.username = format!("{}.{}{}", first, last, idx + 1)
        .to_ascii_lowercase()
        .replace('\'', "");
    out.email = format!("{}@{}", out.username, w.tenants[k].domain);
    out.phone_number = r
        .chance(80)
        .then(|| format!("({}) 555-{:04}", town.3, r.below(10_000)));
    out.address = r
        .chance(50)
        .then(|| format!("{} {}", 100 + r.below(9000), r.pick(&STREETS)));
    out.city = town.0.to_owned();
    out.state = town.1.to_owned();
    out.zip = town.2.to_owned();
    out.license_number = format!("{}{:07}", town.1, r.below(10_000_000));
    out.third_party_hauler_id = None;
    let bits = r.next_u64();
    out.flags = [
        bits & 1 != 0,
        bits & 2 != 0,
        bits & 4 != 0,
        bits & 8 != 0,
        bits & 16 != 0,
        bits % 20 == 7,
    ];
}

/// Fills seeded truck `idx` of tenant `k`.
pub fn truck(w: &World, k: usize, idx: u64, out: &mut Truck) {
    let mut r = Rng::new(w.seed, k, kind::TRUCK, idx);
    let li = w.home_of(idx);
    out.id = w.id(0, k, idx);
    out.location_id = w.location_id(k, li);
    // Truck i is driven by driver i (same location by construction) most of the time.
    out.driver_id = (idx < w.drivers && r.chance(80)).then(|| w.id(DRIVER_BASE, k, idx));
    out.interface_color = r.chance(90).then(|| (*r.pick(&COLORS)).to_owned());
    out.name = format!("Truck {}", 101 + idx);
    out.notes = if r.chance(20) {
        "Check hydraulic fluid weekly.".to_owned()
    } else {
        String::new()
    };
    out.out_of_service = r.chance(5);
    out.require_odometer = r.chance(50);
    // The spec requires a hauler id on every truck: a tenant's own trucks carry the tenant's.
    out.third_party_hauler_id = Some(tenant_hauler_id(w, k));
    out.trailer_id = r.chance(10).then(|| 1 + r.below(20) as i64);
    out.kind = (*r.pick(&TRUCK_TYPES)).to_owned();
    out.weight = if out.kind == "Pickup" { 2500.0 } else { 0.0 };
}

/// Fills seeded user `idx` of tenant `k`.
pub fn user(w: &World, k: usize, idx: u64, out: &mut UserRec) {
    let mut r = Rng::new(w.seed, k, kind::USER, idx);
    let role = USER_ROLES[(idx % USER_ROLES.len() as u64) as usize];
    let first = *r.pick(&FIRST);
    let last = *r.pick(&LAST);
    out.id = w.id(USER_BASE, k, idx);
    out.location_id = Some(w.location_id(k, w.home_of(idx)));
    out.roles = vec![role.to_owned()];
    out.dispatcher_id = (role == "Dispatcher").then(|| 9000 + idx as i64);
    out.third_party_hauler_id = role
        .starts_with("ThirdParty")
        .then(|| hauler(w, (idx % HAULER_NAMES.len() as u64) as usize).id);
    out.uid = r.uuid();
    out.username = format!("{}.{}{}", first, last, idx + 1)
        .to_ascii_lowercase()
        .replace('\'', "");
}

// ---------------------------------------------------------------------------------------------
// Jobs

/// Fills seeded job `idx` of tenant `k`.
pub fn job(w: &World, k: usize, idx: u64, out: &mut Job) {
    let mut r = Rng::new(w.seed, k, kind::JOB, idx);
    let li = w.home_of(idx);
    *out = Job::default();
    out.id = w.id(0, k, idx);
    out.location_id = w.location_id(k, li);
    let n_customers = w.count_at(w.customers, li);
    if n_customers > 0 {
        let c = w.nth_at(li, r.below(n_customers));
        let cid = w.customer_id(k, c);
        out.customer_id = Some(cid);
        out.address_id = Some(cid * SLOTS);
    }
    out.kind = (*r.pick(&JOB_TYPES)).to_owned();
    let day = SAMPLE_EPOCH.0 / DAY * DAY;
    let schedule = day + (r.span(60) - 30) * DAY + 8 * HOUR;
    out.schedule_date = Some(Stamp(schedule));
    out.original_schedule_date = out.schedule_date;
    let requested = schedule - DAY - r.span(14 * DAY);
    out.requested_on = Some(Stamp(requested));
    out.created_on = Stamp(requested);
    let n_trucks = w.count_at(w.trucks, li);
    if n_trucks > 0 && r.chance(80) {
        let t = w.nth_at(li, r.below(n_trucks));
        out.truck_id = Some(w.id(0, k, t));
        out.dispatched_on = Some(Stamp(schedule - DAY + 10 * HOUR));
        if t < w.drivers {
            out.completed_by = Some(w.id(DRIVER_BASE, k, t));
        }
    }
    let asset_type = r.below(ASSET_TYPES_PER_LOCATION);
    out.asset_type_id = Some(w.id(0, k, li * ASSET_TYPES_PER_LOCATION + asset_type));
    out.asset_quantity = Some(1);
    if matches!(out.kind.as_str(), "E" | "P" | "R") {
        let a = r.below(ASSETS_PER_LOCATION);
        out.asset_id = Some(w.id(0, k, li * ASSETS_PER_LOCATION + a));
    }
    if matches!(out.kind.as_str(), "E" | "P" | "L") {
        let d = 1 + r.below(DUMPS_PER_LOCATION - 1);
        out.dump_location_id = Some(w.id(0, k, li * DUMPS_PER_LOCATION + d));
    }
    out.start_location_id = Some(w.id(0, k, li * DUMPS_PER_LOCATION));
    let past = schedule < SAMPLE_EPOCH.0;
    out.is_completed = past && out.truck_id.is_some() && r.chance(85);
    out.is_failed = past && !out.is_completed && r.chance(10);
    out.is_deleted = r.chance(2);
    out.is_acknowledged = out.truck_id.is_some();
    out.is_paid = out.is_completed && r.chance(60);
    if out.is_completed {
        let done = schedule + 2 * HOUR + r.span(6 * HOUR);
        out.started_on = Some(Stamp(schedule + HOUR));
        out.arrived_on = Some(Stamp(schedule + HOUR + 30 * 60_000_000));
        out.departed_on = Some(Stamp(done - HOUR));
        out.completed_on = Some(Stamp(done));
        if out.dump_location_id.is_some() {
            out.dumped_on = Some(Stamp(done - 20 * 60_000_000));
            out.weighed_on = out.dumped_on;
            out.scale_ticket = Some(format!("T{:07}", r.below(10_000_000)));
        }
    } else {
        out.completed_by = None;
    }
    if out.is_failed {
        out.fail_reason = Some("Blocked access".to_owned());
        out.times_failed = Some(1);
    } else {
        out.times_failed = Some(0);
    }
    out.times_rolled_over = Some(0);
    out.priority = Some(r.below(7) as i64 - 3);
    out.dispatch_priority = Some((*r.pick(&["H", "M", "L"])).to_owned());
    out.reference_number = r.chance(40).then(|| format!("PO-{:05}", r.below(100_000)));
    out.customer_notes = r.chance(30).then(|| (*r.pick(&NOTES)).to_owned());
    out.dispatcher_notes = r
        .chance(20)
        .then(|| "Confirm placement with customer.".to_owned());
    out.desired_asset_desc = Some(ASSET_TYPE_NAMES[asset_type as usize].0.to_owned());
    out.created_by = (w.users > 0).then(|| w.id(USER_BASE, k, r.below(w.users)));
    out.created_by_driver = Some(false);
    out.created_with_portal = Some(r.chance(15));
    out.do_confirm = Some(r.chance(20));
    out.ends_at_customer = Some(false);
    out.starts_at_customer = Some(false);
    out.require_image = Some(r.chance(20));
    out.require_materials = Some(r.chance(20));
    out.require_signature = Some(r.chance(30));
    out.require_weights = Some(r.chance(10));
    out.last_updated_on = Stamp(out.completed_on.map_or(requested + HOUR, |s| s.0));
}

// ---------------------------------------------------------------------------------------------
// Chat, haulers, tokens

/// Seeded chat message `slot` of driver `driver_id` (a `(tenant, index)` driver).
pub fn chat(w: &World, k: usize, idx: u64, slot: u64, dispatcher: i64, out: &mut ChatMsg) {
    let mut r = Rng::new(w.seed, k, kind::CHAT, idx * CHATS_PER_DRIVER + slot);
    let driver_id = w.id(DRIVER_BASE, k, idx);
    out.id = driver_id * 10 + slot as i64;
    out.text = (*r.pick(&CHAT_TEXTS)).to_owned();
    out.is_read = slot + 1 < CHATS_PER_DRIVER;
    out.is_edited = false;
    out.last_edited_on = None;
    out.sent_on = Stamp(SAMPLE_EPOCH.0 - (CHATS_PER_DRIVER - slot) as i64 * HOUR);
    let me = (driver_id, "Driver".to_owned());
    let them = (dispatcher, "Dispatcher".to_owned());
    if slot.is_multiple_of(2) {
        out.sender = me;
        out.receiver = them;
    } else {
        out.sender = them;
        out.receiver = me;
    }
}

/// Number of seeded haulers.
pub const SEEDED_HAULERS: usize = HAULER_NAMES.len();

/// Seeded hauler `i`.
pub fn hauler(w: &World, i: usize) -> Hauler {
    let mut r = Rng::new(w.seed, 0, kind::HAULER, i as u64);
    Hauler {
        id: r.uuid(),
        name: HAULER_NAMES[i % HAULER_NAMES.len()].to_owned(),
    }
}

/// The hauler identity (UUID) of a tenant's own fleet.
pub fn tenant_hauler_id(w: &World, k: usize) -> String {
    Rng::new(w.seed, k, kind::HAULER, 1_000_000).uuid()
}

/// Deterministic random bytes for tokens and secrets.
pub fn token_bytes(seed: u64, n: u64) -> [u8; 16] {
    let mut r = Rng::new(seed, 0, kind::TOKEN, n);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&r.next_u64().to_le_bytes());
    b[8..].copy_from_slice(&r.next_u64().to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FakeConfig;

    #[test]
    fn records_are_pure_functions_of_seed_tenant_index() {
        let w = World::new(&FakeConfig::default());
        let (mut a, mut b) = (Customer::default(), Customer::default());
        customer(&w, 0, 42, &mut a);
        customer(&w, 1, 7, &mut b); // dirty the scratch with another record
        customer(&w, 0, 42, &mut b);
        assert_eq!(a, b);
        let w2 = World::new(&FakeConfig::default().with_seed(99));
        customer(&w2, 0, 42, &mut b);
        assert_ne!(a, b);
        let mut line = String::new();
        address_line_1(&w, 0, 42, 0, &mut line);
        assert_eq!(Some(line.as_str()), a.addresses[0].line_1.as_deref());
        let mut name = String::new();
        customer_name(&w, 0, 42, &mut name);
        assert_eq!(name, a.name);
    }

    #[test]
    fn generated_values_respect_documented_limits() {
        let w = World::new(&FakeConfig::default());
        let mut c = Customer::default();
        let mut p = Profile::default();
        for idx in 0..2000 {
            customer(&w, (idx % 2) as usize, idx, &mut c);
            profile(&w, (idx % 2) as usize, idx, &mut p);
            assert!((1..=64).contains(&c.name.len()), "{}", c.name);
            assert!(c.created_on <= c.last_updated_on);
            assert!(c.last_updated_on <= SAMPLE_EPOCH);
            assert!(c.addresses.iter().any(|a| a.is_billing));
            assert!(c.addresses.iter().any(|a| a.is_shipping));
            for ct in &c.contacts {
                if let Some(f) = &ct.fax {
                    assert!((7..=15).contains(&f.len()));
                }
            }
        }
    }
}
