//! Pre-trade risk limits (`[risk]`): what a symbol's desired quotes may be,
//! judged after its ladder is built and before its sides are reconciled, so
//! a level or side taken out here is cancelled by the reconcile like any
//! level that is no longer wanted.
//!
//! | limit (`risk.*`)   | applies to | when it binds |
//! |--------------------|------------|---------------|
//! | `max_mid_jump_bps` | the symbol | the mid moved more than this from the last good book's: no quotes, until a book confirms the move (within the bound of the refused one) |
//! | `max_order_qty`    | a level    | its qty is larger: the level is not quoted |
//! | `price_band_bps`   | a level    | its price is further from mid: the level is not quoted |
//! | `max_open_orders`  | the symbol | unsettled orders plus quotes, both sides, would pass it: the outermost levels go (the longer side first, asks on a tie) |
//! | `max_position`     | a side     | its worst case passes it: the side is not quoted |
//! | `max_notional`     | a side     | its worst case valued at mid passes it: the side is not quoted |
//!
//! The worst case of a side is the position plus everything that may still
//! fill on the side that grows it (buys for a long position: buys add,
//! sells take away). After a tick's decisions the side holds at most its
//! quotes plus the orders not yet settled, and before them at most what it
//! holds now: ticks never overlap, and a place waits for the tick's cancels
//! and amends to be answered (with `async_batch.place_with_cancel`, for room
//! under the `levels` gate, so an order replaced and its replacement never
//! rest together). So open = max(now, quotes + unsettled), every order's
//! remaining qty counted. A fill only moves qty from the open orders to
//! the position: the sum never grows but by a place, so a side judged here
//! stays within its limit until the next tick judges it again, and the side
//! that would pass is emptied while the other keeps quoting and can bring
//! the position back.
//!
//! Each side logs one line when the set of limits binding it changes (and
//! when none binds any more), with the values at that moment; every tick a
//! limit binds a side is counted (`blocks`, by limit name).

use std::collections::{BTreeMap, VecDeque};

use crate::decimal::Decimal;
use crate::domain::{Category, Lots, Side, Ticks};
use crate::engine::market::Market;
use crate::engine::orders::{OrderTable, Seq, State};
use crate::engine::out::Out;
use crate::engine::positions::Positions;
use crate::engine::quote::Ladder;
use crate::engine::views::RiskLimited;
use crate::time::Timestamp;

/// The limits' names: log lines, counters, metric labels.
pub const LIMITS: [&str; 6] = [
    "max_mid_jump",
    "max_order_qty",
    "price_band",
    "max_open_orders",
    "max_position",
    "max_notional",
];

/// The built-in ladder's book, skewed against `sym`'s position: bid and ask
/// both move by mid x clamp(position x `quoting.skew_bps_per_unit`,
/// +-`quoting.max_skew_bps`) / 10000 ticks, cut toward zero (long: lower,
/// short: higher), so the spread stays and the side that reduces the
/// position gets nearer the market. Exact decimals, no rounding but the cut.
pub(super) fn skewed(
    sym: u32,
    book: (Ticks, Ticks),
    positions: &Positions,
    market: &Market,
) -> (Ticks, Ticks) {
    let q = &market.config.quoting;
    if q.skew_bps_per_unit.is_zero() || q.max_skew_bps == 0 {
        return book;
    }
    let Some(bps) = positions.qty(sym).checked_mul(q.skew_bps_per_unit) else {
        return book;
    };
    let max = Decimal::new(i128::from(q.max_skew_bps), 0);
    let bps = if gt(bps, max) {
        max
    } else if gt(-max, bps) {
        -max
    } else {
        bps
    };
    let m2 = i128::from(book.0.0) + i128::from(book.1.0);
    // mid x bps / 10000 = m2 x bps / 20000.
    let shift = Decimal::times(bps, m2)
        .and_then(|v| v.div_trunc(Decimal::new(20_000, 0), 0))
        .and_then(|v| i64::try_from(v.mantissa()).ok())
        .unwrap_or(0);
    (Ticks(book.0.0 - shift), Ticks(book.1.0 - shift))
}

/// What a symbol's limits read besides its ladder.
pub(super) struct Exposure<'a> {
    /// The book's best bid and ask the ladder was built on.
    pub(super) book: (Ticks, Ticks),
    pub(super) orders: &'a OrderTable,
    pub(super) positions: &'a Positions,
    /// The symbol's tracked orders: bids, asks.
    pub(super) seqs: [&'a [Seq]; 2],
    pub(super) market: &'a Market,
}

