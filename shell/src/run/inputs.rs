//! The loop's inputs from the outside world, each on its own task: market
//! data, config reloads, signals. The tasks only feed channels; the loop
//! reads them one input at a time.
//!
//! Market data is timer-driven either way: every tick interval the market
//! task hands the loop one tick's books, polled over REST
//! (`exchange.streams = false`), or taken from the public book stream with
//! REST polling only for the symbols the stream lacks (`book_feed`).

use std::sync::Arc;
use std::time::Duration;

use mm_core::{BookTop, Config, Instrument};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::book_feed::{FIRST_BOOKS_WITHIN, Feed};
use super::{RunOptions, StartupError};
use crate::client::Client;
use crate::config_file::Watcher;
use crate::metrics::Metrics;

/// One market-data poll, as the loop gets it.
#[derive(Debug)]
pub(super) enum MarketData {
    Books(Vec<BookTop>),
    /// The stream's books; the REST poll for the rest failed (why).
    Partial(Vec<BookTop>, String),
    /// The poll failed (why): core still gets a tick, without books, and
    /// decides what missing books mean.
    Failed(String),
}

/// The receiving ends the loop selects over, and the tasks to stop after it.
pub(super) struct Inputs {
    pub(super) tick_rx: mpsc::Receiver<MarketData>,
    pub(super) cfg_rx: mpsc::Receiver<Config>,
    pub(super) sig_rx: Option<mpsc::Receiver<&'static str>>,
    /// Tells the market task a reloaded config changed the tick interval.
    pub(super) interval_tx: watch::Sender<u64>,
    pub(super) ticker: JoinHandle<()>,
    pub(super) watcher_task: Option<JoinHandle<()>>,
}

/// SIGINT / SIGTERM and SIGHUP, listened to from the start of `mm run`.
pub(super) struct Signals {
    pub(super) stop: mpsc::Receiver<&'static str>,
    pub(super) hup: mpsc::Receiver<()>,
}

impl Signals {
    pub(super) fn listen() -> Result<Signals, crate::signals::SignalError> {
        Ok(Signals {
            stop: crate::signals::stop_signals()?,
            hup: crate::signals::hangups()?,
        })
    }
}

/// Where the market task takes books from.
pub(super) struct Books {
    /// The public stream's host (`exchange.streams = true`); `None`: REST only.
    pub(super) host: Option<String>,
    pub(super) metrics: Arc<Metrics>,
}

/// Spawns the input tasks. `config_text` is the config file's text as loaded:
/// without it (a config given in-process) there is nothing to watch.
pub(super) fn spawn(
    opts: &RunOptions,
    client: &Client,
    config: &Config,
    config_text: Option<String>,
    instruments: &[Instrument],
    signals: Option<Signals>,
    books: Books,
) -> Result<Inputs, StartupError> {
    let (tick_tx, tick_rx) = mpsc::channel(2);
    let (interval_tx, interval_rx) = watch::channel(config.quoting.tick_interval_ms);
    let symbols: Vec<String> = instruments.iter().map(|i| i.symbol.clone()).collect();
    let category = config.exchange.category;
    let feed = match &books.host {
        Some(host) => {
            let feed = Feed::start(host, category, &symbols, config.quoting.max_book_age_ms / 2)?;
            if !opts.quiet {
                eprintln!(
                    "mm: books from the public order book stream at {host} (exchange.streams = true; REST polling only for what it lacks)"
                );
            }
            Some(feed)
        }
        None => None,
    };
    let market = Market {
        client: client.clone(),
        category,
        symbols,
        feed,
        metrics: books.metrics,
    };
    let ticker = tokio::spawn(market_task(market, interval_rx, tick_tx));
    let (cfg_tx, cfg_rx) = mpsc::channel(4);
    let mut watcher_task = None;
    let (sig_rx, hup_rx) = match signals {
        Some(s) => (Some(s.stop), Some(s.hup)),
        None => (None, None),
    };
    if let (Some(path), Some(text)) = (&opts.config_path, config_text) {
        let watcher = Watcher {
            path: path.clone(),
            poll: Duration::from_millis(opts.reload_poll_ms.max(10)),
            last_text: text,
            running: config.clone(),
            instruments: instruments.to_vec(),
            problems: None,
            too_big: false,
        };
        let hup = hup_rx.unwrap_or_else(|| mpsc::channel(1).1);
        watcher_task = Some(tokio::spawn(watcher.run(cfg_tx, hup)));
    }
    Ok(Inputs {
        tick_rx,
        cfg_rx,
        sig_rx,
        interval_tx,
        ticker,
        watcher_task,
    })
}

