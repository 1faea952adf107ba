//! Resync on every private stream (re)connect and REST reconcile while it
//! is down (engine/resync.rs); the settle of a create that filled
//! (engine/settle.rs, the closed orders asked once the stream was up).
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::input::{ExchangeOrder, Execution, Listing, ListingRows, Reply, Stream};
use mm_core::virtual_exchange::{Driver, Scenario};
use mm_core::{Engine, Input, Outcome, Request, RequestKind, Side, Timestamp};

/// The seed scenario past recovery with its first ladder live, books that
/// never move, every request kept.
fn quoting(tweak: impl FnOnce(&mut mm_core::Config)) -> (Scenario, Driver) {
    common::quoting_seed("r", tweak)
}

fn stream(d: &mut Driver, stream: Stream, up: bool) {
    let now = d.now;
    d.feed(Input::StreamState {
        now_ms: now,
        stream,
        up,
    });
}

/// (endpoint, symbol) of every request from the `from`-th on.
fn asked(d: &Driver, from: usize) -> Vec<(&'static str, String)> {
    d.requests[from..]
        .iter()
        .map(|r| {
            let sym = common::symbols(r).first().cloned().unwrap_or_default();
            (r.kind.endpoint().name(), sym)
        })
        .collect()
}

#[test]
fn every_private_connect_asks_for_open_orders_executions_and_positions() {
    let (_, mut d) = quoting(|_| {});
    let before = d.requests.len();
    stream(&mut d, Stream::Public, true);
    d.run_idle(5_000);
    assert_eq!(d.requests.len(), before, "a public stream asks nothing");

    stream(&mut d, Stream::Private, true);
    d.run_idle(5_000);
    let mut want = Vec::new();
    for sym in ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"] {
        for ep in ["open_orders", "execution_list", "position_list"] {
            want.push((ep, sym.to_string()));
        }
    }
    let mut got = asked(&d, before);
    got.sort();
    want.sort();
    assert_eq!(got, want, "{}", d.log);
    assert_eq!(d.engine.fill_totals().resyncs, 1);
    // Nothing of ours ended unseen: still 40 live, nothing unknown.
    assert_eq!(d.engine.order_counts().live, 40);

    // An execution seen, the stream lost and back: the executions are
    // asked from that execution's time.
    let o = d.engine.orders()[0].clone();
    d.feed(Input::Executions {
        now_ms: d.now,
        executions: vec![Execution {
            symbol: o.symbol.as_str().into(),
            order_id: o.order_id.as_str().into(),
            order_link_id: o.order_link_id.as_str().into(),
            side: o.side.wire().into(),
            exec_id: "x1".into(),
            exec_price: o.price.as_str().into(),
            exec_qty: "0.0001".into(),
            exec_type: "Trade".into(),
            leaves_qty: "".into(),
            exec_time: "1700000000123".into(),
            is_maker: true,
            seq: 1,
        }],
    });
    stream(&mut d, Stream::Private, false);
    let before = d.requests.len();
    stream(&mut d, Stream::Private, true);
    d.run_idle(5_000);
    assert_eq!(d.requests.len() - before, 12, "{}", d.log);
    assert_eq!(d.engine.fill_totals().resyncs, 2);
    let since: Vec<Option<u64>> = d.requests[before..]
        .iter()
        .filter_map(|r| match &r.kind {
            RequestKind::ExecutionList { start_time, .. } => Some(*start_time),
            _ => None,
        })
        .collect();
    assert_eq!(since, vec![Some(1_700_000_000_123); 4]);
}

#[test]
fn an_order_that_ended_while_the_stream_was_away_is_found_and_settled() {
    let (sc, mut d) = quoting(|_| {});
    stream(&mut d, Stream::Private, true);
    d.run_idle(5_000);
    stream(&mut d, Stream::Private, false);
    // Filled while nobody listened: the exchange closed it.
    let o = d
        .engine
        .orders()
        .into_iter()
        .find(|o| o.symbol == "SOLUSDT" && o.side == Side::Sell)
        .unwrap();
    assert!(d.exchange.close(&o.order_link_id, "Filled"));
    stream(&mut d, Stream::Private, true);
    d.run_idle(5_000);
    assert!(
        d.log
            .contains("resync SOLUSDT: 1 orders of ours no longer open: unknown, settling"),
        "{}",
        d.log
    );
    assert_eq!(
        d.engine.totals().gone_by_reason.get("filled"),
        Some(&1),
        "{}",
        d.log
    );
    // Its level is quoted again at the next tick.
    let books = sc.books(0, d.now);
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    d.run_idle(5_000);
    assert_eq!(d.engine.order_counts().live, 40, "{}", d.log);
}

