//! End-to-end tests of the `cro` binary against an in-process `cro-fake` on 127.0.0.1:0.
//!
//! Each test starts its own fake (on a runtime owned by the test) and runs the built binary
//! with a private config directory and none of the `CRO_*` variables of the environment, so
//! tests are independent of the machine and of each other. Every child process has a
//! deadline.

mod common;
use common::{record_id, run_with_timeout};
use cro_fake::faults::{Burst, Drift, FaultPlan};
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Deadline of one `cro` run.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------
// Harness

/// A fake server on its own runtime (the runtime's workers serve it while the test thread
/// waits for `cro`).
struct Server {
    // Field order matters: the fake must be dropped while its runtime still exists.
    fake: RunningFake,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(config: FakeConfig) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let fake = rt
            .block_on(FakeServer::start(config))
            .expect("fake server starts");
        Server { fake, _rt: rt }
    }

    fn default() -> Server {
        Server::start(FakeConfig::default())
    }

    fn base_url(&self) -> &str {
        self.fake.base_url()
    }

    fn token(&self, role: &str) -> String {
        self.fake.token(role).expect("seeded role token")
    }

    fn tenant(&self) -> String {
        self.fake.tenant_ids()[0].to_string()
    }

    fn locations(&self) -> Vec<i64> {
        self.fake.location_ids(self.fake.tenant_ids()[0])
    }
}

/// A `cro` command with a private config dir and a clean environment.
struct Cro {
    cmd: Command,
}

impl Cro {
    fn new(config_dir: &Path) -> Cro {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cro"));
        for var in [
            "CRO_BASE_URL",
            "CRO_TOKEN",
            "CRO_TENANT_ID",
            "CRO_API_VERSION",
            "CRO_PROFILE",
            "CRO_CLIENT_SECRET",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("CRO_CONFIG_DIR", config_dir);
        Cro { cmd }
    }

    /// `cro` connected to `server` through the environment, as Admin.
    fn against(server: &Server, config_dir: &Path) -> Cro {
        Cro::against_as(server, config_dir, "Admin")
    }

    fn against_as(server: &Server, config_dir: &Path, role: &str) -> Cro {
        let mut c = Cro::new(config_dir);
        c.cmd
            .env("CRO_BASE_URL", server.base_url())
            .env("CRO_TOKEN", server.token(role))
            .env("CRO_TENANT_ID", server.tenant());
        c
    }

    fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Cro {
        self.cmd.env(k, v);
        self
    }

    fn current_dir(mut self, dir: &Path) -> Cro {
        self.cmd.current_dir(dir);
        self
    }

    fn run(mut self, args: &[&str]) -> Run {
        self.cmd.args(args);
        let output = run_with_timeout(self.cmd, RUN_TIMEOUT);
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            output,
        }
    }
}

struct Run {
    args: Vec<String>,
    output: Output,
}

impl Run {
    fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    #[track_caller]
    fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "cro {:?} exited {} (expected {code})\n--- stdout (first 2000 bytes)\n{}\n--- stderr\n{}",
            self.args,
            self.code(),
            self.stdout().chars().take(2000).collect::<String>(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    fn ok(&self) -> &Run {
        self.expect_code(0)
    }
    /// Neither stream contains `secret`.
    #[track_caller]
    fn no_leak(&self, secret: &str) -> &Run {
        assert!(
            !self.stdout().contains(secret) && !self.stderr().contains(secret),
            "cro {:?} printed a secret",
            self.args
        );
        self
    }
}

fn wait_with_deadline(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cro did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad NDJSON line {l:?}: {e}")))
        .collect()
}

/// Ids, checking there are no duplicates.
#[track_caller]
fn unique_ids(records: &[Value]) -> BTreeSet<i64> {
    let ids: BTreeSet<i64> = records.iter().map(record_id).collect();
    assert_eq!(ids.len(), records.len(), "duplicate records in the export");
    ids
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn export_all_customers(server: &Server, cfg: &Path) -> Vec<Value> {
    let run = Cro::against(server, cfg).run(&["export", "customers", "--page-size", "100"]);
    run.ok();
    ndjson(&run.stdout())
}

// ---------------------------------------------------------------------------------------
// Formats

#[test]
fn every_format_exports_the_same_records() {
    let server = Server::default();
    let cfg = tempdir();
    let all = export_all_customers(&server, cfg.path());
    assert_eq!(all.len(), 504, "the fake seeds 504 customers per tenant");
    let ids = unique_ids(&all);

    // JSON: one array.
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--format",
        "json",
        "--page-size",
        "77",
    ]);
    run.ok();
    let arr: Vec<Value> = serde_json::from_str(&run.stdout()).expect("one JSON array");
    assert_eq!(unique_ids(&arr), ids);
    assert_eq!(
        arr, all,
        "JSON and NDJSON hold the same records in the same order"
    );

