//! GET query strings: building them for the client (the exact string is also what gets signed)
//! and parsing them for the simulator.
//!
//! Keys are written in a fixed order (the struct's). Values are percent-encoded, except that an
//! existing `%XX` escape is passed through: Bybit's `nextPageCursor` arrives already encoded
//! (e.g. `page_args%3D...%26symbol%3D6%26`) and the official Python SDK sends it back verbatim,
//! so that is the form known to work; encoding the `%` again would change the token.

use crate::enums::Category;

/// A query string that could not be parsed, naming the key and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter {key}: {reason}")]
pub struct QueryError {
    /// The offending key.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

impl QueryError {
    fn new(key: &str, reason: impl Into<String>) -> Self {
        Self {
            key: key.to_string(),
            reason: reason.into(),
        }
    }
}

/// `GET /v5/order/realtime` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrdersQuery {
    /// Required.
    pub category: Category,
    /// Linear needs one of symbol / baseCoin / settleCoin.
    pub symbol: Option<String>,
    /// Filter by base coin.
    pub base_coin: Option<String>,
    /// Filter by settle coin (not for spot).
    pub settle_coin: Option<String>,
    /// Lookup by exchange id (highest priority).
    pub order_id: Option<String>,
    /// Lookup by client id.
    pub order_link_id: Option<String>,
    /// 0 (default): open orders; 1: recent closed orders (up to 500 per category).
    pub open_only: Option<u8>,
    /// Page size 1..=50, default 20.
    pub limit: Option<u32>,
    /// `nextPageCursor` from the previous page, as received.
    pub cursor: Option<String>,
}

impl OpenOrdersQuery {
    /// A query for one category with no filters.
    pub fn new(category: Category) -> Self {
        Self {
            category,
            symbol: None,
            base_coin: None,
            settle_coin: None,
            order_id: None,
            order_link_id: None,
            open_only: None,
            limit: None,
            cursor: None,
        }
    }

    /// The query string to send and sign (no leading `?`).
    pub fn to_query_string(&self) -> String {
        let mut q = QueryBuilder::default();
        q.push("category", self.category.as_str());
        q.push_opt("symbol", self.symbol.as_deref());
        q.push_opt("baseCoin", self.base_coin.as_deref());
        q.push_opt("settleCoin", self.settle_coin.as_deref());
        q.push_opt("orderId", self.order_id.as_deref());
        q.push_opt("orderLinkId", self.order_link_id.as_deref());
        q.push_opt("openOnly", self.open_only.map(|v| v.to_string()).as_deref());
        q.push_opt("limit", self.limit.map(|v| v.to_string()).as_deref());
        q.push_opt("cursor", self.cursor.as_deref());
        q.finish()
    }

    /// Parses a query string (as received, no `?`). Unknown keys are ignored, as a server
    /// would; `category` is required; values are percent-decoded once.
    pub fn from_query_string(s: &str) -> Result<Self, QueryError> {
        let pairs = parse_pairs(s)?;
        let mut q = Self::new(required_category(&pairs)?);
        q.symbol = get(&pairs, "symbol");
        q.base_coin = get(&pairs, "baseCoin");
        q.settle_coin = get(&pairs, "settleCoin");
        q.order_id = get(&pairs, "orderId");
        q.order_link_id = get(&pairs, "orderLinkId");
        q.open_only = get_num(&pairs, "openOnly")?;
        q.limit = get_num(&pairs, "limit")?;
        q.cursor = get(&pairs, "cursor");
        Ok(q)
    }
}

/// `GET /v5/market/tickers` and `GET /v5/market/instruments-info` parameters (the subset we use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketQuery {
    /// Required.
    pub category: Category,
    /// One symbol, or all when `None`.
    pub symbol: Option<String>,
}

impl MarketQuery {
    /// The query string to send (no leading `?`).
    pub fn to_query_string(&self) -> String {
        let mut q = QueryBuilder::default();
        q.push("category", self.category.as_str());
        q.push_opt("symbol", self.symbol.as_deref());
        q.finish()
    }

    /// Parses a query string; `category` is required, unknown keys ignored.
    pub fn from_query_string(s: &str) -> Result<Self, QueryError> {
        let pairs = parse_pairs(s)?;
        Ok(Self {
            category: required_category(&pairs)?,
            symbol: get(&pairs, "symbol"),
        })
    }
}

