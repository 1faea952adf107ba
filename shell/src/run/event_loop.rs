//! The loop itself (see `run.rs` for its contract): drain effects, wait for
//! one input, read the clock once, journal the input, hand it to core.

use std::time::{Duration, Instant};

use mm_core::{Config, Effect, Engine, Fatal, Input, Timestamp};
use tokio::sync::{mpsc, watch};

use super::inputs::MarketData;
use super::send::Response;
use super::{RunOptions, SHUTDOWN_BOUND};
use crate::client::Client;
use crate::journal_writer::{JournalWriter, LogWriter};
use crate::metrics::Metrics;
use crate::status::Stats;
use crate::stream::StreamEvent;

pub(super) struct Session {
    pub(super) engine: Engine,
    pub(super) journal: JournalWriter,
    pub(super) log: LogWriter,
    pub(super) metrics: std::sync::Arc<Metrics>,
    pub(super) client: Client,
    /// Order requests' route when `exchange.order_transport = "ws"`.
    pub(super) trade: Option<std::sync::Arc<crate::client::TradeRoute>>,
    pub(super) stats: Stats,
    pub(super) resp: (
        mpsc::UnboundedSender<Response>,
        mpsc::UnboundedReceiver<Response>,
    ),
    pub(super) stopped: bool,
    pub(super) shutdown_sent: bool,
    pub(super) interval_tx: watch::Sender<u64>,
    /// A reloaded config's tick interval, for the market task once core applies it.
    pub(super) pending_interval: Option<u64>,
    /// The first journal or log write that failed: the session shuts down.
    pub(super) write_failure: Option<String>,
    /// Why core ended the session early (it sends nothing more; `Stopped` follows).
    pub(super) fatal: Option<Fatal>,
    /// A private input or a reply may have changed fills or positions.
    pub(super) fills_changed: bool,
    /// Quote sets in, events out (`quotes`), when someone quotes.
    pub(super) link: Option<crate::quotes::Link>,
}

/// How the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ending {
    /// Core emitted `Stopped`: shutdown finished.
    Stopped,
    /// A second SIGINT/SIGTERM during shutdown (the message lists what may be open).
    SecondSignal(String),
    /// Core did not stop within `SHUTDOWN_BOUND` (the message lists what may be open).
    ShutdownOverdue(String),
}

enum Event {
    Signal(&'static str),
    Response(Response),
    Wake(Timestamp),
    Tick(MarketData),
    Private(StreamEvent),
    Config(Config),
    Quotes(crate::quotes::Pending),
    /// `Quoter::stop`: as a first SIGTERM.
    Stop,
    Status,
    ShutdownOverdue,
}

impl Session {
    pub(super) fn new(
        engine: Engine,
        journal: JournalWriter,
        log: LogWriter,
        metrics: std::sync::Arc<Metrics>,
        client: Client,
        trade: Option<std::sync::Arc<crate::client::TradeRoute>>,
        interval_tx: watch::Sender<u64>,
    ) -> Session {
        Session {
            engine,
            journal,
            log,
            metrics,
            client,
            trade,
            stats: Stats::default(),
            resp: mpsc::unbounded_channel(),
            stopped: false,
            shutdown_sent: false,
            interval_tx,
            pending_interval: None,
            write_failure: None,
            fatal: None,
            fills_changed: false,
            link: None,
        }
    }