    // CSV: stable header, one row per record, dotted/JSON cells.
    let out = tempdir();
    let file = out.path().join("customers.csv");
    Cro::against(&server, cfg.path())
        .run(&[
            "export",
            "customers",
            "--format",
            "csv",
            "--output",
            file.to_str().unwrap(),
            "--page-size",
            "50",
        ])
        .ok();
    let mut reader = csv::Reader::from_path(&file).expect("csv file");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let id_col = header.iter().position(|h| h == "id").expect("id column");
    let addresses_col = header
        .iter()
        .position(|h| h == "addresses")
        .expect("addresses column (arrays are JSON cells)");
    let mut csv_ids = BTreeSet::new();
    for row in reader.records() {
        let row = row.expect("csv row");
        assert_eq!(row.len(), header.len(), "every row has every column");
        csv_ids.insert(row[id_col].parse::<i64>().expect("numeric id"));
        let addresses: Value =
            serde_json::from_str(&row[addresses_col]).expect("addresses cell is JSON");
        assert!(addresses.is_array());
    }
    assert_eq!(csv_ids, ids);
    assert_eq!(
        dir_entries(out.path()),
        ["customers.csv"],
        "no temporary file left"
    );

    // Nested objects become dotted columns (locations have an address object).
    let run = Cro::against(&server, cfg.path()).run(&["export", "locations", "--format", "csv"]);
    run.ok();
    let first = run.stdout().lines().next().unwrap_or_default().to_string();
    assert!(first.contains("address.line_1"), "{first}");
}

#[test]
fn csv_columns_do_not_depend_on_the_data() {
    let server = Server::default();
    let cfg = tempdir();
    let header = |extra: &[&str]| {
        let mut args = vec!["export", "customers", "--format", "csv"];
        args.extend_from_slice(extra);
        let run = Cro::against(&server, cfg.path()).run(&args);
        run.ok();
        run.stdout().lines().next().unwrap_or_default().to_string()
    };
    let all = header(&[]);
    // A filter that matches nothing still writes the same header.
    let none = header(&["--name", "no customer has this name"]);
    assert_eq!(all, none);
    assert!(!all.is_empty());
}

// ---------------------------------------------------------------------------------------
// Fan-out modes

#[test]
fn customers_fan_out_modes_agree() {
    let server = Server::start(FakeConfig::default().with_locations(3));
    let cfg = tempdir();
    let tenant_wide = unique_ids(&export_all_customers(&server, cfg.path()));

    // --location N, for every location: the union is the tenant-wide list.
    let mut union = BTreeSet::new();
    for loc in server.locations() {
        let loc = loc.to_string();
        let run = Cro::against(&server, cfg.path()).run(&[
            "export",
            "customers",
            "--location",
            &loc,
            "--page-size",
            "60",
        ]);
        run.ok();
        let records = ndjson(&run.stdout());
        assert!(!records.is_empty(), "location {loc} has customers");
        for r in &records {
            assert_eq!(
                r["location_id"].to_string(),
                loc,
                "record of another location"
            );
        }
        for id in unique_ids(&records) {
            assert!(union.insert(id), "customer {id} in two locations");
        }
    }
    assert_eq!(union, tenant_wide);

    // --all-locations: every location concurrently, same set.
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--all-locations",
        "--page-size",
        "40",
        "--location-concurrency",
        "2",
    ]);
    run.ok();
    assert_eq!(unique_ids(&ndjson(&run.stdout())), tenant_wide);

    // The three modes hit the three operations.
    let log = server.fake.request_log();
    assert!(log.iter().any(|r| r.path == "/customers"));
    assert!(log.iter().any(|r| r.path == "/locations"));
    assert!(
        log.iter()
            .any(|r| r.path.starts_with("/locations/") && r.path.ends_with("/customers"))
    );
}

