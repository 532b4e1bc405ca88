//! Property tests of cro-ext's decoders and validators: errors, never panics, never hangs.
//!
//! - Page walks ([`cro_ext::Paginate`]) over answers with arbitrary paging numbers (negative,
//!   huge, fractional, strings, null, echoing or not the requested page), arbitrary items and
//!   arbitrary bytes, for both paging styles (envelope: `list_customers`; bare array:
//!   `list_materials`). The answers come from a raw HTTP/1.1 server on 127.0.0.1:0 that
//!   renders each request's answer from the case. Every walk is bounded (`max_pages`, and a
//!   deadline whose expiry fails the case: a hang is a bug too).
//! - [`cro_ext::with_paged_request`] with arbitrary operation ids and textual parameters.
//! - Webhook signatures with arbitrary secrets, bodies and header values; role and event
//!   names from arbitrary text.
//!
//! 64 cases per property (`CRO_PROPTEST_CASES=N` for a longer hunt).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cro_ext::webhooks::{sign, verify_signature};
use cro_ext::{
    HookEvent, PagedRequest, PagedVisitor, Paginate, Params, Role, RoleSet, with_paged_request,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest a bounded walk may take before the case fails as a hang.
const WALK_DEADLINE: Duration = Duration::from_secs(20);
/// Pages a walk may fetch (keeps every case a handful of requests).
const MAX_PAGES: u32 = 6;

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9wdGVzdCJ9.c2VjcmV0LXNpZ25hdHVyZQ";

/// One customer as the API returns it.
const CUSTOMER: &str = r#"{"account_number_1":"AC-1","account_number_2":null,"addresses":[],"contacts":[],"created_on":"2021-05-22T02:41:12.395376","id":12001,"is_active":true,"is_commercial":false,"last_updated_on":"2021-11-06T19:48:05.870369","location_id":1,"name":"Karen Brown","note":null,"parent_id":null,"reference_number":"7000","renewal_date":null,"sales_rep":null,"sales_rep_id":null,"suspension_id":null}"#;

fn cases() -> u32 {
    std::env::var("CRO_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

// -------------------------------------------------------------------------------------------
// A raw HTTP/1.1 server whose answers are rendered per request by the current case

/// Renders the body of the answer to a request for `page_index`.
type Render = Box<dyn Fn(Option<u64>) -> Vec<u8> + Send + Sync>;

struct RawServer {
    base_url: String,
    render: Arc<Mutex<Render>>,
}

impl RawServer {
    async fn start() -> RawServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
        let render: Arc<Mutex<Render>> = Arc::new(Mutex::new(Box::new(|_| b"[]".to_vec())));
        let shared = render.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let render = shared.clone();
                tokio::spawn(async move {
                    let Some(page_index) = read_request(&mut socket).await else {
                        return;
                    };
                    let body = match render.lock() {
                        Ok(r) => r(page_index),
                        Err(_) => return,
                    };
                    let mut answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    answer.extend_from_slice(&body);
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                    let mut sink = [0u8; 1024];
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
                    })
                    .await;
                });
            }
        });
        RawServer { base_url, render }
    }

    fn serve(&self, render: Render) {
        if let Ok(mut r) = self.render.lock() {
            *r = render;
        }
    }
}

/// Reads a GET request's head; returns its `page_index` query value (`Some(None)` when
/// absent), `None` on a broken connection.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Option<u64>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > 1 << 20 {
            return None;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head.split_whitespace().nth(1).unwrap_or_default();
    let page = target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("page_index="))
        .and_then(|v| v.parse().ok());
    Some(page)
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    server: RawServer,
    client: cro_api::Client,
    /// The properties run on parallel test threads but share the server.
    lock: Mutex<()>,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime.block_on(RawServer::start());
        let client = cro_api::Client::builder()
            .base_url(server.base_url.clone())
            .token(TOKEN)
            .tenant_id(34)
            .retry_policy(cro_api::RetryPolicy::disabled())
            .request_timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        Harness {
            runtime,
            server,
            client,
            lock: Mutex::new(()),
        }
    })
}

