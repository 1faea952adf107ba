//! `mm run`: start-up, the loop, shutdown.
//!
//! The loop (style.md): drain every effect (`Send` -> a task, `Log` -> the
//! log file, `TickDone` -> stats and metrics, `Stopped` -> exit path), read
//! core's next deadline, wait for ONE input (biased: signals, responses, the
//! wake timer, market data, config reload), read the clock once, journal the
//! input, `handle` it. The loop never awaits the network and decides nothing.
//!
//! Decisions: `--ticks N` counts `TickDone`; at N the shell sends `Shutdown`.
//! After `Shutdown`, core gets `SHUTDOWN_BOUND` to emit `Stopped`; past that
//! (or on a second SIGINT/SIGTERM) the process exits non-zero listing the
//! orders that may still be open (`Engine::order_counts`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mm_core::config::ExchangeKind;
use mm_core::journal::JournalHeader;
use mm_core::{Config, Effect, Engine, Input, Outcome, RequestId, SessionId, Timestamp};
use tokio::sync::{mpsc, watch};

use crate::client::Client;
use crate::config_file::Watcher;
use crate::journal_writer::{JournalWriter, LogWriter};
use crate::metrics::Metrics;
use crate::secrets::Credentials;
use crate::status::Stats;
use crate::summary::RunSummary;

/// How long core may take to confirm nothing is open after `Shutdown`.
pub const SHUTDOWN_BOUND: Duration = Duration::from_secs(30);

/// The in-process simulator's knobs (paper mode, or `kind = "sim"` without a base_url).
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub seed: u64,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub faults: mm_sim::FaultSpec,
    pub tier: mm_sim::Tier,
    pub fills: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 1,
            latency_ms: 5,
            jitter_ms: 0,
            faults: mm_sim::FaultSpec::default(),
            tier: mm_sim::Tier::Institutional,
            fills: true,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The config file (watched for changes).
    pub config_path: Option<PathBuf>,
    /// A config given in-process (bench); wins over `config_path`, not watched.
    pub config: Option<Config>,
    pub ticks: Option<u64>,
    /// A fixed session id (simulator only): recordings get stable orderLinkIds,
    /// so re-recording a session diffs only where decisions changed.
    pub session_id: Option<String>,
    pub journal: Option<PathBuf>,
    pub log: Option<PathBuf>,
    pub summary_json: Option<PathBuf>,
    /// Overrides `metrics.addr`; `Some("off")` serves no metrics.
    pub metrics_addr: Option<String>,
    pub status_every_ms: u64,
    pub reload_poll_ms: u64,
    pub sim: SimOptions,
    /// Listen for SIGINT / SIGTERM / SIGHUP.
    pub signals: bool,
    /// No status line (bench).
    pub quiet: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Refused to start (bad config, missing credentials, exchange unreachable).
    #[error("{0}")]
    Startup(String),
    /// Started, but did not end cleanly.
    #[error("{message}")]
    Failed {
        message: String,
        summary: Option<Box<RunSummary>>,
    },
    /// A second signal: exited at once.
    #[error("{0}")]
    Interrupted(String),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Startup(_) => 2,
            RunError::Failed { .. } => 1,
            RunError::Interrupted(_) => 130,
        }
    }
}

fn startup(e: impl Into<String>) -> RunError {
    RunError::Startup(e.into())
}

/// Where orders go.
enum Venue {
    Embedded(mm_sim::SimHandle),
    ExternalSim,
    Bybit,
}