#[test]
fn other_resources_export_with_scope_flags() {
    let server = Server::default();
    let cfg = tempdir();
    let loc = server.locations()[0].to_string();
    for (args, min) in [
        (vec!["export", "tenants"], 1),
        (vec!["export", "locations"], 1),
        (vec!["export", "jobs", "--location", loc.as_str()], 1),
        (vec!["export", "jobs", "--all-locations"], 1),
        (
            vec!["export", "trucks", "--all-locations", "--format", "csv"],
            2,
        ),
        (vec!["export", "drivers", "--location", loc.as_str()], 1),
    ] {
        let run = Cro::against(&server, cfg.path()).run(&args);
        run.ok();
        assert!(
            run.stdout().lines().count() >= min,
            "{args:?}: {}",
            run.stdout()
        );
    }
    // A scope flag is required where the API has no unscoped list.
    let run = Cro::against(&server, cfg.path()).run(&["export", "jobs"]);
    run.expect_code(2);
    assert!(run.stderr().contains("--location"), "{}", run.stderr());
    // Addresses of one customer.
    let first = export_all_customers(&server, cfg.path())[0].clone();
    let id = record_id(&first).to_string();
    Cro::against(&server, cfg.path())
        .run(&["export", "addresses", "--customer", &id])
        .ok();
}

// ---------------------------------------------------------------------------------------
// Filters

#[test]
fn filters_are_sent_and_applied() {
    let server = Server::default();
    let cfg = tempdir();
    let all = export_all_customers(&server, cfg.path());

    let run = Cro::against(&server, cfg.path()).run(&["export", "customers", "--active", "false"]);
    run.ok();
    let inactive = ndjson(&run.stdout());
    let expected: BTreeSet<i64> = all
        .iter()
        .filter(|r| r["is_active"] == Value::Bool(false))
        .map(record_id)
        .collect();
    assert!(
        !expected.is_empty(),
        "the fake seeds some inactive customers"
    );
    assert_eq!(unique_ids(&inactive), expected);

    // created_on_gte: pick the median creation date of the data.
    let mut dates: Vec<String> = all
        .iter()
        .map(|r| r["created_on"].as_str().expect("created_on").to_string())
        .collect();
    dates.sort();
    let cut = dates[dates.len() / 2].clone();
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--created-on-gte",
        &cut,
        "--active",
        "TRUE",
    ]);
    run.ok();
    let recent = ndjson(&run.stdout());
    let expected: BTreeSet<i64> = all
        .iter()
        .filter(|r| {
            r["created_on"].as_str().unwrap_or_default() >= cut.as_str()
                && r["is_active"] == Value::Bool(true)
        })
        .map(record_id)
        .collect();
    assert_eq!(unique_ids(&recent), expected);

    let log = server.fake.request_log();
    let filtered: Vec<_> = log
        .iter()
        .filter(|r| r.query_param("created_on_gte").is_some())
        .collect();
    assert!(!filtered.is_empty());
    assert!(
        filtered
            .iter()
            .all(|r| r.query_param("active").as_deref() == Some("true"))
    );

    // Bad filter values are usage errors, caught before anything is sent.
    let before = server.fake.request_log().len();
    Cro::against(&server, cfg.path())
        .run(&["export", "customers", "--active", "maybe"])
        .expect_code(2);
    Cro::against(&server, cfg.path())
        .run(&["export", "customers", "--created-on-gte", "yesterday"])
        .expect_code(2);
    Cro::against(&server, cfg.path())
        .run(&["export", "customers", "--parent-id", "x"])
        .expect_code(2);
    // A filter of the tenant-wide list only, used with --location.
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--location",
        "1",
        "--location-id",
        "1",
    ]);
    run.expect_code(2);
    assert_eq!(server.fake.request_log().len(), before, "nothing was sent");
}