/// Walks `operation_id` (at most [`MAX_PAGES`] pages, `concurrency` in flight) against
/// answers rendered by `render`; returns the number of items or the error's text.
fn walk(
    operation_id: &str,
    concurrency: usize,
    render: Render,
) -> Result<Result<usize, String>, TestCaseError> {
    /// Runs the walk inside `visit` (the request borrows the client, so it cannot leave).
    struct Walk {
        concurrency: usize,
        runtime: &'static tokio::runtime::Runtime,
    }
    impl PagedVisitor for Walk {
        /// `None` when the walk did not end before the deadline.
        type Output = Option<Result<usize, String>>;
        fn visit<R: PagedRequest>(self, request: R) -> Self::Output {
            let walk = request
                .paginate()
                .page_size(10)
                .concurrency(self.concurrency)
                .max_pages(MAX_PAGES)
                .collect_all();
            self.runtime
                .block_on(async { tokio::time::timeout(WALK_DEADLINE, walk).await })
                .ok()
                .map(|r| r.map(|items| items.len()).map_err(|e| e.to_string()))
        }
    }
    let h = harness();
    let _guard = h.lock.lock().unwrap_or_else(|p| p.into_inner());
    h.server.serve(render);
    let visitor = Walk {
        concurrency,
        runtime: &h.runtime,
    };
    // Path parameters a walk needs (list_materials is per location).
    let params: Params = [("location_id".to_owned(), "1".to_owned())]
        .into_iter()
        .filter(|_| operation_id == "list_materials")
        .collect();
    let outcome = with_paged_request(&h.client, operation_id, &params, visitor)
        .map_err(|e| TestCaseError::fail(format!("no parameters needed: {e}")))?;
    let Some(result) = outcome else {
        return Err(TestCaseError::fail(format!(
            "{operation_id}: the walk did not end within {WALK_DEADLINE:?}"
        )));
    };
    if let Err(text) = &result {
        prop_assert!(!text.is_empty());
        prop_assert!(!text.contains(TOKEN), "token in error: {}", text);
    }
    Ok(result)
}

// -------------------------------------------------------------------------------------------
// Strategies

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(".{0,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Paging numbers, from plausible to hostile.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..12).prop_map(Value::from),
        prop::sample::select(vec![
            json!(-1),
            json!(0),
            json!(10_000),
            json!(10_001),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!(1e300),
            json!("3"),
            Value::Null,
        ]),
    ]
}

/// How `current_page` is answered.
#[derive(Debug, Clone)]
enum CurrentPage {
    /// The requested `page_index` (a well-behaved server).
    Echo,
    /// The requested `page_index` plus this.
    Offset(i64),
    /// Always this value.
    Fixed(Value),
}

/// An envelope answer: paging numbers and the items of every page.
#[derive(Debug, Clone)]
struct Envelope {
    current_page: CurrentPage,
    current_limit: Value,
    total_pages: Value,
    total_count: Value,
    results: Vec<Value>,
    drop_key: Option<usize>,
}

fn envelope() -> impl Strategy<Value = Envelope> {
    let customer: Value = serde_json::from_str(CUSTOMER).expect("CUSTOMER is JSON");
    let item = prop_oneof![3 => Just(customer), 1 => json_value()];
    (
        prop_oneof![
            3 => Just(CurrentPage::Echo),
            1 => (-2i64..3).prop_map(CurrentPage::Offset),
            1 => number().prop_map(CurrentPage::Fixed),
        ],
        number(),
        number(),
        number(),
        prop::collection::vec(item, 0..12),
        prop::option::weighted(0.2, 0usize..5),
    )
        .prop_map(
            |(current_page, current_limit, total_pages, total_count, results, drop_key)| Envelope {
                current_page,
                current_limit,
                total_pages,
                total_count,
                results,
                drop_key,
            },
        )
}

impl Envelope {
    fn render(&self, page_index: Option<u64>) -> Vec<u8> {
        let requested = page_index.unwrap_or(1);
        let current_page = match &self.current_page {
            CurrentPage::Echo => json!(requested),
            CurrentPage::Offset(d) => json!(i128::from(requested) + i128::from(*d)),
            CurrentPage::Fixed(v) => v.clone(),
        };
        let mut page = json!({
            "current_page": current_page,
            "current_limit": self.current_limit,
            "total_pages": self.total_pages,
            "total_count": self.total_count,
            "results": self.results,
        });
        if let (Some(k), Some(map)) = (self.drop_key, page.as_object_mut()) {
            let key = map.keys().nth(k % map.len().max(1)).cloned();
            if let Some(key) = key {
                map.remove(&key);
            }
        }
        serde_json::to_vec(&page).unwrap_or_default()
    }
}

// -------------------------------------------------------------------------------------------
// Properties

