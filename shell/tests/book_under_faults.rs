//! A level is never double-quoted, judged from the exchange's side: the
//! simulator's book, sampled every 50 ms through a fault mix that answers
//! cancels ambiguously (timeouts after applying, malformed replies, dropped
//! connections), never holds more than `levels` of our orders on one side of
//! one symbol, and holds none of ours once mm has exited.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::book::{ours, ours_by_side, sample_until_exit};
use common::*;

const SESSION: &str = "faults31";
const LEVELS: usize = 5;

#[test]
fn at_most_levels_orders_per_side_at_every_sample_through_a_fault_mix() {
    let rt = common::one_worker_runtime();
    // Paper mode's simulator (its market walks past the tolerance every
    // poll, so every tick cancels and replaces every order), standalone.
    let sim = start_sim(
        &rt,
        mm_shell::paper::sim_config(
            &mm_shell::SimOptions {
                seed: 31,
                latency_ms: 5,
                jitter_ms: 3,
                faults: "5xx=0.1,timeout_applied=0.15,malformed=0.15,drop=0.05,reject=0.03"
                    .parse()
                    .unwrap(),
                ..mm_shell::SimOptions::default()
            },
            1000,
        ),
    );
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    let toml = Seed {
        request_timeout_ms: 1000,
        tick_deadline_ms: 1500,
        ..Seed::default()
    }
    .toml()
    .replace(
        "kind = \"sim\"",
        &format!("kind = \"sim\"\nbase_url = \"{}\"", sim.base_url()),
    );
    assert!(toml.contains(&format!("levels = {LEVELS}")));
    write(&cfg, &toml);
    let summary = p(dir.path(), "s.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--ticks", "60", "--session-id", SESSION, "--config"])
        .arg(&cfg)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);

    let mut worst: Vec<String> = Vec::new();
    let mut most = 0;
    let samples = sample_until_exit(
        &mut running,
        &sim,
        Duration::from_millis(50),
        Duration::from_secs(120),
        |state| {
            for ((symbol, side), n) in ours_by_side(state, SESSION) {
                most = most.max(n);
                if n > LEVELS && worst.len() < 20 {
                    worst.push(format!("{symbol} {side}: {n} orders resting"));
                }
            }
        },
    );
    let out = running.wait(Duration::from_secs(60));
    let state = sim.state();
    assert!(samples >= 20, "only {samples} samples: {}", out.stderr);
    assert!(
        worst.is_empty(),
        "more than {LEVELS} of our orders on one side (most {most}) in {} samples:\n{}",
        samples,
        worst.join("\n")
    );
    assert!(
        state.faults_injected.values().sum::<u64>() > 0,
        "no fault injected: {:?}",
        state.faults_injected
    );
    assert_eq!(
        ours(&state, SESSION),
        0,
        "left open at exit: {:?}",
        state.open_orders
    );
    let s = read_summary(&summary);
    assert_eq!(s.ticks, 60, "{}", out.stderr);
    assert_eq!(out.code, 0, "{}", out.stderr);
}
