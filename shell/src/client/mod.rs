//! The exchange client: one shared `reqwest::Client` (rustls, keep-alive,
//! pooled, `exchange.request_timeout_ms` on every call), a 1:1 mapping from
//! `mm_core::Request` to the mm-bybit wire types, signing, and the mapping of
//! whatever came back to an `mm_core::Outcome`. It judges nothing: a reply is
//! passed through for core to classify.
//!
//! Outcome mapping (`reply`): HTTP != 200 -> `HttpStatus`; a body that does
//! not parse as the endpoint's Bybit envelope -> `Malformed(reason)`; the
//! timeout -> `Timeout`; anything else (refused, reset, TLS...) ->
//! `Transport(message)` with the URL and both credentials scrubbed from the
//! message.
//!
//! | module  | job |
//! |---------|-----|
//! | `wire`  | core's requests as mm-bybit wire types |
//! | `reply` | what came back as an `Outcome` |
//! | `rows`  | the private stream's items and the resync listings' rows as core's inputs |
//! | `trade` | order requests over the trade stream instead (`order_transport = "ws"`) |
//! | `listing` | the resync listings' queries and replies (rows mapped by `rows`) |

mod listing;
mod reply;
pub mod rows;
mod trade;
mod wire;

use std::time::Duration;

use mm_bybit::{BatchRequest, OpenOrdersQuery, Response, headers, paths};
use mm_core::{Category, Outcome, RequestKind, WireNames};
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::reply::Raw;
use crate::secrets::Credentials;

pub use self::reply::describe;
pub use self::trade::TradeRoute;
pub use self::wire::{verb, wire_category};

/// A public or plain GET that did not give what was asked; every text in
/// it is scrubbed of the credentials.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("http client: {0}")]
    Build(reqwest::Error),
    /// No HTTP reply: a timeout or a transport failure.
    #[error("{path}: {}", describe(.outcome))]
    NoReply { path: String, outcome: Box<Outcome> },
    #[error("{path}: HTTP {status}")]
    Status { path: String, status: u16 },
    #[error("{path}: reply does not parse: {detail}")]
    Parse { path: String, detail: String },
    #[error("{path}: retCode {ret_code} {ret_msg}")]
    Refused {
        path: String,
        ret_code: i64,
        ret_msg: String,
    },
}

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

