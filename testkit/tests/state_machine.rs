//! A proptest state machine (issue 5 item 7): the engine, driven step by step
//! against the in-memory exchange (`mm_core::virtual_exchange`), by random
//! actions: ticks with random books (moves, missing, crossed, stale), replies
//! delivered in any order, wakes, time passing, config changes (valid and
//! not), and scripted exchange behaviours (accept, per-order reject, partial
//! batch, timeout applied or not, 10006 tail, malformed, 5xx, short code
//! list). After EVERY step it checks the engine against a small model:
//!
//! - no order lost: each order core created is in exactly one state (pending,
//!   live, unknown) or gone; every order open at the exchange is one core
//!   tracks; an order core holds Live with nothing in flight for it rests at
//!   the exchange at the price and size core believes;
//! - an Unknown order is being reconciled: a request is in flight or a wake
//!   is scheduled (core never sits on an unknown with nothing to do);
//! - in flight stays within its bound; no batch exceeds its limit or mixes
//!   categories; request ids are fresh; orderLinkIds are well formed;
//! - the budget is never overspent: the exchange never had to answer 10006
//!   out of its own budget.
//!
//! At the end: everything settles (no unknown, core's live orders equal the
//! exchange's open orders), shutdown leaves nothing open and emits
//! `Stopped`, and running the same case again yields the same transcript.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use mm_core::config::{CoalesceScope, Config, RateLimitConfig, Reprice};
use mm_core::domain::Ticks;
use mm_core::effect::{Effect, Request, RequestKind};
use mm_core::journal::JournalHeader;
use mm_core::virtual_exchange::{Fault, Scenario, VirtualExchange};
use mm_core::{BookTop, Engine, Input, OrderState, Outcome, RequestId, SessionId, Timestamp};
use mm_testkit::Transcript;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Action {
    /// A tick `gap_ms` after now; per symbol a mid move in ticks, and maybe
    /// one symbol's book spoiled (0 missing, 1 crossed, 2 stale).
    Tick {
        gap_ms: u64,
        moves: Vec<i64>,
        spoil: Option<(usize, u8)>,
    },
    /// Deliver one pending reply, chosen among all of them (any order).
    Deliver(usize),
    /// Deliver every pending reply, oldest first.
    DeliverAll,
    /// Jump to the engine's deadline and wake it.
    Wake,
    Advance(u64),
    Config(Tweak),
}

#[derive(Debug, Clone)]
struct Tweak {
    enabled: bool,
    amend: bool,
    by_symbol: bool,
    max_batch: u32,
    max_parallel: u32,
    place_with_cancel: bool,
    /// An invalid config (levels = 0), which core must refuse and survive.
    invalid: bool,
}

#[derive(Debug, Clone)]
struct Case {
    symbols: usize,
    levels: u32,
    rate: u32,
    start: Tweak,
    /// (nth order request, behaviour)
    faults: Vec<(u64, u8)>,
    actions: Vec<Action>,
}

fn fault(kind: u8) -> Fault {
    match kind {
        0 => Fault::TimeoutApplied,
        1 => Fault::TimeoutNotApplied,
        2 => Fault::Http(503),
        3 => Fault::Malformed,
        4 => Fault::RejectItem {
            index: 0,
            code: 110_007,
        },
        5 => Fault::RejectItem {
            index: 1,
            code: 10001,
        },
        6 => Fault::RateTail { keep: 1 },
        7 => Fault::RateTail { keep: 0 },
        8 => Fault::ShortCodes,
        9 => Fault::TopLevel(10001),
        _ => Fault::Http(502),
    }
}

fn tweak() -> impl Strategy<Value = Tweak> {
    (
        prop::bool::weighted(0.8),
        any::<bool>(),
        any::<bool>(),
        1u32..=20,
        1u32..=6,
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(enabled, amend, by_symbol, max_batch, max_parallel, place_with_cancel, invalid)| {
                Tweak {
                    enabled,
                    amend,
                    by_symbol,
                    max_batch,
                    max_parallel,
                    place_with_cancel,
                    invalid,
                }
            },
        )
}

