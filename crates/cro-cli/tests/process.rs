//! `cro export` as a process among others: signals (SIGINT, SIGTERM, SIGHUP), pipes (a closed
//! stdout, a full disk, a reader that goes away), `--allow-drift`, a read-only `--output`,
//! fan-out over locations that carry only an id, and a server that repeats records.
//!
//! Each test starts its own server on 127.0.0.1:0 (an in-process `cro-fake`, or a tiny
//! HTTP/1.1 server below for answers the fake does not give) and runs the real `cro`
//! binary with a deadline.

#![cfg(unix)]

use cro_fake::faults::{Drift, FaultPlan};
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Deadline of one `cro` run (far above the slowest expected run).
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// A token of the right shape for the tiny server (which does not check it).
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9jZXNzIn0.c2lnbmF0dXJlLXByb2Nlc3M";

// -------------------------------------------------------------------------------------------
// Harness

/// An in-process fake on its own runtime.
struct Fake {
    // Dropped before the runtime it runs on.
    fake: RunningFake,
    _rt: tokio::runtime::Runtime,
}

impl Fake {
    fn start(customers: u64, plan: FaultPlan) -> Fake {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let config = FakeConfig::default()
            .with_customers(customers)
            .with_faults(plan);
        let fake = rt
            .block_on(FakeServer::start(config))
            .expect("the fake starts");
        Fake { fake, _rt: rt }
    }

    /// `cro` with this fake's settings in the environment.
    fn cro(&self, config_dir: &Path) -> Command {
        let mut cmd = cro(config_dir);
        cmd.env("CRO_BASE_URL", self.fake.base_url())
            .env("CRO_TOKEN", self.fake.token("Admin").expect("Admin token"))
            .env("CRO_TENANT_ID", self.fake.tenant_ids()[0].to_string());
        cmd
    }
}

/// The `cro` binary with a private config dir and none of the user's settings.
fn cro(config_dir: &Path) -> Command {
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
    cmd.env("CRO_CONFIG_DIR", config_dir).stdin(Stdio::null());
    cmd
}

/// Waits for `child` with the deadline, killing it (and failing) past it.
fn wait(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for cro") {
            return status;
        }
        if start.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cro did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `cmd` to the end with piped stdout and stderr (drained concurrently).
fn run(mut cmd: Command) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cro");
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let status = wait(&mut child);
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}

/// Whether stderr carries the summary line of a successful export.
fn claims_success(stderr: &str) -> bool {
    stderr.lines().any(|l| l.starts_with("exported "))
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the output directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Ids of NDJSON records, checking that none repeats.
fn unique_ids(text: &str) -> BTreeSet<i64> {
    let ids: Vec<i64> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("NDJSON line");
            v["id"].as_i64().expect("numeric id")
        })
        .collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a record was written twice");
    unique
}

/// A tiny HTTP/1.1 server: one answer per connection (`Connection: close`), chosen by
/// `route(path, page_index, page_limit)`, which returns the JSON body of a 200 (or `None`
/// for a 404). Stops when dropped.
struct TinyServer {
    base_url: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Route = dyn Fn(&str, u64, u64) -> Option<String> + Send + Sync;

impl TinyServer {
    fn start(route: impl Fn(&str, u64, u64) -> Option<String> + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let route: Arc<Route> = Arc::new(route);
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let route = route.clone();
                        std::thread::spawn(move || answer(stream, &*route));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        TinyServer {
            base_url,
            stop,
            thread: Some(thread),
        }
    }

