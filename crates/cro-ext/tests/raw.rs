//! `RawListRequest`: the same walks as the typed requests, items passed through byte for byte.

mod support;

use std::collections::HashMap;

use cro_api::meta::Operation;
use cro_ext::paging::{DriftPolicy, Paginate, PagingError};
use cro_ext::{PageStyle, PagedRequest, ParamError, Params, RawItem, RawListRequest};
use futures::TryStreamExt;
use serde_json::Value;
use support::{Scenario, TestServer, bounded};

fn op(id: &str) -> &'static Operation {
    Operation::find(id).expect("operation in the table")
}

fn tenants(client: &cro_api::Client) -> RawListRequest<'_> {
    RawListRequest::new(client, op("list_tenants"), &Params::new()).expect("valid request")
}

fn materials(client: &cro_api::Client) -> RawListRequest<'_> {
    let params: Params = [("location_id".to_owned(), " 1 ".to_owned())].into();
    RawListRequest::new(client, op("list_materials"), &params).expect("valid request")
}

fn ids(items: &[RawItem]) -> Vec<u64> {
    items
        .iter()
        .map(|item| {
            let v: Value = serde_json::from_slice(item.as_bytes()).expect("item is JSON");
            v["id"].as_u64().expect("numeric id")
        })
        .collect()
}

/// The walk statistics carry the client's limiter figures.
#[tokio::test]
async fn walk_stats_report_the_clients_limit() {
    bounded(async {
        let server = TestServer::start(Scenario::items(95)).await;
        let client = cro_api::Client::builder()
            .base_url(server.base_url.clone())
            .token("test-token")
            .check_token_shape(false)
            .tenant_id(7)
            .build()
            .expect("client");
        let mut pages = tenants(&client)
            .paginate()
            .page_size(10)
            .concurrency(4)
            .pages();
        while pages.try_next().await.expect("walk").is_some() {}
        let stats = pages.stats();
        assert!(stats.complete);
        let limit = stats.limit.expect("the raw request exposes its client");
        assert!((2..=32).contains(&limit), "{limit}");
        assert_eq!(stats.throttled, 0);
        assert_eq!(client.throttle_stats().unwrap().throttles, 0);
    })
    .await;
}

#[tokio::test]
async fn envelope_walk_matches_the_typed_walk() {
    bounded(async {
        let mut scenario = Scenario::items(95);
        // Early pages slow, so that prefetched later pages complete first.
        scenario.delays_ms = HashMap::from([(2, 60), (3, 30)]);
        let server = TestServer::start(scenario.clone()).await;
        let client = server.client();
        let request = tenants(&client);
        assert_eq!(request.operation_id(), "list_tenants");
        assert_eq!(request.style(), PageStyle::Envelope);

        let typed = client
            .list_tenants()
            .paginate()
            .page_size(10)
            .concurrency(4)
            .collect_all()
            .await
            .expect("typed walk");
        let mut typed_requests = server.requests();
        server.reset(scenario);

        let mut pages = request.paginate().page_size(10).concurrency(4).pages();
        let mut raw = Vec::new();
        while let Some(page) = pages.try_next().await.expect("raw walk") {
            raw.extend(page.items);
        }
        let stats = pages.stats();
        assert!(stats.complete);
        assert_eq!((stats.items, stats.total_count), (95, Some(95)));
        // This client has retries (and so the limiter) off: no limit to report.
        assert_eq!(stats.limit, None);
        assert_eq!(ids(&raw), (1..=95).collect::<Vec<_>>());
        assert_eq!(typed.len(), raw.len());
        // Same records: the typed model holds every field the test server sends.
        for (t, r) in typed.iter().zip(&raw) {
            let r: Value = serde_json::from_slice(r.as_bytes()).unwrap();
            assert_eq!(r["id"].as_i64(), Some(t.id));
            assert!(r["truck_limit"].is_null(), "null optionals are kept");
        }
        let mut raw_requests = server.requests();
        typed_requests.sort_unstable();
        raw_requests.sort_unstable();
        assert_eq!(raw_requests, typed_requests, "same pages requested");
        assert!(server.max_in_flight() > 1, "pages were fetched ahead");
    })
    .await;
}

#[tokio::test]
async fn bare_array_walk_stops_at_the_short_page() {
    bounded(async {
        let server = TestServer::start(Scenario::items(25)).await;
        let client = server.client();
        let request = materials(&client);
        assert_eq!(request.style(), PageStyle::BareArray);
        let items = request
            .paginate()
            .page_size(10)
            .concurrency(4)
            .collect_all()
            .await
            .expect("walk");
        assert_eq!(ids(&items), (1..=25).collect::<Vec<_>>());
        assert_eq!(server.requests(), vec![(1, 10), (2, 10), (3, 10)]);
        assert_eq!(server.paths()[0], "/locations/1/materials");
    })
    .await;
}

#[tokio::test]
async fn items_are_the_exact_bytes_sent() {
    bounded(async {
        let first = r#"{"id":1,"truck_limit":null,"not_in_the_spec":{"z":[1,2.50e0,"\u00e9\n"]}}"#;
        let second = "{ \"name\" : \"caf\u{e9}\",\n  \"id\":2 }";
        let body = format!(
            "{{\"current_page\":1, \"current_limit\":10,\"total_pages\":1,\"total_count\":2,\
             \"future_field\":[],\"results\":[ {first} ,\n{second}]}}"
        );
        let mut scenario = Scenario::items(2);
        scenario.raw_bodies = HashMap::from([(1, body)]);
        let server = TestServer::start(scenario).await;
        let client = server.client();
        let items = tenants(&client)
            .paginate()
            .page_size(10)
            .collect_all()
            .await
            .expect("walk");
        let bytes: Vec<&[u8]> = items.iter().map(RawItem::as_bytes).collect();
        assert_eq!(bytes, [first.as_bytes(), second.as_bytes()]);
        // serde_json serializers write the item verbatim.
        assert_eq!(serde_json::to_string(&items[0]).unwrap(), first);

        // Bare arrays too.
        let mut scenario = Scenario::items(2);
        scenario.raw_bodies = HashMap::from([(1, format!("[{first},{second}]"))]);
        server.reset(scenario);
        let items = materials(&client)
            .paginate()
            .page_size(10)
            .collect_all()
            .await
            .expect("walk");
        let bytes: Vec<&[u8]> = items.iter().map(RawItem::as_bytes).collect();
        assert_eq!(bytes, [first.as_bytes(), second.as_bytes()]);
    })
    .await;
}

