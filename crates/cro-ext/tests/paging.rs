//! Paging walks against a local server that records every page request.

mod support;

use std::collections::HashMap;

use cro_ext::paging::{DriftPolicy, Page, Paginate, PagingError};
use cro_ext::roles::RoleSet;
use futures::{StreamExt, TryStreamExt};
use support::{Scenario, TestServer, bounded};

type Tenant = cro_api::types::TenantModel;

fn ids(tenants: &[Tenant]) -> Vec<u64> {
    tenants.iter().map(|t| t.id as u64).collect()
}

fn expected_ids(range: std::ops::RangeInclusive<u64>) -> Vec<u64> {
    range.collect()
}

/// (page, limit) for pages `pages` of size `limit`.
fn requests(pages: std::ops::RangeInclusive<u32>, limit: u32) -> Vec<(u32, u32)> {
    pages.map(|p| (p, limit)).collect()
}

/// Walk /tenants sequentially with page size 10 and return the ids and the requests seen.
async fn walk(total: u64, concurrency: usize) -> (Vec<u64>, Vec<(u32, u32)>, TestServer) {
    let mut scenario = Scenario::items(total);
    // Make early pages slow so that prefetched later pages complete first.
    scenario.delays_ms = HashMap::from([(2, 60), (3, 30)]);
    let server = TestServer::start(scenario).await;
    let client = server.client();
    let items = client
        .list_tenants()
        .paginate()
        .page_size(10)
        .concurrency(concurrency)
        .collect_all()
        .await
        .expect("walk");
    (ids(&items), server.requests(), server)
}

#[tokio::test]
async fn exact_requests_for_zero_one_two_and_many_pages() {
    bounded(async {
        // (items, pages requested)
        for (total, pages) in [(0, 1), (7, 1), (10, 1), (15, 2), (20, 2), (95, 10)] {
            let (ids, seen, _server) = walk(total, 1).await;
            assert_eq!(ids, expected_ids(1..=total), "items for total {total}");
            assert_eq!(seen, requests(1..=pages, 10), "requests for total {total}");
        }
    })
    .await;
}

