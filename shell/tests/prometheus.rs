//! A real Prometheus in the loop (Debian's `prometheus` package: `promtool`
//! and the server; `.ci/run` installs it).
//!
//! A: `promtool check metrics` on a running `mm run`'s /metrics.
//! B: a Prometheus server on loopback scrapes `mm run` every second; the
//!    seed's PromQL (and every query of ops/grafana/mm-batch.json) is
//!    evaluated through its HTTP API and must give sane answers.
//!
//! Without the binaries the tests print a SKIP line and return; with
//! `CI=true` a missing binary is a failure (CI installs it). Every child
//! process is killed on every path (a guard's `Drop`).
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::metrics::{self, Guard, wait_ticks};

/// A tool from Debian's prometheus package, or `None` (test skipped) when
/// it is missing outside CI. Missing in CI: panic.
fn tool(name: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: `{name}` is not on PATH and CI=true: .ci/run must install Debian's prometheus package"
        );
        // Straight to the process's stderr: the test harness captures
        // `println!`/`eprintln!` of passing tests, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP {test}: `{name}` is not installed (apt-get install prometheus); this test did NOT run"
        );
    }
    found
}

/// HTTP/1.0 GET on loopback: (status, body).
fn http_get(addr: SocketAddr, target: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {target} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// The metric names stay as the README lists them: the two histograms end in
/// `_ms`, which promtool's naming lint flags. And prometheus-client serves
/// OpenMetrics text, where a counter's HELP/TYPE name the family
/// (`mm_requests`) and its samples carry `_total`; promtool reads the classic
/// format, so it sees those samples without help text. Those two, and only
/// those, are tolerated; anything else (and any parse error) fails.
fn tolerated(problem: &str, text: &str) -> bool {
    let Some((name, what)) = problem.split_once(' ') else {
        return false;
    };
    match what.trim() {
        "metric names should not contain abbreviated units" => {
            // The seed's names, and issue 11's name for the book stream's lag.
            [
                "mm_tick_duration_ms",
                "mm_exchange_req_ms",
                "mm_stream_lag_ms",
            ]
            .contains(&name)
        }
        "no help text" => name.strip_suffix("_total").is_some_and(|family| {
            text.contains(&format!("# HELP {family} "))
                && text.contains(&format!("# TYPE {family} counter"))
        }),
        _ => false,
    }
}

#[test]
fn promtool_check_metrics_on_a_running_mm() {
    let Some(promtool) = tool("promtool", "promtool_check_metrics_on_a_running_mm") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_mm, addr) = metrics::start_mm(dir.path(), 3);
    let text = wait_ticks(addr, 3.0);
    let mut child = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let guard = Guard {
        name: "promtool",
        child,
    };
    let end = Instant::now() + Duration::from_secs(30);
    let mut guard = guard;
    let status = loop {
        if let Some(s) = guard.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < end, "promtool did not finish in 30 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    let _ = guard.child.stdout.take().unwrap().read_to_string(&mut out);
    let _ = guard.child.stderr.take().unwrap().read_to_string(&mut err);
    let code = status.code().unwrap_or(-1);
    println!("promtool check metrics: exit {code}\n{out}{err}");
    // 0: clean; 3: lint problems (listed); anything else: it did not parse.
    assert!(
        code == 0 || code == 3,
        "promtool could not check the metrics (exit {code}): {out}{err}\n--- /metrics ---\n{text}"
    );
    let problems: Vec<&str> = out
        .lines()
        .chain(err.lines())
        .filter(|l| !l.trim().is_empty())
        .collect();
    let bad: Vec<&&str> = problems.iter().filter(|p| !tolerated(p, &text)).collect();
    assert!(
        bad.is_empty(),
        "promtool problems beyond the two documented ones: {bad:#?}"
    );
    assert!(
        code == 0 || !problems.is_empty(),
        "exit 3 without a listed problem"
    );
    println!(
        "promtool: {} tolerated problem(s) (seed's _ms names, OpenMetrics counter families)",
        problems.len()
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `application/x-www-form-urlencoded` for a query string value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One instant query: `(labels, value)` per series; `Err` for an API error.
fn query(prom: SocketAddr, promql: &str) -> Result<Vec<(serde_json::Value, f64)>, String> {
    let (status, body) = http_get(prom, &format!("/api/v1/query?query={}", encode(promql)))
        .map_err(|e| format!("GET: {e}"))?;
    let v: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("HTTP {status}: {e}: {body}"))?;
    if v["status"] != "success" {
        return Err(format!("HTTP {status}: {body}"));
    }
    let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
    Ok(result
        .into_iter()
        .map(|r| {
            let value = r["value"][1]
                .as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(f64::NAN);
            (r["metric"].clone(), value)
        })
        .collect())
}

/// Polls `promql` (bounded) until `ok` accepts its answer; returns it.
fn eventually(
    prom: SocketAddr,
    promql: &str,
    limit: Duration,
    ok: impl Fn(&[(serde_json::Value, f64)]) -> bool,
) -> Vec<(serde_json::Value, f64)> {
    let end = Instant::now() + limit;
    loop {
        let r = query(prom, promql);
        if let Ok(series) = &r
            && ok(series)
        {
            return series.clone();
        }
        assert!(
            Instant::now() < end,
            "no sane answer to {promql} within {limit:?}; last: {r:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn prometheus_scrapes_mm_and_answers_the_seed_queries() {
    let Some(prometheus) = tool(
        "prometheus",
        "prometheus_scrapes_mm_and_answers_the_seed_queries",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_mm, mm_addr) = metrics::start_mm(dir.path(), 3);
    let port = free_port();
    let prom: SocketAddr = ([127, 0, 0, 1], port).into();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: mm\n    static_configs:\n      - targets: ['{mm_addr}']\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = Command::new(&prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address={prom}"))
        .arg("--log.level=warn")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut server = Guard {
        name: "prometheus",
        child,
    };
    let prom_log =
        || std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();

    // Ready (bounded), or it died (say why).
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = http_get(prom, "/-/ready") {
            break;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("prometheus exited ({status}):\n{}", prom_log());
        }
        assert!(
            Instant::now() < end,
            "prometheus not ready in 60 s:\n{}",
            prom_log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let wait = Duration::from_secs(60);
    eventually(prom, "up{job=\"mm\"}", wait, |s| {
        s.len() == 1 && s[0].1 == 1.0
    });

    // The seed's PromQL. A rate needs two scrapes in the window.
    let finite_pos = |v: f64, cap: f64| v.is_finite() && v > 0.0 && v < cap;
    let tick = eventually(
        prom,
        "histogram_quantile(0.95, sum(rate(mm_tick_duration_ms_bucket[30s])) by (le))",
        wait,
        |s| s.len() == 1 && finite_pos(s[0].1, 10_000.0),
    );
    println!("tick P95: {tick:?}");
    let coalesced = eventually(
        prom,
        "sum(rate(mm_cmd_coalesced_total[30s])) by (op)",
        wait,
        |s| {
            !s.is_empty()
                && s.iter()
                    .all(|(_, v)| v.is_finite() && *v >= 0.0 && *v < 1e6)
                && s.iter().any(|(m, v)| m["op"] == "place" && *v > 0.0)
                && s.iter().any(|(m, v)| m["op"] == "cancel" && *v > 0.0)
        },
    );
    println!("coalesced by op: {coalesced:?}");
    let req = eventually(
        prom,
        "histogram_quantile(0.95, sum(rate(mm_exchange_req_ms_bucket[30s])) by (le, api))",
        wait,
        |s| {
            // Endpoints with no request in the window are NaN (0/0): left out.
            let busy: Vec<f64> = s.iter().map(|x| x.1).filter(|v| !v.is_nan()).collect();
            busy.len() >= 2
                && busy.iter().all(|v| finite_pos(*v, 10_000.0))
                && s.iter()
                    .any(|(m, v)| m["api"] == "create_batch" && finite_pos(*v, 10_000.0))
                && s.iter()
                    .any(|(m, v)| m["api"] == "cancel_batch" && finite_pos(*v, 10_000.0))
        },
    );
    println!("exchange request P95 by api: {req:?}");

    // Every dashboard query parses and evaluates ($job: every job; the rate
    // interval: 30s); those over always-present series answer.
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ops/grafana/mm-batch.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut exprs = Vec::new();
    collect_exprs(&dashboard["panels"], &mut exprs);
    assert!(!exprs.is_empty(), "the dashboard has no queries");
    for expr in &exprs {
        let q = expr
            .replace("$__rate_interval", "30s")
            .replace("$job", ".*");
        let series = eventually(prom, &q, wait, |s| !s.is_empty());
        println!("dashboard: {q} -> {} series", series.len());
    }
    drop(server);
}

fn collect_exprs(panels: &serde_json::Value, out: &mut Vec<String>) {
    for p in panels.as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            if let Some(e) = t["expr"].as_str() {
                out.push(e.to_string());
            }
        }
        collect_exprs(&p["panels"], out);
    }
}
