//! The engine: owns every decision.
//!
//! One `Engine` value holds the whole state of a session; `handle` is the only
//! way in, `poll_effect` / `poll_timeout` the only ways out (see the crate
//! docs for the run-loop contract). The work is split by job:
//!
//! | module      | job |
//! |-------------|-----|
//! | `tick`      | tick lifecycle: conflation, config at the boundary, stale drops, `TickDone` |
//! | `quote`     | book checks and the ladder, in integer ticks |
//! | `freshness` | each symbol's last good book, holding and expiry on a timer |
//! | `reconcile` | desired ladder vs tracked orders: keep / amend / cancel / place |
//! | `orders`    | every order's state, the bounded history of gone ones |
//! | `bus`       | command queues, coalescing into batches |
//! | `schedule`  | what to send next: priority, in-flight bound, budget, deadlines |
//! | `budget`    | per-endpoint rolling-second rate budget |
//! | `apply`     | replies to order commands: accepted / rejected / ambiguous |
//! | `doubt`     | commands that may have been applied: never dropped on our own word |
//! | `settle`    | open-orders queries that settle `Unknown` orders |
//! | `recovery`  | before the first quote: list open orders, cancel an earlier session's |
//! | `levels`    | at most `levels` orders of ours that may rest per side |
//! | `shutdown`  | cancel ours (or cancel-all), verify, `Stopped` (`shutdown_ours`) |
//! | `fatal`     | credentials refused: `Fatal`, `Stopped`, nothing more sent |
//! | `reply`     | each reply to the module that sent its request |
//! | `session_id`| the orderLinkId prefix and its length bound |
//! | `views`     | read-only views: orders, counts, totals |
//! | `out`       | effects and deterministic log lines |
//!
//! Decisions taken here beyond design.md (each is explained where it lives):
//! - A symbol missing from a tick (after conflation) is held while its last
//!   good book is younger than `max_book_age_ms` (orders left alone, no
//!   re-quote), then refused (orders cancelled), on a timer even when no
//!   tick comes (see `freshness`). Quotes are never built from a remembered
//!   book, so a shell that stops sending a symbol cannot leave us quoting it.
//! - Every level whose slot holds a busy order (pending or unknown) is frozen
//!   for the tick, Live orders of that slot included.
//! - `coalesced` counts orders that travelled in a batch of two or more (as
//!   `TickStats` documents); a batch of one still uses the batch endpoint.
//! - Routine "cancelled as asked" outcomes (and stale drops, and shutdown's
//!   confirmed-gone orders) are counted in `Totals::gone_by_reason` and
//!   summarised, not logged one by one: that keeps a session's log at a few
//!   hundred KB. Every other order that goes away is logged with its reason.
//! - A rate-limited reply (10006/429) without `X-Bapi-Limit-*` headers backs
//!   the endpoint off for a whole window before the re-queued orders go.
//! - A single-order request answered HTTP 5xx, 408 or any status other than
//!   400/404 (refused before any order logic) and 403/429 is `Unknown`
//!   (settled by a query); a batch answered any non-403/429 status falls back
//!   to single requests (idempotent thanks to the orderLinkId), its orders
//!   in doubt unless the status was 400/404.
//! - Authentication failures (HTTP 401, retCode 10003/10004/10005/33004,
//!   top-level or per order) are fatal: `Fatal`, `Stopped`, nothing more
//!   sent (see `fatal`).
//! - Create answered 110072 ("already exists") becomes `Unknown` and is
//!   settled by a query, which confirms its real price and status.
//! - An order whose command may already have been applied (its batch was
//!   answered 5xx or another unclear status, then re-sent) is never dropped
//!   or refused on core's own word: stale at the deadline, withdrawn at
//!   shutdown, or refused on the re-send, it becomes `Unknown` and is
//!   queried (see `doubt`). 10006/429/403 answers are the exchange's word
//!   that nothing was applied and raise no such doubt.
//! - After `Shutdown` no place is ever sent again, whatever an in-flight
//!   reply answers.
//! - HTTP 403 (IP limit) means nothing was applied: every order of the
//!   request goes back to its queue (cancels and amends included: they are
//!   retried after the pause, not made unknown) and all sending pauses for
//!   10 s, whichever request (query, cancel-all) drew the 403.
//! - Ticks are strictly sequential: a tick ends only when every command it
//!   decided was answered or dropped stale, so the queues are empty at each
//!   tick start and a config change never meets half-sent commands.
//! - Places wait for every cancel and amend in flight or queued (not only
//!   those of their own symbol), and for room on their side: never more
//!   than `levels` orders of ours that may rest per side (see `levels`).
//! - Thinning at a binding rate budget is fair across symbols: when an
//!   endpoint's units cannot carry an operation's whole queue, they go to the
//!   commands in (level, symbol, side) order: level 0 bid and ask of every
//!   symbol, then level 1 of every symbol, and so on (cancels still before
//!   amends before places). A batch starts from the best such command and
//!   carries the eligible commands of its group (category or symbol) in
//!   queue order; with room for the whole queue nothing changes. A market
//!   maker would rather quote every symbol tight than one symbol deep.
//! - Settle queries and shutdown requests count against the in-flight bound
//!   like any request; priority is shutdown, cancels, amends, queries, places.