/// The harness serves what a case asks for (else the properties would pass vacuously).
#[test]
fn harness_walks_a_well_behaved_list() {
    let customer: Value = serde_json::from_str(CUSTOMER).expect("CUSTOMER is JSON");
    let page = Envelope {
        current_page: CurrentPage::Echo,
        current_limit: json!(10),
        total_pages: json!(3),
        total_count: json!(30),
        results: vec![customer; 10],
        drop_key: None,
    };
    // Distinct ids per page and position: the walk rejects a record served twice.
    let distinct = move |i: Option<u64>| {
        let mut body: Value = serde_json::from_slice(&page.render(i)).expect("rendered JSON");
        if let Some(results) = body["results"].as_array_mut() {
            for (n, item) in results.iter_mut().enumerate() {
                item["id"] = json!(i.unwrap_or(1) * 100 + n as u64);
            }
        }
        serde_json::to_vec(&body).unwrap_or_default()
    };
    let result = walk("list_customers", 2, Box::new(distinct));
    assert_eq!(result.ok(), Some(Ok(30)));
    let materials = walk(
        "list_materials",
        1,
        Box::new(|i| {
            if i == Some(1) {
                b"[{}]".to_vec()
            } else {
                b"[]".to_vec()
            }
        }),
    );
    assert!(matches!(materials, Ok(Ok(_)) | Ok(Err(_))), "{materials:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Envelope walks over arbitrary paging numbers and items end, with items or an error.
    #[test]
    fn envelope_walks_end(page in envelope(), concurrency in 1usize..=4) {
        let per_page = page.results.len();
        let result = walk("list_customers", concurrency, Box::new(move |i| page.render(i)))?;
        if let Ok(items) = result {
            prop_assert!(items <= per_page * MAX_PAGES as usize);
        }
    }

    /// Bare-array walks over arbitrary arrays (the same array for every page, or an empty
    /// one from page `empty_from` on).
    #[test]
    fn bare_array_walks_end(
        items in prop::collection::vec(json_value(), 0..12),
        empty_from in 1u64..8,
        concurrency in 1usize..=4,
    ) {
        let body = serde_json::to_vec(&items).expect("serialise");
        let n = items.len();
        let result = walk("list_materials", concurrency, Box::new(move |i| {
            if i.unwrap_or(1) >= empty_from { b"[]".to_vec() } else { body.clone() }
        }))?;
        if let Ok(count) = result {
            prop_assert!(count <= n * MAX_PAGES as usize);
        }
    }

    /// Arbitrary bytes as every page, both styles.
    #[test]
    fn arbitrary_bytes_as_pages(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let b = body.clone();
        let body_copy = body.clone();
        let envelope = walk("list_customers", 2, Box::new(move |_| b.clone()))?;
        let bare = walk("list_materials", 2, Box::new(move |_| body.clone()))?;
        // Only a JSON document can be a page.
        if envelope.is_ok() || bare.is_ok() {
            prop_assert!(serde_json::from_slice::<Value>(&body_copy).is_ok());
        }
    }

    /// Arbitrary operation ids and parameters: a request or a `ParamError`, never a panic.
    #[test]
    fn paged_requests_from_arbitrary_parameters(
        known in prop::sample::select(
            cro_api::meta::OPERATIONS.iter().map(|op| op.id).collect::<Vec<_>>()
        ),
        other in ".{0,20}",
        use_known in any::<bool>(),
        params in prop::collection::btree_map(
            prop_oneof![
                prop::sample::select(vec![
                    "location_id", "customer_id", "driver_id", "truck_id", "active",
                    "created_on_gte", "created_on_lte", "hauler_uuid", "page_index",
                    "page_limit", "name", "is_active",
                ]).prop_map(str::to_owned),
                ".{0,12}",
            ],
            prop_oneof![
                ".{0,24}",
                "-?[0-9]{1,25}",
                prop::sample::select(vec!["true", "FALSE", "1", "0", "yes", ""]).prop_map(str::to_owned),
                "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            ],
            0..4,
        ),
    ) {
        struct Probe;
        impl PagedVisitor for Probe {
            type Output = &'static str;
            fn visit<R: PagedRequest>(self, _request: R) -> &'static str {
                R::OPERATION_ID
            }
        }
        let h = harness();
        let operation = if use_known { known.to_owned() } else { other };
        let params: Params = params.into_iter().collect::<BTreeMap<_, _>>();
        match with_paged_request(&h.client, &operation, &params, Probe) {
            Ok(id) => prop_assert_eq!(id, operation.as_str()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// Signatures: any header value is checked without panicking; a signature made with
    /// `sign` verifies (also with whitespace and another case), and fails for any change.
    #[test]
    fn webhook_signatures(
        secret in ".{0,40}",
        body in prop::collection::vec(any::<u8>(), 0..512),
        header in prop_oneof![".{0,80}", "(sha1|SHA1|Sha1)=[0-9a-fA-F]{0,44}"],
        flip in any::<prop::sample::Index>(),
    ) {
        let _ = verify_signature(&secret, &body, &header);
        let good = sign(&secret, &body);
        prop_assert!(verify_signature(&secret, &body, &good).is_ok());
        let shouted = format!("  {}  ", good.to_uppercase());
        prop_assert!(verify_signature(&secret, &body, &shouted).is_ok());
        if !body.is_empty() {
            let mut tampered = body.clone();
            let i = flip.index(tampered.len());
            tampered[i] ^= 0x01;
            prop_assert!(verify_signature(&secret, &tampered, &good).is_err());
        }
        let other_secret = format!("{secret}x");
        prop_assert!(verify_signature(&other_secret, &body, &good).is_err());
    }

    /// Role and event names from arbitrary text round-trip through their wire names.
    #[test]
    fn role_and_event_names(name in ".{0,30}", list in ".{0,60}") {
        let role = Role::from_name(&name);
        prop_assert_eq!(Role::from_name(role.as_str()), role.clone());
        if !role.is_known() {
            prop_assert_eq!(role.as_str(), name.as_str());
        }
        if let Some(event) = cro_ext::webhooks::event_from_name(&name) {
            let wire = serde_json::to_string(&event).expect("serialise");
            let back: HookEvent = serde_json::from_str(&wire).expect("deserialise");
            prop_assert_eq!(back, event);
        }
        let set: RoleSet = list.parse().unwrap_or_default();
        let _ = (set.len(), set.to_string(), set.operations().count());
    }
}
