//! Helpers for driving an `Engine` by hand: build it, drain it, answer it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use mm_core::config::Config;
use mm_core::effect::{Effect, Request, RequestKind};
use mm_core::input::{Ack, ItemCode, Outcome, Reply};
use std::collections::BTreeMap;

use std::cell::RefCell;
use std::sync::Arc;

use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{BookTop, Engine, Input, OrderState, SessionId, TickStats, Timestamp, WireNames};

thread_local! {
    /// The wire names of the engine this test (thread) drives, so the
    /// helpers below can write a request's symbols and orderLinkIds as the
    /// exchange sees them: set by `handle` (every helper that feeds an
    /// engine goes through it) and by `remember_names`.
    static NAMES: RefCell<Option<Arc<WireNames>>> = const { RefCell::new(None) };
}

/// Makes `e`'s names the ones `links`, `symbols` and `ok` write with.
pub fn remember_names(e: &Engine) {
    NAMES.with(|n| *n.borrow_mut() = Some(Arc::clone(e.wire_names())));
}

fn names() -> Arc<WireNames> {
    NAMES
        .with(|n| n.borrow().clone())
        .expect("no engine's names on this test thread: call common::remember_names(&engine) first")
}

pub fn engine(sc: &Scenario) -> Engine {
    engine_with(sc, |_| {})
}

/// The engine past start-up recovery at 0 (an empty account: every listing
/// answered with no order), ready to quote.
pub fn engine_with(sc: &Scenario, tweak: impl FnOnce(&mut Config)) -> Engine {
    let mut config = sc.config.clone();
    tweak(&mut config);
    let e = Engine::new(config, sc.instruments.clone(), SessionId::new("t").unwrap()).unwrap();
    recovered(e)
}

/// `settling_seed` on a driver (latency 10 ms) past recovery, faults
/// scripted by `script(exchange)`, every effect and request kept.
pub fn scripted_seed(
    session: &str,
    tweak: impl FnOnce(&mut Config),
    script: impl FnOnce(&mut VirtualExchange),
) -> (Scenario, Driver) {
    let (sc, engine, mut vx) = settling_seed(session, tweak);
    script(&mut vx);
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    remember_names(&d.engine);
    recover(&mut d);
    d.keep_effects = true;
    d.keep_requests = true;
    (sc, d)
}

/// The seed scenario past recovery with its first ladder live (40 orders),
/// on books that never move, every request kept.
pub fn quoting_seed(session: &str, tweak: impl FnOnce(&mut Config)) -> (Scenario, Driver) {
    let (sc, mut d) = scripted_seed(session, tweak, |_| {});
    let books = sc.books(0, d.now);
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    d.run_idle(5_000);
    assert_eq!(d.engine.order_counts().live, 40, "{}", d.log);
    (sc, d)
}

/// Runs the driven engine's start-up recovery (a wake at its clock) to its
/// end, before any tick.
pub fn recover(d: &mut Driver) {
    let now = d.now;
    d.feed(Input::Wake { now_ms: now });
    d.run_idle(10_000);
    assert!(d.log.contains("recovery done"), "{}", d.log);
}

/// Runs start-up recovery on an empty account at time 0.
pub fn recovered(mut e: Engine) -> Engine {
    let out = handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(0),
        },
    );
    let listings = sends(&out);
    assert!(
        listings
            .iter()
            .all(|r| matches!(r.kind, RequestKind::OpenOrders { .. })),
        "{listings:?}"
    );
    let out = answer_all(&mut e, 0, listings);
    assert!(logs(&out).contains("recovery done"), "{}", logs(&out));
    e
}

/// The seed scenario with books that stay fresh while orders settle (the
/// live orders are what is compared with the exchange), `tweak`ed, with its
/// engine (session `session`) and a virtual exchange at its rate limits.
pub fn settling_seed(
    session: &str,
    tweak: impl FnOnce(&mut Config),
) -> (Scenario, Engine, VirtualExchange) {
    let mut sc = Scenario::seed();
    sc.config.quoting.max_book_age_ms = 3_600_000;
    tweak(&mut sc.config);
    let engine = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new(session).unwrap(),
    )
    .unwrap();
    let vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    (sc, engine, vx)
}

