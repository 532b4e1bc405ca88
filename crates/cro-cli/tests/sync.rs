//! `cro sync` end to end: the binary against an in-process `cro-fake` on 127.0.0.1:0, into a
//! SQLite file and, when `CRO_TEST_POSTGRES_URL` names a server, into PostgreSQL (each test in
//! its own schema). Without a server the PostgreSQL tests print that they were skipped; with
//! `CRO_REQUIRE_POSTGRES=1` (set by `.ci/run`) they fail instead, so CI cannot pass them
//! silently.

use cro_fake::faults::{Drift, FaultPlan};
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const RUN_TIMEOUT: Duration = Duration::from_secs(120);

struct Server {
    fake: RunningFake,
    rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(config: FakeConfig) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let fake = rt.block_on(FakeServer::start(config)).expect("fake starts");
        Server { fake, rt }
    }

    /// `cro ARGS` as Admin of the first tenant, with a private config dir.
    fn cro(&self, args: &[&str]) -> Output {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cro"));
        for var in ["CRO_API_VERSION", "CRO_PROFILE", "CRO_SYNC_TO"] {
            cmd.env_remove(var);
        }
        cmd.env("CRO_CONFIG_DIR", dir.path())
            .env("CRO_BASE_URL", self.fake.base_url())
            .env("CRO_TOKEN", self.fake.token("Admin").expect("token"))
            .env("CRO_TENANT_ID", self.fake.tenant_ids()[0].to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().expect("cro starts");
        let pid = child.id();
        // Read the pipes on another thread, so a large stdout cannot block the child.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        match rx.recv_timeout(RUN_TIMEOUT) {
            Ok(output) => output.expect("output"),
            Err(_) => {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                panic!("cro {args:?} did not finish in {RUN_TIMEOUT:?}");
            }
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cro(args);
        assert!(
            out.status.success(),
            "cro {args:?} failed: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Ids of `cro export ARGS` (NDJSON).
    fn exported_ids(&self, args: &[&str]) -> BTreeSet<String> {
        self.ok(args)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("ndjson");
                v["id"].to_string()
            })
            .collect()
    }

    fn rename_customer(&self, id: &str, name: &str) {
        let url = format!("{}/customers/{id}", self.fake.base_url());
        // Update Customer is a Dispatcher operation.
        let token = self.fake.token("Dispatcher").expect("token");
        let tenant = self.fake.tenant_ids()[0].to_string();
        let status = self.rt.block_on(async {
            reqwest::Client::new()
                .patch(url)
                .header("authorization", format!("bearer {token}"))
                .header("x-tenant-id", tenant)
                .json(&serde_json::json!({ "name": name }))
                .send()
                .await
                .expect("patch sent")
                .status()
        });
        assert!(status.is_success(), "rename answered {status}");
    }

    /// GET requests the fake received for paths matching `pred`.
    fn gets(&self, pred: impl Fn(&str) -> bool) -> usize {
        self.fake
            .request_log()
            .iter()
            .filter(|r| r.method == "GET" && pred(&r.path))
            .count()
    }
}

/// Read access to a mirror, whatever the database.
trait Mirror {
    /// `(_cro_id, column)` of the live rows of `table`.
    fn live(&mut self, table: &str, column: &str) -> Vec<(String, Option<String>)>;
    /// `(inserted, updated, removed, requests)` of the last sync of `resource`.
    fn last_counts(&mut self, resource: &str) -> (i64, i64, i64, i64);
}

struct Sqlite(rusqlite::Connection);

