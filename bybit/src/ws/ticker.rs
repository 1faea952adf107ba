//! `tickers.{symbol}` payload, one type for every category's shape.
//!
//! Linear/inverse send a `snapshot` then `delta`s in which **an absent field is unchanged**:
//! [`TickerData::merge`] applies one. Spot and option send snapshots only. Spot has no bid/ask
//! (use `orderbook.1`); option names them `bidPrice`/`askPrice`. Every field but `symbol` is
//! optional so that "absent" stays distinguishable from "sent empty" and a message serializes
//! back with the same keys.

use serde::{Deserialize, Serialize};

/// The `data` of a tickers push.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TickerData {
    /// Symbol (always sent).
    pub symbol: String,
    /// Last traded price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_price: Option<String>,
    /// Best bid price (linear/inverse; spot has none: use `orderbook.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid1_price: Option<String>,
    /// Best bid size (linear/inverse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid1_size: Option<String>,
    /// Best ask price (linear/inverse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask1_price: Option<String>,
    /// Best ask size (linear/inverse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask1_size: Option<String>,
    /// Best bid price (option; "0" = none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_price: Option<String>,
    /// Best bid size (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_size: Option<String>,
    /// Best bid implied volatility (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_iv: Option<String>,
    /// Best ask price (option; "0" = none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_price: Option<String>,
    /// Best ask size (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_size: Option<String>,
    /// Best ask implied volatility (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_iv: Option<String>,
    /// Mark price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_price: Option<String>,
    /// Index price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_price: Option<String>,
    /// Mark implied volatility (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_price_iv: Option<String>,
    /// Underlying price (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underlying_price: Option<String>,
    /// USD index price (spot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_index_price: Option<String>,
    /// Direction of the last price change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_direction: Option<String>,
    /// Relative change over 24 h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_24h_pcnt: Option<String>,
    /// Change over 24 h (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_24h: Option<String>,
    /// Price 24 h ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_price_24h: Option<String>,
    /// 24 h high.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_price_24h: Option<String>,
    /// 24 h low.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_price_24h: Option<String>,
    /// Price 1 h ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_price_1h: Option<String>,
    /// Open interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest: Option<String>,
    /// Open interest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest_value: Option<String>,
    /// 24 h turnover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnover_24h: Option<String>,
    /// 24 h volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_24h: Option<String>,
    /// Total volume (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_volume: Option<String>,
    /// Total turnover (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_turnover: Option<String>,
    /// Funding rate (perpetuals; "" on futures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding_rate: Option<String>,
    /// Next funding time, ms (perpetuals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_funding_time: Option<String>,
    /// Funding interval, hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding_interval_hour: Option<String>,
    /// Funding rate cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding_cap: Option<String>,
    /// Delivery time (futures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_time: Option<String>,
    /// Delivery fee rate (futures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_fee_rate: Option<String>,
    /// Predicted delivery price (futures, option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_delivery_price: Option<String>,
    /// Basis (futures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// Basis rate (futures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis_rate: Option<String>,
    /// Annualised basis rate (futures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis_rate_year: Option<String>,
    /// Pre-market estimated open price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_open_price: Option<String>,
    /// Pre-market estimated open qty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_qty: Option<String>,
    /// Pre-market phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cur_pre_listing_phase: Option<String>,
    /// Delta (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<String>,
    /// Gamma (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gamma: Option<String>,
    /// Vega (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vega: Option<String>,
    /// Theta (option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<String>,
}

