//! `GET /v5/position/list` and `GET /v5/execution/list`: what a client reads to resynchronise
//! after a stream reconnect. Positions from the account's fills; executions from the kept
//! history (the latest `fills::FILLS_KEPT` per account per category), newest first.

use mm_bybit::Category;
use serde_json::{Value, json};

use crate::engine::Exchange;
use crate::reject::{Reject, params};

/// The query's parameters by name (the last of a repeated one wins).
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: &str) -> Result<Self, Reject> {
        mm_bybit::query::parse_pairs(raw).map(Query).map_err(params)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn category(&self) -> Result<Category, Reject> {
        let c = self
            .get("category")
            .ok_or_else(|| params("category is required"))?;
        Category::parse(c).ok_or_else(|| params(format!("category {c:?} invalid")))
    }

    /// `limit` within `1..=max`, `default` when absent.
    fn limit(&self, default: usize, max: usize) -> Result<usize, Reject> {
        match self.get("limit") {
            None => Ok(default),
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| params(format!("limit {v:?} outside 1..={max}"))),
        }
    }

    /// The cursor: the number of items already returned (`page_args=<n>&` once decoded).
    fn offset(&self) -> Result<usize, Reject> {
        match self.get("cursor") {
            None => Ok(0),
            Some(c) => c
                .strip_prefix("page_args=")
                .and_then(|r| r.strip_suffix('&'))
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| params(format!("cursor {c:?} invalid"))),
        }
    }
}

/// One page of `items` from `offset`, with Bybit's (already percent-encoded) cursor.
fn page(category: Category, items: Vec<Value>, offset: usize, limit: usize) -> Value {
    let more = items.len() > offset + limit;
    let list: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let cursor = if more {
        format!("page_args%3D{}%26", offset + limit)
    } else {
        String::new()
    };
    json!({"category": category.as_str(), "list": list, "nextPageCursor": cursor})
}

impl Exchange {
    /// Linear/inverse need `symbol` or `settleCoin`. By symbol the position is listed even
    /// when flat; by settle coin only open ones are.
    pub(crate) fn position_list(
        &self,
        account: usize,
        raw: &str,
        now: u64,
    ) -> Result<Value, Reject> {
        let q = Query::parse(raw)?;
        let category = q.category()?;
        let (symbol, settle) = (q.get("symbol"), q.get("settleCoin"));
        if symbol.is_none() && settle.is_none() {
            return Err(params("symbol or settleCoin is required"));
        }
        let limit = q.limit(20, 200)?;
        let offset = q.offset()?;
        let mut items = Vec::new();
        for m in self.markets.values().filter(|m| m.category == category) {
            let wanted = match symbol {
                Some(s) => m.symbol == s,
                None => settle.is_some_and(|c| m.quote_coin == c),
            };
            if !wanted {
                continue;
            }
            let pos = self.positions.get(&(account, m.symbol.clone()));
            if symbol.is_none() && pos.is_none_or(|p| p.size == 0) {
                continue;
            }
            let fresh = crate::position::Position::new(now);
            let view = pos.unwrap_or(&fresh).view(m);
            let mut v = serde_json::to_value(view).unwrap_or(Value::Null);
            // REST names the entry price `avgPrice`.
            if let Some(o) = v.as_object_mut()
                && let Some(e) = o.remove("entryPrice")
            {
                o.insert("avgPrice".into(), e);
            }
            items.push(v);
        }
        Ok(page(category, items, offset, limit))
    }

    /// Newest first; filters `symbol`, `orderId`, `orderLinkId`.
    pub(crate) fn execution_list(&self, account: usize, raw: &str) -> Result<Value, Reject> {
        let q = Query::parse(raw)?;
        let category = q.category()?;
        let limit = q.limit(50, 100)?;
        let offset = q.offset()?;
        let items = self
            .executions
            .get(&(account, category))
            .into_iter()
            .flat_map(|d| d.iter().rev())
            .filter(|f| q.get("symbol").is_none_or(|s| f.symbol == s))
            .filter(|f| q.get("orderId").is_none_or(|s| f.order_id == s))
            .filter(|f| q.get("orderLinkId").is_none_or(|s| f.order_link_id == s))
            .map(|f| serde_json::to_value(f).unwrap_or(Value::Null))
            .collect();
        Ok(page(category, items, offset, limit))
    }
}
