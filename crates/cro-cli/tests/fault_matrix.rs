//! Fault matrix: `cro export customers` against an in-process `cro-fake` injecting each of
//! its faults, one test per fault.
//!
//! The property every cell checks is "never a silent loss". An export either
//! - exits 0 and its output holds exactly the expected records (checked by id against the
//!   pages of a fault-free fake with the same seed: nothing missing, nothing twice), or
//! - exits non-zero with the exit class of the fault (4 API, 5 network, 6 data), a clear
//!   one-line `error:` message naming the problem, no panic and no token on stderr, and no
//!   output file: the directory holds exactly what it held before (a pre-existing file
//!   byte for byte, and no temporary file left behind).
//!
//! Which of the two happens may change as the client's retry rules change; both are correct.
//! The only exit-0-without-every-record case allowed is `--allow-drift`, which the user asks
//! for, and then stderr must carry a warning.
//!
//! Every run is bounded (`RUN_TIMEOUT`) and the whole file takes a few seconds: small data
//! (3,000 customers, pages of 100), `Retry-After` of 1 s at most and a 1 s client timeout
//! where a slow page is the fault.

mod common;
use common::{record_id, run_with_timeout};
use cro_fake::faults::{Burst, Drift, FaultPlan, SlowPage};
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Customers per tenant in every fake of this file.
const CUSTOMERS: u64 = 3_000;
/// Page size used by the exports (30 pages: enough requests for the faults to land
/// mid-walk, with `concurrency` pages in flight).
const PAGE_SIZE: &str = "100";
/// Deadline of one `cro` run; far above the slowest expected run (a few seconds).
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Content of the pre-existing output file in the cells that have one.
const PREVIOUS: &str = "previous good export\n";

// -------------------------------------------------------------------------------------------
// Harness

/// A fake on its own runtime (its workers serve while the test thread waits for `cro`).
struct Server {
    // Dropped before the runtime it runs on.
    fake: RunningFake,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(plan: FaultPlan) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let config = FakeConfig::default()
            .with_customers(CUSTOMERS)
            .with_faults(plan);
        let fake = rt
            .block_on(FakeServer::start(config))
            .expect("the fake starts");
        Server { fake, _rt: rt }
    }

    fn token(&self) -> String {
        self.fake.token("Admin").expect("seeded Admin token")
    }

    fn tenant(&self) -> i64 {
        self.fake.tenant_ids()[0]
    }
}

/// The ids the export must produce: every customer of the first tenant, read page by page
/// from a fault-free fake with the same seed and size over plain HTTP/1.1 (so the oracle
/// shares no code with the client under test). Computed once per test binary.
fn expected_ids() -> &'static BTreeSet<i64> {
    static IDS: OnceLock<BTreeSet<i64>> = OnceLock::new();
    IDS.get_or_init(|| {
        let server = Server::start(FaultPlan::default());
        let addr = server.fake.addr();
        let mut ids = BTreeSet::new();
        let mut listed = 0u64;
        for page in 1.. {
            let body = http_get(
                addr,
                &format!("/customers?page_index={page}&page_limit=1000"),
                &server.token(),
                server.tenant(),
            );
            let page: Value = serde_json::from_slice(&body).expect("reference page is JSON");
            let results = page["results"].as_array().expect("results");
            listed += results.len() as u64;
            ids.extend(results.iter().map(record_id));
            if results.is_empty() || page["current_page"] == page["total_pages"] {
                break;
            }
        }
        assert_eq!(listed, CUSTOMERS, "reference walk");
        assert_eq!(ids.len() as u64, CUSTOMERS, "reference ids are unique");
        ids
    })
}

