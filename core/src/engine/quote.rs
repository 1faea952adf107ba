//! Quoting: is a book fit to quote on, and the ladder around its mid.
//!
//! The ladder is one of two quote sources (`quoting.source`); the other is
//! the user's own quote sets (`external`). Both fill the same `Ladder`: per
//! side, per level, a price and a size, which is all that reconcile and
//! everything after it read.
//!
//! All arithmetic is on integers: prices are whole ticks, the mid is kept
//! doubled (bid + ask, half-tick exact) and bps factors are applied in i128,
//! so no rounding other than the final floor (bids) / ceil (asks) onto the
//! tick grid ever happens. Rounding outwards keeps every quote at least as
//! far from mid as asked.

use crate::decimal::Decimal;
use crate::domain::{Instrument, Lots, Ticks};
use crate::input::{BookTop, QuoteLevel, QuoteSet};
use crate::time::Timestamp;

/// Why a book gets no quotes.
pub(super) type Refusal = &'static str;

/// Best bid and ask on the grid, or why the book is not usable.
pub(super) fn judge_book(
    book: Option<&BookTop>,
    inst: &Instrument,
    now: Timestamp,
    max_age_ms: u64,
) -> Result<(Ticks, Ticks), Refusal> {
    let book = book.ok_or("missing")?;
    if now.since(book.received_ms) > max_age_ms {
        return Err("stale");
    }
    let bid = parse_price(&book.bid, inst)?;
    let ask = parse_price(&book.ask, inst)?;
    if bid >= ask {
        return Err("crossed");
    }
    Ok((bid, ask))
}

fn parse_price(text: &str, inst: &Instrument) -> Result<Ticks, Refusal> {
    let d: Decimal = text.parse().map_err(|_| "unparseable")?;
    inst.price_ticks(&d).ok_or("off-grid or not positive")
}

/// What one level of a side should rest: price and size on the grid.
pub(super) type Want = (Ticks, Lots);

/// A symbol's desired set, per side: index = level; `None` = no order at
/// that level (its price would not be positive or does not fit).
#[derive(Default)]
pub(super) struct Ladder {
    pub(super) bids: Vec<Option<Want>>,
    pub(super) asks: Vec<Option<Want>>,
}

impl Ladder {
    pub(super) fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }
}

/// `ladder_into` into a new `Ladder`.
#[cfg(test)]
pub(super) fn ladder(
    bid: Ticks,
    ask: Ticks,
    levels: u32,
    spread_bps: u32,
    step_bps: u32,
) -> Ladder {
    let mut out = Ladder::default();
    ladder_into(&mut out, bid, ask, levels, spread_bps, step_bps, Lots(1));
    out
}

/// The ladder into kept buffers (cleared first). Level i (0-based):
/// bid = floor(mid * (1 - (spread/2 + i*step)/10000)),
/// ask = ceil(mid * (1 + (spread/2 + i*step)/10000)), with mid = (bid+ask)/2.
/// With m2 = bid + ask that is m2 * (20000 -/+ spread -/+ 2*i*step) / 40000.
/// Every level rests `qty`.
pub(super) fn ladder_into(
    out: &mut Ladder,
    bid: Ticks,
    ask: Ticks,
    levels: u32,
    spread_bps: u32,
    step_bps: u32,
    qty: Lots,
) {
    let m2 = i128::from(bid.0) + i128::from(ask.0);
    out.bids.clear();
    out.asks.clear();
    for i in 0..levels {
        let off = i128::from(spread_bps) + 2 * i128::from(i) * i128::from(step_bps);
        let b = (m2 * (20_000 - off)).div_euclid(40_000);
        let a_num = m2 * (20_000 + off);
        let a = (a_num + 39_999).div_euclid(40_000);
        let at = |p: i128| {
            (p > 0)
                .then(|| i64::try_from(p).ok().map(|p| (Ticks(p), qty)))
                .flatten()
        };
        out.bids.push(at(b));
        out.asks.push(at(a));
    }
}