#[derive(Default)]
struct QueryBuilder(String);

impl QueryBuilder {
    fn push(&mut self, key: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.push_str(key);
        self.0.push('=');
        encode_into(&mut self.0, value);
    }

    fn push_opt(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.push(key, v);
        }
    }

    fn finish(self) -> String {
        self.0
    }
}

/// Percent-encodes `value` for a query string, keeping unreserved characters and any
/// well-formed `%XX` escape as they are (see the module docs for why).
pub fn encode_component(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    encode_into(&mut s, value);
    s
}

fn encode_into(out: &mut String, value: &str) {
    let b = value.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let escape_start = c == b'%'
            && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') || escape_start {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
}

/// Splits `a=1&b=2` into decoded pairs, in order. Empty segments are skipped.
pub fn parse_pairs(s: &str) -> Result<Vec<(String, String)>, QueryError> {
    s.split('&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (k, v) = seg.split_once('=').unwrap_or((seg, ""));
            let key = decode(k).ok_or_else(|| QueryError::new(k, "bad percent-encoding"))?;
            let value = decode(v).ok_or_else(|| QueryError::new(&key, "bad percent-encoding"))?;
            Ok((key, value))
        })
        .collect()
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            // Two hex digits exactly: `from_str_radix` alone would take a sign (`%+1`).
            let (hi, lo) = (hex_digit(*b.get(i + 1)?)?, hex_digit(*b.get(i + 2)?)?);
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn get(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

fn get_num<T: std::str::FromStr>(
    pairs: &[(String, String)],
    key: &str,
) -> Result<Option<T>, QueryError> {
    get(pairs, key)
        .map(|v| {
            v.parse()
                .map_err(|_| QueryError::new(key, format!("{v:?} is not a number")))
        })
        .transpose()
}

fn required_category(pairs: &[(String, String)]) -> Result<Category, QueryError> {
    let v = get(pairs, "category").ok_or_else(|| QueryError::new("category", "missing"))?;
    Category::parse(&v).ok_or_else(|| QueryError::new("category", format!("unknown {v:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_orders_query_round_trip_with_bybit_cursor() {
        let mut q = OpenOrdersQuery::new(Category::Linear);
        q.symbol = Some("BTCUSDT".into());
        q.open_only = Some(0);
        q.limit = Some(50);
        q.cursor = Some("page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26".into());
        let s = q.to_query_string();
        assert_eq!(
            s,
            "category=linear&symbol=BTCUSDT&openOnly=0&limit=50\
             &cursor=page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26"
        );
        // The server decodes once: it sees the cursor's decoded form.
        let back = OpenOrdersQuery::from_query_string(&s).expect("parses");
        assert_eq!(
            back.cursor.as_deref(),
            Some("page_args=fd4300ae-7847-404e-b947-b46980a4d140&symbol=6&")
        );
        assert_eq!(back.limit, Some(50));
        assert_eq!(back.symbol.as_deref(), Some("BTCUSDT"));
    }

    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(encode_component("a=b&c d%"), "a%3Db%26c%20d%25");
        assert_eq!(encode_component("%zz"), "%25zz");
    }

    #[test]
    fn bad_queries_name_the_key() {
        let e = OpenOrdersQuery::from_query_string("symbol=BTCUSDT").expect_err("no category");
        assert_eq!(e.key, "category");
        let e = OpenOrdersQuery::from_query_string("category=linear&limit=x").expect_err("limit");
        assert_eq!(e.key, "limit");
        let e = MarketQuery::from_query_string("category=futures").expect_err("category");
        assert_eq!(e.key, "category");
        assert!(parse_pairs("a=%4").is_err());
    }

    #[test]
    fn percent_escapes_are_two_hex_digits() {
        for bad in ["a=%+1", "a=%-1", "a=%1+", "a=% 1", "a=%g0", "a=%"] {
            assert!(parse_pairs(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_pairs("a=%2b%2F").expect("parses"),
            vec![("a".to_string(), "+/".to_string())]
        );
    }

    #[test]
    fn market_query() {
        let q = MarketQuery {
            category: Category::Spot,
            symbol: Some("BTCUSDT".into()),
        };
        assert_eq!(q.to_query_string(), "category=spot&symbol=BTCUSDT");
        assert_eq!(MarketQuery::from_query_string(&q.to_query_string()), Ok(q));
    }
}
