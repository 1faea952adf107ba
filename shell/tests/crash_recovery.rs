//! Orders left by a crashed session, judged from the exchange's side.
//!
//! A session is SIGKILLed with its 40-order ladder resting. The next session
//! (a new session id, same simulator) cancels those orphans and sees them
//! gone before it places anything: sampled every few ms, the simulator never
//! shows an order of the new session while one of the crashed session is
//! open. An order that is not of our form (placed by hand) is left alone,
//! and counted. With `recovery.orphans = "refuse"` the session exits 3 naming
//! the orphans and sends no create.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::book::{ours, sample_until_exit};
use common::*;
use mm_core::effect::NewOrder;
use mm_core::{
    Category, Decimal, Instrument, OrderLinkId, Outcome, RequestKind, SessionId, Side, WireNames,
};
use mm_shell::client::Client;
use mm_shell::secrets::Credentials;

const LADDER: usize = 40; // 4 symbols x 5 levels x 2 sides

struct World {
    rt: tokio::runtime::Runtime,
    sim: mm_sim::SimHandle,
    dir: tempfile::TempDir,
}

impl World {
    /// A simulator whose market stands still and never fills: a ladder,
    /// once placed, rests as it is.
    fn new() -> World {
        let rt = common::one_worker_runtime();
        let sim = start_sim(
            &rt,
            mm_sim::SimConfig {
                latency_ms: 2,
                fills: false,
                walk_bps: 0,
                accounts: vec![(
                    mm_shell::secrets::PAPER_KEY.to_string(),
                    mm_shell::secrets::PAPER_SECRET.to_string(),
                )],
                ..mm_sim::SimConfig::default()
            },
        );
        World {
            rt,
            sim,
            dir: tmp(),
        }
    }

    fn config(&self, name: &str, extra: &str) -> std::path::PathBuf {
        let cfg = p(self.dir.path(), name);
        let toml = Seed::default().toml().replace(
            "kind = \"sim\"",
            &format!("kind = \"sim\"\nbase_url = \"{}\"", self.sim.base_url()),
        );
        write(&cfg, &format!("{toml}\n{extra}"));
        cfg
    }

    fn mm_run(&self, cfg: &Path, session: &str, ticks: &str) -> std::process::Command {
        let mut cmd = mm();
        cmd.current_dir(self.dir.path())
            .args(["run", "--ticks", ticks, "--session-id", session, "--config"])
            .arg(cfg)
            .arg("--summary-json")
            .arg(p(self.dir.path(), &format!("{session}.json")));
        cmd
    }

    /// A session SIGKILLed once its whole ladder rests on the simulator.
    fn crash(&self, session: &str) {
        let cfg = self.config("crash.toml", "");
        let mut running = Running::spawn(self.mm_run(&cfg, session, "100000"));
        let end = Instant::now() + Duration::from_secs(60);
        while ours(&self.sim.state(), session) < LADDER {
            assert!(Instant::now() < end, "the ladder never rested");
            std::thread::sleep(Duration::from_millis(10));
        }
        running.child.kill().unwrap();
        running.child.wait().unwrap();
        // Nothing was in flight (the market stands still), so what rests stays.
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(ours(&self.sim.state(), session), LADDER);
    }

    /// An order placed by hand (orderLinkId not of the bot's form).
    fn place_foreign(&self) {
        let client = Client::new(&self.sim.base_url(), Credentials::paper(), 5000, 2000).unwrap();
        let btc = Instrument {
            symbol: "BTCUSDT".to_string(),
            category: Category::Linear,
            tick_size: Decimal::new(1, 1),
            qty_step: Decimal::new(1, 3),
            min_qty: Decimal::new(1, 3),
        };
        let names = WireNames::new(SessionId::new("hand").unwrap(), &[btc]);
        let kind = RequestKind::Place {
            category: Category::Linear,
            order: NewOrder {
                symbol: names.symbol_id("BTCUSDT").unwrap(),
                side: Side::Buy,
                price: "30000".parse().expect("decimal"),
                qty: "0.001".parse().expect("decimal"),
                order_link_id: OrderLinkId::Text("by-hand".to_string()),
                post_only: true,
            },
        };
        match self.rt.block_on(client.execute(&kind, &names)) {
            Outcome::Reply(r) if r.ret_code == 0 => {}
            other => panic!("foreign place: {other:?}"),
        }
    }

    fn foreign_open(&self) -> bool {
        self.sim
            .state()
            .open_orders
            .iter()
            .any(|o| o.order_link_id == "by-hand")
    }

    fn creates_seen(&self) -> u64 {
        let s = self.sim.state();
        ["/v5/order/create", "/v5/order/create-batch"]
            .iter()
            .filter_map(|p| s.requests_by_path.get(*p))
            .sum()
    }
}

#[test]
fn a_crashed_sessions_orders_are_cancelled_and_gone_before_the_first_place() {
    let w = World::new();
    w.crash("crashed1");
    w.place_foreign();

    let cfg = w.config("fresh.toml", "");
    let mut running = Running::spawn(w.mm_run(&cfg, "fresh2", "5"));
    // Every sample: once an order of the new session rests, none of the
    // crashed one may.
    let (mut both, mut first_new_seen) = (Vec::new(), None);
    sample_until_exit(
        &mut running,
        &w.sim,
        Duration::from_millis(2),
        Duration::from_secs(60),
        |state| {
            let (old, new) = (ours(state, "crashed1"), ours(state, "fresh2"));
            if new > 0 {
                first_new_seen.get_or_insert(old);
                if old > 0 && both.len() < 10 {
                    both.push(format!("{old} of crashed1 open beside {new} of fresh2"));
                }
            }
        },
    );
    let out = running.wait(Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        first_new_seen,
        Some(0),
        "no sample saw fresh2's ladder: {}",
        out.stderr
    );
    assert!(both.is_empty(), "{}", both.join("\n"));

    let s = read_summary(&p(w.dir.path(), "fresh2.json"));
    assert_eq!((s.orphans_found, s.orphans_cancelled), (40, 40), "{s:?}");
    assert_eq!(s.foreign_orders, 1, "{s:?}");
    assert_eq!(ours(&w.sim.state(), "crashed1"), 0);
    assert_eq!(ours(&w.sim.state(), "fresh2"), 0);
    assert!(w.foreign_open(), "the order placed by hand was cancelled");
}

#[test]
fn refuse_exits_3_naming_the_orphans_and_sends_no_create() {
    let w = World::new();
    w.crash("crashed3");
    w.place_foreign();
    w.sim.reset_counters();

    let cfg = w.config("refuse.toml", "[recovery]\norphans = \"refuse\"\n");
    let out = run(w.mm_run(&cfg, "refuse4", "5"), Duration::from_secs(60));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("crashed3-") && out.stderr.contains("orphan"),
        "{}",
        out.stderr
    );
    assert_eq!(w.creates_seen(), 0, "{:?}", w.sim.state().requests_by_path);
    assert_eq!(
        ours(&w.sim.state(), "crashed3"),
        LADDER,
        "refuse cancels nothing"
    );
    assert!(w.foreign_open());
    let s = read_summary(&p(w.dir.path(), "refuse4.json"));
    assert_eq!(s.ended, mm_shell::Ended::OrphansRefused, "{s:?}");
    assert!(
        s.fatal.as_deref().is_some_and(|f| f.contains("crashed3-")),
        "{s:?}"
    );
}
