//! Public market-data results: tickers and server time (instruments: `instrument.rs`).

pub use crate::instrument::{
    Instrument, InstrumentsResult, LeverageFilter, LotSizeFilter, PriceFilter, RiskParameters,
};

use serde::{Deserialize, Serialize};

/// One entry of `/v5/market/tickers`. Prices and sizes are decimal strings; a price of "0"
/// (seen on options) means there is no such side.
///
/// The six fields every category has are plain strings; the rest depend on the category
/// (S9): `None` is "not sent", `Some("")` is "sent empty" (Bybit sends e.g. `"basis": ""` on
/// perpetuals), so a reply round-trips with the same keys.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Ticker {
    /// Symbol.
    pub symbol: String,
    /// Best bid price.
    pub bid1_price: String,
    /// Best bid size.
    pub bid1_size: String,
    /// Best ask price.
    pub ask1_price: String,
    /// Best ask size.
    pub ask1_size: String,
    /// Last traded price.
    pub last_price: String,
    /// Index price (derivatives, options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_price: Option<String>,
    /// Mark price (derivatives, options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark_price: Option<String>,
    /// Price 24 h ago (derivatives, spot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_price_24h: Option<String>,
    /// Relative change over 24 h (derivatives, spot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_24h_pcnt: Option<String>,
    /// 24 h high.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_price_24h: Option<String>,
    /// 24 h low.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_price_24h: Option<String>,
    /// Price 1 h ago (derivatives).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_price_1h: Option<String>,
    /// Open interest (derivatives, options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_interest: Option<String>,
    /// Open interest value (derivatives).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_interest_value: Option<String>,
    /// 24 h turnover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turnover_24h: Option<String>,
    /// 24 h volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_24h: Option<String>,
    /// Funding rate (perpetuals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_rate: Option<String>,
    /// Next funding time, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_funding_time: Option<String>,
    /// Predicted delivery price (futures, options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_delivery_price: Option<String>,
    /// Basis rate (futures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis_rate: Option<String>,
    /// Delivery fee rate (futures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_fee_rate: Option<String>,
    /// Delivery time, ms ("0" for perpetuals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_time: Option<String>,
    /// Basis (futures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// Pre-market estimated open price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_open_price: Option<String>,
    /// Pre-market estimated open qty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_qty: Option<String>,
    /// Pre-market phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cur_pre_listing_phase: Option<String>,
    /// Funding interval, hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_interval_hour: Option<String>,
    /// Annualised basis rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis_rate_year: Option<String>,
    /// Funding rate cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_cap: Option<String>,
    /// USD index price (spot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd_index_price: Option<String>,
    /// Best bid implied volatility (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bid1_iv: Option<String>,
    /// Best ask implied volatility (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ask1_iv: Option<String>,
    /// Mark implied volatility (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark_iv: Option<String>,
    /// Underlying price (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying_price: Option<String>,
    /// Total volume (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_volume: Option<String>,
    /// Total turnover (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_turnover: Option<String>,
    /// Delta (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<String>,
    /// Gamma (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gamma: Option<String>,
    /// Vega (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vega: Option<String>,
    /// Theta (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theta: Option<String>,
    /// 24 h change (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_24h: Option<String>,
}

/// Result of `/v5/market/tickers`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TickersResult {
    /// Category.
    pub category: String,
    /// Tickers.
    pub list: Vec<Ticker>,
}

/// Result of `/v5/market/time`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServerTime {
    /// Seconds, as a string.
    pub time_second: String,
    /// Nanoseconds, as a string.
    pub time_nano: String,
}
