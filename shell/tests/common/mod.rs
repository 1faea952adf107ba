//! Helpers for the end-to-end tests: run the `mm` binary with a time bound,
//! write configs, read summaries. Everything stays on 127.0.0.1.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

pub mod book;
pub mod cut;
pub mod metrics;
pub mod proxy;
pub mod sim_rest;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use mm_shell::RunSummary;

pub const ORDER_PATHS: [&str; 6] = mm_shell::bench::ORDER_PATHS;

pub fn mm() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mm"));
    c.env_remove("BYBIT_API_KEY")
        .env_remove("BYBIT_API_SECRET")
        .env("RUST_LOG", "info");
    c
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs to completion; panics (after killing it) past `limit`.
pub fn run(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let running = Running::new(child);
    running.wait(limit)
}

/// `mm bench ARGS --json FILE` in a temporary directory, bounded at 240 s:
/// its table (stdout, printed for the test's log) and its JSON; panics if it
/// fails.
pub fn bench(args: &[&str]) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let mut cmd = mm();
    cmd.arg("bench")
        .args(args)
        .arg("--json")
        .arg(&json)
        .current_dir(dir.path())
        .stdin(Stdio::null());
    let out = run(cmd, Duration::from_secs(240));
    println!("{}", out.stdout);
    assert_eq!(
        out.code, 0,
        "mm bench {args:?} failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    let v = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (out.stdout, v)
}

