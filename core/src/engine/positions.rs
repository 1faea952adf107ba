//! Our position per symbol: the sum of our unique executions (a buy adds
//! its qty, a sell takes it away), checked against the exchange's position
//! messages.
//!
//! The stream promises no order between executions and positions, so a
//! position is compared with what core held at that position's cross
//! sequence (`seq`, shared by a fill and the position it leaves):
//!
//! | the exchange's position (seq S)                  | check |
//! |--------------------------------------------------|-------|
//! | the symbol's first, no execution of ours applied | adopted as the start (not a mismatch) |
//! | S older than core's last correction               | stale: ignored |
//! | S newer than every execution core applied         | waits for those fills (an execution reaching S), at most `WAIT_MS`, then judged as core's stands |
//! | otherwise                                         | core's position minus its executions later than S, compared |
//! | no seq (0, or -1: never traded)                   | core's position as it stands, compared |
//!
//! A mismatch is logged (symbol, core's value, the exchange's), counted and
//! corrected: core takes the exchange's value (plus its own executions later
//! than S), and an execution up to S that arrives afterwards is already in
//! it. One-way mode only (`positionIdx` 0); hedge-mode positions are ignored.

use std::collections::VecDeque;

use crate::decimal::Decimal;
use crate::engine::market::Market;
use crate::engine::out::{Out, clean};
use crate::engine::views::PositionView;
use crate::input::Position;
use crate::time::Timestamp;

/// How long a position newer than core's executions waits for them.
pub(super) const WAIT_MS: u64 = 1_000;

/// Applied executions remembered per symbol (seq, signed qty), enough to
/// take back those later than a position that arrives behind them.
const RECENT: usize = 256;

#[derive(Default)]
struct Pos {
    qty: Decimal,
    /// Executions with a seq up to this are in `qty` through an exchange value.
    covered: i64,
    /// The highest seq among the executions applied.
    max_seq: i64,
    recent: VecDeque<(i64, Decimal)>,
    /// An execution was applied or the exchange's position seen.
    started: bool,
    /// The exchange's latest position.
    exchange: Option<Decimal>,
    /// A position newer than core's executions: (seq, qty, since).
    waiting: Option<(i64, Decimal, Timestamp)>,
    /// The largest |qty| so far (the summary's `max_abs_position`).
    max_abs: Decimal,
    /// For PnL: the sum of our executions (signed) and the cash they moved
    /// (sells in, buys out), and the last execution's price.
    traded: Decimal,
    cash: Decimal,
    last_price: Option<Decimal>,
}

impl Pos {
    fn track_max(&mut self) {
        let abs = if self.qty.mantissa() < 0 {
            -self.qty
        } else {
            self.qty
        };
        if abs
            .checked_sub(self.max_abs)
            .is_some_and(Decimal::is_positive)
        {
            self.max_abs = abs;
        }
    }
}

#[derive(Default)]
pub(super) struct Positions {
    by_sym: Vec<Pos>,
}

impl Positions {
    fn pos(&mut self, sym: u32) -> &mut Pos {
        let i = sym as usize;
        if self.by_sym.len() <= i {
            self.by_sym.resize_with(i + 1, Pos::default);
        }
        &mut self.by_sym[i]
    }

    /// An execution of ours on `sym` moved the position by `signed`.
    pub(super) fn apply(
        &mut self,
        sym: u32,
        signed: Decimal,
        seq: i64,
        market: &Market,
        out: &mut Out,
    ) {
        let p = self.pos(sym);
        p.started = true;
        if seq > 0 && seq <= p.covered {
            // Already in the exchange's value core adopted.
            return;
        }
        match p.qty.checked_add(signed) {
            Some(q) => {
                p.qty = q;
                p.track_max();
            }
            None => out.error(format!(
                "position {}: {} + {signed} overflows: execution not counted",
                market.name(sym),
                p.qty
            )),
        }
        if seq > 0 {
            p.max_seq = p.max_seq.max(seq);
            if p.recent.len() == RECENT {
                p.recent.pop_front();
            }
            p.recent.push_back((seq, signed));
        }
        if let Some((s, q, _)) = p.waiting
            && s <= p.max_seq
        {
            self.judge(sym, q, s, market, out);
        }
    }

    /// The exchange's position messages, checked (see the module table).
    pub(super) fn check(&mut self, positions: &[Position], market: &Market, out: &mut Out) {
        for x in positions {
            let Some(sym) = market.sym_index(&x.symbol) else {
                continue; // a symbol core does not trade
            };
            if x.position_idx != 0 {
                out.warn(format!(
                    "position {} with positionIdx {} (hedge mode) ignored: core checks one-way positions",
                    market.name(sym),
                    x.position_idx
                ));
                continue;
            }
            let Some(q) = signed_size(x) else {
                out.warn(format!(
                    "position {}: side {:?} size {:?} unreadable: ignored",
                    market.name(sym),
                    clean(&x.side),
                    clean(&x.size)
                ));
                continue;
            };
            self.check_one(sym, q, x.seq, market, out);
        }
    }

