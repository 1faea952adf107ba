//! `mm bench` at a tiny size (few ticks, L = 1 ms): the table and the JSON
//! have their shape, and the order requests per tick keep the seed
//! scenario's order: legacy > per-symbol batches > cross-symbol
//! cancel+place > amend, and the trade-stream rows batch as their REST
//! twins; the quote-quality columns (the simulator's coverage and
//! deviation, requests/s, 10006) carry measured figures, the same in the
//! table and the JSON, at the institutional and the default tier. A
//! behaviour test, not a timing test: no duration is asserted beyond being
//! positive.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use common::bench;

use serde_json::Value;

const MODES: [&str; 6] = [
    "legacy",
    "per_symbol",
    "cancel_place",
    "amend",
    "cancel_place_ws",
    "amend_ws",
];
const NAMES: [&str; 6] = [
    "legacy sequential",
    "seed per-symbol batch",
    "ours cancel+place",
    "ours amend",
    "ours cancel+place (ws)",
    "ours amend (ws)",
];

/// A JSON row's figure `k`.
fn f(r: &Value, k: &str) -> f64 {
    r[k].as_f64().unwrap_or_else(|| panic!("{k}: {r}"))
}

/// The quality columns of a JSON row hold measured figures: shares in
/// (0, 1] (orders rested and covered their targets some of the time), a
/// deviation >= 0, an observed time of at least the session's ticks (the
/// tick interval is at least 1 ms), and requests/s that are exactly the
/// row's request count over that time.
fn measured_quality(r: &Value) {
    for k in ["inner_coverage", "coverage"] {
        assert!(f(r, k) > 0.0 && f(r, k) <= 1.0, "{k}: {r}");
    }
    assert!(f(r, "mean_deviation_bps") >= 0.0, "{r}");
    assert!(
        f(r, "observed_s") > 0.0 && f(r, "requests_per_s") > 0.0,
        "{r}"
    );
    assert!(r["rate_limit_rejections"].as_u64().is_some(), "{r}");
}

/// A table line of the row (the seed table's or a scale run's: the same
/// name) shows its quality figures as the JSON has them.
fn table_shows_quality(stdout: &str, r: &Value) {
    let name = r["name"].as_str().unwrap();
    let dev = r["mean_deviation_bps"].as_f64().unwrap();
    let cells = [
        format!(" {:.1} ", f(r, "requests_per_s")),
        format!(" {} ", r["rate_limit_rejections"]),
        format!(" {:.1}% ", 100.0 * f(r, "inner_coverage")),
        format!(" {:.1}% ", 100.0 * f(r, "coverage")),
        format!(" {dev:.2}"),
        format!(" {} ", r["tick_p95_ms"]),
    ];
    assert!(
        stdout
            .lines()
            .any(|l| is_row(l, name) && cells.iter().all(|c| l.contains(c.as_str()))),
        "{name}: no line with {cells:?}:\n{stdout}"
    );
}

