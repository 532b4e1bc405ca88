//! End-to-end tests of `cro export` CSV against an in-process `cro-fake` on 127.0.0.1:0:
//! the format chosen by the file name, identity-first columns, flattening, `--columns`,
//! formula escaping, and the raw-JSON CSV path checked byte for byte against a reference
//! built from the SDK's typed decode, over every list resource of the fake.
//!
//! Each test starts its own fake and runs the built binary with a private config directory
//! and none of the `CRO_*` variables of the environment; every child process has a deadline.

use cro_ext::{PagedRequest, PagedVisitor, Paginate, Params};
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use futures::TryStreamExt;
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Deadline of one `cro` run.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------
// Harness

/// A fake server on its own runtime.
struct Server {
    // Field order matters: the fake must be dropped while its runtime still exists.
    fake: RunningFake,
    rt: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let fake = rt
            .block_on(FakeServer::start(FakeConfig::default()))
            .expect("fake server starts");
        Server { fake, rt }
    }

    fn tenant(&self) -> i64 {
        self.fake.tenant_ids()[0]
    }

    fn location(&self) -> String {
        self.fake.location_ids(self.tenant())[0].to_string()
    }

    fn token(&self, role: &str) -> String {
        self.fake.token(role).expect("seeded role token")
    }

    /// `cro` connected to this server as `role`, with a private config dir.
    fn cro(&self, cfg: &Path, role: &str) -> Command {
        let mut cmd = cro(cfg);
        cmd.env("CRO_BASE_URL", self.fake.base_url())
            .env("CRO_TOKEN", self.token(role))
            .env("CRO_TENANT_ID", self.tenant().to_string());
        cmd
    }
}

/// `cro` with a private config dir and a clean environment.
fn cro(cfg: &Path) -> Command {
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
    cmd.env("CRO_CONFIG_DIR", cfg);
    cmd
}

/// Run `cmd` with `args`, killing it at the deadline.
fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cro");
    // Drain both pipes on threads so a large output cannot block the child.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
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
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            panic!("cro {args:?} did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_t.join().expect("stdout thread"),
        stderr: err_t.join().expect("stderr thread"),
    }
}

#[track_caller]
fn ok(args: &[&str], out: &Output) -> String {
    assert!(
        out.status.success(),
        "cro {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

#[track_caller]
fn usage_error(args: &[&str], out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "cro {args:?} should be a usage error:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// The header and rows of CSV text.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("csv row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn header_of(server: &Server, cfg: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "csv", "-q"]);
    let out = run(server.cro(cfg, "Admin"), &all);
    parse_csv(&ok(&all, &out)).0
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON line"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Format from the file name

#[test]
fn demo_export_to_a_csv_file_writes_csv_with_id_first() {
    let cfg = tempdir();
    let dir = tempdir();
    let args = ["--demo", "export", "customers", "-o", "x.csv", "-q"];
    let mut cmd = cro(cfg.path());
    cmd.current_dir(dir.path());
    ok(&args, &run(cmd, &args));
    let text = std::fs::read_to_string(dir.path().join("x.csv")).expect("x.csv written");
    let (header, rows) = parse_csv(&text);
    assert_eq!(header[..2], ["id", "name"], "{header:?}");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.len() == header.len()));
    assert!(rows[0][0].parse::<i64>().is_ok(), "{:?}", rows[0]);

    // The README's quick start (--format csv --output customers.csv) keeps working.
    let args = [
        "--demo",
        "export",
        "customers",
        "--format",
        "csv",
        "--output",
        "customers.csv",
        "-q",
    ];
    let mut cmd = cro(cfg.path());
    cmd.current_dir(dir.path());
    ok(&args, &run(cmd, &args));
    let again = std::fs::read_to_string(dir.path().join("customers.csv")).expect("written");
    assert_eq!(parse_csv(&again).0, header);
}

