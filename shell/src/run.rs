//! `mm run`: start-up, the loop, shutdown.
//!
//! The loop (mm-core's run-loop contract): drain every effect (`Send` -> a task, `Log` -> the
//! log file, `TickDone` -> stats and metrics, `Stopped` -> exit path), read
//! core's next deadline, wait for ONE input (biased: signals, responses, the
//! wake timer, market data, config reload), read the clock once, journal the
//! input, `handle` it. The loop never awaits the network and decides nothing.
//!
//! Decisions: `--ticks N` counts `TickDone`; at N the shell sends `Shutdown`.
//! A journal or log write that fails also sends `Shutdown` (money first: cancel
//! everything, then exit non-zero), and stops that file for good.
//! After `Shutdown`, core gets `SHUTDOWN_BOUND` to emit `Stopped`; past that
//! (or on a second SIGINT/SIGTERM) the process exits non-zero listing the
//! orders that may still be open (`Engine::order_counts`). Every ending after
//! start-up writes `--summary-json` with how it ended (`RunSummary::ended`).
//!
//! This file holds the options, the errors and `run_session`, which runs the
//! stages in order; each stage is its own file:
//!
//! | module       | job |
//! |--------------|-----|
//! | `paths`      | the session's files, checked before anything is sent |
//! | `startup`    | config, venue, credentials, server time, instruments, session files, metrics server |
//! | `inputs`     | the tasks feeding the loop (market data, config reload, signals) |
//! | `book_feed`  | books from the public stream (`exchange.streams`), REST for what it lacks |
//! | `private_feed` | the private stream (`exchange.streams`): orders, fills, positions as inputs |
//! | `event_loop` | the loop: effects out, one input in |
//! | `send`       | one request on its task; exactly one response per `Send` |
//! | `trade_link` | the trade connection order requests take with `order_transport = "ws"` |
//! | `exit`       | the exchange's view at exit, the summary, the verdict |

mod book_feed;
mod event_loop;
mod exit;
mod inputs;
mod paths;
mod private_feed;
mod send;
mod startup;
mod trade_link;

use std::path::PathBuf;
use std::time::Duration;

use mm_core::Config;

use self::event_loop::Session;
pub use self::paths::PathError;
use self::startup::{Started, Venue};
use crate::client::ClientError;
use crate::config_file::LoadError;
use crate::exit_codes;
use crate::journal_writer::WriteError;
use crate::market::MarketError;
use crate::metrics::ServeError;
use crate::paper::SimOptions;
use crate::secrets::MissingCredentials;
use crate::signals::SignalError;
use crate::summary::RunSummary;

/// How long core may take to confirm nothing is open after `Shutdown`.
pub const SHUTDOWN_BOUND: Duration = Duration::from_secs(30);

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
    /// `--quotes ADDR`: take quote sets on this socket (`quotes::socket`).
    pub quotes_addr: Option<String>,
    /// Where quote sets come in and events go out (`quoting::start` sets
    /// it; `--quotes` makes one).
    pub link: Option<crate::quotes::Link>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Refused to start (bad config, missing credentials, exchange unreachable).
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// Started, but did not end cleanly.
    #[error("{message}")]
    Failed {
        message: String,
        summary: Option<Box<RunSummary>>,
    },
    /// A second signal: exited at once.
    #[error("{0}")]
    Interrupted(String),
    /// The exchange refused us for good (credentials, orphans refused):
    /// core stopped sending at once.
    #[error("{message}")]
    Fatal {
        message: String,
        summary: Option<Box<RunSummary>>,
    },
    /// A `[risk]` kill switch tripped: quoting stopped, orders cancelled by
    /// shutdown, then the session ended (never re-armed).
    #[error("{message}")]
    KillSwitch {
        message: String,
        summary: Option<Box<RunSummary>>,
    },
    /// SIGINT / SIGTERM during start-up: stopped before sending any order
    /// (nothing of this session can be open, so it is not a failure).
    #[error("{0}")]
    StoppedInStartup(String),
}

