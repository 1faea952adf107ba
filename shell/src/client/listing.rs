//! The resync listings (`GET /v5/execution/list`, `GET /v5/position/list`)
//! and the private stream's items as core's inputs: the exchange's strings
//! passed through, field for field (`mm_core::input` names the Bybit field
//! behind each). The private stream's reader uses the same conversions.

use mm_bybit::ws::{Execution, OrderUpdate, PositionSide, PositionUpdate};
use mm_bybit::{Response, query::encode_component};
use mm_core::input::{self, Listing, ListingRows, Reply};
use mm_core::{Category, Outcome};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::reply::{Raw, rate_limit};
use super::wire::{status_name, wire_category};

/// `result` of a listing: `list` and `nextPageCursor`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(default = "Vec::new")]
    list: Vec<T>,
    #[serde(default)]
    next_page_cursor: String,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            list: Vec::new(),
            next_page_cursor: String::new(),
        }
    }
}

/// The query string of `GET /v5/execution/list` (no leading `?`).
pub(super) fn execution_query(
    category: Category,
    symbol: &str,
    start_time: Option<u64>,
    cursor: Option<&str>,
    limit: u32,
) -> String {
    let mut q = format!(
        "category={}&symbol={}",
        wire_category(category).as_str(),
        encode_component(symbol)
    );
    if let Some(t) = start_time {
        q.push_str(&format!("&startTime={t}"));
    }
    q.push_str(&format!("&limit={limit}"));
    if let Some(c) = cursor {
        q.push_str("&cursor=");
        q.push_str(&encode_component(c));
    }
    q
}

/// The query string of `GET /v5/position/list` for one symbol.
pub(super) fn position_query(category: Category, symbol: &str) -> String {
    format!(
        "category={}&symbol={}",
        wire_category(category).as_str(),
        encode_component(symbol)
    )
}

pub(super) fn parse_executions(raw: Raw) -> Outcome {
    parse_listing::<Execution>(raw, |list| {
        ListingRows::Executions(list.iter().map(core_execution).collect())
    })
}

pub(super) fn parse_positions(raw: Raw) -> Outcome {
    parse_listing::<PositionUpdate>(raw, |list| {
        ListingRows::Positions(list.iter().map(core_position).collect())
    })
}

/// HTTP 200 with retCode 0: `Outcome::Listing`; another retCode: the
/// envelope as a `Reply` for core to judge.
fn parse_listing<T: DeserializeOwned>(raw: Raw, rows: impl FnOnce(&[T]) -> ListingRows) -> Outcome {
    if raw.status != 200 {
        return Outcome::HttpStatus(raw.status);
    }
    let r: Response<Page<T>> = match serde_json::from_slice(&raw.body) {
        Ok(r) => r,
        Err(e) => return Outcome::Malformed(format!("reply does not parse: {e}")),
    };
    let rate_limit = rate_limit(&raw.headers);
    if r.ret_code != 0 {
        return Outcome::Reply(Reply {
            ret_code: r.ret_code,
            ret_msg: r.ret_msg,
            rate_limit,
            ..Reply::default()
        });
    }
    let cursor = r.result.next_page_cursor;
    Outcome::Listing(Listing {
        rows: rows(&r.result.list),
        next_cursor: (!cursor.is_empty()).then_some(cursor),
        rate_limit,
    })
}

/// An `execution` / `execution.fast` item (or an execution-list row) as core's.
pub fn core_execution(x: &Execution) -> input::Execution {
    input::Execution {
        symbol: x.symbol.clone(),
        order_id: x.order_id.clone(),
        order_link_id: x.order_link_id.clone(),
        side: x.side.as_str().to_string(),
        exec_id: x.exec_id.clone(),
        exec_price: x.exec_price.clone(),
        exec_qty: x.exec_qty.clone(),
        // The variant's name is the wire spelling (`Other` for one this build does not know).
        exec_type: x.exec_type.map(|t| format!("{t:?}")).unwrap_or_default(),
        leaves_qty: x.leaves_qty.clone().unwrap_or_default(),
        exec_time: x.exec_time.clone(),
        is_maker: x.is_maker,
        seq: x.seq,
    }
}

/// A `position` item (or a position-list row) as core's.
pub fn core_position(p: &PositionUpdate) -> input::Position {
    input::Position {
        symbol: p.symbol.clone(),
        side: match p.side {
            PositionSide::Buy => "Buy",
            PositionSide::Sell => "Sell",
            PositionSide::Flat => "",
        }
        .to_string(),
        size: p.size.clone(),
        position_idx: p.position_idx,
        seq: p.seq,
        updated_time: p.updated_time.clone(),
    }
}

/// An `order` item as core's.
pub fn core_order_update(o: &OrderUpdate) -> input::OrderUpdate {
    input::OrderUpdate {
        symbol: o.symbol.clone(),
        order_id: o.order_id.clone(),
        order_link_id: o.order_link_id.clone(),
        side: o.side.as_str().to_string(),
        price: o.price.clone(),
        qty: o.qty.clone(),
        leaves_qty: o.leaves_qty.clone(),
        cum_exec_qty: o.cum_exec_qty.clone(),
        avg_price: o.avg_price.clone(),
        status: status_name(o.order_status),
        cancel_type: o.cancel_type.clone(),
        reject_reason: o.reject_reason.clone(),
        updated_time: o.updated_time.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Bybit's documented `execution` and `position` examples, as core gets them.
    #[test]
    fn documented_items_pass_through_field_for_field() {
        let x: Execution = serde_json::from_str(
            r#"{"category":"linear","symbol":"BTCUSDT","closedSize":"0.5","execFee":"26.3725275",
            "execId":"0ab1bdf7-4219-438b-b30a-32ec863018f7","execPrice":"95900.1","execQty":"0.5",
            "execType":"Trade","execValue":"47950.05","feeRate":"0.00055","leavesQty":"0",
            "orderId":"9aac161b-8ed6-450d-9cab-c5cc67c21784","orderLinkId":"","orderPrice":"94942.5",
            "orderQty":"0.5","orderType":"Market","side":"Sell","execTime":"1746270400353",
            "isMaker":false,"seq":140612148849382}"#,
        )
        .unwrap();
        let c = core_execution(&x);
        assert_eq!(
            (
                c.side.as_str(),
                c.exec_type.as_str(),
                c.leaves_qty.as_str(),
                c.seq
            ),
            ("Sell", "Trade", "0", 140_612_148_849_382)
        );
        assert_eq!(
            (c.exec_qty.as_str(), c.exec_price.as_str()),
            ("0.5", "95900.1")
        );
        let p: PositionUpdate = serde_json::from_str(
            r#"{"positionIdx":2,"symbol":"BTCUSDT","side":"","size":"0","entryPrice":"0",
            "leverage":"10","positionValue":"0","markPrice":"28184.5","updatedTime":"1697682317038",
            "category":"linear","positionStatus":"Normal","seq":8327597863}"#,
        )
        .unwrap();
        let c = core_position(&p);
        assert_eq!(
            (c.side.as_str(), c.size.as_str(), c.position_idx, c.seq),
            ("", "0", 2, 8_327_597_863)
        );
    }

    #[test]
    fn queries_carry_what_core_asked() {
        assert_eq!(
            execution_query(
                Category::Linear,
                "BTCUSDT",
                Some(17),
                Some("page_args%3D100%26"),
                100
            ),
            "category=linear&symbol=BTCUSDT&startTime=17&limit=100&cursor=page_args%3D100%26"
        );
        assert_eq!(
            position_query(Category::Inverse, "BTCUSD"),
            "category=inverse&symbol=BTCUSD"
        );
    }
}
