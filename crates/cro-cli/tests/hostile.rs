//! `cro` against hostile servers (issue 11): an endless body stops at `--max-body-size` with
//! memory bounded, a `Content-Length` over the cap is refused, a redirect to another origin is
//! not followed, and no control byte and no token (in any letter case) reaches stderr on any
//! error path.
//!
//! Each test starts its own plain HTTP/1.1 server on 127.0.0.1:0 (threads and std sockets:
//! what it sends is exactly what the test wrote, byte for byte), and every `cro` run has a
//! deadline.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A token of the documented shape; it must never appear on stderr.
const TOKEN: &str = "eyJTOPSECRETHEADER.eyJTOPSECRETPAYLOAD.TOPSECRETSIGNATURE";
/// Deadline of one `cro` run.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Peak resident memory allowed to `cro` while it reads an endless body with a 1 MiB cap.
/// An uncapped read grows by the network's speed (gigabytes within seconds); `cro` itself
/// (runtime, TLS roots, the embedded fake's code) stays far below this.
const RSS_BOUND_KIB: i64 = 96 * 1024;

// ---------------------------------------------------------------------------------------
// A hostile server

/// What the server sends for one request.
enum Answer {
    /// These exact bytes, then close.
    Raw(Vec<u8>),
    /// This head, then a body that never ends.
    Endless(String),
    /// This head, then nothing, with the connection held open.
    Silent(String),
}

