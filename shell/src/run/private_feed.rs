//! The private stream (`exchange.streams = true`): where it is, starting
//! it, and its events as core's inputs. Every `order`, `execution` and
//! `position` push becomes one input with the push's items in order; every
//! connect (authenticated and subscribed) and every loss becomes a
//! `StreamState` input, so core resynchronises after each reconnect and
//! reconciles over REST while the stream is down. The loop journals each
//! input before core sees it, as every other input.
//!
//! Decisions: Bybit's hosts map to their private stream hosts (demo
//! trading has its own, `stream-demo`); the simulator and a loopback
//! stand-in serve it on their own port; any other host is refused rather
//! than guessed. Reconnect after 100 ms doubling to 5 s, jittered (the
//! book stream's): every second down is a second of fills seen late.

use std::time::Duration;

use mm_core::input::Stream;
use mm_core::{Input, Timestamp};
use tokio::sync::mpsc;

use super::StartupError;
use super::startup::Venue;
use crate::client::rows;
use crate::metrics::Metrics;
use crate::secrets::Credentials;
use crate::stream::{StreamEvent, StreamHandle, StreamSettings, spawn_private, ws_base_of};

/// The `stream` label of the private stream.
const STREAM: &str = "private";

/// The private stream host for REST base URL `base`.
pub(super) fn private_host(venue: &Venue, base: &str) -> Result<String, StartupError> {
    if !matches!(venue, Venue::Bybit) || base.starts_with("http://") {
        return Ok(ws_base_of(base));
    }
    match base.trim_end_matches('/') {
        "https://api.bybit.com" => Ok("wss://stream.bybit.com".to_string()),
        "https://api-testnet.bybit.com" => Ok("wss://stream-testnet.bybit.com".to_string()),
        "https://api-demo.bybit.com" => Ok("wss://stream-demo.bybit.com".to_string()),
        other => Err(StartupError::PrivateStream(format!(
            "no known private stream for {other} (api.bybit.com, api-testnet.bybit.com and api-demo.bybit.com have one); set exchange.streams = false to run without streams"
        ))),
    }
}

/// The running private stream: its events, and the handle that stops it.
pub(super) struct PrivateFeed {
    pub(super) rx: mpsc::Receiver<StreamEvent>,
    pub(super) handle: StreamHandle,
}

impl PrivateFeed {
    pub(super) fn start(host: &str, creds: Credentials) -> PrivateFeed {
        let settings = StreamSettings {
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            ..StreamSettings::new(host)
        };
        let (tx, rx) = mpsc::channel(1024);
        PrivateFeed {
            rx,
            handle: spawn_private(settings, creds, tx),
        }
    }
}

/// The input an event of the private stream gives core (`None`: an event
/// of no other stream, which the private stream never sends). A reconnect
/// is counted in `mm_stream_reconnects_total{stream="private"}`.
pub(super) fn input(ev: StreamEvent, now_ms: Timestamp, metrics: &Metrics) -> Option<Input> {
    Some(match ev {
        StreamEvent::Up { connection, .. } => {
            if connection > 1 {
                metrics.stream_reconnected(STREAM);
            }
            state(now_ms, true)
        }
        StreamEvent::Down { .. } => state(now_ms, false),
        StreamEvent::Order(push) => Input::OrderUpdates {
            now_ms,
            orders: push.data.into_iter().map(rows::order_update).collect(),
        },
        StreamEvent::Execution(push) => Input::Executions {
            now_ms,
            executions: push.data.into_iter().map(rows::execution).collect(),
        },
        StreamEvent::Position(push) => Input::Positions {
            now_ms,
            positions: push.data.into_iter().map(rows::position).collect(),
        },
        StreamEvent::Book { .. } | StreamEvent::Gap { .. } => return None,
    })
}

