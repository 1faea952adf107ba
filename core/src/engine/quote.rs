//! Quoting: is a book fit to quote on, and the ladder around its mid.
//!
//! All arithmetic is on integers: prices are whole ticks, the mid is kept
//! doubled (bid + ask, half-tick exact) and bps factors are applied in i128,
//! so no rounding other than the final floor (bids) / ceil (asks) onto the
//! tick grid ever happens. Rounding outwards keeps every quote at least as
//! far from mid as asked.

use crate::decimal::Decimal;
use crate::domain::{Instrument, Ticks};
use crate::input::BookTop;
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

/// One side of a ladder: index = level; `None` = no order at that level
/// (its price would not be positive or does not fit).
#[derive(Default)]
pub(super) struct Ladder {
    pub(super) bids: Vec<Option<Ticks>>,
    pub(super) asks: Vec<Option<Ticks>>,
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
    ladder_into(&mut out, bid, ask, levels, spread_bps, step_bps);
    out
}

/// The ladder into kept buffers (cleared first). Level i (0-based):
/// bid = floor(mid * (1 - (spread/2 + i*step)/10000)),
/// ask = ceil(mid * (1 + (spread/2 + i*step)/10000)), with mid = (bid+ask)/2.
/// With m2 = bid + ask that is m2 * (20000 -/+ spread -/+ 2*i*step) / 40000.
pub(super) fn ladder_into(
    out: &mut Ladder,
    bid: Ticks,
    ask: Ticks,
    levels: u32,
    spread_bps: u32,
    step_bps: u32,
) {
    let m2 = i128::from(bid.0) + i128::from(ask.0);
    out.bids.clear();
    out.asks.clear();
    for i in 0..levels {
        let off = i128::from(spread_bps) + 2 * i128::from(i) * i128::from(step_bps);
        let b = (m2 * (20_000 - off)).div_euclid(40_000);
        let a_num = m2 * (20_000 + off);
        let a = (a_num + 39_999).div_euclid(40_000);
        out.bids
            .push((b > 0).then(|| i64::try_from(b).ok().map(Ticks)).flatten());
        out.asks
            .push((a > 0).then(|| i64::try_from(a).ok().map(Ticks)).flatten());
    }
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
        assert_eq!(l.bids, vec![Some(Ticks(1000)), Some(Ticks(999))]);
        assert_eq!(l.asks, vec![Some(Ticks(1002)), Some(Ticks(1003))]);
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