    pub(super) async fn run(
        &mut self,
        opts: &RunOptions,
        mut tick_rx: mpsc::Receiver<MarketData>,
        mut cfg_rx: mpsc::Receiver<Config>,
        mut sig_rx: Option<mpsc::Receiver<&'static str>>,
        mut private_rx: Option<mpsc::Receiver<StreamEvent>>,
    ) -> Ending {
        let mut status =
            tokio::time::interval(Duration::from_millis(opts.status_every_ms.max(100)));
        status.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        status.reset();
        let mut shutdown_at: Option<Instant> = None;
        let mut pending_shutdown = false;
        self.publish(|e| crate::quotes::SessionEvent::Started {
            session_id: e.session().as_str().to_string(),
            instruments: e.instruments().to_vec(),
        });
        loop {
            self.drain();
            if self.stopped {
                return Ending::Stopped;
            }
            let done = opts.ticks.is_some_and(|n| self.stats.ticks >= n);
            if shutdown_at.is_none() && (done || self.write_failure.is_some()) {
                pending_shutdown = true;
            }
            let event = if pending_shutdown {
                pending_shutdown = false;
                None
            } else {
                let wake = self.engine.poll_timeout();
                let sleep = async {
                    match wake {
                        Some(t) => {
                            let ms = t.0.saturating_sub(crate::now_ms());
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                            t
                        }
                        None => std::future::pending().await,
                    }
                };
                let overdue = async {
                    match shutdown_at {
                        Some(t) => tokio::time::sleep_until((t + SHUTDOWN_BOUND).into()).await,
                        None => std::future::pending().await,
                    }
                };
                let signal = async {
                    match sig_rx.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                };
                let shutting = shutdown_at.is_some();
                let link = self.link.clone();
                let quote = async {
                    match &link {
                        Some(l) => l.mailbox.take().await,
                        None => std::future::pending().await,
                    }
                };
                let stop = async {
                    match &link {
                        Some(l) => l.stop.notified().await,
                        None => std::future::pending().await,
                    }
                };
                Some(tokio::select! {
                    biased;
                    Some(name) = signal => Event::Signal(name),
                    Some(r) = self.resp.1.recv() => Event::Response(r),
                    Some(ev) = recv(&mut private_rx) => Event::Private(ev),
                    t = sleep => Event::Wake(t),
                    Some(books) = tick_rx.recv(), if !shutting => Event::Tick(books),
                    Some(c) = cfg_rx.recv(), if !shutting => Event::Config(c),
                    p = quote, if !shutting => Event::Quotes(p),
                    () = stop, if !shutting => Event::Stop,
                    _ = status.tick(), if !opts.quiet => Event::Status,
                    () = overdue => Event::ShutdownOverdue,
                })
            };
            let now = Timestamp(crate::now_ms());
            let mut quoted = None;
            let input = match event {
                None => {
                    shutdown_at = Some(Instant::now());
                    if self.write_failure.is_some() {
                        eprintln!(
                            "mm: shutting down after the write failure (cancelling every order)"
                        );
                    } else {
                        eprintln!(
                            "mm: {} ticks done; shutting down (cancelling every order)",
                            self.stats.ticks
                        );
                    }
                    Input::Shutdown { now_ms: now }
                }
                Some(Event::Signal(name)) => {
                    if shutdown_at.is_some() {
                        return Ending::SecondSignal(format!(
                            "second {name}: exiting now, before shutdown finished. {}",
                            self.open_report()
                        ));
                    }
                    eprintln!(
                        "mm: {name}: shutting down (cancelling every order); send it again to exit at once"
                    );
                    shutdown_at = Some(Instant::now());
                    Input::Shutdown { now_ms: now }
                }
                Some(Event::Response((request_id, outcome))) => {
                    self.fills_changed |= matches!(outcome, mm_core::Outcome::Listing(_));
                    Input::Response {
                        now_ms: now,
                        request_id,
                        outcome,
                    }
                }
                Some(Event::Wake(deadline)) => {
                    if now < deadline {
                        continue; // the wall clock lags the timer: sleep the rest
                    }
                    Input::Wake { now_ms: now }
                }
                Some(Event::Tick(MarketData::Books(books))) => {
                    self.tick_begins();
                    self.publish_books(&books);
                    Input::Tick { now_ms: now, books }
                }
                Some(Event::Tick(MarketData::Failed(why))) => {
                    tracing::warn!("market data: {why}; core gets this tick without books");
                    self.market_data_failed();
                    Input::Tick {
                        now_ms: now,
                        books: Vec::new(),
                    }
                }
                Some(Event::Tick(MarketData::Partial(books, why))) => {
                    tracing::warn!(
                        "market data: {why}; core gets this tick with the book stream's books only"
                    );
                    self.market_data_failed();
                    self.publish_books(&books);
                    Input::Tick { now_ms: now, books }
                }
                Some(Event::Private(ev)) => {
                    match super::private_feed::input(ev, now, &self.metrics) {
                        Some(input) => {
                            self.fills_changed = true;
                            input
                        }
                        None => continue,
                    }
                }
                Some(Event::Config(config)) => {
                    // Core applies it at the next tick; the market task learns
                    // the new interval when that tick begins.
                    self.pending_interval = Some(config.quoting.tick_interval_ms);
                    Input::ConfigChanged {
                        now_ms: now,
                        config: Box::new(config),
                    }
                }
                Some(Event::Stop) => {
                    eprintln!("mm: stop requested: shutting down (cancelling every order)");
                    shutdown_at = Some(Instant::now());
                    Input::Shutdown { now_ms: now }
                }
                Some(Event::Quotes(p)) => {
                    let set = p.set.clone();
                    quoted = Some(p);
                    Input::Quotes { now_ms: now, set }
                }
                Some(Event::Status) => {
                    eprintln!("{}", self.status_line());
                    continue;
                }
                Some(Event::ShutdownOverdue) => {
                    return Ending::ShutdownOverdue(format!(
                        "shutdown did not finish within {} s. {}",
                        SHUTDOWN_BOUND.as_secs(),
                        self.open_report()
                    ));
                }
            };
            if matches!(input, Input::Shutdown { .. }) {
                self.shutdown_sent = true;
            }
            if let Err(e) = self.journal.append(&input) {
                let frames = self.journal.frames();
                self.write_failed(format!(
                    "{e}. Journaling stopped: this session can no longer be replayed (the journal holds its first {frames} inputs)"
                ));
            }
            // Handled even when it could not be journaled: core must see every
            // response to cancel what is open.
            self.engine.handle(input);
            if let Some(p) = quoted {
                self.quote_verdict(p);
            }
        }
    }

