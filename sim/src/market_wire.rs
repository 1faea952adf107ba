//! A market's wire views, with the fields Bybit sends for its category (the shapes of the
//! documented examples in `bybit/tests/fixtures`): the ticker and the instrument. Values that
//! the simulator does not model (volumes, funding, greeks) are fixed plausible strings.

use mm_bybit::{
    Category, Instrument, LeverageFilter, LotSizeFilter, PriceFilter, RiskParameters, Ticker,
};

use crate::decimal::format_ratio;
use crate::market::Market;
use crate::rng::str_hash;

/// Funding every 8 h on the simulated perpetuals.
const FUNDING_INTERVAL_MS: u64 = 8 * 3_600_000;
/// A fixed launch time (2023-11-14), so replies do not depend on when the sim started.
const LAUNCH_TIME: &str = "1700000000000";

impl Market {
    pub(crate) fn ticker(&self, now: u64) -> Ticker {
        let p = |ticks: u64| self.price.format(ticks);
        let s = |v: &str| Some(v.to_string());
        let size = self.qty.format(self.touch_qty());
        let mid = p(self.mid());
        let change = i128::from(self.mid()) - i128::from(self.start_mid);
        let base = Ticker {
            symbol: self.symbol.clone(),
            bid1_price: p(self.bid()),
            bid1_size: size.clone(),
            ask1_price: p(self.ask()),
            ask1_size: size,
            last_price: mid.clone(),
            high_price_24h: Some(p(self.high)),
            low_price_24h: Some(p(self.low)),
            turnover_24h: s("0"),
            volume_24h: s("0"),
            ..Ticker::default()
        };
        match self.category {
            Category::Linear | Category::Inverse => Ticker {
                index_price: Some(mid.clone()),
                mark_price: Some(mid.clone()),
                prev_price_24h: Some(p(self.start_mid)),
                price_24h_pcnt: Some(format_ratio(change, u128::from(self.start_mid))),
                prev_price_1h: Some(mid),
                open_interest: s("0"),
                open_interest_value: s("0"),
                funding_rate: s("0.0001"),
                next_funding_time: Some((now / FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS)
                    .map(|t| t.to_string()),
                predicted_delivery_price: s(""),
                basis_rate: s(""),
                delivery_fee_rate: s(""),
                delivery_time: s("0"),
                basis: s(""),
                pre_open_price: s(""),
                pre_qty: s(""),
                cur_pre_listing_phase: s(""),
                funding_interval_hour: s("8"),
                basis_rate_year: s(""),
                funding_cap: s("0.005"),
                ..base
            },
            Category::Spot => Ticker {
                prev_price_24h: Some(p(self.start_mid)),
                price_24h_pcnt: Some(format_ratio(change, u128::from(self.start_mid))),
                usd_index_price: Some(mid),
                ..base
            },
            Category::Option => Ticker {
                bid1_iv: s("0"),
                ask1_iv: s("0"),
                mark_price: Some(mid.clone()),
                index_price: Some(mid.clone()),
                mark_iv: s("0.5"),
                underlying_price: Some(mid),
                open_interest: s("0"),
                total_volume: s("0"),
                total_turnover: s("0"),
                delta: s("0.5"),
                gamma: s("0"),
                vega: s("0"),
                theta: s("0"),
                predicted_delivery_price: s("0"),
                change_24h: s("0"),
                ..base
            },
        }
    }

    pub(crate) fn instrument(&self) -> Instrument {
        let s = |v: &str| Some(v.to_string());
        let max_qty = self.qty.format(self.min_qty * 1_000_000);
        let derivative_prices = PriceFilter {
            min_price: self.tick_size.clone(),
            max_price: self.price.format(self.mid() * 1000),
            tick_size: self.tick_size.clone(),
        };
        let base = Instrument {
            symbol: self.symbol.clone(),
            status: "Trading".to_string(),
            base_coin: self.base_coin.clone(),
            quote_coin: self.quote_coin.clone(),
            ..Instrument::default()
        };
        let risk = Some(RiskParameters {
            price_limit_ratio_x: "0.01".into(),
            price_limit_ratio_y: "0.02".into(),
        });
        match self.category {
            Category::Linear | Category::Inverse => {
                let linear = self.category == Category::Linear;
                Instrument {
                    contract_type: s(if linear {
                        "LinearPerpetual"
                    } else {
                        "InversePerpetual"
                    }),
                    settle_coin: Some(if linear {
                        self.quote_coin.clone()
                    } else {
                        self.base_coin.clone()
                    }),
                    launch_time: s(LAUNCH_TIME),
                    delivery_time: s("0"),
                    delivery_fee_rate: s(""),
                    price_scale: Some(decimals(&self.tick_size).to_string()),
                    leverage_filter: Some(LeverageFilter {
                        min_leverage: "1".into(),
                        max_leverage: "100.00".into(),
                        leverage_step: "0.01".into(),
                    }),
                    price_filter: derivative_prices,
                    lot_size_filter: LotSizeFilter {
                        qty_step: self.qty_step.clone(),
                        min_order_qty: self.qty.format(self.min_qty),
                        max_order_qty: max_qty.clone(),
                        post_only_max_order_qty: Some(max_qty.clone()),
                        max_mkt_order_qty: Some(self.qty.format(self.min_qty * 100_000)),
                        min_notional_value: s("5"),
                        ..LotSizeFilter::default()
                    },
                    unified_margin_trade: Some(true),
                    funding_interval: Some(FUNDING_INTERVAL_MS / 60_000),
                    copy_trading: s("none"),
                    upper_funding_rate: s("0.005"),
                    lower_funding_rate: s("-0.005"),
                    is_pre_listing: Some(false),
                    risk_parameters: risk,
                    display_name: s(""),
                    symbol_type: s(""),
                    ..base
                }
            }
            Category::Option => Instrument {
                settle_coin: Some(self.quote_coin.clone()),
                options_type: s(if self.symbol.split('-').any(|p| p == "C") {
                    "Call"
                } else {
                    "Put"
                }),
                launch_time: s(LAUNCH_TIME),
                delivery_time: s("1893456000000"),
                delivery_fee_rate: s("0.00015"),
                price_filter: derivative_prices,
                lot_size_filter: LotSizeFilter {
                    qty_step: self.qty_step.clone(),
                    min_order_qty: self.qty.format(self.min_qty),
                    max_order_qty: max_qty,
                    ..LotSizeFilter::default()
                },
                display_name: Some(self.symbol.clone()),
                ..base
            },
            Category::Spot => Instrument {
                symbol_id: Some(str_hash(&self.symbol) % 10_000),
                innovation: s("0"),
                margin_trading: s("utaOnly"),
                st_tag: s("0"),
                price_filter: PriceFilter {
                    tick_size: self.tick_size.clone(),
                    ..PriceFilter::default()
                },
                lot_size_filter: LotSizeFilter {
                    base_precision: self.qty_step.clone(),
                    quote_precision: Some(self.tick_size.clone()),
                    min_order_qty: self.qty.format(self.min_qty),
                    max_order_qty: max_qty.clone(),
                    min_order_amt: "5".into(),
                    max_order_amt: s("8000000"),
                    max_limit_order_qty: Some(max_qty.clone()),
                    max_market_order_qty: Some(self.qty.format(self.min_qty * 500_000)),
                    post_only_max_limit_order_size: Some(self.qty.format(self.min_qty * 5_000_000)),
                    ..LotSizeFilter::default()
                },
                risk_parameters: risk,
                symbol_type: s(""),
                ..base
            },
        }
    }
}

/// Decimal places of a step ("0.01" -> 2, "5" -> 0).
fn decimals(step: &str) -> usize {
    step.split_once('.').map_or(0, |(_, f)| f.len())
}