impl Mirror for Sqlite {
    fn live(&mut self, table: &str, column: &str) -> Vec<(String, Option<String>)> {
        let sql = format!(
            "SELECT _cro_id, CAST(\"{column}\" AS TEXT) FROM \"{table}\" WHERE _cro_removed_at IS NULL ORDER BY _cro_id"
        );
        let mut stmt = self.0.prepare(&sql).expect("query");
        let rows: Vec<(String, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        let recorded: i64 = self
            .0
            .query_row(
                "SELECT rows FROM _cro_sync_state WHERE resource = ?1",
                [table],
                |r| r.get(0),
            )
            .expect("state row");
        assert_eq!(
            recorded,
            rows.len() as i64,
            "live rows recorded for {table}"
        );
        rows
    }

    fn last_counts(&mut self, resource: &str) -> (i64, i64, i64, i64) {
        self.0
            .query_row(
                "SELECT inserted, updated, removed, requests FROM _cro_sync_state WHERE resource = ?1",
                [resource],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("state row")
    }
}

struct Postgres(postgres::Client);

impl Mirror for Postgres {
    fn live(&mut self, table: &str, column: &str) -> Vec<(String, Option<String>)> {
        let sql = format!(
            "SELECT _cro_id, \"{column}\"::text FROM \"{table}\" WHERE _cro_removed_at IS NULL ORDER BY _cro_id"
        );
        let rows: Vec<(String, Option<String>)> = self
            .0
            .query(&sql, &[])
            .expect("query")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let recorded: i64 = self
            .0
            .query_one(
                "SELECT rows FROM _cro_sync_state WHERE resource = $1",
                &[&table],
            )
            .expect("state row")
            .get(0);
        assert_eq!(
            recorded,
            rows.len() as i64,
            "live rows recorded for {table}"
        );
        rows
    }

    fn last_counts(&mut self, resource: &str) -> (i64, i64, i64, i64) {
        let r = self
            .0
            .query_one(
                "SELECT inserted, updated, removed, requests FROM _cro_sync_state WHERE resource = $1",
                &[&resource],
            )
            .expect("state row");
        (r.get(0), r.get(1), r.get(2), r.get(3))
    }
}

fn ids(rows: &[(String, Option<String>)]) -> BTreeSet<String> {
    rows.iter().map(|(id, _)| id.clone()).collect()
}

/// The whole story against one database: first sync equals the exports; a rename appears
/// after the next sync; a sync with no changes changes no count and sends at most one request
/// per incremental list (and per location for jobs) besides the small lists.
fn mirror_story(to: &str, mirror: &mut dyn Mirror) {
    let server = Server::start(FakeConfig::default());
    server.ok(&["sync", "--to", to, "-q"]);

    let customers = server.exported_ids(&["export", "customers", "-q"]);
    assert_eq!(ids(&mirror.live("customers", "id")), customers);
    let jobs = server.exported_ids(&["export", "jobs", "--all-locations", "-q"]);
    assert_eq!(ids(&mirror.live("jobs", "id")), jobs);
    assert_eq!(mirror.last_counts("customers").0, customers.len() as i64);

    let renamed = customers.iter().next().expect("a customer").clone();
    server.rename_customer(&renamed, "Renamed by the sync test");
    server.ok(&["sync", "--to", to, "-q"]);
    let names = mirror.live("customers", "name");
    let row = names
        .iter()
        .find(|(id, _)| *id == renamed)
        .expect("still there");
    assert_eq!(row.1.as_deref(), Some("Renamed by the sync test"));
    let (inserted, updated, removed, _) = mirror.last_counts("customers");
    assert_eq!((inserted, updated, removed), (0, 1, 0));
    assert_eq!(ids(&names), customers);

    server.fake.clear_request_log();
    server.ok(&["sync", "--to", to, "-q"]);
    for resource in ["customers", "jobs", "locations", "trucks", "users"] {
        let (inserted, updated, removed, _) = mirror.last_counts(resource);
        assert_eq!(
            (inserted, updated, removed),
            (0, 0, 0),
            "{resource} changed"
        );
    }
    assert_eq!(
        server.gets(|p| p == "/customers"),
        1,
        "one request for customers"
    );
    let locations = server.fake.location_ids(server.fake.tenant_ids()[0]).len();
    let job_gets = server.gets(|p| p.starts_with("/locations/") && p.ends_with("/jobs"));
    assert_eq!(job_gets, locations, "one jobs request per location");
    assert_eq!(ids(&mirror.live("customers", "id")), customers);
}

/// A sync that fails mid-walk leaves every table as the last good sync left it.
fn failed_sync_keeps_the_last_mirror(to: &str, mirror: &mut dyn Mirror) {
    let good = Server::start(FakeConfig::default().with_seed(11));
    good.ok(&["sync", "--to", to, "-q", "--resources", "customers"]);
    let before = mirror.live("customers", "name");

    let drifting = Server::start(FakeConfig {
        faults: FaultPlan {
            total_count_drift: Some(Drift {
                after_request: 2,
                delta: 7,
            }),
            ..FaultPlan::default()
        },
        ..FakeConfig::default().with_seed(12)
    });
    let out = drifting.cro(&[
        "sync",
        "--to",
        to,
        "-q",
        "--full",
        "--resources",
        "customers",
        "--page-size",
        "50",
    ]);
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        mirror.live("customers", "name"),
        before,
        "the mirror was changed"
    );
}

fn sqlite(dir: &tempfile::TempDir) -> (String, Sqlite) {
    let path = dir.path().join("mirror.db");
    let to = format!("sqlite:{}", path.display());
    // Created by the first sync; opened here lazily after it.
    (
        to,
        Sqlite(rusqlite::Connection::open(path).expect("sqlite")),
    )
}

#[test]
fn sqlite_mirror_matches_exports_and_follows_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (to, mut db) = sqlite(&dir);
    mirror_story(&to, &mut db);
}

#[test]
fn sqlite_failed_sync_keeps_the_last_mirror() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (to, mut db) = sqlite(&dir);
    failed_sync_keeps_the_last_mirror(&to, &mut db);
}