/// An external quote set checked against the instrument: every price on
/// the tick grid and positive, every size on the qty grid and at least the
/// minimum order qty, each side best first with distinct prices, at most
/// `levels` per side, the best bid below the best ask. The first problem
/// found refuses the whole set, named by its field (`bids[1].price`).
pub(super) fn judge_quotes(
    set: &QuoteSet,
    inst: &Instrument,
    levels: u32,
) -> Result<(Vec<Want>, Vec<Want>), String> {
    let bids = judge_side(&set.bids, "bids", inst, levels)?;
    let asks = judge_side(&set.asks, "asks", inst, levels)?;
    if let (Some(b), Some(a)) = (bids.first(), asks.first())
        && b.0 >= a.0
    {
        return Err(format!(
            "crossed: bids[0].price {} is not below asks[0].price {}",
            inst.price_string(b.0),
            inst.price_string(a.0)
        ));
    }
    Ok((bids, asks))
}

fn judge_side(
    side: &[QuoteLevel],
    name: &str,
    inst: &Instrument,
    levels: u32,
) -> Result<Vec<Want>, String> {
    if side.len() > levels as usize {
        return Err(format!(
            "{name}: {} levels, more than quoting.levels = {levels}",
            side.len()
        ));
    }
    let mut out: Vec<Want> = Vec::with_capacity(side.len());
    for (i, level) in side.iter().enumerate() {
        let field = |f: &str, text: &str, why: String| {
            format!("{name}[{i}].{f} {:?} {why}", super::out::clean(text))
        };
        let price: Decimal = (level.price.parse())
            .map_err(|_| field("price", &level.price, "is not a decimal".into()))?;
        let price = inst.price_ticks(&price).ok_or_else(|| {
            let why = format!(
                "is not a positive multiple of the tick size {}",
                inst.tick_size
            );
            field("price", &level.price, why)
        })?;
        let qty: Decimal =
            (level.qty.parse()).map_err(|_| field("qty", &level.qty, "is not a decimal".into()))?;
        let lots = inst.qty_lots(&qty).ok_or_else(|| {
            let why = format!(
                "is not a positive multiple of the qty step {}",
                inst.qty_step
            );
            field("qty", &level.qty, why)
        })?;
        if qty
            .checked_sub(inst.min_qty)
            .is_none_or(|d| !(d.is_positive() || d.is_zero()))
        {
            let why = format!("is below the minimum order qty {}", inst.min_qty);
            return Err(field("qty", &level.qty, why));
        }
        if let Some(&(prev, _)) = out.last() {
            let ordered = if name == "bids" {
                price < prev
            } else {
                price > prev
            };
            if !ordered {
                let dir = if name == "bids" { "below" } else { "above" };
                let why = format!(
                    "is not {dir} {name}[{}].price {} (best first, distinct prices)",
                    i - 1,
                    inst.price_string(prev)
                );
                return Err(field("price", &level.price, why));
            }
        }
        out.push((price, lots));
    }
    Ok(out)
}

/// Decimal digits of `v`, zero-padded to at least `width` (no fmt machinery:
/// this runs for every price and size sent).
pub(super) fn push_digits(out: &mut String, mut v: u64, width: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while i > 0 && (v > 0 || buf.len() - i < width.max(1)) {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    for b in &buf[i..] {
        out.push(char::from(*b));
    }
}

/// A resting price within `tol_bps` of the desired one (relative to desired).
pub(super) fn within(live: Ticks, desired: Ticks, tol_bps: u32) -> bool {
    let diff = (i128::from(live.0) - i128::from(desired.0)).abs();
    diff * 10_000 <= i128::from(tol_bps) * i128::from(desired.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_rounds_outwards_on_the_grid() {
        // bid 1000, ask 1002 ticks: mid 1001. spread 10 bps: half 5 bps = 0.5005 ticks.
        let l = ladder(Ticks(1000), Ticks(1002), 2, 10, 5);
        let q = Lots(1);
        assert_eq!(l.bids, vec![Some((Ticks(1000), q)), Some((Ticks(999), q))]);
        assert_eq!(l.asks, vec![Some((Ticks(1002), q)), Some((Ticks(1003), q))]);
    }

    #[test]
    fn levels_below_zero_are_skipped() {
        let l = ladder(Ticks(1), Ticks(3), 1, 19_999, 0);
        assert_eq!(l.bids, vec![None]);
    }

    #[test]
    fn tolerance_is_relative_to_desired() {
        assert!(within(Ticks(10_001), Ticks(10_000), 1));
        assert!(!within(Ticks(10_002), Ticks(10_000), 1));
        assert!(within(Ticks(10_000), Ticks(10_000), 0));
    }
}