// ---------------------------------------------------------------------------------------
// Atomic output

fn failing_server(plan: FaultPlan) -> Server {
    Server::start(
        FakeConfig::default()
            .with_customers(2_000)
            .with_faults(plan),
    )
}

#[test]
fn failed_export_leaves_no_file_and_keeps_the_old_one() {
    // Page 3 onwards answers 500 (not retried): the export fails midway.
    let server = failing_server(FaultPlan {
        bursts: vec![Burst {
            start: 3,
            len: 1_000,
            status: 500,
            path_prefix: None,
        }],
        ..FaultPlan::default()
    });
    let cfg = tempdir();
    let out = tempdir();
    // No format extension: the loop below writes every format to the same file.
    let file = out.path().join("customers.export");

    // No file before: none after.
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--page-size",
        "100",
        "--concurrency",
        "1",
        "--output",
        file.to_str().unwrap(),
    ]);
    run.expect_code(4);
    assert!(run.stderr().contains("500"), "{}", run.stderr());
    assert!(
        dir_entries(out.path()).is_empty(),
        "{:?}",
        dir_entries(out.path())
    );

    // An existing file is untouched (content and all).
    std::fs::write(&file, "previous good export\n").unwrap();
    for format in ["ndjson", "json", "csv"] {
        let run = Cro::against(&server, cfg.path()).run(&[
            "export",
            "customers",
            "--format",
            format,
            "--page-size",
            "100",
            "--output",
            file.to_str().unwrap(),
        ]);
        run.expect_code(4);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "previous good export\n"
        );
        assert_eq!(dir_entries(out.path()), ["customers.export"]);
    }
}

#[test]
fn drift_fails_the_export_unless_allowed() {
    let plan = FaultPlan {
        total_count_drift: Some(Drift {
            after_request: 2,
            delta: 7,
        }),
        ..FaultPlan::default()
    };
    let server = failing_server(plan.clone());
    let cfg = tempdir();
    let out = tempdir();
    let file = out.path().join("c.json");
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--format",
        "json",
        "--page-size",
        "100",
        "--output",
        file.to_str().unwrap(),
    ]);
    run.expect_code(6);
    assert!(run.stderr().contains("changed during"), "{}", run.stderr());
    assert!(dir_entries(out.path()).is_empty());

    // --allow-drift (on a fresh server, so the drift happens during the walk): the export
    // completes, with a warning.
    let server = failing_server(plan);
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--page-size",
        "100",
        "--allow-drift",
        "--output",
        file.to_str().unwrap(),
    ]);
    run.ok();
    assert!(run.stderr().contains("warning"), "{}", run.stderr());
    assert!(file.exists());
}

#[test]
fn wrong_total_count_is_a_data_error() {
    // The server reports 7 more records than it has from the first page on (no drift within
    // the walk): the walk ends short, and the count check refuses the export.
    let plan = FaultPlan {
        total_count_drift: Some(Drift {
            after_request: 0,
            delta: 7,
        }),
        ..FaultPlan::default()
    };
    let server = failing_server(plan);
    let cfg = tempdir();
    let out = tempdir();
    let file = out.path().join("c.csv");
    let args = [
        "export",
        "customers",
        "--format",
        "csv",
        "--page-size",
        "100",
        "--output",
        file.to_str().unwrap(),
    ];
    let run = Cro::against(&server, cfg.path()).run(&args);
    run.expect_code(6);
    assert!(run.stderr().contains("total_count"), "{}", run.stderr());
    assert!(dir_entries(out.path()).is_empty());

    // --allow-drift relaxes exactly this check (the list may have changed before a walk's
    // first page, as with --all-locations): the file is written and the count is warned about.
    let run = Cro::against(&server, cfg.path()).run(&[&args[..], &["--allow-drift"]].concat());
    run.ok();
    assert!(
        run.stderr().contains("warning") && run.stderr().contains("total_count = 2007"),
        "{}",
        run.stderr()
    );
    assert!(file.exists());
}

