//! `publicTrade.{symbol}` payload: the market's trades, ascending by time (a push is always a
//! snapshot of up to 1024 trades).

use serde::{Deserialize, Serialize};

use crate::Side;

/// One public trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTrade {
    /// Trade time (ms).
    #[serde(rename = "T")]
    pub time: u64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Taker side.
    #[serde(rename = "S")]
    pub side: Side,
    /// Quantity.
    #[serde(rename = "v")]
    pub qty: String,
    /// Price.
    #[serde(rename = "p")]
    pub price: String,
    /// Direction of the price change (`PlusTick`, …; absent on options).
    #[serde(rename = "L", default, skip_serializing_if = "Option::is_none")]
    pub tick_direction: Option<String>,
    /// Trade id.
    #[serde(rename = "i")]
    pub id: String,
    /// Block trade.
    #[serde(rename = "BT", default)]
    pub block_trade: bool,
    /// Retail price improvement trade (absent on older messages).
    #[serde(rename = "RPI", default, skip_serializing_if = "Option::is_none")]
    pub rpi: Option<bool>,
    /// Cross sequence (several messages may share one).
    #[serde(default)]
    pub seq: u64,
}
