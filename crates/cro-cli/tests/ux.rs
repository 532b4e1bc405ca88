//! `cro` for people (issue 13, items 3-8, and exact numbers in `cro get`): end-to-end tests of
//! the binary, on the demo, on a `cro-fake` on 127.0.0.1:0, or on a tiny scripted HTTP server.

mod common;

use common::{Run, cro, tempdir};
use cro_fake::{FakeConfig, FakeServer, RunningFake};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

/// A fake server on its own runtime.
struct Server {
    // Field order matters: the fake must be dropped while its runtime still exists.
    fake: RunningFake,
    _rt: tokio::runtime::Runtime,
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
            .expect("fake starts");
        Server { fake, _rt: rt }
    }

    /// Environment that points `cro` at this server as `role`.
    fn env(&self, role: &str) -> Vec<(&'static str, String)> {
        vec![
            ("CRO_BASE_URL", self.fake.base_url().to_string()),
            ("CRO_TOKEN", self.fake.token(role).expect("role token")),
            ("CRO_TENANT_ID", self.fake.tenant_ids()[0].to_string()),
        ]
    }
}

/// Run `cro` in a fresh config dir and working dir.
fn run(env: &[(&str, String)], args: &[&str]) -> Run {
    let cfg = tempdir();
    run_in(cfg.path(), env, args)
}

fn run_in(cfg: &Path, env: &[(&str, String)], args: &[&str]) -> Run {
    let cwd = tempdir();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cro(cfg, cwd.path(), &env, args)
}

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// A plain-HTTP server that answers every request with `status` and `body` (JSON), until the
/// test ends. Returns its base URL.
fn scripted_server(status: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            // Read the request head; GETs have no body.
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

// ---------------------------------------------------------------------------------------
// 3. `cro get` returns what it found; numbers stay exact

#[test]
fn get_prints_found_records_reports_missing_ones_and_exits_4() {
    let r = run(&[], &["--demo", "get", "customers", "17", "42", "19"]);
    r.expect_code(4);
    let records: Vec<Value> = serde_json::from_str(&r.stdout()).expect("a JSON array");
    let ids: Vec<i64> = records.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![17, 19], "found records, in the order asked");
    let err = r.stderr();
    assert!(err.contains("customers 42: not found"), "{err}");
    assert!(err.contains("1 of 3 customers not found: 42"), "{err}");

    let one = run(&[], &["--demo", "get", "customers", "17"]);
    one.expect_code(0);
    let v: Value = serde_json::from_str(&one.stdout()).expect("one JSON object");
    assert_eq!(v["id"], 17);
}

