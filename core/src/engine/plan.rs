//! The planner (`quoting.reprice = "planned"`): a tick's reprices fitted to
//! what the rate budget can carry before the tick's deadline.
//!
//! Reconcile pairs each order that moved with a level, as in amend mode
//! (`reconcile`). When the budget cannot carry every pair as an amend, the
//! planner decides, in priority order (inner levels first, then the larger
//! deviation, then symbol, side, seq: a total order, so the plan is the
//! same on every replay):
//!
//! 1. Amends first, on the amend endpoint's budget: an amend moves an order
//!    without leaving its level empty. Outer levels leave one amend unit
//!    per inner-level slot unspent (`Capacity::inner_reserve`): a unit
//!    stays spent for a second after its reply, so spending it outside
//!    delays the inner level's next reprice.
//! 2. Then cancel + place on the cancel and create endpoints' spare budget:
//!    they are separate budgets, so using all three roughly doubles the
//!    reprices a second.
//! 3. What neither can carry stays where it rests (its tolerance widened for
//!    this tick: an order off target is better than none) while it is within
//!    `quoting.max_deviation_bps` of the nearest target of its side; beyond
//!    that it is cancelled whatever the budget (cancels go first and are
//!    never dropped), and replaced when the create budget has room.
//! 4. An empty level gets a place while the create budget has room; a place
//!    the budget cannot carry is not queued (it would only be dropped as
//!    stale at the deadline): the next tick decides again.
//!
//! Cancels reconcile decided on its own (surplus orders, a frozen level's
//! order out of tolerance) pass unchanged and count against the cancel
//! budget first.

use std::cmp::Reverse;

use crate::domain::Side;
use crate::effect::Op;
use crate::engine::budget::Budget;
use crate::engine::bus::{batch_endpoint, single_endpoint};
use crate::engine::market::Market;
use crate::engine::reconcile::Action;
use crate::time::Timestamp;

/// Orders each operation's endpoint can carry before the tick's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Capacity {
    pub(super) amend: u64,
    pub(super) cancel: u64,
    pub(super) place: u64,
    /// Amend units outer levels leave unspent: one per inner-level slot
    /// (level 0 of every quoted side). A unit stays spent for a second
    /// after its reply, so an outer amend now is an inner amend missing
    /// when the market next moves.
    pub(super) inner_reserve: u64,
}

impl Capacity {
    /// What the budget carries from `now` to `until`: the units free now
    /// and those freed by then, on the endpoint each operation's commands
    /// travel on (a batch endpoint's unit carries one order, or a whole
    /// batch where the category charges per request).
    pub(super) fn of(
        budget: &mut Budget,
        market: &Market,
        now: Timestamp,
        until: Timestamp,
    ) -> Capacity {
        let b = &market.config.async_batch;
        let syms = 0..u32::try_from(market.syms.len()).unwrap_or(u32::MAX);
        let mut orders = |op: Op, coalesce: bool| -> u64 {
            if b.enabled && coalesce {
                let units = budget.available_by(batch_endpoint(op), now, until) as usize;
                // The symbol whose category carries the fewest orders a unit.
                let orders = syms
                    .clone()
                    .map(|s| market.batch_orders(market.inst(s).category, units))
                    .min()
                    .unwrap_or(units);
                orders as u64
            } else {
                u64::from(budget.available_by(single_endpoint(op), now, until))
            }
        };
        Capacity {
            amend: orders(Op::Amend, b.coalesce_amend),
            cancel: orders(Op::Cancel, b.coalesce_cancel),
            place: orders(Op::Place, b.coalesce_place),
            inner_reserve: 0,
        }
    }
}

/// One decision of reconcile, with what the planner ranks it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Candidate {
    pub(super) sym: u32,
    pub(super) side: Side,
    pub(super) action: Action,
    /// The level an amend or place serves (a cancel's is not used).
    pub(super) level: u32,
    /// An amend's order: its distance from the nearest target of its side,
    /// in hundredths of a bp (places: none, a gap ranks first).
    pub(super) dev: Option<u64>,
}

/// What the planner did beyond passing reconcile's decisions on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct PlanStats {
    /// Amends turned into cancel + place.
    pub(super) cancel_place: u64,
    /// Orders left off target, within the bound (tolerance widened).
    pub(super) widened: u64,
    /// Orders cancelled for resting beyond `max_deviation_bps`.
    pub(super) past_bound: u64,
    /// Places the create budget could not carry (not queued).
    pub(super) deferred: u64,
}