#[derive(Default, Clone)]
struct MidRef {
    /// The last good book's bid + ask (a doubled mid, in ticks).
    good: Option<i128>,
    /// A refused book's, which the next book may confirm.
    refused: Option<i128>,
}

#[derive(Default)]
pub(super) struct Risk {
    /// Per (symbol, side): the limits that bound it at its last judgement.
    binding: Vec<Vec<&'static str>>,
    /// Per (symbol, side): those limits' values at that judgement.
    details: Vec<String>,
    mids: Vec<MidRef>,
    /// Ticks x sides each limit bound, by limit name.
    pub(super) blocks: BTreeMap<&'static str, u64>,
    /// Per symbol: the latest usable book's bid + ask (PnL's mark).
    marks: Vec<Option<i128>>,
    /// Fills of ours counted so far, and when the recent ones came (core
    /// time, count): `max_fills_per_minute`'s window.
    fills_seen: u64,
    recent_fills: VecDeque<(Timestamp, u64)>,
    /// The kill switch's reason, once tripped (never cleared).
    pub(super) tripped: Option<String>,
}

/// `max_fills_per_minute`'s window.
const MINUTE_MS: u64 = 60_000;

/// One limit binding one side, with the values behind it (for the log).
struct Bind {
    limit: &'static str,
    detail: String,
}

fn side_of(i: usize) -> Side {
    if i == 0 { Side::Buy } else { Side::Sell }
}

fn gt(a: Decimal, b: Decimal) -> bool {
    a.checked_sub(b).is_some_and(Decimal::is_positive)
}

/// `m2 / 2` in `tick` units, as a price.
fn mid_text(tick: Decimal, m2: i128) -> String {
    Decimal::times(tick, m2)
        .and_then(|d| d.div_trunc(Decimal::new(2, 0), tick.scale() + 1))
        .map_or_else(String::new, |d| d.to_string())
}

/// |a - b| in bps of b, above `bps`: |a - b| * 10000 > bps * b.
fn beyond(a: i128, b: i128, bps: u32) -> bool {
    (a - b).abs() * 10_000 > i128::from(bps) * b
}

