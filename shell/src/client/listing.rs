//! The resync listings (`GET /v5/execution/list`, `GET /v5/position/list`):
//! their query strings, and their replies as `Outcome::Listing`, each row
//! mapped by `rows` exactly as the private stream's items are.

use mm_bybit::ws::{Execution, PositionUpdate};
use mm_bybit::{Response, query::encode_component};
use mm_core::input::{Listing, ListingRows, Reply};
use mm_core::{Category, Outcome};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::reply::{Raw, rate_limit};
use super::rows;
use super::wire::wire_category;

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
        ListingRows::Executions(list.into_iter().map(rows::execution).collect())
    })
}

pub(super) fn parse_positions(raw: Raw) -> Outcome {
    parse_listing::<PositionUpdate>(raw, |list| {
        ListingRows::Positions(list.into_iter().map(rows::position).collect())
    })
}

/// HTTP 200 with retCode 0: `Outcome::Listing`; another retCode: the
/// envelope as a `Reply` for core to judge.
fn parse_listing<T: DeserializeOwned>(
    raw: Raw,
    rows: impl FnOnce(Vec<T>) -> ListingRows,
) -> Outcome {
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
            ret_msg: r.ret_msg.into(),
            rate_limit,
            ..Reply::default()
        });
    }
    let cursor = r.result.next_page_cursor;
    Outcome::Listing(Listing {
        rows: rows(r.result.list),
        next_cursor: (!cursor.is_empty()).then_some(cursor),
        rate_limit,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn raw(body: &str) -> Raw {
        Raw {
            status: 200,
            headers: reqwest::header::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    /// An execution-list page (Bybit's documented execution item as its row).
    #[test]
    fn an_execution_page_is_a_listing_with_its_cursor() {
        let body = r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"page_args%3D1%26",
            "list":[{"category":"linear","symbol":"BTCUSDT","execId":"0ab1bdf7-4219-438b-b30a-32ec863018f7",
            "execPrice":"95900.1","execQty":"0.5","execType":"Trade","leavesQty":"0",
            "orderId":"9aac161b-8ed6-450d-9cab-c5cc67c21784","orderLinkId":"","side":"Sell",
            "execTime":"1746270400353","isMaker":false,"seq":140612148849382}]}}"#;
        let Outcome::Listing(l) = parse_executions(raw(body)) else {
            panic!("not a listing");
        };
        assert_eq!(l.next_cursor.as_deref(), Some("page_args%3D1%26"));
        let ListingRows::Executions(xs) = l.rows else {
            panic!("not executions");
        };
        assert_eq!(
            (xs[0].exec_qty.as_str(), xs[0].exec_type.as_str(), xs[0].seq),
            ("0.5", "Trade", 140_612_148_849_382)
        );
    }

    /// A position-list page (REST's `avgPrice`), an empty page, a refusal.
    #[test]
    fn position_pages_and_refusals() {
        let body = r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"",
            "list":[{"positionIdx":0,"symbol":"BTCUSDT","side":"Sell","size":"0.5","avgPrice":"60000",
            "updatedTime":"1697682317038","seq":8327597863}]}}"#;
        let Outcome::Listing(l) = parse_positions(raw(body)) else {
            panic!("not a listing");
        };
        assert_eq!(l.next_cursor, None);
        let ListingRows::Positions(ps) = l.rows else {
            panic!("not positions");
        };
        assert_eq!((ps[0].side.as_str(), ps[0].size.as_str()), ("Sell", "0.5"));
        let refused = parse_positions(raw(
            r#"{"retCode":10001,"retMsg":"params error","result":{}}"#,
        ));
        assert!(matches!(refused, Outcome::Reply(r) if r.ret_code == 10001));
        assert!(matches!(parse_executions(raw("{")), Outcome::Malformed(_)));
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
