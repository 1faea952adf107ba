//! `exchange.order_transport = "ws"` in the shell, against the simulator on
//! loopback: every order request core can emit, sent over the trade stream
//! (`client::TradeRoute`), reaches core as exactly the outcome the same
//! request gets over REST (`client::Client`); a request that gets no reply
//! reaches core as REST's failures do (`Timeout`, `Transport`); queries and
//! cancel-all are left to REST.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use mm_core::effect::{AmendOrder, CancelOrder, NewOrder};
use mm_core::{
    Category, Decimal, Instrument, OrderLinkId, Outcome, RequestId, RequestKind, SessionId, Side,
    SymbolId, WireNames,
};
use mm_shell::client::{Client, TradeRoute};
use mm_shell::secrets::Credentials;
use mm_shell::stream::{StreamSettings, TradeClient, TradeLink, ws_base_of};
use mm_sim::SimHandle;

async fn route(sim: &SimHandle, reply_timeout_ms: u64) -> TradeRoute {
    let settings = StreamSettings {
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        jitter_seed: Some(3),
        ..StreamSettings::new(&ws_base_of(&sim.base_url()))
    };
    let trade = TradeClient::spawn(
        settings,
        Credentials::paper(),
        Duration::from_millis(reply_timeout_ms),
    );
    let mut link = trade.link();
    tokio::time::timeout(
        Duration::from_secs(10),
        link.wait_for(|l| matches!(l, TradeLink::Up { .. })),
    )
    .await
    .unwrap()
    .unwrap();
    TradeRoute::new(trade, Credentials::paper(), 5000)
}

/// The one symbol the requests below name (`ETH`), in a session "t".
const ETH: SymbolId = SymbolId(0);

fn names() -> WireNames {
    let eth = Instrument {
        symbol: "ETHUSDT".to_string(),
        category: Category::Linear,
        tick_size: Decimal::new(1, 2),
        qty_step: Decimal::new(1, 2),
        min_qty: Decimal::new(1, 2),
    };
    WireNames::new(SessionId::new("t").unwrap(), &[eth])
}

fn place(link: &str, side: Side, price: &str) -> NewOrder {
    NewOrder {
        symbol: ETH,
        side,
        price: price.parse().expect("decimal"),
        qty: "0.01".parse().expect("decimal"),
        order_link_id: OrderLinkId::Text(link.to_string()),
        post_only: true,
    }
}

fn amend(link: &str, price: &str) -> AmendOrder {
    AmendOrder {
        symbol: ETH,
        order_link_id: OrderLinkId::Text(link.to_string()),
        price: Some(price.parse().expect("decimal")),
        qty: None,
    }
}

fn cancel(link: &str) -> CancelOrder {
    CancelOrder {
        symbol: ETH,
        order_link_id: OrderLinkId::Text(link.to_string()),
    }
}

/// Every order op, with accepted, refused-per-item and refused-whole answers.
fn script() -> Vec<RequestKind> {
    let category = Category::Linear;
    vec![
        RequestKind::PlaceBatch {
            category,
            // t-3's qty is off the qty grid: refused as one item.
            orders: vec![
                place("t-1", Side::Buy, "2900"),
                place("t-2", Side::Buy, "2901"),
                NewOrder {
                    qty: "0.005".parse().expect("decimal"),
                    ..place("t-3", Side::Sell, "3100")
                },
            ],
        },
        RequestKind::AmendBatch {
            category,
            orders: vec![amend("t-1", "2899"), amend("nope", "2899")],
        },
        RequestKind::CancelBatch {
            category,
            orders: vec![cancel("t-2"), cancel("nope")],
        },
        RequestKind::Place {
            category,
            order: place("t-4", Side::Buy, "2800"),
        },
        // The same orderLinkId again: 110072.
        RequestKind::Place {
            category,
            order: place("t-4", Side::Buy, "2800"),
        },
        RequestKind::Amend {
            category,
            order: amend("t-4", "2801"),
        },
        RequestKind::Cancel {
            category,
            order: cancel("t-4"),
        },
        // Gone already: 110001.
        RequestKind::Cancel {
            category,
            order: cancel("t-4"),
        },
        RequestKind::Amend {
            category,
            order: amend("t-4", "2802"),
        },
        RequestKind::CancelBatch {
            category,
            orders: vec![cancel("t-1")],
        },
    ]
}

