//! Repeats: the same item served twice in one walk.
//!
//! Offset paging repeats items when rows are inserted ahead of the walk (and skips some when
//! rows are deleted), and a buggy server may serve a record twice with honest page numbers.
//! The walk therefore remembers the identity of every item it yielded and checks each new
//! one against it.
//!
//! **Identity** comes from the operation table: the item model's key
//! (`cro_api::meta::item_key`: `id`, or the spec's `x-cro-key`, e.g. `id|customer_id` plus
//! `location_id` for customer profiles). The key fields are read straight from the item's
//! JSON text by a small scanner that stops as soon as it has them (usually the first key of
//! the object), so nothing is decoded. An item that has none of a component's fields is not
//! checked and is counted in [`WalkStats::unkeyed`](crate::paging::WalkStats::unkeyed).
//!
//! **Memory** is one 64-bit key and one 16-bit page number per item: an integer id is its own
//! key (exact), a composite or text id a 64-bit hash (a false "repeat" needs a hash collision:
//! about 3 in 10^8 for a 1,000,000-item walk). They live in 64 open-addressing tables, 10
//! bytes per slot, each at most 7/8 full and growing by half: between 11.4 and 17.1 bytes per
//! item, **15.0 MB (14.3 MiB) for 1,000,000 items**, with a peak of 14.4 MiB above the same
//! walk without the check, measured by
//! `cargo test -p cro-ext --test repeat_memory -- --nocapture`. [`RepeatPolicy::Off`] costs
//! nothing.

use std::hash::{DefaultHasher, Hasher};

/// What to do when an item is served a second time in the same walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RepeatPolicy {
    /// End the walk with [`PagingError::Repeat`](crate::paging::PagingError::Repeat), naming
    /// the item and the two pages. The default: a repeat means the list shifted under the
    /// walk, so items may also be missing.
    #[default]
    Error,
    /// Yield each item once: drop later copies from their page, count them in
    /// [`WalkStats::repeats`](crate::paging::WalkStats::repeats) and log a warning.
    Skip,
    /// Do not track identities (no memory cost, no check).
    Off,
}

/// The key of one item and where it came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    /// The page the item was first seen on.
    pub(crate) first_page: u32,
}

/// Reads item identities from JSON and remembers them.
#[derive(Debug)]
pub(crate) struct Tracker {
    /// Key components, each a list of alternative field names.
    components: &'static [&'static [&'static str]],
    seen: KeyTable,
}

impl Tracker {
    pub(crate) fn new(components: &'static [&'static [&'static str]]) -> Self {
        Tracker {
            components,
            seen: KeyTable::default(),
        }
    }

    /// True when the list has a key at all.
    pub(crate) fn is_active(&self) -> bool {
        !self.components.is_empty()
    }

    /// The key of the item whose JSON text is `json`, `None` when it lacks a component.
    pub(crate) fn key_of(&self, json: &[u8]) -> Option<u64> {
        let names = self.field_names();
        let count = names.len().min(MAX_FIELDS);
        let mut found: [Option<&[u8]>; MAX_FIELDS] = [None; MAX_FIELDS];
        scan_fields(json, &names[..count], &mut found[..count]);
        // One value per component: the first of its alternative names that is present.
        let mut values: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
        let mut at = 0;
        for (n, alternatives) in self.components.iter().enumerate() {
            let slots = found.get(at..at + alternatives.len())?;
            at += alternatives.len();
            values[n] = slots.iter().flatten().copied().find(|v| *v != b"null")?;
        }
        let values = &values[..self.components.len()];
        if let [single] = values
            && let Some(n) = integer(single)
        {
            // Exact: the id itself (two's complement for the odd negative id).
            return Some(n as u64);
        }
        let mut hasher = DefaultHasher::new();
        for value in values {
            hasher.write_usize(value.len());
            hasher.write(value);
        }
        Some(hasher.finish())
    }

    /// A printable form of the item's key (`id 42`, `id 7, location_id 3`), cleaned of
    /// control characters and kept short: it comes from the server.
    pub(crate) fn describe(&self, json: &[u8]) -> String {
        let names = self.field_names();
        let count = names.len().min(MAX_FIELDS);
        let mut found: [Option<&[u8]>; MAX_FIELDS] = [None; MAX_FIELDS];
        scan_fields(json, &names[..count], &mut found[..count]);
        let parts: Vec<String> = names[..count]
            .iter()
            .zip(&found[..count])
            .filter_map(|(name, value)| {
                let value = (*value)?;
                let text: String = String::from_utf8_lossy(value)
                    .chars()
                    .take(64)
                    .map(|c| {
                        if c.is_control() {
                            c.escape_unicode().to_string()
                        } else {
                            c.to_string()
                        }
                    })
                    .collect();
                Some(format!("{name} {text}"))
            })
            .collect();
        parts.join(", ")
    }

    /// Remember `key` as seen on `page`; the earlier sighting if it was already seen.
    pub(crate) fn insert(&mut self, key: u64, page: u32) -> Option<Seen> {
        self.seen
            .insert(key, page)
            .map(|first_page| Seen { first_page })
    }

    /// Keys remembered.
    pub(crate) fn len(&self) -> u64 {
        self.seen.len as u64
    }

    /// Bytes held by the table.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.seen.heap_bytes()
    }

