//! The exchange client: one shared `reqwest::Client` (rustls, keep-alive,
//! pooled, `exchange.request_timeout_ms` on every call), a 1:1 mapping from
//! `mm_core::Request` to the mm-bybit wire types, signing, and the mapping of
//! whatever came back to an `mm_core::Outcome`. It judges nothing: a reply is
//! passed through for core to classify.
//!
//! Outcome mapping: HTTP != 200 -> `HttpStatus`; a body that does not parse
//! as the endpoint's Bybit envelope -> `Malformed(reason)`; the timeout ->
//! `Timeout`; anything else (refused, reset, TLS...) -> `Transport(message)`
//! with the URL and both credentials scrubbed from the message.

use std::time::Duration;

use mm_bybit::{
    BatchCreateItem, BatchItem, BatchRequest, CancelAllResult, ListResult, OpenOrdersQuery,
    OpenOrdersResult, OrderAck, OrderType, Response, TimeInForce, headers, paths,
};
use mm_core::effect::{AmendOrder, CancelOrder, NewOrder};
use mm_core::input::{Ack, ExchangeOrder, ItemCode, RateLimitStatus};
use mm_core::{Category, Outcome, Reply, RequestKind, Side, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::secrets::Credentials;

/// Signs and sends; cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    creds: Credentials,
    recv_window_ms: u64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("creds", &self.creds)
            .finish_non_exhaustive()
    }
}