fn state(now_ms: Timestamp, up: bool) -> Input {
    Input::StreamState {
        now_ms,
        stream: Stream::Private,
        up,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::stream::StreamKind;
    use mm_bybit::ws::StreamMessage;
    use mm_core::input::{Execution, OrderUpdate, Position};

    // Bybit's documented stream examples (the wire crate's fixtures).
    const ORDER: &str = include_str!("../../../bybit/tests/fixtures/ws/order_option.json");
    const EXECUTION: &str = include_str!("../../../bybit/tests/fixtures/ws/execution_linear.json");
    const POSITION: &str = include_str!("../../../bybit/tests/fixtures/ws/position_linear.json");

    fn event(text: &str) -> StreamEvent {
        match StreamMessage::parse(text).unwrap() {
            StreamMessage::Order(p) => StreamEvent::Order(p),
            StreamMessage::Execution(p) => StreamEvent::Execution(p),
            StreamMessage::Position(p) => StreamEvent::Position(p),
            other => panic!("not a private push: {other:?}"),
        }
    }

    fn at(ev: StreamEvent) -> Input {
        input(ev, Timestamp(7), &Metrics::new()).unwrap()
    }

    #[test]
    fn bybit_hosts_map_to_their_private_stream_and_others_are_refused() {
        let host = |v: &Venue, b: &str| private_host(v, b).map_err(|e| e.to_string());
        let v = Venue::Bybit;
        for (rest, ws) in [
            ("https://api.bybit.com/", "wss://stream.bybit.com"),
            (
                "https://api-testnet.bybit.com",
                "wss://stream-testnet.bybit.com",
            ),
            ("https://api-demo.bybit.com", "wss://stream-demo.bybit.com"),
            ("http://127.0.0.1:9", "ws://127.0.0.1:9"),
        ] {
            assert_eq!(host(&v, rest).as_deref(), Ok(ws), "{rest}");
        }
        let other = host(&v, "https://api.bytick.com").unwrap_err();
        assert!(
            other.contains("api.bytick.com") && other.contains("exchange.streams = false"),
            "{other}"
        );
        assert_eq!(
            host(&Venue::ExternalSim, "http://127.0.0.1:8080").as_deref(),
            Ok("ws://127.0.0.1:8080")
        );
    }

    #[test]
    fn a_documented_order_push_is_one_order_update_as_sent() {
        let Input::OrderUpdates { now_ms, orders } = at(event(ORDER)) else {
            panic!("not order updates");
        };
        assert_eq!(now_ms, Timestamp(7));
        assert_eq!(
            orders,
            [OrderUpdate {
                symbol: "ETH-30DEC22-1400-C".into(),
                order_id: "5cf98598-39a7-459e-97bf-76ca765ee020".into(),
                order_link_id: "".into(),
                side: "Sell".into(),
                price: "72.5".into(),
                qty: "1".into(),
                leaves_qty: "".into(),
                cum_exec_qty: "1".into(),
                avg_price: "75".into(),
                status: "Filled".into(),
                cancel_type: "UNKNOWN".into(),
                reject_reason: "EC_NoError".into(),
                updated_time: "1672364262457".into(),
            }]
        );
    }

    #[test]
    fn a_documented_execution_push_is_one_execution_as_sent() {
        let Input::Executions { executions, .. } = at(event(EXECUTION)) else {
            panic!("not executions");
        };
        assert_eq!(
            executions,
            [Execution {
                symbol: "BTCUSDT".into(),
                order_id: "9aac161b-8ed6-450d-9cab-c5cc67c21784".into(),
                order_link_id: "".into(),
                side: "Sell".into(),
                exec_id: "0ab1bdf7-4219-438b-b30a-32ec863018f7".into(),
                exec_price: "95900.1".into(),
                exec_qty: "0.5".into(),
                exec_type: "Trade".into(),
                leaves_qty: "0".into(),
                exec_time: "1746270400353".into(),
                is_maker: false,
                seq: 140_612_148_849_382,
            }]
        );
    }

    #[test]
    fn a_documented_position_push_is_one_position_as_sent() {
        let Input::Positions { positions, .. } = at(event(POSITION)) else {
            panic!("not positions");
        };
        assert_eq!(
            positions,
            [Position {
                symbol: "BTCUSDT".into(),
                side: "".into(),
                size: "0".into(),
                position_idx: 2,
                seq: 8_327_597_863,
                updated_time: "1697682317038".into(),
            }]
        );
    }

    #[test]
    fn every_connect_and_loss_is_a_stream_state_and_reconnects_are_counted() {
        let m = Metrics::new();
        let up = |connection| StreamEvent::Up {
            stream: StreamKind::Private,
            connection,
        };
        let down = StreamEvent::Down {
            stream: StreamKind::Private,
            reason: "closed".to_string(),
        };
        let states: Vec<Input> = [up(1), down, up(2)]
            .into_iter()
            .map(|ev| input(ev, Timestamp(1), &m).unwrap())
            .collect();
        assert_eq!(
            states,
            [true, false, true].map(|up| state(Timestamp(1), up))
        );
        assert_eq!(m.stream_reconnects()["private"], 1, "connection 2 only");
        assert_eq!(m.stream_reconnects()["public"], 0);
    }
}
