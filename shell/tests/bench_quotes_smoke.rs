//! `mm bench --quotes-only` at a tiny size (a few sets, L = 1 ms): both
//! paths (the `--quotes` socket and the Rust API) at both tick intervals
//! with cancel+place and at the short one with amend, in the table and the
//! JSON, and the figures are measurements: every set
//! sent was accepted and found in an order request, every latency is
//! positive, P50 <= P99, and the tick wait is part of the request latency
//! and bounded by the tick interval. A behaviour test, not a timing test.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use common::bench;

use serde_json::Value;

const SETS: u64 = 6;

fn ms(r: &Value, measure: &str, p: &str) -> f64 {
    r[measure][p]
        .as_f64()
        .unwrap_or_else(|| panic!("{measure}.{p}: {r}"))
}

#[test]
fn quotes_section_measures_both_paths_at_both_tick_intervals() {
    let sets = SETS.to_string();
    let (stdout, v) = bench(&[
        "--quotes-only",
        "--quote-sets",
        &sets,
        "--levels",
        "2",
        "--latency-ms",
        "1",
        "--jitter-ms",
        "0",
    ]);
    assert!(v["streams"].is_null(), "{}", v["streams"]);
    assert!(v["seed"].as_array().unwrap().is_empty());
    let q = &v["quotes"];
    assert_eq!(q["levels"], 2);
    let rows = q["rows"].as_array().unwrap();
    let shape: Vec<(&str, u64, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap(),
                r["tick_interval_ms"].as_u64().unwrap(),
                r["reprice"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("socket", 200, "cancel+place"),
            ("rust api", 200, "cancel+place"),
            ("socket", 50, "cancel+place"),
            ("rust api", 50, "cancel+place"),
            ("socket", 50, "amend"),
            ("rust api", 50, "amend"),
        ]
    );
    for r in rows {
        for k in ["sets", "accepted", "requested"] {
            assert_eq!(r[k].as_u64(), Some(SETS), "{k}: {r}");
        }
        for m in ["accepted_ms", "request_ms", "tick_wait_ms", "ours_ms"] {
            assert!(ms(r, m, "p50_ms") <= ms(r, m, "p99_ms"), "{m}: {r}");
        }
        // Measured, not defaulted: a set takes time to arrive, and a
        // request waits at least for a tick to start and its cancels to
        // come back.
        assert!(ms(r, "accepted_ms", "p50_ms") > 0.0, "{r}");
        assert!(ms(r, "request_ms", "p50_ms") > 0.0, "{r}");
        // With cancel+place the places wait for the cancels' round trip.
        if r["reprice"] == "cancel+place" {
            assert!(ms(r, "ours_ms", "p50_ms") >= 1.0, "{r}");
        }
        // The tick wait is part of each set's request latency (so of its
        // percentiles too), and typically within one tick interval (+ the
        // journal's whole-ms readings; a loaded machine may miss a timer).
        let tick = r["tick_interval_ms"].as_f64().unwrap();
        for p in ["p50_ms", "p99_ms"] {
            assert!(ms(r, "tick_wait_ms", p) <= ms(r, "request_ms", p), "{r}");
        }
        assert!(ms(r, "tick_wait_ms", "p50_ms") <= tick + 2.0, "{r}");
        // The table shows the row with its counts.
        let path = r["path"].as_str().unwrap();
        let cells = format!(
            "{path} {} {} {SETS} {SETS} {SETS}",
            r["tick_interval_ms"],
            r["reprice"].as_str().unwrap()
        );
        assert!(
            stdout.lines().any(|l| l
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .starts_with(&cells)),
            "no line {cells:?}:\n{stdout}"
        );
    }
}