/// Why a session did not start; nothing was sent, so nothing can be open.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Paths(#[from] PathError),
    #[error(transparent)]
    Config(#[from] LoadError),
    #[error("--metrics-addr {0}")]
    MetricsAddr(String),
    #[error("simulator: {0}")]
    Simulator(std::io::Error),
    #[error("config: exchange.base_url is required when exchange.kind = \"bybit\"")]
    NoBaseUrl,
    #[error(transparent)]
    Credentials(#[from] MissingCredentials),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    ServerTime(MarketError),
    #[error("instruments: {0}")]
    Instruments(MarketError),
    /// The config against the exchange's instruments, or refused by core.
    #[error("config: {0}")]
    Invalid(#[from] mm_core::ConfigError),
    #[error(
        "--session-id is for the simulator only: against Bybit a reused id collides with earlier orderLinkIds"
    )]
    SessionIdOnBybit,
    #[error(transparent)]
    Files(#[from] WriteError),
    #[error(transparent)]
    Metrics(#[from] ServeError),
    #[error(
        "metrics: {addr} bound {bound}, not a loopback address; set metrics.allow_non_loopback = true to mean it"
    )]
    MetricsOffLoopback {
        addr: String,
        bound: std::net::SocketAddr,
    },
    #[error(transparent)]
    Signals(#[from] SignalError),
    /// `exchange.order_transport = "ws"` and the trade stream cannot carry orders.
    #[error("exchange.order_transport = \"ws\": {0}")]
    TradeStream(String),
    /// `exchange.streams = true` and the public book stream cannot be started.
    #[error("exchange.streams = true: {0}")]
    BookStream(String),
    /// `exchange.streams = true` and the private stream has no known host.
    #[error("exchange.streams = true: {0}")]
    PrivateStream(String),
    /// `--quotes ADDR` cannot be used.
    #[error(transparent)]
    Quotes(#[from] crate::quotes::socket::QuotesAddrError),
    #[error(
        "--quotes needs quoting.source = \"external\" in the config (paper mode without --config sets it)"
    )]
    QuotesNeedExternal,
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::StoppedInStartup(_) => exit_codes::CLEAN,
            RunError::Startup(_) => exit_codes::USAGE,
            RunError::Failed { .. } | RunError::Interrupted(_) => exit_codes::PROBLEM,
            RunError::Fatal { .. } => exit_codes::FATAL,
            RunError::KillSwitch { .. } => exit_codes::KILL_SWITCH,
        }
    }
}

