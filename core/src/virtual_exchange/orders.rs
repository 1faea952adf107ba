//! The exchange's book of record: create, amend, cancel, list.

use crate::decimal::Decimal;
use crate::domain::{Category, Side};
use crate::input::{Ack, ExchangeOrder, Reply};

use super::{CLOSED_KEPT, OpenOrder, VirtualExchange};

impl VirtualExchange {
    pub(super) fn create(
        &mut self,
        category: Category,
        symbol: &str,
        side: Side,
        price: &str,
        qty: &str,
        link: &str,
    ) -> (i64, Ack) {
        let Some(inst) = self.instruments.get(symbol) else {
            return (10001, Ack::default());
        };
        let on_grid = |text: &str, unit: Decimal| {
            text.parse::<Decimal>()
                .ok()
                .and_then(|d| d.div_exact(unit))
                .is_some_and(|n| n > 0)
        };
        if inst.category != category
            || !on_grid(price, inst.tick_size)
            || !on_grid(qty, inst.qty_step)
        {
            return (10001, Ack::default());
        }
        if link.is_empty() || link.len() > 36 {
            return (10001, Ack::default());
        }
        if self.open.contains_key(link) || self.closed.contains_key(link) {
            return (110_072, Ack::default());
        }
        let order_id = format!("vx{}", self.next_order_id);
        self.next_order_id += 1;
        self.open.insert(
            link.to_string(),
            OpenOrder {
                order_id: order_id.clone(),
                order_link_id: link.to_string(),
                symbol: symbol.to_string(),
                side,
                price: price.to_string(),
                qty: qty.to_string(),
                status: "New".to_string(),
            },
        );
        (
            0,
            Ack {
                order_id: order_id.into(),
                order_link_id: link.into(),
            },
        )
    }

    pub(super) fn amend(
        &mut self,
        link: &str,
        price: Option<&str>,
        qty: Option<&str>,
    ) -> (i64, Ack) {
        let Some(o) = self.open.get_mut(link) else {
            return (110_001, Ack::default());
        };
        // Bybit refuses an amend that changes nothing (10001 "The order
        // remains unchanged..."): what a re-sent, already applied amend sees.
        if price.is_none_or(|p| p == o.price) && qty.is_none_or(|q| q == o.qty) {
            return (10001, Ack::default());
        }
        if let Some(p) = price {
            o.price = p.to_string();
        }
        if let Some(q) = qty {
            o.qty = q.to_string();
        }
        (
            0,
            Ack {
                order_id: o.order_id.as_str().into(),
                order_link_id: link.into(),
            },
        )
    }

    pub(super) fn cancel(&mut self, link: &str) -> (i64, Ack) {
        let Some(mut o) = self.open.remove(link) else {
            return (110_001, Ack::default());
        };
        let ack = Ack {
            order_id: o.order_id.as_str().into(),
            order_link_id: link.into(),
        };
        o.status = "Cancelled".to_string();
        self.remember_closed(o);
        (0, ack)
    }

    pub(super) fn remember_closed(&mut self, o: OpenOrder) {
        self.closed_order.push_back(o.order_link_id.clone());
        self.closed.insert(o.order_link_id.clone(), o);
        if self.closed_order.len() > CLOSED_KEPT
            && let Some(old) = self.closed_order.pop_front()
        {
            self.closed.remove(&old);
        }
    }

    pub(super) fn list(
        &self,
        r: &mut Reply,
        symbol: &str,
        link: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) {
        if let Some(link) = link {
            let found = self.open.get(link).or_else(|| self.closed.get(link));
            r.orders
                .extend(found.filter(|o| o.symbol == symbol).map(wire));
            return;
        }
        let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let limit = limit.clamp(1, 50) as usize;
        let all: Vec<&OpenOrder> = self.open.values().filter(|o| o.symbol == symbol).collect();
        r.orders
            .extend(all.iter().skip(start).take(limit).map(|o| wire(o)));
        if start + limit < all.len() {
            r.next_cursor = Some((start + limit).to_string());
        }
    }
}

pub(super) fn wire(o: &OpenOrder) -> ExchangeOrder {
    ExchangeOrder {
        order_id: o.order_id.as_str().into(),
        order_link_id: o.order_link_id.as_str().into(),
        symbol: o.symbol.as_str().into(),
        side: o.side.wire().into(),
        price: o.price.as_str().into(),
        qty: o.qty.as_str().into(),
        leaves_qty: o.qty.as_str().into(),
        status: o.status.as_str().into(),
        reject_reason: if o.status == "Cancelled" {
            "EC_PerCancelRequest".into()
        } else {
            "EC_NoError".into()
        },
    }
}