#[tokio::test]
async fn prefetch_sends_the_same_requests_and_keeps_item_order() {
    bounded(async {
        for total in [0, 7, 15, 20, 95] {
            let (sequential_ids, sequential_requests, _s) = walk(total, 1).await;
            for concurrency in [2, 4, 16] {
                let (ids, mut seen, server) = walk(total, concurrency).await;
                assert_eq!(ids, sequential_ids, "order, total {total} x{concurrency}");
                seen.sort_unstable();
                assert_eq!(
                    seen, sequential_requests,
                    "requests, total {total} x{concurrency}"
                );
                assert!(server.max_in_flight() <= concurrency);
                if total == 95 {
                    assert!(server.max_in_flight() > 1, "pages were fetched ahead");
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_first_page_is_fetched_alone_then_the_window_opens() {
    bounded(async {
        let server = TestServer::start(Scenario::items(95)).await;
        let client = server.client();
        let mut pages = client
            .list_tenants()
            .paginate()
            .page_size(10)
            .concurrency(3)
            .pages();
        let first = pages.try_next().await.unwrap().unwrap();
        assert_eq!(first.index, 1);
        assert_eq!(
            server.requests(),
            vec![(1, 10)],
            "nothing is prefetched before total_pages"
        );
        let rest: Vec<Page<Tenant>> = pages.try_collect().await.unwrap();
        assert_eq!(
            rest.iter().map(|p| p.index).collect::<Vec<_>>(),
            (2..=10).collect::<Vec<_>>()
        );
        assert!(server.max_in_flight() <= 3);
    })
    .await;
}

#[tokio::test]
async fn default_page_size_is_the_api_maximum() {
    bounded(async {
        let server = TestServer::start(Scenario::items(5)).await;
        let items = server
            .client()
            .list_tenants()
            .paginate()
            .collect_all()
            .await
            .unwrap();
        assert_eq!(ids(&items), expected_ids(1..=5));
        assert_eq!(server.requests(), vec![(1, 1000)]);
    })
    .await;
}

#[tokio::test]
async fn pages_carry_numbers_and_the_last_one_says_so() {
    bounded(async {
        let server = TestServer::start(Scenario::items(25)).await;
        let client = server.client();
        let mut pages = client.list_tenants().paginate().page_size(10).pages();
        let mut seen = Vec::new();
        while let Some(page) = pages.try_next().await.unwrap() {
            seen.push((
                page.index,
                page.items.len(),
                page.total_pages,
                page.total_count,
                page.is_last,
            ));
        }
        assert_eq!(
            seen,
            vec![
                (1, 10, Some(3), Some(25), false),
                (2, 10, Some(3), Some(25), false),
                (3, 5, Some(3), Some(25), true),
            ]
        );
        let stats = pages.stats();
        assert_eq!((stats.requests, stats.pages, stats.items), (3, 3, 25));
        assert_eq!((stats.total_pages, stats.total_count), (Some(3), Some(25)));
        assert!(stats.complete);
        assert!(stats.drift.is_empty());
        assert!(pages.next().await.is_none(), "the stream stays ended");
    })
    .await;
}

#[tokio::test]
async fn an_empty_list_yields_one_empty_last_page() {
    bounded(async {
        let server = TestServer::start(Scenario::items(0)).await;
        let pages: Vec<Page<Tenant>> = server
            .client()
            .list_tenants()
            .paginate()
            .pages()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(pages.len(), 1);
        assert!(pages[0].items.is_empty() && pages[0].is_last);
        assert_eq!(pages[0].total_count, Some(0));
    })
    .await;
}

#[tokio::test]
async fn resume_from_page_k() {
    bounded(async {
        for concurrency in [1, 4] {
            let server = TestServer::start(Scenario::items(95)).await;
            let items = server
                .client()
                .list_tenants()
                .paginate()
                .page_size(10)
                .start_page(3)
                .concurrency(concurrency)
                .collect_all()
                .await
                .unwrap();
            assert_eq!(ids(&items), expected_ids(21..=95));
            let mut seen = server.requests();
            seen.sort_unstable();
            assert_eq!(seen, requests(3..=10, 10));
        }
    })
    .await;
}

#[tokio::test]
async fn resume_past_the_end_yields_nothing() {
    bounded(async {
        let server = TestServer::start(Scenario::items(15)).await;
        let items = server
            .client()
            .list_tenants()
            .paginate()
            .page_size(10)
            .start_page(5)
            .collect_all()
            .await
            .unwrap();
        assert!(items.is_empty());
        assert_eq!(server.requests(), vec![(5, 10)]);
    })
    .await;
}

#[tokio::test]
async fn max_pages_stops_without_an_error() {
    bounded(async {
        let server = TestServer::start(Scenario::items(95)).await;
        let client = server.client();
        let mut items = client
            .list_tenants()
            .paginate()
            .page_size(10)
            .max_pages(2)
            .concurrency(4)
            .items();
        let mut got = Vec::new();
        while let Some(item) = items.try_next().await.unwrap() {
            got.push(item);
        }
        assert_eq!(ids(&got), expected_ids(1..=20));
        let mut seen = server.requests();
        seen.sort_unstable();
        assert_eq!(seen, requests(1..=2, 10));
        assert!(!items.stats().complete);
    })
    .await;
}

#[tokio::test]
async fn a_page_number_that_does_not_advance_ends_the_walk() {
    bounded(async {
        for concurrency in [1, 4] {
            let mut scenario = Scenario::items(50);
            // Page 2 answers as if it were page 1 again (a server ignoring page_index).
            scenario.echo = Some((2, 1));
            let server = TestServer::start(scenario).await;
            let client = server.client();
            let mut pages = client
                .list_tenants()
                .paginate()
                .page_size(10)
                .concurrency(concurrency)
                .pages();
            assert_eq!(pages.try_next().await.unwrap().unwrap().index, 1);
            match pages.next().await {
                Some(Err(PagingError::NotAdvancing {
                    requested: 2,
                    returned: 1,
                })) => {}
                other => panic!("expected NotAdvancing, got {other:?}"),
            }
            assert!(
                pages.next().await.is_none(),
                "the stream ends after the error"
            );
            if concurrency == 1 {
                assert_eq!(server.requests(), requests(1..=2, 10));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_bare_array_that_repeats_a_page_ends_the_walk() {
    bounded(async {
        let mut scenario = Scenario::items(50);
        // Page 2 serves page 1's items again (a server ignoring page_index).
        scenario.echo = Some((2, 1));
        let server = TestServer::start(scenario).await;
        let client = server.client();
        let mut pages = client
            .list_materials()
            .location_id(1)
            .paginate()
            .page_size(10)
            .pages();
        assert_eq!(pages.try_next().await.unwrap().unwrap().index, 1);
        let next = pages.next().await;
        assert!(
            matches!(
                next,
                Some(Err(PagingError::NotAdvancing {
                    requested: 2,
                    returned: 1
                }))
            ),
            "{next:?}"
        );
        assert!(pages.next().await.is_none());
        assert_eq!(server.requests(), requests(1..=2, 10));
    })
    .await;
}

#[tokio::test]
async fn drift_is_a_warning_by_default_and_the_walk_follows_the_new_total() {
    bounded(async {
        for concurrency in [1, 4] {
            let mut scenario = Scenario::items(30);
            // From page 2 on the list has 10 more items (4 pages instead of 3).
            scenario.drift = Some((2, 10));
            let server = TestServer::start(scenario).await;
            let client = server.client();
            let mut pages = client
                .list_tenants()
                .paginate()
                .page_size(10)
                .concurrency(concurrency)
                .pages();
            let mut all = Vec::new();
            while let Some(page) = pages.try_next().await.unwrap() {
                all.push(page);
            }
            assert_eq!(
                all.iter().map(|p| p.index).collect::<Vec<_>>(),
                vec![1, 2, 3, 4]
            );
            assert!(all[0].drift.is_none());
            let drift = all[1].drift.expect("page 2 reports the drift");
            assert_eq!(drift.page_index, 2);
            assert_eq!(
                (drift.before.total_count, drift.after.total_count),
                (Some(30), Some(40))
            );
            assert_eq!(
                (drift.before.total_pages, drift.after.total_pages),
                (Some(3), Some(4))
            );
            assert!(all[2].drift.is_none() && all[3].drift.is_none());
            assert_eq!(pages.stats().drift, vec![drift]);
            assert!(pages.stats().complete);
            assert!(drift.to_string().contains("changed"));
            let mut seen = server.requests();
            seen.sort_unstable();
            assert_eq!(seen, requests(1..=4, 10), "x{concurrency}");
        }
    })
    .await;
}

#[tokio::test]
async fn drift_can_be_an_error() {
    bounded(async {
        let mut scenario = Scenario::items(30);
        scenario.drift = Some((2, -5));
        let server = TestServer::start(scenario).await;
        let client = server.client();
        let mut pages = client
            .list_tenants()
            .paginate()
            .page_size(10)
            .drift(DriftPolicy::Error)
            .pages();
        assert_eq!(pages.try_next().await.unwrap().unwrap().index, 1);
        match pages.next().await {
            Some(Err(PagingError::Drift(drift))) => {
                assert_eq!(drift.page_index, 2);
                assert_eq!(drift.after.total_count, Some(25));
            }
            other => panic!("expected a drift error, got {other:?}"),
        }
        assert!(pages.next().await.is_none());
        assert_eq!(pages.stats().drift.len(), 1);
        assert!(!pages.stats().complete);
    })
    .await;
}

#[tokio::test]
async fn an_error_mid_walk_is_yielded_then_the_stream_ends() {
    bounded(async {
        for concurrency in [1, 4] {
            let mut scenario = Scenario::items(50);
            scenario.error_on_page = Some(3);
            let server = TestServer::start(scenario).await;
            let client = server.client();
            let mut items = client
                .list_tenants()
                .paginate()
                .page_size(10)
                .concurrency(concurrency)
                .items();
            let mut got = Vec::new();
            let error = loop {
                match items.next().await {
                    Some(Ok(item)) => got.push(item),
                    Some(Err(error)) => break error,
                    None => panic!("the walk ended without the injected error"),
                }
            };
            assert_eq!(ids(&got), expected_ids(1..=20), "x{concurrency}");
            assert_eq!(error.page_index(), Some(3));
            assert!(matches!(error, PagingError::Request { page_index: 3, .. }));
            assert!(error.api_error().is_some());
            assert!(error.to_string().contains("page 3"), "{error}");
            assert!(items.next().await.is_none(), "nothing after the error");
            if concurrency == 1 {
                assert_eq!(server.requests(), requests(1..=3, 10));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn collect_all_returns_the_first_error() {
    bounded(async {
        let mut scenario = Scenario::items(50);
        scenario.error_on_page = Some(1);
        let server = TestServer::start(scenario).await;
        let error = server
            .client()
            .list_tenants()
            .paginate()
            .collect_all()
            .await
            .unwrap_err();
        assert!(matches!(error, PagingError::Request { page_index: 1, .. }));
    })
    .await;
}

#[tokio::test]
async fn bare_arrays_stop_at_a_short_or_empty_page() {
    bounded(async {
        // (items, pages requested): a full last page needs one more (empty) request.
        for (total, pages) in [(0, 1), (7, 1), (10, 2), (25, 3), (30, 4)] {
            for concurrency in [1, 4] {
                let server = TestServer::start(Scenario::items(total)).await;
                let client = server.client();
                let items = client
                    .list_materials()
                    .location_id(1)
                    .paginate()
                    .page_size(10)
                    .concurrency(concurrency)
                    .collect_all()
                    .await
                    .unwrap();
                let got: Vec<u64> = items.iter().map(|m| m.id as u64).collect();
                assert_eq!(got, expected_ids(1..=total));
                // No totals, so never prefetched: the same sequence either way.
                assert_eq!(
                    server.requests(),
                    requests(1..=pages, 10),
                    "total {total} x{concurrency}"
                );
                assert!(server.paths().iter().all(|p| p == "/locations/1/materials"));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn bare_array_pages_have_no_totals() {
    bounded(async {
        let server = TestServer::start(Scenario::items(15)).await;
        let client = server.client();
        let pages: Vec<Page<cro_api::types::MaterialModel>> = client
            .list_materials()
            .location_id(1)
            .paginate()
            .page_size(10)
            .pages()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(
            (pages[0].total_pages, pages[0].total_count, pages[0].limit),
            (None, None, 10)
        );
        assert!(!pages[0].is_last && pages[1].is_last);
    })
    .await;
}

#[tokio::test]
async fn more_pages_than_page_index_allows_is_an_error_up_front() {
    bounded(async {
        let server = TestServer::start(Scenario::items(10_001)).await;
        let client = server.client();
        let mut pages = client.list_tenants().paginate().page_size(1).pages();
        match pages.next().await {
            Some(Err(
                error @ PagingError::PageCeiling {
                    page_limit: 1,
                    total_pages: Some(10_001),
                },
            )) => {
                assert!(error.to_string().contains("10000"), "{error}");
            }
            other => panic!("expected PageCeiling, got {other:?}"),
        }
        assert!(pages.next().await.is_none());
        assert_eq!(server.requests(), vec![(1, 1)]);
    })
    .await;
}

#[tokio::test]
async fn a_bare_array_reaching_the_ceiling_yields_its_pages_then_the_error() {
    bounded(async {
        let server = TestServer::start(Scenario::items(20_000)).await;
        let client = server.client();
        let mut pages = client
            .list_materials()
            .location_id(1)
            .paginate()
            .page_size(1)
            .start_page(9_999)
            .pages();
        assert_eq!(pages.try_next().await.unwrap().unwrap().index, 9_999);
        assert_eq!(pages.try_next().await.unwrap().unwrap().index, 10_000);
        assert!(matches!(
            pages.next().await,
            Some(Err(PagingError::PageCeiling {
                total_pages: None,
                ..
            }))
        ));
        assert!(pages.next().await.is_none());
        assert_eq!(server.requests(), vec![(9_999, 1), (10_000, 1)]);
    })
    .await;
}

#[tokio::test]
async fn invalid_options_fail_before_sending() {
    bounded(async {
        let server = TestServer::start(Scenario::items(5)).await;
        let client = server.client();
        let cases = [
            client.list_tenants().paginate().page_size(0),
            client.list_tenants().paginate().page_size(1001),
            client.list_tenants().paginate().start_page(0),
            client.list_tenants().paginate().start_page(10_001),
            client.list_tenants().paginate().concurrency(0),
            client.list_tenants().paginate().concurrency(17),
            client.list_tenants().paginate().max_pages(0),
        ];
        for paginator in cases {
            let error = paginator.collect_all().await.unwrap_err();
            assert!(
                matches!(error, PagingError::InvalidOptions { .. }),
                "{error}"
            );
            assert!(error.is_local());
        }
        assert!(server.requests().is_empty());
        // The bounds themselves are fine.
        let ok = client
            .list_tenants()
            .paginate()
            .page_size(1000)
            .concurrency(16)
            .collect_all()
            .await;
        assert_eq!(ok.unwrap().len(), 5);
    })
    .await;
}

#[tokio::test]
async fn preflight_refuses_before_sending() {
    bounded(async {
        let server = TestServer::start(Scenario::items(5)).await;
        let client = server.client();
        let public: RoleSet = "Public".parse().unwrap();
        let error = client
            .list_tenants()
            .paginate()
            .preflight(&public)
            .collect_all()
            .await
            .unwrap_err();
        assert!(matches!(error, PagingError::Preflight(_)), "{error}");
        assert!(error.to_string().contains("list_tenants"), "{error}");
        assert!(server.requests().is_empty());

        let dispatcher: RoleSet = "Dispatcher".parse().unwrap();
        let items = client
            .list_tenants()
            .paginate()
            .preflight(&dispatcher)
            .collect_all()
            .await
            .unwrap();
        assert_eq!(items.len(), 5);
    })
    .await;
}