/// Runs one session to its end; the library entry point (`mm run`, bench).
pub async fn run_session(mut opts: RunOptions) -> Result<RunSummary, RunError> {
    let quotes_addr = match opts.quotes_addr.as_deref() {
        Some(a) => Some(crate::quotes::socket::QuotesAddr::parse(a).map_err(StartupError::from)?),
        None => None,
    };
    if quotes_addr.is_some() {
        opts.link.get_or_insert_with(crate::quotes::Link::default);
    }
    // Listening from the first moment: a signal during start-up stops it
    // before any order, instead of killing the process (the default action).
    let mut signals = if opts.signals {
        Some(inputs::Signals::listen().map_err(StartupError::from)?)
    } else {
        None
    };
    let started = match signals.as_mut() {
        Some(sig) => tokio::select! {
            biased;
            Some(name) = sig.stop.recv() => {
                return Err(RunError::StoppedInStartup(format!(
                    "{name} during start-up: stopped before sending any order"
                )));
            }
            started = startup::start(&opts) => started?,
        },
        None => startup::start(&opts).await?,
    };
    let Started {
        venue,
        client,
        trade,
        book_host,
        private,
        config,
        config_text,
        instruments,
        sid,
        journal_path,
        log_path,
        engine,
        journal,
        log,
        metrics,
    } = started;
    let inputs = inputs::spawn(
        &opts,
        &client,
        &config,
        config_text,
        &instruments,
        signals,
        inputs::Books {
            host: book_host,
            metrics: metrics.clone(),
        },
    )
    .map_err(RunError::from)?;
    // Fills during shutdown count too: it runs until the exchange's view at exit is taken.
    let private = private.map(|(host, creds)| private_feed::PrivateFeed::start(&host, creds));
    if private.is_some() {
        let symbols: Vec<String> = instruments.iter().map(|i| i.symbol.clone()).collect();
        metrics.symbols(&symbols);
    }
    let quote_server = match (&quotes_addr, &opts.link) {
        (Some(addr), Some(link)) => {
            let quoted: Vec<mm_core::Instrument> = (instruments.iter())
                .filter(|i| config.quoting.symbols.contains(&i.symbol))
                .cloned()
                .collect();
            let server = crate::quotes::socket::QuoteServer::start(addr, quoted, link.clone())
                .await
                .map_err(StartupError::from)?;
            if !opts.quiet {
                let addr = crate::quotes::socket::display(&server.addr);
                eprintln!("mm: taking quote sets on {addr} (newline-delimited JSON)");
            }
            Some(server)
        }
        _ => None,
    };
    let (private_rx, private_handle) = match private {
        Some(p) => (Some(p.rx), Some(p.handle)),
        None => (None, None),
    };

    let mut session = Session::new(
        engine,
        journal,
        log,
        metrics,
        client.clone(),
        trade,
        inputs.interval_tx,
    );
    session.link = opts.link.clone();
    let ending = session
        .run(
            &opts,
            inputs.tick_rx,
            inputs.cfg_rx,
            inputs.sig_rx,
            private_rx,
        )
        .await;
    inputs.ticker.abort();
    if let Some(s) = &quote_server {
        s.stop();
    }
    if let Some(t) = inputs.watcher_task {
        t.abort();
    }
    if !opts.quiet {
        eprintln!("{}", session.status_line());
    }

    // The exchange's view at exit, and the summary, on every ending.
    let (exchange_open, sim_state) = exit::exchange_view(
        &venue,
        &client,
        &config,
        &instruments,
        session.engine.wire_names(),
        &sid,
        exit::ask_exchange(&session, &ending),
    )
    .await;
    let mut summary = exit::summary(
        &session,
        &ending,
        &sid,
        exchange_open,
        sim_state.as_ref(),
        &journal_path,
        &log_path,
    );
    if config.exchange.streams {
        summary.stream_reconnects = session.metrics.stream_reconnects();
        let fills = session.engine.fill_totals();
        summary.fills.clone_from(&fills.fills);
        summary.resyncs = fills.resyncs;
        summary.position_core = session
            .engine
            .positions()
            .into_iter()
            .map(|p| (p.symbol, p.core))
            .collect();
        summary.max_abs_position = session
            .engine
            .positions()
            .into_iter()
            .map(|p| (p.symbol, p.max_abs))
            .collect();
        if exit::ask_exchange(&session, &ending) {
            summary.position_exchange =
                exit::exchange_positions(&client, &config, &instruments).await;
        }
    }
    // Every ending that gets here is orderly: the journal says so (unless
    // a write to it failed: nothing goes after a gap).
    if let Err(e) = session.journal.finish(&ended_name(summary.ended)) {
        eprintln!("mm: ERROR: {e}");
    }
    if let Some(h) = private_handle {
        h.stop().await;
    }
    if let Venue::Embedded(sim) = venue {
        sim.shutdown().await;
    }
    exit::conclude(summary, ending, opts.summary_json.as_deref())
}

/// The summary's name for how a session ended (`stopped`, ...), for the
/// journal's end-of-session frame.
fn ended_name(ended: crate::summary::Ended) -> String {
    serde_json::to_value(ended)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
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
    use mm_core::SessionId;

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