#[tokio::test]
async fn a_malformed_page_is_a_decode_error() {
    bounded(async {
        let server = TestServer::start(Scenario::items(0)).await;
        let client = server.client();
        for (style, body) in [
            (
                PageStyle::Envelope,
                r#"{"current_page":2,"results":[{"id":11},"#,
            ),
            (
                PageStyle::Envelope,
                r#"{"current_page":2,"total_count":30}"#,
            ),
            (PageStyle::Envelope, "<html>proxy error</html>"),
            (PageStyle::BareArray, r#"[{"id":11}] trailing"#),
            (PageStyle::BareArray, r#"{"results":[]}"#),
        ] {
            let mut scenario = Scenario::items(30);
            scenario.raw_bodies = HashMap::from([(2, body.to_owned())]);
            server.reset(scenario);
            let request = match style {
                PageStyle::Envelope => tenants(&client),
                PageStyle::BareArray => materials(&client),
            };
            let result = request.paginate().page_size(10).collect_all().await;
            match result {
                Err(PagingError::Request {
                    page_index: 2,
                    source: source @ cro_api::Error::Decode(_),
                }) => {
                    let message = source.to_string();
                    assert!(message.contains("decode"), "{message}");
                }
                other => panic!("{body}: expected a decode error on page 2, got {other:?}"),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn stop_rules_and_errors_still_apply() {
    bounded(async {
        let server = TestServer::start(Scenario::items(0)).await;
        let client = server.client();

        // A page that does not advance.
        let mut scenario = Scenario::items(30);
        scenario.echo = Some((2, 1));
        server.reset(scenario.clone());
        let result = tenants(&client)
            .paginate()
            .page_size(10)
            .collect_all()
            .await;
        assert!(
            matches!(
                result,
                Err(PagingError::NotAdvancing {
                    requested: 2,
                    returned: 1
                })
            ),
            "{result:?}"
        );
        // A bare array repeating a page (compared by content, as for typed items).
        server.reset(scenario);
        let result = materials(&client)
            .paginate()
            .page_size(10)
            .collect_all()
            .await;
        assert!(
            matches!(result, Err(PagingError::NotAdvancing { requested: 2, .. })),
            "{result:?}"
        );

        // Drift, as an error.
        let mut scenario = Scenario::items(30);
        scenario.drift = Some((2, -5));
        server.reset(scenario);
        let result = tenants(&client)
            .paginate()
            .page_size(10)
            .drift(DriftPolicy::Error)
            .collect_all()
            .await;
        assert!(matches!(result, Err(PagingError::Drift(_))), "{result:?}");

        // An error status is the typed API error.
        let mut scenario = Scenario::items(30);
        scenario.error_on_page = Some(2);
        server.reset(scenario);
        let result = tenants(&client)
            .paginate()
            .page_size(10)
            .collect_all()
            .await;
        match result {
            Err(PagingError::Request {
                page_index: 2,
                source,
            }) => {
                assert!(source.is_bad_request(), "{source:?}");
                assert_eq!(source.detail(), Some("injected failure"));
            }
            other => panic!("expected a 400 on page 2, got {other:?}"),
        }

        // max_pages ends the walk early without an error, an empty list after one request.
        server.reset(Scenario::items(30));
        let items = tenants(&client)
            .paginate()
            .page_size(10)
            .max_pages(2)
            .collect_all()
            .await
            .expect("walk");
        assert_eq!(ids(&items), (1..=20).collect::<Vec<_>>());
        server.reset(Scenario::items(0));
        let items = tenants(&client)
            .paginate()
            .collect_all()
            .await
            .expect("walk");
        assert!(items.is_empty());
        assert_eq!(server.requests().len(), 1);
    })
    .await;
}

#[test]
fn parameters_are_validated_like_the_typed_registry() {
    let client = support::client_for("http://127.0.0.1:9");
    let err = RawListRequest::new(&client, op("list_materials"), &Params::new()).unwrap_err();
    assert!(
        matches!(err, ParamError::MissingPathParameter { .. }),
        "{err}"
    );
    let params: Params = [("location_id".to_owned(), "x".to_owned())].into();
    let err = RawListRequest::new(&client, op("list_materials"), &params).unwrap_err();
    assert!(matches!(err, ParamError::InvalidValue { .. }), "{err}");
    let params: Params = [("page_limit".to_owned(), "5".to_owned())].into();
    let err = RawListRequest::new(&client, op("list_tenants"), &params).unwrap_err();
    assert!(matches!(err, ParamError::PagingParameter { .. }), "{err}");
    let err = RawListRequest::from_operation_id(&client, "get_tenant", &Params::new()).unwrap_err();
    assert!(
        matches!(
            err,
            ParamError::NotPaged { .. } | ParamError::UnknownOperation { .. }
        ),
        "{err}"
    );
    let err = RawListRequest::from_operation_id(&client, "nope", &Params::new()).unwrap_err();
    assert!(matches!(err, ParamError::UnknownOperation { .. }), "{err}");
}
