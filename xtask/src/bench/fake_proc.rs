//! The `cro-fake` server as a child process, started for one benchmark case.
//!
//! A separate process (not the library in-process) so that its CPU time can be told apart
//! from the clients' and so that it is the same binary people run by hand.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

/// How long the fake may take to print its start-up line.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A running `cro-fake`; killed when dropped.
#[derive(Debug)]
pub struct FakeProc {
    child: Child,
    /// Base URL, `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The first tenant id (the one exported).
    pub tenant: i64,
    /// The Admin token.
    pub token: String,
    /// Customers per tenant it was started with.
    pub customers: u64,
}

impl FakeProc {
    /// Starts `bin` with `customers` per tenant on 127.0.0.1 (free port) and reads its
    /// start-up line.
    pub fn start(bin: &Path, customers: u64) -> Result<FakeProc> {
        Self::start_with(bin, customers, &[])
    }

    /// [`FakeProc::start`] with more flags (rate limits: `--max-in-flight 2`, ...).
    pub fn start_with(bin: &Path, customers: u64, extra: &[String]) -> Result<FakeProc> {
        let mut child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", "0", "--seed", "1"])
            .arg("--customers")
            .arg(customers.to_string())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout pipe"))?;
        // The first line is read on a thread so that a fake that never prints it cannot hang
        // the benchmark; the thread then drains anything else it prints.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line);
            let _ = tx.send(first);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut fake = FakeProc {
            child,
            base_url: String::new(),
            tenant: 0,
            token: String::new(),
            customers,
        };
        let line = match rx.recv_timeout(START_LIMIT) {
            Ok(Ok(line)) if !line.trim().is_empty() => line,
            Ok(Ok(_)) => bail!("cro-fake exited without printing its start-up line"),
            Ok(Err(e)) => bail!("cannot read cro-fake's start-up line: {e}"),
            Err(_) => bail!(
                "cro-fake printed nothing within {} s",
                START_LIMIT.as_secs()
            ),
        };
        let info: serde_json::Value =
            serde_json::from_str(line.trim()).context("cro-fake's start-up line is not JSON")?;
        fake.base_url = info["base_url"]
            .as_str()
            .ok_or_else(|| anyhow!("no base_url in {line}"))?
            .trim_end_matches('/')
            .to_owned();
        fake.tenant = info["tenants"][0]
            .as_i64()
            .ok_or_else(|| anyhow!("no tenants in {line}"))?;
        fake.token = info["tokens"]["Admin"]
            .as_str()
            .ok_or_else(|| anyhow!("no Admin token in the start-up line"))?
            .to_owned();
        Ok(fake)
    }

    /// Process id (for CPU and memory readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The fake's own counters (`GET /_fake/stats`: `too_many_requests`, `throttle`,
    /// `faults`), outside its rate limits.
    pub fn stats(&self) -> Result<serde_json::Value> {
        let addr = self.base_url.trim_start_matches("http://");
        let mut stream =
            TcpStream::connect(addr).with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "GET /_fake/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .context("no end of headers in the stats answer")?;
        if !raw.starts_with(b"HTTP/1.1 200") {
            bail!(
                "the stats answer is not 200: {}",
                String::from_utf8_lossy(&raw[..split])
            );
        }
        serde_json::from_slice(&raw[split + 4..]).context("the stats answer is not JSON")
    }

    /// Every `429` the fake sent so far.
    pub fn too_many_requests(&self) -> Result<u64> {
        self.stats()?["too_many_requests"]
            .as_u64()
            .context("no too_many_requests in the stats")
    }

    /// The `CRO_*` environment of clients (the sample script and `cro`).
    pub fn client_env(&self) -> [(&'static str, String); 3] {
        [
            ("CRO_BASE_URL", self.base_url.clone()),
            ("CRO_TOKEN", self.token.clone()),
            ("CRO_TENANT_ID", self.tenant.to_string()),
        ]
    }
}

impl Drop for FakeProc {
    fn drop(&mut self) {
        // Our own child, by its handle (pid): nothing else is touched.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
