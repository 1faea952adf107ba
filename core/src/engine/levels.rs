//! Never more than `levels` orders of ours per side at the exchange.
//!
//! Each side counts the orders that may rest there: every tracked order
//! whose create may have reached the exchange (`Order::placed`): live,
//! pending amend or cancel, unknown, and creates in flight or in doubt. An
//! order leaves the count only when it is known gone (the exchange said so:
//! cancel answered, query settled, create refused) or when its create is
//! known not applied (10006, 429, 403, a batch refused as a whole) and
//! queued again.
//!
//! A place is sent only while its side's count is below `levels` (the
//! current config's): a replacement goes out once the order it replaces is
//! known gone, or when both fit. A cancel answered ambiguously (timeout,
//! 5xx, malformed) leaves its order Unknown and counted, so the replacement
//! waits for the query (or is dropped stale at the tick deadline and
//! decided again next tick) instead of resting beside it. This one gate
//! covers every path that sends a create: ticks, fallbacks, re-queues,
//! a lowered `levels`. A re-send of a create that is already counted (a
//! fallback after a 5xx) needs no room: it is the same order.
//!
//! The gate runs once per pump: places without room are parked out of the
//! bus (innermost levels keep the room first) and put back after it.

use crate::domain::Side;
use crate::effect::Op;
use crate::engine::Engine;
use crate::engine::orders::Seq;

/// Orders that may rest, per (symbol, side).
#[derive(Default)]
pub(super) struct SideCounts {
    n: Vec<u32>,
}

fn index(sym: u32, side: Side) -> usize {
    sym as usize * 2 + usize::from(side == Side::Sell)
}

impl SideCounts {
    pub(super) fn get(&self, sym: u32, side: Side) -> u32 {
        self.n.get(index(sym, side)).copied().unwrap_or(0)
    }

    fn add(&mut self, sym: u32, side: Side) {
        let i = index(sym, side);
        if self.n.len() <= i {
            self.n.resize(i + 1, 0);
        }
        self.n[i] += 1;
    }

    pub(super) fn remove(&mut self, sym: u32, side: Side) {
        if let Some(c) = self.n.get_mut(index(sym, side)) {
            *c = c.saturating_sub(1);
        }
    }
}

impl Engine {
    /// `seq`'s create is going out: from now on it may rest.
    pub(super) fn mark_placed(&mut self, seq: Seq) {
        if let Some(o) = self.orders.get_mut(seq)
            && !o.placed
        {
            o.placed = true;
            self.sides.add(o.sym, o.side);
        }
    }

    /// `seq`'s create was not applied (the exchange's word) and waits to be
    /// sent again: it rests nowhere meanwhile.
    pub(super) fn unmark_placed(&mut self, seq: Seq) {
        if let Some(o) = self.orders.get_mut(seq)
            && o.placed
            && !o.in_doubt
        {
            o.placed = false;
            self.sides.remove(o.sym, o.side);
        }
    }

    /// Takes the places whose side has no room out of the bus (see the
    /// module docs); `unpark_places` puts them back.
    pub(super) fn park_places(&mut self) -> Vec<crate::engine::bus::Parked> {
        if !self.bus.has(Op::Place) {
            return Vec::new();
        }
        let levels = self.config.quoting.levels;
        let (orders, sides) = (&self.orders, &self.sides);
        let mut reserved = vec![0u32; self.syms.len() * 2];
        let parked = self.bus.park(Op::Place, |k| {
            if orders.get(k.seq).is_some_and(|o| o.placed) {
                return true;
            }
            let Some(taken) = reserved.get_mut(index(k.sym, k.side)) else {
                return false;
            };
            if sides.get(k.sym, k.side) + *taken < levels {
                *taken += 1;
                true
            } else {
                false
            }
        });
        if !parked.is_empty() && !self.held_logged {
            self.held_logged = true;
            let n = self.tick.as_ref().map_or(0, |t| t.n);
            self.out.info(format!(
                "tick {n}: {} places wait: their side already has {levels} orders that may rest (until a replaced order is known gone)",
                parked.len()
            ));
        }
        parked
    }

    pub(super) fn unpark_places(&mut self, parked: Vec<crate::engine::bus::Parked>) {
        self.bus.unpark(Op::Place, parked);
    }
}