/// `GET path` with `Connection: close`; returns the body of a 200 answer.
fn http_get(addr: std::net::SocketAddr, path: &str, token: &str, tenant: i64) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect to the reference fake");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: bearer {token}\r\n\
         x-tenant-id: {tenant}\r\nx-api-version: {}\r\nConnection: close\r\n\r\n",
        cro_api::meta::LATEST_API_VERSION
    )
    .expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(
        head.starts_with("http/1.1 200"),
        "reference GET {path}: {head}"
    );
    let body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        dechunk(&body)
    } else {
        body
    }
}

/// Decodes a chunked HTTP/1.1 body.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("hex chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the output directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// -------------------------------------------------------------------------------------------
// One cell of the matrix

/// One fault and what a failure caused by it must look like.
struct Cell {
    /// Name, for messages.
    name: &'static str,
    /// What the fake injects.
    plan: FaultPlan,
    /// Extra `cro export customers` arguments.
    args: &'static [&'static str],
    /// Exit code of a failed export (the fault's class).
    failure_code: i32,
    /// A failure message must contain one of these (lower case).
    hints: &'static [&'static str],
    /// Whether the output file exists before the export.
    preexisting: bool,
    /// `--allow-drift` cells: exit 0 with other records is allowed when stderr warns.
    warned_loss_allowed: bool,
}

/// What happened, for the test log (`cargo test -- --nocapture` shows the matrix).
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Exit 0 with exactly the expected records.
    Exact,
    /// Exit 0 with other records, and a warning (only where allowed).
    Warned,
    /// A clean failure with this exit code.
    Failed(i32),
}

impl Cell {
    fn run(&self) -> Outcome {
        let expected = expected_ids();
        let server = Server::start(self.plan.clone());
        let token = server.token();
        let config_dir = tempfile::tempdir().expect("config dir");
        let out_dir = tempfile::tempdir().expect("output dir");
        let file = out_dir.path().join("customers.ndjson");
        if self.preexisting {
            std::fs::write(&file, PREVIOUS).expect("write the previous export");
        }
        let before = dir_entries(out_dir.path());

        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cro"));
        for var in ["CRO_API_VERSION", "CRO_PROFILE", "CRO_CLIENT_SECRET"] {
            cmd.env_remove(var);
        }
        cmd.env("CRO_CONFIG_DIR", config_dir.path())
            .env("CRO_BASE_URL", server.fake.base_url())
            .env("CRO_TOKEN", &token)
            .env("CRO_TENANT_ID", server.tenant().to_string())
            .args(["export", "customers", "--format", "ndjson"]);
        // A cell may choose its own page size (fewer pages, fewer throttle holds).
        if !self.args.contains(&"--page-size") {
            cmd.args(["--page-size", PAGE_SIZE]);
        }
        cmd.arg("--output").arg(&file).args(self.args);
        let output = run_with_timeout(cmd, RUN_TIMEOUT);
        let code = output.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let context = format!(
            "[{}] exit {code}, injected {:?}\n--- stderr\n{stderr}",
            self.name,
            server.fake.faults_injected()
        );
        assert!(!stderr.contains("panicked"), "cro panicked {context}");
        assert!(!stderr.contains(&token), "cro printed the token {context}");

        let outcome = if code == 0 {
            self.check_success(&file, expected, &stderr, &context)
        } else {
            self.check_failure(code, &stderr, out_dir.path(), &before, &context);
            Outcome::Failed(code)
        };
        eprintln!(
            "fault matrix: {:<44} -> {outcome:?} ({:?})",
            self.name,
            server.fake.faults_injected()
        );
        outcome
    }