    fn field_names(&self) -> Vec<&'static str> {
        self.components
            .iter()
            .flat_map(|c| c.iter().copied())
            .collect()
    }
}

/// Most key fields a tracker reads (components times alternatives); the spec uses 3.
const MAX_FIELDS: usize = 8;

/// `value` as an integer, when it is a JSON integer that fits `i64`.
fn integer(value: &[u8]) -> Option<i64> {
    if value.is_empty() || value.len() > 20 {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

// -------------------------------------------------------------------------------------------
// The table

/// A set of 64-bit keys, each with the (16-bit) page it was first seen on.
///
/// [`SHARDS`] open-addressing tables chosen by the top bits of the mixed key, each two
/// parallel arrays with linear probing, at most 7/8 full, growing by half when full. Sharding keeps
/// the moment of doubling cheap: only one shard's old and new arrays are alive at once, not
/// the whole set's. Page 0 marks an empty slot (pages are 1-based and at most
/// [`PAGE_INDEX_MAX`](crate::paging::PAGE_INDEX_MAX), which fits).
#[derive(Debug, Default)]
struct KeyTable {
    shards: Vec<Shard>,
    len: usize,
}

/// Number of shards of a [`KeyTable`] (a power of two).
const SHARDS: usize = 64;
const SHARD_BITS: u32 = SHARDS.trailing_zeros();

#[derive(Debug, Default)]
struct Shard {
    keys: Vec<u64>,
    pages: Vec<u16>,
    len: usize,
}

impl KeyTable {
    /// Insert `key` seen on `page`; if already present, its first page (and nothing changes).
    fn insert(&mut self, key: u64, page: u32) -> Option<u32> {
        if self.shards.is_empty() {
            self.shards.resize_with(SHARDS, Shard::default);
        }
        // Fibonacci hashing: integer ids are sequential, the multiply spreads them.
        let mixed = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let shard = &mut self.shards[(mixed >> (64 - SHARD_BITS)) as usize];
        let page = u16::try_from(page).unwrap_or(u16::MAX).max(1);
        let first = shard.insert(key, mixed << SHARD_BITS, page);
        if first.is_none() {
            self.len += 1;
        }
        first
    }

    fn heap_bytes(&self) -> usize {
        self.shards.capacity() * size_of::<Shard>()
            + self
                .shards
                .iter()
                .map(|s| {
                    s.keys.capacity() * size_of::<u64>() + s.pages.capacity() * size_of::<u16>()
                })
                .sum::<usize>()
    }
}

impl Shard {
    /// `hash`: the mixed key without the shard bits; its top bits choose the slot.
    fn insert(&mut self, key: u64, hash: u64, page: u16) -> Option<u32> {
        if (self.len + 1) * 8 > self.keys.len() * 7 {
            self.grow();
        }
        let capacity = self.keys.len();
        let mut slot = slot_of(hash, capacity);
        loop {
            match self.pages[slot] {
                0 => {
                    self.keys[slot] = key;
                    self.pages[slot] = page;
                    self.len += 1;
                    return None;
                }
                first if self.keys[slot] == key => return Some(u32::from(first)),
                _ => slot = next_slot(slot, capacity),
            }
        }
    }

    /// Grow by half (not double): less memory held on average, and a smaller step.
    fn grow(&mut self) {
        let capacity = (self.keys.len() * 3 / 2).max(16);
        let keys = std::mem::replace(&mut self.keys, vec![0; capacity]);
        let pages = std::mem::replace(&mut self.pages, vec![0; capacity]);
        for (key, page) in keys.into_iter().zip(pages).filter(|(_, p)| *p != 0) {
            let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) << SHARD_BITS;
            let mut slot = slot_of(hash, capacity);
            while self.pages[slot] != 0 {
                slot = next_slot(slot, capacity);
            }
            self.keys[slot] = key;
            self.pages[slot] = page;
        }
    }
}

/// The slot of `hash` in a table of `capacity` slots (< 2^32): its top 32 bits scaled to the
/// capacity (Lemire's multiply-shift range reduction; any capacity, no modulo).
fn slot_of(hash: u64, capacity: usize) -> usize {
    (((hash >> 32) * capacity as u64) >> 32) as usize
}

fn next_slot(slot: usize, capacity: usize) -> usize {
    if slot + 1 == capacity { 0 } else { slot + 1 }
}

// -------------------------------------------------------------------------------------------
// The scanner

/// Find the top-level fields `names` of the JSON object `json`, storing each value's text in
/// `out` (same order). Stops once every name is found; leaves `None` for missing ones and
/// for anything that is not an object. Items are valid JSON (checked when the page was
/// parsed), so this only needs to find boundaries: strings (with escapes), nested
/// containers and scalars.
fn scan_fields<'a>(json: &'a [u8], names: &[&str], out: &mut [Option<&'a [u8]>]) {
    let mut missing = names.len();
    let mut i = skip_ws(json, 0);
    if json.get(i) != Some(&b'{') {
        return;
    }
    i += 1;
    while missing > 0 {
        i = skip_ws(json, i);
        if json.get(i) != Some(&b'"') {
            return; // `}` (end) or not JSON
        }
        let Some(key_end) = string_end(json, i) else {
            return;
        };
        let key = &json[i + 1..key_end - 1];
        i = skip_ws(json, key_end);
        if json.get(i) != Some(&b':') {
            return;
        }
        i = skip_ws(json, i + 1);
        let Some(value_end) = value_end(json, i) else {
            return;
        };
        if let Some(at) = names.iter().position(|n| n.as_bytes() == key)
            && out[at].is_none()
        {
            out[at] = Some(&json[i..value_end]);
            missing -= 1;
        }
        i = skip_ws(json, value_end);
        match json.get(i) {
            Some(b',') => i += 1,
            _ => return,
        }
    }
}

fn skip_ws(json: &[u8], mut i: usize) -> usize {
    while matches!(json.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Index just past the string starting with the `"` at `start`.
fn string_end(json: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match json.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// Index just past the value starting at `start`.
fn value_end(json: &[u8], start: usize) -> Option<usize> {
    match json.get(start)? {
        b'"' => string_end(json, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            loop {
                match json.get(i)? {
                    b'"' => {
                        i = string_end(json, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = start;
            while !matches!(
                json.get(i),
                None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            ) {
                i += 1;
            }
            (i > start).then_some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(json: &'a str, names: &[&str]) -> Vec<Option<&'a str>> {
        let mut out = vec![None; names.len()];
        scan_fields(json.as_bytes(), names, &mut out);
        out.into_iter()
            .map(|v| v.map(|b| std::str::from_utf8(b).unwrap()))
            .collect()
    }

    #[test]
    fn scanner_finds_top_level_fields_only() {
        let json = r#" { "a" : {"id": 9, "s": "}\"]"}, "list":[1,[2,{"id":3}]], "id" : 42 ,
            "name":"x\\\"y", "location_id":7}"#;
        assert_eq!(
            fields(json, &["id", "location_id", "name"]),
            [Some("42"), Some("7"), Some(r#""x\\\"y""#)]
        );
        assert_eq!(fields(json, &["missing"]), [None]);
        assert_eq!(fields("[1,2]", &["id"]), [None]);
        assert_eq!(fields(r#"{"id":"a-b"}"#, &["id"]), [Some(r#""a-b""#)]);
        assert_eq!(fields(r#"{"id":-3.5e2}"#, &["id"]), [Some("-3.5e2")]);
        assert_eq!(fields(r#"{"id":1"#, &["x"]), [None], "truncated: no panic");
    }

    #[test]
    fn keys_follow_the_components() {
        static ID: &[&[&str]] = &[&["id"]];
        static PROFILE: &[&[&str]] = &[&["id", "customer_id"], &["location_id"]];
        let t = Tracker::new(ID);
        assert_eq!(t.key_of(br#"{"id":42,"x":1}"#), Some(42));
        assert_eq!(t.key_of(br#"{"x":1}"#), None);
        assert_eq!(t.key_of(br#"{"id":null}"#), None);
        assert_ne!(t.key_of(br#"{"id":"42"}"#), None);
        let p = Tracker::new(PROFILE);
        let new = p.key_of(br#"{"id":5,"location_id":1}"#);
        let old = p.key_of(br#"{"customer_id":5,"location_id":1}"#);
        assert!(new.is_some());
        assert_eq!(new, old, "either name of a renamed field");
        assert_ne!(new, p.key_of(br#"{"id":5,"location_id":2}"#));
        assert_eq!(p.key_of(br#"{"id":5}"#), None);
        assert_eq!(
            p.describe(b"{\"id\":5,\"location_id\":\"a\x1b[2J\"}"),
            "id 5, location_id \"a\\u{1b}[2J\""
        );
    }

    #[test]
    fn table_remembers_the_first_page() {
        let mut t = KeyTable::default();
        for k in 0..5_000u64 {
            assert_eq!(t.insert(k * 1000, (k / 100 + 1) as u32), None);
        }
        assert_eq!(t.insert(4_321_000, 99), Some(44));
        assert_eq!(t.insert(0, 7), Some(1));
        assert_eq!(t.len, 5_000);
        let slots: usize = t.shards.iter().map(|s| s.keys.len()).sum();
        assert!(slots * 7 >= t.len * 8);
        assert!(t.shards.iter().all(|s| s.len * 8 <= s.keys.len() * 7));
    }
}
