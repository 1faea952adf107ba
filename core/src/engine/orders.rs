//! Order tracking: every order core ever asked for is in exactly one state.
//! Tracked orders live in `active`; an order that goes away leaves `active`
//! for a bounded history (and a counter by reason in `Totals`), so a
//! days-long session does not grow without bound.

use std::collections::VecDeque;

use crate::domain::{Lots, Side, Ticks};
use crate::engine::levels::SideCounts;
use crate::engine::market::Market;
use crate::engine::out::Out;
use crate::engine::seqmap::SeqMap;
use crate::engine::settle::Settle;
use crate::engine::{OrderCounts, OrderState};
use crate::input::WireStr;
use crate::time::Timestamp;

/// An order's handle: `n`, the counter in its orderLinkId `{session}-{n}`
/// (everything sorts by it), and its slab slot, so that the dozen lookups an
/// order sees in a tick are O(1) instead of tree walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Seq {
    pub(super) n: u64,
    slot: u32,
}

/// Which command's outcome is unknown (decides how a query settles it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ambiguous {
    Create,
    Amend,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Create decided (queued or in flight).
    PendingNew,
    Live,
    /// Amend decided (queued or in flight) to this price and qty.
    PendingAmend {
        price: Ticks,
        qty: Lots,
    },
    /// Cancel decided (queued or in flight).
    PendingCancel,
    /// Outcome ambiguous; an open-orders query will settle it.
    Unknown(Ambiguous),
}

impl Seq {
    pub(super) fn slot(self) -> u32 {
        self.slot
    }

    pub(super) fn from_parts(n: u64, slot: u32) -> Seq {
        Seq { n, slot }
    }
}

impl State {
    pub(super) fn class(self) -> OrderState {
        match self {
            State::PendingNew => OrderState::PendingNew,
            State::Live => OrderState::Live,
            State::PendingAmend { .. } => OrderState::PendingAmend,
            State::PendingCancel => OrderState::PendingCancel,
            State::Unknown(_) => OrderState::Unknown,
        }
    }
}

/// An order's orderLinkId is not stored: it is `{session}-{n}` (see
/// `Engine::link`), written out only when a request or a log line needs it.
#[derive(Debug, Clone)]
pub(super) struct Order {
    pub(super) sym: u32,
    pub(super) side: Side,
    pub(super) level: u32,
    pub(super) price: Ticks,
    pub(super) qty: Lots,
    pub(super) order_id: WireStr,
    pub(super) state: State,
    /// When the create was last sent. A create that a query cannot find is
    /// only declared never-created once the exchange's recv window has
    /// passed since then: until that moment the request may still land.
    pub(super) create_sent_at: Timestamp,
    /// An earlier send of the order's current command (create, amend or
    /// cancel) may have been applied: its request was answered in a way
    /// that does not exclude it (HTTP 5xx, then a fallback). Such an order
    /// is never declared gone, nor its command refused, on core's own
    /// judgement: it becomes `Unknown` and a query asks the exchange.
    /// Cleared when a new command is decided for the order.
    pub(super) in_doubt: bool,
    /// A create for it may have reached the exchange: it counts against its
    /// side's `levels` (see `levels`) until it is gone.
    pub(super) placed: bool,
    /// Filled so far, from executions (see `fills`); `qty` stays the
    /// order's whole quantity, as the exchange counts it for amends.
    pub(super) filled: Lots,
    /// Sum of price x qty of those fills (their average price's numerator).
    pub(super) fill_value: crate::decimal::Decimal,
}

/// Gone orders remembered for inspection; older ones only live on as counters.
const HISTORY: usize = 10_000;