#[test]
fn retried_faults_still_give_every_record_once() {
    // 503 bursts and 429s are retried by the client: the export is complete and exact.
    let server = failing_server(FaultPlan {
        bursts: vec![Burst {
            start: 2,
            len: 2,
            status: 503,
            path_prefix: None,
        }],
        rate_limit_every: Some(5),
        retry_after_secs: 0,
        ..FaultPlan::default()
    });
    let cfg = tempdir();
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--page-size",
        "100",
        "--concurrency",
        "4",
    ]);
    run.ok();
    let records = ndjson(&run.stdout());
    assert_eq!(unique_ids(&records).len(), 2_000);
}

// ---------------------------------------------------------------------------------------
// Exit codes and errors

#[test]
fn exit_codes() {
    let server = Server::default();
    let cfg = tempdir();
    let admin = server.token("Admin");

    // 0 and 2: help and usage.
    Cro::new(cfg.path()).run(&["--help"]).ok();
    Cro::new(cfg.path())
        .run(&["export", "--bogus"])
        .expect_code(2);
    Cro::new(cfg.path())
        .run(&["export", "no-such-resource"])
        .expect_code(2);
    Cro::new(cfg.path())
        .run(&["export", "customers", "--page-size", "5000"])
        .expect_code(2);
    Cro::new(cfg.path())
        .run(&["export", "customers", "--all-locations", "--location", "1"])
        .expect_code(2);
    Cro::new(cfg.path())
        .run(&["--api-version", "2020/01/01", "export", "customers"])
        .expect_code(2);
    Cro::new(cfg.path())
        .run(&["--demo", "auth", "login", "--no-browser"])
        .expect_code(2);

    // 3: no token.
    let run = Cro::new(cfg.path())
        .env("CRO_BASE_URL", server.base_url())
        .env("CRO_TENANT_ID", server.tenant())
        .run(&["export", "customers"]);
    run.expect_code(3);
    assert!(run.stderr().contains("token"), "{}", run.stderr());

    // 3: a token the server rejects (401), never echoed.
    let bogus = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJlLWJvZ3Vz";
    let run = Cro::against(&server, cfg.path())
        .env("CRO_TOKEN", bogus)
        .run(&["export", "customers"]);
    run.expect_code(3).no_leak(bogus);
    assert!(run.stderr().contains("401"), "{}", run.stderr());

    // 3: a role that may not call the operation (403).
    let driver = server.token("Driver");
    let run = Cro::against_as(&server, cfg.path(), "Driver").run(&["export", "hooks"]);
    run.expect_code(3).no_leak(&driver);
    assert!(run.stderr().contains("403"), "{}", run.stderr());

    // 4: an API error with its status line and structured fields.
    let run = Cro::against(&server, cfg.path()).run(&["get", "customers", "987654321"]);
    run.expect_code(4).no_leak(&admin);
    let err = run.stderr();
    assert!(err.contains("404"), "{err}");
    // The API's message, once (not again as `field:` and `detail:` lines).
    assert_eq!(
        err.matches("No customer with id 987654321").count(),
        1,
        "{err}"
    );

    // 5: nobody listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let run = Cro::against(&server, cfg.path())
        .env("CRO_BASE_URL", format!("http://{closed}"))
        .run(&["export", "tenants", "--timeout", "5"]);
    run.expect_code(5).no_leak(&admin);

    // 2: a bad tenant id in the environment is the same mistake as `--tenant not-a-number`.
    Cro::against(&server, cfg.path())
        .env("CRO_TENANT_ID", "not-a-number")
        .run(&["export", "customers"])
        .expect_code(2);

    // 3: a configuration error (a profile that does not exist).
    Cro::against(&server, cfg.path())
        .env("CRO_PROFILE", "no-such-profile")
        .run(&["export", "customers"])
        .expect_code(3);
}

