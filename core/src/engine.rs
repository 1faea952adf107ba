//! The engine: owns every decision, in parts that own their state.
//!
//! One `Engine` value holds the whole state of a session; `handle` is the
//! only way in, `poll_effect` / `poll_timeout` the only ways out (see the
//! crate docs for the drain contract). This file only routes: an input goes
//! to the parts it concerns, each part decides through methods that take
//! what they read or change as arguments (the config, the clock and the
//! output sink included), and the effects land in `Out`.
//!
//! | part (type, file)                 | owns | decides |
//! |-----------------------------------|------|---------|
//! | `Market` (`market`)               | config in force, instruments, symbols, session id | orderLinkIds, batch sizes |
//! | `Out` (`out`)                     | effects, the clock, `TickStats`, `Totals` | log lines (deterministic) |
//! | `TickRun` (`tick`, `tick_start`)  | the tick in flight, a conflated one, a pending config | conflation, ladders, stale drops, `TickDone` |
//! | `BookClock` (`freshness`)         | each symbol's last good book | hold, refuse, expiry ticks |
//! | `ExternalQuotes` (`external`)     | each symbol's latest external quote set | sets accepted or refused, stale sets pulled |
//! | `OrderTable` (`orders`, `levels`, `doubt`) | every order's state, side counts | gone, unknown, the `levels` gate |
//! | `Bus` (`bus`)                     | queued commands | batching, thinning |
//! | `Sender` (`sender`, `budget`)     | requests in flight, rate budget, IP pause | spending, deferring |
//! | `Pump` (`schedule`)               | - (borrows the parts) | which request goes next, which commands travel in it |
//! | `OrderReply` (`apply`)            | a reply's scratch | each order's fate from a reply |
//! | `Settle` (`settle`)               | unknown orders' queries | settling `Unknown` orders |
//! | `Recovery` (`recovery`)           | start-up listing and orphans | orphans cancelled or refused |
//! | `Shutdown` (`shutdown`, `shutdown_ours`) | each symbol's clearing | cancel, verify, `Stopped` |
//! | `Fills`, `StreamApply` (`fills`)  | execIds applied, our orderIds | fills, orders ended by the stream, others' messages ignored |
//! | `Positions` (`positions`)         | each symbol's position | the exchange's position checked, corrected |
//! | `Resync` (`resync`)               | resync and reconcile listings, the private stream's state | what to list on connect and while down |
//! | `fatal`                           | - | credentials refused: `Fatal`, `Stopped` |
//!
//! Helpers without state: `quote` (book checks, the ladder, in integer
//! ticks), `reconcile` (desired ladder vs tracked orders), `views`,
//! `session_id`, `seqmap`. Every decision and the file it lives in are
//! listed in ARCHITECTURE.md at the repository root.

mod apply;
mod budget;
mod bus;
mod doubt;
mod external;
mod fatal;
mod fills;
mod freshness;
mod levels;
mod market;
mod orders;
mod out;
mod plan;
mod positions;
mod quote;
mod reconcile;
mod recovery;
mod resync;
mod risk;
mod schedule;
mod sender;
mod seqmap;
mod session_id;
mod settle;
mod shutdown;
mod shutdown_ours;
mod tick;
mod tick_start;
mod views;
mod wire_names;

pub use self::risk::LIMITS as RISK_LIMITS;
pub use self::session_id::SessionId;
pub use self::views::{
    FillTotals, OrderCounts, OrderState, OrderView, PositionView, RiskLimited, SideFills, Totals,
};
pub use self::wire_names::WireNames;
use crate::config::{Config, ConfigError, Reprice};
use crate::domain::Instrument;
use crate::effect::{Effect, Fatal, Op};
use crate::input::{BookTop, Input, Outcome, RequestId};
use crate::time::Timestamp;

use self::apply::{OrderReply, ReplyScratch};
use self::bus::Bus;
use self::market::Market;
use self::orders::OrderTable;
use self::out::Out;
use self::schedule::Pump;
use self::sender::{Answer, Pending, Sender};
use self::settle::Settle;
use self::shutdown::Shutdown;
use self::tick::TickRun;
use self::tick_start::TickStart;
use std::collections::BTreeMap;