/// Runs one session to its end; the library entry point (`mm run`, bench).
pub async fn run_session(opts: RunOptions) -> Result<RunSummary, RunError> {
    let paper = opts.config.is_none() && opts.config_path.is_none();
    let (config, config_text) = match (&opts.config, &opts.config_path) {
        (Some(c), _) => (c.clone(), None),
        (None, Some(path)) => {
            let (c, text) = crate::config_file::load(path).map_err(startup)?;
            (c, Some(text))
        }
        (None, None) => (crate::paper::config(opts.sim.tier), None),
    };

    // Exchange and credentials.
    let ex = &config.exchange;
    let (venue, base_url, creds) = match (ex.kind, &ex.base_url) {
        (ExchangeKind::Sim, None) => {
            let sim_cfg = crate::paper::sim_config(&opts.sim, ex.request_timeout_ms);
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let sim = mm_sim::Sim::start(sim_cfg, addr)
                .await
                .map_err(|e| startup(format!("simulator: {e}")))?;
            let url = sim.base_url();
            eprintln!("mm: paper trading against the in-process simulator at {url}");
            (Venue::Embedded(sim), url, Credentials::paper())
        }
        (ExchangeKind::Sim, Some(url)) => (Venue::ExternalSim, url.clone(), Credentials::paper()),
        (ExchangeKind::Bybit, url) => {
            let url = url.clone().ok_or_else(|| {
                startup("config: exchange.base_url is required when exchange.kind = \"bybit\"")
            })?;
            (Venue::Bybit, url, Credentials::from_env().map_err(startup)?)
        }
    };
    let client =
        Client::new(&base_url, creds, ex.recv_window_ms, ex.request_timeout_ms).map_err(startup)?;

    // Start-up: server time, instruments, config against them.
    match crate::market::check_server_time(&client, ex.recv_window_ms).await {
        Ok(offset) => tracing::info!("server time offset {offset} ms"),
        Err(e) if matches!(venue, Venue::Bybit) => return Err(startup(e)),
        Err(e) => tracing::warn!("{e}"),
    }
    let instruments =
        crate::market::fetch_instruments(&client, ex.category, &config.quoting.symbols)
            .await
            .map_err(|e| startup(format!("instruments: {e}")))?;
    crate::config_file::validate_for(&config, &instruments).map_err(startup)?;

    let start_ms = crate::now_ms();
    let sid = match &opts.session_id {
        // orderLinkIds are `<session>-<n>` and unique forever at Bybit: a reused
        // session id would collide with an earlier run's orders (110072).
        Some(_) if matches!(venue, Venue::Bybit) => {
            return Err(startup(
                "--session-id is for the simulator only: against Bybit a reused id collides with earlier orderLinkIds".to_string(),
            ));
        }
        Some(id) => id.clone(),
        None => session_id(start_ms),
    };
    let session = SessionId::new(&sid).map_err(|e| startup(e.to_string()))?;
    let journal_path = opts
        .journal
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/{sid}/journal.mmj")));
    let log_path = opts
        .log
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/{sid}/core.log")));
    let engine = Engine::new(config.clone(), instruments.clone(), session.clone())
        .map_err(|e| startup(e.to_string()))?;
    let journal = JournalWriter::create(
        &journal_path,
        &JournalHeader {
            session_id: session,
            config: config.clone(),
            instruments: instruments.clone(),
        },
    )
    .map_err(startup)?;
    let log = LogWriter::create(&log_path).map_err(startup)?;
    eprintln!(
        "mm: session {sid}: journal {}, log {}",
        journal_path.display(),
        log_path.display()
    );

    // Metrics.
    let metrics = Metrics::new();
    let addr = opts
        .metrics_addr
        .clone()
        .unwrap_or_else(|| config.metrics.addr.clone());
    if addr != "off" {
        let bound = match crate::metrics::serve(metrics.clone(), &addr).await {
            Ok(b) => b,
            Err(e) if paper && opts.metrics_addr.is_none() => {
                tracing::warn!("{e}; paper mode serves them on a free port instead");
                crate::metrics::serve(metrics.clone(), "127.0.0.1:0")
                    .await
                    .map_err(startup)?
            }
            Err(e) => return Err(startup(e)),
        };
        eprintln!("mm: metrics on http://{bound}/metrics");
    }

    // Inputs from the outside world, each on its own task.
    let (tick_tx, tick_rx) = mpsc::channel(2);
    let (interval_tx, interval_rx) = watch::channel(config.quoting.tick_interval_ms);
    let symbols: Vec<String> = instruments.iter().map(|i| i.symbol.clone()).collect();
    let ticker = tokio::spawn(market_task(
        client.clone(),
        config.exchange.category,
        symbols,
        interval_rx,
        tick_tx,
    ));
    let (cfg_tx, cfg_rx) = mpsc::channel(4);
    let mut watcher_task = None;
    let (sig_rx, hup_rx) = if opts.signals {
        (
            Some(crate::signals::stop_signals().map_err(startup)?),
            Some(crate::signals::hangups().map_err(startup)?),
        )
    } else {
        (None, None)
    };
    if let (Some(path), Some(text)) = (&opts.config_path, config_text) {
        let watcher = Watcher {
            path: path.clone(),
            poll: Duration::from_millis(opts.reload_poll_ms.max(10)),
            last_text: text,
            running: config.clone(),
            instruments: instruments.clone(),
        };
        let hup = hup_rx.unwrap_or_else(|| mpsc::channel(1).1);
        watcher_task = Some(tokio::spawn(watcher.run(cfg_tx, hup)));
    }

    let mut session = Session {
        engine,
        journal,
        log,
        metrics,
        client: client.clone(),
        stats: Stats::default(),
        resp: mpsc::unbounded_channel(),
        stopped: false,
        shutdown_sent: false,
        interval_tx,
    };
    let result = session.run(&opts, tick_rx, cfg_rx, sig_rx).await;
    ticker.abort();
    if let Some(t) = watcher_task {
        t.abort();
    }
    let counts = session.engine.order_counts();
    if !opts.quiet {
        eprintln!("{}", session.stats.line(&counts, session.engine.totals()));
    }
    if let Err(e) = result {
        if let Venue::Embedded(sim) = venue {
            sim.shutdown().await;
        }
        return Err(e);
    }

    // The exchange's view at exit.
    let (exchange_open, sim_state) = match &venue {
        Venue::Embedded(sim) => {
            let s = sim.state();
            (Some(s.open_orders.len() as u64), Some(s))
        }
        Venue::ExternalSim => match fetch_sim_state(&client).await {
            Ok(s) => (Some(s.open_orders.len() as u64), Some(s)),
            Err(e) => {
                tracing::warn!("simulator state: {e}");
                (
                    count_open_orders(&client, &config, &instruments).await,
                    None,
                )
            }
        },
        Venue::Bybit => (
            count_open_orders(&client, &config, &instruments).await,
            None,
        ),
    };
    let summary = session.summary(
        &sid,
        exchange_open,
        sim_state.as_ref(),
        &journal_path,
        &log_path,
    );
    if let Venue::Embedded(sim) = venue {
        sim.shutdown().await;
    }
    if let Some(path) = &opts.summary_json {
        summary.write(path).map_err(|e| RunError::Failed {
            message: e,
            summary: Some(Box::new(summary.clone())),
        })?;
    }
    if summary.open_orders_core > 0 || summary.open_orders_exchange.is_some_and(|n| n > 0) {
        return Err(RunError::Failed {
            message: format!(
                "shutdown finished with orders possibly open: core tracks {}, the exchange lists {}",
                summary.open_orders_core,
                summary
                    .open_orders_exchange
                    .map_or_else(|| "(unknown)".to_string(), |n| n.to_string())
            ),
            summary: Some(Box::new(summary)),
        });
    }
    Ok(summary)
}

