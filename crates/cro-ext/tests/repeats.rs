//! Walks that would silently repeat or lose items: a record served twice, impossible totals,
//! short pages. Typed and raw requests, envelope and bare-array lists, each against a local
//! server (`support`).

mod support;

use std::collections::HashMap;

use cro_api::meta::Operation;
use cro_ext::paging::{Paginate, PagingError, RepeatPolicy, WalkStats};
use cro_ext::{Params, RawItem, RawListRequest};
use futures::TryStreamExt;
use serde_json::Value;
use support::{Scenario, TestServer, bounded};

fn raw<'c>(client: &'c cro_api::Client, id: &str) -> RawListRequest<'c> {
    let op = Operation::find(id).expect("operation in the table");
    let params: Params = if op.path_params.is_empty() {
        Params::new()
    } else {
        [("location_id".to_owned(), "1".to_owned())].into()
    };
    RawListRequest::new(client, op, &params).expect("valid request")
}

fn raw_ids(items: &[RawItem]) -> Vec<u64> {
    items
        .iter()
        .map(|item| {
            let v: Value = serde_json::from_slice(item.as_bytes()).expect("item is JSON");
            v["id"].as_u64().expect("numeric id")
        })
        .collect()
}

/// 25 items in pages of 10; from page 2 on, pages start 3 items early (rows inserted ahead).
fn shifted() -> Scenario {
    Scenario {
        shift: Some((2, 3)),
        ..Scenario::items(25)
    }
}

fn assert_repeat(result: Result<impl std::fmt::Debug, PagingError>, what: &str) {
    match result {
        Err(PagingError::Repeat {
            id,
            first_page,
            page_index,
        }) => {
            assert_eq!(
                (id.as_str(), first_page, page_index),
                ("id 8", 1, 2),
                "{what}"
            );
        }
        other => panic!("{what}: expected a repeat error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_record_served_twice_ends_every_kind_of_walk() {
    bounded(async {
        let server = TestServer::start(shifted()).await;
        let client = server.client();

        let typed = client.list_tenants().paginate().page_size(10).collect_all();
        let error = typed.await.expect_err("typed envelope walk fails");
        let message = error.to_string();
        assert!(
            message.contains("id 8") && message.contains("page 1") && message.contains("page 2"),
            "{message}"
        );
        assert_eq!(error.page_index(), Some(2));
        assert_repeat(Err::<(), _>(error), "typed envelope");

        let raw_walk = raw(&client, "list_tenants").paginate().page_size(10);
        assert_repeat(raw_walk.collect_all().await, "raw envelope");

        let typed = client.list_materials().location_id(1).paginate();
        assert_repeat(typed.page_size(10).collect_all().await, "typed bare array");

        let raw_walk = raw(&client, "list_materials").paginate().page_size(10);
        assert_repeat(raw_walk.collect_all().await, "raw bare array");

        // With prefetch too (the check runs as pages are yielded, in order).
        let raw_walk = raw(&client, "list_tenants").paginate().page_size(10);
        assert_repeat(raw_walk.concurrency(4).collect_all().await, "prefetch");
    })
    .await;
}

#[tokio::test]
async fn skip_yields_each_record_once_and_counts_the_rest() {
    bounded(async {
        let server = TestServer::start(shifted()).await;
        let client = server.client();
        let mut items = raw(&client, "list_tenants")
            .paginate()
            .page_size(10)
            .repeats(RepeatPolicy::Skip)
            .items();
        let mut all = Vec::new();
        while let Some(item) = items.try_next().await.expect("walk succeeds") {
            all.push(item);
        }
        assert_eq!(raw_ids(&all), (1..=25).collect::<Vec<u64>>());
        let stats = items.stats();
        assert_eq!((stats.items, stats.repeats, stats.unkeyed), (25, 3, 0));
        assert!(stats.complete);
        assert_eq!(stats.keys_tracked, 25);
        assert!(stats.key_memory_bytes >= 25 * 10);

        // Off: no tracking at all, the repeats go through.
        let all = raw(&client, "list_tenants")
            .paginate()
            .page_size(10)
            .repeats(RepeatPolicy::Off)
            .collect_all()
            .await
            .expect("walk succeeds");
        assert_eq!(all.len(), 28);
    })
    .await;
}

#[tokio::test]
async fn a_clean_list_passes_and_items_without_a_key_are_counted() {
    bounded(async {
        let server = TestServer::start(Scenario::items(95)).await;
        let client = server.client();
        let mut pages = client
            .list_tenants()
            .paginate()
            .page_size(10)
            .concurrency(3)
            .pages();
        while pages.try_next().await.expect("no false repeat").is_some() {}
        let stats: WalkStats = pages.stats();
        assert_eq!(
            (stats.items, stats.repeats, stats.keys_tracked),
            (95, 0, 95)
        );
        assert!(
            stats.short_pages.is_empty(),
            "the last page is short by design"
        );

        let body = r#"{"current_page":1,"current_limit":10,"total_pages":1,"total_count":3,
            "results":[{"name":"a"},{"name":"a"},{"id":null}]}"#;
        server.reset(Scenario {
            raw_bodies: HashMap::from([(1, body.to_owned())]),
            ..Scenario::items(3)
        });
        let mut items = raw(&client, "list_tenants")
            .paginate()
            .page_size(10)
            .items();
        while items
            .try_next()
            .await
            .expect("unkeyed items pass")
            .is_some()
        {}
        assert_eq!(items.stats().unkeyed, 3);
    })
    .await;
}

fn envelope(page: u32, pages: &str, count: &str, ids: impl IntoIterator<Item = u32>) -> String {
    let results: Vec<String> = ids
        .into_iter()
        .map(|id| format!("{{\"id\":{id}}}"))
        .collect();
    format!(
        "{{\"current_page\":{page},\"current_limit\":10,\"total_pages\":{pages},\
         \"total_count\":{count},\"results\":[{}]}}",
        results.join(",")
    )
}

#[tokio::test]
async fn impossible_totals_are_errors() {
    bounded(async {
        let server = TestServer::start(Scenario::items(0)).await;
        let client = server.client();
        for (pages, count, expected) in [
            ("1", "-5", "total_count = -5"),
            ("-1", "5", "total_pages = -1"),
            (
                "7",
                "25",
                "total_pages = 7, but total_count = 25 at page_limit 10 makes 3",
            ),
            ("0", "25", "makes 3 pages"),
        ] {
            server.reset(Scenario {
                raw_bodies: HashMap::from([(1, envelope(1, pages, count, 1..=10))]),
                ..Scenario::items(0)
            });
            let raw_result = raw(&client, "list_tenants")
                .paginate()
                .page_size(10)
                .collect_all()
                .await;
            match raw_result {
                Err(e @ PagingError::ImpossibleTotals { page_index: 1, .. }) => {
                    assert!(e.to_string().contains(expected), "{e}");
                }
                other => panic!("{pages}/{count}: {other:?}"),
            }
        }
        // The typed walk reads the same numbers (its envelope integers are signed).
        server.reset(Scenario {
            raw_bodies: HashMap::from([(
                1,
                r#"{"current_page":1,"current_limit":10,"total_pages":1,"total_count":-2,
                    "results":[]}"#
                    .to_owned(),
            )]),
            ..Scenario::items(0)
        });
        let typed = client.list_tenants().paginate().page_size(10).collect_all();
        assert!(
            matches!(typed.await, Err(PagingError::ImpossibleTotals { .. })),
            "typed"
        );
        // An empty list reported as 0 or 1 page is fine.
        for pages in ["0", "1"] {
            server.reset(Scenario {
                raw_bodies: HashMap::from([(1, envelope(1, pages, "0", []))]),
                ..Scenario::items(0)
            });
            let walk = raw(&client, "list_tenants").paginate().collect_all();
            assert_eq!(walk.await.expect("empty list").len(), 0);
        }
    })
    .await;
}

