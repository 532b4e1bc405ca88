//! Property tests: whatever a server or a user throws at the client, it answers with an
//! error value, never a panic, and never prints a secret.
//!
//! - Page bodies (arbitrary bytes, arbitrary JSON, a valid page with one value replaced) and
//!   error answers (any error status, any reason phrase, arbitrary headers and body) go
//!   through the real decoding path: they are served by a raw HTTP/1.1 server on
//!   127.0.0.1:0 that writes exactly the bytes a case asks for, so even reason phrases and
//!   header values that no well-behaved framework would send reach the client.
//! - Token endpoint answers go through [`cro_api::oauth::OAuthClient::refresh`] the same way.
//! - Settings (token, base URL, API version, tenant, user agent, timeouts) go through
//!   [`cro_api::ClientBuilder::build`]; header values through
//!   [`cro_api::retry::parse_retry_after`]; text through [`cro_api::Timestamp`] and
//!   [`cro_api::FieldRef`].
//!
//! Case counts are modest (64; `CRO_PROPTEST_CASES=N` for a longer hunt) so the test command
//! stays quick; retries are disabled and timeouts short, so one case is one request.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use cro_api::oauth::{OAuthClient, OAuthConfig};
use cro_api::{Client, ClientBuilder, FieldRef, RetryPolicy, SecretString, Timestamp};
use proptest::prelude::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A token of the documented shape; it must never appear in an error or a `Debug`.
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9wdGVzdCJ9.c2VjcmV0LXNpZ25hdHVyZQ";
/// Refresh token and client secret of the OAuth cases; never to be printed either.
const REFRESH: &str = "refresh-token-that-must-stay-secret-4711";
const CLIENT_SECRET: &str = "client-secret-that-must-stay-secret-0815";

/// One customer as the API returns it (2023/04/19), the base of the mutated-page cases.
const CUSTOMER: &str = r#"{"account_number_1":"AC-006001","account_number_2":null,"addresses":[{"country":"US","id":48004,"is_active":true,"is_billing":true,"is_physical":false,"is_shipping":false,"latitude":48.071699,"line_1":"1346 Madison Ave","line_2":null,"line_3":null,"line_4":null,"locality":"Sequim","longitude":-123.068873,"postcode":"98382","region":"WA"}],"contacts":[{"email":"jessica.taylor57@hotmail.com","fax":null,"id":48004,"name":"Jessica Taylor","notify_on_acknowledged_request":false,"notify_on_completed_request":false,"notify_on_dispatched_request":true,"notify_on_failed_request":false,"notify_on_new_request":true,"number":"(360) 555-4653"}],"created_on":"2021-05-22T02:41:12.395376","id":12001,"is_active":true,"is_commercial":false,"last_updated_on":"2021-11-06T19:48:05.870369","location_id":1,"name":"Karen Brown","note":null,"parent_id":null,"reference_number":"7000","renewal_date":null,"sales_rep":null,"sales_rep_id":null,"suspension_id":null}"#;

// -------------------------------------------------------------------------------------------
// A raw HTTP/1.1 server answering every request with the bytes of the current case

/// One canned answer: status line parts, headers and body, written verbatim.
#[derive(Debug, Clone)]
struct Canned {
    status: u16,
    reason: Vec<u8>,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
}

