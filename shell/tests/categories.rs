//! Every category end to end: `mm run` sessions with `exchange.category`
//! spot and inverse against the simulator (which lists spot ETHUSDC,
//! SOLUSDC and inverse ETHUSD, XRPUSD beside its linear symbols) quote,
//! batch at the category's batch size (spot 10, inverse 20), and shut down
//! clean. Judged from the simulator's own book, sampled while `mm` runs:
//! never more than `levels` orders of a side at any sample, every level
//! quoted, nothing open at the end.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use mm_bybit::Side;

const LEVELS: usize = 5;

/// The session's config: `qty`'s symbols of `category`, `LEVELS` a side,
/// `max_batch_size` left at its default (20) unless `extra_batch` sets it.
fn toml(base_url: Option<&str>, category: &str, qty: &[(&str, &str)], extra_batch: &str) -> String {
    let symbols: Vec<String> = qty.iter().map(|(s, _)| format!("\"{s}\"")).collect();
    let sizes: Vec<String> = qty.iter().map(|(s, q)| format!("{s} = \"{q}\"")).collect();
    format!(
        r#"[exchange]
kind = "sim"
{base_url}
category = "{category}"

[quoting]
symbols = [{symbols}]
levels = {LEVELS}
order_qty = {{ {sizes} }}
tick_interval_ms = 100

[async_batch]
tick_deadline_ms = 5000
{extra_batch}

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
"#,
        base_url = base_url.map_or(String::new(), |u| format!("base_url = \"{u}\"")),
        symbols = symbols.join(", "),
        sizes = sizes.join(", "),
    )
}

impl Session {
    /// The simulator's state at the end, or as last sampled.
    fn state(&self) -> &mm_sim::SimState {
        self.end_state
            .as_ref()
            .or(self.last_sample.as_ref())
            .unwrap()
    }
}

struct Session {
    out: Output,
    summary: RunSummary,
    /// The simulator's state after `mm` exited (`None`: it ran inside `mm`).
    end_state: Option<mm_sim::SimState>,
    /// The last state sampled while `mm` ran.
    last_sample: Option<mm_sim::SimState>,
    /// Per (symbol, side): the most orders resting at one sample.
    most: BTreeMap<(String, Side), usize>,
    /// The categories of the orders seen resting.
    categories: Vec<mm_bybit::Category>,
    samples: usize,
}

/// Where the session's simulator runs.
enum Venue {
    /// Started here (`exchange.base_url` points at it): its state is read
    /// directly, also after `mm` exits.
    Here,
    /// Paper mode: `mm`'s in-process simulator (no `base_url`), read over
    /// `GET /sim/state` at the address `mm` prints, while `mm` runs.
    Embedded,
}

