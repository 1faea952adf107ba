//! Start-up: everything `mm run` checks and opens before the loop's first
//! input (config, venue, credentials, server time, instruments, session id,
//! journal and log files, the metrics server). Any failure here is a
//! `RunError::Startup`: nothing has been sent, so nothing can be open.

use std::path::PathBuf;

use mm_core::config::{ExchangeKind, OrderTransport};
use mm_core::journal::JournalHeader;
use mm_core::{Config, Engine, Instrument, SessionId};

use super::{RunError, RunOptions, StartupError, session_id};
use crate::client::Client;
use crate::journal_writer::{JournalWriter, LogWriter};
use crate::metrics::Metrics;
use crate::secrets::Credentials;

/// Where orders go.
pub(super) enum Venue {
    Embedded(mm_sim::SimHandle),
    ExternalSim,
    Bybit,
}

/// A session ready for its loop.
pub(super) struct Started {
    pub(super) venue: Venue,
    pub(super) client: Client,
    /// Order requests' route with `exchange.order_transport = "ws"`.
    pub(super) trade: Option<std::sync::Arc<crate::client::TradeRoute>>,
    /// The public stream's host with `exchange.streams = true`.
    pub(super) book_host: Option<String>,
    /// The private stream's host and the credentials it signs in with
    /// (`exchange.streams = true`).
    pub(super) private: Option<(String, Credentials)>,
    pub(super) config: Config,
    /// The config file's text as loaded (`None` unless read from `config_path`):
    /// the hot-reload watcher's baseline.
    pub(super) config_text: Option<String>,
    pub(super) instruments: Vec<Instrument>,
    pub(super) sid: String,
    pub(super) journal_path: PathBuf,
    pub(super) log_path: PathBuf,
    pub(super) engine: Engine,
    pub(super) journal: JournalWriter,
    pub(super) log: LogWriter,
    pub(super) metrics: std::sync::Arc<Metrics>,
}