#[test]
fn truncated_pages_are_data_errors() {
    // Every eligible response body is cut in half (valid HTTP, broken JSON).
    let server = failing_server(FaultPlan {
        truncate_body_every: Some(1),
        ..FaultPlan::default()
    });
    let cfg = tempdir();
    let out = tempdir();
    let file = out.path().join("x.ndjson");
    let run = Cro::against(&server, cfg.path()).run(&[
        "export",
        "customers",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(
        [5, 6].contains(&run.code()),
        "a cut body is a data (or transport) error, got {}: {}",
        run.code(),
        run.stderr()
    );
    assert!(dir_entries(out.path()).is_empty());
}

// ---------------------------------------------------------------------------------------
// get, ops, roles, help

#[test]
fn get_ops_roles_and_help() {
    let server = Server::default();
    let cfg = tempdir();
    let all = export_all_customers(&server, cfg.path());
    let a = record_id(&all[0]).to_string();
    let b = record_id(&all[1]).to_string();

    let run = Cro::against(&server, cfg.path()).run(&["get", "customers", &a]);
    run.ok();
    let one: Value = serde_json::from_str(&run.stdout()).expect("JSON object");
    assert_eq!(one["id"].to_string(), a);

    let run = Cro::against(&server, cfg.path()).run(&["get", "customers", &a, &b]);
    run.ok();
    let two: Vec<Value> = serde_json::from_str(&run.stdout()).expect("JSON array");
    assert_eq!(two.len(), 2);

    let loc = all[0]["location_id"].to_string();
    let run = Cro::against(&server, cfg.path()).run(&["get", "customers", "--location", &loc, &a]);
    run.ok();
    assert!(
        server
            .fake
            .request_log()
            .iter()
            .any(|r| r.path == format!("/locations/{loc}/customers/{a}"))
    );

    let run = Cro::new(cfg.path()).run(&["ops"]);
    run.ok();
    for op in cro_api::meta::OPERATIONS {
        assert!(run.stdout().contains(op.id), "cro ops misses {}", op.id);
    }
    let run = Cro::new(cfg.path()).run(&["ops", "--json"]);
    run.ok();
    let ops: Vec<Value> = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(ops.len(), cro_api::meta::OPERATIONS.len());

    let run = Cro::new(cfg.path()).run(&["roles", "--json"]);
    run.ok();
    let roles: HashMap<String, Vec<String>> = serde_json::from_str(&run.stdout()).unwrap();
    assert!(roles["Dispatcher"].contains(&"update_customer".to_string()));
    assert!(!roles["Driver"].contains(&"list_hooks".to_string()));

    // `cro export --help` lists the resources of the metadata.
    let run = Cro::new(cfg.path()).run(&["export", "--help"]);
    run.ok();
    for r in [
        "customers",
        "jobs",
        "addresses",
        "tenants",
        "dump-destinations",
        "hooks",
    ] {
        assert!(run.stdout().contains(r), "export --help misses {r}");
    }
    let run = Cro::new(cfg.path()).run(&["--help"]);
    run.ok();
    assert!(run.stdout().contains("Exit codes"));
}

// ---------------------------------------------------------------------------------------
// Settings: profiles and precedence

#[test]
fn settings_precedence_flags_env_profile() {
    let server = Server::default();
    let cfg = tempdir();
    let token = server.token("Admin");
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    std::fs::write(
        cfg.path().join("config.toml"),
        format!(
            "default_profile = \"fake\"\n\n[profiles.fake]\nbase_url = \"{}\"\ntenant_id = {}\ntoken = \"{token}\"\n\n[profiles.dead]\nbase_url = \"{dead}\"\ntenant_id = {}\n",
            server.base_url(),
            server.tenant(),
            server.tenant()
        ),
    )
    .unwrap();
    // The default profile alone is enough.
    Cro::new(cfg.path())
        .run(&["export", "tenants", "-q"])
        .ok()
        .no_leak(&token);
    // CRO_PROFILE selects a profile; its dead base URL fails (network).
    Cro::new(cfg.path())
        .env("CRO_PROFILE", "dead")
        .env("CRO_TOKEN", &token)
        .run(&["export", "tenants", "--timeout", "5"])
        .expect_code(5);
    // The environment beats the profile, the flag beats the environment.
    Cro::new(cfg.path())
        .env("CRO_PROFILE", "dead")
        .env("CRO_TOKEN", &token)
        .env("CRO_BASE_URL", server.base_url())
        .run(&["export", "tenants"])
        .ok();
    Cro::new(cfg.path())
        .env("CRO_BASE_URL", &dead)
        .run(&["--base-url", server.base_url(), "export", "tenants"])
        .ok();
    // Unknown profiles are configuration errors.
    Cro::new(cfg.path())
        .run(&["--profile", "nope", "export", "tenants"])
        .expect_code(3);
    // auth status shows where things come from, never the token.
    let run = Cro::new(cfg.path()).run(&["auth", "status"]);
    run.ok().no_leak(&token);
    assert!(run.stdout().contains("fake"), "{}", run.stdout());
}

// ---------------------------------------------------------------------------------------
// auth login against the fake's OAuth server

/// Run `cro auth login`, open the printed URL like a browser would, wait for the end.
fn login(server: &Server, cfg: &Path, profile: &str) -> Run {
    let base = server.base_url();
    let auth_url = format!("{base}/oauth2/auth");
    let token_url = format!("{base}/oauth2/token");
    let mut cmd = Cro::new(cfg).cmd;
    let args = [
        "--profile",
        profile,
        "--base-url",
        base,
        "auth",
        "login",
        "--no-browser",
        "--client-id",
        "cro-fake-demo",
        "--client-secret",
        "cro-fake-demo-secret",
        "--auth-url",
        &auth_url,
        "--token-url",
        &token_url,
        "--wait",
        "60",
    ];
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cro auth login");
    let stderr = child.stderr.take().expect("stderr");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("http://") || line.starts_with("https://") {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let url = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(url) => url,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "cro auth login printed no authorization URL; stderr:\n{}",
                reader.join().unwrap_or_default()
            );
        }
    };
    assert!(url.contains("code_challenge="), "PKCE is used: {url}");
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    // The "browser": the fake auto-approves and redirects to the loopback listener.
    let page = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap()
                .get(&url)
                .send()
                .await
                .expect("authorize + redirect")
                .text()
                .await
                .unwrap()
        });
    assert!(page.contains("Logged in"), "{page}");
    let status = wait_with_deadline(&mut child, RUN_TIMEOUT);
    let mut out = Vec::new();
    let _ = stdout.read_to_end(&mut out);
    let err = reader.join().unwrap();
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        output: Output {
            status,
            stdout: out,
            stderr: err.into_bytes(),
        },
    }
}