/// The seed scenario quoted at 0 (books received at 0), every reply OK:
/// 40 orders live.
pub fn started(sc: &Scenario) -> Engine {
    let mut e = engine(sc);
    let out = tick(&mut e, 0, sc.books(0, Timestamp(0)));
    answer_all(&mut e, 5, sends(&out));
    assert_eq!(e.order_counts().live, 40);
    e
}

pub fn handle(e: &mut Engine, input: Input) -> Vec<Effect> {
    remember_names(e);
    e.handle(input);
    std::iter::from_fn(|| e.poll_effect()).collect()
}

pub fn tick(e: &mut Engine, now: u64, books: Vec<BookTop>) -> Vec<Effect> {
    handle(
        e,
        Input::Tick {
            now_ms: Timestamp(now),
            books,
        },
    )
}

pub fn sends(effects: &[Effect]) -> Vec<Request> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

pub fn tick_done(effects: &[Effect]) -> Vec<TickStats> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::TickDone(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The most order units `effects` sent on one endpoint within any rolling
/// second (a batch's orders count one each; a request's time is the last
/// log line's before it), with that endpoint and the second's start.
pub fn busiest_second(effects: &[Effect]) -> Option<(u64, mm_core::effect::Endpoint, u64)> {
    let mut spends = Vec::new();
    let mut now = 0;
    for e in effects {
        match e {
            Effect::Log(l) => now = l.t_ms,
            Effect::Send(r) => {
                let n = match &r.kind {
                    RequestKind::PlaceBatch { orders, .. } => orders.len(),
                    RequestKind::CancelBatch { orders, .. } => orders.len(),
                    RequestKind::AmendBatch { orders, .. } => orders.len(),
                    _ => 1,
                };
                spends.push((now, r.kind.endpoint(), n as u64));
            }
            _ => {}
        }
    }
    spends
        .iter()
        .enumerate()
        .map(|(i, &(t0, ep, _))| {
            let used = spends[i..]
                .iter()
                .filter(|(t, e, _)| *e == ep && *t < t0 + 1000)
                .map(|(_, _, n)| n)
                .sum();
            (used, ep, t0)
        })
        .max_by_key(|&(used, _, t0)| (used, std::cmp::Reverse(t0)))
}

pub fn logs(effects: &[Effect]) -> String {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Log(l) => Some(l.render() + "\n"),
            _ => None,
        })
        .collect()
}

/// The orderLinkIds a request carries, in order.
pub fn links(r: &Request) -> Vec<String> {
    let n = names();
    match &r.kind {
        RequestKind::PlaceBatch { orders, .. } => {
            orders.iter().map(|o| n.link(&o.order_link_id)).collect()
        }
        RequestKind::AmendBatch { orders, .. } => {
            orders.iter().map(|o| n.link(&o.order_link_id)).collect()
        }
        RequestKind::CancelBatch { orders, .. } => {
            orders.iter().map(|o| n.link(&o.order_link_id)).collect()
        }
        RequestKind::Place { order, .. } => vec![n.link(&order.order_link_id)],
        RequestKind::Amend { order, .. } => vec![n.link(&order.order_link_id)],
        RequestKind::Cancel { order, .. } => vec![n.link(&order.order_link_id)],
        RequestKind::CancelAll { .. }
        | RequestKind::OpenOrders { .. }
        | RequestKind::ExecutionList { .. }
        | RequestKind::PositionList { .. } => vec![],
    }
}

/// A request's orderLinkId as the exchange sees it.
pub fn link(l: &mm_core::OrderLinkId) -> String {
    names().link(l)
}

/// A request's symbol by name.
pub fn symbol(s: mm_core::SymbolId) -> String {
    names().symbol(s).to_string()
}

/// The symbols a request's orders are for, in order.
pub fn symbols(r: &Request) -> Vec<String> {
    let ids = match &r.kind {
        RequestKind::PlaceBatch { orders, .. } => orders.iter().map(|o| o.symbol).collect(),
        RequestKind::AmendBatch { orders, .. } => orders.iter().map(|o| o.symbol).collect(),
        RequestKind::CancelBatch { orders, .. } => orders.iter().map(|o| o.symbol).collect(),
        RequestKind::Place { order, .. } => vec![order.symbol],
        RequestKind::Amend { order, .. } => vec![order.symbol],
        RequestKind::Cancel { order, .. } => vec![order.symbol],
        RequestKind::CancelAll { symbol, .. }
        | RequestKind::OpenOrders { symbol, .. }
        | RequestKind::ExecutionList { symbol, .. }
        | RequestKind::PositionList { symbol, .. } => vec![*symbol],
    };
    ids.into_iter().map(symbol).collect()
}

