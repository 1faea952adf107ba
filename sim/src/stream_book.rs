//! The public order book a stream subscriber sees: the simulated external market as `depth`
//! levels a side, one tick apart from the touch outwards, each showing the touch size (the
//! account's own resting orders are not in it, as they are not in the ticker). A delta lists
//! the levels that appeared (with their size) and the ones that left (size `"0"`).

use std::collections::BTreeMap;

use crate::events::MarketMove;
use crate::stream_wire::Level;

/// Depths a category's `orderbook.{depth}` topic accepts.
pub(crate) fn depth_allowed(category: mm_bybit::Category, depth: usize) -> bool {
    match category {
        mm_bybit::Category::Option => matches!(depth, 25 | 100),
        _ => matches!(depth, 1 | 50 | 200 | 1000),
    }
}

/// One side's levels by price in ticks.
pub(crate) type Side = BTreeMap<u64, String>;

/// Both sides of the book at `depth` after the move.
pub(crate) fn levels(mv: &MarketMove, depth: usize) -> (Side, Side) {
    let depth = depth as u64;
    let bids = (0..depth)
        .map_while(|i| mv.bid.checked_sub(i).filter(|&p| p > 0))
        .map(|p| (p, mv.level_size.clone()))
        .collect();
    let asks = (0..depth)
        .map(|i| (mv.ask + i, mv.level_size.clone()))
        .collect();
    (bids, asks)
}

/// The wire levels of a whole side: bids best (highest) first, asks lowest first.
pub(crate) fn wire(mv: &MarketMove, side: &Side, bids: bool) -> Vec<Level> {
    let f = |(p, s): (&u64, &String)| (mv.price.format(*p), s.clone());
    if bids {
        side.iter().rev().map(f).collect()
    } else {
        side.iter().map(f).collect()
    }
}

/// What changed from `old` to `new`: new or resized levels with their size, gone ones "0".
pub(crate) fn diff(mv: &MarketMove, old: &Side, new: &Side, bids: bool) -> Vec<Level> {
    let mut changed = Side::new();
    for (p, s) in new {
        if old.get(p) != Some(s) {
            changed.insert(*p, s.clone());
        }
    }
    for p in old.keys().filter(|p| !new.contains_key(p)) {
        changed.insert(*p, "0".into());
    }
    wire(mv, &changed, bids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;
    use crate::engine::Exchange;
    use crate::events::Event;

    fn moves() -> Vec<MarketMove> {
        let mut ex = Exchange::new(&SimConfig::default()).expect("valid");
        ex.listening = true;
        (0..2)
            .map(|i| {
                ex.step_market("BTCUSDT", i);
                match ex.take_events().pop() {
                    Some(Event::Market(m)) => *m,
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    }

    #[test]
    fn a_delta_applied_to_the_old_book_gives_the_new_one() {
        let mv = moves();
        let (b0, a0) = levels(&mv[0], 50);
        let (b1, a1) = levels(&mv[1], 50);
        assert_eq!((b0.len(), a0.len()), (50, 50));
        assert_eq!(mv[1].u, mv[0].u + 1);
        for (old, new, bids) in [(&b0, &b1, true), (&a0, &a1, false)] {
            let d = diff(&mv[1], old, new, bids);
            assert!(!d.is_empty(), "the walk moved the book");
            let mut book: BTreeMap<String, String> = wire(&mv[0], old, bids).into_iter().collect();
            for (p, s) in d {
                if s == "0" {
                    assert!(book.remove(&p).is_some(), "deletes a level that was there");
                } else {
                    book.insert(p, s);
                }
            }
            let want: BTreeMap<String, String> = wire(&mv[1], new, bids).into_iter().collect();
            assert_eq!(book, want);
        }
        let top = wire(&mv[1], &b1, true);
        assert_eq!(top[0].0, mv[1].price.format(mv[1].bid), "best bid first");
    }
}
