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
use crate::engine::bus::{Bus, Parked};
use crate::engine::market::Market;
use crate::engine::orders::OrderTable;
use crate::engine::out::Out;
use crate::engine::tick::TickRun;

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

    pub(super) fn add(&mut self, sym: u32, side: Side) {
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

/// Takes the places whose side has no room out of the bus (see the module
/// docs; `Bus::unpark` puts them back), saying so once a tick.
pub(super) fn park_places(
    bus: &mut Bus,
    orders: &OrderTable,
    market: &Market,
    tick: &mut TickRun,
    out: &mut Out,
) -> Vec<Parked> {
    if !bus.has(Op::Place) {
        return Vec::new();
    }
    let levels = market.config.quoting.levels;
    let mut reserved = vec![0u32; market.syms.len() * 2];
    let parked = bus.park(Op::Place, |k| {
        if orders.get(k.seq).is_some_and(|o| o.placed) {
            return true;
        }
        let Some(taken) = reserved.get_mut(index(k.sym, k.side)) else {
            return false;
        };
        if orders.resting(k.sym, k.side) + *taken < levels {
            *taken += 1;
            true
        } else {
            false
        }
    });
    if !parked.is_empty() && !tick.held_logged {
        tick.held_logged = true;
        let n = tick.current.as_ref().map_or(0, |t| t.n);
        out.info(format!(
            "tick {n}: {} places wait: their side already has {levels} orders that may rest (until a replaced order is known gone)",
            parked.len()
        ));
    }
    parked
}