mod apply;
mod budget;
mod bus;
mod doubt;
mod fatal;
mod freshness;
mod levels;
mod orders;
mod out;
mod quote;
mod reconcile;
mod recovery;
mod reply;
mod schedule;
mod seqmap;
mod session_id;
mod settle;
mod shutdown;
mod shutdown_ours;
mod tick;
mod views;

pub use self::session_id::SessionId;
pub use self::views::{OrderCounts, OrderState, OrderView, Totals};
use std::collections::BTreeSet;

use crate::config::{Config, ConfigError};
use crate::domain::Instrument;
use crate::effect::{Effect, Endpoint, TickStats};
use crate::input::Input;
use crate::time::Timestamp;

use self::budget::Budget;
use self::bus::Bus;
use self::orders::OrderTable;
use self::out::Out;
use self::settle::Settle;
use self::shutdown::Shutdown;
use self::tick::{Conflated, TickState};

/// A symbol core can trade, in symbol order (its index is the `sym` used
/// everywhere inside the engine, so index order is symbol order).
struct Sym {
    name: String,
    instrument: usize,
}

pub struct Engine {
    config: Config,
    instruments: Vec<Instrument>,
    syms: Vec<Sym>,
    session: SessionId,
    out: Out,
    orders: OrderTable,
    next_seq: u64,
    next_request: u64,
    bus: Bus,
    budget: Budget,
    /// Requests in flight by id (ids only grow).
    inflight: seqmap::SeqMap<schedule::Pending>,
    /// Order-command requests in flight, by `bus::op_index`.
    inflight_ops: [u32; 3],
    /// Endpoints the budget held back at the last pump (for the wake time).
    blocked: BTreeSet<Endpoint>,
    /// Endpoints whose rate-limit headers made no sense (warned once).
    bad_headers: BTreeSet<Endpoint>,
    /// Endpoints currently deferring (a deferral is counted once per episode).
    deferring: BTreeSet<Endpoint>,
    pause_until: Option<Timestamp>,
    /// Commands a reply would have re-queued after `Shutdown`, withdrawn
    /// instead: (places dropped, unknown, left live), summarised per reply.
    not_resent: [u64; 3],
    /// Whether the reply being applied came without rate-limit headers.
    last_reply_unmetered: bool,
    tick: Option<TickState>,
    /// Per symbol: its last good book's time (hold and expiry).
    fresh: freshness::BookClock,
    /// Per symbol: why its book is refused, while it is (logged on change).
    refused: Vec<Option<&'static str>>,
    conflated: Option<Conflated>,
    ticks_started: u64,
    stats: TickStats,
    totals: Totals,
    pending_config: Option<Config>,
    settle: Settle,
    shutdown: Option<Shutdown>,
    stopped: bool,
    /// A reply has shown the exchange takes our credentials; until then one
    /// request at a time, so a refused key costs one request (see `fatal`).
    credentials_ok: bool,
    recovery: recovery::Recovery,
    /// Per (symbol, side): our orders that may rest (see `levels`).
    sides: levels::SideCounts,
    /// This tick said that places wait for room (logged once a tick).
    held_logged: bool,
    /// Symbols core ever sent an order for (shutdown clears them all).
    /// Indexed by sym.
    traded: Vec<bool>,
    /// Per (sym, side): the orders, rebuilt each tick in a kept buffer.
    by_side: Vec<Vec<orders::Seq>>,
    scratch: reconcile::Scratch,
    /// Per-order fates of the reply being applied (a kept buffer).
    fates: Vec<(orders::Seq, apply::Fate)>,
    /// The ladder being reconciled (a kept buffer).
    ladder: quote::Ladder,
    wake: Option<Timestamp>,
}