/// Orders live in a slab (a freed slot is reused) with an n -> slot index:
/// the index keeps creation order for iteration and finds an order by its
/// orderLinkId, while orders themselves never move, which matters when ten
/// thousand of them churn every tick. The index is a `SeqMap` (n only grows).
pub(super) struct OrderTable {
    /// The counter of the next order's orderLinkId.
    next_seq: u64,
    /// Per (symbol, side): our orders that may rest (see `levels`).
    sides: SideCounts,
    /// Per symbol: core ever sent an order for it (shutdown clears them all).
    traded: Vec<bool>,
    index: SeqMap<u32>,
    slab: Vec<Option<(u64, Order)>>,
    free: Vec<u32>,
    history: VecDeque<(u64, &'static str)>,
    gone_total: u64,
}

impl Default for OrderTable {
    fn default() -> OrderTable {
        OrderTable {
            next_seq: 1,
            sides: SideCounts::default(),
            traded: Vec::new(),
            index: SeqMap::default(),
            slab: Vec::new(),
            free: Vec::new(),
            history: VecDeque::new(),
            gone_total: 0,
        }
    }
}

impl OrderTable {
    pub(super) fn get(&self, seq: Seq) -> Option<&Order> {
        match self.slab.get(seq.slot as usize)? {
            Some((n, o)) if *n == seq.n => Some(o),
            _ => None,
        }
    }

    pub(super) fn get_mut(&mut self, seq: Seq) -> Option<&mut Order> {
        match self.slab.get_mut(seq.slot as usize)? {
            Some((n, o)) if *n == seq.n => Some(o),
            _ => None,
        }
    }

    /// The handle of a tracked order by its counter.
    pub(super) fn find(&self, n: u64) -> Option<Seq> {
        self.index.get(n).map(|slot| Seq { n, slot: *slot })
    }