    fn cro(&self, config_dir: &Path) -> Command {
        let mut cmd = cro(config_dir);
        cmd.env("CRO_BASE_URL", &self.base_url)
            .env("CRO_TOKEN", TOKEN)
            .env("CRO_TENANT_ID", "1");
        cmd
    }
}

impl Drop for TinyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(stream: TcpStream, route: &Route) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str, default: u64| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(default)
    };
    let (status, body) = match route(path, param("page_index", 1), param("page_limit", 100)) {
        Some(body) => ("200 OK", body),
        None => (
            "404 Not Found",
            r#"{"detail":"no such path","explanation":"test server"}"#.to_owned(),
        ),
    };
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// An envelope page of `items` (JSON texts), with totals for `total` items.
fn envelope(page: u64, limit: u64, total: u64, items: &[String]) -> String {
    format!(
        "{{\"current_page\":{page},\"current_limit\":{limit},\"total_pages\":{},\
         \"total_count\":{total},\"results\":[{}]}}",
        total.div_ceil(limit),
        items.join(",")
    )
}

// -------------------------------------------------------------------------------------------
// Signals

/// Each signal mid-export: exit 128 + n, no temporary file, the previous export untouched.
#[test]
fn signals_remove_the_temporary_file_and_keep_the_old_output() {
    // 200 ms per page, pages of 10: the export would take a minute; it is interrupted at once.
    let fake = Fake::start(
        3_000,
        FaultPlan {
            latency: Duration::from_millis(200),
            ..FaultPlan::default()
        },
    );
    for (signal, name) in [
        (libc::SIGINT, "SIGINT"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGHUP, "SIGHUP"),
    ] {
        let config = tempfile::tempdir().expect("config dir");
        let out = tempfile::tempdir().expect("output dir");
        let file = out.path().join("customers.ndjson");
        std::fs::write(&file, "previous export\n").expect("previous export");
        let mut cmd = fake.cro(config.path());
        cmd.args(["export", "customers", "--page-size", "10", "--output"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn cro");
        let stderr = drain(child.stderr.take().expect("stderr"));
        // The temporary file exists once the export has started writing.
        let start = Instant::now();
        while !dir_entries(out.path())
            .iter()
            .any(|n| n.ends_with(".cro-tmp"))
        {
            assert!(
                start.elapsed() < RUN_TIMEOUT,
                "{name}: no temporary file appeared"
            );
            assert!(
                child.try_wait().expect("wait").is_none(),
                "{name}: cro ended early"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let pid = libc::pid_t::try_from(child.id()).expect("pid");
        // SAFETY: kill(2) on the child this test spawned and still owns (not reaped yet).
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "{name}: kill");
        let status = wait(&mut child);
        let stderr = String::from_utf8_lossy(&stderr.join().expect("stderr")).into_owned();
        assert_eq!(
            status.code(),
            Some(128 + signal),
            "{name}: exit status {status:?}\n{stderr}"
        );
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert_eq!(
            dir_entries(out.path()),
            ["customers.ndjson"],
            "{name}: the temporary file is left behind"
        );
        assert_eq!(
            std::fs::read_to_string(&file).expect("previous export"),
            "previous export\n",
            "{name}: the previous export was modified"
        );
    }
}

// -------------------------------------------------------------------------------------------
// Pipes

/// A reader that goes away after one line: exit 141, quietly, no success summary.
#[test]
fn a_reader_that_goes_away_ends_the_export_quietly_with_141() {
    let fake = Fake::start(3_000, FaultPlan::default());
    let config = tempfile::tempdir().expect("config dir");
    let mut cmd = fake.cro(config.path());
    cmd.args(["export", "customers", "--page-size", "100"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cro");
    let stderr = drain(child.stderr.take().expect("stderr"));
    {
        // `| head -1`: read one line (the export is ~1 MB, far more than a pipe holds), then
        // close the pipe.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        lines.read_line(&mut first).expect("first line");
        assert!(first.starts_with('{'), "{first}");
    }
    let status = wait(&mut child);
    let stderr = String::from_utf8_lossy(&stderr.join().expect("stderr")).into_owned();
    assert_eq!(status.code(), Some(141), "{status:?}\n{stderr}");
    assert!(!claims_success(&stderr), "claims success: {stderr}");
    assert!(!stderr.contains("error"), "not quiet: {stderr}");
}

/// `cro export ... >&-`: not a silent success.
#[test]
fn a_closed_stdout_fails_the_export() {
    let fake = Fake::start(200, FaultPlan::default());
    let config = tempfile::tempdir().expect("config dir");
    let inner = fake.cro(config.path());
    // The shell closes descriptor 1 and runs cro, with cro's environment.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("exec \"$0\" export customers >&-")
        .arg(inner.get_program());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn sh");
    let stderr = drain(child.stderr.take().expect("stderr"));
    let status = wait(&mut child);
    let stderr = String::from_utf8_lossy(&stderr.join().expect("stderr")).into_owned();
    assert_eq!(status.code(), Some(1), "{status:?}\n{stderr}");
    assert!(stderr.contains("standard output is closed"), "{stderr}");
    assert!(!claims_success(&stderr), "claims success: {stderr}");

    // `>/dev/null` is an ordinary destination: the records are thrown away as asked.
    let mut cmd = fake.cro(config.path());
    cmd.args(["export", "customers"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let output = cmd.output().expect("run cro");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
}

/// A full disk (`/dev/full`: every write is ENOSPC) fails the export with a clear error.
#[test]
fn a_full_disk_fails_the_export() {
    let fake = Fake::start(500, FaultPlan::default());
    let config = tempfile::tempdir().expect("config dir");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let mut cmd = fake.cro(config.path());
    cmd.args(["export", "customers"])
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cro");
    let stderr = drain(child.stderr.take().expect("stderr"));
    let status = wait(&mut child);
    let stderr = String::from_utf8_lossy(&stderr.join().expect("stderr")).into_owned();
    assert_eq!(status.code(), Some(1), "{status:?}\n{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.to_lowercase().contains("no space left"),
        "{stderr}"
    );
    assert!(!claims_success(&stderr), "claims success: {stderr}");
}

// -------------------------------------------------------------------------------------------
// --allow-drift, read-only targets

/// The list grows during a fan-out: locations walked after the change see the new
/// total_count from their first page. Without the flag: exit 6, no file. With it: the file is
/// written, with a warning.
#[test]
fn allow_drift_finishes_the_export_with_a_warning() {
    let plan = FaultPlan {
        total_count_drift: Some(Drift {
            after_request: 3,
            delta: 5,
        }),
        ..FaultPlan::default()
    };
    for allow in [false, true] {
        let fake = Fake::start(600, plan.clone());
        let config = tempfile::tempdir().expect("config dir");
        let out = tempfile::tempdir().expect("output dir");
        let file = out.path().join("customers.ndjson");
        let mut cmd = fake.cro(config.path());
        cmd.args([
            "export",
            "customers",
            "--all-locations",
            "--page-size",
            "50",
        ])
        .args(["--location-concurrency", "1", "--output"])
        .arg(&file);
        if allow {
            cmd.arg("--allow-drift");
        }
        let output = run(cmd);
        let stderr = stderr_of(&output);
        if allow {
            assert_eq!(output.status.code(), Some(0), "{stderr}");
            assert!(stderr.contains("warning"), "{stderr}");
            assert!(stderr.contains("total_count"), "{stderr}");
            let ids = unique_ids(&std::fs::read_to_string(&file).expect("output file"));
            assert_eq!(ids.len(), 600, "every record of the (unchanged) data");
        } else {
            assert_eq!(output.status.code(), Some(6), "{stderr}");
            assert!(
                stderr.contains("changed during") || stderr.contains("total_count"),
                "{stderr}"
            );
            assert!(dir_entries(out.path()).is_empty(), "{stderr}");
        }
    }
}

/// An existing file without an owner write bit is refused, as root too; it stays as it was.
#[test]
fn a_read_only_output_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let fake = Fake::start(50, FaultPlan::default());
    let config = tempfile::tempdir().expect("config dir");
    let out = tempfile::tempdir().expect("output dir");
    let file = out.path().join("customers.ndjson");
    std::fs::write(&file, "keep me\n").expect("existing file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let mut cmd = fake.cro(config.path());
    cmd.args(["export", "customers", "--output"]).arg(&file);
    let output = run(cmd);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
    assert_eq!(dir_entries(out.path()), ["customers.ndjson"]);
    assert_eq!(std::fs::read_to_string(&file).expect("file"), "keep me\n");
    assert_eq!(
        std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
        0o444
    );
}

// -------------------------------------------------------------------------------------------
// Servers the fake does not imitate

/// Locations that carry only an id (no address, city, ...): `--all-locations` needs nothing
/// else, so the customers export succeeds.
#[test]
fn fan_out_needs_only_the_location_ids() {
    let server = TinyServer::start(|path, page, limit| {
        if path == "/locations" {
            let items = [
                r#"{"id":1}"#.to_owned(),
                r#"{"id":2,"name":"Only a name"}"#.to_owned(),
            ];
            let items: &[String] = if page == 1 { &items } else { &[] };
            return Some(envelope(page, limit, 2, items));
        }
        let location: u64 = path
            .strip_prefix("/locations/")?
            .strip_suffix("/customers")?
            .parse()
            .ok()?;
        let items: Vec<String> = (1..=3)
            .filter(|_| page == 1)
            .map(|n| {
                format!(
                    "{{\"id\":{},\"location_id\":{location},\"name\":\"C\"}}",
                    location * 100 + n
                )
            })
            .collect();
        Some(envelope(page, limit, 3, &items))
    });
    let config = tempfile::tempdir().expect("config dir");
    let mut cmd = server.cro(config.path());
    cmd.args(["export", "customers", "--all-locations"]);
    let output = run(cmd);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let ids = unique_ids(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(ids, BTreeSet::from([101, 102, 103, 201, 202, 203]));
}

/// 25 customers in pages of 10 whose pages advance honestly, but from page 2 on start 3
/// records early (rows inserted ahead of the walk): the totals never change.
fn repeating_server() -> TinyServer {
    TinyServer::start(|path, page, limit| {
        if path != "/customers" {
            return None;
        }
        let shift = if page >= 2 { 3 } else { 0 };
        let first = ((page - 1) * limit).saturating_sub(shift) + 1;
        let last = (page * limit).saturating_sub(shift).min(25);
        let items: Vec<String> = (first..=last)
            .map(|id| format!("{{\"id\":{id},\"location_id\":1,\"name\":\"C{id}\"}}"))
            .collect();
        Some(envelope(page, limit, 25, &items))
    })
}

/// A record served twice fails the export (exit 6, the id and both pages named, no file);
/// `--dedupe` writes each record once and warns.
#[test]
fn repeated_records_fail_the_export_unless_deduplicated() {
    let server = repeating_server();
    let config = tempfile::tempdir().expect("config dir");
    let out = tempfile::tempdir().expect("output dir");
    let file = out.path().join("customers.ndjson");
    let mut cmd = server.cro(config.path());
    cmd.args(["export", "customers", "--page-size", "10", "--output"])
        .arg(&file);
    let output = run(cmd);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("same record twice")
            && stderr.contains("id 8")
            && stderr.contains("page 1")
            && stderr.contains("page 2"),
        "{stderr}"
    );
    assert!(dir_entries(out.path()).is_empty(), "{stderr}");

    let mut cmd = server.cro(config.path());
    cmd.args([
        "export",
        "customers",
        "--page-size",
        "10",
        "--dedupe",
        "--output",
    ])
    .arg(&file);
    let output = run(cmd);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("3 records a second time"),
        "{stderr}"
    );
    let ids = unique_ids(&std::fs::read_to_string(&file).expect("output file"));
    assert_eq!(ids, (1..=25).collect::<BTreeSet<i64>>());
}