/// A running `mm` whose stderr lines arrive on a channel as they are written.
pub struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Running::new(child)
    }

    fn new(mut child: Child) -> Running {
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        Running {
            child,
            lines: rx,
            seen: Vec::new(),
            stdout: Some(stdout),
        }
    }

    /// Waits (bounded) for a stderr line containing `needle`; returns it.
    pub fn wait_line(&mut self, needle: &str, limit: Duration) -> String {
        let end = Instant::now() + limit;
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "no stderr line with {needle:?} within {limit:?}; saw:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    /// The `host:port` of `mm run`'s metrics endpoint, from its `metrics on http://...` line
    /// (waits up to 60 s).
    pub fn wait_metrics_addr(&mut self) -> String {
        let line = self.wait_line("metrics on http://", Duration::from_secs(60));
        metrics::metrics_host(&line).unwrap().to_string()
    }

    /// The base URL `mm sim` serves, from its `simulator at http://...` line (waits up to 30 s).
    pub fn wait_sim_url(&mut self) -> String {
        let line = self.wait_line("simulator at http://", Duration::from_secs(30));
        line.split("simulator at ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap()
            .to_string()
    }

    /// GETs `/metrics` at `addr` every `every` until mm exits or `limit` has passed, handing
    /// each body that came back to `each` (a scrape that fails, as mm stops, is skipped).
    pub fn scrape_until_exit(
        &mut self,
        addr: &str,
        every: Duration,
        limit: Duration,
        mut each: impl FnMut(String),
    ) {
        let end = Instant::now() + limit;
        while self.child.try_wait().unwrap().is_none() && Instant::now() < end {
            if let Some(body) = try_http_get(addr, "/metrics") {
                each(body);
            }
            std::thread::sleep(every);
        }
    }

    /// Waits (bounded) until `n` stderr lines so far contain `needle`.
    pub fn wait_count(&mut self, needle: &str, n: usize, limit: Duration) {
        let end = Instant::now() + limit;
        while self.seen.iter().filter(|l| l.contains(needle)).count() < n {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "fewer than {n} stderr lines with {needle:?} within {limit:?}; saw:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    pub fn wait(mut self, limit: Duration) -> Output {
        let end = Instant::now() + limit;
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code().unwrap_or(-1);
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                while let Ok(l) = self.lines.try_recv() {
                    self.seen.push(l);
                }
                panic!(
                    "mm did not exit within {limit:?}; stderr:\n{}",
                    self.seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at EOF; drain it (bounded).
        let drain_end = Instant::now() + Duration::from_secs(5);
        while let Ok(l) = self
            .lines
            .recv_timeout(drain_end.saturating_duration_since(Instant::now()))
        {
            self.seen.push(l);
        }
        let stdout = self
            .stdout
            .take()
            .map(|h| h.join().unwrap())
            .unwrap_or_default();
        Output {
            code,
            stdout,
            stderr: self.seen.join("\n"),
        }
    }
}

/// The simulator, started in `rt` on a free loopback port.
/// A one-worker tokio runtime for tests that host a simulator beside `mm`.
pub fn one_worker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

pub fn start_sim(rt: &tokio::runtime::Runtime, cfg: mm_sim::SimConfig) -> mm_sim::SimHandle {
    rt.block_on(mm_sim::Sim::start(cfg, "127.0.0.1:0".parse().unwrap()))
        .unwrap()
}

/// The default simulator with `faults` (the simulator's fault syntax), on
/// an ephemeral loopback port, from inside a tokio test.
pub async fn sim_with_faults(faults: &str) -> mm_sim::SimHandle {
    let cfg = mm_sim::SimConfig {
        faults: faults.parse::<mm_sim::FaultSpec>().unwrap(),
        ..mm_sim::SimConfig::default()
    };
    mm_sim::Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Sends `sig` (`-INT`, `-TERM`, `-HUP`) to process `pid` with kill(1).
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

pub fn read_summary(path: &Path) -> RunSummary {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Order requests the simulator received (create/amend/cancel endpoints,
/// batch ones included; market data, cancel-all and realtime not counted).
pub fn order_requests(s: &RunSummary) -> u64 {
    let by_path = s
        .exchange_requests_by_path
        .as_ref()
        .expect("simulator counts");
    ORDER_PATHS.iter().filter_map(|p| by_path.get(*p)).sum()
}

pub fn sim_count(s: &RunSummary, path: &str) -> u64 {
    s.exchange_requests_by_path
        .as_ref()
        .and_then(|m| m.get(path).copied())
        .unwrap_or(0)
}

/// The seed scenario as a config file for the in-process simulator.
pub struct Seed {
    pub enabled: bool,
    pub scope: &'static str,
    pub reprice: &'static str,
    pub tick_interval_ms: u64,
    pub rate: u32,
    pub request_timeout_ms: u64,
    pub extra_async_batch: &'static str,
    pub tick_deadline_ms: u64,
    /// `quoting.max_book_age_ms` (core's default when `None`). Keep it above
    /// the tick interval: core pulls quotes on books older than this, on a
    /// timer of its own.
    pub max_book_age_ms: Option<u64>,
    /// `exchange.streams`: books from the public stream (mm's default).
    /// `false` for a test of the polled cadence: the simulator walks a
    /// market one step per ticker poll, so only polling moves every price
    /// every tick.
    pub streams: bool,
}

impl Default for Seed {
    fn default() -> Self {
        Seed {
            enabled: true,
            scope: "category",
            reprice: "cancel_place",
            tick_interval_ms: 100,
            rate: 1000,
            request_timeout_ms: 2000,
            extra_async_batch: "",
            tick_deadline_ms: 5000,
            max_book_age_ms: None,
            streams: true,
        }
    }
}

impl Seed {
    /// The seed scenario on polled books (`exchange.streams = false`).
    pub fn polled() -> Seed {
        Seed {
            streams: false,
            ..Seed::default()
        }
    }

    pub fn toml(&self) -> String {
        let r = self.rate;
        format!(
            r#"[exchange]
kind = "sim"
request_timeout_ms = {timeout}
streams = {streams}

[quoting]
symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
levels = 5
order_qty = {{ BTCUSDT = "0.001", ETHUSDT = "0.01", SOLUSDT = "0.1", XRPUSDT = "10" }}
tick_interval_ms = {interval}
reprice = "{reprice}"
{book_age}

[async_batch]
enabled = {enabled}
coalesce_scope = "{scope}"
tick_deadline_ms = {deadline}
{extra}
[rate_limits]
create = {r}
amend = {r}
cancel = {r}
create_batch = {r}
amend_batch = {r}
cancel_batch = {r}
cancel_all = {r}
open_orders = {r}

[metrics]
addr = "127.0.0.1:0"
"#,
            timeout = self.request_timeout_ms,
            streams = self.streams,
            interval = self.tick_interval_ms,
            reprice = self.reprice,
            enabled = self.enabled,
            scope = self.scope,
            extra = self.extra_async_batch,
            deadline = self.tick_deadline_ms,
            book_age = self
                .max_book_age_ms
                .map_or_else(String::new, |ms| format!("max_book_age_ms = {ms}")),
        )
    }
}

/// `mm run --metrics-addr off --ticks n --config cfg` in `dir`, journaling
/// to `dir/j.mmj` and summarising to `dir/s.json`: the command and those two
/// paths.
pub fn run_ticks(dir: &Path, cfg: &Path, ticks: u64) -> (Command, PathBuf, PathBuf) {
    let (journal, summary) = (p(dir, "j.mmj"), p(dir, "s.json"));
    let mut cmd = mm();
    cmd.current_dir(dir)
        .args([
            "run",
            "--metrics-addr",
            "off",
            "--ticks",
            &ticks.to_string(),
        ])
        .arg("--config")
        .arg(cfg)
        .arg("--journal")
        .arg(&journal)
        .arg("--summary-json")
        .arg(&summary);
    (cmd, journal, summary)
}

pub fn write(path: &Path, text: &str) {
    // Write-then-rename, so a watcher never reads half a file.
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.sync_all().unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn p(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// Plain HTTP/1.0 GET on loopback (no client library needed).
pub fn http_get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// `http_get` that tolerates a server that is gone.
pub fn try_http_get(addr: &str, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Waits (bounded) until the file at `path` contains `needle`.
pub fn wait_file_contains(path: &Path, needle: &str, limit: Duration) {
    let end = Instant::now() + limit;
    loop {
        if std::fs::read_to_string(path).is_ok_and(|t| t.contains(needle)) {
            return;
        }
        assert!(
            Instant::now() < end,
            "{} never contained {needle:?} within {limit:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