#[test]
fn get_prints_big_numbers_exactly_as_served() {
    let url = scripted_server(
        "200 OK",
        r#"{"id":99999999999999999999999,"name":"Big","balance":1.10,"nested":{"x":[1,2]}}"#,
    );
    let env = [
        ("CRO_BASE_URL", url),
        ("CRO_TOKEN", "header.payload.sig".to_string()),
        ("CRO_TENANT_ID", "1".to_string()),
    ];
    let r = run(&env, &["get", "customers", "5"]);
    r.expect_code(0);
    let out = r.stdout();
    assert!(out.contains(r#""id": 99999999999999999999999,"#), "{out}");
    assert!(out.contains(r#""balance": 1.10,"#), "{out}");
    assert!(!out.contains("e+"), "{out}");
}

// ---------------------------------------------------------------------------------------
// 4. Help that teaches

#[test]
fn every_subcommand_help_has_examples() {
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["export", "--help"],
        vec!["get", "--help"],
        vec!["ops", "--help"],
        vec!["roles", "--help"],
        vec!["auth", "--help"],
        vec!["auth", "login", "--help"],
        vec!["auth", "status", "--help"],
        vec!["auth", "logout", "--help"],
        vec!["fake", "--help"],
        vec!["completion", "--help"],
    ];
    for resource in [
        "customers",
        "jobs",
        "addresses",
        "tenants",
        "dump-destinations",
    ] {
        commands.push(vec!["export", resource, "--help"]);
    }
    for resource in ["customers", "drivers"] {
        commands.push(vec!["get", resource, "--help"]);
    }
    for args in commands {
        let r = run(&[], &args);
        r.expect_code(0);
        assert!(
            r.stdout().contains("Examples:\n  cro"),
            "cro {args:?}:\n{}",
            r.stdout()
        );
    }
}

#[test]
fn resources_are_described_in_words_without_operation_ids() {
    let r = run(&[], &["export", "--help"]);
    r.expect_code(0);
    let help = r.stdout();
    let resources = help
        .split("Resources:")
        .nth(1)
        .and_then(|s| s.split("Options:").next())
        .expect("a Resources section");
    assert!(
        resources.contains("customers           of the tenant, of one location (--location)"),
        "{resources}"
    );
    assert!(!resources.contains("list_"), "operation ids: {resources}");
    assert!(
        !resources
            .lines()
            .any(|l| l.trim_start().starts_with("help ")),
        "`help` listed as a resource: {resources}"
    );
    for args in [
        ["export", "customers", "--help"],
        ["get", "customers", "--help"],
    ] {
        let r = run(&[], &args);
        assert!(!r.stdout().contains("list_"), "{}", r.stdout());
        assert!(!r.stdout().contains("get_customer"), "{}", r.stdout());
    }
    // The ids are still one command away.
    let ops = run(&[], &["ops", "--resources"]);
    assert!(ops.stdout().contains("list_location_customers"));
    // `help` is not a resource.
    run(&[], &["export", "help"]).expect_code(2);
}

#[test]
fn fake_help_shows_only_what_applies() {
    let r = run(&[], &["fake", "--help"]);
    r.expect_code(0);
    let help = r.stdout();
    assert!(help.contains("--port"), "{help}");
    assert!(help.contains("--customers"), "{help}");
    for flag in [
        "--base-url",
        "--token",
        "--tenant",
        "--api-version",
        "--attempts",
        "--demo",
    ] {
        assert!(!help.contains(flag), "{flag} in:\n{help}");
    }
}

#[test]
fn completion_scripts_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cro"),
        ("fish", "complete -c cro"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = run(&[], &["completion", shell]);
        r.expect_code(0);
        assert!(r.stdout().contains(marker), "{shell}: {}", r.stdout());
        assert!(
            r.stdout().contains("export"),
            "{shell} completes subcommands"
        );
    }
    run(&[], &["completion", "tcsh"]).expect_code(2);
}

#[test]
fn ops_fits_100_columns() {
    for args in [vec!["ops"], vec!["ops", "--role", "Admin"]] {
        let r = run(&[], &args);
        r.expect_code(0);
        for line in r.stdout().lines() {
            assert!(
                line.chars().count() <= 100,
                "{} columns: {line}",
                line.len()
            );
        }
        assert!(r.stdout().contains("list_customers"));
    }
}

// ---------------------------------------------------------------------------------------
// 5. Errors in the user's words

#[test]
fn a_bad_filter_value_is_reported_under_its_flag() {
    let r = run(
        &[],
        &[
            "--demo",
            "export",
            "customers",
            "--created-on-gte",
            "01/02/2024",
        ],
    );
    r.expect_code(2);
    let err = r.stderr();
    assert!(err.contains("--created-on-gte"), "{err}");
    assert!(!err.contains("created_on_gte"), "{err}");
    assert!(!err.contains("list_customers"), "{err}");
    assert_eq!(
        err.matches("01/02/2024").count(),
        1,
        "the value once: {err}"
    );
}

#[test]
fn settings_errors_name_flags_and_variables_not_builder_methods() {
    let server = Server::start();
    let mut env = server.env("Admin");
    env.retain(|(k, _)| *k != "CRO_TENANT_ID");
    let r = run(&env, &["export", "customers", "--location", "1"]);
    r.expect_code(3);
    let err = r.stderr();
    assert!(
        err.contains("CRO_TENANT_ID") && err.contains("--tenant"),
        "{err}"
    );
    for builder in ["ClientBuilder", "with_tenant", "tenant_id,"] {
        assert!(!err.contains(builder), "{builder}: {err}");
    }

    let r = run(
        &[],
        &[
            "--base-url",
            "http://api.example.com",
            "--token",
            "x",
            "--tenant",
            "1",
            "export",
            "locations",
        ],
    );
    r.expect_code(2);
    let err = r.stderr();
    assert!(err.contains("--base-url"), "{err}");
    assert!(!err.contains("allow_insecure_http"), "{err}");
    let env = [("CRO_BASE_URL", "http://api.example.com".to_string())];
    let r = run(
        &env,
        &["--token", "x", "--tenant", "1", "export", "locations"],
    );
    r.expect_code(2);
    assert!(r.stderr().contains("CRO_BASE_URL"), "{}", r.stderr());
}

#[test]
fn the_api_message_is_said_once() {
    let r = run(&[], &["--demo", "get", "customers", "42"]);
    r.expect_code(4);
    let err = r.stderr();
    assert_eq!(err.matches("No customer with id 42").count(), 1, "{err}");

    let server = Server::start();
    let r = run(
        &server.env("Admin"),
        &["export", "customers", "--location", "999999"],
    );
    assert!(r.code() == 4 || r.code() == 3, "{}", r.stderr());
    let err = r.stderr();
    assert!(!err.contains("field: "), "{err}");
    assert!(!err.contains("detail: "), "{err}");
}

#[test]
fn connection_failures_name_the_host_and_the_setting() {
    let port = closed_port();
    let env = [
        ("CRO_BASE_URL", format!("http://127.0.0.1:{port}")),
        ("CRO_TOKEN", "header.payload.sig".to_string()),
        ("CRO_TENANT_ID", "1".to_string()),
    ];
    let r = run(&env, &["--attempts", "1", "export", "locations"]);
    r.expect_code(5);
    let err = r.stderr();
    assert!(
        err.contains(&format!(
            "cannot connect to 127.0.0.1:{port} (connection refused); check --base-url / CRO_BASE_URL"
        )),
        "{err}"
    );
    assert!(!err.contains("0.0ns"), "{err}");
}

#[test]
fn https_to_a_plain_http_port_says_so() {
    let server = Server::start();
    let mut env = server.env("Admin");
    for (k, v) in env.iter_mut() {
        if *k == "CRO_BASE_URL" {
            *v = v.replace("http://", "https://");
        }
    }
    let r = run(&env, &["--attempts", "1", "export", "locations"]);
    r.expect_code(5);
    let err = r.stderr();
    assert!(err.contains("does not speak https"), "{err}");
    assert!(!err.contains("InvalidContentType"), "{err}");
}

#[test]
fn config_file_errors_give_path_line_column_and_key() {
    let cfg = tempdir();
    let path = cfg.path().join("config.toml");
    std::fs::write(
        &path,
        "default_profile = \"prod\"\n[profiles.prod]\ntenant_id = 34\ntoken = \"secret-in-config\"\nbase_ulr = \"https://x\"\n",
    )
    .unwrap();
    let r = run_in(cfg.path(), &[], &["export", "locations"]);
    r.expect_code(3);
    let err = r.stderr();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("line 5, column 1"), "{err}");
    assert!(err.contains("base_ulr"), "{err}");
    assert!(!err.contains("secret-in-config"), "{err}");
}

#[test]
fn the_same_mistake_gets_the_same_exit_code_from_flag_or_environment() {
    let flag = run(
        &[],
        &[
            "--demo",
            "--api-version",
            "1999/01/01",
            "export",
            "locations",
        ],
    );
    flag.expect_code(2);
    let env = [("CRO_API_VERSION", "1999/01/01".to_string())];
    let from_env = run(&env, &["--demo", "export", "locations"]);
    from_env.expect_code(2);
    assert!(
        from_env.stderr().contains("CRO_API_VERSION"),
        "{}",
        from_env.stderr()
    );

    run(&[], &["--demo", "--tenant", "abc", "export", "locations"]).expect_code(2);
    let env = [("CRO_TENANT_ID", "abc".to_string())];
    let from_env = run(&env, &["--demo", "export", "locations"]);
    from_env.expect_code(2);
    assert!(
        from_env.stderr().contains("CRO_TENANT_ID"),
        "{}",
        from_env.stderr()
    );
}

#[test]
fn role_names_are_case_insensitive() {
    let exact = run(&[], &["ops", "--role", "Driver"]);
    exact.expect_code(0);
    let lower = run(&[], &["ops", "--role", "driver"]);
    lower.expect_code(0);
    assert_eq!(exact.stdout(), lower.stdout());
    let bad = run(&[], &["ops", "--role", "drivr"]);
    bad.expect_code(2);
    assert!(bad.stderr().contains("Driver"), "{}", bad.stderr());
}

#[test]
fn an_unreachable_login_provider_during_refresh_is_a_network_error() {
    let server = Server::start();
    let cfg = tempdir();
    let port = closed_port();
    let creds = format!(
        "[profiles.default]\naccess_token = \"expired-access-token\"\nrefresh_token = \"refresh-secret\"\n\
         expires_at = 1000\ntoken_url = \"http://127.0.0.1:{port}/oauth2/token\"\nclient_id = \"c\"\n"
    );
    let path = cfg.path().join("credentials.toml");
    std::fs::write(&path, creds).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let env = [
        ("CRO_BASE_URL", server.fake.base_url().to_string()),
        ("CRO_TENANT_ID", server.fake.tenant_ids()[0].to_string()),
    ];
    let r = run_in(
        cfg.path(),
        &env,
        &["--attempts", "1", "export", "locations"],
    );
    r.expect_code(5);
    let err = r.stderr();
    assert!(
        !err.contains("refresh-secret") && !err.contains("expired-access-token"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// 6. -v/--verbose and CRO_LOG

#[test]
fn verbose_shows_one_line_per_request_and_headers_without_the_token() {
    let server = Server::start();
    let env = server.env("Admin");
    let token = env
        .iter()
        .find(|(k, _)| *k == "CRO_TOKEN")
        .unwrap()
        .1
        .clone();

    let quiet = run(&env, &["export", "locations", "-q"]);
    quiet.expect_code(0);
    assert!(quiet.stderr().is_empty(), "{}", quiet.stderr());

    let v = run(&env, &["-v", "export", "locations", "-q"]);
    v.expect_code(0);
    let err = v.stderr();
    let line = err
        .lines()
        .find(|l| l.starts_with("GET /locations?"))
        .unwrap_or_else(|| panic!("no request line in:\n{err}"));
    assert!(line.contains("page_index="), "{line}");
    assert!(line.contains("-> 200 in "), "{line}");
    assert!(line.contains("(attempt 1, request id "), "{line}");
    assert!(!err.contains("authorization"), "-v shows no headers: {err}");
    assert_eq!(v.stdout(), quiet.stdout(), "-v does not touch stdout");

    let vv = run(&env, &["-vv", "export", "locations", "-q"]);
    vv.expect_code(0);
    let err = vv.stderr();
    assert!(err.contains("> authorization: <redacted>"), "{err}");
    assert!(err.contains("> x-tenant-id: "), "{err}");
    assert!(err.contains("< content-type: "), "{err}");
    assert!(!err.contains(&token), "token leaked:\n{err}");

    let env_log: Vec<(&str, String)> = env
        .iter()
        .cloned()
        .chain([("CRO_LOG", "cro_api=debug".to_string())])
        .collect();
    let logged = run(&env_log, &["export", "locations", "-q"]);
    logged.expect_code(0);
    assert!(logged.stderr().contains("cro_api"), "{}", logged.stderr());
    assert!(!logged.stderr().contains(&token));

    let bad: Vec<(&str, String)> = env
        .iter()
        .cloned()
        .chain([("CRO_LOG", "cro_api=loud".to_string())])
        .collect();
    let r = run(&bad, &["export", "locations", "-q"]);
    r.expect_code(2);
    assert!(r.stderr().contains("CRO_LOG"), "{}", r.stderr());
}

// ---------------------------------------------------------------------------------------
// 7. The demo: banner and --base-url

#[test]
fn demo_banner_obeys_quiet_and_conflicts_with_base_url() {
    let loud = run(&[], &["--demo", "export", "locations"]);
    loud.expect_code(0);
    assert!(
        loud.stderr().contains("demo: using the embedded fake"),
        "{}",
        loud.stderr()
    );
    let quiet = run(&[], &["--demo", "export", "locations", "-q"]);
    quiet.expect_code(0);
    assert!(quiet.stderr().is_empty(), "{}", quiet.stderr());
    assert!(!quiet.stdout().is_empty());

    let r = run(
        &[],
        &[
            "--demo",
            "--base-url",
            "https://api.example.com",
            "export",
            "locations",
        ],
    );
    r.expect_code(2);
    assert!(r.stderr().contains("--base-url"), "{}", r.stderr());
}

// ---------------------------------------------------------------------------------------
// 8. Polish

#[test]
fn summary_uses_thousands_separators_and_singulars() {
    let r = run(&[], &["--demo", "export", "customers", "-o", "c.ndjson"]);
    r.expect_code(0);
    assert!(
        r.stderr().contains("exported 2,500 customers (3 pages)"),
        "{}",
        r.stderr()
    );
    // A customer with exactly one address: "1 address", not "1 addresses".
    let customers = run(
        &[],
        &["--demo", "export", "customers", "-q", "--page-size", "50"],
    );
    let one = customers
        .stdout()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|c| c["addresses"].as_array().is_some_and(|a| a.len() == 1))
        .expect("a customer with one address");
    let id = one["id"].to_string();
    let r = run(&[], &["--demo", "export", "addresses", "--customer", &id]);
    r.expect_code(0);
    assert!(
        r.stderr().contains("exported 1 address (1 page)"),
        "{}",
        r.stderr()
    );
}

/// The progress bar, on a terminal (util-linux `script` provides one): a count until the
/// total is known, then `N/2,500`, never `0/0`.
#[test]
fn progress_bar_shows_the_total_once_known() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("SKIPPED: progress_bar_shows_the_total_once_known needs `script` (util-linux)");
        return;
    }
    let cfg = tempdir();
    let cwd = tempdir();
    let command = format!(
        "{} --demo export customers --page-size 20 -o c.ndjson",
        env!("CARGO_BIN_EXE_cro")
    );
    let mut cmd = std::process::Command::new("script");
    for var in [
        "CRO_API_VERSION",
        "CRO_TENANT_ID",
        "CRO_PROFILE",
        "CRO_LOG",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(["-qec", &command, "/dev/null"])
        .env("CRO_CONFIG_DIR", cfg.path())
        .current_dir(cwd.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = common::run_with_timeout(cmd, common::RUN_TIMEOUT);
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("/2,500 records"), "{screen}");
    assert!(!screen.contains("0/0 "), "{screen}");
    assert!(
        screen.contains("exported 2,500 customers (125 pages)"),
        "{screen}"
    );
}