fn stored_access_token(cfg: &Path, profile: &str) -> String {
    let text = std::fs::read_to_string(cfg.join("credentials.toml")).expect("credentials file");
    let v: toml::Value = toml::from_str(&text).expect("valid toml");
    v["profiles"][profile]["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

#[test]
fn auth_login_status_refresh_logout() {
    // Access tokens live 30 s, under the CLI's 60 s refresh margin: every later run refreshes.
    let oauth = cro_fake::oauth::OAuthConfig {
        access_token_ttl: Duration::from_secs(30),
        ..Default::default()
    };
    let server = Server::start(FakeConfig::default().with_oauth(oauth));
    let cfg = tempdir();

    let run = login(&server, cfg.path(), "work");
    run.ok();
    let token = stored_access_token(cfg.path(), "work");
    run.no_leak(&token);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cfg.path().join("credentials.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "credentials are owner-only");
    }

    // status: profile, expiry, base URL; never the token.
    let run = Cro::new(cfg.path()).run(&["--profile", "work", "auth", "status"]);
    run.ok().no_leak(&token);
    assert!(run.stdout().contains("work"), "{}", run.stdout());
    assert!(run.stdout().contains("expires"), "{}", run.stdout());

    // The stored login works for exports (base URL remembered from the login), and the
    // near-expiry token is refreshed and written back.
    let run = Cro::new(cfg.path())
        .env("CRO_TENANT_ID", server.tenant())
        .run(&["--profile", "work", "export", "customers"]);
    run.ok().no_leak(&token);
    assert_eq!(ndjson(&run.stdout()).len(), 504);
    let refreshed = stored_access_token(cfg.path(), "work");
    assert_ne!(refreshed, token, "the token was refreshed and persisted");
    run.no_leak(&refreshed);

    // logout forgets it.
    Cro::new(cfg.path())
        .run(&["--profile", "work", "auth", "logout"])
        .ok();
    Cro::new(cfg.path())
        .run(&["--profile", "work", "auth", "status"])
        .expect_code(3);
    assert!(!cfg.path().join("credentials.toml").exists());
}

// ---------------------------------------------------------------------------------------
// --demo

#[test]
fn demo_needs_no_configuration() {
    let cfg = tempdir();
    let out = tempdir();
    let run = Cro::new(cfg.path()).current_dir(out.path()).run(&[
        "--demo",
        "export",
        "customers",
        "--format",
        "csv",
        "--output",
        "customers.csv",
    ]);
    run.ok();
    assert!(
        run.stderr().contains("exported 2,500 customers"),
        "{}",
        run.stderr()
    );
    let mut reader = csv::Reader::from_path(out.path().join("customers.csv")).unwrap();
    assert_eq!(reader.records().count(), 2500);
    assert!(
        dir_entries(cfg.path()).is_empty(),
        "--demo writes no config"
    );
}

// ---------------------------------------------------------------------------------------
// The getting-started sample script, as the baseline

fn python_with_requests() -> bool {
    Command::new("python3")
        .args(["-c", "import requests"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn ndjson_export_matches_the_sample_script() {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sample_export_customers.py");
    let required = std::env::var("CRO_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
    if !script.exists() || !python_with_requests() {
        let why = if script.exists() {
            "python3 with `requests` is not available"
        } else {
            "scripts/sample_export_customers.py is missing"
        };
        assert!(!required, "CRO_REQUIRE_PYTHON=1 but {why}");
        eprintln!("\n!!!!!!!! SKIPPED ndjson_export_matches_the_sample_script: {why} !!!!!!!!\n");
        return;
    }
    let server = Server::default();
    let cfg = tempdir();
    let cli_ids = unique_ids(&export_all_customers(&server, cfg.path()));

    // The script prints one Python dict per customer; literal_eval reads them back.
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(
            "import ast, subprocess, sys\n\
             out = subprocess.run([sys.executable, sys.argv[1]], check=True, capture_output=True, text=True).stdout\n\
             for line in out.splitlines():\n\
             \x20   d = ast.literal_eval(line)\n\
             \x20   print(d.get('id', d.get('customer_id')))\n",
        )
        .arg(&script)
        .env("CRO_BASE_URL", server.base_url())
        .env("CRO_TOKEN", server.token("Admin"))
        .env("CRO_TENANT_ID", server.tenant());
    let output = run_with_timeout(cmd, RUN_TIMEOUT);
    assert!(
        output.status.success(),
        "sample script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let script_ids: Vec<i64> = text
        .lines()
        .map(|l| {
            l.trim()
                .parse()
                .unwrap_or_else(|_| panic!("not an id: {l:?}"))
        })
        .collect();
    let script_set: BTreeSet<i64> = script_ids.iter().copied().collect();
    assert_eq!(
        script_set.len(),
        script_ids.len(),
        "the script printed duplicates"
    );
    assert_eq!(
        cli_ids, script_set,
        "cro export and the sample script disagree"
    );
}