#[tokio::test]
async fn short_pages_are_reported() {
    bounded(async {
        // Page 2 of 3 holds 5 items: reported, the walk goes on (the count check is the
        // caller's).
        let server = TestServer::start(Scenario {
            raw_bodies: HashMap::from([
                (1, envelope(1, "3", "25", 1..=10)),
                (2, envelope(2, "3", "25", 11..=15)),
                (3, envelope(3, "3", "25", 21..=25)),
            ]),
            ..Scenario::items(25)
        })
        .await;
        let client = server.client();
        let mut pages = raw(&client, "list_tenants")
            .paginate()
            .page_size(10)
            .pages();
        while pages.try_next().await.expect("walk").is_some() {}
        let stats = pages.stats();
        assert_eq!(stats.items, 20);
        assert_eq!(stats.short_pages.len(), 1, "{:?}", stats.short_pages);
        let short = stats.short_pages[0];
        assert_eq!(
            (
                short.page_index,
                short.items,
                short.limit,
                short.total_pages
            ),
            (2, 5, 10, Some(3))
        );
        assert!(short.to_string().contains("missing"), "{short}");

        // No totals: the walk ends at the short page, and says so.
        server.reset(Scenario {
            raw_bodies: HashMap::from([(1, envelope(1, "null", "null", 1..=4))]),
            ..Scenario::items(0)
        });
        let mut pages = raw(&client, "list_tenants")
            .paginate()
            .page_size(10)
            .pages();
        while pages.try_next().await.expect("walk").is_some() {}
        let stats = pages.stats();
        assert_eq!((stats.items, stats.complete), (4, true));
        assert_eq!(stats.short_pages.len(), 1);
        assert_eq!(stats.short_pages[0].total_pages, None);
        assert!(
            stats.short_pages[0].to_string().contains("no totals"),
            "{}",
            stats.short_pages[0]
        );

        // Bare arrays end at a short page by design: nothing to report.
        server.reset(Scenario::items(25));
        let mut pages = raw(&client, "list_materials")
            .paginate()
            .page_size(10)
            .pages();
        while pages.try_next().await.expect("walk").is_some() {}
        assert!(pages.stats().short_pages.is_empty());
    })
    .await;
}