impl Client {
    pub fn new(
        base_url: &str,
        creds: Credentials,
        recv_window_ms: u64,
        request_timeout_ms: u64,
    ) -> Result<Client, ClientError> {
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
            .map_err(ClientError::Build)?;
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

    /// Performs one core request, its symbols and orderLinkIds written by
    /// `names` (the engine's `wire_names`); never fails, every ending is an
    /// `Outcome`.
    pub async fn execute(&self, kind: &RequestKind, names: &WireNames) -> Outcome {
        let c = |c: &Category| wire_category(*c);
        let sent = match kind {
            RequestKind::PlaceBatch { category, orders } => {
                let body = BatchRequest {
                    category: c(category),
                    request: orders.iter().map(|o| wire::place(o, None, names)).collect(),
                };
                self.post(paths::CREATE_BATCH, &body)
                    .await
                    .map(reply::parse_create_batch)
            }
            RequestKind::AmendBatch { category, orders } => {
                let body = BatchRequest {
                    category: c(category),
                    request: orders.iter().map(|o| wire::amend(o, None, names)).collect(),
                };
                self.post(paths::AMEND_BATCH, &body)
                    .await
                    .map(reply::parse_batch_items)
            }
            RequestKind::CancelBatch { category, orders } => {
                let body = BatchRequest {
                    category: c(category),
                    request: orders
                        .iter()
                        .map(|o| wire::cancel(o, None, names))
                        .collect(),
                };
                self.post(paths::CANCEL_BATCH, &body)
                    .await
                    .map(reply::parse_batch_items)
            }
            RequestKind::Place { category, order } => {
                let body = wire::place(order, Some(*category), names);
                self.post(paths::CREATE, &body)
                    .await
                    .map(reply::parse_single)
            }
            RequestKind::Amend { category, order } => {
                let body = wire::amend(order, Some(*category), names);
                self.post(paths::AMEND, &body)
                    .await
                    .map(reply::parse_single)
            }
            RequestKind::Cancel { category, order } => {
                let body = wire::cancel(order, Some(*category), names);
                self.post(paths::CANCEL, &body)
                    .await
                    .map(reply::parse_single)
            }
            RequestKind::CancelAll { category, symbol } => {
                let body = mm_bybit::CancelAll {
                    category: c(category),
                    symbol: Some(names.symbol(*symbol).to_string()),
                    base_coin: None,
                    settle_coin: None,
                };
                self.post(paths::CANCEL_ALL, &body)
                    .await
                    .map(reply::parse_cancel_all)
            }
            RequestKind::OpenOrders {
                category,
                symbol,
                order_link_id,
                cursor,
                limit,
                open_only,
            } => {
                let mut q = OpenOrdersQuery::new(c(category));
                q.symbol = Some(names.symbol(*symbol).to_string());
                q.order_link_id = order_link_id.as_ref().map(|l| names.link(l));
                q.cursor.clone_from(cursor);
                q.limit = Some(*limit);
                q.open_only = open_only.then_some(1);
                self.get_signed(paths::OPEN_ORDERS, &q.to_query_string())
                    .await
                    .map(reply::parse_open_orders)
            }
            RequestKind::ExecutionList {
                category,
                symbol,
                start_time,
                cursor,
                limit,
            } => {
                let q = listing::execution_query(
                    *category,
                    names.symbol(*symbol),
                    *start_time,
                    cursor.as_deref(),
                    *limit,
                );
                self.get_signed(mm_core::Endpoint::ExecutionList.path(), &q)
                    .await
                    .map(listing::parse_executions)
            }
            RequestKind::PositionList { category, symbol } => {
                let q = listing::position_query(*category, names.symbol(*symbol));
                self.get_signed(mm_core::Endpoint::PositionList.path(), &q)
                    .await
                    .map(listing::parse_positions)
            }
        };
        let mut outcome = sent.unwrap_or_else(|failed| failed);
        reply::scrub_outcome(&mut outcome, |t| self.creds.scrub_in_place(t));
        outcome
    }

    /// `GET /v5/position/list` of `symbol`: its rows as core's positions
    /// (one-way mode: one row), or why not.
    pub async fn positions(
        &self,
        category: Category,
        symbol: &str,
    ) -> Result<Vec<mm_core::input::Position>, ClientError> {
        let path = mm_core::Endpoint::PositionList.path();
        let outcome = match self
            .get_signed(path, &listing::position_query(category, symbol))
            .await
        {
            Ok(raw) => listing::parse_positions(raw),
            Err(o) => o,
        };
        match outcome {
            Outcome::Listing(mm_core::input::Listing {
                rows: mm_core::input::ListingRows::Positions(rows),
                ..
            }) => Ok(rows),
            Outcome::Reply(r) => Err(ClientError::Refused {
                path: path.to_string(),
                ret_code: r.ret_code,
                ret_msg: self.creds.scrub(&r.ret_msg),
            }),
            Outcome::HttpStatus(status) => Err(ClientError::Status {
                path: path.to_string(),
                status,
            }),
            Outcome::Malformed(detail) => Err(ClientError::Parse {
                path: path.to_string(),
                detail: self.creds.scrub(&detail),
            }),
            other => Err(ClientError::NoReply {
                path: path.to_string(),
                outcome: Box::new(other),
            }),
        }
    }

    /// A public GET (market data): the parsed envelope, or why not.
    pub async fn get_public<T: DeserializeOwned + Default>(
        &self,
        path: &str,
        query: &str,
    ) -> Result<Response<T>, ClientError> {
        let url = format!("{}{path}?{query}", self.base);
        let raw = self.get_raw(path, self.http.get(url)).await?;
        let r: Response<T> = serde_json::from_slice(&raw.body).map_err(|e| ClientError::Parse {
            path: path.to_string(),
            detail: self.creds.scrub(&e.to_string()),
        })?;
        if !r.is_ok() {
            return Err(ClientError::Refused {
                path: path.to_string(),
                ret_code: r.ret_code,
                ret_msg: self.creds.scrub(&r.ret_msg),
            });
        }
        Ok(r)
    }

    /// An unsigned GET that is not a Bybit envelope (the simulator's
    /// `/sim/state`): the body of an HTTP 200, or why not.
    pub async fn get_plain(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        let url = format!("{}{path}", self.base);
        Ok(self.get_raw(path, self.http.get(url)).await?.body)
    }

    /// An HTTP 200's raw reply (`finish` scrubbed any failure).
    async fn get_raw(
        &self,
        path: &str,
        builder: reqwest::RequestBuilder,
    ) -> Result<Raw, ClientError> {
        let raw = self
            .finish(builder)
            .await
            .map_err(|outcome| ClientError::NoReply {
                path: path.to_string(),
                outcome: Box::new(outcome),
            })?;
        if raw.status != 200 {
            return Err(ClientError::Status {
                path: path.to_string(),
                status: raw.status,
            });
        }
        Ok(raw)
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