impl Engine {
    /// Validates `config` against `instruments` (every problem reported).
    pub fn new(
        config: Config,
        instruments: Vec<Instrument>,
        session: SessionId,
    ) -> Result<Engine, ConfigError> {
        config.validate_for(&instruments)?;
        let mut syms: Vec<Sym> = Vec::new();
        let mut order: Vec<usize> = (0..instruments.len()).collect();
        order.sort_by(|a, b| instruments[*a].symbol.cmp(&instruments[*b].symbol));
        for i in order {
            if syms.last().is_none_or(|s| s.name != instruments[i].symbol) {
                syms.push(Sym {
                    name: instruments[i].symbol.clone(),
                    instrument: i,
                });
            }
        }
        let budget = Budget::new(&config.rate_limits);
        Ok(Engine {
            config,
            instruments,
            syms,
            session,
            out: Out::new(),
            orders: OrderTable::default(),
            next_seq: 1,
            next_request: 1,
            bus: Bus::default(),
            budget,
            inflight: seqmap::SeqMap::default(),
            inflight_ops: [0; 3],
            blocked: BTreeSet::new(),
            bad_headers: BTreeSet::new(),
            deferring: BTreeSet::new(),
            pause_until: None,
            not_resent: [0; 3],
            last_reply_unmetered: false,
            tick: None,
            fresh: freshness::BookClock::default(),
            refused: Vec::new(),
            conflated: None,
            ticks_started: 0,
            stats: TickStats::default(),
            totals: Totals::default(),
            pending_config: None,
            settle: Settle::default(),
            shutdown: None,
            stopped: false,
            credentials_ok: false,
            recovery: recovery::Recovery::default(),
            sides: levels::SideCounts::default(),
            held_logged: false,
            traded: Vec::new(),
            by_side: Vec::new(),
            scratch: reconcile::Scratch::default(),
            fates: Vec::new(),
            ladder: quote::Ladder::default(),
            wake: None,
        })
    }

    pub fn handle(&mut self, input: Input) {
        self.handle_ref(&input);
    }

    /// `handle` for an input the caller keeps (replay reads a decoded
    /// journal): the same decisions and effects, without a copy of the input.
    pub fn handle_ref(&mut self, input: &Input) {
        debug_assert!(
            self.out.effects.is_empty(),
            "drain poll_effect() until None before the next handle()"
        );
        let t = input.now_ms();
        if let Some(back) = self.out.advance(t) {
            self.totals.clock_clamps += 1;
            self.out.warn(format!(
                "clock went back {back} ms; clamped to the last input's time"
            ));
        }
        if self.stopped {
            self.out
                .warn(format!("{} after Stopped ignored", input.name()));
            return;
        }
        if !matches!(input, Input::Shutdown { .. }) {
            self.start_recovery();
        }
        match input {
            Input::Tick { books, .. } => self.on_tick(books),
            Input::Response {
                request_id,
                outcome,
                ..
            } => self.on_response(*request_id, outcome),
            Input::Wake { .. } => {}
            Input::ConfigChanged { config, .. } => self.on_config(config.clone()),
            Input::Shutdown { .. } => self.on_shutdown(),
        }
        if self.stopped {
            self.wake = None;
            return;
        }
        self.drop_stale();
        self.shutdown_progress();
        self.pump();
        self.maybe_finish_tick();
        self.expire_books();
        self.shutdown_progress();
        self.announce_wake();
    }

    #[must_use]
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.out.effects.pop_front()
    }

    /// The next time core wants a `Wake`, if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.wake
    }

    pub fn order_counts(&self) -> OrderCounts {
        self.orders.counts()
    }

    /// Cumulative counters since the session began.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    pub fn session(&self) -> &SessionId {
        &self.session
    }

    /// True once `Effect::Stopped` has been emitted.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    fn inst(&self, sym: u32) -> &Instrument {
        &self.instruments[self.syms[sym as usize].instrument]
    }

    /// The configured symbols' indices, in config order.
    fn configured_syms(&self) -> Vec<u32> {
        let names = &self.config.quoting.symbols;
        names.iter().filter_map(|s| self.sym_index(s)).collect()
    }

    fn sym_index(&self, name: &str) -> Option<u32> {
        self.syms
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    fn on_config(&mut self, config: Config) {
        if self.shutdown.is_some() {
            self.out
                .warn("config change during shutdown ignored".to_string());
            return;
        }
        match config.validate_for(&self.instruments) {
            Ok(()) => {
                self.out
                    .info("config change accepted; applies at the next tick".to_string());
                self.pending_config = Some(config);
            }
            Err(e) => {
                let why: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
                self.out.error(format!(
                    "config change refused, keeping the old one: {}",
                    why.join("; ")
                ));
            }
        }
    }

    /// Emits `WakeAt` when the earliest deadline changed.
    fn announce_wake(&mut self) {
        let next = self.next_deadline();
        if next != self.wake {
            self.wake = next;
            if let Some(t) = next {
                self.out.emit(Effect::WakeAt(t));
            }
        }
    }
}