fn action(symbols: usize) -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (
            prop_oneof![Just(0u64), 1u64..400],
            prop::collection::vec(-200i64..=200, symbols),
            prop::option::weighted(0.2, (0usize..8, 0u8..3)),
        )
            .prop_map(|(gap_ms, moves, spoil)| Action::Tick { gap_ms, moves, spoil }),
        5 => (0usize..64).prop_map(Action::Deliver),
        2 => Just(Action::DeliverAll),
        2 => Just(Action::Wake),
        1 => (1u64..3000).prop_map(Action::Advance),
        1 => tweak().prop_map(Action::Config),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=3, 1u32..=3, 20u32..=400, tweak(), any::<bool>())
        .prop_flat_map(|(symbols, levels, rate, mut start, faulty)| {
            start.invalid = false;
            let faults = if faulty {
                prop::collection::vec((1u64..60, 0u8..11), 0..12).boxed()
            } else {
                Just(Vec::new()).boxed()
            };
            (
                Just((symbols, levels, rate, start)),
                faults,
                prop::collection::vec(action(symbols), 1..60),
            )
        })
        .prop_map(|((symbols, levels, rate, start), faults, actions)| Case {
            symbols,
            levels,
            rate,
            start,
            faults,
            actions,
        })
}

fn apply(config: &mut Config, t: &Tweak) {
    let c = &mut config.async_batch;
    c.enabled = t.enabled;
    c.coalesce_scope = if t.by_symbol {
        CoalesceScope::Symbol
    } else {
        CoalesceScope::Category
    };
    c.max_batch_size = t.max_batch;
    c.max_parallel_symbols = t.max_parallel;
    c.place_with_cancel = t.place_with_cancel;
    config.quoting.reprice = if t.amend {
        Reprice::Amend
    } else {
        Reprice::CancelPlace
    };
    if t.invalid {
        config.quoting.levels = 0;
    }
}

/// The exchange's reply to a request, waiting to be delivered.
struct InFlight {
    id: RequestId,
    outcome: Outcome,
    links: Vec<String>,
    /// A cancel-all: every order of this symbol may be gone already.
    clears: Option<String>,
}

struct Machine {
    sc: Scenario,
    engine: Engine,
    vx: VirtualExchange,
    now: Timestamp,
    /// Per symbol: mid in ticks.
    mids: Vec<i64>,
    in_flight: Vec<InFlight>,
    transcript: Transcript,
    /// Largest in-flight bound and batch limit of any config offered so far
    /// (a request sent under the old config may still be in flight).
    bound: usize,
    batch_limit: usize,
    last_request: u64,
    stopped: bool,
}

impl Machine {
    fn new(case: &Case) -> Machine {
        let mut sc = Scenario::wide(case.symbols, case.levels);
        apply(&mut sc.config, &case.start);
        sc.config.rate_limits = RateLimitConfig::uniform(case.rate);
        let session = SessionId::new("sm").unwrap();
        let engine = Engine::new(sc.config.clone(), sc.instruments.clone(), session.clone())
            .unwrap_or_else(|e| panic!("start config refused: {e}"));
        let mut vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
        for (nth, kind) in &case.faults {
            vx.script_orders(*nth, fault(*kind));
        }
        let mut transcript = Transcript::new();
        transcript.header(&JournalHeader {
            session_id: session,
            config: sc.config.clone(),
            instruments: sc.instruments.clone(),
        });
        let mids = (0..case.symbols)
            .map(|i| 100_000 + 1_000 * i as i64)
            .collect();
        let (bound, batch_limit) = limits(&sc.config);
        Machine {
            sc,
            engine,
            vx,
            now: Timestamp(1_000),
            mids,
            in_flight: Vec::new(),
            transcript,
            bound,
            batch_limit,
            last_request: 0,
            stopped: false,
        }
    }

