//! The trade connection of `exchange.order_transport = "ws"`: where it goes,
//! and waiting for it to be authenticated before the first order.
//!
//! Decisions: the simulator serves `/v5/trade` on its own port (`ws://` of
//! its base URL); Bybit's REST hosts map to their stream hosts (mainnet
//! `api.bybit.com` -> `wss://stream.bybit.com`, testnet `api-testnet` ->
//! `wss://stream-testnet`); demo trading has no order entry over WebSocket
//! and any other host is refused rather than guessed. A session starts only
//! once the connection is authenticated (bounded wait): before that every
//! order would be refused unsent. A lost connection comes back after 100 ms
//! doubling to 5 s (jittered): while it is down, order requests fail at once
//! and core settles their orders by asking over REST.

use std::sync::Arc;
use std::time::Duration;

use mm_core::Config;

use super::StartupError;
use super::startup::Venue;
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
pub(super) async fn connect(
    venue: &Venue,
    base_url: &str,
    creds: Credentials,
    config: &Config,
) -> Result<Arc<TradeRoute>, StartupError> {
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
    let up = tokio::time::timeout(
        UP_WITHIN,
        link.wait_for(|l| matches!(l, TradeLink::Up { .. })),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    if !up {
        let last = match &*link.borrow() {
            TradeLink::Down(why) => why.clone(),
            TradeLink::Up { .. } => "up".to_string(),
        };
        return Err(StartupError::TradeStream(format!(
            "the trade stream was not up within {} s (last: {})",
            UP_WITHIN.as_secs(),
            creds.scrub(&last)
        )));
    }
    eprintln!("mm: order requests go over the trade stream (exchange.order_transport = \"ws\")");
    Ok(Arc::new(TradeRoute::new(trade, creds, ex.recv_window_ms)))
}
