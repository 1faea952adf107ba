//! The invariants: each request as it leaves (`check_request`), and the
//! whole state after every input (`check`). See the parent module's docs.

use std::collections::{BTreeMap, BTreeSet};

use mm_core::config::{CoalesceScope, Config};
use mm_core::effect::{Request, RequestKind};
use mm_core::{Category, OrderState, OrderView, SymbolId, WireNames};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::Machine;

/// What the config in force allows.
struct Limits {
    in_flight: usize,
    batches: bool,
    max_batch: usize,
    by_symbol: bool,
}

impl Limits {
    fn of(c: &Config) -> Limits {
        let b = &c.async_batch;
        Limits {
            in_flight: if b.enabled {
                b.max_parallel_symbols.max(1) as usize
            } else {
                1
            },
            batches: b.enabled,
            max_batch: b.max_batch_size as usize,
            by_symbol: b.coalesce_scope == CoalesceScope::Symbol,
        }
    }
}

impl Machine {
    /// A request as it leaves, against the config in force at that moment.
    /// Requests sent under an earlier config may still be in flight: they
    /// count against the bound, and core may not add one while they fill it.
    pub(super) fn check_request(&self, r: &Request) -> Result<(), TestCaseError> {
        let limits = Limits::of(&self.model.in_force);
        prop_assert!(
            self.in_flight.len() < limits.in_flight,
            "r{} sent with {} requests already in flight: the config in force allows {} \
             (enabled = {}, max_parallel_symbols = {})",
            r.id.0,
            self.in_flight.len(),
            limits.in_flight,
            limits.batches,
            self.model.in_force.async_batch.max_parallel_symbols
        );
        let prefix = format!("{}-", self.model.session.as_str());
        for l in super::links(r, self.engine.wire_names()) {
            prop_assert!(
                l.len() <= 36
                    && l.starts_with(&prefix)
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "bad orderLinkId {:?}",
                l
            );
        }
        let Some((category, symbols)) = batch(r, self.engine.wire_names()) else {
            return Ok(());
        };
        prop_assert!(
            limits.batches,
            "r{}: a batch sent while async_batch.enabled = false is in force",
            r.id.0
        );
        let limit = limits.max_batch.min(category.batch_limit());
        prop_assert!(
            !symbols.is_empty() && symbols.len() <= limit,
            "r{}: batch of {} orders, the config in force allows {} (max_batch_size {})",
            r.id.0,
            symbols.len(),
            limit,
            limits.max_batch
        );
        for s in &symbols {
            let theirs = self
                .sc
                .instruments
                .iter()
                .find(|i| i.symbol == *s)
                .map(|i| i.category);
            prop_assert_eq!(
                theirs,
                Some(category),
                "r{}: a {:?} batch carries {}",
                r.id.0,
                category,
                s
            );
        }
        if limits.by_symbol {
            prop_assert!(
                symbols.iter().all(|s| *s == symbols[0]),
                "r{}: coalesce_scope = symbol in force, the batch mixes {:?}",
                r.id.0,
                symbols
            );
        }
        Ok(())
    }

    /// The invariants that hold after every input.
    pub(super) fn check(&mut self) -> Result<(), TestCaseError> {
        let orders = self.engine.orders();
        self.check_orders(&orders)?;
        prop_assert!(
            self.engine.config() == &self.model.in_force,
            "core acts on a config other than the one the model says is in force"
        );
        self.check_unknowns(&orders)?;
        self.check_gone(&orders)?;
        prop_assert_eq!(self.vx.stats.rate_limited, 0, "rate budget overspent");
        Ok(())
    }

    /// No order in two states or none; core knows every order open at the
    /// exchange; an order core holds Live (nothing in flight for it) rests
    /// at the exchange as core believes.
    fn check_orders(&self, orders: &[OrderView]) -> Result<(), TestCaseError> {
        let counts = self.engine.order_counts();
        let tracked = counts.pending_new
            + counts.live
            + counts.pending_amend
            + counts.pending_cancel
            + counts.unknown;
        prop_assert_eq!(
            tracked + counts.gone,
            self.engine.totals().orders_created,
            "an order is in no state or two: {:?}",
            counts
        );
        prop_assert_eq!(
            orders.len() as u64,
            tracked,
            "orders() disagrees with counts"
        );
        let ours: BTreeMap<&str, &OrderView> = orders
            .iter()
            .map(|o| (o.order_link_id.as_str(), o))
            .collect();
        for link in self.vx.open_orders().keys() {
            prop_assert!(
                ours.contains_key(link.as_str()),
                "{} rests at the exchange but core has forgotten it",
                link
            );
        }
        let busy: BTreeSet<&str> = self
            .in_flight
            .iter()
            .flat_map(|f| f.links.iter().map(String::as_str))
            .collect();
        let cleared: BTreeSet<&str> = self
            .in_flight
            .iter()
            .filter_map(|f| f.clears.as_deref())
            .collect();
        for o in orders {
            if o.state != OrderState::Live
                || busy.contains(o.order_link_id.as_str())
                || cleared.contains(o.symbol.as_str())
            {
                continue;
            }
            let theirs = self.vx.open_orders().get(&o.order_link_id);
            prop_assert!(
                theirs.is_some_and(|t| t.price == o.price && t.qty == o.qty),
                "{}: core holds it live at {} x {}, the exchange has {:?}",
                o.order_link_id,
                o.price,
                o.qty,
                theirs.map(|t| (&t.price, &t.qty))
            );
        }
        Ok(())
    }

