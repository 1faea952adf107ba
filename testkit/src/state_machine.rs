//! The engine, driven step by step against the in-memory exchange
//! (`mm_core::virtual_exchange`) by a `strategies::Case`, and checked
//! against a small model after EVERY input (`checks`):
//!
//! - no order lost: each order core created is in exactly one state (pending,
//!   live, unknown) or gone, and every gone order left with a non-empty
//!   reason; every order open at the exchange is one core tracks; an order
//!   core holds Live with nothing in flight for it rests at the exchange at
//!   the price and size core believes;
//! - an Unknown order is being reconciled: an open-orders query naming it is
//!   in flight, or core will wake no later than that query is due, or every
//!   in-flight slot is busy (the reply frees one), or the query is due and
//!   core is held (the open-orders budget exhausted, an IP-limit pause);
//! - each request respects the config IN FORCE when it was sent (config
//!   changes apply at the tick boundary core logs): fewer than its in-flight
//!   bound already in flight (1 when `enabled = false`), batches only when
//!   enabled, within `max_batch_size` and the category's limit, one
//!   category, one symbol in symbol scope; request ids are fresh;
//!   orderLinkIds are well formed;
//! - the budget is never overspent: the exchange never had to answer 10006
//!   out of its own budget.
//!
//! At the end (`run`): everything settles (no unknown, core's live orders
//! equal the exchange's open orders), shutdown leaves nothing open and emits
//! `Stopped`.

mod checks;
mod model;

use std::collections::BTreeMap;
use std::sync::Arc;