/// `mm run --ticks 6` with the config, the simulator's book sampled every
/// few ms until `mm` exits.
fn session(venue: Venue, config: impl FnOnce(Option<&str>) -> String) -> Session {
    let rt = one_worker_runtime();
    let sim = matches!(venue, Venue::Here).then(|| {
        start_sim(
            &rt,
            mm_sim::SimConfig {
                latency_ms: 1,
                fills: false,
                ..mm_sim::SimConfig::default()
            },
        )
    });
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    write(&cfg, &config(sim.as_ref().map(|s| s.base_url()).as_deref()));
    let summary = p(dir.path(), "s.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--ticks", "6", "--config"])
        .arg(&cfg)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    let embedded = sim.is_none().then(|| {
        let line = running.wait_line("in-process simulator at http://", Duration::from_secs(60));
        let url = line.split("http://").nth(1).unwrap().trim().to_string();
        url.trim_end_matches('/').to_string()
    });
    // The simulator's state now: directly, or over HTTP (None once it is gone).
    let state = || -> Option<mm_sim::SimState> {
        match (&sim, &embedded) {
            (Some(sim), _) => Some(sim.state()),
            (None, Some(addr)) => {
                let reply = try_http_get(addr, "/sim/state")?;
                let body = reply.split("\r\n\r\n").nth(1)?;
                serde_json::from_str(body).ok()
            }
            (None, None) => None,
        }
    };
    let mut most: BTreeMap<(String, Side), usize> = BTreeMap::new();
    let mut categories = Vec::new();
    let mut samples = 0;
    let mut last_sample = None;
    let end = Instant::now() + Duration::from_secs(90);
    while running.child.try_wait().unwrap().is_none() && Instant::now() < end {
        if let Some(now_state) = state() {
            let mut now: BTreeMap<(String, Side), usize> = BTreeMap::new();
            for o in &now_state.open_orders {
                if !categories.contains(&o.category) {
                    categories.push(o.category);
                }
                *now.entry((o.symbol.clone(), o.side)).or_default() += 1;
            }
            for (k, n) in now {
                let m = most.entry(k).or_default();
                *m = (*m).max(n);
            }
            samples += 1;
            last_sample = Some(now_state);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = running.wait(Duration::from_secs(10));
    let end_state = sim.as_ref().map(mm_sim::SimHandle::state);
    assert_eq!(out.code, 0, "mm run exited {}:\n{}", out.code, out.stderr);
    Session {
        summary: read_summary(&summary),
        out,
        end_state,
        last_sample,
        most,
        categories,
        samples,
    }
}

/// Orders per create-batch request the simulator saw (every batch full:
/// exactly the batch size).
fn orders_per_create_batch(s: &mm_sim::SimState) -> f64 {
    let path = "/v5/order/create-batch";
    let orders = s.orders_by_path.get(path).copied().unwrap_or(0);
    let requests = s.requests_by_path.get(path).copied().unwrap_or(0);
    assert!(requests > 0, "no create-batch: {:?}", s.requests_by_path);
    #[allow(clippy::cast_precision_loss)]
    let per = orders as f64 / requests as f64;
    per
}

fn assert_quoted_and_clean(s: &Session, category: mm_bybit::Category, symbols: &[&str]) {
    assert!(s.summary.ticks >= 6, "{:?}", s.summary.ticks);
    // The exchange listed none of ours open at the end (for the embedded
    // simulator that listing is the only look after its last sample).
    assert_eq!(s.summary.open_orders_exchange, Some(0));
    assert_eq!(s.summary.rejects, 0, "{}", s.out.stderr);
    // Nothing open at the end, by the simulator's own book.
    if let Some(end) = &s.end_state {
        assert!(
            end.open_orders.is_empty(),
            "left open: {:?}",
            end.open_orders
        );
    }
    // Never more than `levels` a side, and every side was fully quoted at
    // some sample (the sampling saw the quotes, so the bound means something).
    assert!(s.samples >= 10, "only {} samples", s.samples);
    for sym in symbols {
        for side in [Side::Buy, Side::Sell] {
            let n = s.most.get(&((*sym).to_string(), side)).copied();
            assert_eq!(
                n,
                Some(LEVELS),
                "{sym} {side:?}: most resting at one sample {n:?}, want {LEVELS} ({} samples)",
                s.samples
            );
        }
    }
    assert_eq!(s.most.len(), 2 * symbols.len(), "{:?}", s.most);
    assert_eq!(s.categories, [category], "categories of the resting orders");
    // Every level rested and the inner one was covered, by the simulator's
    // quality measure (its targets are the ladder's). Only where the market
    // stands still (the simulator started here walks per ticker poll, and
    // with stream books nobody polls): paper mode's walks in time, and an
    // order a step off its target is attributed to the nearest level's.
    if let Some(end) = &s.end_state {
        let q = end.quality.as_ref().unwrap();
        for sym in symbols {
            let sq = &q.symbols[*sym];
            assert!(
                sq.bids.iter().chain(&sq.asks).all(|l| l.order_ms > 0.0),
                "{sym}: a level never had an order: {sq:?}"
            );
        }
        assert!(q.inner_coverage > 0.5, "{q:?}");
    }
}

/// Spot with the default `max_batch_size` (20): capped at spot's 10, said
/// once in the log; 2 symbols x 10 orders = 20 a phase, full batches of 10.
#[test]
fn a_spot_session_quotes_in_batches_of_10_and_shuts_down_clean() {
    let s = session(Venue::Here, |url| {
        toml(url, "spot", &[("ETHUSDC", "0.001"), ("SOLUSDC", "0.1")], "")
    });
    assert_quoted_and_clean(&s, mm_bybit::Category::Spot, &["ETHUSDC", "SOLUSDC"]);
    assert_eq!(orders_per_create_batch(s.state()), 10.0);
    let notice = "config: async_batch.max_batch_size = 20 is capped at the spot batch limit of 10";
    assert_eq!(s.out.stderr.matches(notice).count(), 1, "{}", s.out.stderr);
}

/// Spot with `max_batch_size = 10`: the same batches, no notice.
#[test]
fn spot_at_its_limit_needs_no_notice() {
    let s = session(Venue::Here, |url| {
        toml(
            url,
            "spot",
            &[("ETHUSDC", "0.001"), ("SOLUSDC", "0.1")],
            "max_batch_size = 10",
        )
    });
    assert_quoted_and_clean(&s, mm_bybit::Category::Spot, &["ETHUSDC", "SOLUSDC"]);
    assert_eq!(orders_per_create_batch(s.state()), 10.0);
    assert!(!s.out.stderr.contains("is capped"), "{}", s.out.stderr);
}

/// Inverse: 2 symbols x 10 orders = 20 a phase, one full batch of 20.
#[test]
fn an_inverse_session_quotes_in_batches_of_20_and_shuts_down_clean() {
    let s = session(Venue::Here, |url| {
        toml(url, "inverse", &[("ETHUSD", "1"), ("XRPUSD", "10")], "")
    });
    assert_quoted_and_clean(&s, mm_bybit::Category::Inverse, &["ETHUSD", "XRPUSD"]);
    assert_eq!(orders_per_create_batch(s.state()), 20.0);
    assert!(!s.out.stderr.contains("is capped"), "{}", s.out.stderr);
}

/// Paper mode (`mm`'s own simulator, no `base_url`) runs spot and inverse
/// sessions too: its simulator lists their instruments.
#[test]
fn paper_mode_runs_spot_and_inverse_sessions() {
    let s = session(Venue::Embedded, |url| {
        assert!(url.is_none());
        toml(url, "spot", &[("ETHUSDC", "0.001"), ("SOLUSDC", "0.1")], "")
    });
    // Its market walks in time, so a tick may replace fewer than all 20
    // orders and not every batch is full: spot's hold at most 10, and
    // inverse ones more than spot's 10 on average.
    assert_quoted_and_clean(&s, mm_bybit::Category::Spot, &["ETHUSDC", "SOLUSDC"]);
    let per = orders_per_create_batch(s.state());
    assert!(per > 5.0 && per <= 10.0, "{per}");
    let s = session(Venue::Embedded, |url| {
        toml(url, "inverse", &[("ETHUSD", "1"), ("XRPUSD", "10")], "")
    });
    assert_quoted_and_clean(&s, mm_bybit::Category::Inverse, &["ETHUSD", "XRPUSD"]);
    let per = orders_per_create_batch(s.state());
    assert!(per > 10.0 && per <= 20.0, "{per}");
}
