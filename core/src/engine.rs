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
mod market;
mod orders;
mod out;
mod quote;
mod reconcile;
mod recovery;
mod schedule;
mod sender;
mod seqmap;
mod session_id;
mod settle;
mod shutdown;
mod shutdown_ours;
mod tick;
mod views;

pub use self::session_id::SessionId;
pub use self::views::{OrderCounts, OrderState, OrderView, Totals};
use crate::config::{Config, ConfigError};
use crate::domain::Instrument;
use crate::effect::{Effect, Fatal, Op};
use crate::input::{Input, Outcome, RequestId};
use crate::time::Timestamp;

use self::apply::{OrderReply, ReplyScratch};
use self::bus::Bus;
use self::market::Market;
use self::orders::OrderTable;
use self::out::Out;
use self::sender::{Answer, Next, Pending, Sender};
use self::settle::Settle;
use self::shutdown::Shutdown;
use self::tick::TickRun;

pub struct Engine {
    market: Market,
    out: Out,
    orders: OrderTable,
    bus: Bus,
    sender: Sender,
    tick: TickRun,
    fresh: freshness::BookClock,
    settle: Settle,
    recovery: recovery::Recovery,
    shutdown: Option<Shutdown>,
    replies: ReplyScratch,
    stopped: bool,
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
        Ok(Engine {
            sender: Sender::new(&config),
            market: Market::new(config, instruments, session),
            out: Out::new(),
            orders: OrderTable::default(),
            bus: Bus::default(),
            tick: TickRun::default(),
            fresh: freshness::BookClock::default(),
            settle: Settle::default(),
            recovery: recovery::Recovery::default(),
            shutdown: None,
            replies: ReplyScratch::default(),
            stopped: false,
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
            self.out.totals.clock_clamps += 1;
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
            let ended = self.recovery.start(&self.market, &mut self.out);
            self.recovery_ended(ended);
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

    /// Every tracked (not gone) order, in creation order.
    pub fn orders(&self) -> Vec<OrderView> {
        views::order_views(&self.orders, &self.market)
    }

    pub fn order_counts(&self) -> OrderCounts {
        self.orders.counts()
    }

    /// Cumulative counters since the session began.
    pub fn totals(&self) -> &Totals {
        &self.out.totals
    }

    pub fn config(&self) -> &Config {
        &self.market.config
    }

    pub fn instruments(&self) -> &[Instrument] {
        &self.market.instruments
    }

    pub fn session(&self) -> &SessionId {
        &self.market.session
    }

    /// True once `Effect::Stopped` has been emitted.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    fn on_config(&mut self, config: Config) {
        if self.shutdown.is_some() {
            self.out
                .warn("config change during shutdown ignored".to_string());
            return;
        }
        match config.validate_for(&self.market.instruments) {
            Ok(()) => {
                self.out
                    .info("config change accepted; applies at the next tick".to_string());
                self.tick.pending_config = Some(config);
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

    /// Each reply goes to the part whose request it answers; an
    /// authentication failure, whatever the request, ends the session first.
    fn on_response(&mut self, id: RequestId, outcome: &Outcome) {
        let Some(pending) = self.sender.answered(id, &mut self.out) else {
            return;
        };
        if let Some((code, msg)) = fatal::auth_failure(outcome) {
            return self.stop_fatal(Fatal::Auth { code, msg });
        }
        // Any parsed reply shows the exchange takes our credentials.
        self.sender.credentials_ok |= matches!(outcome, Outcome::Reply(_));
        if !matches!(pending, Pending::Orders(_)) {
            // Order commands handle 403 themselves (their orders re-queue).
            self.sender.pause_for_ip_limit(outcome, &mut self.out);
        }
        match pending {
            Pending::Orders(p) => OrderReply {
                scratch: &mut self.replies,
                orders: &mut self.orders,
                settle: &mut self.settle,
                bus: &mut self.bus,
                sender: &mut self.sender,
                market: &self.market,
                out: &mut self.out,
                shutting_down: self.shutdown.is_some(),
            }
            .apply(id, p, outcome),
            Pending::Query(seq) => self.settle.apply_query(
                seq,
                Answer { id, outcome },
                &mut self.orders,
                &mut self.sender,
                &self.market,
                &mut self.out,
            ),
            Pending::CancelAll(sym) | Pending::CancelOurs(sym) | Pending::List(sym) => {
                let Some(sd) = self.shutdown.as_mut() else {
                    return;
                };
                let apply = match pending {
                    Pending::CancelAll(_) => Shutdown::apply_cancel_all,
                    Pending::CancelOurs(_) => Shutdown::apply_cancel_ours,
                    _ => Shutdown::apply_list,
                };
                let answer = Answer { id, outcome };
                let (orders, settle) = (&mut self.orders, &mut self.settle);
                apply(sd, sym, answer, orders, settle, &self.market, &mut self.out);
            }
            Pending::RecoveryList(sym) => {
                let answer = Answer { id, outcome };
                let ended = self
                    .recovery
                    .apply_list(sym, answer, &self.market, &mut self.out);
                self.recovery_ended(ended);
            }
            Pending::RecoveryCancel(sym) => {
                let answer = Answer { id, outcome };
                (self.recovery).apply_cancel(sym, answer, &self.market, &mut self.out);
            }
        }
    }

    /// Quoting stops; the shutdown part takes over (see `shutdown`).
    fn on_shutdown(&mut self) {
        if self.shutdown.is_some() {
            self.out.info("shutdown already in progress".to_string());
            return;
        }
        self.recovery.abandon(&mut self.out);
        self.tick.conflated = None;
        self.tick.pending_config = None;
        self.shutdown = Some(Shutdown::begin(
            &mut self.bus,
            &mut self.orders,
            &mut self.settle,
            &self.market,
            &mut self.out,
        ));
    }

    /// Moves shutdown along; `Stopped` when it is over.
    fn shutdown_progress(&mut self) {
        if self.stopped {
            return;
        }
        if let Some(sd) = self.shutdown.as_mut() {
            self.stopped = sd.progress(&self.sender, &self.orders, &self.market, &mut self.out);
        }
    }

    /// Recovery over: the tick held meanwhile starts, or the refused
    /// orphans end the session.
    fn recovery_ended(&mut self, ended: recovery::Ended) {
        match ended {
            recovery::Ended::No => {}
            recovery::Ended::Quote => {
                if let Some(c) = self.tick.conflated.take() {
                    self.start_tick(&tick::books_by_symbol(&c.books));
                }
            }
            recovery::Ended::Refused(why) => self.stop_fatal(why),
        }
    }

    /// `Fatal`, `Stopped`, and nothing sent ever again (see `fatal`).
    fn stop_fatal(&mut self, why: Fatal) {
        fatal::fatal(why, self.orders.len(), &mut self.out);
        self.stopped = true;
    }

    /// At a remembered book's expiry, with no tick in flight: a tick of
    /// core's own, without books, pulls the expired symbols' quotes (see
    /// `freshness`).
    fn expire_books(&mut self) {
        if self.tick.current.is_some() || self.shutdown.is_some() || self.stopped {
            return;
        }
        let max_age = self.market.config.quoting.max_book_age_ms;
        let nsyms = self.market.syms.len();
        if !self
            .fresh
            .expiry_due(max_age, nsyms, &self.orders, &mut self.out)
        {
            return;
        }
        self.fresh.expiry_tick = true;
        self.start_tick(&std::collections::BTreeMap::new());
        self.fresh.expiry_tick = false;
        self.pump();
        self.maybe_finish_tick();
    }

    /// Sends everything that may go now.
    fn pump(&mut self) {
        self.sender.blocked.clear();
        if self.stopped || !self.sender.unpaused(&mut self.out) {
            return;
        }
        let parked = if self.shutdown.is_none() && self.places_open() {
            let (bus, tick) = (&mut self.bus, &mut self.tick);
            levels::park_places(bus, &self.orders, &self.market, tick, &mut self.out)
        } else {
            Vec::new()
        };
        while self.sender.inflight.len() < self.sender.max_inflight(&self.market.config)
            && self.send_one()
        {}
        self.bus.unpark(Op::Place, parked);
    }

    fn places_open(&self) -> bool {
        schedule::places_open(&self.market.config, &self.bus, &self.sender)
    }

    /// Asks the parts for their next request in priority order (see
    /// `schedule`) and sends the first; false when none has one now.
    fn send_one(&mut self) -> bool {
        let (market, sender, out) = (&self.market, &mut self.sender, &mut self.out);
        let mut next = match self.shutdown.as_mut() {
            Some(sd) => sd.next_request(market, sender, out),
            None => self.recovery.next_request(market, sender, out),
        };
        for op in [Op::Cancel, Op::Amend] {
            if matches!(next, Next::Idle) {
                next =
                    schedule::next_orders(op, &mut self.bus, &mut self.orders, market, sender, out);
            }
        }
        if matches!(next, Next::Idle) {
            next = self.settle.next_query(&self.orders, market, sender, out);
        }
        if matches!(next, Next::Idle)
            && self.shutdown.is_none()
            && schedule::places_open(&market.config, &self.bus, sender)
        {
            let (bus, orders) = (&mut self.bus, &mut self.orders);
            next = schedule::next_orders(Op::Place, bus, orders, market, sender, out);
        }
        match next {
            Next::Send(req) => {
                sender.dispatch(req, out);
                true
            }
            Next::Again => true,
            Next::Idle => false,
        }
    }

    /// The earliest future time core must be woken at, if any: the earliest
    /// of the parts' own deadlines (runs after every input: no allocation).
    fn next_deadline(&self) -> Option<Timestamp> {
        if self.stopped {
            return None;
        }
        let now = self.out.now;
        let mut next: Option<Timestamp> = None;
        let mut consider = |t: Option<Timestamp>| {
            if let Some(t) = t
                && t > now
                && next.is_none_or(|n| t < n)
            {
                next = Some(t);
            }
        };
        consider(self.sender.pause_until);
        if let Some(t) = &self.tick.current
            && self.bus.has(Op::Place)
        {
            consider(Some(t.deadline));
        }
        for ep in &self.sender.blocked {
            consider(self.sender.budget.next_release(*ep, now));
        }
        consider(self.settle.next_wake(now));
        consider(self.shutdown.as_ref().and_then(Shutdown::wake));
        consider(self.recovery.wake());
        if self.shutdown.is_none() {
            consider(self.fresh.expiry());
        }
        next
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
