//! A strategy of its own, quoting through mm-batch's Rust API against the
//! embedded simulator (paper mode):
//!
//! ```text
//! cargo run --release -p mm-shell --example ema_ladder -- [SECONDS]
//! ```
//!
//! Each symbol's ladder is centred on a moving average of its mid rather
//! than on the mid itself, so it leans against short moves; sizes grow by
//! level. The strategy only says what it wants resting; mm-batch diffs it
//! against the orders, batches, budgets and settles, as for its own ladder.
//! All prices in whole ticks (integers): no float ever becomes a price.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mm_core::config::QuoteSource;
use mm_core::input::{QuoteLevel, QuoteSet};
use mm_core::{BookTop, Instrument, Lots, Ticks};
use mm_shell::quotes::SessionEvent;
use mm_shell::quoting;
use mm_shell::{RunOptions, RunSummary, SimOptions};

/// Levels a side, the spread between the best quotes and the step between
/// levels (bps of the average), and how fast the average follows the mid.
const LEVELS: usize = 3;
const SPREAD_BPS: i128 = 10;
const STEP_BPS: i128 = 5;
/// The average moves 1/FOLLOW of the way to each new mid.
const FOLLOW: i128 = 5;

/// The strategy's state: per symbol, its instrument and the average mid
/// (in ticks, times 1000 so that small moves are not lost to rounding).
#[derive(Default)]
pub(crate) struct EmaLadder {
    instruments: BTreeMap<String, Instrument>,
    average: BTreeMap<String, i128>,
}

impl EmaLadder {
    pub(crate) fn new(instruments: &[Instrument]) -> EmaLadder {
        EmaLadder {
            instruments: instruments
                .iter()
                .map(|i| (i.symbol.clone(), i.clone()))
                .collect(),
            average: BTreeMap::new(),
        }
    }

    /// The sets to push for one tick's books.
    pub(crate) fn on_books(&mut self, books: &[BookTop]) -> Vec<QuoteSet> {
        books.iter().filter_map(|b| self.quote(b)).collect()
    }

    fn quote(&mut self, book: &BookTop) -> Option<QuoteSet> {
        let inst = self.instruments.get(book.symbol.as_str())?;
        let ticks = |p: &str| Some(i128::from(inst.price_ticks(&p.parse().ok()?)?.0));
        let (bid, ask) = (ticks(&book.bid)?, ticks(&book.ask)?);
        let mid_k = (bid + ask) * 500;
        let avg = self.average.entry(book.symbol.to_string()).or_insert(mid_k);
        *avg += (mid_k - *avg) / FOLLOW;
        let centre = *avg / 1000;
        let min_lots = inst.qty_lots(&inst.min_qty).map_or(1, |l| l.0);
        let price = |t: i128| -> Option<String> {
            Some(inst.price_string(Ticks(i64::try_from(t).ok()?.max(1))))
        };
        let level = |t: i128, i: usize| -> Option<QuoteLevel> {
            let lots = Lots(min_lots * (i as i64 + 1));
            Some(QuoteLevel {
                price: price(t)?.into(),
                qty: inst.qty_string(lots).into(),
            })
        };
        let mut bids = Vec::new();
        let mut asks = Vec::new();
        for i in 0..LEVELS {
            let off =
                (centre * (SPREAD_BPS + 2 * STEP_BPS * i as i128) / 20_000).max(1 + i as i128);
            // Never through the book: quotes are post-only.
            bids.push(level((centre - off).min(bid - i as i128), i)?);
            asks.push(level((centre + off).max(ask + i as i128), i)?);
        }
        Some(QuoteSet {
            symbol: book.symbol.clone(),
            bids,
            asks,
        })
    }
}

/// Runs the strategy in paper mode for `seconds`, then stops cleanly.
/// `dir`: where the journal and log go (default `runs/<session>/`).
pub(crate) async fn run(seconds: u64, dir: Option<PathBuf>) -> Result<RunSummary, String> {
    let mut config = mm_shell::paper::config(SimOptions::default().tier);
    config.quoting.source = QuoteSource::External;
    config.quoting.levels = LEVELS as u32;
    let mut session = quoting::start(RunOptions {
        config: Some(config),
        journal: dir.as_ref().map(|d| d.join("journal.mmj")),
        log: dir.as_ref().map(|d| d.join("core.log")),
        metrics_addr: Some("off".to_string()),
        status_every_ms: 2000,
        quiet: true,
        ..RunOptions::default()
    });
    let stop_at = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut strategy = EmaLadder::default();
    let (mut accepted, mut refused, mut ticks) = (0u64, 0u64, 0u64);
    loop {
        let event = tokio::select! {
            e = session.events.recv() => e,
            () = tokio::time::sleep_until(stop_at) => break,
        };
        match event {
            Ok(SessionEvent::Started { instruments, .. }) => {
                strategy = EmaLadder::new(&instruments)
            }
            Ok(SessionEvent::Books { books }) => {
                for set in strategy.on_books(&books) {
                    session.quoter.push(set);
                }
            }
            Ok(SessionEvent::Accepted { .. }) => accepted += 1,
            Ok(SessionEvent::Refused { symbol, reason, .. }) => {
                refused += 1;
                eprintln!("ema_ladder: {symbol} refused: {reason}");
            }
            Ok(SessionEvent::Tick { stats, orders, .. }) => {
                ticks += 1;
                if ticks % 25 == 0 {
                    eprintln!(
                        "ema_ladder: tick {}: {} orders live, {} requests",
                        stats.tick,
                        orders.len(),
                        stats.requests.values().sum::<u64>()
                    );
                }
            }
            Ok(SessionEvent::Stopped) => break,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        }
    }
    session.quoter.stop();
    let summary = session
        .done
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    eprintln!(
        "ema_ladder: {accepted} sets accepted, {refused} refused, {} ticks; open orders at exit: {:?}",
        summary.ticks, summary.open_orders_exchange
    );
    Ok(summary)
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    let seconds = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    if let Err(e) = run(seconds, None).await {
        eprintln!("ema_ladder: {e}");
        std::process::exit(1);
    }
}
