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

use cro_fake::faults::{Burst, Drift, FaultPlan, SlowPage};
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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

/// The customer id of a record (`id`, or `customer_id` before API version 2021/04/07).
fn record_id(v: &Value) -> i64 {
    v.get("id")
        .or_else(|| v.get("customer_id"))
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("record without an id: {v}"))
}

/// Runs `cmd` with a deadline, draining both pipes.
fn run_with_timeout(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cro");
    let mut out = child.stdout.take().expect("stdout pipe");
    let mut err = child.stderr.take().expect("stderr pipe");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status: ExitStatus = loop {
        if let Some(status) = child.try_wait().expect("wait for cro") {
            break status;
        }
        if start.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cro did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out_t.join().expect("stdout reader"),
        stderr: err_t.join().expect("stderr reader"),
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
        let output = run_with_timeout(cmd);
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