    /// Exit 0: the file holds every expected id exactly once (or, where the user allowed
    /// drift, the difference was announced).
    fn check_success(
        &self,
        file: &Path,
        expected: &BTreeSet<i64>,
        stderr: &str,
        context: &str,
    ) -> Outcome {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("exit 0 but no output file ({e}) {context}"));
        let ids: Vec<i64> = text
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("bad NDJSON line ({e}) {context}"));
                record_id(&v)
            })
            .collect();
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        if unique.len() == ids.len() && &unique == expected {
            return Outcome::Exact;
        }
        let missing = expected.difference(&unique).count();
        let extra = unique.difference(expected).count();
        let repeated = ids.len() - unique.len();
        assert!(
            self.warned_loss_allowed && stderr.to_lowercase().contains("warning"),
            "SILENT LOSS: exit 0 with {missing} ids missing, {extra} unexpected, {repeated} \
             repeated {context}"
        );
        Outcome::Warned
    }

    /// Non-zero exit: the fault's class, a clear message, and the directory as it was.
    fn check_failure(
        &self,
        code: i32,
        stderr: &str,
        out_dir: &Path,
        before: &[String],
        context: &str,
    ) {
        assert_eq!(code, self.failure_code, "exit class {context}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") && first.len() > "error: ".len() + 10,
            "a failure needs a one-line `error:` message {context}"
        );
        let lower = stderr.to_lowercase();
        assert!(
            self.hints.iter().any(|h| lower.contains(h)),
            "the message does not name the problem (one of {:?}) {context}",
            self.hints
        );
        assert_eq!(
            dir_entries(out_dir),
            before,
            "a failed export must leave no output file and no temporary file {context}"
        );
        if self.preexisting {
            let now = std::fs::read_to_string(out_dir.join("customers.ndjson"))
                .unwrap_or_else(|e| panic!("the previous export is gone ({e}) {context}"));
            assert_eq!(now, PREVIOUS, "the previous export was modified {context}");
        }
    }
}

fn plan() -> FaultPlan {
    FaultPlan::default()
}

// -------------------------------------------------------------------------------------------
// The matrix

/// Half of all list requests answered 429 with `Retry-After: 1`. Every 429 holds the whole
/// client for a second, so the cell uses pages of 500 (6 pages) to stay short.
#[test]
fn rate_limit_storm_with_retry_after() {
    Cell {
        name: "429 storm (every 2nd request, Retry-After 1 s)",
        plan: FaultPlan {
            rate_limit_every: Some(2),
            retry_after_secs: 1,
            ..plan()
        },
        args: &["--page-size", "500"],
        failure_code: 4,
        hints: &["429", "too many requests"],
        preexisting: true,
        warned_loss_allowed: false,
    }
    .run();
}

/// A lighter storm: every 4th request is a 429 with `Retry-After: 1`.
#[test]
fn rate_limit_every_fourth_request() {
    Cell {
        name: "429 every 4th request, Retry-After 1 s",
        plan: FaultPlan {
            rate_limit_every: Some(4),
            retry_after_secs: 1,
            ..plan()
        },
        args: &[],
        failure_code: 4,
        hints: &["429", "too many requests"],
        preexisting: false,
        warned_loss_allowed: false,
    }
    .run();
}

/// A server that never recovers: every request answered 429 (`Retry-After: 1`). Throttles
/// don't use up attempts, so the export must end by the progress timeout (3 s here), loudly:
/// exit 4, no file, and a message that says the server kept answering 429.
#[test]
fn rate_limit_forever() {
    let outcome = Cell {
        name: "429 forever (Retry-After 1 s)",
        plan: FaultPlan {
            rate_limit_every: Some(1),
            retry_after_secs: 1,
            ..plan()
        },
        args: &["--progress-timeout", "3"],
        failure_code: 4,
        hints: &["kept answering 429"],
        preexisting: true,
        warned_loss_allowed: false,
    }
    .run();
    assert_eq!(outcome, Outcome::Failed(4));
}

/// `Retry-After` longer than the progress timeout allows: give up at once, cleanly.
#[test]
fn rate_limit_beyond_the_retry_after_cap() {
    for preexisting in [false, true] {
        let outcome = Cell {
            name: "429 with Retry-After 3600 s (beyond the progress timeout)",
            plan: FaultPlan {
                rate_limit_every: Some(3),
                retry_after_secs: 3600,
                ..plan()
            },
            args: &[],
            failure_code: 4,
            hints: &["retry-after 60 min"],
            preexisting,
            warned_loss_allowed: false,
        }
        .run();
        assert_eq!(outcome, Outcome::Failed(4));
    }
}