pub struct Engine {
    market: Market,
    out: Out,
    orders: OrderTable,
    bus: Bus,
    sender: Sender,
    tick: TickRun,
    fresh: freshness::BookClock,
    external: external::ExternalQuotes,
    settle: Settle,
    recovery: recovery::Recovery,
    shutdown: Option<Shutdown>,
    replies: ReplyScratch,
    fills: fills::Fills,
    positions: positions::Positions,
    resync: resync::Resync,
    risk: risk::Risk,
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
            external: external::ExternalQuotes::default(),
            settle: Settle::default(),
            recovery: recovery::Recovery::default(),
            shutdown: None,
            replies: ReplyScratch::default(),
            fills: fills::Fills::default(),
            positions: positions::Positions::default(),
            resync: resync::Resync::default(),
            risk: risk::Risk::default(),
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
            Input::ConfigChanged { config, .. } => self.on_config((**config).clone()),
            Input::Shutdown { .. } => self.on_shutdown(),
            Input::OrderUpdates { orders, .. } => self.stream_apply().order_updates(orders),
            Input::Executions { executions, .. } => self.stream_apply().executions(executions),
            Input::Positions { positions, .. } => {
                self.positions.check(positions, &self.market, &mut self.out);
            }
            Input::StreamState { stream, up, .. } => self.on_stream(*stream, *up),
            Input::Quotes { set, .. } => self.on_quotes(set),
        }
        self.positions.expire(&self.market, &mut self.out);
        self.kill_switch();
        if self.stopped {
            self.wake = None;
            return;
        }
        let (bus, orders, settle) = (&mut self.bus, &mut self.orders, &mut self.settle);
        (self.tick).drop_stale(bus, orders, settle, &self.market, &mut self.out);
        self.shutdown_progress();
        self.pump();
        self.maybe_finish_tick();
        self.expire_books();
        self.shutdown_progress();
        self.wake = self.next_deadline();
    }

    #[must_use]
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.out.effects.pop_front()
    }

    /// The next time core wants a `Wake`, if any: read it after draining
    /// `poll_effect` (the crate docs' drain contract); it changes only
    /// when an input is handled.
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

    /// Fills and stream counters since the session began.
    pub fn fill_totals(&self) -> &FillTotals {
        &self.out.fills
    }

    /// Every symbol's position core knows, in symbol order.
    pub fn positions(&self) -> Vec<PositionView> {
        self.positions.views(&self.market)
    }

    /// How many times each `[risk]` limit bound a side (ticks x sides), by
    /// limit name (see `risk`).
    pub fn risk_blocks(&self) -> &BTreeMap<&'static str, u64> {
        &self.risk.blocks
    }

    /// The sides `[risk]` limits bind now (at each symbol's last tick).
    pub fn risk_limited(&self) -> Vec<RiskLimited> {
        self.risk.limited(&self.market)
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

    /// The names this session's requests refer to by number (symbols,
    /// orderLinkIds): what writes them on the wire.
    pub fn wire_names(&self) -> &std::sync::Arc<WireNames> {
        &self.market.names
    }

    /// Why the last `Input::Quotes` was refused (the field it fails on), or
    /// `None` when it was accepted: what the shell tells the client.
    pub fn last_quote_refusal(&self) -> Option<&str> {
        self.external.last_refusal.as_deref()
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
        (self.tick).propose_config(config, &self.market.instruments, &mut self.out);
    }

    fn on_tick(&mut self, books: &[BookTop]) {
        if self.shutdown.is_some() {
            self.out.info("tick after shutdown ignored".to_string());
            return;
        }
        if self.recovery.running() {
            return self.tick.hold(books, &mut self.out);
        }
        if !self.tick.conflate(books, &mut self.out) {
            self.start_tick(&tick::books_by_symbol(books));
        }
    }

    /// A tick starts: a config change waiting applies first (so `enabled =
    /// false` takes effect for that very tick), then the tick part decides.
    fn start_tick(&mut self, books: &BTreeMap<&str, &BookTop>) {
        let n = self.tick.next_number();
        if let Some(config) = self.tick.pending_config.take() {
            if config.rate_limits != self.market.config.rate_limits {
                self.sender.budget.reconfigure(&config.rate_limits);
            }
            self.market.apply_config(config, n, &mut self.out);
        }
        // Only the planner reads it: other modes skip a walk of every
        // symbol and endpoint each tick.
        let capacity = if self.market.config.quoting.reprice == Reprice::Planned {
            let now = self.out.now;
            let until = now.plus_ms(self.market.config.async_batch.tick_deadline_ms);
            plan::Capacity::of(&mut self.sender.budget, &self.market, now, until)
        } else {
            plan::Capacity::default()
        };
        TickStart {
            tick: &mut self.tick,
            market: &self.market,
            fresh: &mut self.fresh,
            external: &mut self.external,
            orders: &mut self.orders,
            settle: &self.settle,
            bus: &mut self.bus,
            out: &mut self.out,
            risk: &mut self.risk,
            positions: &self.positions,
            capacity,
        }
        .run(n, books);
    }

    /// An external quote set: kept for the next tick, or refused (see
    /// `external`). After shutdown began nothing is quoted again.
    fn on_quotes(&mut self, set: &crate::input::QuoteSet) {
        if self.shutdown.is_some() {
            self.out.info("quotes after shutdown ignored".to_string());
            self.external.last_refusal = Some("shutting down".to_string());
            return;
        }
        self.external.receive(set, &self.market, &mut self.out);
    }

    /// Finishes the tick once nothing of it is queued or in flight, then
    /// starts a conflated one if any.
    fn maybe_finish_tick(&mut self) {
        while self
            .tick
            .finish(&self.bus, &mut self.sender, &self.orders, &mut self.out)
        {
            let Some(c) = self.tick.conflated.take() else {
                return;
            };
            self.start_tick(&tick::books_by_symbol(&c.books));
            self.pump();
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
            Pending::Resync(job) => {
                if let Outcome::Listing(l) = outcome
                    && let Some(rl) = &l.rate_limit
                {
                    (self.sender).correct_budget(
                        crate::effect::Endpoint::OpenOrders,
                        rl,
                        &mut self.out,
                    );
                }
                let mut resync = std::mem::take(&mut self.resync);
                resync.apply(job, Answer { id, outcome }, &mut self.stream_apply());
                self.resync = resync;
            }
            Pending::RecoveryCancel(sym) => {
                let answer = Answer { id, outcome };
                (self.recovery).apply_cancel(sym, answer, &self.market, &mut self.out);
            }
        }
    }

    /// The parts a stream message changes (see `fills`).
    fn stream_apply(&mut self) -> fills::StreamApply<'_> {
        fills::StreamApply {
            fills: &mut self.fills,
            positions: &mut self.positions,
            orders: &mut self.orders,
            settle: &mut self.settle,
            bus: &mut self.bus,
            market: &self.market,
            out: &mut self.out,
            shutting_down: self.shutdown.is_some(),
        }
    }

    /// A stream connected or was lost: a resync, or reconciling while the
    /// private stream is down (see `resync`); after shutdown began, only said.
    fn on_stream(&mut self, stream: crate::input::Stream, up: bool) {
        if self.shutdown.is_some() {
            let state = if up { "up" } else { "down" };
            self.out
                .info(format!("{} stream {state} during shutdown", stream.name()));
            return;
        }
        let since = (self.fills.last_exec_ms).unwrap_or(self.out.start().0);
        (self.resync).stream(stream, up, since, &self.market, &self.orders, &mut self.out);
        self.settle.ask_closed |= self.resync.seen_private;
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

    /// The `[risk]` kill switch, after every input: once tripped, quoting
    /// stops and shutdown cancels every order and confirms it gone; then
    /// `Fatal::KillSwitch` and `Stopped` end the session. Not during a
    /// shutdown already under way, never re-armed.
    fn kill_switch(&mut self) {
        if self.stopped || self.shutdown.is_some() {
            return;
        }
        let fills = (self.out.fills.fills.values())
            .map(|f| f.buy + f.sell)
            .sum();
        let now = self.out.now;
        let Some(reason) = (self.risk).kill(fills, &self.positions, &self.market, now) else {
            return;
        };
        self.out.error(format!(
            "kill switch: {reason}: quoting stops, every order is cancelled and confirmed gone, then the session ends"
        ));
        self.on_shutdown();
        if let Some(sd) = self.shutdown.as_mut() {
            sd.then_fatal = Some(Fatal::KillSwitch { reason });
        }
    }

    /// The session's PnL from our executions (realised + unrealised at the
    /// latest usable mid, every symbol, quote currency), exact.
    pub fn pnl(&self) -> crate::decimal::Decimal {
        self.risk.pnl(&self.positions, &self.market)
    }

    /// The kill switch's reason, once it tripped.
    pub fn kill_switch_reason(&self) -> Option<&str> {
        self.risk.tripped.as_deref()
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
        let q = &self.market.config.quoting;
        let (max_age, max_quote_age) = (q.max_book_age_ms, q.max_quote_age_ms);
        let nsyms = self.market.syms.len();
        let books = (self.fresh).expiry_due(max_age, nsyms, &self.orders, &mut self.out);
        let quotes = q.source == crate::config::QuoteSource::External
            && (self.external).expiry_due(max_quote_age, &self.orders, &mut self.out);
        if !books && !quotes {
            return;
        }
        self.fresh.expiry_tick = true;
        self.start_tick(&std::collections::BTreeMap::new());
        self.fresh.expiry_tick = false;
        self.pump();
        self.maybe_finish_tick();
    }

    /// Sends everything that may go now (see `schedule::Pump`).
    fn pump(&mut self) {
        self.sender.blocked.clear();
        if self.stopped {
            return;
        }
        Pump {
            market: &self.market,
            out: &mut self.out,
            sender: &mut self.sender,
            bus: &mut self.bus,
            orders: &mut self.orders,
            settle: &mut self.settle,
            tick: &mut self.tick,
            recovery: &mut self.recovery,
            resync: &mut self.resync,
            shutdown: self.shutdown.as_mut(),
        }
        .run();
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
            && (self.bus.has(Op::Place) || self.bus.has(Op::Amend))
        {
            consider(Some(t.deadline));
        }
        for ep in &self.sender.blocked {
            consider(self.sender.budget.next_release(*ep, now));
        }
        consider(self.settle.next_wake(now));
        consider(self.shutdown.as_ref().and_then(Shutdown::wake));
        consider(self.recovery.wake());
        consider(self.positions.wake());
        if self.shutdown.is_none() {
            consider(self.resync.wake(now));
        }
        if self.shutdown.is_none() {
            consider(self.fresh.expiry());
            let q = &self.market.config.quoting;
            if q.source == crate::config::QuoteSource::External {
                consider(self.external.expiry(q.max_quote_age_ms));
            }
        }
        next
    }
}
