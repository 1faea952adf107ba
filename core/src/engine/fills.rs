//! Fills: what the private stream (or a resync listing) says about our
//! orders, applied to them and to our position.
//!
//! | message                                   | a tracked order of ours | ours, no longer tracked | not ours |
//! |-------------------------------------------|-------------------------|-------------------------|----------|
//! | execution (`Trade`), new `execId`         | filled += qty; gone(filled) at `leavesQty` 0 (without `leavesQty`: once filled reaches its qty); position | position | ignored, counted |
//! | execution, `execId` already applied       | counted as a duplicate, nothing else | same | same |
//! | execution of another `execType` (funding, ADL, delivery...) | ignored, counted as not ours | same | same |
//! | order update `Filled`                     | gone(filled)            | nothing                 | ignored, counted |
//! | `Cancelled`, `PartiallyFilledCanceled`, `Deactivated` | gone(cancelled) when core asked for it (cancel pending or unknown, or shutdown began), else gone(cancelled_by_exchange) | nothing | same |
//! | `Rejected`                                | gone(rejected)          | nothing                 | same |
//! | open statuses (`New`, `PartiallyFilled`...) | nothing: core's own replies and queries decide, a pushed message may be older than them | nothing | same |
//!
//! Ours: an orderLinkId of this session's form; with no orderLinkId (maker
//! fills on `execution.fast`), an orderId of a tracked order or of one of
//! ours seen before. An order that is gone frees its ladder level: the next
//! tick's reconcile quotes it again. A command of the order still queued is
//! dropped with it; one in flight is answered into nothing (the order is no
//! longer tracked, see `apply`).
//!
//! Executions are de-duplicated by `execId` over the last `SEEN_EXEC_IDS`
//! (a bounded set in arrival order: the stream may repeat a message, and a
//! resync lists fills the stream already brought).

use std::collections::{BTreeMap, VecDeque};

use crate::decimal::Decimal;
use crate::domain::{Lots, Side};
use crate::effect::Op;
use crate::engine::bus::Bus;
use crate::engine::market::Market;
use crate::engine::orders::{Ambiguous, OrderTable, Seq, State};
use crate::engine::out::{Out, clean};
use crate::engine::positions::Positions;
use crate::engine::settle::Settle;
use crate::input::{Execution, OrderUpdate};

/// Execution ids remembered for de-duplication.
const SEEN_EXEC_IDS: usize = 100_000;
/// Order ids of ours remembered for fills that name only the orderId.
const KNOWN_ORDER_IDS: usize = 10_000;

/// A bounded set that forgets its oldest member first.
#[derive(Default)]
struct Recent<V> {
    map: BTreeMap<String, V>,
    order: VecDeque<String>,
}

impl<V> Recent<V> {
    /// False (and nothing changed) when `key` is already a member.
    fn insert(&mut self, key: &str, value: V, cap: usize) -> bool {
        if self.map.contains_key(key) {
            return false;
        }
        if self.order.len() == cap
            && let Some(old) = self.order.pop_front()
        {
            self.map.remove(&old);
        }
        self.map.insert(key.to_string(), value);
        self.order.push_back(key.to_string());
        true
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key)
    }
}

#[derive(Default)]
pub(super) struct Fills {
    seen: Recent<()>,
    /// orderId -> counter of our orders.
    known_ids: Recent<u64>,
    foreign_logged: bool,
    /// The latest `execTime` of an execution of ours (ms).
    pub(super) last_exec_ms: Option<u64>,
}

/// Whose order a message is about.
enum Whose {
    Tracked(Seq),
    /// Ours (this session's orderLinkId, or a remembered orderId), gone.
    Past,
    Foreign,
}