/// Two short 503 bursts: retried away. Four failing requests in all, and five attempts per
/// request, so no page can run out of attempts whatever order the concurrent pages take
/// (with the default three, one page could meet three of the four and fail: a flaky test).
#[test]
fn service_unavailable_bursts() {
    let burst = |start| Burst {
        start,
        len: 2,
        status: 503,
        path_prefix: None,
    };
    let outcome = Cell {
        name: "503 bursts (requests 2-3 and 10-11)",
        plan: FaultPlan {
            bursts: vec![burst(2), burst(10)],
            ..plan()
        },
        args: &["--attempts", "5"],
        failure_code: 4,
        hints: &["503", "service unavailable"],
        preexisting: false,
        warned_loss_allowed: false,
    }
    .run();
    assert_eq!(outcome, Outcome::Exact);
}

/// A 503 outage: back-pressure the client waits out while it makes progress, so it must
/// end by the progress timeout (2 s here) with a clean API error.
#[test]
fn service_unavailable_outage() {
    Cell {
        name: "503 outage (requests 3-1000)",
        plan: FaultPlan {
            bursts: vec![Burst {
                start: 3,
                len: 1_000,
                status: 503,
                path_prefix: None,
            }],
            ..plan()
        },
        args: &["--progress-timeout", "2"],
        failure_code: 4,
        hints: &["503", "service unavailable"],
        preexisting: true,
        warned_loss_allowed: false,
    }
    .run();
}

/// Seeded scattered 5xx (500/502/503/504) on a fifth of the requests.
#[test]
fn scattered_server_errors() {
    Cell {
        name: "scattered 5xx (20 %, seeded)",
        plan: FaultPlan {
            seed: 7,
            random_5xx_percent: 20,
            ..plan()
        },
        args: &[],
        failure_code: 4,
        hints: &["500", "502", "503", "504"],
        preexisting: false,
        warned_loss_allowed: false,
    }
    .run();
}

/// The connection is reset in the middle of every 4th page body.
#[test]
fn connection_reset_mid_body() {
    Cell {
        name: "connection dropped mid-body (every 4th)",
        plan: FaultPlan {
            drop_mid_body_every: Some(4),
            ..plan()
        },
        args: &[],
        failure_code: 5,
        hints: &["body", "connection", "reset", "end of file"],
        preexisting: true,
        warned_loss_allowed: false,
    }
    .run();
}

/// Every 4th page is a complete HTTP answer carrying half of its JSON.
#[test]
fn truncated_json_body() {
    Cell {
        name: "truncated JSON body (every 4th)",
        plan: FaultPlan {
            truncate_body_every: Some(4),
            ..plan()
        },
        args: &[],
        failure_code: 6,
        hints: &["decode", "json", "eof", "parsing"],
        preexisting: false,
        warned_loss_allowed: false,
    }
    .run();
}

/// Page 3 takes 3 s; the client's timeout is 1 s.
#[test]
fn page_slower_than_the_timeout() {
    Cell {
        name: "page 3 slower (3 s) than the timeout (1 s)",
        plan: FaultPlan {
            slow_pages: vec![SlowPage {
                page: 3,
                delay: Duration::from_secs(3),
            }],
            ..plan()
        },
        args: &["--timeout", "1"],
        failure_code: 5,
        hints: &["timed out", "timeout"],
        preexisting: true,
        warned_loss_allowed: false,
    }
    .run();
}

/// `total_count` grows by 5 after the second request.
#[test]
fn total_count_grows_during_the_export() {
    Cell {
        name: "total_count drift +5 after request 2",
        plan: FaultPlan {
            total_count_drift: Some(Drift {
                after_request: 2,
                delta: 5,
            }),
            ..plan()
        },
        args: &[],
        failure_code: 6,
        hints: &["changed during", "total_count", "drift"],
        preexisting: false,
        warned_loss_allowed: false,
    }
    .run();
}