    fn feed(&mut self, input: Input) -> Result<(), TestCaseError> {
        self.transcript.input(&input);
        self.engine.handle(input);
        while let Some(effect) = self.engine.poll_effect() {
            self.transcript.effect(&effect);
            match &effect {
                Effect::Send(r) => self.send(r)?,
                Effect::Stopped => self.stopped = true,
                Effect::WakeAt(_) | Effect::Log(_) | Effect::TickDone(_) => {}
            }
        }
        self.check()
    }

    fn send(&mut self, r: &Request) -> Result<(), TestCaseError> {
        prop_assert!(r.id.0 > self.last_request, "request id r{} reused", r.id.0);
        self.last_request = r.id.0;
        let links = links(r);
        let n = links.len();
        if is_batch(r) {
            prop_assert!(
                n >= 1 && n <= self.batch_limit,
                "batch of {} > limit {}",
                n,
                self.batch_limit
            );
        }
        for l in &links {
            prop_assert!(
                l.len() <= 36
                    && l.starts_with("sm-")
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "bad orderLinkId {:?}",
                l
            );
        }
        let outcome = self.vx.handle(self.now, r);
        let clears = match &r.kind {
            RequestKind::CancelAll { symbol, .. } => Some(symbol.clone()),
            _ => None,
        };
        self.in_flight.push(InFlight {
            id: r.id,
            outcome,
            links,
            clears,
        });
        prop_assert!(
            self.in_flight.len() <= self.bound,
            "{} requests in flight, bound {}",
            self.in_flight.len(),
            self.bound
        );
        Ok(())
    }

    fn deliver(&mut self, i: usize) -> Result<(), TestCaseError> {
        let f = self.in_flight.remove(i);
        self.feed(Input::Response {
            now_ms: self.now,
            request_id: f.id,
            outcome: f.outcome,
        })
    }

    fn wake(&mut self) -> Result<bool, TestCaseError> {
        let Some(t) = self.engine.poll_timeout() else {
            return Ok(false);
        };
        self.now = self.now.max(t);
        self.feed(Input::Wake { now_ms: self.now })?;
        Ok(true)
    }

    fn step(&mut self, a: &Action) -> Result<(), TestCaseError> {
        match a {
            Action::Tick {
                gap_ms,
                moves,
                spoil,
            } => {
                self.now = self.now.plus_ms(*gap_ms);
                for (m, d) in self.mids.iter_mut().zip(moves) {
                    *m = (*m + d).max(1_000);
                }
                let spoil = spoil.map(|(i, k)| (i % self.mids.len(), k));
                let books = self.books(spoil);
                self.feed(Input::Tick {
                    now_ms: self.now,
                    books,
                })
            }
            Action::Deliver(i) if !self.in_flight.is_empty() => {
                self.deliver(i % self.in_flight.len())
            }
            Action::Deliver(_) => Ok(()),
            Action::DeliverAll => {
                while !self.in_flight.is_empty() {
                    self.deliver(0)?;
                }
                Ok(())
            }
            Action::Wake => self.wake().map(|_| ()),
            Action::Advance(ms) => {
                self.now = self.now.plus_ms(*ms);
                Ok(())
            }
            Action::Config(t) => {
                let mut config = self.engine.config().clone();
                apply(&mut config, t);
                if !t.invalid {
                    let (bound, limit) = limits(&config);
                    self.bound = self.bound.max(bound);
                    self.batch_limit = self.batch_limit.max(limit);
                }
                self.feed(Input::ConfigChanged {
                    now_ms: self.now,
                    config,
                })
            }
        }
    }

    fn books(&self, spoil: Option<(usize, u8)>) -> Vec<BookTop> {
        let mut out = Vec::new();
        for (i, inst) in self.sc.instruments.iter().enumerate() {
            let mid = self.mids[i];
            let (mut bid, mut ask, mut at) = (mid - 1, mid + 1, self.now);
            match spoil {
                Some((s, 0)) if s == i => continue,
                Some((s, 1)) if s == i => std::mem::swap(&mut bid, &mut ask),
                Some((s, _)) if s == i => at = Timestamp(self.now.0.saturating_sub(10_000)),
                _ => {}
            }
            out.push(BookTop {
                symbol: inst.symbol.clone(),
                bid: inst.price_string(Ticks(bid)),
                ask: inst.price_string(Ticks(ask)),
                received_ms: at,
            });
        }
        out
    }