use mm_core::config::RateLimitConfig;
use mm_core::domain::Ticks;
use mm_core::effect::{Effect, Request, RequestKind};
use mm_core::engine::Totals;
use mm_core::journal::JournalHeader;
use mm_core::virtual_exchange::{Scenario, VirtualExchange};
use mm_core::{
    BookTop, Engine, Input, OrderState, Outcome, RequestId, SessionId, Timestamp, WireNames,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::Transcript;
use crate::strategies::{Action, Case, fault};

use self::model::Model;

/// What a case produced, for the caller's own assertions.
#[derive(Debug, Clone)]
pub struct Run {
    pub transcript: String,
    pub totals: Totals,
    /// Replies delivered as `Outcome::Timeout`.
    pub timeouts_delivered: u64,
    /// Every order that ever left, with its reason (`a|b` when the same
    /// input removed several unlogged orders under more than one reason).
    pub gone: BTreeMap<String, String>,
}

/// Runs a case to the end, checking the model after every input.
pub fn run(case: &Case) -> Result<Run, TestCaseError> {
    let mut m = Machine::new(case)?;
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
    let totals = m.engine.totals().clone();
    prop_assert_eq!(
        m.model.gone.len() as u64,
        totals.orders_created,
        "after Stopped every order core created is gone with a reason"
    );
    Ok(Run {
        transcript: m.transcript.finish(),
        totals,
        timeouts_delivered: m.timeouts_delivered,
        gone: m.model.gone,
    })
}

/// The exchange's reply to a request, waiting to be delivered.
struct InFlight {
    id: RequestId,
    outcome: Outcome,
    links: Vec<String>,
    /// A cancel-all, or a listing of the symbol: every order of this symbol
    /// may be gone already, and the reply says which.
    clears: Option<String>,
    /// An open-orders query for this one order.
    query_for: Option<String>,
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
    model: Model,
    last_request: u64,
    stopped: bool,
    timeouts_delivered: u64,
}

impl Machine {
    fn new(case: &Case) -> Result<Machine, TestCaseError> {
        let mut sc = Scenario::wide(case.symbols, case.levels);
        case.start.apply(&mut sc.config);
        sc.config.rate_limits = RateLimitConfig::uniform(case.rate);
        let session =
            SessionId::new("sm").map_err(|e| TestCaseError::fail(format!("session id: {e}")))?;
        let engine = Engine::new(sc.config.clone(), sc.instruments.clone(), session.clone())
            .map_err(|e| TestCaseError::fail(format!("start config refused: {e}")))?;
        let mut vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
        for (nth, kind) in &case.faults {
            vx.script_orders(*nth, fault(*kind));
        }
        let mut transcript = Transcript::new();
        transcript.header(&JournalHeader {
            session_id: session.clone(),
            config: sc.config.clone(),
            instruments: sc.instruments.clone(),
        });
        let mids = (0..case.symbols)
            .map(|i| 100_000 + 1_000 * i as i64)
            .collect();
        let model = Model::new(session, sc.config.clone());
        Ok(Machine {
            sc,
            engine,
            vx,
            now: Timestamp(1_000),
            mids,
            in_flight: Vec::new(),
            transcript,
            model,
            last_request: 0,
            stopped: false,
            timeouts_delivered: 0,
        })
    }

    /// One input in, every effect out (each request checked as it leaves),
    /// then the model's invariants.
    fn feed(&mut self, input: Input) -> Result<(), TestCaseError> {
        self.transcript.input(&input);
        self.model.before_input(&input, &self.sc.instruments);
        self.engine.handle(input);
        while let Some(effect) = self.engine.poll_effect() {
            self.transcript.effect(&effect);
            match &effect {
                Effect::Send(r) => self.send(r)?,
                Effect::Stopped => self.stopped = true,
                Effect::Log(l) => self.model.on_log(&l.text, self.now)?,
                Effect::TickDone(_) | Effect::Fatal(_) => {}
            }
        }
        self.transcript.deadline(self.engine.poll_timeout());
        self.check()
    }

    fn send(&mut self, r: &Request) -> Result<(), TestCaseError> {
        prop_assert!(r.id.0 > self.last_request, "request id r{} reused", r.id.0);
        self.last_request = r.id.0;
        self.check_request(r)?;
        let names = Arc::clone(self.engine.wire_names());
        let links = links(r, &names);
        let outcome = self.vx.handle(self.now, r, &names);
        let (clears, query_for) = match &r.kind {
            RequestKind::CancelAll { symbol, .. } => {
                (Some(names.symbol(*symbol).to_string()), None)
            }
            RequestKind::OpenOrders {
                order_link_id: Some(l),
                ..
            } => (None, Some(names.link(l))),
            // A listing of the whole symbol (recovery, or shutdown verifying
            // a cancel that timed out): its answer decides every order of
            // the symbol, so each is in flight until it comes.
            RequestKind::OpenOrders { symbol, .. } => {
                (Some(names.symbol(*symbol).to_string()), None)
            }
            _ => (None, None),
        };
        self.model.on_send(r);
        self.in_flight.push(InFlight {
            id: r.id,
            outcome,
            links,
            clears,
            query_for,
        });
        Ok(())
    }

    fn deliver(&mut self, i: usize) -> Result<(), TestCaseError> {
        let f = self.in_flight.remove(i);
        if f.outcome == Outcome::Timeout {
            self.timeouts_delivered += 1;
        }
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
                t.apply(&mut config);
                self.feed(Input::ConfigChanged {
                    now_ms: self.now,
                    config: Box::new(config),
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
                symbol: inst.symbol.as_str().into(),
                bid: inst.price_string(Ticks(bid)).into(),
                ask: inst.price_string(Ticks(ask)).into(),
                received_ms: at,
            });
        }
        out
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

/// The orderLinkIds a request carries, as on the wire.
fn links(r: &Request, names: &WireNames) -> Vec<String> {
    match &r.kind {
        RequestKind::PlaceBatch { orders, .. } => orders
            .iter()
            .map(|o| names.link(&o.order_link_id))
            .collect(),
        RequestKind::AmendBatch { orders, .. } => orders
            .iter()
            .map(|o| names.link(&o.order_link_id))
            .collect(),
        RequestKind::CancelBatch { orders, .. } => orders
            .iter()
            .map(|o| names.link(&o.order_link_id))
            .collect(),
        RequestKind::Place { order, .. } => vec![names.link(&order.order_link_id)],
        RequestKind::Amend { order, .. } => vec![names.link(&order.order_link_id)],
        RequestKind::Cancel { order, .. } => vec![names.link(&order.order_link_id)],
        RequestKind::OpenOrders {
            order_link_id: Some(l),
            ..
        } => vec![names.link(l)],
        RequestKind::CancelAll { .. }
        | RequestKind::OpenOrders { .. }
        | RequestKind::ExecutionList { .. }
        | RequestKind::PositionList { .. } => vec![],
    }
}