impl Canned {
    fn ok_json(body: Vec<u8>) -> Canned {
        Canned {
            status: 200,
            reason: b"OK".to_vec(),
            headers: vec![("content-type", b"application/json".to_vec())],
            body,
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} ", self.status).into_bytes();
        out.extend_from_slice(&self.reason);
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(
            format!(
                "content-length: {}\r\nconnection: close\r\n\r\n",
                self.body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

struct RawServer {
    addr: SocketAddr,
    answer: Arc<Mutex<Vec<u8>>>,
}

impl RawServer {
    async fn start() -> RawServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let answer = Arc::new(Mutex::new(Canned::ok_json(b"{}".to_vec()).to_bytes()));
        let shared = answer.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = shared.lock().map(|a| a.clone()).unwrap_or_default();
                tokio::spawn(async move {
                    // Read the whole request first: closing a socket with unread input
                    // makes the kernel send a reset instead of our answer.
                    if read_request(&mut socket).await.is_none() {
                        return;
                    }
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
        RawServer { addr, answer }
    }

    fn serve(&self, canned: &Canned) {
        if let Ok(mut a) = self.answer.lock() {
            *a = canned.to_bytes();
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Reads one request (head and `content-length` body); `None` on a broken connection.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(())
}

/// One runtime, one server and one client for all cases of the binary (cases run one at
/// a time within a test; tests that share the server set their answer just before use, so
/// the API tests and the OAuth test each get their own server).
struct Harness {
    runtime: tokio::runtime::Runtime,
    api: RawServer,
    oauth: RawServer,
    client: Client,
    oauth_client: OAuthClient,
    /// Serialises the cases of the tests that use `api` (they run on parallel threads).
    api_lock: Mutex<()>,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (api, oauth) =
            runtime.block_on(async { (RawServer::start().await, RawServer::start().await) });
        let client = Client::builder()
            .base_url(api.base_url())
            .token(TOKEN)
            .tenant_id(34)
            .retry_policy(RetryPolicy::disabled())
            .connect_timeout(Duration::from_secs(5))
            .request_timeout(Duration::from_secs(10))
            .build()
            .expect("client for the raw server");
        let oauth_client = OAuthClient::new(
            OAuthConfig::new("proptest-client")
                .client_secret(CLIENT_SECRET)
                .token_url(format!("{}/oauth2/token", oauth.base_url()))
                .auth_url(format!("{}/oauth2/auth", oauth.base_url()))
                .allow_insecure_http(true),
        )
        .expect("OAuth client for the raw server");
        Harness {
            runtime,
            api,
            oauth,
            client,
            oauth_client,
            api_lock: Mutex::new(()),
        }
    })
}

/// Serves `canned` and makes one `list_customers` call.
fn list_customers_against(canned: &Canned) -> Result<usize, cro_api::Error> {
    let h = harness();
    let _guard = h.api_lock.lock().unwrap_or_else(|p| p.into_inner());
    h.api.serve(canned);
    h.runtime.block_on(async {
        h.client
            .list_customers()
            .page_index(1)
            .page_limit(10)
            .send()
            .await
            .map(|page| page.into_inner().results.len())
    })
}

/// Serves `canned` and makes one `list_materials` call (the bare-array paging style).
fn list_materials_against(canned: &Canned) -> Result<usize, cro_api::Error> {
    let h = harness();
    let _guard = h.api_lock.lock().unwrap_or_else(|p| p.into_inner());
    h.api.serve(canned);
    h.runtime.block_on(async {
        h.client
            .list_materials()
            .send()
            .await
            .map(|page| page.into_inner().len())
    })
}

/// Every accessor of an error works, and neither `Display` nor `Debug` shows a secret.
fn inspect(err: &cro_api::Error) -> Result<(), TestCaseError> {
    let shown = format!("{err} {err:?}");
    prop_assert!(!shown.contains(TOKEN), "token in error: {shown}");
    prop_assert!(!err.to_string().is_empty());
    let _ = (
        err.status(),
        err.reason(),
        err.field().map(|f| (f.model(), f.name(), f.as_str().len())),
        err.detail(),
        err.explanation(),
        err.title(),
        err.request_id(),
        err.attempts(),
        err.retry_stop().map(|s| s.as_str()),
        err.retry_after(),
        err.body_excerpt(),
        err.is_retryable(),
        err.is_timeout(),
        err.is_rate_limited(),
    );
    if let Some(api) = err.api_error() {
        let _ = (
            api.status_line(),
            api.details().field(),
            api.operation(),
            api.api_version(),
            api.headers().len(),
        );
    }
    Ok(())
}

// -------------------------------------------------------------------------------------------
// Strategies

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
        prop::sample::select(vec![
            "2021-05-22T02:41:12.395376",
            "2021-05-22",
            "9999-12-31T23:59:59+23:59",
            "0000-01-01T00:00:00-23:59",
            "",
            "null",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bytes of a header value or reason phrase: anything but CR and LF (which would end the
/// line and change the framing rather than the value).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n'),
        0..40,
    )
}

/// Headers an answer may carry, with arbitrary values.
fn answer_headers() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
    prop::collection::vec(
        (
            prop::sample::select(vec![
                "content-type",
                "retry-after",
                "x-request-id",
                "x-api-version",
                "www-authenticate",
            ]),
            header_bytes(),
        ),
        0..4,
    )
}

/// A JSON value with one place (chosen by `path`) replaced by `replacement`.
fn replace_at(value: &mut Value, path: &[usize], replacement: Value) {
    let Some((&step, rest)) = path.split_first() else {
        *value = replacement;
        return;
    };
    let child = match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map
                .keys()
                .nth(step % map.len())
                .cloned()
                .unwrap_or_default();
            map.get_mut(&key)
        }
        Value::Array(items) if !items.is_empty() => {
            let len = items.len();
            items.get_mut(step % len)
        }
        _ => None,
    };
    match child {
        Some(child) if !rest.is_empty() => replace_at(child, rest, replacement),
        Some(child) => *child = replacement,
        None => *value = replacement,
    }
}

fn valid_page() -> Value {
    let customer: Value = serde_json::from_str(CUSTOMER).expect("CUSTOMER is JSON");
    json!({
        "current_page": 1,
        "current_limit": 10,
        "total_pages": 1,
        "total_count": 2,
        "results": [customer.clone(), customer],
    })
}

// -------------------------------------------------------------------------------------------
// Properties

/// Cases per property: 64, or `CRO_PROPTEST_CASES`.
fn cases() -> u32 {
    std::env::var("CRO_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// The harness really serves what a case asks for (else every property would pass
/// vacuously): a valid page decodes, an error answer keeps its status and reason.
#[test]
fn harness_serves_what_it_is_told() {
    let page = serde_json::to_vec(&valid_page()).expect("serialise");
    assert_eq!(
        list_customers_against(&Canned::ok_json(page)).expect("valid page"),
        2
    );
    let err = list_customers_against(&Canned {
        status: 409,
        reason: b"Customer already exists".to_vec(),
        headers: vec![("content-type", b"application/json".to_vec())],
        body: br#"{"field":"CreateCustomerModel.name","detail":"Duplicate.","explanation":"x"}"#
            .to_vec(),
    })
    .expect_err("409");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert!(err.to_string().contains("Customer already exists"), "{err}");
    assert_eq!(err.detail(), Some("Duplicate."));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Arbitrary bytes as a 200 page body: an error (or, by luck, a page), never a panic.
    #[test]
    fn page_body_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        if let Err(err) = list_customers_against(&Canned::ok_json(body.clone())) {
            inspect(&err)?;
        }
        if let Err(err) = list_materials_against(&Canned::ok_json(body)) {
            inspect(&err)?;
        }
    }

    /// Arbitrary JSON as a 200 page body, alone or in the envelope's places.
    #[test]
    fn page_body_arbitrary_json(value in json_value(), wrap in any::<bool>()) {
        let body = if wrap {
            json!({"current_page": value, "current_limit": 10, "total_pages": 1,
                   "total_count": 1, "results": [value]})
        } else {
            value
        };
        let bytes = serde_json::to_vec(&body).expect("serialise");
        if let Err(err) = list_customers_against(&Canned::ok_json(bytes.clone())) {
            inspect(&err)?;
            prop_assert!(err.status().is_none_or(|s| s.as_u16() == 200));
        }
        if let Err(err) = list_materials_against(&Canned::ok_json(bytes)) {
            inspect(&err)?;
        }
    }

    /// A valid page with one value anywhere replaced by arbitrary JSON: typed decoding of
    /// every field (timestamps, enums, numbers, nested lists) fails cleanly or succeeds.
    #[test]
    fn page_with_one_value_replaced(
        path in prop::collection::vec(any::<usize>(), 1..6),
        replacement in json_value(),
    ) {
        let mut page = valid_page();
        replace_at(&mut page, &path, replacement);
        let bytes = serde_json::to_vec(&page).expect("serialise");
        match list_customers_against(&Canned::ok_json(bytes)) {
            Ok(n) => prop_assert!(n <= 64),
            Err(err) => inspect(&err)?,
        }
    }

    /// Any error status with any reason phrase, headers and body: always an `Err` that
    /// reports the status the server sent (when the answer was well-formed HTTP at all).
    #[test]
    fn error_answer_arbitrary(
        status in 400u16..=599,
        reason in header_bytes(),
        headers in answer_headers(),
        body in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let canned = Canned { status, reason, headers, body };
        let result = list_customers_against(&canned);
        prop_assert!(result.is_err(), "status {status} was accepted");
        if let Err(err) = result {
            inspect(&err)?;
            if let Some(s) = err.status() {
                prop_assert_eq!(s.as_u16(), status);
            }
        }
    }

    /// The documented error body with arbitrary values in its fields.
    #[test]
    fn error_body_arbitrary_fields(
        status in prop::sample::select(vec![400u16, 401, 403, 404, 409, 422, 429, 500, 503]),
        field in json_value(),
        detail in json_value(),
        explanation in json_value(),
        extra in json_value(),
        reason in "[ -~]{0,40}",
    ) {
        let body = json!({"field": field, "detail": detail, "explanation": explanation,
                          "extra": extra});
        let canned = Canned {
            status,
            reason: reason.into_bytes(),
            headers: vec![("content-type", b"application/json".to_vec())],
            body: serde_json::to_vec(&body).expect("serialise"),
        };
        let err = list_customers_against(&canned).expect_err("an error status");
        inspect(&err)?;
        prop_assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    }

    /// Any status at all, 200..=999 (1xx are interim answers in HTTP and are left out).
    #[test]
    fn any_status(status in 200u16..=999, body in prop::collection::vec(any::<u8>(), 0..256)) {
        let canned = Canned { status, reason: b"Whatever".to_vec(), headers: vec![], body };
        if let Err(err) = list_customers_against(&canned) {
            inspect(&err)?;
        }
    }

    /// Token endpoint answers: arbitrary status and body, arbitrary JSON with the token
    /// response's field names. An error or a token set; the secrets never shown.
    #[test]
    fn token_endpoint_answers(
        status in prop::sample::select(vec![200u16, 400, 401, 500]),
        raw in prop::collection::vec(any::<u8>(), 0..512),
        fields in prop::collection::btree_map(
            prop::sample::select(vec!["access_token", "token_type", "expires_in",
                                      "refresh_token", "scope", "error", "error_description"]),
            json_value(),
            0..7,
        ),
        as_json in any::<bool>(),
    ) {
        let h = harness();
        let body = if as_json {
            serde_json::to_vec(&Value::Object(
                fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            ))
            .expect("serialise")
        } else {
            raw
        };
        h.oauth.serve(&Canned {
            status,
            reason: b"Whatever".to_vec(),
            headers: vec![("content-type", b"application/json".to_vec())],
            body,
        });
        let result = h
            .runtime
            .block_on(h.oauth_client.refresh(&SecretString::new(REFRESH)));
        if let Err(err) = result {
            let shown = format!("{err} {err:?}");
            prop_assert!(!shown.contains(REFRESH) && !shown.contains(CLIENT_SECRET), "{}", shown);
        }
    }

    /// Client settings: any token, base URL, API version, tenant, user agent suffix and
    /// timeouts give a client or a `ConfigError`, and neither shows the token.
    #[test]
    fn builder_validation(
        token in prop_oneof![".{0,300}", "[A-Za-z0-9_-]{8,40}\\.[A-Za-z0-9_-]{8,40}\\.[A-Za-z0-9_-]{8,60}"],
        base_url in prop_oneof![".{0,60}", "(http|https|ftp)://[a-z0-9.:@\\[\\]-]{0,30}(/.{0,10})?"],
        api_version in prop_oneof![".{0,20}", "20[0-9]{2}/[0-9]{2}/[0-9]{2}"],
        tenant in any::<u64>(),
        user_agent in ".{0,40}",
        connect_ms in any::<u32>(),
        request_ms in any::<u32>(),
        check_shape in any::<bool>(),
    ) {
        let builder = Client::builder()
            .token(token.clone())
            .base_url(base_url)
            .api_version_str(api_version)
            .tenant_id(tenant)
            .user_agent_suffix(user_agent)
            .check_token_shape(check_shape)
            .connect_timeout(Duration::from_millis(u64::from(connect_ms)))
            .request_timeout(Duration::from_millis(u64::from(request_ms)));
        let debug = format!("{builder:?}");
        // Short tokens can occur in any text by chance; long ones cannot.
        let secret = token.trim().len() >= 12;
        prop_assert!(!(secret && debug.contains(token.trim())), "token in Debug: {}", debug);
        match builder.build() {
            Ok(client) => {
                prop_assert_eq!(client.tenant_id(), Some(tenant));
                let _ = client.state().api_version();
            }
            Err(err) => {
                let shown = format!("{err} {err:?}");
                prop_assert!(!(secret && shown.contains(token.trim())), "token in error: {}", shown);
                let _ = err.setting();
            }
        }
    }

    /// The same settings from the environment (`CRO_*` values as text).
    #[test]
    fn settings_from_the_environment(
        values in prop::collection::vec(".{0,80}", 4),
    ) {
        let names = ["CRO_BASE_URL", "CRO_TOKEN", "CRO_TENANT_ID", "CRO_API_VERSION"];
        let lookup = |name: &str| {
            names.iter().position(|n| *n == name).map(|i| values[i].clone())
        };
        if let Err(err) = ClientBuilder::from_lookup(lookup).build() {
            let token = values[1].trim();
            let shown = format!("{err} {err:?}");
            prop_assert!(token.len() < 12 || !shown.contains(token), "token in error: {}", shown);
        }
    }

    /// Tokens straight through the documented rules.
    #[test]
    fn token_rules(token in ".{0,300}", check_shape in any::<bool>()) {
        let secret = SecretString::new(token.clone());
        let _ = cro_api::auth::validate_token(&secret, check_shape);
        let shown = format!("{secret:?}");
        prop_assert!(token.len() < 12 || !shown.contains(&token));
    }

    /// `Retry-After` values: any bytes; plain seconds are understood.
    #[test]
    fn retry_after_values(raw in header_bytes(), secs in 0u32..1_000_000) {
        let now = SystemTime::now();
        if let Ok(value) = http::HeaderValue::from_bytes(&raw) {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::RETRY_AFTER, value);
            let _ = cro_api::retry::parse_retry_after(&headers, now);
        }
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        prop_assert_eq!(
            cro_api::retry::parse_retry_after(&headers, now),
            Some(Duration::from_secs(u64::from(secs)))
        );
    }

    /// Timestamps and field references from arbitrary text: parsed or refused; a parsed
    /// timestamp answers every accessor and prints as received.
    #[test]
    fn timestamps_and_field_refs(text in prop_oneof![
        ".{0,40}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:[0-9]{2})?",
    ]) {
        if let Ok(t) = Timestamp::parse(&text) {
            let _ = (t.naive(), t.offset(), t.to_utc());
            prop_assert_eq!(t.to_string(), text.clone());
            let round: Timestamp = serde_json::from_value(serde_json::to_value(&t).expect("ser"))
                .expect("a parsed timestamp deserialises");
            prop_assert_eq!(round, t);
        }
        let field = FieldRef::parse(&text);
        let _ = (field.model(), field.name(), field.as_str());
    }
}
