//! What the repeat check costs in memory: a walk of 1,000,000 items (1,000 pages of 1,000,
//! generated in memory, no network) with the check on and off, measured by a counting
//! allocator (peak bytes live during the walk, above what was live before it).
//!
//! `cargo test -p cro-ext --test repeat_memory -- --nocapture` prints the figures; the test
//! fails if the check holds more than 17.2 bytes per id, or much more than its table at peak.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use cro_ext::paging::{Paginate, RepeatPolicy};
use cro_ext::{PageStyle, PagedRequest, RawItem, RawPage};
use futures::TryStreamExt;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PAGES: u32 = 1_000;
const PAGE_SIZE: u32 = 1_000;

/// `list_tenants` (its key is `id`), served from memory: item n is `{"id":n,"name":"..."}`.
#[derive(Clone)]
struct InMemory;

impl PagedRequest for InMemory {
    type Item = RawItem;
    const OPERATION_ID: &'static str = "list_tenants";
    const STYLE: PageStyle = PageStyle::Envelope;

    fn item_json(item: &RawItem) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(item.as_bytes())
    }

    async fn fetch_page(
        self,
        page_index: u32,
        page_limit: u32,
    ) -> Result<RawPage<RawItem>, cro_api::Error> {
        let first = u64::from(page_index - 1) * u64::from(page_limit);
        let results = (first..first + u64::from(page_limit))
            .map(|id| {
                RawItem::from_json(format!("{{\"id\":{},\"name\":\"Tenant\"}}", id * 7 + 1))
                    .expect("valid JSON")
            })
            .collect();
        Ok(RawPage {
            current_page: Some(u64::from(page_index)),
            current_limit: Some(u64::from(page_limit)),
            total_pages: Some(u64::from(PAGES)),
            total_count: Some(u64::from(PAGES) * u64::from(page_limit)),
            results,
            negative: None,
        })
    }
}

/// Walk every page; (peak bytes above the start, items, key memory reported by the stats).
fn walk(policy: RepeatPolicy) -> (usize, u64, u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut pages = InMemory
            .paginate()
            .page_size(PAGE_SIZE)
            .repeats(policy)
            .pages();
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let mut items = 0u64;
        while let Some(page) = pages.try_next().await.expect("no repeats in the list") {
            items += page.items.len() as u64;
        }
        let peak = PEAK.load(Ordering::Relaxed) - base;
        (peak, items, pages.stats().key_memory_bytes)
    })
}

#[test]
fn a_million_ids_cost_at_most_seventeen_bytes_each() {
    let (peak_off, items, _) = walk(RepeatPolicy::Off);
    assert_eq!(items, 1_000_000);
    let (peak_on, items, table) = walk(RepeatPolicy::Error);
    assert_eq!(items, 1_000_000);
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    let extra = peak_on.saturating_sub(peak_off);
    println!(
        "repeat check, 1,000,000 ids: key table {:.1} MiB ({:.1} bytes/id); walk peak {:.1} MiB \
         with the check, {:.1} MiB without (+{:.1} MiB)",
        mib(table as usize),
        table as f64 / 1e6,
        mib(peak_on),
        mib(peak_off),
        mib(extra)
    );
    // 10-byte slots, each table at most 7/8 full and grown by half: at most 17.2 bytes an id
    // (plus the shard list).
    assert!(table <= 17_200_000 + 4096, "{table}");
    // Sharded, so a growth step keeps only one shard's old arrays alive beside the new ones.
    assert!(
        extra <= table as usize + (1 << 20),
        "the check holds {extra} bytes"
    );
}
