//! A paper `mm run` with /metrics on a free loopback port, under a guard, and reading its
//! exposition: for the tests that check what the endpoint serves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills (and reaps) its child when dropped, whatever the path out.
pub struct Guard {
    pub name: &'static str,
    pub child: Child,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        eprintln!("[{}] pid {} stopped", self.name, self.child.id());
    }
}

/// `mm_run_with_metrics` spawned under a guard; returns the guard and the bound metrics
/// address (from its stderr line).
pub fn start_mm(dir: &Path, sim_latency_ms: u64) -> (Guard, SocketAddr) {
    let mut child = mm_run_with_metrics(dir, sim_latency_ms).spawn().unwrap();
    let err = child.stderr.take().unwrap();
    let guard = Guard { name: "mm", child };
    let addr = metrics_addr(err);
    (guard, addr)
}

/// GET /metrics over HTTP/1.0; asserts a 200 and returns the body.
pub fn scrape(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "GET /metrics: {head}\n{body}"
    );
    body.to_string()
}

/// The value of an unlabelled sample (`name value`), if present.
pub fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Waits (bounded, 60 s) until mm has completed `n` ticks; returns the last scrape.
pub fn wait_ticks(addr: SocketAddr, n: f64) -> String {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let text = scrape(addr);
        if sample(&text, "mm_tick_duration_ms_count").is_some_and(|c| c >= n) {
            return text;
        }
        assert!(
            Instant::now() < end,
            "mm did not complete {n} ticks in 60 s; last scrape:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `mm run` in paper mode for 1500 ticks with metrics on a free loopback
/// port, stderr piped (read the bound address with `metrics_addr`).
pub fn mm_run_with_metrics(dir: &Path, sim_latency_ms: u64) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mm"));
    c.args(["run", "--metrics-addr", "127.0.0.1:0", "--ticks", "1500"])
        .arg("--journal")
        .arg(dir.join("journal.mmj"))
        .arg("--log")
        .arg(dir.join("core.log"))
        .args(["--status-every-ms", "1000", "--sim-latency-ms"])
        .arg(sim_latency_ms.to_string())
        .current_dir(dir)
        .env_remove("BYBIT_API_KEY")
        .env_remove("BYBIT_API_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// The `host:port` in `mm run`'s `metrics on http://HOST:PORT/metrics` line, if `line` is it.
pub fn metrics_host(line: &str) -> Option<&str> {
    line.split("metrics on http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
}

/// The metrics address `mm run` prints on stderr (`metrics on http://...`);
/// panics if none comes within 60 s. Keeps reading stderr afterwards.
pub fn metrics_addr(err: ChildStderr) -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keeps draining to EOF so mm never blocks on a full pipe.
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { return };
            let _ = tx.send(line);
        }
    });
    let end = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).unwrap_or_else(|_| {
            panic!(
                "mm printed no metrics address in 60 s:\n{}",
                seen.join("\n")
            )
        });
        if let Some(host) = metrics_host(&line) {
            return host.parse().unwrap();
        }
        seen.push(line);
    }
}