/// A reply as it came off the wire, before it is parsed.
struct Raw {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Client {
    pub fn new(
        base_url: &str,
        creds: Credentials,
        recv_window_ms: u64,
        request_timeout_ms: u64,
    ) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(Duration::from_millis(request_timeout_ms))
            .connect_timeout(Duration::from_millis(request_timeout_ms))
            .pool_idle_timeout(Duration::from_secs(50))
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("mm-batch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Client {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            creds,
            recv_window_ms,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Performs one core request; never fails, every ending is an `Outcome`.
    pub async fn execute(&self, kind: &RequestKind) -> Outcome {
        match kind {
            RequestKind::PlaceBatch { category, orders } => {
                let body = BatchRequest {
                    category: wire_category(*category),
                    request: orders.iter().map(|o| place(o, None)).collect(),
                };
                let raw = match self.post(paths::CREATE_BATCH, &body).await {
                    Ok(raw) => raw,
                    Err(o) => return o,
                };
                parse_reply::<ListResult<BatchCreateItem>>(raw, |r, reply| {
                    reply.acks = r
                        .list
                        .into_iter()
                        .map(|i| ack(i.order_id, i.order_link_id))
                        .collect();
                })
            }
            RequestKind::AmendBatch { category, orders } => {
                let body = BatchRequest {
                    category: wire_category(*category),
                    request: orders.iter().map(|o| amend(o, None)).collect(),
                };
                match self.post(paths::AMEND_BATCH, &body).await {
                    Ok(raw) => parse_batch_items(raw),
                    Err(o) => o,
                }
            }
            RequestKind::CancelBatch { category, orders } => {
                let body = BatchRequest {
                    category: wire_category(*category),
                    request: orders.iter().map(|o| cancel(o, None)).collect(),
                };
                match self.post(paths::CANCEL_BATCH, &body).await {
                    Ok(raw) => parse_batch_items(raw),
                    Err(o) => o,
                }
            }
            RequestKind::Place { category, order } => {
                let body = place(order, Some(*category));
                match self.post(paths::CREATE, &body).await {
                    Ok(raw) => parse_single(raw),
                    Err(o) => o,
                }
            }
            RequestKind::Amend { category, order } => {
                let body = amend(order, Some(*category));
                match self.post(paths::AMEND, &body).await {
                    Ok(raw) => parse_single(raw),
                    Err(o) => o,
                }
            }
            RequestKind::Cancel { category, order } => {
                let body = cancel(order, Some(*category));
                match self.post(paths::CANCEL, &body).await {
                    Ok(raw) => parse_single(raw),
                    Err(o) => o,
                }
            }
            RequestKind::CancelAll { category, symbol } => {
                let body = mm_bybit::CancelAll {
                    category: wire_category(*category),
                    symbol: Some(symbol.clone()),
                    base_coin: None,
                    settle_coin: None,
                };
                let raw = match self.post(paths::CANCEL_ALL, &body).await {
                    Ok(raw) => raw,
                    Err(o) => return o,
                };
                parse_reply::<CancelAllResult>(raw, |r, reply| {
                    reply.acks = r
                        .list
                        .into_iter()
                        .map(|a| ack(a.order_id, a.order_link_id))
                        .collect();
                })
            }
            RequestKind::OpenOrders {
                category,
                symbol,
                order_link_id,
                cursor,
                limit,
            } => {
                let mut q = OpenOrdersQuery::new(wire_category(*category));
                q.symbol = Some(symbol.clone());
                q.order_link_id.clone_from(order_link_id);
                q.cursor.clone_from(cursor);
                q.limit = Some(*limit);
                let raw = match self
                    .get_signed(paths::OPEN_ORDERS, &q.to_query_string())
                    .await
                {
                    Ok(raw) => raw,
                    Err(o) => return o,
                };
                parse_reply::<OpenOrdersResult>(raw, |r, reply| {
                    reply.orders = r
                        .list
                        .into_iter()
                        .map(|o| ExchangeOrder {
                            order_id: o.order_id,
                            order_link_id: o.order_link_id,
                            symbol: o.symbol,
                            side: o.side.as_str().to_string(),
                            price: o.price,
                            qty: o.qty,
                            leaves_qty: o.leaves_qty,
                            status: status_name(o.order_status),
                            reject_reason: o.reject_reason,
                        })
                        .collect();
                    reply.next_cursor =
                        (!r.next_page_cursor.is_empty()).then_some(r.next_page_cursor);
                })
            }
        }
    }

    /// A public GET (market data): the parsed envelope, or why not.
    pub async fn get_public<T: DeserializeOwned + Default>(
        &self,
        path: &str,
        query: &str,
    ) -> Result<Response<T>, String> {
        let url = format!("{}{path}?{query}", self.base);
        let raw = self
            .finish(self.http.get(url))
            .await
            .map_err(|o| describe(&o))?;
        if raw.status != 200 {
            return Err(format!("{path}: HTTP {}", raw.status));
        }
        let r: Response<T> = serde_json::from_slice(&raw.body)
            .map_err(|e| format!("{path}: reply does not parse: {e}"))?;
        if !r.is_ok() {
            return Err(format!("{path}: retCode {} {}", r.ret_code, r.ret_msg));
        }
        Ok(r)
    }

    /// An unsigned GET that is not a Bybit envelope (the simulator's
    /// `/sim/state`): the body of an HTTP 200, or why not.
    pub async fn get_plain(&self, path: &str) -> Result<Vec<u8>, String> {
        let raw = self
            .finish(self.http.get(format!("{}{path}", self.base)))
            .await
            .map_err(|o| format!("{path}: {}", describe(&o)))?;
        if raw.status != 200 {
            return Err(format!("{path}: HTTP {}", raw.status));
        }
        Ok(raw.body)
    }

    async fn post<B: Serialize>(&self, path: &str, body: &B) -> Result<Raw, Outcome> {
        let body = serde_json::to_string(body)
            .map_err(|e| Outcome::Transport(format!("request body: {e}")))?;
        let builder = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        let builder = self.sign(builder, &body).body(body);
        self.finish(builder).await
    }

    async fn get_signed(&self, path: &str, query: &str) -> Result<Raw, Outcome> {
        let builder = self.http.get(format!("{}{path}?{query}", self.base));
        let builder = self.sign(builder, query);
        self.finish(builder).await
    }

    fn sign(&self, builder: reqwest::RequestBuilder, payload: &str) -> reqwest::RequestBuilder {
        let ts = crate::now_ms();
        let signature = mm_bybit::sign(
            self.creds.secret(),
            ts,
            self.creds.key(),
            self.recv_window_ms,
            payload,
        );
        let mut key = reqwest::header::HeaderValue::from_str(self.creds.key())
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("invalid"));
        key.set_sensitive(true);
        let mut sign = reqwest::header::HeaderValue::from_str(&signature)
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("invalid"));
        sign.set_sensitive(true);
        builder
            .header(headers::API_KEY, key)
            .header(headers::SIGN, sign)
            .header(headers::TIMESTAMP, ts.to_string())
            .header(headers::RECV_WINDOW, self.recv_window_ms.to_string())
    }

    async fn finish(&self, builder: reqwest::RequestBuilder) -> Result<Raw, Outcome> {
        let resp = builder.send().await.map_err(|e| self.failure(e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| self.failure(e))?;
        Ok(Raw {
            status,
            headers,
            body: body.to_vec(),
        })
    }

    fn failure(&self, e: reqwest::Error) -> Outcome {
        if e.is_timeout() {
            return Outcome::Timeout;
        }
        let e = e.without_url();
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        Outcome::Transport(self.creds.scrub(&msg))
    }
}

/// A short text for an outcome that is not a reply (for market-data errors).
pub fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Reply(r) => format!("retCode {} {}", r.ret_code, r.ret_msg),
        Outcome::Timeout => "timeout".to_string(),
        Outcome::Transport(m) => format!("transport: {m}"),
        Outcome::HttpStatus(s) => format!("HTTP {s}"),
        Outcome::Malformed(m) => format!("malformed: {m}"),
    }
}

