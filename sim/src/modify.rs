//! Amend and cancel of one open order.
//!
//! A cancel that races a fill (arrives within [`RACE_MS`] of the fill that ended the order)
//! is refused as for any order that is not open, and the order stream gets a second `Filled`
//! message with `cancelType: CancelByUser`, `rejectReason: EC_OrigClOrdIDDoesNotExist`, as
//! Bybit sends it.
//!
//! Queue priority on amend (UNCONFIRMED for Bybit; what most venues do): a new price, or a
//! larger qty, sends the order to the back of its (new) price level; a smaller qty keeps its
//! place.

use mm_bybit::{AmendOrder, CancelOrder, Category, OrderAck, OrderStatus};

use crate::engine::{Exchange, Reject, params};
use crate::reject::{
    forced as forced_reject, not_exists, price_off_grid, qty_off_step, qty_too_low,
};

impl Exchange {
    pub(crate) fn amend(
        &mut self,
        account: usize,
        category: Category,
        a: &AmendOrder,
        forced: Option<i64>,
        now: u64,
    ) -> Result<OrderAck, Reject> {
        if a.category.is_some_and(|c| c != category) {
            return Err(params("item category differs from the request's"));
        }
        let m = self.market(category, &a.symbol)?;
        let id = self.locate(
            account,
            category,
            &a.symbol,
            a.order_id.as_deref(),
            a.order_link_id.as_deref(),
        )?;
        let price = a
            .price
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                m.price.steps_of(s).ok().filter(|&v| v > 0).ok_or_else(|| {
                    price_off_grid(category, format!("price {s:?} not on tick grid"))
                })
            })
            .transpose()?;
        let qty = a
            .qty
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| match m.qty.steps_of(s) {
                Err(_) => Err(qty_off_step(category, format!("qty {s:?} invalid"))),
                Ok(v) if v < m.min_qty => Err(qty_too_low(
                    category,
                    format!("qty {s:?} below the minimum {}", m.qty.format(m.min_qty)),
                )),
                Ok(v) => Ok(v),
            })
            .transpose()?;
        if price.is_none() && qty.is_none() {
            return Err(params("nothing to amend (qty and price both absent)"));
        }
        let filled = self.open.get(&id).map_or(0, |o| o.cum_exec);
        if qty.is_some_and(|q| q <= filled) {
            // UNCONFIRMED which code Bybit uses; the order keeps trading as it was.
            return Err(params("qty must be greater than the filled qty"));
        }
        if let Some(code) = forced {
            return Err(forced_reject(code));
        }
        let Some(mut o) = self.take_open(&id) else {
            return Err(not_exists(category));
        };
        let new_price = price.unwrap_or(o.price);
        let new_qty = qty.unwrap_or(o.qty);
        if new_price != o.price || new_qty > o.qty {
            o.rank = self.take_rank();
        }
        o.price = new_price;
        o.qty = new_qty;
        o.updated_ms = now;
        let ack = OrderAck {
            order_id: o.order_id.clone(),
            order_link_id: o.order_link_id.clone(),
        };
        // An amended order is re-checked like a new one: a post-only amend that would cross
        // is cancelled with EC_PostOnlyWillTakeLiquidity (UNCONFIRMED for Bybit).
        self.on_arrival(&mut o, now);
        self.rest_or_close(o);
        self.emit_position(account, &a.symbol, now);
        Ok(ack)
    }

    pub(crate) fn cancel(
        &mut self,
        account: usize,
        category: Category,
        c: &CancelOrder,
        now: u64,
    ) -> Result<OrderAck, Reject> {
        if c.category.is_some_and(|x| x != category) {
            return Err(params("item category differs from the request's"));
        }
        self.market(category, &c.symbol)?;
        let id = self
            .locate(
                account,
                category,
                &c.symbol,
                c.order_id.as_deref(),
                c.order_link_id.as_deref(),
            )
            .inspect_err(|_| self.echo_raced_fill(account, category, c, now))?;
        let Some(mut o) = self.take_open(&id) else {
            return Err(not_exists(category));
        };
        o.cancel("CancelByUser", now);
        let ack = OrderAck {
            order_id: o.order_id.clone(),
            order_link_id: o.order_link_id.clone(),
        };
        self.push_closed(o);
        self.emit_position(account, &c.symbol, now);
        Ok(ack)
    }

    /// The second `Filled` message of a cancel that raced the fill (see the module docs).
    fn echo_raced_fill(&mut self, account: usize, category: Category, c: &CancelOrder, now: u64) {
        let Some(closed) = self.closed.get(&(account, category)) else {
            return;
        };
        let named = |id: &str, link: &str| match (c.order_id.as_deref(), c.order_link_id.as_deref())
        {
            (Some(want), _) => want == id,
            (None, Some(want)) => !want.is_empty() && want == link,
            (None, None) => false,
        };
        let raced = closed.iter().rev().find(|o| {
            o.symbol == c.symbol
                && o.status == OrderStatus::Filled
                && now.saturating_sub(o.updated_ms) <= RACE_MS
                && named(&o.order_id, &o.order_link_id)
        });
        if let Some(o) = raced {
            let mut echo = o.clone();
            echo.cancel_type = "CancelByUser";
            echo.reject_reason = REJECT_ORIG_NOT_EXIST;
            self.emit_order(&echo);
        }
    }
}

/// How soon after a fill a cancel still counts as racing it (UNCONFIRMED: Bybit sends the
/// second message on a race, and says no more; one second is a generous round trip).
pub(crate) const RACE_MS: u64 = 1000;

/// Bybit's `rejectReason` on the second `Filled` message.
const REJECT_ORIG_NOT_EXIST: &str = "EC_OrigClOrdIDDoesNotExist";
