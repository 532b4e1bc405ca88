//! The blocking iterators (feature `blocking`) give what the streams give.

#![cfg(feature = "blocking")]

mod support;

use cro_ext::paging::{Paginate, PagingError};
use cro_ext::{PagedRequest, PagedVisitor, Params, with_paged_request};
use futures::TryStreamExt;
use support::{Scenario, TestServer, bounded, client_for, in_worker};

fn ids(tenants: &[cro_api::types::TenantModel]) -> Vec<i64> {
    tenants.iter().map(|t| t.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_items_match_the_stream_outside_any_runtime() {
    bounded(async {
        let server = TestServer::start(Scenario::items(95)).await;
        let streamed = server
            .client()
            .list_tenants()
            .paginate()
            .page_size(10)
            .collect_all()
            .await
            .unwrap();

        // A plain thread with no runtime: the iterator brings its own.
        let base_url = server.base_url.clone();
        let blocking = tokio::task::spawn_blocking(move || {
            std::thread::spawn(move || {
                let client = client_for(&base_url);
                let items: Result<Vec<_>, PagingError> = client
                    .list_tenants()
                    .paginate()
                    .page_size(10)
                    .blocking_items()
                    .collect();
                items.unwrap()
            })
            .join()
            .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(ids(&blocking), ids(&streamed));
        assert_eq!(ids(&blocking), (1..=95).collect::<Vec<_>>());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_items_work_inside_a_multi_thread_runtime() {
    let server = TestServer::start(Scenario::items(25)).await;
    let client = server.client();
    // Called from an async task on a worker: block_in_place keeps the runtime going.
    let items: Vec<_> = in_worker(move || {
        client
            .list_tenants()
            .paginate()
            .page_size(10)
            .concurrency(3)
            .blocking_items()
            .collect::<Result<_, _>>()
            .unwrap()
    })
    .await;
    assert_eq!(ids(&items), (1..=25).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_pages_and_errors_end_the_iterator() {
    let mut scenario = Scenario::items(50);
    scenario.error_on_page = Some(3);
    let server = TestServer::start(scenario).await;
    let client = server.client();
    in_worker(move || {
        let mut pages = client
            .list_tenants()
            .paginate()
            .page_size(10)
            .blocking_pages();
        assert_eq!(pages.next().unwrap().unwrap().index, 1);
        assert_eq!(pages.next().unwrap().unwrap().index, 2);
        assert!(matches!(
            pages.next(),
            Some(Err(PagingError::Request { page_index: 3, .. }))
        ));
        assert!(pages.next().is_none());
        assert_eq!(pages.stats().pages, 2);
    })
    .await;
    assert_eq!(server.requests(), vec![(1, 10), (2, 10), (3, 10)]);
}

/// How a caller that knows the operation only at run time (the CLI) walks it: the request
/// borrows the client, so the walk is consumed inside `visit`.
struct CollectJson;

impl PagedVisitor for CollectJson {
    type Output = Result<Vec<serde_json::Value>, PagingError>;

    fn visit<R: PagedRequest>(self, request: R) -> Self::Output {
        request
            .paginate()
            .page_size(10)
            .blocking_items()
            .map(|item| item.map(|item| serde_json::to_value(item).unwrap()))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_time_operations_walk_through_a_visitor() {
    let server = TestServer::start(Scenario::items(23)).await;
    let client = server.client();
    let (tenants, materials) = in_worker(move || {
        let tenants = with_paged_request(&client, "list_tenants", &Params::new(), CollectJson);
        let params = Params::from([("location_id".to_owned(), "1".to_owned())]);
        let materials = with_paged_request(&client, "list_materials", &params, CollectJson);
        (tenants.unwrap().unwrap(), materials.unwrap().unwrap())
    })
    .await;
    let got: Vec<i64> = tenants.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(got, (1..=23).collect::<Vec<_>>());
    assert_eq!(materials.len(), 23);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_and_the_iterator_agree_on_faulty_lists_too() {
    let mut scenario = Scenario::items(40);
    scenario.drift = Some((3, 7));
    let server = TestServer::start(scenario).await;
    let client = server.client();
    let streamed: Vec<_> = bounded(
        client
            .list_tenants()
            .paginate()
            .page_size(10)
            .items()
            .try_collect(),
    )
    .await
    .unwrap();
    let blocking: Vec<_> = in_worker(move || {
        client
            .list_tenants()
            .paginate()
            .page_size(10)
            .blocking_items()
            .collect::<Result<_, _>>()
            .unwrap()
    })
    .await;
    assert_eq!(ids(&streamed), ids(&blocking));
    assert_eq!(ids(&blocking), (1..=47).collect::<Vec<_>>());
}