impl Risk {
    /// Applies every `[risk]` limit to `sym`'s desired quotes (`lad`: price
    /// and size per level per side): levels and sides that would breach are
    /// emptied.
    pub(super) fn limit(&mut self, sym: u32, lad: &mut Ladder, on: Exposure<'_>, out: &mut Out) {
        let market = on.market;
        let cfg = &market.config.risk;
        let name = market.name(sym);
        let inst = market.inst(sym);
        let i = sym as usize;
        if self.binding.len() < (i + 1) * 2 {
            self.binding.resize_with((i + 1) * 2, Vec::new);
            self.details.resize_with((i + 1) * 2, String::new);
            self.mids.resize_with(i + 1, MidRef::default);
        }
        let m2 = i128::from(on.book.0.0) + i128::from(on.book.1.0);
        if self.marks.len() <= i {
            self.marks.resize(i + 1, None);
        }
        self.marks[i] = Some(m2);
        let mut binds: [Vec<Bind>; 2] = [Vec::new(), Vec::new()];

        if let Some(jump) = cfg.max_mid_jump_bps {
            let r = &mut self.mids[i];
            match r.good {
                Some(good) if beyond(m2, good, jump) => {
                    if r.refused.is_some_and(|x| !beyond(m2, x, jump)) {
                        r.good = Some(m2);
                        r.refused = None;
                    } else {
                        r.refused = Some(m2);
                        let detail = format!(
                            "mid {} moved more than max_mid_jump_bps {jump} from {}",
                            mid_text(inst.tick_size, m2),
                            mid_text(inst.tick_size, good)
                        );
                        for b in &mut binds {
                            b.push(Bind {
                                limit: "max_mid_jump",
                                detail: detail.clone(),
                            });
                        }
                        lad.bids.iter_mut().for_each(|l| *l = None);
                        lad.asks.iter_mut().for_each(|l| *l = None);
                    }
                }
                _ => {
                    r.good = Some(m2);
                    r.refused = None;
                }
            }
        }

        for (s, levels) in [&mut lad.bids, &mut lad.asks].into_iter().enumerate() {
            if let Some(max) = cfg.max_order_qty.as_ref().and_then(|l| l.for_symbol(name)) {
                let mut dropped = 0;
                let mut largest = Lots(0);
                for p in levels.iter_mut() {
                    let Some((_, lots)) = *p else { continue };
                    let q = Decimal::times(inst.qty_step, i128::from(lots.0));
                    if q.is_none_or(|q| gt(q, max)) {
                        *p = None;
                        dropped += 1;
                        largest = largest.max(lots);
                    }
                }
                if dropped > 0 {
                    binds[s].push(Bind {
                        limit: "max_order_qty",
                        detail: format!(
                            "{dropped} levels of qty up to {} above max_order_qty {max}",
                            inst.qty_string(largest)
                        ),
                    });
                }
            }
            if let Some(band) = cfg.price_band_bps {
                let mut dropped = 0;
                for p in levels.iter_mut() {
                    if p.is_some_and(|(t, _)| beyond(2 * i128::from(t.0), m2, band)) {
                        *p = None;
                        dropped += 1;
                    }
                }
                if dropped > 0 {
                    binds[s].push(Bind {
                        limit: "price_band",
                        detail: format!(
                            "{dropped} levels further than price_band_bps {band} from mid {}",
                            mid_text(inst.tick_size, m2)
                        ),
                    });
                }
            }
        }

        let sides = [0, 1].map(|s| side_exposure(on.orders, on.seqs[s]));
        if let Some(max) = cfg
            .max_open_orders
            .as_ref()
            .and_then(|l| l.for_symbol(name))
        {
            let unsettled: usize = sides.iter().map(|x| x.unsettled_count).sum();
            let quotes =
                |l: &Ladder| l.bids.iter().flatten().count() + l.asks.iter().flatten().count();
            let wanted = quotes(lad);
            let mut dropped = [0usize; 2];
            while unsettled + quotes(lad) > max as usize {
                let nb = lad.bids.iter().flatten().count();
                let na = lad.asks.iter().flatten().count();
                let (s, levels) = if nb > na {
                    (0, &mut lad.bids)
                } else {
                    (1, &mut lad.asks)
                };
                let Some(p) = levels.iter_mut().rev().find(|p| p.is_some()) else {
                    break;
                };
                *p = None;
                dropped[s] += 1;
            }
            for s in 0..2 {
                if dropped[s] > 0 {
                    binds[s].push(Bind {
                        limit: "max_open_orders",
                        detail: format!(
                            "{unsettled} unsettled + {wanted} quotes above max_open_orders {max}: {} outermost dropped",
                            dropped[s]
                        ),
                    });
                }
            }
        }

        let pos = on.positions.qty(sym);
        for (s, levels) in [&mut lad.bids, &mut lad.asks].into_iter().enumerate() {
            if levels.iter().all(Option::is_none) {
                continue;
            }
            let quotes: i64 = levels.iter().flatten().map(|(_, lots)| lots.0).sum();
            let x = &sides[s];
            let open = x.open.max(quotes.saturating_add(x.unsettled));
            let growing = if s == 0 { pos } else { -pos };
            let Some(worst) = Decimal::times(inst.qty_step, i128::from(open))
                .and_then(|o| growing.checked_add(o))
            else {
                continue;
            };
            let mut empty = false;
            if let Some(max) = cfg.max_position.as_ref().and_then(|l| l.for_symbol(name))
                && gt(worst, max)
            {
                empty = true;
                binds[s].push(Bind {
                    limit: "max_position",
                    detail: format!(
                        "position {pos} + open {} (worst case) above max_position {max}",
                        inst.qty_string(Lots(open))
                    ),
                });
            }
            if let Some(max) = cfg.max_notional.as_ref().and_then(|l| l.for_symbol(name)) {
                // Doubled on both sides: m2 is twice the mid.
                let value2 = if inst.category == Category::Inverse {
                    worst.checked_mul(Decimal::new(2, 0))
                } else {
                    Decimal::times(inst.tick_size, m2).and_then(|m| worst.checked_mul(m))
                };
                let max2 = max.checked_mul(Decimal::new(2, 0));
                if let (Some(v2), Some(max2)) = (value2, max2)
                    && gt(v2, max2)
                {
                    empty = true;
                    let value = v2
                        .div_trunc(Decimal::new(2, 0), v2.scale() + 1)
                        .map_or_else(String::new, |d| d.to_string());
                    binds[s].push(Bind {
                        limit: "max_notional",
                        detail: format!(
                            "worst case {worst} at mid {} = {value} above max_notional {max}",
                            mid_text(inst.tick_size, m2)
                        ),
                    });
                }
            }
            if empty {
                levels.iter_mut().for_each(|p| *p = None);
            }
        }

        for (s, bind) in binds.iter().enumerate() {
            for b in bind {
                *self.blocks.entry(b.limit).or_insert(0) += 1;
            }
            let now: Vec<&'static str> = bind.iter().map(|b| b.limit).collect();
            let details: Vec<&str> = bind.iter().map(|b| b.detail.as_str()).collect();
            self.details[i * 2 + s] = details.join("; ");
            let was = &mut self.binding[i * 2 + s];
            if *was == now {
                continue;
            }
            let side = side_of(s).wire();
            if now.is_empty() {
                out.info(format!(
                    "risk: {name} {side} side: no limit binds any more ({} lifted)",
                    was.join(", ")
                ));
            } else {
                out.warn(format!(
                    "risk: {name} {side} side limited: {}",
                    self.details[i * 2 + s]
                ));
            }
            *was = now;
        }
    }
}

