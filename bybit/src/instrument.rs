//! `/v5/market/instruments-info`: one instrument's trading rules.
//!
//! Fields differ by category (S10): the ones every category has are plain strings; the others
//! are `Option`s, `None` meaning "not sent for this category", so a reply keeps its keys.

use serde::{Deserialize, Serialize, Serializer};

/// One entry of `/v5/market/instruments-info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Instrument {
    /// Spot: a numeric id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_id: Option<u64>,
    /// Symbol.
    pub symbol: String,
    /// Derivatives: "LinearPerpetual", "InversePerpetual", "LinearFutures", ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_type: Option<String>,
    /// "Trading", "PreLaunch", "Delivering", "Closed", ...
    pub status: String,
    /// Base coin.
    pub base_coin: String,
    /// Quote coin.
    pub quote_coin: String,
    /// Spot: "0"/"1", innovation zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub innovation: Option<String>,
    /// Spot: margin trading availability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_trading: Option<String>,
    /// Spot: special-treatment tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub st_tag: Option<String>,
    /// Derivatives, options: the settle coin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settle_coin: Option<String>,
    /// Options: "Call" or "Put".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options_type: Option<String>,
    /// Derivatives, options: launch time, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_time: Option<String>,
    /// Derivatives, options: delivery time, ms ("0" for perpetuals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_time: Option<String>,
    /// Derivatives, options: delivery fee rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_fee_rate: Option<String>,
    /// Derivatives: price scale (decimals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_scale: Option<String>,
    /// Derivatives: leverage rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leverage_filter: Option<LeverageFilter>,
    /// Price rules.
    pub price_filter: PriceFilter,
    /// Quantity rules.
    pub lot_size_filter: LotSizeFilter,
    /// Derivatives: tradable by unified accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unified_margin_trade: Option<bool>,
    /// Derivatives: funding interval, minutes (a number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_interval: Option<u64>,
    /// Derivatives: copy-trading support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_trading: Option<String>,
    /// Derivatives: funding rate cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper_funding_rate: Option<String>,
    /// Derivatives: funding rate floor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lower_funding_rate: Option<String>,
    /// Derivatives: pre-market contract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_pre_listing: Option<bool>,
    /// Derivatives, spot: price-limit ratios.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_parameters: Option<RiskParameters>,
    /// Derivatives, options: display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Derivatives, spot: symbol type ("" for ordinary ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_type: Option<String>,
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
    /// Minimum price (derivatives, options).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub min_price: String,
    /// Maximum price (derivatives, options).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub max_price: String,
    /// Price step.
    pub tick_size: String,
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
    /// Spot: quote precision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_precision: Option<String>,
    /// Minimum order quantity (deprecated on spot, use `min_order_amt` there).
    pub min_order_qty: String,
    /// Maximum limit/post-only order quantity.
    pub max_order_qty: String,
    /// Spot: minimum order value in quote coin.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub min_order_amt: String,
    /// Spot: maximum order value (deprecated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_order_amt: Option<String>,
    /// Spot: maximum limit order quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_limit_order_qty: Option<String>,
    /// Spot: maximum market order quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_market_order_qty: Option<String>,
    /// Spot: maximum post-only order size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_only_max_limit_order_size: Option<String>,
    /// Derivatives: post-only max qty (deprecated, use `max_order_qty`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_only_max_order_qty: Option<String>,
    /// Derivatives: maximum market order quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_mkt_order_qty: Option<String>,
    /// Derivatives: minimum order notional.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_notional_value: Option<String>,
}

/// `leverageFilter` (derivatives).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LeverageFilter {
    /// Minimum leverage.
    pub min_leverage: String,
    /// Maximum leverage.
    pub max_leverage: String,
    /// Leverage step.
    pub leverage_step: String,
}

/// `riskParameters` (derivatives, spot).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RiskParameters {
    /// Price-limit ratio X.
    #[serde(rename = "priceLimitRatioX")]
    pub price_limit_ratio_x: String,
    /// Price-limit ratio Y.
    #[serde(rename = "priceLimitRatioY")]
    pub price_limit_ratio_y: String,
}

/// Result of `/v5/market/instruments-info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InstrumentsResult {
    /// Category.
    pub category: String,
    /// Instruments.
    pub list: Vec<Instrument>,
    /// Cursor for the next page; "" at the end. Spot has no pagination and does not send it
    /// (so it is not written for category "spot").
    pub next_page_cursor: String,
}

impl Serialize for InstrumentsResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Wire<'a> {
            category: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            next_page_cursor: Option<&'a str>,
            list: &'a [Instrument],
        }
        Wire {
            category: &self.category,
            next_page_cursor: (self.category != "spot").then_some(self.next_page_cursor.as_str()),
            list: &self.list,
        }
        .serialize(s)
    }
}