/// Every order of the request accepted.
pub fn ok(r: &Request) -> Outcome {
    let ls = links(r);
    let acks: Vec<Ack> = ls
        .iter()
        .map(|l| Ack {
            order_id: format!("id-{l}").into(),
            order_link_id: l.as_str().into(),
        })
        .collect();
    let batch = matches!(
        r.kind,
        RequestKind::PlaceBatch { .. }
            | RequestKind::AmendBatch { .. }
            | RequestKind::CancelBatch { .. }
    );
    Outcome::Reply(Reply {
        ret_code: 0,
        ret_msg: "OK".into(),
        codes: if batch {
            ls.iter()
                .map(|_| ItemCode {
                    code: 0,
                    msg: "OK".into(),
                })
                .collect()
        } else {
            vec![]
        },
        acks,
        ..Reply::default()
    })
}

pub fn respond(e: &mut Engine, now: u64, r: &Request, outcome: Outcome) -> Vec<Effect> {
    handle(
        e,
        Input::Response {
            now_ms: Timestamp(now),
            request_id: r.id,
            outcome,
        },
    )
}

/// Answers every request OK, and whatever they lead to, at `now`.
pub fn answer_all(e: &mut Engine, now: u64, mut pending: Vec<Request>) -> Vec<Effect> {
    let mut all = Vec::new();
    while let Some(r) = pending.first().cloned() {
        pending.remove(0);
        let out = respond(e, now, &r, ok(&r));
        pending.extend(sends(&out));
        all.extend(out);
    }
    all
}

/// Resting orders by orderLinkId -> (price, qty): as core believes them, and
/// as the exchange holds them. Equal when core is reconciled.
pub type Resting = BTreeMap<String, (String, String)>;

pub fn resting(d: &Driver) -> (Resting, Resting) {
    let ours = d
        .engine
        .orders()
        .into_iter()
        .map(|o| (o.order_link_id, (o.price, o.qty)))
        .collect();
    let theirs = d
        .exchange
        .open_orders()
        .values()
        .map(|o| (o.order_link_id.clone(), (o.price.clone(), o.qty.clone())))
        .collect();
    (ours, theirs)
}

/// Everything settled: nothing unknown or pending, every order core created
/// live or gone with a counted reason, and core's live orders exactly the
/// exchange's open orders (returned).
pub fn assert_settled(d: &Driver) -> Resting {
    let counts = d.engine.order_counts();
    let totals = d.engine.totals();
    assert_eq!(counts.unknown, 0, "{counts:?}");
    assert_eq!(
        counts.pending_new + counts.pending_amend + counts.pending_cancel,
        0,
        "{counts:?}"
    );
    assert_eq!(
        counts.live + counts.gone,
        totals.orders_created,
        "every order is live or gone with a reason: {counts:?}"
    );
    assert_eq!(
        totals.gone_by_reason.values().sum::<u64>(),
        counts.gone,
        "{:?}",
        totals.gone_by_reason
    );
    for o in d.engine.orders() {
        assert_eq!(o.state, OrderState::Live, "{}", o.order_link_id);
    }
    let (ours, theirs) = resting(d);
    assert_eq!(
        ours, theirs,
        "core's live orders are the exchange's open orders"
    );
    ours
}

/// An execution of `o` (its price) as the private stream sends it.
pub fn exec(
    o: &mm_core::OrderView,
    id: &str,
    qty: &str,
    leaves: &str,
    seq: i64,
) -> mm_core::input::Execution {
    mm_core::input::Execution {
        symbol: o.symbol.as_str().into(),
        order_id: o.order_id.as_str().into(),
        order_link_id: o.order_link_id.as_str().into(),
        side: o.side.wire().into(),
        exec_id: id.to_string().into(),
        exec_price: o.price.as_str().into(),
        exec_qty: qty.to_string().into(),
        exec_type: "Trade".into(),
        leaves_qty: leaves.to_string().into(),
        exec_time: "1700000000000".into(),
        is_maker: true,
        seq,
    }
}