/// `total_count` shrinks by 150 (more than a page) after the second request.
#[test]
fn total_count_shrinks_during_the_export() {
    Cell {
        name: "total_count drift -150 after request 2",
        plan: FaultPlan {
            total_count_drift: Some(Drift {
                after_request: 2,
                delta: -150,
            }),
            ..plan()
        },
        args: &[],
        failure_code: 6,
        hints: &["changed during", "total_count", "drift"],
        preexisting: true,
        warned_loss_allowed: false,
    }
    .run();
}

/// With `--allow-drift` the user accepts an inexact export, but it must never be silent.
#[test]
fn total_count_drift_allowed_is_never_silent() {
    Cell {
        name: "total_count drift -150 with --allow-drift",
        plan: FaultPlan {
            total_count_drift: Some(Drift {
                after_request: 2,
                delta: -150,
            }),
            ..plan()
        },
        args: &["--allow-drift"],
        failure_code: 6,
        hints: &["changed during", "total_count", "drift"],
        preexisting: false,
        warned_loss_allowed: true,
    }
    .run();
}

// -------------------------------------------------------------------------------------------
// Hostile servers (issue 11): a proxy in front of the fake answers one request mid-walk with
// something hostile. Every cell must fail loudly (its exit class, a message naming the
// problem), print no control byte and no token in any letter case, and leave no output file.

/// Which request (0-based) the proxy answers with the hostile response: a few pages are
/// already written (or in flight) when it comes.
const HOSTILE_AT: usize = 4;

/// What the proxy sends instead of the fake's answer.
#[derive(Clone)]
enum Hostility {
    /// A 200 whose body never ends.
    EndlessBody,
    /// A 200 announcing a body over the cap, then silence.
    ContentLengthOverCap,
    /// A complete response, bytes as given.
    Raw(Vec<u8>),
}

/// A loopback proxy to `upstream`, hostile on request [`HOSTILE_AT`].
struct HostileProxy {
    url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl HostileProxy {
    fn start(upstream: std::net::SocketAddr, hostility: Hostility) -> HostileProxy {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let stop2 = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                let (count, stop, hostility) =
                    (Arc::clone(&count), Arc::clone(&stop2), hostility.clone());
                std::thread::spawn(move || {
                    proxy_connection(client, upstream, &count, &stop, &hostility)
                });
            }
        });
        HostileProxy { url, stop }
    }
}

impl Drop for HostileProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// One client connection: each request forwarded (with `connection: close` both ways), or
/// the hostile answer for request [`HOSTILE_AT`].
fn proxy_connection(
    mut client: TcpStream,
    upstream: std::net::SocketAddr,
    count: &std::sync::atomic::AtomicUsize,
    stop: &std::sync::atomic::AtomicBool,
    hostility: &Hostility,
) {
    use std::sync::atomic::Ordering;
    let _ = client.set_nonblocking(false);
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    if count.fetch_add(1, Ordering::SeqCst) == HOSTILE_AT {
        match hostility {
            Hostility::EndlessBody => {
                let chunk = vec![b' '; 64 * 1024];
                let ok = client
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[")
                    .is_ok();
                while ok && !stop.load(Ordering::Relaxed) && client.write_all(&chunk).is_ok() {}
            }
            Hostility::ContentLengthOverCap => {
                let _ = client.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                      content-length: 107374182400\r\n\r\n",
                );
                // Hold the connection open without a byte of body until the test ends.
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            Hostility::Raw(bytes) => {
                let _ = client.write_all(bytes);
            }
        }
        return;
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut request: String = head
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    request.push_str("connection: close\r\n\r\n");
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return;
    };
    let mut answer = Vec::new();
    if up.write_all(request.as_bytes()).is_err() || up.read_to_end(&mut answer).is_err() {
        return;
    }
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return;
    };
    let answer_head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut out: String = answer_head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    out.push_str("connection: close\r\n\r\n");
    let _ = client.write_all(out.as_bytes());
    let _ = client.write_all(&answer[split + 4..]);
}

