//! Start-up: a million customers start instantly, the binary prints its one JSON line, and the
//! docs' getting-started script works against the fake.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use cro_fake::FakeConfig;

#[tokio::test]
async fn a_million_customers_start_fast() {
    bounded(async {
        let t0 = Instant::now();
        let fake = start(FakeConfig::default().with_customers(1_000_000)).await;
        let api = Api::new(&fake, "Admin");
        let p = api
            .get_json("/customers?page_limit=1000&page_index=1000", 200)
            .await;
        // A sanity bound, not a benchmark.
        assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
        assert_eq!(p["total_count"], 1_000_000);
        assert_eq!(ids(&p).len(), 1000);
        assert_eq!(*ids(&p).last().unwrap(), 1_999_999);
        let one = api.get_json("/customers/1999999", 200).await;
        assert_eq!(one["id"], 1_999_999);
    })
    .await;
}

#[test]
fn binary_prints_one_json_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cro-fake"))
        .args(["--seed", "7", "--customers", "12", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cro-fake");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a startup line");
    let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert!(
        v["base_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(v["tenants"], serde_json::json!([34, 35]));
    for role in [
        "Admin",
        "Dispatcher",
        "Driver",
        "CrmUser",
        "ClientCustomer",
        "MultiTenantAdmin",
    ] {
        assert!(v["tokens"][role].is_string(), "{role}");
    }
    assert!(
        v["oauth"]["token_url"]
            .as_str()
            .unwrap()
            .ends_with("/oauth2/token")
    );
    assert!(v["oauth"]["client_secret"].is_string());
}

#[test]
fn binary_refuses_non_loopback_without_the_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_cro-fake"))
        .args(["--host", "0.0.0.0"])
        .output()
        .expect("run cro-fake");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

/// The getting-started sample (Python + requests), placeholders filled in, prints every
/// customer. Skipped when python3 with `requests` is not installed.
#[tokio::test]
async fn getting_started_script_prints_every_customer() {
    let has_requests = Command::new("python3")
        .args(["-c", "import requests"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_requests {
        eprintln!("skipped: python3 with requests is not available");
        return;
    }
    bounded(async {
        let fake = start_default().await;
        let host = fake.base_url().trim_start_matches("http://").to_owned();
        let token = fake.token("Admin").unwrap();
        // The second sample of getting-started.txt, verbatim apart from the placeholders.
        let script = format!(
            r#"import requests, json

def process_customers(cb, **kw):
    url = 'http://{host}/customers'
    headers = {{
        'Authorization': 'bearer {token}',
        'x-tenant-id': "34",
        'content-type': 'application/json'
    }}
    next_page = 1
    while True:
        params = {{
            'page_index': next_page
        }}
        response = requests.get(
            url,
            headers=headers,
            params=params
        )
        results = json.loads(response.text)
        for item in results['results']:
            cb(item, **kw)
        total_pages = int(results['total_pages'])
        next_page = int(results['current_page']) + 1
        if next_page > total_pages:
            break

process_customers(print)
"#
        );
        let out = tokio::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .await
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8_lossy(&out.stdout).lines().count();
        assert_eq!(printed, 504);
        let pages: Vec<String> = fake
            .request_log()
            .iter()
            .map(|e| e.query_param("page_index").unwrap_or_default())
            .collect();
        assert_eq!(pages, ["1", "2", "3", "4", "5", "6"]);
    })
    .await;
}