type Response = (RequestId, Outcome);

struct Session {
    engine: Engine,
    journal: JournalWriter,
    log: LogWriter,
    metrics: std::sync::Arc<Metrics>,
    client: Client,
    stats: Stats,
    resp: (
        mpsc::UnboundedSender<Response>,
        mpsc::UnboundedReceiver<Response>,
    ),
    stopped: bool,
    shutdown_sent: bool,
    interval_tx: watch::Sender<u64>,
}

enum Event {
    Signal(&'static str),
    Response(Response),
    Wake(Timestamp),
    Tick(Vec<mm_core::BookTop>),
    Config(Config),
    Status,
    ShutdownOverdue,
}

impl Session {
    async fn run(
        &mut self,
        opts: &RunOptions,
        mut tick_rx: mpsc::Receiver<Vec<mm_core::BookTop>>,
        mut cfg_rx: mpsc::Receiver<Config>,
        mut sig_rx: Option<mpsc::Receiver<&'static str>>,
    ) -> Result<(), RunError> {
        let mut status =
            tokio::time::interval(Duration::from_millis(opts.status_every_ms.max(100)));
        status.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        status.reset();
        let mut shutdown_at: Option<Instant> = None;
        let mut pending_shutdown = false;
        loop {
            self.drain()?;
            if self.stopped {
                return Ok(());
            }
            if shutdown_at.is_none() && opts.ticks.is_some_and(|n| self.stats.ticks >= n) {
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
                Some(tokio::select! {
                    biased;
                    Some(name) = signal => Event::Signal(name),
                    Some(r) = self.resp.1.recv() => Event::Response(r),
                    t = sleep => Event::Wake(t),
                    Some(books) = tick_rx.recv(), if !shutting => Event::Tick(books),
                    Some(c) = cfg_rx.recv(), if !shutting => Event::Config(c),
                    _ = status.tick(), if !opts.quiet => Event::Status,
                    () = overdue => Event::ShutdownOverdue,
                })
            };
            let now = Timestamp(crate::now_ms());
            let input = match event {
                None => {
                    shutdown_at = Some(Instant::now());
                    eprintln!(
                        "mm: {} ticks done; shutting down (cancelling every order)",
                        self.stats.ticks
                    );
                    Input::Shutdown { now_ms: now }
                }
                Some(Event::Signal(name)) => {
                    if shutdown_at.is_some() {
                        return Err(RunError::Interrupted(format!(
                            "second {name}: exiting now, before shutdown finished. {}",
                            self.open_report()
                        )));
                    }
                    eprintln!(
                        "mm: {name}: shutting down (cancelling every order); send it again to exit at once"
                    );
                    shutdown_at = Some(Instant::now());
                    Input::Shutdown { now_ms: now }
                }
                Some(Event::Response((request_id, outcome))) => Input::Response {
                    now_ms: now,
                    request_id,
                    outcome,
                },
                Some(Event::Wake(deadline)) => {
                    if now < deadline {
                        continue; // the wall clock lags the timer: sleep the rest
                    }
                    Input::Wake { now_ms: now }
                }
                Some(Event::Tick(books)) => Input::Tick { now_ms: now, books },
                Some(Event::Config(config)) => {
                    self.interval_tx
                        .send_replace(config.quoting.tick_interval_ms);
                    Input::ConfigChanged {
                        now_ms: now,
                        config,
                    }
                }
                Some(Event::Status) => {
                    let counts = self.engine.order_counts();
                    eprintln!("{}", self.stats.line(&counts, self.engine.totals()));
                    continue;
                }
                Some(Event::ShutdownOverdue) => {
                    return Err(RunError::Failed {
                        message: format!(
                            "shutdown did not finish within {} s. {}",
                            SHUTDOWN_BOUND.as_secs(),
                            self.open_report()
                        ),
                        summary: None,
                    });
                }
            };
            if matches!(input, Input::Shutdown { .. }) {
                self.shutdown_sent = true;
            }
            self.journal
                .append(&input)
                .map_err(|message| RunError::Failed {
                    message,
                    summary: None,
                })?;
            self.engine.handle(input);
        }
    }