impl PlanStats {
    pub(super) fn any(&self) -> bool {
        *self != PlanStats::default()
    }
}

/// The distance of `price` from the nearest of `targets` in hundredths of a
/// bp of that target, rounded up (so `> bound * 100` is exactly "further
/// than `bound` bps"); `None` without targets.
pub(super) fn deviation(price: i64, targets: impl Iterator<Item = i64>) -> Option<u64> {
    targets
        .filter(|t| *t > 0)
        .map(|t| {
            let diff = (i128::from(price) - i128::from(t)).unsigned_abs();
            let t = t.unsigned_abs() as u128;
            u64::try_from((diff * 1_000_000).div_ceil(t)).unwrap_or(u64::MAX)
        })
        .min()
}

/// Fits `cands` (one tick's decisions over every side) to `cap`, into
/// `out` as (symbol, side, action). `places_wait`: places go only once
/// every cancel and amend of the tick is answered (`place_with_cancel`
/// off), so when the cancels alone overrun their budget no place could go
/// before the deadline and none is planned.
pub(super) fn plan(
    cands: &mut [Candidate],
    mut cap: Capacity,
    max_dev_bps: u32,
    places_wait: bool,
    out: &mut Vec<(u32, Side, Action)>,
) -> PlanStats {
    let bound = u64::from(max_dev_bps) * 100;
    let mut stats = PlanStats::default();
    let mut cancels = 0u64;
    out.clear();
    for c in cands.iter() {
        if let Action::Cancel(_) = c.action {
            out.push((c.sym, c.side, c.action));
            cancels += 1;
        }
    }
    let seq_of = |a: &Action| match a {
        Action::Cancel(s) | Action::Amend { seq: s, .. } => Some(*s),
        Action::Place { .. } => None,
    };
    // Priority: level, then a gap before any order, larger deviation first.
    cands.sort_by_key(|c| {
        (
            c.level,
            Reverse(c.dev.map_or(u64::MAX, |d| d)),
            c.sym,
            c.side,
            seq_of(&c.action),
        )
    });
    // Which orders the amend budget carries, and which past the bound it
    // cannot: the latter's cancels come first on the cancel budget.
    let mut amends = 0u64;
    let mut amended = vec![false; cands.len()];
    for (i, c) in cands.iter().enumerate() {
        let room = if c.level == 0 {
            cap.amend
        } else {
            cap.amend.saturating_sub(cap.inner_reserve)
        };
        if matches!(c.action, Action::Amend { .. }) && amends < room {
            amended[i] = true;
            amends += 1;
        }
    }
    for (i, c) in cands.iter().enumerate() {
        if !amended[i] && matches!(c.action, Action::Amend { .. }) && c.dev.unwrap_or(0) > bound {
            cancels += 1;
        }
    }
    if places_wait && cancels > cap.cancel {
        cap.place = 0;
    }
    let mut places = 0u64;
    for (i, c) in cands.iter().enumerate() {
        match c.action {
            Action::Cancel(_) => {}
            Action::Amend { .. } if amended[i] => out.push((c.sym, c.side, c.action)),
            Action::Amend { seq, price, qty } => {
                let past = c.dev.unwrap_or(0) > bound;
                let afford = cancels < cap.cancel && places < cap.place;
                if past || afford {
                    out.push((c.sym, c.side, Action::Cancel(seq)));
                    if past {
                        stats.past_bound += 1;
                    } else {
                        cancels += 1;
                    }
                    if places < cap.place {
                        places += 1;
                        stats.cancel_place += 1;
                        let level = c.level;
                        out.push((c.sym, c.side, Action::Place { level, price, qty }));
                    }
                } else {
                    stats.widened += 1;
                }
            }
            Action::Place { .. } => {
                if places < cap.place {
                    places += 1;
                    out.push((c.sym, c.side, c.action));
                } else {
                    stats.deferred += 1;
                }
            }
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Lots, Ticks};
    use crate::engine::orders::Seq;

    /// An amend of order `n` to level `level`, its order `dev` hundredths
    /// of a bp off.
    fn amend(n: u64, sym: u32, side: Side, level: u32, dev: u64) -> Candidate {
        Candidate {
            sym,
            side,
            action: Action::Amend {
                seq: Seq::from_parts(n, 0),
                price: Ticks(1000 + i64::from(level)),
                qty: Lots(1),
            },
            level,
            dev: Some(dev),
        }
    }

    fn place(sym: u32, side: Side, level: u32) -> Candidate {
        Candidate {
            sym,
            side,
            action: Action::Place {
                level,
                price: Ticks(1000 + i64::from(level)),
                qty: Lots(1),
            },
            level,
            dev: None,
        }
    }

    /// Two symbols x two sides x `levels`, every order 3 bps off except
    /// level 2's, 0.5 bps further.
    fn ladder_moved(levels: u32) -> Vec<Candidate> {
        let mut c = Vec::new();
        let mut n = 0;
        for sym in 0..2 {
            for side in [Side::Buy, Side::Sell] {
                for level in 0..levels {
                    n += 1;
                    c.push(amend(
                        n,
                        sym,
                        side,
                        level,
                        if level == 2 { 350 } else { 300 },
                    ));
                }
            }
        }
        c
    }

    fn count(out: &[(u32, Side, Action)], f: impl Fn(&Action) -> bool) -> u64 {
        out.iter().filter(|(_, _, a)| f(a)).count() as u64
    }

    fn is_amend(a: &Action) -> bool {
        matches!(a, Action::Amend { .. })
    }
    fn is_cancel(a: &Action) -> bool {
        matches!(a, Action::Cancel(_))
    }
    fn is_place(a: &Action) -> bool {
        matches!(a, Action::Place { .. })
    }

    #[test]
    fn with_room_for_everything_every_order_is_amended() {
        let mut c = ladder_moved(5);
        let cap = Capacity {
            amend: 20,
            cancel: 0,
            place: 0,
            inner_reserve: 0,
        };
        let mut out = Vec::new();
        let stats = plan(&mut c, cap, 2, true, &mut out);
        assert_eq!(count(&out, is_amend), 20);
        assert_eq!(out.len(), 20);
        assert!(!stats.any());
    }

    #[test]
    fn amends_go_to_the_inner_levels_first_then_cancel_place_then_widened() {
        let mut c = ladder_moved(5);
        let cap = Capacity {
            amend: 4,
            cancel: 4,
            place: 4,
            inner_reserve: 0,
        };
        let mut out = Vec::new();
        let stats = plan(&mut c, cap, 5, true, &mut out);
        let levels_of = |f: fn(&Action) -> bool| -> Vec<u32> {
            out.iter()
                .filter(|(_, _, a)| f(a))
                .map(|(_, _, a)| match a {
                    Action::Amend { price, .. } | Action::Place { price, .. } => {
                        (price.0 - 1000) as u32
                    }
                    Action::Cancel(_) => 99,
                })
                .collect()
        };
        assert_eq!(
            levels_of(is_amend),
            vec![0, 0, 0, 0],
            "level 0 of both symbols and sides"
        );
        assert_eq!(
            levels_of(is_place),
            vec![1, 1, 1, 1],
            "level 1 by cancel + place"
        );
        assert_eq!(count(&out, is_cancel), 4);
        assert_eq!(stats.cancel_place, 4);
        assert_eq!(
            stats.widened, 12,
            "levels 2-4 stay where they rest (within 5 bps)"
        );
        assert_eq!(stats.past_bound, 0);
    }

    #[test]
    fn outer_levels_leave_the_inner_reserve_of_amend_units() {
        // 4 inner slots: with 10 amend units, the 4 inner orders and 2
        // outer ones are amended; 4 units stay for the inner level.
        let mut c = ladder_moved(5);
        let cap = Capacity {
            amend: 10,
            cancel: 0,
            place: 0,
            inner_reserve: 4,
        };
        let mut out = Vec::new();
        let stats = plan(&mut c, cap, 5, true, &mut out);
        assert_eq!(count(&out, is_amend), 6);
        assert_eq!(stats.widened, 14);
        // Fewer units than the reserve: the inner level still gets them all.
        let mut c = ladder_moved(5);
        let cap = Capacity {
            amend: 3,
            cancel: 0,
            place: 0,
            inner_reserve: 4,
        };
        plan(&mut c, cap, 5, true, &mut out);
        assert_eq!(count(&out, is_amend), 3);
        assert!(
            out.iter()
                .all(|(_, _, a)| matches!(a, Action::Amend { price, .. } if price.0 == 1000))
        );
    }

    #[test]
    fn larger_deviation_first_within_a_level() {
        let mut c = vec![
            amend(1, 0, Side::Buy, 0, 120),
            amend(2, 1, Side::Buy, 0, 450),
            amend(3, 0, Side::Sell, 0, 200),
        ];
        let mut out = Vec::new();
        plan(
            &mut c,
            Capacity {
                amend: 1,
                cancel: 0,
                place: 0,
                inner_reserve: 0,
            },
            10,
            true,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert!(matches!(out[0].2, Action::Amend { seq, .. } if seq.n == 2));
    }

    #[test]
    fn past_the_bound_is_cancelled_whatever_the_budget_and_first() {
        // Level 2 is 3.5 bps off, beyond a 3 bps bound; the others 3 bps.
        let mut c = ladder_moved(3);
        let cap = Capacity {
            amend: 4,
            cancel: 4,
            place: 4,
            inner_reserve: 0,
        };
        let mut out = Vec::new();
        let stats = plan(&mut c, cap, 3, true, &mut out);
        assert_eq!(stats.past_bound, 4, "level 2 of both symbols and sides");
        // Their cancels took the cancel budget first: no cancel + place
        // for level 1, which stays (within the bound), but the create
        // budget replaces the cancelled level-2 orders.
        assert_eq!(count(&out, is_amend), 4);
        assert_eq!(count(&out, is_cancel), 4);
        assert_eq!(count(&out, is_place), 4);
        assert_eq!(stats.widened, 4);
        // When those cancels overrun the cancel budget, places (which wait
        // for them) could not go before the deadline: none is planned.
        let mut c = ladder_moved(3);
        let cap = Capacity {
            amend: 4,
            cancel: 2,
            place: 4,
            inner_reserve: 0,
        };
        let stats = plan(&mut c, cap, 3, true, &mut out);
        assert_eq!(stats.past_bound, 4);
        assert_eq!(count(&out, is_place), 0);
        assert_eq!(stats.cancel_place, 0);
        // Unless places go with the cancels (`place_with_cancel`).
        let mut c = ladder_moved(3);
        let stats = plan(&mut c, cap, 3, false, &mut out);
        assert_eq!((count(&out, is_place), stats.cancel_place), (4, 4));
        // And with no budget at all, they are still cancelled.
        let mut c = ladder_moved(3);
        let stats = plan(&mut c, Capacity::default(), 3, true, &mut out);
        assert_eq!((stats.past_bound, stats.widened), (4, 8));
        assert_eq!(count(&out, is_cancel), 4);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn gaps_are_filled_inner_first_and_only_as_far_as_the_create_budget_goes() {
        let mut c = vec![
            place(0, Side::Buy, 3),
            place(0, Side::Buy, 0),
            amend(1, 0, Side::Sell, 0, 300),
            place(1, Side::Sell, 1),
        ];
        let mut out = Vec::new();
        let stats = plan(
            &mut c,
            Capacity {
                amend: 0,
                cancel: 5,
                place: 2,
                inner_reserve: 0,
            },
            5,
            true,
            &mut out,
        );
        // The level-0 gap, then level 0's cancel + place; level 1 and 3 wait.
        assert_eq!(stats.deferred, 2);
        assert_eq!(stats.cancel_place, 1);
        assert_eq!(count(&out, is_place), 2);
        assert_eq!(count(&out, is_cancel), 1);
    }

    #[test]
    fn reconciles_own_cancels_pass_and_count_first() {
        let mut c = ladder_moved(2);
        c.push(Candidate {
            sym: 0,
            side: Side::Buy,
            action: Action::Cancel(Seq::from_parts(99, 0)),
            level: 7,
            dev: None,
        });
        let mut out = Vec::new();
        let stats = plan(
            &mut c,
            Capacity {
                amend: 0,
                cancel: 1,
                place: 8,
                inner_reserve: 0,
            },
            5,
            true,
            &mut out,
        );
        assert_eq!(count(&out, is_cancel), 1);
        assert_eq!(
            stats.cancel_place, 0,
            "the surplus cancel used the one unit"
        );
        assert_eq!(stats.widened, 8);
    }

    #[test]
    fn deviation_is_to_the_nearest_target_in_hundredths_of_a_bp() {
        let t = [10_000i64, 10_005, 9_990];
        assert_eq!(deviation(10_003, t.iter().copied()), Some(200));
        assert_eq!(deviation(9_990, t.iter().copied()), Some(0));
        assert_eq!(deviation(5, std::iter::empty()), None);
    }
}
