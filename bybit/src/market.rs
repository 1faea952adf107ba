//! Public market-data results: tickers, instruments, server time.

use serde::{Deserialize, Serialize};

/// One entry of `/v5/market/tickers`. Prices and sizes are decimal strings; a price of "0"
/// (seen on options) means there is no such side.
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
    /// Index price (derivatives and options only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub index_price: String,
    /// Mark price (derivatives and options only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mark_price: String,
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

/// One entry of `/v5/market/instruments-info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Instrument {
    /// Symbol.
    pub symbol: String,
    /// "Trading", "PreLaunch", "Delivering", "Closed", ...
    pub status: String,
    /// Base coin.
    pub base_coin: String,
    /// Quote coin.
    pub quote_coin: String,
    /// Price rules.
    pub price_filter: PriceFilter,
    /// Quantity rules.
    pub lot_size_filter: LotSizeFilter,
}

impl Instrument {
    /// The quantity step: `qtyStep` (derivatives, options) or `basePrecision` (spot).
    pub fn qty_step(&self) -> &str {
        let l = &self.lot_size_filter;
        if l.qty_step.is_empty() {
            &l.base_precision
        } else {
            &l.qty_step
        }
    }
}

/// `priceFilter`. Spot only sends `tickSize`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PriceFilter {
    /// Price step.
    pub tick_size: String,
    /// Minimum price (derivatives, options).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub min_price: String,
    /// Maximum price (derivatives, options).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub max_price: String,
}

/// `lotSizeFilter`. Derivatives send `qtyStep`; spot sends `basePrecision` instead.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LotSizeFilter {
    /// Quantity step (derivatives, options).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub qty_step: String,
    /// Quantity step (spot).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_precision: String,
    /// Minimum order quantity (deprecated on spot, use `min_order_amt` there).
    pub min_order_qty: String,
    /// Maximum limit/post-only order quantity.
    pub max_order_qty: String,
    /// Spot: minimum order value in quote coin.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub min_order_amt: String,
}

/// Result of `/v5/market/instruments-info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InstrumentsResult {
    /// Category.
    pub category: String,
    /// Instruments.
    pub list: Vec<Instrument>,
    /// Cursor for the next page; "" (or absent, on spot) at the end.
    pub next_page_cursor: String,
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