/// A complete hostile HTTP/1.1 response.
fn hostile_response(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Hostility {
    let mut out = format!(
        "HTTP/1.1 {status_line}\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Hostility::Raw(bytes)
}

/// Run `cro export customers` through a hostile proxy; the cell must fail with
/// `failure_code`, cleanly (see the section comment). Returns the stderr.
fn hostile_cell(
    name: &'static str,
    hostility: impl FnOnce(&Server) -> Hostility,
    args: &'static [&'static str],
    failure_code: i32,
    hints: &'static [&'static str],
) -> String {
    let server = Server::start(plan());
    let token = server.token();
    let proxy = HostileProxy::start(server.fake.addr(), hostility(&server));
    let config_dir = tempfile::tempdir().expect("config dir");
    let out_dir = tempfile::tempdir().expect("output dir");
    let file = out_dir.path().join("customers.ndjson");
    std::fs::write(&file, PREVIOUS).expect("write the previous export");
    let before = dir_entries(out_dir.path());

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cro"));
    for var in ["CRO_API_VERSION", "CRO_PROFILE", "CRO_CLIENT_SECRET"] {
        cmd.env_remove(var);
    }
    cmd.env("CRO_CONFIG_DIR", config_dir.path())
        .env("CRO_BASE_URL", &proxy.url)
        .env("CRO_TOKEN", &token)
        .env("CRO_TENANT_ID", server.tenant().to_string())
        .args(["export", "customers", "--format", "ndjson"])
        .args(["--page-size", PAGE_SIZE, "--output"])
        .arg(&file)
        .args(args);
    let output = run_with_timeout(cmd, RUN_TIMEOUT);
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let context = format!("[{name}] exit {code}\n--- stderr\n{stderr}");
    let lower = stderr.to_lowercase();
    assert!(!lower.contains("panicked"), "cro panicked {context}");
    assert!(
        !lower.contains(&token.to_lowercase()),
        "cro printed the token (in some letter case) {context}"
    );
    assert!(
        !stderr.chars().any(|c| c.is_control() && c != '\n'),
        "a control character reached stderr {context:?}"
    );
    let cell = Cell {
        name,
        plan: plan(),
        args,
        failure_code,
        hints,
        preexisting: true,
        warned_loss_allowed: false,
    };
    assert_ne!(
        code, 0,
        "a hostile answer cannot give a complete export {context}"
    );
    cell.check_failure(code, &stderr, out_dir.path(), &before, &context);
    eprintln!("fault matrix: {name:<44} -> Failed({code})");
    stderr
}

/// A 200 whose body never ends, mid-walk: stopped at the cap.
#[test]
fn hostile_endless_page_body() {
    hostile_cell(
        "endless 200 body (request 5), 1 MiB cap",
        |_| Hostility::EndlessBody,
        &["--max-body-size", "1MiB"],
        6,
        &["1 mib limit"],
    );
}

/// A `Content-Length` of 100 GiB, mid-walk: refused before reading.
#[test]
fn hostile_content_length_over_the_cap() {
    hostile_cell(
        "Content-Length 100 GiB (request 5)",
        |_| Hostility::ContentLengthOverCap,
        &[],
        6,
        &["256 mib limit"],
    );
}