/// A server answering request number `i` (0-based) with `answer(i, request_head)`.
struct Hostile {
    url: String,
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    fn start(answer: impl Fn(usize, &str) -> Answer + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let answer = Arc::new(answer);
        let (count2, stop2) = (Arc::clone(&count), Arc::clone(&stop));
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let held = Arc::new(Mutex::new(Vec::new()));
            while !stop2.load(Ordering::Relaxed) {
                let stream = match listener.accept() {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                let (answer, count, stop, held) = (
                    Arc::clone(&answer),
                    Arc::clone(&count2),
                    Arc::clone(&stop2),
                    Arc::clone(&held),
                );
                std::thread::spawn(move || serve(stream, &*answer, &count, &stop, &held));
            }
        });
        Hostile { url, count, stop }
    }

    fn requests(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Serve one connection: one request, one answer (every answer closes or holds the
/// connection, so the client opens a new one for its next request).
fn serve(
    mut stream: TcpStream,
    answer: &(dyn Fn(usize, &str) -> Answer + Send + Sync),
    count: &AtomicUsize,
    stop: &AtomicBool,
    held: &Mutex<Vec<TcpStream>>,
) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let Some(head) = read_head(&mut stream) else {
        return;
    };
    let i = count.fetch_add(1, Ordering::SeqCst);
    match answer(i, &head) {
        Answer::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Answer::Endless(head) => {
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            // Until the client hangs up (or the test ends).
            while !stop.load(Ordering::Relaxed) && stream.write_all(&chunk).is_ok() {}
        }
        Answer::Silent(head) => {
            let _ = stream.write_all(head.as_bytes());
            if let Ok(clone) = stream.try_clone() {
                held.lock().unwrap().push(clone);
            }
        }
    }
}

/// The request head (up to the blank line), or `None` when the client closed.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
        if head.len() > 64 * 1024 {
            return None;
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// A complete HTTP/1.1 response.
fn response(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
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
    Answer::Raw(bytes)
}

// ---------------------------------------------------------------------------------------
// Running `cro`

struct Outcome {
    code: i32,
    stderr: String,
    /// Peak resident set of the `cro` process, KiB (Linux `ru_maxrss`).
    max_rss_kib: i64,
}

/// `cro <args>` against `base_url` with the test token and tenant 7, in `dir`.
fn cro(base_url: &str, dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cro"));
    for var in ["CRO_API_VERSION", "CRO_PROFILE", "CRO_CLIENT_SECRET"] {
        cmd.env_remove(var);
    }
    cmd.env("CRO_CONFIG_DIR", dir.join("config"))
        .env("CRO_BASE_URL", base_url)
        .env("CRO_TOKEN", TOKEN)
        .env("CRO_TENANT_ID", "7")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cro");
    let pid = child.id() as libc::pid_t;
    let mut err = child.stderr.take().expect("stderr pipe");
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    // A watchdog kills a run that outlives its deadline (the test then fails on the code).
    let done = Arc::new(AtomicBool::new(false));
    let done2 = Arc::clone(&done);
    let watchdog = std::thread::spawn(move || {
        let start = Instant::now();
        while !done2.load(Ordering::SeqCst) {
            if start.elapsed() > RUN_TIMEOUT {
                // SAFETY: signalling our own child, which has not been reaped yet.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let mut status = 0;
    // SAFETY: plain wait4 on our own child with valid out-pointers; `child` is not waited
    // on by std afterwards.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    done.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    assert_eq!(waited, pid, "wait4 failed");
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Outcome {
        code,
        stderr: String::from_utf8_lossy(&reader.join().unwrap()).into_owned(),
        max_rss_kib: usage.ru_maxrss,
    }
}

/// No control byte but the newlines between lines, no token in any letter case, no panic,
/// no internal header; a one-line `error:` first.
fn assert_clean_stderr(out: &Outcome, what: &str) {
    let context = format!("[{what}] exit {}\n--- stderr\n{}", out.code, out.stderr);
    assert!(
        !out.stderr.chars().any(|c| c.is_control() && c != '\n'),
        "control character on stderr {context:?}"
    );
    let lower = out.stderr.to_lowercase();
    assert!(
        !lower.contains(&TOKEN.to_lowercase()),
        "token on stderr {context}"
    );
    assert!(!lower.contains("panicked"), "panic {context}");
    assert!(
        !lower.contains("x-cro-rs"),
        "internal header on stderr {context}"
    );
    assert!(
        out.stderr.starts_with("error: "),
        "an `error:` line first {context}"
    );
}

/// The export's output directory holds nothing but the config dir.
fn assert_no_output(dir: &Path, what: &str) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config")
        .collect();
    names.sort();
    assert!(names.is_empty(), "[{what}] files left behind: {names:?}");
}

fn export(base_url: &str, dir: &Path, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "export",
        "customers",
        "--format",
        "ndjson",
        "-o",
        "out.ndjson",
    ];
    args.extend_from_slice(extra);
    cro(base_url, dir, &args)
}

const ENDLESS_200: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n";

// ---------------------------------------------------------------------------------------
// The tests

#[test]
fn endless_body_stops_at_the_cap_with_memory_bounded() {
    let server = Hostile::start(|_, _| Answer::Endless(ENDLESS_200.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let out = export(&server.url, dir.path(), &["--max-body-size", "1MiB"]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.stderr.contains("1 MiB limit"), "{}", out.stderr);
    assert!(out.stderr.contains("--max-body-size"), "{}", out.stderr);
    assert_clean_stderr(&out, "endless body");
    assert_no_output(dir.path(), "endless body");
    eprintln!(
        "peak RSS of cro reading an endless body with a 1 MiB cap: {} KiB",
        out.max_rss_kib
    );
    assert!(
        out.max_rss_kib < RSS_BOUND_KIB,
        "peak RSS {} KiB over the bound {RSS_BOUND_KIB} KiB",
        out.max_rss_kib
    );
}

#[test]
fn endless_body_on_get_and_csv_stops_at_the_cap() {
    let server = Hostile::start(|_, _| Answer::Endless(ENDLESS_200.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let out = cro(
        &server.url,
        dir.path(),
        &["get", "customers", "1", "--max-body-size", "512KiB"],
    );
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.stderr.contains("512 KiB limit"), "{}", out.stderr);
    assert_clean_stderr(&out, "get, endless body");
    let out = cro(
        &server.url,
        dir.path(),
        &[
            "export",
            "customers",
            "--format",
            "csv",
            "-o",
            "out.csv",
            "--max-body-size",
            "1MiB",
        ],
    );
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert_clean_stderr(&out, "csv, endless body");
    assert_no_output(dir.path(), "csv, endless body");
}

#[test]
fn content_length_over_the_cap_is_refused_before_reading() {
    // The body never comes: reading it would hang until the (long) timeout.
    let server = Hostile::start(|_, _| {
        Answer::Silent(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5368709120\r\n\r\n"
                .to_owned(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let out = export(&server.url, dir.path(), &["--timeout", "600"]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(
        out.stderr.contains("5 GiB") && out.stderr.contains("256 MiB limit"),
        "{}",
        out.stderr
    );
    assert_clean_stderr(&out, "content-length over the cap");
    assert_no_output(dir.path(), "content-length over the cap");
}

/// JSON error fields carrying ESC, BEL, CR, C1 and the token in three letter cases; a reason
/// phrase with TAB and the token.
#[test]
fn error_fields_with_control_characters_and_the_token() {
    let body = serde_json::json!({
        "field": "CustomerModel.\u{1b}[2Jname",
        "detail": format!("token {TOKEN} rejected\u{7}\u{1b}]0;owned\u{7}\rfake success line"),
        "explanation": format!("{} / {}\u{9b}31m", TOKEN.to_uppercase(), TOKEN.to_lowercase()),
        "title": "\u{1b}[31mForbidden\u{202e}",
    })
    .to_string();
    let reason = format!("403 Denied\tfor {}", TOKEN.to_uppercase());
    let server = Hostile::start(move |_, _| {
        response(
            &reason,
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let out = export(&server.url, dir.path(), &[]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_clean_stderr(&out, "403 with hostile fields");
    assert!(out.stderr.contains("[redacted]"), "{}", out.stderr);
    // The reason phrase is the API's message (said once), the explanation a detail line: its
    // C1 control is escaped, not dropped.
    assert!(
        out.stderr.contains("\\x9b31m"),
        "escaped, not dropped: {}",
        out.stderr
    );
    assert_no_output(dir.path(), "403 with hostile fields");
}

#[test]
fn a_success_page_of_html_echoing_the_token() {
    let page = format!(
        "<html><body>\u{1b}[2J\u{7}Welcome back, your token is {} ({TOKEN})\r</body></html>",
        TOKEN.to_uppercase()
    );
    let server = Hostile::start(move |_, _| {
        response("200 OK", &[("content-type", "text/html")], page.as_bytes())
    });
    let dir = tempfile::tempdir().unwrap();
    let out = export(&server.url, dir.path(), &[]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert_clean_stderr(&out, "200 HTML echoing the token");
    assert_no_output(dir.path(), "200 HTML echoing the token");
    let out = cro(&server.url, dir.path(), &["get", "customers", "1"]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert_clean_stderr(&out, "get: 200 HTML echoing the token");
}

#[test]
fn an_html_error_page_with_controls_in_its_text() {
    let page = format!("<h1>502 \u{1b}[5mBad\u{7} Gateway</h1><p>{TOKEN}</p>");
    let server = Hostile::start(move |_, _| {
        response(
            "502 Bad Gateway",
            &[("content-type", "text/html")],
            page.as_bytes(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let out = export(&server.url, dir.path(), &["--attempts", "1"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert_clean_stderr(&out, "502 HTML");
}

#[test]
fn a_redirect_to_another_origin_is_not_followed() {
    let other = Hostile::start(|_, _| response("200 OK", &[], b"[]"));
    let target = format!("{}/customers?leak={TOKEN}", other.url);
    let server =
        Hostile::start(move |_, _| response("302 Found", &[("location", target.as_str())], b""));
    let dir = tempfile::tempdir().unwrap();
    let out = export(&server.url, dir.path(), &[]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains(&other.url),
        "names the Location: {}",
        out.stderr
    );
    assert!(out.stderr.contains("redirect"), "{}", out.stderr);
    assert_clean_stderr(&out, "302 to another origin");
    assert_no_output(dir.path(), "302 to another origin");
    assert_eq!(other.requests(), 0, "a request reached the other origin");
    assert!(server.requests() >= 1);
}

#[test]
fn bad_max_body_size_values_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "lots", "5 parsecs"] {
        let out = export("http://127.0.0.1:9", dir.path(), &["--max-body-size", bad]);
        assert_eq!(out.code, 2, "--max-body-size {bad}: {}", out.stderr);
    }
}
