//! A small harness shared by the `cro` integration tests: run the built `cro` with a
//! private config directory, none of the caller's `CRO_*` variables, and a deadline.

#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Deadline of one `cro` run.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Variables that would leak the machine's settings into a test.
const CLEARED: &[&str] = &[
    "CRO_BASE_URL",
    "CRO_TOKEN",
    "CRO_TENANT_ID",
    "CRO_API_VERSION",
    "CRO_PROFILE",
    "CRO_CLIENT_SECRET",
    "CRO_LOG",
    "RUST_LOG",
];

/// The result of one run.
pub struct Run {
    pub args: Vec<String>,
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "cro {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args,
            truncate(&self.stdout()),
            self.stderr()
        );
        self
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(3000).collect()
}

/// Run `cro args` in `cwd` with `config_dir` as its config directory and `env` set.
pub fn cro(config_dir: &Path, cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cro"));
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("CRO_CONFIG_DIR", config_dir)
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = run_with_timeout(cmd, RUN_TIMEOUT);
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        output,
    }
}

/// Run a command with no stdin, both output pipes drained concurrently (so a chatty child
/// never blocks on a full pipe), killing it after `timeout`.
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cro");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let status = child.wait().expect("wait after kill");
            panic!("cro did not finish within {timeout:?} (killed: {status})");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// A private temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The customer id of a record (`id`, or `customer_id` before API version 2021/04/07).
pub fn record_id(v: &serde_json::Value) -> i64 {
    v.get("id")
        .or_else(|| v.get("customer_id"))
        .and_then(serde_json::Value::as_i64)
        .unwrap_or_else(|| panic!("record without an id: {v}"))
}