    fn insert(&mut self, n: u64, order: Order) -> Seq {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some((n, order));
                slot
            }
            None => {
                self.slab.push(Some((n, order)));
                u32::try_from(self.slab.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.index.insert(n, slot);
        Seq { n, slot }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (Seq, &Order)> {
        self.index.iter().filter_map(|(n, slot)| {
            let (_, o) = self.slab.get(*slot as usize)?.as_ref()?;
            Some((Seq { n, slot: *slot }, o))
        })
    }

    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    fn remove(&mut self, seq: Seq, class: &'static str) -> Option<Order> {
        self.get(seq)?;
        self.index.remove(seq.n);
        let (_, order) = self.slab.get_mut(seq.slot as usize)?.take()?;
        self.free.push(seq.slot);
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back((seq.n, class));
        self.gone_total += 1;
        Some(order)
    }

    pub(super) fn counts(&self) -> OrderCounts {
        let mut c = OrderCounts {
            gone: self.gone_total,
            ..OrderCounts::default()
        };
        for (_, order) in self.slab.iter().flatten() {
            match order.state {
                State::PendingNew => c.pending_new += 1,
                State::Live => c.live += 1,
                State::PendingAmend { .. } => c.pending_amend += 1,
                State::PendingCancel => c.pending_cancel += 1,
                State::Unknown(_) => c.unknown += 1,
            }
        }
        c
    }
}

/// The orderLinkId of order `n` of `session`: `{session}-{n}`.
pub(super) fn link_of(session: &crate::engine::SessionId, n: u64) -> String {
    let session = session.as_str();
    let mut link = String::with_capacity(session.len() + 21);
    link.push_str(session);
    link.push('-');
    crate::engine::quote::push_digits(&mut link, n, 1);
    link
}

impl OrderTable {
    /// Creates a tracked order in `PendingNew` with the next orderLinkId.
    pub(super) fn new_order(
        &mut self,
        sym: u32,
        side: Side,
        level: u32,
        price: Ticks,
        qty: Lots,
        out: &mut Out,
    ) -> Seq {
        let n = self.next_seq;
        self.next_seq += 1;
        out.totals.orders_created += 1;
        self.insert(
            n,
            Order {
                sym,
                side,
                level,
                price,
                qty,
                order_id: WireStr::default(),
                state: State::PendingNew,
                create_sent_at: out.now,
                in_doubt: false,
                placed: false,
                filled: Lots(0),
                fill_value: crate::decimal::Decimal::ZERO,
            },
        )
    }

    /// The handle of one of our tracked orders by its orderLinkId, `None`
    /// for anything else.
    pub(super) fn seq_of(&self, link: &str, market: &Market) -> Option<Seq> {
        self.find(market.counter_of(link)?)
    }

    /// A new command for the order: nothing of an earlier one is in doubt.
    pub(super) fn set_state(&mut self, seq: Seq, state: State) {
        if let Some(o) = self.get_mut(seq) {
            o.state = state;
            o.in_doubt = false;
        }
    }

    /// `seq`'s create is going out: from now on it may rest (see `levels`).
    pub(super) fn mark_placed(&mut self, seq: Seq) {
        if let Some(o) = self.get_mut(seq)
            && !o.placed
        {
            o.placed = true;
            let (sym, side) = (o.sym, o.side);
            self.sides.add(sym, side);
        }
    }

    /// `seq`'s create was not applied (the exchange's word) and waits to be
    /// sent again: it rests nowhere meanwhile.
    pub(super) fn unmark_placed(&mut self, seq: Seq) {
        if let Some(o) = self.get_mut(seq)
            && o.placed
            && !o.in_doubt
        {
            o.placed = false;
            let (sym, side) = (o.sym, o.side);
            self.sides.remove(sym, side);
        }
    }

    /// A command for an order of `sym` is going out.
    pub(super) fn mark_traded(&mut self, sym: u32) {
        let i = sym as usize;
        if self.traded.len() <= i {
            self.traded.resize(i + 1, false);
        }
        self.traded[i] = true;
    }

    /// The symbols core ever sent an order command for, in symbol order.
    pub(super) fn traded_syms(&self) -> impl Iterator<Item = u32> + '_ {
        self.traded
            .iter()
            .enumerate()
            .filter(|(_, t)| **t)
            .filter_map(|(i, _)| u32::try_from(i).ok())
    }

    /// Our orders that may rest on (`sym`, `side`) (see `levels`).
    pub(super) fn resting(&self, sym: u32, side: Side) -> u32 {
        self.sides.get(sym, side)
    }

    /// The order leaves tracking for good (and its settling with it).
    /// `class` is the counter key; `detail` (when non-empty) is logged.
    pub(super) fn gone(
        &mut self,
        seq: Seq,
        class: &'static str,
        detail: &str,
        settle: &mut Settle,
        market: &Market,
        out: &mut Out,
    ) {
        settle.forget(seq);
        let Some(order) = self.remove(seq, class) else {
            return;
        };
        if order.placed {
            self.sides.remove(order.sym, order.side);
        }
        // get_mut first: no allocation for a reason already counted.
        match out.totals.gone_by_reason.get_mut(class) {
            Some(n) => *n += 1,
            None => {
                out.totals.gone_by_reason.insert(class.to_string(), 1);
            }
        }
        if !detail.is_empty() {
            out.info(format!(
                "order {} gone: {class} ({detail})",
                market.link(seq.n)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::SessionId;
    use crate::virtual_exchange::Scenario;

    #[test]
    fn an_order_link_id_fits_36_characters_for_any_counter() {
        let longest = "A".repeat(SessionId::MAX_LEN);
        let Ok(session) = SessionId::new(&longest) else {
            panic!("a session id of MAX_LEN is valid");
        };
        let link = super::link_of(&session, u64::MAX);
        assert_eq!(link.len(), 36, "{link}");
        assert!(SessionId::new(&"A".repeat(SessionId::MAX_LEN + 1)).is_err());
        assert!(SessionId::new("").is_err());
        assert!(SessionId::new("a-b").is_err());
    }

    #[test]
    fn is_link_accepts_exactly_what_link_writes() {
        let sc = Scenario::seed();
        let (Ok(session), Ok(other)) = (SessionId::new("abc"), SessionId::new("ab")) else {
            panic!("session ids");
        };
        let e =
            crate::engine::market::Market::new(sc.config.clone(), sc.instruments.clone(), session);
        for n in [0u64, 1, 9, 10, 42, 100, 12_345, u64::MAX] {
            let link = e.link(n);
            assert!(e.is_link(n, link.as_bytes()), "{link}");
            for bad in [
                format!("abc-0{n}"),
                format!("abc-+{n}"),
                format!("abc-{n}0"),
                format!("abc{n}"),
                format!("xabc-{n}"),
                format!("abc-{n} "),
                "abc-".to_string(),
                super::link_of(&other, n),
            ] {
                assert!(!e.is_link(n, bad.as_bytes()), "{bad}");
            }
            assert!(!e.is_link(n.wrapping_add(1), link.as_bytes()), "{link}");
        }
    }
}