    /// Tells the set's sender what core made of it.
    fn quote_verdict(&mut self, p: crate::quotes::Pending) {
        use crate::quotes::SessionEvent;
        let Some(link) = &self.link else { return };
        let symbol = p.set.symbol;
        let ev = match self.engine.last_quote_refusal() {
            None => SessionEvent::Accepted {
                symbol: symbol.to_string(),
                id: p.id,
                client: p.client,
            },
            Some(reason) => SessionEvent::Refused {
                symbol: symbol.to_string(),
                id: p.id,
                reason: reason.to_string(),
                client: p.client,
            },
        };
        let _ = link.events.send(ev);
    }

    fn publish_books(&self, books: &[mm_core::BookTop]) {
        self.publish(|_| crate::quotes::SessionEvent::Books {
            books: books.to_vec(),
        });
    }

    /// Events for whoever quotes (none without a `link` or a receiver).
    fn publish(&self, ev: impl FnOnce(&Engine) -> crate::quotes::SessionEvent) {
        if let Some(link) = &self.link
            && link.events.receiver_count() > 0
        {
            let _ = link.events.send(ev(&self.engine));
        }
    }

    /// A market-data poll failed; its tick still goes to core.
    fn market_data_failed(&mut self) {
        self.stats.market_data_failures += 1;
        self.metrics.market_data_failed();
        self.tick_begins();
    }

    /// A tick goes to core: a reloaded config applies in it, so its tick
    /// interval now sets the market task's cadence.
    fn tick_begins(&mut self) {
        if let Some(ms) = self.pending_interval.take() {
            self.interval_tx.send_replace(ms);
        }
    }