pub(super) async fn start(opts: &RunOptions) -> Result<Started, RunError> {
    super::paths::check(opts).map_err(StartupError::from)?;
    let paper = opts.config.is_none() && opts.config_path.is_none();
    let (config, config_text) = match (&opts.config, &opts.config_path) {
        (Some(c), _) => (c.clone(), None),
        (None, Some(path)) => {
            let (c, text) = crate::config_file::load(path).map_err(StartupError::from)?;
            (c, Some(text))
        }
        (None, None) => {
            let mut c = crate::paper::config(opts.sim.tier);
            // Paper mode with --quotes: the quotes are the caller's.
            if opts.quotes_addr.is_some() {
                c.quoting.source = mm_core::config::QuoteSource::External;
            }
            (c, None)
        }
    };
    // Sets on the socket would all be refused: say so before anything runs.
    if opts.quotes_addr.is_some() && config.quoting.source != mm_core::config::QuoteSource::External
    {
        return Err(StartupError::QuotesNeedExternal.into());
    }

    // The config's metrics address was judged with the config; an override
    // on the command line meets the same rule, before anything is opened.
    if let Some(addr) = opts.metrics_addr.as_deref().filter(|a| *a != "off")
        && let Some(problem) =
            mm_core::config::metrics_addr_problem(addr, config.metrics.allow_non_loopback)
    {
        return Err(StartupError::MetricsAddr(problem.to_string()).into());
    }

    // Exchange and credentials.
    let ex = &config.exchange;
    let (venue, base_url, creds) = match (ex.kind, &ex.base_url) {
        (ExchangeKind::Sim, None) => {
            let mut sim_cfg = crate::paper::sim_config(&opts.sim, ex.request_timeout_ms);
            if ex.streams {
                // Nobody polls the tickers (each poll walks the market):
                // the market moves on a timer instead, once a tick.
                sim_cfg.walk_interval_ms = config.quoting.tick_interval_ms;
            }
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let sim = mm_sim::Sim::start(sim_cfg, addr)
                .await
                .map_err(StartupError::Simulator)?;
            let url = sim.base_url();
            eprintln!("mm: paper trading against the in-process simulator at {url}");
            (Venue::Embedded(sim), url, Credentials::paper())
        }
        (ExchangeKind::Sim, Some(url)) => (Venue::ExternalSim, url.clone(), Credentials::paper()),
        (ExchangeKind::Bybit, url) => {
            let url = url.clone().ok_or(StartupError::NoBaseUrl)?;
            let creds = Credentials::from_env().map_err(StartupError::from)?;
            (Venue::Bybit, url, creds)
        }
    };
    let client = Client::new(
        &base_url,
        creds.clone(),
        ex.recv_window_ms,
        ex.request_timeout_ms,
    )
    .map_err(StartupError::from)?;

    // Start-up: server time, instruments, config against them.
    match crate::market::check_server_time(&client, ex.recv_window_ms).await {
        Ok(offset) => tracing::info!("server time offset {offset} ms"),
        Err(e) if matches!(venue, Venue::Bybit) => return Err(StartupError::ServerTime(e).into()),
        Err(e) => tracing::warn!("{e}"),
    }
    let instruments =
        crate::market::fetch_instruments(&client, ex.category, &config.quoting.symbols)
            .await
            .map_err(StartupError::Instruments)?;
    crate::config_file::validate_for(&config, &instruments).map_err(StartupError::from)?;
    let (book_host, private) = if ex.streams {
        let private = super::private_feed::private_host(&venue, &base_url)?;
        (
            Some(super::book_feed::public_host(&venue, &base_url)?),
            Some((private, creds.clone())),
        )
    } else {
        (None, None)
    };
    let trade = match ex.order_transport {
        OrderTransport::Rest => None,
        OrderTransport::Ws => {
            Some(super::trade_link::connect(&venue, &base_url, creds, &config).await?)
        }
    };

    let start_ms = crate::now_ms();
    let sid = match &opts.session_id {
        // orderLinkIds are `<session>-<n>` and unique forever at Bybit: a reused
        // session id would collide with an earlier run's orders (110072).
        Some(_) if matches!(venue, Venue::Bybit) => {
            return Err(StartupError::SessionIdOnBybit.into());
        }
        Some(id) => id.clone(),
        None => session_id(start_ms),
    };
    let session = SessionId::new(&sid).map_err(StartupError::from)?;
    let journal_path = opts
        .journal
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/{sid}/journal.mmj")));
    let log_path = opts
        .log
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/{sid}/core.log")));
    let engine = Engine::new(config.clone(), instruments.clone(), session.clone())
        .map_err(StartupError::from)?;
    let journal = JournalWriter::create(
        &journal_path,
        &JournalHeader {
            session_id: session,
            config: config.clone(),
            instruments: instruments.clone(),
        },
        config.journal.rotate_mb.saturating_mul(1024 * 1024),
    )
    .map_err(StartupError::from)?;
    let log = LogWriter::create(&log_path).map_err(StartupError::from)?;
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
        let allow = config.metrics.allow_non_loopback;
        let bound = match crate::metrics::serve(metrics.clone(), &addr).await {
            Ok(b) => b,
            Err(e) if paper && opts.metrics_addr.is_none() => {
                tracing::warn!("{e}; paper mode serves them on a free port instead");
                crate::metrics::serve(metrics.clone(), "127.0.0.1:0")
                    .await
                    .map_err(StartupError::from)?
            }
            Err(e) => return Err(StartupError::from(e).into()),
        };
        if !bound.ip().is_loopback() {
            if !allow {
                // `localhost` resolved off loopback: refuse what the rule meant.
                return Err(StartupError::MetricsOffLoopback { addr, bound }.into());
            }
            tracing::warn!(
                "metrics served on {bound}, a non-loopback address (metrics.allow_non_loopback = true): anyone who can reach it can read them"
            );
        }
        eprintln!("mm: metrics on http://{bound}/metrics");
    }

    Ok(Started {
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
    })
}