/// The parts applying stream messages changes, borrowed while it runs.
pub(super) struct StreamApply<'a> {
    pub(super) fills: &'a mut Fills,
    pub(super) positions: &'a mut Positions,
    pub(super) orders: &'a mut OrderTable,
    pub(super) settle: &'a mut Settle,
    pub(super) bus: &'a mut Bus,
    pub(super) market: &'a Market,
    pub(super) out: &'a mut Out,
    /// Shutdown began: every order is being cancelled at core's request.
    pub(super) shutting_down: bool,
}

impl StreamApply<'_> {
    fn whose(&mut self, link: &str, order_id: &str) -> Whose {
        if !link.is_empty() {
            let Some(n) = self.market.counter_of(link) else {
                return Whose::Foreign;
            };
            if !order_id.is_empty() {
                self.fills.known_ids.insert(order_id, n, KNOWN_ORDER_IDS);
            }
            return match self.orders.find(n) {
                Some(seq) => Whose::Tracked(seq),
                None => Whose::Past,
            };
        }
        if order_id.is_empty() {
            return Whose::Foreign;
        }
        if let Some(n) = self.fills.known_ids.get(order_id) {
            return match self.orders.find(*n) {
                Some(seq) => Whose::Tracked(seq),
                None => Whose::Past,
            };
        }
        match self.orders.iter().find(|(_, o)| o.order_id == order_id) {
            Some((seq, _)) => Whose::Tracked(seq),
            None => Whose::Foreign,
        }
    }

    fn foreign(&mut self, what: &str, symbol: &str, link: &str, order_id: &str) {
        self.out.fills.foreign_messages += 1;
        if !self.fills.foreign_logged {
            self.fills.foreign_logged = true;
            self.out.info(format!(
                "{what} about an order not of this session ignored ({} orderLinkId {:?} orderId {:?}); such messages are only counted from now on",
                clean(symbol),
                clean(link),
                clean(order_id)
            ));
        }
    }

    pub(super) fn executions(&mut self, executions: &[Execution]) {
        for x in executions {
            self.execution(x);
        }
    }

    fn execution(&mut self, x: &Execution) {
        if !matches!(x.exec_type.as_str(), "" | "Trade") {
            return self.foreign("execution", &x.symbol, &x.order_link_id, &x.order_id);
        }
        if !self.fills.seen.insert(&x.exec_id, (), SEEN_EXEC_IDS) {
            self.out.fills.executions_duplicate += 1;
            return;
        }
        let whose = self.whose(&x.order_link_id, &x.order_id);
        if matches!(whose, Whose::Foreign) {
            return self.foreign("execution", &x.symbol, &x.order_link_id, &x.order_id);
        }
        let side = match x.side.as_str() {
            "Buy" => Side::Buy,
            "Sell" => Side::Sell,
            _ => return self.unreadable(x, "side"),
        };
        let Some(sym) = self.market.sym_index(&x.symbol) else {
            return self.unreadable(x, "symbol");
        };
        let qty = match x.exec_qty.parse::<Decimal>() {
            Ok(q) if q.is_positive() => q,
            _ => return self.unreadable(x, "execQty"),
        };
        let price = x.exec_price.parse::<Decimal>().ok();
        if let Ok(t) = x.exec_time.parse::<u64>() {
            self.fills.last_exec_ms = Some(self.fills.last_exec_ms.map_or(t, |l| l.max(t)));
        }
        let signed = if side == Side::Buy { qty } else { -qty };
        (self.positions).apply(sym, signed, x.seq, self.market, self.out);
        self.positions.trade(sym, signed, price);
        let count = self
            .out
            .fills
            .fills
            .entry(self.market.name(sym).to_string())
            .or_default();
        match side {
            Side::Buy => count.buy += 1,
            Side::Sell => count.sell += 1,
        }
        if let Whose::Tracked(seq) = whose {
            self.fill_order(seq, qty, price, &x.leaves_qty);
        }
    }

    fn unreadable(&mut self, x: &Execution, field: &str) {
        self.out.warn(format!(
            "execution {} of {}: {field} unreadable (side {:?}, symbol {:?}, execQty {:?}): not applied",
            clean(&x.exec_id),
            clean(&x.order_link_id),
            clean(&x.side),
            clean(&x.symbol),
            clean(&x.exec_qty)
        ));
    }

    /// `qty` of the tracked order `seq` filled at `price`.
    fn fill_order(&mut self, seq: Seq, qty: Decimal, price: Option<Decimal>, leaves: &str) {
        let market = self.market;
        let Some(o) = self.orders.get_mut(seq) else {
            return;
        };
        let inst = market.inst(o.sym);
        if let Some(lots) = inst.qty_lots(&qty) {
            o.filled = Lots(o.filled.0.saturating_add(lots.0));
        }
        if let Some(v) = price.and_then(|p| p.checked_mul(qty)) {
            o.fill_value = o.fill_value.checked_add(v).unwrap_or(o.fill_value);
        }
        let done = match leaves.parse::<Decimal>() {
            Ok(l) => l.is_zero(),
            Err(_) => o.filled >= o.qty,
        };
        let filled = inst.qty_string(o.filled);
        let avg = Decimal::times(inst.qty_step, i128::from(o.filled.0))
            .and_then(|f| o.fill_value.div_trunc(f, inst.tick_size.scale() + 2))
            .map_or_else(String::new, |a| a.to_string());
        let whole = inst.qty_string(o.qty);
        if done {
            let detail = format!("{filled} of {whole} at avg {avg}");
            self.end(seq, "filled", &detail);
        } else {
            self.out.info(format!(
                "order {} partly filled: {filled} of {whole} at avg {avg}",
                market.link(seq.n)
            ));
        }
    }

    pub(super) fn order_updates(&mut self, updates: &[OrderUpdate]) {
        for u in updates {
            let seq = match self.whose(&u.order_link_id, &u.order_id) {
                Whose::Tracked(seq) => seq,
                Whose::Past => continue,
                Whose::Foreign => {
                    self.foreign("order update", &u.symbol, &u.order_link_id, &u.order_id);
                    continue;
                }
            };
            let Some(o) = self.orders.get_mut(seq) else {
                continue;
            };
            if o.order_id.is_empty() && !u.order_id.is_empty() {
                o.order_id.clone_from(&u.order_id);
            }
            // Shutdown's cancel-batches leave states alone, yet asked too.
            let asked = self.shutting_down
                || matches!(
                    o.state,
                    State::PendingCancel | State::Unknown(Ambiguous::Cancel)
                );
            let class = match u.status.as_str() {
                "Filled" => "filled",
                "Rejected" => "rejected",
                "Cancelled" | "PartiallyFilledCanceled" | "Deactivated" if asked => "cancelled",
                "Cancelled" | "PartiallyFilledCanceled" | "Deactivated" => "cancelled_by_exchange",
                _ => continue,
            };
            let detail = format!(
                "order update: {} {} {}",
                clean(&u.status),
                clean(&u.cancel_type),
                clean(&u.reject_reason)
            );
            self.end(seq, class, detail.trim_end());
        }
    }

    /// The order is gone for `class`; a command of it still queued goes
    /// with it (one in flight is answered into nothing).
    fn end(&mut self, seq: Seq, class: &'static str, detail: &str) {
        let pending = self
            .orders
            .get(seq)
            .is_some_and(|o| !matches!(o.state, State::Live | State::Unknown(_)));
        if pending {
            for op in [Op::Cancel, Op::Amend, Op::Place] {
                drop(self.bus.park(op, |k| k.seq != seq));
            }
        }
        if let Some(o) = self.orders.get(seq)
            && !o.order_id.is_empty()
        {
            let id = o.order_id.clone();
            self.fills.known_ids.insert(&id, seq.n, KNOWN_ORDER_IDS);
        }
        (self.orders).gone(seq, class, detail, self.settle, self.market, self.out);
    }
}
