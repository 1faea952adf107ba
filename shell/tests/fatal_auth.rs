//! A key the exchange refuses is fatal: mm stops sending at once, says what
//! is wrong with the key (never the key), writes its summary and exits 3.
//! Judged from the simulator's side: it saw a handful of private requests,
//! not a storm of single-order fallbacks and cancel-alls.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;

const KEY: &str = "k3yFATALq7Zr9LmN2pQ4";
const SECRET: &str = "s3cretFATALv8Wb1Yc6Hd0";

/// `mm run` against a simulator whose one account is (KEY, SECRET), with
/// the given credentials: (exit, stderr, summary, simulator state at exit).
fn run_with(key: &str, secret: &str) -> (Output, RunSummary, mm_sim::SimState) {
    let rt = common::one_worker_runtime();
    let sim = start_sim(
        &rt,
        mm_sim::SimConfig {
            latency_ms: 1,
            fills: false,
            accounts: vec![(KEY.to_string(), SECRET.to_string())],
            ..mm_sim::SimConfig::default()
        },
    );
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    let toml = Seed::default().toml().replace(
        "kind = \"sim\"",
        &format!("kind = \"bybit\"\nbase_url = \"{}\"", sim.base_url()),
    );
    write(&cfg, &toml);
    let summary = p(dir.path(), "s.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .env("BYBIT_API_KEY", key)
        .env("BYBIT_API_SECRET", secret)
        .args(["run", "--ticks", "50", "--config"])
        .arg(&cfg)
        .arg("--summary-json")
        .arg(&summary);
    let out = run(cmd, Duration::from_secs(60));
    let state = sim.state();
    let s = read_summary(&summary);
    (out, s, state)
}

/// Private requests (orders and open-orders listings) the simulator saw.
fn private_requests(state: &mm_sim::SimState) -> u64 {
    state
        .requests_by_path
        .iter()
        .filter(|(p, _)| p.starts_with("/v5/order/"))
        .map(|(_, n)| n)
        .sum()
}

fn assert_fatal(out: &Output, s: &RunSummary, state: &mm_sim::SimState, code: &str) {
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains(code) && out.stderr.to_lowercase().contains("key"),
        "the message names the key problem ({code}):\n{}",
        out.stderr
    );
    for secret in [KEY, SECRET, "wr0ngSECRET", "unkn0wnKEY"] {
        assert!(!out.stderr.contains(secret), "stderr holds a credential");
    }
    assert_eq!(s.ended, mm_shell::Ended::AuthFailed, "{s:?}");
    assert!(
        s.fatal.as_deref().is_some_and(|f| f.contains(code)),
        "{s:?}"
    );
    // No storm: the first refusal stopped everything (a tick's worth at most).
    let private = private_requests(state);
    assert!(
        private <= 8,
        "{private} private requests: {:?}",
        state.requests_by_path
    );
    assert!(state.open_orders.is_empty());
    assert!(s.ticks <= 1, "stopped at the first refusal: {s:?}");
}

#[test]
fn a_wrong_secret_is_fatal_without_a_storm() {
    let (out, s, state) = run_with(KEY, "wr0ngSECRET");
    assert_fatal(&out, &s, &state, "10004");
}

#[test]
fn an_unknown_key_is_fatal_without_a_storm() {
    let (out, s, state) = run_with("unkn0wnKEY", SECRET);
    assert_fatal(&out, &s, &state, "10003");
}