impl Risk {
    /// Every side a limit bound at its symbol's last judgement: what the
    /// quote stream tells an outside strategy.
    pub(super) fn limited(&self, market: &Market) -> Vec<RiskLimited> {
        let sides = self.binding.iter().zip(&self.details).enumerate();
        sides
            .filter(|(_, (limits, _))| !limits.is_empty())
            .map(|(k, (limits, detail))| RiskLimited {
                symbol: market.name((k / 2) as u32).to_string(),
                side: side_of(k % 2),
                limits: limits.iter().map(ToString::to_string).collect(),
                detail: detail.clone(),
            })
            .collect()
    }

    /// The kill switch, judged after every input until it trips: the
    /// reason, the first time `max_loss` or `max_fills_per_minute` is
    /// passed. `fills` is the count of our fills so far.
    pub(super) fn kill(
        &mut self,
        fills: u64,
        positions: &Positions,
        market: &Market,
        now: Timestamp,
    ) -> Option<String> {
        if self.tripped.is_some() {
            return None;
        }
        let cfg = &market.config.risk;
        let new = fills.saturating_sub(self.fills_seen);
        self.fills_seen = fills;
        if let Some(max) = cfg.max_fills_per_minute {
            if new > 0 {
                self.recent_fills.push_back((now, new));
            }
            while self
                .recent_fills
                .front()
                .is_some_and(|(t, _)| now.since(*t) >= MINUTE_MS)
            {
                self.recent_fills.pop_front();
            }
            let n: u64 = self.recent_fills.iter().map(|(_, c)| c).sum();
            if n > u64::from(max) {
                return self.trip(format!(
                    "max_fills_per_minute: {n} fills of ours in the last 60 s, above {max}"
                ));
            }
        }
        if let Some(max) = cfg.max_loss {
            let pnl = self.pnl(positions, market);
            if gt(-pnl, max) {
                return self.trip(format!(
                    "max_loss: PnL {pnl} (realised + unrealised at mid, every symbol) is a loss above {max}"
                ));
            }
        }
        None
    }

    /// The session's PnL over every symbol, in quote currency: realised plus
    /// unrealised from our executions, marked at each symbol's latest usable
    /// mid (its last execution's price before it has one).
    pub(super) fn pnl(&self, positions: &Positions, market: &Market) -> Decimal {
        let mut pnl = Decimal::ZERO;
        for sym in 0..positions.len() {
            let s32 = sym as u32;
            let tick = market.inst(s32).tick_size;
            let mark = (self.marks.get(sym).copied().flatten())
                .and_then(|m2| Decimal::times(tick, m2))
                .and_then(|m| m.div_trunc(Decimal::new(2, 0), tick.scale() + 1));
            if let Some(p) = positions.pnl(s32, mark) {
                pnl = pnl.checked_add(p).unwrap_or(pnl);
            }
        }
        pnl
    }

    fn trip(&mut self, reason: String) -> Option<String> {
        self.tripped = Some(reason.clone());
        Some(reason)
    }
}

/// What may still fill on one side, in lots: every tracked order's
/// remaining qty (an amend in flight counts at the larger of its two), and
/// of it what is not settled live (pending or unknown).
struct SideExposure {
    open: i64,
    unsettled: i64,
    unsettled_count: usize,
}

fn side_exposure(orders: &OrderTable, seqs: &[Seq]) -> SideExposure {
    let mut x = SideExposure {
        open: 0,
        unsettled: 0,
        unsettled_count: 0,
    };
    for &seq in seqs {
        let Some(o) = orders.get(seq) else { continue };
        let whole = match o.state {
            State::PendingAmend { qty, .. } => o.qty.0.max(qty.0),
            _ => o.qty.0,
        };
        let rest = whole.saturating_sub(o.filled.0).max(0);
        x.open = x.open.saturating_add(rest);
        if o.state != State::Live {
            x.unsettled = x.unsettled.saturating_add(rest);
            x.unsettled_count += 1;
        }
    }
    x
}