    /// The invariants that hold after every step.
    fn check(&self) -> Result<(), TestCaseError> {
        let counts = self.engine.order_counts();
        let totals = self.engine.totals();
        let tracked = counts.pending_new
            + counts.live
            + counts.pending_amend
            + counts.pending_cancel
            + counts.unknown;
        prop_assert_eq!(
            tracked + counts.gone,
            totals.orders_created,
            "an order is in no state or two: {:?}",
            counts
        );
        let orders = self.engine.orders();
        prop_assert_eq!(
            orders.len() as u64,
            tracked,
            "orders() disagrees with counts"
        );
        let ours: BTreeMap<&str, _> = orders
            .iter()
            .map(|o| (o.order_link_id.as_str(), o))
            .collect();
        // Open at the exchange => core knows it.
        for link in self.vx.open_orders().keys() {
            prop_assert!(
                ours.contains_key(link.as_str()),
                "{} rests at the exchange but core has forgotten it",
                link
            );
        }
        // Live in core with nothing in flight => rests as core believes.
        let busy: BTreeSet<&str> = self
            .in_flight
            .iter()
            .flat_map(|f| f.links.iter().map(String::as_str))
            .collect();
        let cleared: BTreeSet<&str> = self
            .in_flight
            .iter()
            .filter_map(|f| f.clears.as_deref())
            .collect();
        for o in &orders {
            if o.state != OrderState::Live
                || busy.contains(o.order_link_id.as_str())
                || cleared.contains(o.symbol.as_str())
            {
                continue;
            }
            let theirs = self.vx.open_orders().get(&o.order_link_id);
            prop_assert!(
                theirs.is_some(),
                "core holds {} live, the exchange does not have it",
                o.order_link_id
            );
            let theirs = theirs.unwrap();
            prop_assert!(
                theirs.price == o.price && theirs.qty == o.qty,
                "{}: core believes {} x {}, exchange has {} x {}",
                o.order_link_id,
                o.price,
                o.qty,
                theirs.price,
                theirs.qty
            );
        }
        // An unknown is being reconciled: something is in flight or due.
        if counts.unknown > 0 && !self.stopped {
            prop_assert!(
                !self.in_flight.is_empty() || self.engine.poll_timeout().is_some(),
                "{} unknown orders and nothing in flight or scheduled",
                counts.unknown
            );
        }
        prop_assert_eq!(self.vx.stats.rate_limited, 0, "rate budget overspent");
        Ok(())
    }

    /// Delivers every reply and wake until nothing is left to do.
    fn settle(&mut self) -> Result<(), TestCaseError> {
        for _ in 0..20_000 {
            if !self.in_flight.is_empty() {
                self.deliver(0)?;
            } else if !self.wake()? {
                return Ok(());
            }
        }
        Err(TestCaseError::fail("did not settle in 20000 steps"))
    }
}

/// (in-flight bound, batch limit) a config allows.
fn limits(c: &Config) -> (usize, usize) {
    let bound = if c.async_batch.enabled {
        c.async_batch.max_parallel_symbols as usize
    } else {
        1
    };
    (bound, (c.async_batch.max_batch_size as usize).min(20))
}

fn is_batch(r: &Request) -> bool {
    matches!(
        r.kind,
        RequestKind::PlaceBatch { .. }
            | RequestKind::AmendBatch { .. }
            | RequestKind::CancelBatch { .. }
    )
}