/// The market task's sources.
struct Market {
    client: Client,
    category: mm_core::Category,
    symbols: Vec<String>,
    feed: Option<Feed>,
    metrics: Arc<Metrics>,
}

impl Market {
    /// One tick's books. With the stream: its books, and a REST poll of
    /// the symbols it lacks (stream events are applied meanwhile).
    async fn books(&mut self) -> MarketData {
        let Some(feed) = self.feed.as_mut() else {
            return poll(&self.client, self.category, &self.symbols).await;
        };
        let rest = feed.books.fallback(crate::now_ms(), &self.metrics);
        if rest.is_empty() {
            return MarketData::Books(feed.books.tops_except(&rest));
        }
        let polled = crate::market::fetch_books(&self.client, self.category, &rest);
        tokio::pin!(polled);
        let polled = loop {
            tokio::select! {
                r = &mut polled => break r,
                Some(ev) = feed.rx.recv() => feed.books.on_event(ev, &self.metrics),
            }
        };
        let mut books = feed.books.tops_except(&rest);
        match polled {
            Ok(b) => {
                books.extend(b);
                MarketData::Books(books)
            }
            Err(e) if books.is_empty() => MarketData::Failed(e.to_string()),
            Err(e) => MarketData::Partial(books, e.to_string()),
        }
    }

    /// Applies the stream's next event; pends forever without a stream.
    async fn next_event(&mut self) {
        match self.feed.as_mut() {
            Some(feed) => match feed.rx.recv().await {
                Some(ev) => feed.books.on_event(ev, &self.metrics),
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }
}

async fn poll(client: &Client, category: mm_core::Category, symbols: &[String]) -> MarketData {
    match crate::market::fetch_books(client, category, symbols).await {
        Ok(books) => MarketData::Books(books),
        Err(e) => MarketData::Failed(e.to_string()),
    }
}

/// Hands the loop one tick's market data every tick interval (sequentially:
/// a slow poll delays the next, never overlaps it): the books, or the
/// failure: a failed poll is a tick too, so core learns of it and the
/// journal records it. With the book stream, the first tick waits (bounded)
/// for every symbol's first snapshot, so a session starts on stream books.
///
/// A new interval arrives on `interval_rx` once the tick that applied it has
/// begun (the loop sends it then), so the next poll is due one new interval
/// after the last poll. Switching at once instead would add a poll on the
/// old cadence while the first tick of a slower config is still in flight.
async fn market_task(
    mut market: Market,
    mut interval_rx: watch::Receiver<u64>,
    tx: mpsc::Sender<MarketData>,
) {
    if let Some(feed) = market.feed.as_mut() {
        feed.first_books(&market.metrics, FIRST_BOOKS_WITHIN).await;
    }
    let every = |ms: u64| Duration::from_millis(ms.max(1));
    let mut period = every(*interval_rx.borrow_and_update());
    let mut last_poll = tokio::time::Instant::now();
    let mut interval = tokio::time::interval_at(last_poll, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = market.next_event() => continue,
            changed = interval_rx.changed() => {
                if changed.is_err() {
                    return; // the loop is gone
                }
                period = every(*interval_rx.borrow_and_update());
                interval = tokio::time::interval_at(last_poll + period, period);
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                continue;
            }
        }
        last_poll = tokio::time::Instant::now();
        let data = market.books().await;
        if tx.send(data).await.is_err() {
            return;
        }
    }
}
