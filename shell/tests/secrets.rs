//! Credentials from the environment reach the exchange (the simulator
//! accepts them as its only account) and nothing else: not the log, the
//! journal, the summary, stderr or /metrics; not even when the exchange
//! echoes them back (Bybit's 10004 has shown the signed origin string, key
//! included) or a connection breaks mid-reply.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::proxy::{self, Seen, Verdict};
use common::*;

const KEY: &str = "k3yTESTxq7Zr9LmN2pQ4";
const SECRET: &str = "s3cretTESTv8Wb1Yc6Hd0Jf5Kg";

/// A simulator whose only account is `(KEY, secret)`.
fn sim(rt: &tokio::runtime::Runtime, secret: &str) -> mm_sim::SimHandle {
    start_sim(
        rt,
        mm_sim::SimConfig {
            latency_ms: 1,
            fills: false,
            accounts: vec![(KEY.to_string(), secret.to_string())],
            ..mm_sim::SimConfig::default()
        },
    )
}

/// What a `mm run` against Bybit at `base_url` wrote, and its /metrics scrapes.
struct Session {
    out: Output,
    journal: PathBuf,
    log: PathBuf,
    summary: PathBuf,
    metrics: Vec<String>,
}

fn run_bybit(dir: &Path, base_url: &str, ticks: u32) -> Session {
    let cfg = p(dir, "mm.toml");
    write(
        &cfg,
        &format!(
            r#"[exchange]
kind = "bybit"
base_url = "{base_url}"
request_timeout_ms = 1000

[quoting]
symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
order_qty = {{ BTCUSDT = "0.001", ETHUSDT = "0.01", SOLUSDT = "0.1", XRPUSDT = "1" }}
tick_interval_ms = 100

[rate_limits]
create = 1000
amend = 1000
cancel = 1000
create_batch = 1000
amend_batch = 1000
cancel_batch = 1000
cancel_all = 1000
open_orders = 1000

[metrics]
addr = "127.0.0.1:0"
"#
        ),
    );
    let (journal, log, summary) = (p(dir, "j.mmj"), p(dir, "core.log"), p(dir, "s.json"));
    let mut cmd = mm();
    cmd.current_dir(dir)
        .env("BYBIT_API_KEY", KEY)
        .env("BYBIT_API_SECRET", SECRET)
        .env("RUST_LOG", "debug")
        .args(["run", "--ticks", &ticks.to_string(), "--config"])
        .arg(&cfg)
        .arg("--journal")
        .arg(&journal)
        .arg("--log")
        .arg(&log)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    let addr = running.wait_metrics_addr();
    let mut metrics = Vec::new();
    let (every, limit) = (Duration::from_millis(100), Duration::from_secs(120));
    running.scrape_until_exit(&addr, every, limit, |body| metrics.push(body));
    let out = running.wait(Duration::from_secs(60));
    Session {
        out,
        journal,
        log,
        summary,
        metrics,
    }
}

/// Neither credential in anything the session wrote or served.
fn assert_no_credential_anywhere(s: &Session) {
    assert!(!s.metrics.is_empty(), "no /metrics scrape succeeded");
    let mut places = vec![
        ("stderr".to_string(), s.out.stderr.clone().into_bytes()),
        ("stdout".to_string(), s.out.stdout.clone().into_bytes()),
        ("/metrics".to_string(), s.metrics.join("\n").into_bytes()),
    ];
    for f in [&s.journal, &s.log, &s.summary] {
        places.push((f.display().to_string(), std::fs::read(f).unwrap()));
    }
    for (name, bytes) in &places {
        assert!(!bytes.is_empty() || name == "stdout", "{name} is empty");
        for needle in [KEY, SECRET] {
            let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found, "{name} contains a credential");
        }
    }
}