#[test]
fn while_the_private_stream_is_down_open_orders_are_listed_every_interval() {
    let (_, mut d) = quoting(|c| c.exchange.reconcile_interval_ms = 500);
    let listings = |d: &Driver, from: usize| {
        d.requests[from..]
            .iter()
            .filter(|r| matches!(r.kind, RequestKind::OpenOrders { .. }))
            .count()
    };
    // Down before it was ever up: nothing to reconcile (REST-only as before).
    let before = d.requests.len();
    stream(&mut d, Stream::Private, false);
    d.run_until(d.now.plus_ms(2_000));
    assert_eq!(listings(&d, before), 0);

    stream(&mut d, Stream::Private, true);
    d.run_idle(5_000);
    let before = d.requests.len();
    let t = d.now;
    stream(&mut d, Stream::Private, false);
    assert!(
        d.log
            .contains("private stream down: open orders reconciled over REST every 500 ms")
    );
    d.run_until(t.plus_ms(499));
    assert_eq!(listings(&d, before), 0);
    d.run_until(t.plus_ms(500));
    assert_eq!(listings(&d, before), 4, "one per symbol at +500\n{}", d.log);
    d.run_until(t.plus_ms(1_600));
    assert_eq!(listings(&d, before), 12, "and again at +1000 and +1500");
    // Back up: a resync, then no more reconciling.
    stream(&mut d, Stream::Private, true);
    d.run_idle(5_000);
    let after = d.requests.len();
    d.run_until(d.now.plus_ms(5_000));
    assert_eq!(d.requests.len(), after, "{}", d.log);
    assert_eq!(d.engine.order_counts().live, 40);
}

/// An engine past recovery; `answer` answers each request it sends, until
/// none is left.
fn drive(
    e: &mut Engine,
    first: Input,
    answer: &mut dyn FnMut(&Request) -> Outcome,
) -> Vec<Request> {
    let mut all = Vec::new();
    let mut queue = common::sends(&common::handle(e, first));
    let mut now = 1_000u64;
    while let Some(r) = queue.first().cloned() {
        queue.remove(0);
        now += 10;
        let outcome = answer(&r);
        all.push(r.clone());
        let out = common::handle(
            e,
            Input::Response {
                now_ms: Timestamp(now),
                request_id: r.id,
                outcome,
            },
        );
        queue.extend(common::sends(&out));
    }
    all
}

/// Empty listings and empty open orders: an account with nothing.
fn nothing(r: &Request) -> Outcome {
    match &r.kind {
        RequestKind::ExecutionList { .. } => Outcome::Listing(Listing {
            rows: ListingRows::Executions(vec![]),
            next_cursor: None,
            rate_limit: None,
        }),
        RequestKind::PositionList { .. } => Outcome::Listing(Listing {
            rows: ListingRows::Positions(vec![]),
            next_cursor: None,
            rate_limit: None,
        }),
        _ => Outcome::Reply(Reply::default()),
    }
}

/// The seed scenario's first tick: its create-batch answered by a timeout
/// (every create unknown), then settle queries answered by `settle`.
fn filled_creates(stream_up: bool) -> (Engine, Vec<Request>) {
    let sc = Scenario::seed();
    let mut e = common::engine(&sc);
    if stream_up {
        drive(
            &mut e,
            Input::StreamState {
                now_ms: Timestamp(500),
                stream: Stream::Private,
                up: true,
            },
            &mut nothing,
        );
    }
    let mut first_batch = true;
    let mut answer = |r: &Request| match &r.kind {
        RequestKind::PlaceBatch { .. } if first_batch => {
            first_batch = false;
            Outcome::Timeout
        }
        RequestKind::OpenOrders {
            order_link_id: Some(link),
            symbol,
            open_only,
            ..
        } => {
            // The create landed and filled at once: not open, closed Filled.
            let link = common::link(link);
            let orders = if *open_only {
                vec![ExchangeOrder {
                    order_id: format!("id-{link}").into(),
                    order_link_id: link.into(),
                    symbol: common::symbol(*symbol).into(),
                    side: "Buy".into(),
                    price: "1".into(),
                    qty: "1".into(),
                    leaves_qty: "0".into(),
                    status: "Filled".into(),
                    reject_reason: "EC_NoError".into(),
                }]
            } else {
                vec![]
            };
            Outcome::Reply(Reply {
                orders,
                ..Reply::default()
            })
        }
        _ => common::ok(r),
    };
    let sent = drive(
        &mut e,
        Input::Tick {
            now_ms: Timestamp(1_000),
            books: sc.books(0, Timestamp(1_000)),
        },
        &mut answer,
    );
    (e, sent)
}

#[test]
fn a_create_that_landed_and_filled_is_settled_filled_not_never_created() {
    let (e, sent) = filled_creates(true);
    let gone = &e.totals().gone_by_reason;
    assert_eq!(gone.get("never_created"), None, "{gone:?}");
    assert_eq!(gone.get("filled"), Some(&20), "{gone:?}");
    let closed_queries = sent
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                RequestKind::OpenOrders {
                    open_only: true,
                    ..
                }
            )
        })
        .count();
    assert_eq!(closed_queries, 20);
}

#[test]
fn without_the_private_stream_settling_asks_open_orders_only_as_before() {
    let (e, sent) = filled_creates(false);
    assert!(sent.iter().all(|r| !matches!(
        r.kind,
        RequestKind::OpenOrders {
            open_only: true,
            ..
        }
    )));
    assert!(sent.iter().all(|r| !matches!(
        r.kind,
        RequestKind::ExecutionList { .. } | RequestKind::PositionList { .. }
    )));
    // Still unknown: "not found yet", asked again until the recv window passes.
    assert_eq!(e.totals().gone_by_reason.get("filled"), None);
    assert_eq!(e.order_counts().unknown, 20);
}
