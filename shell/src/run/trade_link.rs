//! The trade connection of `exchange.order_transport = "ws"`: where it goes,
//! and waiting for it to be authenticated before the first order.
//!
//! Decisions: the simulator serves `/v5/trade` on its own port (`ws://` of
//! its base URL); Bybit's REST hosts map to their stream hosts (mainnet
//! `api.bybit.com` -> `wss://stream.bybit.com`, testnet `api-testnet` ->
//! `wss://stream-testnet`); demo trading has no order entry over WebSocket
//! and any other host is refused rather than guessed. A session starts only
//! once the connection is authenticated (bounded wait, exit 2 past it):
//! before that every order would be refused unsent; a refused key is fatal
//! (exit 3), as over REST. A lost connection comes back after 100 ms
//! doubling to 5 s (jittered): while it is down, order requests fail at once
//! and core settles their orders by asking over REST.

use std::sync::Arc;
use std::time::Duration;

use mm_core::Config;

use super::startup::Venue;
use super::{RunError, StartupError};
use crate::client::TradeRoute;
use crate::secrets::Credentials;
use crate::stream::{StreamSettings, TradeClient, TradeLink, ws_base_of};

/// How long start-up waits for the trade connection to authenticate.
const UP_WITHIN: Duration = Duration::from_secs(10);

/// The stream host serving `/v5/trade` for REST base URL `base`.
pub(super) fn trade_host(venue: &Venue, base: &str) -> Result<String, StartupError> {
    if !matches!(venue, Venue::Bybit) {
        return Ok(ws_base_of(base));
    }
    let host = base.trim_end_matches('/');
    match host {
        "https://api.bybit.com" => Ok("wss://stream.bybit.com".to_string()),
        "https://api-testnet.bybit.com" => Ok("wss://stream-testnet.bybit.com".to_string()),
        "https://api-demo.bybit.com" => Err(StartupError::TradeStream(
            "demo trading has no order entry over WebSocket; use \"rest\"".to_string(),
        )),
        other => Err(StartupError::TradeStream(format!(
            "no known trade stream for {other} (api.bybit.com and api-testnet.bybit.com have one)"
        ))),
    }
}

/// Connects, authenticates, and hands back the route order requests take.
/// Credentials the trade stream refuses are fatal (exit 3), as over REST.
pub(super) async fn connect(
    venue: &Venue,
    base_url: &str,
    creds: Credentials,
    config: &Config,
) -> Result<Arc<TradeRoute>, RunError> {
    let ex = &config.exchange;
    let settings = StreamSettings {
        backoff_min: Duration::from_millis(100),
        backoff_max: Duration::from_secs(5),
        ..StreamSettings::new(&trade_host(venue, base_url)?)
    };
    let trade = TradeClient::spawn(
        settings,
        creds.clone(),
        Duration::from_millis(ex.request_timeout_ms),
    );
    let mut link = trade.link();
    // Up, refused, or still down after the bound: whichever comes first.
    let _ = tokio::time::timeout(
        UP_WITHIN,
        link.wait_for(|l| !matches!(l, TradeLink::Down(_))),
    )
    .await;
    let last = link.borrow().clone();
    match last {
        TradeLink::Up { .. } => {}
        TradeLink::Refused(why) => {
            return Err(RunError::Fatal {
                message: format!(
                    "exchange.order_transport = \"ws\": the trade stream refused the API key ({}); nothing was sent",
                    creds.scrub(&why)
                ),
                summary: None,
            });
        }
        TradeLink::Down(why) => {
            return Err(StartupError::TradeStream(format!(
                "the trade stream was not up within {} s (last: {})",
                UP_WITHIN.as_secs(),
                creds.scrub(&why)
            ))
            .into());
        }
    }
    eprintln!("mm: order requests go over the trade stream (exchange.order_transport = \"ws\")");
    Ok(Arc::new(TradeRoute::new(trade, creds, ex.recv_window_ms)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn host(venue: &Venue, base: &str) -> Result<String, String> {
        trade_host(venue, base).map_err(|e| e.to_string())
    }

    #[test]
    fn bybit_hosts_map_to_their_stream_hosts_and_others_are_refused() {
        let v = Venue::Bybit;
        assert_eq!(
            host(&v, "https://api.bybit.com/").as_deref(),
            Ok("wss://stream.bybit.com")
        );
        assert_eq!(
            host(&v, "https://api-testnet.bybit.com").as_deref(),
            Ok("wss://stream-testnet.bybit.com")
        );
        let demo = host(&v, "https://api-demo.bybit.com").unwrap_err();
        assert!(
            demo.contains("exchange.order_transport") && demo.contains("demo"),
            "{demo}"
        );
        let other = host(&v, "https://api.bytick.com").unwrap_err();
        assert!(other.contains("api.bytick.com"), "{other}");
        // The simulator serves the trade stream on its own port.
        assert_eq!(
            host(&Venue::ExternalSim, "http://127.0.0.1:8080").as_deref(),
            Ok("ws://127.0.0.1:8080")
        );
    }
}