fn rate_limit(h: &reqwest::header::HeaderMap) -> Option<RateLimitStatus> {
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    let s = mm_bybit::RateLimitStatus::from_header_values(
        get(headers::LIMIT)?,
        get(headers::LIMIT_STATUS)?,
        get(headers::LIMIT_RESET_TIMESTAMP)?,
    )?;
    Some(RateLimitStatus {
        limit: s.limit,
        remaining: s.remaining,
        reset_ms: Timestamp(s.reset_ms),
    })
}

/// Status, envelope, then `fill` copies the endpoint's result into the reply.
fn parse_reply<T: DeserializeOwned + Default>(
    raw: Raw,
    fill: impl FnOnce(T, &mut Reply),
) -> Outcome {
    if raw.status != 200 {
        return Outcome::HttpStatus(raw.status);
    }
    let r: Response<T> = match serde_json::from_slice(&raw.body) {
        Ok(r) => r,
        Err(e) => return Outcome::Malformed(format!("reply does not parse: {e}")),
    };
    let mut reply = Reply {
        ret_code: r.ret_code,
        ret_msg: r.ret_msg,
        codes: r
            .ret_ext_info
            .list
            .into_iter()
            .map(|i| ItemCode {
                code: i.code,
                msg: i.msg,
            })
            .collect(),
        rate_limit: rate_limit(&raw.headers),
        ..Reply::default()
    };
    fill(r.result, &mut reply);
    Outcome::Reply(reply)
}

fn parse_batch_items(raw: Raw) -> Outcome {
    parse_reply::<ListResult<BatchItem>>(raw, |r, reply| {
        reply.acks = r
            .list
            .into_iter()
            .map(|i| ack(i.order_id, i.order_link_id))
            .collect();
    })
}

fn parse_single(raw: Raw) -> Outcome {
    parse_reply::<OrderAck>(raw, |r, reply| {
        reply.acks = vec![ack(r.order_id, r.order_link_id)];
    })
}

fn ack(order_id: String, order_link_id: String) -> Ack {
    Ack {
        order_id,
        order_link_id,
    }
}

fn status_name(s: mm_bybit::OrderStatus) -> String {
    // The wire spelling is the variant name (serde); `Other` stands for any
    // value this build does not know.
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "Other".to_string())
}

pub fn wire_category(c: Category) -> mm_bybit::Category {
    match c {
        Category::Linear => mm_bybit::Category::Linear,
        Category::Inverse => mm_bybit::Category::Inverse,
        Category::Spot => mm_bybit::Category::Spot,
        Category::Option => mm_bybit::Category::Option,
    }
}

fn wire_side(s: Side) -> mm_bybit::Side {
    match s {
        Side::Buy => mm_bybit::Side::Buy,
        Side::Sell => mm_bybit::Side::Sell,
    }
}

fn place(o: &NewOrder, category: Option<Category>) -> mm_bybit::PlaceOrder {
    mm_bybit::PlaceOrder {
        category: category.map(wire_category),
        symbol: o.symbol.clone(),
        side: wire_side(o.side),
        order_type: OrderType::Limit,
        qty: o.qty.clone(),
        price: Some(o.price.clone()),
        time_in_force: Some(if o.post_only {
            TimeInForce::PostOnly
        } else {
            TimeInForce::Gtc
        }),
        order_link_id: Some(o.order_link_id.clone()),
        position_idx: None,
    }
}

fn amend(o: &AmendOrder, category: Option<Category>) -> mm_bybit::AmendOrder {
    mm_bybit::AmendOrder {
        category: category.map(wire_category),
        symbol: o.symbol.clone(),
        order_id: None,
        order_link_id: Some(o.order_link_id.clone()),
        qty: o.qty.clone(),
        price: o.price.clone(),
    }
}

fn cancel(o: &CancelOrder, category: Option<Category>) -> mm_bybit::CancelOrder {
    mm_bybit::CancelOrder {
        category: category.map(wire_category),
        symbol: o.symbol.clone(),
        order_id: None,
        order_link_id: Some(o.order_link_id.clone()),
    }
}

/// HTTP method of a request (metric label `verb`).
pub fn verb(kind: &RequestKind) -> &'static str {
    match kind {
        RequestKind::OpenOrders { .. } => "GET",
        _ => "POST",
    }
}
