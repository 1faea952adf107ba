//! One account's position in one symbol, built from its fills: signed size in qty steps, the
//! cost of the open size (for the entry price) and realised PnL, all integers.

use mm_bybit::Side;

use crate::decimal::format_value;
use crate::events::PositionView;
use crate::market::Market;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Position {
    /// Signed size in qty steps: > 0 long, < 0 short.
    pub(crate) size: i128,
    /// Sum of price ticks x qty steps paid for the open size.
    cost: u128,
    /// Realised PnL in ticks x steps.
    realised: i128,
    /// Cross sequence of the last fill; -1 never traded.
    pub(crate) seq: i64,
    created_ms: u64,
    updated_ms: u64,
}

impl Position {
    pub(crate) fn new(now: u64) -> Self {
        Self {
            seq: -1,
            created_ms: now,
            updated_ms: now,
            ..Self::default()
        }
    }

    /// Applies a fill of `qty` steps at `price` ticks; returns the size it closed (steps).
    pub(crate) fn apply(&mut self, side: Side, qty: u64, price: u64, seq: u64, now: u64) -> u64 {
        let signed = match side {
            Side::Buy => i128::from(qty),
            Side::Sell => -i128::from(qty),
        };
        let mut closed = 0u64;
        let open = self.size.unsigned_abs();
        if self.size != 0 && (self.size > 0) != (signed > 0) {
            // Reducing (maybe flipping): the closed part realises against the entry price.
            let q = u128::from(qty).min(open);
            let cost_out = self.cost * q / open;
            let value_out = u128::from(price) * q;
            let pnl = i128::try_from(value_out).unwrap_or(i128::MAX)
                - i128::try_from(cost_out).unwrap_or(i128::MAX);
            self.realised += if self.size > 0 { pnl } else { -pnl };
            self.cost -= cost_out;
            closed = u64::try_from(q).unwrap_or(u64::MAX);
            let rest = u128::from(qty) - q;
            self.cost += u128::from(price) * rest;
        } else {
            self.cost += u128::from(price) * u128::from(qty);
        }
        self.size += signed;
        if self.size == 0 {
            self.cost = 0;
        }
        self.seq = i64::try_from(seq).unwrap_or(i64::MAX);
        self.updated_ms = now;
        closed
    }

    /// Entry price in ticks (rounded down), 0 when flat.
    fn entry(&self) -> u64 {
        match self.size.unsigned_abs() {
            0 => 0,
            n => u64::try_from(self.cost / n).unwrap_or(0),
        }
    }

    /// The wire view (stream message and `/v5/position/list` item).
    pub(crate) fn view(&self, m: &Market) -> PositionView {
        let abs = u64::try_from(self.size.unsigned_abs()).unwrap_or(u64::MAX);
        let value = |n: u128| format_value(&m.price, &m.qty, n);
        let signed_value = |n: i128| {
            let s = value(n.unsigned_abs());
            if n < 0 && s != "0" {
                format!("-{s}")
            } else {
                s
            }
        };
        let entry = self.entry();
        let mark = m.mid();
        let upnl = (i128::from(mark) - i128::from(entry)) * i128::from(abs);
        let upnl = if self.size < 0 { -upnl } else { upnl };
        let zero = || "0".to_string();
        PositionView {
            position_idx: 0,
            trade_mode: 0,
            risk_id: 1,
            risk_limit_value: "2000000".into(),
            symbol: m.symbol.clone(),
            side: match self.size {
                0 => "",
                s if s > 0 => "Buy",
                _ => "Sell",
            },
            // Flat is "0", as in Bybit's example.
            size: if abs == 0 { zero() } else { m.qty.format(abs) },
            entry_price: if abs == 0 {
                zero()
            } else {
                m.price.format(entry)
            },
            leverage: "10".into(),
            break_even_price: if abs == 0 {
                zero()
            } else {
                m.price.format(entry)
            },
            position_value: value(u128::from(entry) * u128::from(abs)),
            position_balance: zero(),
            mark_price: m.price.format(mark),
            position_im: zero(),
            position_im_by_mp: zero(),
            position_mm: zero(),
            position_mm_by_mp: zero(),
            take_profit: zero(),
            stop_loss: zero(),
            trailing_stop: zero(),
            unrealised_pnl: if abs == 0 { zero() } else { signed_value(upnl) },
            cur_realised_pnl: signed_value(self.realised),
            cum_realised_pnl: signed_value(self.realised),
            session_avg_price: zero(),
            created_time: self.created_ms.to_string(),
            updated_time: self.updated_ms.to_string(),
            tpsl_mode: "Full".into(),
            liq_price: zero(),
            bust_price: String::new(),
            category: m.category,
            position_status: "Normal".into(),
            adl_rank_indicator: 0,
            auto_add_margin: 0,
            leverage_sys_updated_time: String::new(),
            mmr_sys_updated_time: String::new(),
            seq: self.seq,
            is_reduce_only: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_then_flip_short_realises_against_the_entry() {
        let mut p = Position::new(0);
        assert_eq!(p.apply(Side::Buy, 2, 100, 1, 1), 0);
        assert_eq!(p.apply(Side::Buy, 2, 110, 2, 2), 0);
        assert_eq!((p.size, p.entry()), (4, 105));
        // Sell 6 at 120: closes 4 (+15 each = 60), opens 2 short at 120.
        assert_eq!(p.apply(Side::Sell, 6, 120, 3, 3), 4);
        assert_eq!((p.size, p.entry(), p.realised), (-2, 120, 60));
        // Buy 2 at 125 closes the short at a loss of 10.
        assert_eq!(p.apply(Side::Buy, 2, 125, 4, 4), 2);
        assert_eq!((p.size, p.entry(), p.realised, p.seq), (0, 0, 50, 4));
    }
}
