//! Reconcile one side of one symbol: desired set vs tracked orders. Each
//! level wants a price and a size (the ladder's one size, or an external
//! set's own per level): an order matches a level only at that level's size.
//!
//! 1. A level holding a busy order (pending new/amend/cancel, or unknown
//!    with its query unanswered) is frozen for this tick: nothing is placed
//!    there and no order gets two commands in one tick; its live orders are
//!    kept if at the level's size and within tolerance of its price, else cancelled (a
//!    frozen level never rests a stale price). An unknown order whose query
//!    has answered (a create not found yet) freezes nothing: it is left
//!    alone, still counted against its side (see `levels`).
//! 2. Keep: each open level takes the nearest idle Live order (same qty,
//!    within `reprice_tolerance_bps`) at any level of the side; a kept order
//!    is re-labelled to the level it now serves. Matching across levels is
//!    what makes a ladder that shifted by whole steps cost nothing.
//! 3. What is left moves: with `reprice = "amend"` leftover orders are paired
//!    with leftover levels best-first and amended (price and size: the
//!    amend carries a qty only where it differs); otherwise (and for the
//!    surplus either way) cancelled, and leftover levels get new orders.
//!
//! That is the fewest operations: every kept order saves a command, each
//! amend replaces a cancel + place pair.

use crate::domain::{Lots, Side, Ticks};
use crate::engine::orders::{OrderTable, Seq, State};
use crate::engine::quote::{Want, within};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Cancel(Seq),
    Amend { seq: Seq, price: Ticks, qty: Lots },
    Place { level: u32, price: Ticks, qty: Lots },
}

pub(super) struct SidePlan<'a> {
    pub(super) side: Side,
    /// Desired price and size per level (`None`: no order at that level).
    pub(super) desired: &'a [Option<Want>],
    pub(super) tol_bps: u32,
    pub(super) amend: bool,
    /// Whether an unknown order's query is unanswered (see `settle`).
    pub(super) asking: &'a dyn Fn(Seq) -> bool,
}

/// Buffers reused from side to side and tick to tick: a wide tick
/// reconciles a thousand sides and should not allocate for each.
#[derive(Default)]
pub(super) struct Scratch {
    frozen: Vec<u32>,
    idle: Vec<(Seq, Ticks, Lots)>,
    open: Vec<(u32, Want)>,
    used: Vec<bool>,
    unmet: Vec<(u32, Want)>,
    left: Vec<(Seq, Ticks, Lots)>,
    /// The side's decisions, in order.
    pub(super) actions: Vec<Action>,
}

/// Decides one side into `scratch.actions`; re-labels kept orders.
pub(super) fn reconcile_side(
    orders: &mut OrderTable,
    seqs: &[Seq],
    plan: &SidePlan<'_>,
    scratch: &mut Scratch,
) {
    let Scratch {
        frozen,
        idle,
        open,
        used,
        unmet,
        left,
        actions: out,
    } = scratch;
    idle.clear();
    left.clear();
    frozen.clear();
    open.clear();
    used.clear();
    unmet.clear();
    out.clear();
    for &seq in seqs {
        let Some(o) = orders.get(seq) else { continue };
        let busy = match o.state {
            State::Live => false,
            State::Unknown(_) => (plan.asking)(seq),
            _ => true,
        };
        if busy {
            frozen.push(o.level);
        }
    }
    for &seq in seqs {
        let Some(o) = orders.get(seq) else { continue };
        if o.state != State::Live {
            continue;
        }
        if !frozen.contains(&o.level) {
            idle.push((seq, o.price, o.qty));
            continue;
        }
        let target = plan.desired.get(o.level as usize).copied().flatten();
        let fits = target.is_some_and(|(p, q)| o.qty == q && within(o.price, p, plan.tol_bps));
        if !fits {
            out.push(Action::Cancel(seq));
        }
    }
    open.extend(plan.desired.iter().enumerate().filter_map(|(l, p)| {
        let l = u32::try_from(l).ok()?;
        let p = (*p)?;
        (!frozen.contains(&l)).then_some((l, p))
    }));

    used.resize(idle.len(), false);
    for &(level, (want, want_qty)) in open.iter() {
        let mut best: Option<(usize, i64)> = None;
        for (i, &(_, price, qty)) in idle.iter().enumerate() {
            if used[i] || qty != want_qty || !within(price, want, plan.tol_bps) {
                continue;
            }
            let d = (price.0 - want.0).abs();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
        match best {
            Some((i, _)) => {
                used[i] = true;
                if let Some(o) = orders.get_mut(idle[i].0) {
                    o.level = level;
                }
            }
            None => unmet.push((level, (want, want_qty))),
        }
    }
    left.extend(
        idle.iter()
            .zip(used.iter())
            .filter(|(_, u)| !**u)
            .map(|(x, _)| *x),
    );

    if plan.amend {
        // Best price first on both lists, so each order moves the least.
        match plan.side {
            Side::Buy => left.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0))),
            Side::Sell => left.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0))),
        }
        let pairs = left.len().min(unmet.len());
        for (&(seq, _, _), &(level, (price, qty))) in left.iter().zip(unmet.iter()) {
            if let Some(o) = orders.get_mut(seq) {
                o.level = level;
            }
            out.push(Action::Amend { seq, price, qty });
        }
        for &(seq, _, _) in &left[pairs..] {
            out.push(Action::Cancel(seq));
        }
        for &(level, (price, qty)) in &unmet[pairs..] {
            out.push(Action::Place { level, price, qty });
        }
    } else {
        for &(seq, _, _) in left.iter() {
            out.push(Action::Cancel(seq));
        }
        for &(level, (price, qty)) in unmet.iter() {
            out.push(Action::Place { level, price, qty });
        }
    }
}