/// `--tier default`: one table of the four modes with the quality columns,
/// the same figures in the JSON, at Bybit's default rates (10/s), where the
/// budget binds.
#[test]
fn default_tier_bench_reports_quality_per_mode() {
    let ticks = 6;
    let (stdout, v) = bench(&[
        "--tier",
        "default",
        "--ticks",
        &ticks.to_string(),
        "--latency-ms",
        "1",
        "--jitter-ms",
        "0",
    ]);
    for col in [
        "req/s",
        "req/tick",
        "10006",
        "inner cov",
        "all cov",
        "dev bps",
        "p50 ms",
        "p95 ms",
    ] {
        assert!(stdout.contains(col), "no {col:?} column:\n{stdout}");
    }
    assert!(stdout.contains("default tier (10 orders/s"), "{stdout}");
    assert_eq!(v["settings"]["tier"], "default");
    assert_eq!(v["settings"]["rate_per_endpoint"], 10);
    assert_eq!(v["settings"]["walk_interval_ms"], 1000);
    assert_eq!(v["scale"].as_array().unwrap().len(), 0);
    assert!(v["streams"].is_null(), "{}", v["streams"]);
    let seed = v["seed"].as_array().unwrap();
    let modes: Vec<&str> = seed.iter().map(|r| r["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["per_symbol", "cancel_place", "amend", "planned"]);
    for r in seed {
        measured_quality(r);
        table_shows_quality(&stdout, r);
        assert!(r["tick_p95_ms"].as_u64().is_some_and(|p| p > 0), "{r}");
        // Zero 10006: core never sends what the budget cannot carry.
        assert_eq!(r["rate_limit_rejections"], 0, "{r}");
        // requests/s is the session's request count over the observed time
        // (at the default tier every tick's requests are counted).
        let done = r["ticks"].as_u64().unwrap();
        #[allow(clippy::cast_precision_loss)]
        let requests = f(r, "order_requests_per_tick") * done as f64;
        let over_time = f(r, "requests_per_s") * f(r, "observed_s");
        assert!(
            (requests - over_time).abs() < 0.5,
            "{requests} vs {over_time}: {r}"
        );
        // The budget binds: 10 orders a second per endpoint (create, amend,
        // cancel), plus a second's burst of the rolling window. Unbudgeted,
        // the 40 reprices of a tick every 200 ms would be ~200 a second.
        #[allow(clippy::cast_precision_loss)]
        let orders = f(r, "orders_per_tick") * done as f64;
        let bound = 30.0 * (f(r, "observed_s") + 1.0);
        assert!(orders <= bound, "{orders} orders > {bound}: {r}");
    }
    // Per-symbol batches send a request per symbol and operation where
    // ours sends one per operation: more requests a second for the same
    // budget of orders.
    assert!(
        f(&seed[0], "requests_per_s") > f(&seed[1], "requests_per_s"),
        "per-symbol vs cancel+place requests/s:\n{stdout}"
    );
}

/// The streams section's rows: (measure, variant), the stream variant first.
const STREAM_ROWS: [(&str, &str); 6] = [
    ("fill -> position", "private stream"),
    ("fill -> position", "REST (stream down)"),
    ("fill -> core knows", "private stream"),
    ("fill -> core knows", "REST (stream down)"),
    ("book change -> first request", "book stream"),
    ("book change -> first request", "polling"),
];

/// `--streams-only`: fill and book-change latencies, each stream beside its
/// fallback, in the table and the JSON. Orderings asserted only where the
/// physics holds them with a wide margin: without the private stream core's
/// position never moves, and the REST path to a fill needs a tick and two
/// round trips of L = 40 ms (the stream, one push), polling one round trip
/// before a tick has the new book.
#[test]
fn streams_section_measures_each_stream_beside_its_fallback() {
    let l = 40;
    // One symbol, two levels a side: a few private messages a tick. At the
    // seed size (40 cancels and 40 places a tick, each pushed with its
    // position: ~800 messages a second) a debug build on a loaded machine
    // fell 200 ms behind the private stream, and the ordering below with it.
    let (stdout, v) = bench(&[
        "--streams-only",
        "--symbols",
        "1",
        "--levels",
        "2",
        "--ticks",
        "25",
        "--latency-ms",
        &l.to_string(),
        "--jitter-ms",
        "0",
    ]);
    for col in [
        "measure",
        "variant",
        "events",
        "seen",
        "p50 ms",
        "p99 ms",
        "p50/stream",
    ] {
        assert!(stdout.contains(col), "no {col:?} column:\n{stdout}");
    }
    assert!(!stdout.contains("seed per-symbol batch"), "{stdout}");
    let st = &v["streams"];
    assert_eq!(st["ticks"], 25);
    assert_eq!(st["tick_interval_ms"], 200);
    assert_eq!(st["reconcile_interval_ms"], 2000);
    let rows = st["rows"].as_array().unwrap();
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["measure"].as_str().unwrap(),
                r["variant"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, STREAM_ROWS);
    let n = |r: &Value, k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{k}: {r}"));
    for r in rows {
        assert!(n(r, "events") > 0, "nothing to measure: {r}");
        assert!(n(r, "seen") <= n(r, "events"), "{r}");
        if n(r, "seen") > 0 {
            assert!(n(r, "p50_ms") <= n(r, "p99_ms"), "{r}");
        }
        // The table line shows the same counts.
        let (measure, variant) = (
            r["measure"].as_str().unwrap(),
            r["variant"].as_str().unwrap(),
        );
        let cells = format!(" {} {} ", n(r, "events"), n(r, "seen"));
        assert!(
            stdout.lines().any(|l| {
                l.starts_with(measure)
                    && l.contains(variant)
                    && l.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .contains(cells.trim_start())
            }),
            "{measure} / {variant}: no line with {cells:?}:\n{stdout}"
        );
    }
    let [s_pos, r_pos, s_known, r_known, b_stream, b_poll] = [0, 1, 2, 3, 4, 5].map(|i| &rows[i]);
    // Every fill made while the private stream was up reached core's
    // position through it (core may know of a fill sooner, from its
    // order's update).
    assert_eq!(n(s_pos, "seen"), n(s_pos, "events"), "{s_pos}");
    assert!(
        n(s_known, "p50_ms") <= n(s_pos, "p50_ms"),
        "{s_known} vs {s_pos}"
    );
    // Without it, core's position does not move (fills wait for the next
    // resync), but core learns that orders filled (a cancel or a reconcile
    // answered "not found", then the settle query): at least one round
    // trip after the fill.
    assert_eq!(n(r_pos, "seen"), 0, "{r_pos}");
    assert!(r_pos["p50_ms"].is_null(), "{r_pos}");
    assert!(n(r_known, "seen") > 0, "{r_known}");
    assert!(n(r_known, "p50_ms") >= l, "{r_known}");
    assert!(
        n(s_known, "p50_ms") < n(r_known, "p50_ms"),
        "stream {s_known} vs REST {r_known}"
    );
    // A polled book reaches core half a round trip after the simulator
    // served it: no re-quote of a polled book comes sooner.
    assert!(
        n(b_stream, "seen") > 0 && n(b_poll, "seen") > 0,
        "{b_stream} {b_poll}"
    );
    assert!(n(b_poll, "p50_ms") >= l / 2 - 1, "{b_poll}");
}

/// A table line of the row named `name` (not of a longer name it begins).
fn is_row(line: &str, name: &str) -> bool {
    line.strip_prefix(name)
        .is_some_and(|rest| rest.trim_start().starts_with(|c: char| c.is_ascii_digit()))
}

#[test]
fn bench_prints_the_table_and_json_and_keeps_the_request_order() {
    let (stdout, v) = bench(&["--ticks", "3", "--latency-ms", "1", "--jitter-ms", "0"]);

    // The table: a header with every column, one line per mode, the scale run.
    for col in [
        "mode",
        "requests",
        "orders/tick",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "limit ms",
        "p95/limit",
        "speedup",
        "req/s",
        "10006",
        "inner cov",
        "all cov",
        "dev bps",
    ] {
        assert!(
            stdout.contains(col),
            "table has no {col:?} column:\n{stdout}"
        );
    }
    for (i, name) in NAMES.into_iter().enumerate() {
        let n = stdout.lines().filter(|l| is_row(l, name)).count();
        // Legacy and the ws rows are in the seed table only.
        let want = if i == 0 || i >= 4 { 1 } else { 3 };
        assert_eq!(
            n, want,
            "{name:?}: {n} table lines, want {want} (seed + two scale runs):\n{stdout}"
        );
    }
    assert!(stdout.contains("scale: 50 symbols x 10 levels"), "{stdout}");
    assert!(stdout.contains("scale: 100 symbols x 3 levels"), "{stdout}");
    // The streams section follows (its figures: `streams_section_...`).
    assert!(
        stdout.contains("\nstreams: 4 symbols x 5 levels"),
        "{stdout}"
    );
    let rows = v["streams"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), STREAM_ROWS.len(), "{}", v["streams"]);

    // The JSON: the same figures.
    assert_eq!(v["settings"]["latency_ms"], 1);
    assert_eq!(v["settings"]["symbols"], 4);
    assert_eq!(v["settings"]["levels"], 5);
    assert_eq!(v["settings"]["fills"], false);
    let seed = v["seed"].as_array().unwrap();
    let modes: Vec<&str> = seed.iter().map(|r| r["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, MODES);
    let scale = v["scale"].as_array().unwrap();
    let scale_rows: Vec<(&str, u64, u64)> = scale
        .iter()
        .map(|r| {
            (
                r["mode"].as_str().unwrap(),
                r["symbols"].as_u64().unwrap(),
                r["levels"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, u64, u64)> = [(50, 10), (100, 3)]
        .iter()
        .flat_map(|&(s, l)| MODES[1..4].iter().map(move |m| (*m, s, l)))
        .collect();
    assert_eq!(scale_rows, want);
    for r in seed.iter().chain(scale) {
        let mode = &r["mode"];
        for key in [
            "tick_p50_ms",
            "tick_p95_ms",
            "tick_p99_ms",
            "physical_limit_ms",
        ] {
            assert!(
                r[key].as_u64().is_some_and(|x| x > 0),
                "{mode} {key}: {}",
                r[key]
            );
        }
        let (p50, p95, p99) = (&r["tick_p50_ms"], &r["tick_p95_ms"], &r["tick_p99_ms"]);
        assert!(
            p50.as_u64() <= p95.as_u64() && p95.as_u64() <= p99.as_u64(),
            "{mode}: {r}"
        );
        assert!(
            r["p95_over_limit"].as_f64().is_some_and(|x| x > 0.0),
            "{mode}: {r}"
        );
        assert!(r["ticks"].as_u64().is_some_and(|t| t >= 2), "{mode}: {r}");
        // The table shows the same figure.
        let req = r["order_requests_per_tick"].as_f64().unwrap();
        let name = r["name"].as_str().unwrap();
        assert!(
            stdout
                .lines()
                .any(|l| is_row(l, name) && l.contains(&format!("{req:.1}"))),
            "{name}: {req:.1} requests/tick is not in the table"
        );
        // Nothing rejected or rate-limited at the institutional tier.
        assert_eq!(r["rate_limit_rejections"], 0, "{mode}: {r}");
        assert_eq!(r["rejects"], 0, "{mode}: {r}");
        measured_quality(r);
        table_shows_quality(&stdout, r);
        if *mode != "legacy" {
            // The market steps 3 bps every poll, past the 1 bps tolerance:
            // every order is off its target until repriced (deviation > 0),
            // and a batch mode reprices every level in the same round, so
            // all levels are covered about as long as the inner one.
            assert!(f(r, "mean_deviation_bps") > 0.0, "{mode}: {r}");
            let (inner, all) = (f(r, "inner_coverage"), f(r, "coverage"));
            assert!((inner - all).abs() < 0.05, "{mode}: {inner} vs {all}");
        }
    }
    for r in seed {
        assert!(
            r["speedup_vs_legacy"].as_f64().is_some_and(|x| x > 0.0),
            "{r}"
        );
    }

    // The behaviour: requests per tick, legacy > per-symbol > cancel+place > amend,
    // near the seed scenario's 80 / 8 / 4 / 2.
    let req: Vec<f64> = seed
        .iter()
        .map(|r| r["order_requests_per_tick"].as_f64().unwrap())
        .collect();
    assert!(
        req[0] > req[1] && req[1] > req[2] && req[2] > req[3] && req[3] > 0.0,
        "requests per tick out of order (legacy, per-symbol, cancel+place, amend): {req:?}"
    );
    assert!(req[0] > 60.0 && req[0] <= 80.0, "legacy: {req:?}");
    assert!(req[1] <= 8.0 && req[2] <= 4.0 && req[3] <= 2.0, "{req:?}");
    // Over the trade stream: the same batching (counted under the
    // simulator's op names), cancel+place twice amend's requests.
    assert!(
        req[4] > req[5] && req[5] > 0.0 && req[4] <= 4.0 && req[5] <= 2.0,
        "ws rows (cancel+place, amend): {req:?}"
    );
    let expected = |r: &Value| r["expected"]["requests"].as_u64().unwrap();
    assert_eq!(
        (expected(&seed[4]), expected(&seed[5])),
        (expected(&seed[2]), expected(&seed[3])),
        "a ws row's plan is its REST twin's"
    );
    // Scale 50 x 10: per-symbol and cross-symbol both need 100 (20 orders a
    // symbol fill a batch exactly); amend half of that.
    let req = |r: &Value| r["order_requests_per_tick"].as_f64().unwrap();
    let rounds = |r: &Value| r["expected"]["rounds"].as_u64().unwrap();
    let s: Vec<f64> = scale[..3].iter().map(req).collect();
    assert!(
        s[2] < s[1] && s[2] > 0.0 && s[1] <= 100.0,
        "scale 50x10: {s:?}"
    );
    assert!(s[0] > 90.0 && s[1] > 90.0, "scale 50x10: {s:?}");
    assert_eq!(rounds(&scale[0]), rounds(&scale[1]), "50x10: same rounds");
    // Scale 100 x 3: a symbol's 6 orders fill a third of its own batch, so
    // per-symbol batching sends 200 requests a tick (20 rounds of 10 in
    // flight) where cross-symbol sends 60 (6 rounds) and amend 30 (3).
    let s: Vec<f64> = scale[3..].iter().map(req).collect();
    assert!(s[0] > 150.0 && s[0] <= 200.0, "scale 100x3: {s:?}");
    assert!(s[1] > 45.0 && s[1] <= 60.0, "scale 100x3: {s:?}");
    assert!(
        s[2] > 0.0 && s[2] <= 30.0 && s[2] < s[1],
        "scale 100x3: {s:?}"
    );
    let r: Vec<u64> = scale[3..].iter().map(rounds).collect();
    assert_eq!(r, vec![20, 6, 3], "scale 100x3 rounds");
}