    /// Executes every effect core has for us.
    fn drain(&mut self) {
        let mut ticked = false;
        // A round's requests reach the trade connection together: one
        // wake-up of its task and one write, not one of each per request.
        let trade = self.trade.clone();
        let together = trade.as_deref().map(crate::client::TradeRoute::hold);
        while let Some(effect) = self.engine.poll_effect() {
            match effect {
                Effect::Send(req) => {
                    super::send::spawn_send(
                        &self.client,
                        self.trade.as_ref(),
                        &self.metrics,
                        &self.resp.0,
                        self.engine.wire_names(),
                        req,
                    );
                }
                Effect::Log(line) => {
                    if let Err(e) = self.log.line(&line.render()) {
                        self.log_failed(e);
                    }
                }
                Effect::TickDone(t) => {
                    // A tick that shutdown cut short is not a completed tick.
                    if !self.shutdown_sent {
                        self.stats.on_tick(&t);
                    }
                    self.metrics.tick_done(&t);
                    self.publish(|e| crate::quotes::SessionEvent::Tick {
                        stats: t.clone(),
                        orders: e.orders(),
                        risk: e.risk_limited(),
                    });
                    ticked = true;
                }
                // Core sends nothing more and emits Stopped right after:
                // the loop ends there, without waiting for any cancel.
                Effect::Fatal(fatal) => {
                    tracing::error!("{fatal}");
                    self.fatal.get_or_insert(fatal);
                }
                Effect::Stopped => {
                    self.stopped = true;
                    self.publish(|_| crate::quotes::SessionEvent::Stopped);
                }
            }
        }
        drop(together);
        if let Err(e) = self.log.flush() {
            self.log_failed(e);
        }
        if ticked || self.stopped {
            self.metrics
                .sync(self.engine.totals(), &self.engine.order_counts());
        }
        // Fills and positions change on private inputs and on the resync
        // listings' replies: kept current between ticks too.
        if self.fills_changed || ticked || self.stopped {
            self.fills_changed = false;
            self.metrics
                .sync_fills(self.engine.fill_totals(), &self.engine.positions());
            (self.metrics).sync_risk(
                self.engine.risk_blocks(),
                self.engine.kill_switch_reason().is_some(),
                &self.engine.pnl().to_string(),
            );
            self.publish(|e| crate::quotes::SessionEvent::Positions {
                positions: e.positions(),
                fills: e.fill_totals().fills.clone(),
            });
        }
    }

    fn log_failed(&mut self, e: crate::journal_writer::WriteError) {
        self.write_failed(format!(
            "{e}. Core log stopped; the journal still replays to it (mm replay)"
        ));
    }

    /// Money first: a session whose journal or log cannot be written shuts
    /// down (cancelling everything, confirmed by core) rather than trade on
    /// unrecorded, and exits non-zero once shutdown finished.
    fn write_failed(&mut self, message: String) {
        eprintln!("mm: ERROR: {message}");
        if self.write_failure.is_none() {
            if !self.shutdown_sent {
                eprintln!("mm: ERROR: shutting the session down because of it");
            }
            self.write_failure = Some(message);
        }
    }

    /// The status line: ticks, orders, budget, then fills and positions.
    pub(super) fn status_line(&self) -> String {
        let counts = self.engine.order_counts();
        format!(
            "{}{}",
            self.stats.line(&counts, self.engine.totals()),
            crate::status::fills_part(
                self.engine.fill_totals(),
                &self.engine.positions(),
                &self.engine.config().risk
            )
        )
    }

    /// What may still be open, for an exit before shutdown finished.
    fn open_report(&self) -> String {
        let c = self.engine.order_counts();
        let mut by_symbol: std::collections::BTreeMap<String, u64> =
            std::collections::BTreeMap::new();
        for o in self.engine.orders() {
            *by_symbol.entry(o.symbol).or_default() += 1;
        }
        let symbols: Vec<String> = by_symbol.iter().map(|(s, n)| format!("{s} {n}")).collect();
        format!(
            "Orders that may still be open: live {}, pending new {}, pending amend {}, pending cancel {}, unknown {} (by symbol: {}). Check the exchange and cancel them.",
            c.live,
            c.pending_new,
            c.pending_amend,
            c.pending_cancel,
            c.unknown,
            if symbols.is_empty() {
                "none".to_string()
            } else {
                symbols.join(", ")
            }
        )
    }
}

/// The next item of `rx`; pends forever without one (or once it closed).
async fn recv<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(r) => match r.recv().await {
            Some(v) => Some(v),
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}