    /// Every Unknown order is being reconciled, exactly: a query naming it
    /// is in flight; or its query is due later (it just became unknown: due
    /// now; core logged a back-off or a recv-window wait: due then) and core
    /// wakes no later than that; or it is due and core is held: every
    /// in-flight slot of the config in force is busy, or core said the
    /// open-orders budget is exhausted (or an IP pause is on) and will wake.
    fn check_unknowns(&mut self, orders: &[OrderView]) -> Result<(), TestCaseError> {
        let now = self.now;
        let mut due = BTreeMap::new();
        for o in orders.iter().filter(|o| o.state == OrderState::Unknown) {
            let l = &o.order_link_id;
            due.insert(l.clone(), self.model.due.get(l).copied().unwrap_or(now));
        }
        for (l, t) in self.model.due_updates.drain(..) {
            if let Some(d) = due.get_mut(&l) {
                *d = t;
            }
        }
        self.model.due = due;
        if self.stopped {
            return Ok(());
        }
        let wake = self.engine.poll_timeout();
        let bound = Limits::of(&self.model.in_force).in_flight;
        // Every slot busy: a reply is coming, and core sends the query then.
        let slots_full = self.in_flight.len() >= bound;
        for (l, t) in &self.model.due {
            if self
                .in_flight
                .iter()
                .any(|f| f.query_for.as_deref() == Some(l.as_str()))
            {
                continue;
            }
            if *t > now {
                // The model's due time is the latest core may ask (the
                // back-off may bring it earlier): a query core already
                // holds as due waits for a slot like any other.
                prop_assert!(
                    wake.is_some_and(|w| w <= *t) || slots_full,
                    "{} is unknown, its query is due at {:?}, core wakes at {:?}",
                    l,
                    t,
                    wake
                );
            } else {
                let held = (self.model.queries_deferred || self.model.ip_paused) && wake.is_some();
                prop_assert!(
                    slots_full || held,
                    "{} is unknown and its query is due, but core neither sent it nor is held: \
                     {} of {} in flight, open-orders budget deferred {}, IP pause {}, wake {:?}",
                    l,
                    self.in_flight.len(),
                    bound,
                    self.model.queries_deferred,
                    self.model.ip_paused,
                    wake
                );
            }
        }
        Ok(())
    }

    /// Every order that leaves is counted under a non-empty reason in the
    /// input that removed it; a logged `order <link> gone: <reason>` names
    /// an order that left then, under a reason counted then; nothing comes
    /// back once gone. Each gone order's reason is recorded in the model.
    fn check_gone(&mut self, orders: &[OrderView]) -> Result<(), TestCaseError> {
        let totals = self.engine.totals();
        let counts = self.engine.order_counts();
        let tracked: BTreeSet<String> = orders.iter().map(|o| o.order_link_id.clone()).collect();
        let mut candidates = self.model.tracked.clone();
        candidates
            .extend((self.model.created + 1..=totals.orders_created).map(|n| self.model.link(n)));
        for l in &tracked {
            prop_assert!(
                candidates.contains(l),
                "{} is tracked but was never created, or came back after it left",
                l
            );
        }
        let left: BTreeSet<String> = candidates.difference(&tracked).cloned().collect();
        let reasons = &totals.gone_by_reason;
        prop_assert!(
            reasons.iter().all(|(k, n)| !k.trim().is_empty() && *n > 0),
            "gone_by_reason has an empty reason: {:?}",
            reasons
        );
        prop_assert_eq!(
            reasons.values().sum::<u64>(),
            counts.gone,
            "gone orders not all counted under a reason: {:?}",
            reasons
        );
        let mut delta: BTreeMap<String, u64> = BTreeMap::new();
        for (k, n) in reasons {
            let before = self.model.reasons.get(k).copied().unwrap_or(0);
            prop_assert!(*n >= before, "gone_by_reason[{}] went down", k);
            if *n > before {
                delta.insert(k.clone(), n - before);
            }
        }
        prop_assert_eq!(
            delta.values().sum::<u64>(),
            left.len() as u64,
            "{} orders left ({:?}) but the reasons counted {:?}",
            left.len(),
            left,
            delta
        );
        let mut unlogged = left.clone();
        for (l, reason) in std::mem::take(&mut self.model.logged_gone) {
            prop_assert!(
                unlogged.remove(&l),
                "core logged {} gone ({}), but it did not leave now",
                l,
                reason
            );
            let n = delta.get_mut(&reason);
            prop_assert!(
                n.as_deref().is_some_and(|n| *n > 0),
                "{} gone with reason {:?}, which was not counted",
                l,
                reason
            );
            if let Some(n) = n {
                *n -= 1;
            }
            self.model.gone.insert(l, reason);
        }
        let rest: Vec<&str> = delta
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, _)| k.as_str())
            .collect();
        for l in unlogged {
            self.model.gone.insert(l, rest.join("|"));
        }
        self.model.tracked = tracked;
        self.model.created = totals.orders_created;
        self.model.reasons = reasons.clone();
        Ok(())
    }
}

/// A batch's category and its orders' symbols; `None` for other requests.
fn batch(r: &Request, names: &WireNames) -> Option<(Category, Vec<String>)> {
    let name = |s: SymbolId| names.symbol(s).to_string();
    match &r.kind {
        RequestKind::PlaceBatch { category, orders } => {
            Some((*category, orders.iter().map(|o| name(o.symbol)).collect()))
        }
        RequestKind::AmendBatch { category, orders } => {
            Some((*category, orders.iter().map(|o| name(o.symbol)).collect()))
        }
        RequestKind::CancelBatch { category, orders } => {
            Some((*category, orders.iter().map(|o| name(o.symbol)).collect()))
        }
        _ => None,
    }
}