/// A 403 whose JSON fields carry ESC/BEL/CR/C1 and the token in three letter cases.
#[test]
fn hostile_error_fields() {
    hostile_cell(
        "403 with control chars and the token",
        |server| {
            let token = server.token();
            let body = serde_json::json!({
                "field": "CustomerModel.\u{1b}[2Jname",
                "detail": format!("token {token}\u{7}\u{1b}]0;owned\u{7}\rexported 3000 records"),
                "explanation": format!("{} {}\u{9b}", token.to_uppercase(), token.to_lowercase()),
                "title": "\u{1b}[31mForbidden",
            })
            .to_string();
            hostile_response(
                "403 Forbidden",
                &[("content-type", "application/json")],
                body.as_bytes(),
            )
        },
        &[],
        3,
        &["403"],
    );
}

/// A 200 HTML page (a captive portal) echoing the token, mid-walk.
#[test]
fn hostile_html_page_echoing_the_token() {
    hostile_cell(
        "200 HTML echoing the token",
        |server| {
            let token = server.token();
            let page = format!(
                "<html><body>\u{1b}[2JSession {} expired ({token})\r</body></html>",
                token.to_uppercase()
            );
            hostile_response("200 OK", &[("content-type", "text/html")], page.as_bytes())
        },
        &[],
        6,
        &["decode"],
    );
}

/// A 302 to another origin (a second listener) mid-walk: not followed, nothing sent there.
#[test]
fn hostile_redirect_to_another_origin() {
    let other = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the other origin");
    other.set_nonblocking(true).expect("nonblocking");
    let other_url = format!("http://{}", other.local_addr().expect("addr"));
    let location = format!("{other_url}/customers");
    let stderr = hostile_cell(
        "302 to another origin",
        move |_| hostile_response("302 Found", &[("location", &location)], b""),
        &[],
        4,
        &["redirect"],
    );
    assert!(
        stderr.contains(&other_url),
        "the Location is named: {stderr}"
    );
    assert!(
        other.accept().is_err(),
        "a connection reached the other origin"
    );
}

/// Rows inserted ahead of the walk after request 3: later pages start 40 records early, so
/// records repeat across pages while page numbers and totals stay honest. A repeat is loud.
#[test]
fn records_repeated_across_pages() {
    let outcome = Cell {
        name: "rows shifted +40 after request 3 (records repeat)",
        plan: FaultPlan {
            row_shift: Some(Drift {
                after_request: 3,
                delta: 40,
            }),
            ..plan()
        },
        args: &[],
        failure_code: 6,
        hints: &["same record twice"],
        preexisting: true,
        warned_loss_allowed: false,
    }
    .run();
    assert_eq!(outcome, Outcome::Failed(6));
}

/// The same shift with `--dedupe --allow-drift`: each record written once, and the records
/// the shift pushed out of reach are announced (warning), never silent.
#[test]
fn records_repeated_with_dedupe_are_written_once_and_warned() {
    let outcome = Cell {
        name: "rows shifted +40 with --dedupe --allow-drift",
        plan: FaultPlan {
            row_shift: Some(Drift {
                after_request: 3,
                delta: 40,
            }),
            ..plan()
        },
        args: &["--dedupe", "--allow-drift"],
        failure_code: 6,
        hints: &["same record twice", "total_count"],
        preexisting: false,
        warned_loss_allowed: true,
    }
    .run();
    assert_eq!(outcome, Outcome::Warned);
}

/// `--allow-drift` with `total_count` growing mid-walk: the export finishes and writes the
/// file (the data itself did not change here, so every record is there exactly once).
#[test]
fn total_count_drift_allowed_finishes_the_export() {
    let outcome = Cell {
        name: "total_count drift +5 with --allow-drift",
        plan: FaultPlan {
            total_count_drift: Some(Drift {
                after_request: 2,
                delta: 5,
            }),
            ..plan()
        },
        args: &["--allow-drift"],
        failure_code: 6,
        hints: &["changed during", "total_count", "drift"],
        preexisting: true,
        warned_loss_allowed: true,
    }
    .run();
    assert!(
        matches!(outcome, Outcome::Exact | Outcome::Warned),
        "--allow-drift must finish the export: {outcome:?}"
    );
}