#[test]
fn full_sync_marks_rows_gone_from_the_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (to, mut db) = sqlite(&dir);
    let big = Server::start(FakeConfig::default().with_customers(60));
    big.ok(&["sync", "--to", &to, "-q", "--resources", "customers"]);
    let small = Server::start(FakeConfig::default().with_customers(50));
    // Incremental: the server's changes since the mark; nothing is found missing.
    small.ok(&["sync", "--to", &to, "-q", "--resources", "customers"]);
    assert_eq!(db.live("customers", "id").len(), 60);
    small.ok(&[
        "sync",
        "--to",
        &to,
        "-q",
        "--resources",
        "customers",
        "--full",
    ]);
    assert_eq!(db.live("customers", "id").len(), 50);
    assert_eq!(db.last_counts("customers").2, 10);
    let kept: i64 =
        db.0.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
            .expect("count");
    assert_eq!(kept, 60, "removed rows are kept, marked");
}

#[test]
fn demo_sync_needs_no_setup_and_bad_urls_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(FakeConfig::default());
    let out = server.cro(&["sync", "--to", "mysql://x", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:PATH"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cro"));
    let out = cmd
        .env_remove("CRO_SYNC_TO")
        .env("CRO_CONFIG_DIR", dir.path())
        .current_dir(dir.path())
        .args(["--demo", "sync"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("synced 12 resources"), "{stderr}");
    assert!(dir.path().join("cro.db").exists());
}

// -------------------------------------------------------------------------------------------
// PostgreSQL

/// The test server's setting `var`; without it, the test says loudly that it skipped, or
/// fails when `CRO_REQUIRE_POSTGRES=1` (CI), so it can never pass silently.
fn postgres_setting(var: &str, test: &str) -> Option<String> {
    if let Ok(value) = std::env::var(var) {
        return Some(value);
    }
    let required = std::env::var("CRO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    assert!(!required, "CRO_REQUIRE_POSTGRES=1 but {var} is not set");
    eprintln!("SKIPPED {test}: set {var} to run it against a real PostgreSQL");
    None
}

/// A fresh schema on the test server, and the URL that makes it the search path.
fn postgres(test: &str) -> Option<(String, Postgres)> {
    let url = postgres_setting("CRO_TEST_POSTGRES_URL", test)?;
    let schema = format!("cro_sync_{test}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("postgres reachable");
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-csearch_path%3D{schema}");
    let client = postgres::Client::connect(&scoped, postgres::NoTls).expect("scoped connection");
    Some((scoped, Postgres(client)))
}

#[test]
fn postgres_mirror_matches_exports_and_follows_changes() {
    if let Some((to, mut db)) = postgres("story") {
        mirror_story(&to, &mut db);
    }
}

#[test]
fn postgres_failed_sync_keeps_the_last_mirror() {
    if let Some((to, mut db)) = postgres("failed") {
        failed_sync_keeps_the_last_mirror(&to, &mut db);
    }
}

/// Over TLS, the server's certificate is verified: against `sslrootcert` it syncs, against
/// the system's trust store (which does not know the test CA) it fails with a hint. The role
/// `cro_tls` may only connect over TLS (`.ci/start-postgres`), so a sync that works as
/// `cro_tls` went over TLS.
#[test]
fn postgres_over_tls_verifies_the_server() {
    let Some((plain, mut db)) = postgres("tls") else {
        return;
    };
    // Set by .ci/run when the test cluster has TLS (.ci/start-postgres with openssl).
    let Some(ca) = postgres_setting("CRO_TEST_POSTGRES_CA", "postgres_over_tls") else {
        return;
    };
    let schema = format!("cro_sync_tls_{}", std::process::id());
    db.0.batch_execute(&format!("GRANT ALL ON SCHEMA {schema} TO cro_tls"))
        .expect("grant");
    let as_tls_role = plain.replacen("postgres://cro@", "postgres://cro_tls@", 1);
    let server = Server::start(FakeConfig::default());
    let sync = |to: &str| server.cro(&["sync", "--to", to, "--resources", "customers", "-q"]);

    let refused = sync(&as_tls_role);
    assert!(!refused.status.success(), "cro_tls connected without TLS");

    let untrusted = sync(&as_tls_role.replace("sslmode=disable", "sslmode=require"));
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(!untrusted.status.success(), "an unknown CA was trusted");
    assert!(
        stderr.contains("certificate") && stderr.contains("sslrootcert"),
        "{stderr}"
    );

    let ca_param = ca.replace(' ', "%20");
    let verified = as_tls_role.replace(
        "sslmode=disable",
        &format!("sslmode=verify-full&sslrootcert={ca_param}"),
    );
    server.ok(&["sync", "--to", &verified, "--resources", "customers", "-q"]);
    let customers = server.exported_ids(&["export", "customers", "-q"]);
    assert_eq!(ids(&db.live("customers", "id")), customers);
}
