//! The Rust API (`mm_shell::quotes`): a session in paper mode driven by a
//! strategy in the same process, against the embedded simulator.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "../examples/ema_ladder.rs"]
mod ema_ladder;

use std::time::Duration;

use mm_core::config::QuoteSource;
use mm_core::input::{QuoteLevel, QuoteSet};
use mm_core::{Instrument, Ticks};
use mm_shell::quotes::SessionEvent;
use mm_shell::quoting;
use mm_shell::{RunOptions, SimOptions};
use tokio::sync::broadcast::Receiver;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The next event `want` picks, within 20 s.
async fn next<T>(
    events: &mut Receiver<SessionEvent>,
    mut want: impl FnMut(SessionEvent) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(e) => {
                    if let Some(t) = want(e) {
                        return t;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("events ended: {e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("event within 20 s")
}

#[test]
fn the_example_strategy_quotes_in_paper_mode_and_ends_clean() {
    let dir = tempfile::tempdir().unwrap();
    let summary = runtime()
        .block_on(ema_ladder::run(3, Some(dir.path().to_path_buf())))
        .unwrap();
    assert!(summary.stopped, "{summary:?}");
    assert!(summary.ticks >= 5, "{summary:?}");
    assert!(summary.external_quote_sets >= 4 * 5, "{summary:?}");
    assert_eq!(summary.refused_quote_sets, 0, "{summary:?}");
    assert!(
        summary.commands_by_op.get("place").copied().unwrap_or(0) > 0,
        "{summary:?}"
    );
    assert_eq!(summary.open_orders_exchange, Some(0), "{summary:?}");
    // Driven from outside, replayed byte-identical from its journal.
    let out = common::run(
        {
            let mut c = common::mm();
            c.arg("replay").arg(dir.path().join("journal.mmj"));
            c
        },
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let live = std::fs::read_to_string(dir.path().join("core.log")).unwrap();
    assert_eq!(out.stdout, live, "replayed log differs from the live one");
}

fn level(inst: &Instrument, ticks: i64, lots: i64) -> QuoteLevel {
    QuoteLevel {
        price: inst.price_string(Ticks(ticks)).into(),
        qty: inst.qty_string(mm_core::Lots(lots)).into(),
    }
}

#[test]
fn pushed_sets_are_quoted_bad_ones_refused_and_stop_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let mut config = mm_shell::paper::config(SimOptions::default().tier);
        config.quoting.source = QuoteSource::External;
        config.quoting.levels = 2;
        let mut s = quoting::start(RunOptions {
            config: Some(config),
            journal: Some(dir.path().join("j.mmj")),
            log: Some(dir.path().join("core.log")),
            metrics_addr: Some("off".to_string()),
            status_every_ms: 2000,
            quiet: true,
            ..RunOptions::default()
        });
        let insts = next(&mut s.events, |e| match e {
            SessionEvent::Started { instruments, .. } => Some(instruments),
            _ => None,
        })
        .await;
        let btc = insts
            .iter()
            .find(|i| i.symbol == "BTCUSDT")
            .unwrap()
            .clone();
        let book = next(&mut s.events, |e| match e {
            SessionEvent::Books { books } => books.into_iter().find(|b| b.symbol == "BTCUSDT"),
            _ => None,
        })
        .await;
        let bid = btc.price_ticks(&book.bid.parse().unwrap()).unwrap().0;
        let ask = btc.price_ticks(&book.ask.parse().unwrap()).unwrap().0;
        // Far from the book: nothing fills while the test looks.
        let good = QuoteSet {
            symbol: "BTCUSDT".into(),
            bids: vec![level(&btc, bid - 500, 1), level(&btc, bid - 510, 3)],
            asks: vec![level(&btc, ask + 500, 2)],
        };
        let id = s.quoter.push(good.clone());
        next(&mut s.events, |e| match e {
            SessionEvent::Accepted { id: Some(i), .. } if i == id => Some(()),
            SessionEvent::Refused {
                id: Some(i),
                reason,
                ..
            } if i == id => panic!("{reason}"),
            _ => None,
        })
        .await;
        // A tick shows them resting, at their prices and sizes.
        let want = |orders: &[mm_core::engine::OrderView]| {
            let mut got: Vec<(String, String)> = orders
                .iter()
                .filter(|o| o.symbol == "BTCUSDT" && o.state == mm_core::OrderState::Live)
                .map(|o| (o.price.clone(), o.qty.clone()))
                .collect();
            got.sort();
            got
        };
        let mut expected: Vec<(String, String)> = good
            .bids
            .iter()
            .chain(&good.asks)
            .map(|l| (l.price.to_string(), l.qty.to_string()))
            .collect();
        expected.sort();
        next(&mut s.events, |e| match e {
            SessionEvent::Tick { orders, .. } if want(&orders) == expected => Some(()),
            _ => None,
        })
        .await;
        // Bad sets: refused with the field named; the orders stay.
        let mut off_grid = good.clone();
        off_grid.bids[0].price = format!("{}.05", book.bid.split('.').next().unwrap()).into();
        let mut crossed = good.clone();
        crossed.asks[0] = level(&btc, bid - 600, 1);
        let mut too_many = good.clone();
        too_many.asks = vec![
            level(&btc, ask + 500, 1),
            level(&btc, ask + 501, 1),
            level(&btc, ask + 502, 1),
        ];
        for (set, why) in [
            (off_grid, "bids[0].price"),
            (crossed, "crossed"),
            (too_many, "asks: 3 levels, more than quoting.levels = 2"),
        ] {
            let id = s.quoter.push(set);
            let reason = next(&mut s.events, |e| match e {
                SessionEvent::Refused {
                    id: Some(i),
                    reason,
                    ..
                } if i == id => Some(reason),
                SessionEvent::Accepted { id: Some(i), .. } if i == id => panic!("accepted: {why}"),
                _ => None,
            })
            .await;
            assert!(reason.contains(why), "{reason}");
        }
        // Still resting as pushed (the last good set is the latest accepted).
        s.quoter.push(good.clone());
        next(&mut s.events, |e| match e {
            SessionEvent::Tick { orders, .. } if want(&orders) == expected => Some(()),
            _ => None,
        })
        .await;
        s.quoter.stop();
        next(&mut s.events, |e| {
            matches!(e, SessionEvent::Stopped).then_some(())
        })
        .await;
        let summary = s.done.await.unwrap().unwrap();
        assert_eq!(summary.refused_quote_sets, 3, "{summary:?}");
        assert!(summary.external_quote_sets >= 2, "{summary:?}");
        assert_eq!(summary.open_orders_exchange, Some(0), "{summary:?}");
    });
}