impl TickerData {
    /// Applies a delta: every field it carries replaces ours, absent ones stay.
    pub fn merge(&mut self, update: &TickerData) {
        let TickerData {
            symbol: _,
            last_price,
            bid1_price,
            bid1_size,
            ask1_price,
            ask1_size,
            bid_price,
            bid_size,
            bid_iv,
            ask_price,
            ask_size,
            ask_iv,
            mark_price,
            index_price,
            mark_price_iv,
            underlying_price,
            usd_index_price,
            tick_direction,
            price_24h_pcnt,
            change_24h,
            prev_price_24h,
            high_price_24h,
            low_price_24h,
            prev_price_1h,
            open_interest,
            open_interest_value,
            turnover_24h,
            volume_24h,
            total_volume,
            total_turnover,
            funding_rate,
            next_funding_time,
            funding_interval_hour,
            funding_cap,
            delivery_time,
            delivery_fee_rate,
            predicted_delivery_price,
            basis,
            basis_rate,
            basis_rate_year,
            pre_open_price,
            pre_qty,
            cur_pre_listing_phase,
            delta,
            gamma,
            vega,
            theta,
        } = update; // Destructured so that a new field cannot be forgotten here.
        keep_or_replace(&mut self.last_price, last_price);
        keep_or_replace(&mut self.bid1_price, bid1_price);
        keep_or_replace(&mut self.bid1_size, bid1_size);
        keep_or_replace(&mut self.ask1_price, ask1_price);
        keep_or_replace(&mut self.ask1_size, ask1_size);
        keep_or_replace(&mut self.bid_price, bid_price);
        keep_or_replace(&mut self.bid_size, bid_size);
        keep_or_replace(&mut self.bid_iv, bid_iv);
        keep_or_replace(&mut self.ask_price, ask_price);
        keep_or_replace(&mut self.ask_size, ask_size);
        keep_or_replace(&mut self.ask_iv, ask_iv);
        keep_or_replace(&mut self.mark_price, mark_price);
        keep_or_replace(&mut self.index_price, index_price);
        keep_or_replace(&mut self.mark_price_iv, mark_price_iv);
        keep_or_replace(&mut self.underlying_price, underlying_price);
        keep_or_replace(&mut self.usd_index_price, usd_index_price);
        keep_or_replace(&mut self.tick_direction, tick_direction);
        keep_or_replace(&mut self.price_24h_pcnt, price_24h_pcnt);
        keep_or_replace(&mut self.change_24h, change_24h);
        keep_or_replace(&mut self.prev_price_24h, prev_price_24h);
        keep_or_replace(&mut self.high_price_24h, high_price_24h);
        keep_or_replace(&mut self.low_price_24h, low_price_24h);
        keep_or_replace(&mut self.prev_price_1h, prev_price_1h);
        keep_or_replace(&mut self.open_interest, open_interest);
        keep_or_replace(&mut self.open_interest_value, open_interest_value);
        keep_or_replace(&mut self.turnover_24h, turnover_24h);
        keep_or_replace(&mut self.volume_24h, volume_24h);
        keep_or_replace(&mut self.total_volume, total_volume);
        keep_or_replace(&mut self.total_turnover, total_turnover);
        keep_or_replace(&mut self.funding_rate, funding_rate);
        keep_or_replace(&mut self.next_funding_time, next_funding_time);
        keep_or_replace(&mut self.funding_interval_hour, funding_interval_hour);
        keep_or_replace(&mut self.funding_cap, funding_cap);
        keep_or_replace(&mut self.delivery_time, delivery_time);
        keep_or_replace(&mut self.delivery_fee_rate, delivery_fee_rate);
        keep_or_replace(&mut self.predicted_delivery_price, predicted_delivery_price);
        keep_or_replace(&mut self.basis, basis);
        keep_or_replace(&mut self.basis_rate, basis_rate);
        keep_or_replace(&mut self.basis_rate_year, basis_rate_year);
        keep_or_replace(&mut self.pre_open_price, pre_open_price);
        keep_or_replace(&mut self.pre_qty, pre_qty);
        keep_or_replace(&mut self.cur_pre_listing_phase, cur_pre_listing_phase);
        keep_or_replace(&mut self.delta, delta);
        keep_or_replace(&mut self.gamma, gamma);
        keep_or_replace(&mut self.vega, vega);
        keep_or_replace(&mut self.theta, theta);
    }

    /// Best bid `(price, size)`, from whichever names this category uses; `None` if not sent.
    pub fn bid(&self) -> Option<(&str, &str)> {
        pair(&self.bid1_price, &self.bid1_size).or_else(|| pair(&self.bid_price, &self.bid_size))
    }

    /// Best ask `(price, size)`, from whichever names this category uses; `None` if not sent.
    pub fn ask(&self) -> Option<(&str, &str)> {
        pair(&self.ask1_price, &self.ask1_size).or_else(|| pair(&self.ask_price, &self.ask_size))
    }
}

fn keep_or_replace(ours: &mut Option<String>, theirs: &Option<String>) {
    if theirs.is_some() {
        ours.clone_from(theirs);
    }
}

fn pair<'a>(p: &'a Option<String>, s: &'a Option<String>) -> Option<(&'a str, &'a str)> {
    Some((p.as_deref()?, s.as_deref()?))
}