    /// Executes every effect core has for us.
    fn drain(&mut self) -> Result<(), RunError> {
        let mut ticked = false;
        while let Some(effect) = self.engine.poll_effect() {
            match effect {
                Effect::Send(req) => self.spawn_send(req),
                Effect::Log(line) => self.log.line(&line.render()).map_err(failed)?,
                Effect::TickDone(t) => {
                    // A tick that shutdown cut short is not a completed tick.
                    if !self.shutdown_sent {
                        self.stats.on_tick(&t);
                    }
                    self.metrics.tick_done(&t);
                    ticked = true;
                }
                Effect::WakeAt(_) => {} // read back through poll_timeout()
                Effect::Stopped => self.stopped = true,
            }
        }
        self.log.flush().map_err(failed)?;
        if ticked || self.stopped {
            self.metrics
                .sync(self.engine.totals(), &self.engine.order_counts());
        }
        Ok(())
    }

    fn spawn_send(&self, req: mm_core::Request) {
        let endpoint = req.kind.endpoint();
        let verb = crate::client::verb(&req.kind);
        self.metrics.request_sent(endpoint);
        let client = self.client.clone();
        let tx = self.resp.0.clone();
        let metrics = self.metrics.clone();
        tokio::spawn(async move {
            let t0 = Instant::now();
            let outcome = client.execute(&req.kind).await;
            metrics.request_done(verb, endpoint, t0.elapsed().as_secs_f64() * 1000.0);
            // The loop may be gone (exiting at once): nothing left to tell.
            let _ = tx.send((req.id, outcome));
        });
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

    fn summary(
        &self,
        sid: &str,
        exchange_open: Option<u64>,
        sim: Option<&mm_sim::SimState>,
        journal: &std::path::Path,
        log: &std::path::Path,
    ) -> RunSummary {
        let t = self.engine.totals();
        RunSummary {
            session_id: sid.to_string(),
            ticks: self.stats.ticks,
            ticks_started: t.ticks,
            requests_per_tick: self.stats.requests_per_tick(),
            requests_by_endpoint: t
                .requests
                .iter()
                .map(|(e, n)| (e.name().to_string(), *n))
                .collect(),
            commands_by_op: t
                .commands
                .iter()
                .map(|(o, n)| (o.name().to_string(), *n))
                .collect(),
            tick_ms: crate::summary::TickMs {
                p50: self.stats.percentile(50),
                p95: self.stats.percentile(95),
                p99: self.stats.percentile(99),
            },
            fallbacks: t.fallbacks,
            stale_drops: t.stale_drops,
            rejects: t.rejects,
            conflated_ticks: t.conflated,
            requeued: t.requeued,
            unknown_orders: t.unknowns,
            open_orders_core: self.engine.orders().len() as u64,
            open_orders_exchange: exchange_open,
            rate_limit_rejections: sim.map(|s| s.rate_limit_rejections),
            exchange_requests_by_path: sim.map(|s| s.requests_by_path.clone()),
            exchange_faults_injected: sim.map(|s| s.faults_injected.clone()),
            stopped: self.stopped,
            journal: journal.display().to_string(),
            log: log.display().to_string(),
        }
    }
}

fn failed(message: String) -> RunError {
    RunError::Failed {
        message,
        summary: None,
    }
}

/// Polls market data every tick interval (sequentially: a slow poll delays
/// the next, never overlaps it) and hands the books to the loop.
async fn market_task(
    client: Client,
    category: mm_core::Category,
    symbols: Vec<String>,
    mut interval_rx: watch::Receiver<u64>,
    tx: mpsc::Sender<Vec<mm_core::BookTop>>,
) {
    let mut every = *interval_rx.borrow_and_update();
    let mut interval = tokio::time::interval(Duration::from_millis(every));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if interval_rx.has_changed().unwrap_or(false) {
            every = *interval_rx.borrow_and_update();
            interval = tokio::time::interval(Duration::from_millis(every));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval.tick().await;
        }
        match crate::market::fetch_books(&client, category, &symbols).await {
            Ok(books) => {
                if tx.send(books).await.is_err() {
                    return;
                }
            }
            Err(e) => tracing::warn!("market data: {e} (no tick this time)"),
        }
    }
}

async fn fetch_sim_state(client: &Client) -> Result<mm_sim::SimState, String> {
    let url = format!("{}/sim/state", client.base_url());
    let body = reqwest::get(url)
        .await
        .map_err(|e| e.without_url().to_string())?;
    let bytes = body
        .bytes()
        .await
        .map_err(|e| e.without_url().to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("/sim/state does not parse: {e}"))
}

/// Open orders of every symbol core could trade, by the exchange's
/// open-orders query (every page); `None` if any query fails.
async fn count_open_orders(
    client: &Client,
    config: &Config,
    instruments: &[mm_core::Instrument],
) -> Option<u64> {
    let mut total = 0u64;
    for symbol in instruments.iter().map(|i| &i.symbol) {
        let mut cursor = None;
        for _page in 0..100 {
            let kind = mm_core::RequestKind::OpenOrders {
                category: config.exchange.category,
                symbol: symbol.clone(),
                order_link_id: None,
                cursor: cursor.clone(),
                limit: 50,
            };
            match client.execute(&kind).await {
                Outcome::Reply(r) if r.ret_code == 0 => {
                    total += r.orders.len() as u64;
                    match r.next_cursor {
                        Some(c) if !c.is_empty() && !r.orders.is_empty() => cursor = Some(c),
                        _ => break,
                    }
                }
                other => {
                    tracing::warn!(
                        "open orders of {symbol} at exit: {}",
                        crate::client::describe(&other)
                    );
                    return None;
                }
            }
        }
    }
    Some(total)
}

/// Base 36 of the start time in ms: short, sortable, a valid `SessionId`.
pub fn session_id(ms: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = ms;
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[usize::try_from(n % 36).unwrap_or(0)]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_else(|_| "0".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_short_and_valid() {
        assert_eq!(session_id(0), "0");
        assert_eq!(session_id(35), "z");
        assert_eq!(session_id(36), "10");
        let s = session_id(1_760_000_000_000);
        assert!(s.len() <= 16);
        assert!(SessionId::new(&s).is_ok());
        assert!(SessionId::new(&session_id(u64::MAX)).is_ok());
    }
}