/// The rate limit's reset time is a clock reading: everything else must match.
fn comparable(o: Outcome) -> Outcome {
    match o {
        Outcome::Reply(mut r) => {
            if let Some(rl) = &mut r.rate_limit {
                rl.reset_ms = mm_core::Timestamp(0);
            }
            Outcome::Reply(r)
        }
        other => other,
    }
}

#[tokio::test]
async fn every_order_op_over_ws_reaches_core_as_its_rest_reply() {
    // Two simulators with the same seed: one answers REST, one the trade
    // stream; the same requests in the same order get the same order ids.
    let (rest_sim, ws_sim) = (
        common::sim_with_faults("none").await,
        common::sim_with_faults("none").await,
    );
    let rest = Client::new(&rest_sim.base_url(), Credentials::paper(), 5000, 2000).unwrap();
    let ws = route(&ws_sim, 5000).await;
    let mut codes = Vec::new();
    for (i, kind) in script().into_iter().enumerate() {
        assert!(TradeRoute::carries(&kind), "{kind:?}");
        let over_rest = comparable(rest.execute(&kind, &names()).await);
        let over_ws = comparable(
            ws.execute(RequestId(i as u64), &kind, &names())
                .await
                .unwrap(),
        );
        assert_eq!(over_ws, over_rest, "request {i}: {kind:?}");
        let Outcome::Reply(r) = over_ws else {
            panic!("{i}: {over_ws:?}")
        };
        assert!(r.rate_limit.is_some(), "{i}: rate limit from the header");
        codes.push((
            r.ret_code,
            r.codes.iter().map(|c| c.code).collect::<Vec<_>>(),
        ));
    }
    // The script covers what it means to: per-item refusals and whole refusals.
    assert_ne!(codes[0].1[2], 0, "off-grid qty refused: {codes:?}");
    assert_eq!(codes[1].1, [0, 110_001], "{codes:?}");
    assert_eq!(codes[4].0, 110_072, "{codes:?}");
    assert_eq!(codes[7].0, 110_001, "{codes:?}");
    // Nothing of it went over REST on the trade stream's simulator.
    let state = ws_sim.state();
    let rest_paths: u64 = mm_shell::bench::ORDER_PATHS
        .iter()
        .filter_map(|p| state.requests_by_path.get(*p))
        .sum();
    assert_eq!(rest_paths, 0, "{:?}", state.requests_by_path);
    assert_eq!(state.requests_by_path["order.cancel-batch"], 2);
    rest_sim.shutdown().await;
    ws_sim.shutdown().await;
}

#[tokio::test]
async fn queries_and_cancel_all_stay_on_rest() {
    let ws_sim = common::sim_with_faults("none").await;
    let ws = route(&ws_sim, 5000).await;
    for kind in [
        RequestKind::CancelAll {
            category: Category::Linear,
            symbol: ETH,
        },
        RequestKind::OpenOrders {
            category: Category::Linear,
            symbol: ETH,
            order_link_id: None,
            cursor: None,
            limit: 50,
            open_only: false,
        },
    ] {
        assert!(!TradeRoute::carries(&kind));
        assert_eq!(ws.execute(RequestId(1), &kind, &names()).await, None);
    }
    ws_sim.shutdown().await;
}

fn one_create() -> RequestKind {
    RequestKind::Place {
        category: Category::Linear,
        order: place("f-1", Side::Buy, "2900"),
    }
}

#[tokio::test]
async fn a_connection_lost_in_flight_is_a_transport_failure() {
    let ws_sim = common::sim_with_faults("ws_trade_drop=1").await;
    let ws = route(&ws_sim, 5000).await;
    match ws.execute(RequestId(1), &one_create(), &names()).await {
        Some(Outcome::Transport(m)) => assert!(m.contains("lost"), "{m}"),
        other => panic!("{other:?}"),
    }
    // While it is down, a request is refused unsent: a transport failure
    // too (core settles it by asking, which is safe).
    match ws.execute(RequestId(2), &one_create(), &names()).await {
        Some(Outcome::Transport(_)) => {}
        Some(Outcome::Reply(r)) => panic!("reconnected already and answered: {r:?}"),
        other => panic!("{other:?}"),
    }
    ws_sim.shutdown().await;
}

#[tokio::test]
async fn a_reply_that_never_comes_is_a_timeout() {
    let ws_sim = common::sim_with_faults("ws_trade_lost=1").await;
    let ws = route(&ws_sim, 300).await;
    assert_eq!(
        ws.execute(RequestId(1), &one_create(), &names()).await,
        Some(Outcome::Timeout)
    );
    ws_sim.shutdown().await;
}