    fn check_one(&mut self, sym: u32, q: Decimal, seq: i64, market: &Market, out: &mut Out) {
        let now = out.now;
        let p = self.pos(sym);
        p.exchange = Some(q);
        if !p.started {
            p.started = true;
            p.qty = q;
            p.covered = seq.max(0);
            p.track_max();
            if !q.is_zero() {
                out.info(format!(
                    "position {}: {q} at the exchange before any fill of ours: taken as the start",
                    market.name(sym)
                ));
            }
            return;
        }
        if seq > 0 && seq < p.covered {
            return;
        }
        if seq > 0 && seq > p.max_seq && seq > p.covered {
            if p.waiting.is_none_or(|(s, _, _)| s <= seq) {
                let since = p.waiting.map_or(now, |(_, _, t)| t);
                p.waiting = Some((seq, q, since));
            }
            return;
        }
        self.judge(sym, q, seq, market, out);
    }

    /// Compares the exchange's `q` at `seq` with core's; corrects a mismatch.
    fn judge(&mut self, sym: u32, q: Decimal, seq: i64, market: &Market, out: &mut Out) {
        let p = self.pos(sym);
        if p.waiting.is_some_and(|(s, _, _)| s <= seq) {
            p.waiting = None;
        }
        let mut later = Decimal::ZERO;
        if seq > 0 {
            if p.recent.len() == RECENT && p.recent.front().is_some_and(|(s, _)| *s > seq) {
                return; // older than what core remembers: cannot be judged
            }
            for (s, d) in &p.recent {
                if *s > seq {
                    later = later.checked_add(*d).unwrap_or(later);
                }
            }
        }
        let core_at = p.qty.checked_sub(later).unwrap_or(p.qty);
        if core_at == q {
            return;
        }
        p.qty = q.checked_add(later).unwrap_or(q);
        p.track_max();
        p.covered = p.covered.max(seq);
        out.fills.position_mismatches += 1;
        out.warn(format!(
            "position {} mismatch: core {core_at}, exchange {q} (seq {seq}): corrected to the exchange's",
            market.name(sym)
        ));
    }

    /// Positions that waited `WAIT_MS` for their fills are judged now.
    pub(super) fn expire(&mut self, market: &Market, out: &mut Out) {
        let now = out.now;
        for i in 0..self.by_sym.len() {
            if let Some((s, q, since)) = self.by_sym[i].waiting
                && now >= since.plus_ms(WAIT_MS)
            {
                self.judge(i as u32, q, s, market, out);
            }
        }
    }

    /// When the earliest waiting position is due to be judged.
    pub(super) fn wake(&self) -> Option<Timestamp> {
        self.by_sym
            .iter()
            .filter_map(|p| p.waiting.map(|(_, _, t)| t.plus_ms(WAIT_MS)))
            .min()
    }

    /// An execution of ours (each execId once) for PnL: `signed` qty at `price`.
    pub(super) fn trade(&mut self, sym: u32, signed: Decimal, price: Option<Decimal>) {
        let p = self.pos(sym);
        let Some(price) = price else { return };
        if let (Some(t), Some(c)) = (
            p.traded.checked_add(signed),
            price
                .checked_mul(signed)
                .and_then(|v| p.cash.checked_sub(v)),
        ) {
            p.traded = t;
            p.cash = c;
            p.last_price = Some(price);
        }
    }

    /// The session's PnL of `sym` from our executions: cash plus what they
    /// left marked at `mark` (the last execution's price without one).
    /// Realised and unrealised together, exact.
    pub(super) fn pnl(&self, sym: u32, mark: Option<Decimal>) -> Option<Decimal> {
        let p = self.by_sym.get(sym as usize)?;
        let mark = mark.or(p.last_price)?;
        p.traded.checked_mul(mark)?.checked_add(p.cash)
    }

    /// Symbols with a position slot, for sums over them.
    pub(super) fn len(&self) -> usize {
        self.by_sym.len()
    }

    /// Core's position of `sym` (zero before any is known).
    pub(super) fn qty(&self, sym: u32) -> Decimal {
        self.by_sym
            .get(sym as usize)
            .map_or(Decimal::ZERO, |p| p.qty)
    }

    /// Every symbol with a position known, in symbol order.
    pub(super) fn views(&self, market: &Market) -> Vec<PositionView> {
        self.by_sym
            .iter()
            .enumerate()
            .filter(|(_, p)| p.started)
            .map(|(i, p)| PositionView {
                symbol: market.name(i as u32).to_string(),
                core: p.qty.to_string(),
                exchange: p.exchange.map(|d| d.to_string()),
                max_abs: p.max_abs.to_string(),
            })
            .collect()
    }
}

/// The position as a signed size: `Buy` long, `Sell` short, `""` flat.
fn signed_size(x: &Position) -> Option<Decimal> {
    let size: Decimal = x.size.parse().ok()?;
    if size.mantissa() < 0 {
        return None;
    }
    match x.side.as_str() {
        "Buy" => Some(size),
        "Sell" => Some(-size),
        "" | "None" if size.is_zero() => Some(Decimal::ZERO),
        _ => None,
    }
}
