//! Property: whatever the list size, page size and prefetch, every item comes out exactly
//! once, in order, from exactly the pages a sequential walk needs.

mod support;

use std::sync::OnceLock;
use std::time::Duration;

use cro_ext::paging::Paginate;
use proptest::prelude::*;
use support::{Scenario, TestServer};

/// One runtime and one server for all cases (cases run one at a time).
fn shared() -> &'static (tokio::runtime::Runtime, TestServer) {
    static SHARED: OnceLock<(tokio::runtime::Runtime, TestServer)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(TestServer::start(Scenario::default()));
        (runtime, server)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn every_item_once_in_order(
        total in 0u64..400,
        page_size in 1u32..=60,
        concurrency in 1usize..=5,
        bare in any::<bool>(),
    ) {
        let (runtime, server) = shared();
        server.reset(Scenario::items(total));
        let client = server.client();
        let ids: Vec<i64> = runtime.block_on(async {
            let walk = async {
                if bare {
                    let items = client
                        .list_materials()
                        .location_id(1)
                        .paginate()
                        .page_size(page_size)
                        .concurrency(concurrency)
                        .collect_all()
                        .await
                        .unwrap();
                    items.iter().map(|m| m.id).collect()
                } else {
                    let items = client
                        .list_tenants()
                        .paginate()
                        .page_size(page_size)
                        .concurrency(concurrency)
                        .collect_all()
                        .await
                        .unwrap();
                    items.iter().map(|t| t.id).collect()
                }
            };
            tokio::time::timeout(Duration::from_secs(30), walk).await.expect("walk timed out")
        });
        prop_assert_eq!(ids, (1..=total as i64).collect::<Vec<_>>());

        // The pages requested: all those holding items, plus (bare arrays only) one empty
        // page when the last one is full; at least one page.
        let full_pages = total.div_ceil(u64::from(page_size)).max(1) as u32;
        let pages = if bare && total > 0 && total % u64::from(page_size) == 0 {
            full_pages + 1
        } else {
            full_pages
        };
        let mut seen = server.requests();
        seen.sort_unstable();
        prop_assert_eq!(seen, (1..=pages).map(|p| (p, page_size)).collect::<Vec<_>>());
        prop_assert!(server.max_in_flight() <= concurrency);
    }
}