fn journal_has(s: &Session, text: &str) -> bool {
    let bytes = std::fs::read(&s.journal).unwrap();
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

/// Private replies (the ones that are signed for).
fn private(s: &Seen<'_>) -> bool {
    s.path.starts_with("/v5/order/")
}

fn header(s: &Seen<'_>, name: &str) -> String {
    s.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// `body` with `f` applied to retMsg and every retExtInfo item's msg.
fn edit_texts(body: &str, f: impl Fn(&str) -> String) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(body).ok()?;
    let msg = f(v["retMsg"].as_str().unwrap_or(""));
    v["retMsg"] = msg.into();
    let items = v
        .get_mut("retExtInfo")
        .and_then(|x| x.get_mut("list"))
        .and_then(serde_json::Value::as_array_mut);
    if let Some(items) = items {
        for i in items {
            let msg = f(i["msg"].as_str().unwrap_or(""));
            i["msg"] = msg.into();
        }
    }
    Some(v.to_string())
}

#[test]
fn a_bybit_run_never_writes_the_key_or_secret() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = sim(&rt, SECRET);
    let dir = tmp();
    let s = run_bybit(dir.path(), &sim.base_url(), 6);
    let state = sim.state();
    rt.block_on(sim.shutdown());
    assert_eq!(s.out.code, 0, "{}", s.out.stderr);
    // The credentials were used: signed requests accepted, orders placed.
    assert_eq!(state.auth_failures, 0);
    assert!(
        state
            .requests_by_path
            .get("/v5/order/create-batch")
            .copied()
            .unwrap_or(0)
            > 0
    );
    assert!(state.open_orders.is_empty());
    let summary = read_summary(&s.summary);
    assert_eq!(
        summary.open_orders_exchange,
        Some(0),
        "counted by open-orders queries"
    );
    assert_no_credential_anywhere(&s);
}

#[test]
fn a_rejected_signature_echoing_the_origin_string_is_scrubbed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The simulator knows another secret: every signed request is 10004.
    let sim = sim(&rt, "not-the-secret-we-sign-with");
    // Bybit's 10004 text: the origin string it signed, API key included.
    let proxy = proxy::start(
        &rt,
        &sim.base_url(),
        Arc::new(|s| {
            if !private(s) || !s.body.contains("\"retCode\":10004") {
                return Verdict::Pass;
            }
            let origin = format!(
                "{}{}{}{}",
                header(s, "x-bapi-timestamp"),
                header(s, "x-bapi-api-key"),
                header(s, "x-bapi-recv-window"),
                s.payload
            );
            edit_texts(s.body, |_| format!("error sign! origin_string[{origin}]"))
                .map_or(Verdict::Pass, |b| Verdict::Replace(s.status, b))
        }),
    );
    let dir = tmp();
    let s = run_bybit(dir.path(), &proxy.url, 3);
    let state = sim.state();
    rt.block_on(sim.shutdown());
    assert!(state.auth_failures > 0, "{state:?}");
    // Core's first request is its start-up listing of open orders: the
    // 10004 comes back on it, and core stops (Fatal) before any order.
    assert!(
        proxy.count("/v5/order/realtime").1 > 0,
        "no 10004 went through the proxy"
    );
    // The echo reached core (the journal records what core was handed), without the key.
    assert!(journal_has(&s, "origin_string[1"), "no echo in the journal");
    assert_no_credential_anywhere(&s);
}

#[test]
fn echoed_item_messages_and_broken_connections_are_scrubbed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = sim(&rt, SECRET);
    // Every private reply echoes both credentials in every text; every
    // fifth one breaks off mid-reply (a transport error).
    let proxy = proxy::start(
        &rt,
        &sim.base_url(),
        Arc::new(|s| {
            if !private(s) {
                return Verdict::Pass;
            }
            if s.n % 5 == 0 {
                return Verdict::Cut;
            }
            edit_texts(s.body, |m| format!("{m} [echo {KEY} {SECRET}]"))
                .map_or(Verdict::Pass, |b| Verdict::Replace(s.status, b))
        }),
    );
    let dir = tmp();
    let s = run_bybit(dir.path(), &proxy.url, 6);
    rt.block_on(sim.shutdown());
    assert!(
        journal_has(&s, "[echo *** ***]"),
        "the echo did not reach core"
    );
    let summary = read_summary(&s.summary);
    assert!(summary.stopped, "{summary:?}");
    assert!(
        proxy.count("/v5/order/create-batch").1 > 0,
        "the proxy changed no reply"
    );
    assert_no_credential_anywhere(&s);
}