fn links(r: &Request) -> Vec<String> {
    match &r.kind {
        RequestKind::PlaceBatch { orders, .. } => {
            orders.iter().map(|o| o.order_link_id.clone()).collect()
        }
        RequestKind::AmendBatch { orders, .. } => {
            orders.iter().map(|o| o.order_link_id.clone()).collect()
        }
        RequestKind::CancelBatch { orders, .. } => {
            orders.iter().map(|o| o.order_link_id.clone()).collect()
        }
        RequestKind::Place { order, .. } => vec![order.order_link_id.clone()],
        RequestKind::Amend { order, .. } => vec![order.order_link_id.clone()],
        RequestKind::Cancel { order, .. } => vec![order.order_link_id.clone()],
        RequestKind::OpenOrders {
            order_link_id: Some(l),
            ..
        } => vec![l.clone()],
        RequestKind::CancelAll { .. } | RequestKind::OpenOrders { .. } => vec![],
    }
}

/// Runs a case to the end; returns its transcript.
fn run(case: &Case) -> Result<String, TestCaseError> {
    let mut m = Machine::new(case);
    for a in &case.actions {
        m.step(a)?;
    }
    // One last fresh tick, then let everything settle: nothing unknown, and
    // core's live orders are exactly the exchange's open orders.
    m.now = m.now.plus_ms(200);
    m.step(&Action::Tick {
        gap_ms: 0,
        moves: vec![0; case.symbols],
        spoil: None,
    })?;
    m.settle()?;
    let counts = m.engine.order_counts();
    prop_assert_eq!(
        counts.unknown,
        0,
        "settled with unknown orders: {:?}",
        counts
    );
    let ours: BTreeMap<String, (String, String)> = m
        .engine
        .orders()
        .into_iter()
        .filter(|o| o.state == OrderState::Live)
        .map(|o| (o.order_link_id, (o.price, o.qty)))
        .collect();
    let theirs: BTreeMap<String, (String, String)> =
        m.vx.open_orders()
            .values()
            .map(|o| (o.order_link_id.clone(), (o.price.clone(), o.qty.clone())))
            .collect();
    prop_assert_eq!(ours, theirs, "core and exchange disagree after settling");

    // Shutdown: everything cancelled, confirmed, Stopped.
    m.feed(Input::Shutdown { now_ms: m.now })?;
    m.settle()?;
    prop_assert!(m.stopped, "shutdown never reached Stopped");
    prop_assert!(
        m.vx.open_orders().is_empty(),
        "{} orders still open after Stopped",
        m.vx.open_orders().len()
    );
    prop_assert!(
        m.engine.orders().is_empty(),
        "core still tracks orders after Stopped"
    );
    Ok(m.transcript.finish())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        // The minimal case is printed on failure; fixed cases below keep
        // the ones worth keeping.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn engine_against_model(case in case()) {
        let first = run(&case)?;
        let second = run(&case)?;
        prop_assert!(first == second, "the same case gave two transcripts");
    }
}

/// A fixed, fault-heavy case so the machine itself is exercised on every
/// run whatever proptest generates.
#[test]
fn a_fault_heavy_case_holds() {
    let t = |enabled, amend| Tweak {
        enabled,
        amend,
        by_symbol: false,
        max_batch: 4,
        max_parallel: 3,
        place_with_cancel: false,
        invalid: false,
    };
    let tick = |m: i64| Action::Tick {
        gap_ms: 200,
        moves: vec![m, -m],
        spoil: None,
    };
    let case = Case {
        symbols: 2,
        levels: 3,
        rate: 100,
        start: t(true, false),
        faults: (1..=11).map(|k| (k * 2, (k - 1) as u8)).collect(),
        actions: vec![
            tick(0),
            Action::Deliver(5),
            Action::DeliverAll,
            tick(40),
            Action::Deliver(3),
            Action::Wake,
            Action::DeliverAll,
            Action::Config(t(false, true)),
            tick(40),
            Action::DeliverAll,
            Action::Wake,
            Action::DeliverAll,
            Action::Config(t(true, true)),
            tick(-60),
            Action::Advance(2500),
            Action::DeliverAll,
            Action::Wake,
        ],
    };
    let a = run(&case).unwrap();
    assert_eq!(a, run(&case).unwrap());
    assert!(a.contains("timeout"), "the faults did not land");
}