#[test]
fn the_file_name_picks_the_format_and_a_contradiction_is_refused() {
    let server = Server::start();
    let cfg = tempdir();
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let export = |extra: &[&str]| {
        let mut args = vec!["export", "customers", "-q"];
        args.extend_from_slice(extra);
        let out = run(server.cro(cfg.path(), "Admin"), &args);
        (args.iter().map(|s| s.to_string()).collect::<Vec<_>>(), out)
    };

    // stdout stays NDJSON.
    let (args, out) = export(&[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let records = ndjson(&ok(&args, &out));
    assert_eq!(records.len(), 504);

    let json = path("c.json");
    let (args, out) = export(&["-o", &json]);
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    let arr: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).expect("a JSON array");
    assert_eq!(arr, records);

    for name in ["c.jsonl", "c.ndjson", "c.NDJSON"] {
        let file = path(name);
        let (args, out) = export(&["-o", &file]);
        ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out);
        assert_eq!(ndjson(&std::fs::read_to_string(&file).unwrap()), records);
    }

    let csv_file = path("c.csv");
    let (args, out) = export(&["-o", &csv_file]);
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    let (header, rows) = parse_csv(&std::fs::read_to_string(&csv_file).unwrap());
    assert_eq!(header[0], "id");
    assert_eq!(rows.len(), 504);

    // An unknown extension keeps the default; --format wins over it.
    let txt = path("c.txt");
    let (args, out) = export(&["-o", &txt, "--format", "csv"]);
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    assert!(
        std::fs::read_to_string(&txt)
            .unwrap()
            .starts_with("id,name,")
    );

    // A --format that contradicts the extension: exit 2, says so, writes nothing.
    let bad = path("bad.csv");
    let (args, out) = export(&["-o", &bad, "--format", "ndjson"]);
    let err = usage_error(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    assert!(err.contains("--format ndjson contradicts"), "{err}");
    assert!(err.contains("bad.csv"), "{err}");
    assert!(!Path::new(&bad).exists());
    let bad = path("bad.json");
    let (args, out) = export(&["-o", &bad, "--format", "csv"]);
    let err = usage_error(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    assert!(err.contains("means json"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Columns

#[test]
fn columns_are_identity_first_then_spec_order() {
    let server = Server::start();
    let cfg = tempdir();
    let loc = server.location();
    for args in [
        vec!["customers"],
        vec!["jobs", "--location", &loc],
        vec!["locations"],
        vec!["trucks", "--location", &loc],
        vec!["drivers", "--location", &loc],
        vec!["assets", "--location", &loc],
    ] {
        let header = header_of(&server, cfg.path(), &args);
        assert_eq!(header[0], "id", "{args:?}: {header:?}");
        if header.contains(&"name".to_string()) {
            assert_eq!(header[1], "name", "{args:?}: {header:?}");
        }
        // The rest of the top-level fields keep the spec's order (the API docs' order).
        let top: Vec<&str> = header
            .iter()
            .map(|h| h.split('.').next().unwrap())
            .filter(|h| *h != "id" && *h != "name")
            .fold(Vec::new(), |mut v, h| {
                if v.last() != Some(&h) {
                    v.push(h);
                }
                v
            });
        let mut sorted = top.clone();
        sorted.sort_unstable();
        assert_eq!(
            top, sorted,
            "{args:?}: spec order (alphabetical in the spec)"
        );
    }
    // The header depends on the API version, not on the data.
    let old = header_of(
        &server,
        cfg.path(),
        &["customers", "--api-version", "2019/02/08"],
    );
    assert_eq!(old[..2], ["customer_id", "name"]);
    let new = header_of(&server, cfg.path(), &["customers"]);
    assert_eq!(
        new,
        header_of(&server, cfg.path(), &["customers", "--name", "no such"])
    );
}

#[test]
fn every_nested_object_is_flattened_and_arrays_are_json_cells() {
    let server = Server::start();
    let cfg = tempdir();
    let loc = server.location();
    let args = [
        "export",
        "jobs",
        "--location",
        &loc,
        "--format",
        "csv",
        "-q",
    ];
    let (header, rows) = parse_csv(&ok(&args, &run(server.cro(cfg.path(), "Admin"), &args)));
    let args = ["export", "jobs", "--location", &loc, "-q"];
    let jobs = ndjson(&ok(&args, &run(server.cro(cfg.path(), "Admin"), &args)));
    assert_eq!(rows.len(), jobs.len());
    assert!(!jobs.is_empty());
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name} in {header:?}"))
    };
    assert!(!header.contains(&"customer".to_string()));
    assert!(!header.contains(&"asset".to_string()));
    let mut seen_customer = false;
    let mut seen_asset = false;
    for (row, job) in rows.iter().zip(&jobs) {
        assert_eq!(row[col("id")], job["id"].to_string());
        if job["customer"].is_object() {
            seen_customer = true;
            assert_eq!(row[col("customer.id")], job["customer"]["id"].to_string());
            assert_eq!(
                row[col("customer.name")],
                job["customer"]["name"].as_str().unwrap()
            );
            let addresses: Value = serde_json::from_str(&row[col("customer.addresses")]).unwrap();
            assert_eq!(addresses, job["customer"]["addresses"]);
        }
        if job["asset"].is_object() {
            seen_asset = true;
            assert_eq!(row[col("asset.id")], job["asset"]["id"].to_string());
        }
        let materials: Value = serde_json::from_str(&row[col("materials")]).unwrap();
        assert_eq!(materials, job["materials"]);
    }
    assert!(
        seen_customer && seen_asset,
        "the demo has jobs with a customer and an asset"
    );
}

#[test]
fn columns_flag_selects_and_orders_and_explains_unknown_names() {
    let server = Server::start();
    let cfg = tempdir();
    let loc = server.location();
    let args = [
        "export",
        "jobs",
        "--location",
        &loc,
        "--format",
        "csv",
        "-q",
        "--columns",
        "customer.name,id,type",
    ];
    let (header, rows) = parse_csv(&ok(&args, &run(server.cro(cfg.path(), "Admin"), &args)));
    assert_eq!(header, ["customer.name", "id", "type"]);
    let args2 = ["export", "jobs", "--location", &loc, "-q"];
    let jobs = ndjson(&ok(&args2, &run(server.cro(cfg.path(), "Admin"), &args2)));
    for (row, job) in rows.iter().zip(&jobs) {
        assert_eq!(row.len(), 3);
        assert_eq!(row[1], job["id"].to_string());
        assert_eq!(row[2], job["type"].as_str().unwrap_or(""));
    }
    // The file name's format counts too.
    let dir = tempdir();
    let file = dir.path().join("j.csv");
    let args = [
        "export",
        "jobs",
        "--location",
        &loc,
        "-q",
        "--columns",
        "id,asset",
        "-o",
        file.to_str().unwrap(),
    ];
    ok(&args, &run(server.cro(cfg.path(), "Admin"), &args));
    let (header, _) = parse_csv(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(header[0], "id");
    assert!(
        header[1..].iter().all(|h| h.starts_with("asset.")),
        "{header:?}"
    );

    // Unknown column: exit 2, names it, suggests close matches, writes nothing.
    let bad = dir.path().join("bad.csv");
    let args = [
        "export",
        "jobs",
        "--location",
        &loc,
        "--columns",
        "id,custmer.name",
        "-o",
        bad.to_str().unwrap(),
    ];
    let err = usage_error(&args, &run(server.cro(cfg.path(), "Admin"), &args));
    assert!(err.contains("`custmer.name`"), "{err}");
    assert!(err.contains("did you mean `customer.name`"), "{err}");
    assert!(!bad.exists());
    // --columns is a CSV option.
    let args = ["export", "customers", "--columns", "id"];
    let err = usage_error(&args, &run(server.cro(cfg.path(), "Admin"), &args));
    assert!(err.contains("--columns only applies to CSV"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Formula injection

#[test]
fn formula_cells_are_escaped_and_numbers_never_are() {
    let server = Server::start();
    let cfg = tempdir();
    let loc = server.location();
    // A customer whose text fields start with formula characters.
    let body = serde_json::json!({
        "name": "=HYPERLINK(\"http://evil.example\",\"x\")",
        "note": "+1 call back",
        "reference_number": "-42",
        "sales_rep": "@rep",
        "addresses": [{
            "country": "US", "is_billing": true, "is_shipping": true,
            "latitude": 47.5, "longitude": -122.25, "line_1": "1 Main St",
            "locality": "Seattle", "postcode": "98101", "region": "WA"
        }],
        "contacts": []
    });
    let url = format!("{}/locations/{loc}/customers", server.fake.base_url());
    let token = server.token("Dispatcher");
    let tenant = server.tenant().to_string();
    let status = server.rt.block_on(async {
        reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .header("x-tenant-id", tenant)
            .header(
                "x-api-version",
                *cro_api::meta::API_VERSIONS.last().unwrap(),
            )
            .json(&body)
            .send()
            .await
            .expect("create customer")
            .status()
    });
    assert!(status.is_success(), "{status}");

    let export = |extra: &[&str]| {
        let mut args = vec!["export", "customers", "--format", "csv", "-q", "--name"];
        args.push("=HYPERLINK(\"http://evil.example\",\"x\")");
        args.extend_from_slice(extra);
        let text = ok(&args, &run(server.cro(cfg.path(), "Admin"), &args));
        let (header, rows) = parse_csv(&text);
        assert_eq!(rows.len(), 1, "{text}");
        let cell = |name: &str| rows[0][header.iter().position(|h| h == name).unwrap()].clone();
        (
            cell("name"),
            cell("note"),
            cell("reference_number"),
            cell("sales_rep"),
        )
    };
    let (name, note, reference, rep) = export(&[]);
    assert_eq!(name, "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(note, "'+1 call back");
    assert_eq!(reference, "'-42");
    assert_eq!(rep, "'@rep");
    let (name, note, reference, rep) = export(&["--csv-formulas", "raw"]);
    assert_eq!(name, "=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(
        (note.as_str(), reference.as_str(), rep.as_str()),
        ("+1 call back", "-42", "@rep")
    );

    // Negative numbers (JSON numbers) are never prefixed: the locations' longitudes.
    let args = ["export", "locations", "--format", "csv", "-q"];
    let (header, rows) = parse_csv(&ok(&args, &run(server.cro(cfg.path(), "Admin"), &args)));
    let lon = header
        .iter()
        .position(|h| h == "address.longitude")
        .expect("address.longitude");
    let negative: Vec<&String> = rows
        .iter()
        .map(|r| &r[lon])
        .filter(|c| c.starts_with('-'))
        .collect();
    assert!(
        !negative.is_empty(),
        "the demo's locations are west of Greenwich"
    );
    assert!(
        negative.iter().all(|c| c.parse::<f64>().is_ok()),
        "{negative:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Raw-JSON CSV == typed-decode CSV, over every list resource

/// Collects the items of a typed walk as JSON values (the typed decode and re-encode that
/// CSV export used before it read the server's JSON directly).
struct Typed<'a> {
    rt: &'a tokio::runtime::Runtime,
}

impl PagedVisitor for Typed<'_> {
    type Output = Vec<Value>;
    fn visit<R: PagedRequest>(self, request: R) -> Vec<Value> {
        self.rt.block_on(async {
            let items: Vec<R::Item> = request
                .paginate()
                .page_size(41)
                .items()
                .try_collect()
                .await
                .expect("typed walk");
            items
                .iter()
                .map(|i| serde_json::to_value(i).expect("typed item to JSON"))
                .collect()
        })
    }
}

/// The reference CSV: `header`'s columns looked up in the typed items, with the documented
/// cell rules (null/missing empty, strings as is but formula-escaped, numbers and booleans
/// in their JSON form, arrays and objects as compact JSON).
fn reference_csv(header: &[String], items: &[Value]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).unwrap();
    for item in items {
        let row: Vec<String> = header
            .iter()
            .map(|name| {
                let mut v = Some(item);
                for key in name.split('.') {
                    v = v.and_then(|v| v.get(key));
                }
                match v {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => {
                        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                            format!("'{s}")
                        } else {
                            s.clone()
                        }
                    }
                    Some(other) => other.to_string(),
                }
            })
            .collect();
        w.write_record(&row).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// `(resource, operation id, scope flags)` of every list operation, from `cro ops --resources`
/// (the table the CLI derives from the generated metadata).
fn list_operations(cfg: &Path) -> Vec<(String, String, Vec<String>)> {
    let args = ["ops", "--resources"];
    let text = ok(&args, &run(cro(cfg), &args));
    let mut out = Vec::new();
    let mut resource = String::new();
    for line in text.lines() {
        if !line.starts_with(' ') {
            resource = line.split(' ').next().unwrap_or_default().to_string();
        } else if let Some(rest) = line.trim_start().strip_prefix("list ") {
            let op = rest.split(' ').next().unwrap().to_string();
            let flags = match (rest.find('['), rest.find(']')) {
                (Some(a), Some(b)) => rest[a + 1..b].split(' ').map(str::to_owned).collect(),
                _ => Vec::new(),
            };
            out.push((resource.clone(), op, flags));
        }
    }
    out
}

#[test]
fn raw_csv_equals_the_typed_reference_for_every_list() {
    let server = Server::start();
    let cfg = tempdir();
    let loc = server.location();
    let first_id = |args: &[&str]| -> String {
        let mut all = vec!["export"];
        all.extend_from_slice(args);
        all.push("-q");
        let records = ndjson(&ok(&all, &run(server.cro(cfg.path(), "Admin"), &all)));
        match &records.first().expect("a record to scope by")["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let customer = first_id(&["customers"]);
    let driver = first_id(&["drivers", "--location", &loc]);
    let hauler = first_id(&["haulers"]);
    let scope = |flag: &str| -> (&'static str, String) {
        match flag {
            "--location" => ("location_id", loc.clone()),
            "--customer" => ("customer_id", customer.clone()),
            "--driver" => ("driver_id", driver.clone()),
            "--hauler" => ("hauler_uuid", hauler.clone()),
            other => panic!("no test value for the scope flag {other}: add one"),
        }
    };
    let ops = list_operations(cfg.path());
    assert!(ops.len() >= 15, "{ops:?}");
    let versions = cro_api::meta::API_VERSIONS;
    let mut compared = 0;
    let mut rows_compared = 0;
    for version in [versions[0], versions[versions.len() - 1]] {
        for (resource, op, flags) in &ops {
            let mut args = vec!["export".to_string(), resource.clone()];
            let mut params = Params::new();
            for flag in flags {
                let (param, value) = scope(flag);
                args.push(flag.clone());
                args.push(value.clone());
                params.insert(param.to_string(), value);
            }
            args.extend(
                [
                    "--format",
                    "csv",
                    "--page-size",
                    "37",
                    "-q",
                    "--api-version",
                    version,
                ]
                .map(String::from),
            );
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            // The first role allowed to call the operation.
            let roles = ["Admin", "Dispatcher", "CrmUser", "Driver", "ClientCustomer"];
            let Some((role, out)) = roles.iter().find_map(|role| {
                let out = run(server.cro(cfg.path(), role), &args);
                out.status.success().then_some((*role, out))
            }) else {
                panic!("{op}: no role may export it: {args:?}");
            };
            let raw = String::from_utf8(out.stdout).expect("UTF-8 CSV");
            let header = parse_csv(&raw).0;
            let client = cro_api::Client::builder()
                .base_url(server.fake.base_url())
                .token(server.token(role))
                .tenant_id(server.tenant() as u64)
                .api_version_str(version)
                .build()
                .expect("client");
            let items = cro_ext::with_paged_request(&client, op, &params, Typed { rt: &server.rt })
                .expect("typed request");
            let expected = reference_csv(&header, &items);
            // The typed models leave out optional fields that are null (skip_serializing_if),
            // while the raw path keeps the server's nulls inside JSON cells: compare those
            // cells without null members; every other cell byte for byte.
            if without_null_members(&raw) != without_null_members(&expected) {
                let line = raw
                    .lines()
                    .zip(expected.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                panic!(
                    "{op} at {version}: raw CSV differs from the typed reference at line {}:\n  raw:   {}\n  typed: {}",
                    line + 1,
                    raw.lines().nth(line).unwrap_or(""),
                    expected.lines().nth(line).unwrap_or("")
                );
            }
            compared += 1;
            rows_compared += items.len();
        }
    }
    assert_eq!(compared, 2 * ops.len());
    assert!(rows_compared > 1000, "{rows_compared} rows compared");
}

/// The README's sample header lines (its export section) match what `cro` writes: the first
/// columns and every column shown, in order, and the column count where it is given.
#[test]
fn readme_sample_headers_are_true() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let start = readme
        .find("Sample header lines")
        .expect("the README's sample headers");
    let block = &readme[start..];
    let block = &block[block.find("```text\n").expect("a text block") + 8..];
    let block = &block[..block.find("```").expect("end of the block")];
    let server = Server::start();
    let cfg = tempdir();
    let loc = server.location();
    let mut checked = 0;
    for line in block.lines() {
        let (resource, rest) = line.split_once(' ').expect("resource then header");
        let rest = rest.trim();
        let (shown, count) = match rest.split_once("   (") {
            Some((h, c)) => (h, c.trim_end_matches(" columns)").parse::<usize>().ok()),
            None => (rest, None),
        };
        let mut args = vec![resource];
        if resource != "customers" && resource != "locations" {
            args.extend(["--location", loc.as_str()]);
        }
        let header = header_of(&server, cfg.path(), &args);
        let shown: Vec<&str> = shown.split(',').collect();
        if !shown.contains(&"...") {
            assert_eq!(header, shown, "{resource}");
        }
        assert_eq!(header[0], shown[0], "{resource}");
        let mut at = 0;
        for col in shown.iter().filter(|c| **c != "...") {
            at += header[at..]
                .iter()
                .position(|h| h == col)
                .unwrap_or_else(|| {
                    panic!("{resource}: {col} missing or out of order in {header:?}")
                })
                + 1;
        }
        if let Some(n) = count {
            assert_eq!(header.len(), n, "{resource}");
        }
        checked += 1;
    }
    assert_eq!(
        checked, 6,
        "customers, jobs, locations, trucks, drivers, assets"
    );
}

/// The CSV's cells, with `null` members removed from JSON cells (arrays and objects).
fn without_null_members(csv_text: &str) -> Vec<Vec<String>> {
    fn strip(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(strip).collect()),
            other => other,
        }
    }
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| {
            r.expect("valid CSV")
                .iter()
                .map(|cell| match serde_json::from_str::<Value>(cell) {
                    Ok(v @ (Value::Array(_) | Value::Object(_))) => strip(v).to_string(),
                    _ => cell.to_owned(),
                })
                .collect()
        })
        .collect()
}
