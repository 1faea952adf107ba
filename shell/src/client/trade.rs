//! Core's order requests over Bybit's trade stream (`exchange.order_transport
//! = "ws"`): create, amend, cancel and their batch forms go as `/v5/trade`
//! ops on one authenticated connection (`stream::TradeClient`); everything
//! else (open-orders queries, cancel-all) stays on REST.
//!
//! A reply becomes the same `Outcome::Reply` as the REST reply of the same
//! request (`reply::from_response`: codes, acks, per-item codes, rate limit
//! from the reply's `header`), so core decides the same. A request that got
//! no reply is a transport failure, as over REST: `Timeout` when the reply
//! did not come in time, `Transport` when the connection was lost with it in
//! flight (it may have been applied: core settles it by asking) or was down
//! and it never left (nothing applied; core settles it the same safe way).
//! A reply to another op than the one sent is `Malformed`.
//!
//! `submit` hands the request to the connection and returns: its outcome is
//! made on the connection's task, which calls the caller's function with it
//! (no task per request waiting in between).

use mm_bybit::ws::trade::{TradeHeader, TradeMessage, TradeReply, TradeRequest};
use mm_bybit::{BatchRequest, Response};
use std::sync::Arc;

use mm_core::{Outcome, Reply, RequestId, RequestKind, WireNames};
use serde::Serialize;

use super::reply::{self, core_rate_limit, from_response};
use super::wire::{self, wire_category};
use crate::secrets::Credentials;
use crate::stream::{Hold, TradeClient, TradeError};

/// Sends core's order requests over a trade connection.
#[derive(Debug)]
pub struct TradeRoute {
    trade: TradeClient,
    creds: Arc<Credentials>,
    recv_window_ms: u64,
}

impl TradeRoute {
    pub fn new(trade: TradeClient, creds: Credentials, recv_window_ms: u64) -> TradeRoute {
        TradeRoute {
            trade,
            creds: Arc::new(creds),
            recv_window_ms,
        }
    }

    /// The connection, to wait for it or watch it.
    pub fn client(&self) -> &TradeClient {
        &self.trade
    }

    /// Requests submitted while the `Hold` lives go out together when it
    /// ends (`TradeClient::hold`).
    pub fn hold(&self) -> Hold<'_> {
        self.trade.hold()
    }

    /// Whether `kind` goes over the trade stream (an order op) or REST.
    pub fn carries(kind: &RequestKind) -> bool {
        !matches!(
            kind,
            RequestKind::CancelAll { .. }
                | RequestKind::OpenOrders { .. }
                | RequestKind::ExecutionList { .. }
                | RequestKind::PositionList { .. }
        )
    }

    /// Performs order request `id` and waits for its outcome (every ending
    /// is one); `None` for a request this route does not carry.
    pub async fn execute(
        &self,
        id: RequestId,
        kind: &RequestKind,
        names: &WireNames,
    ) -> Option<Outcome> {
        if !Self::carries(kind) {
            return None;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(id, kind, names, move |outcome| {
            let _ = tx.send(outcome);
        });
        Some(rx.await.unwrap_or_else(|_| failure(&TradeError::Stopped)))
    }

    /// Sends order request `id` (one that `carries`); `done` gets its one
    /// `Outcome` (every ending is one), on the connection's task. A request
    /// this route does not carry is not sent: `done` gets a transport
    /// failure at once (nothing was applied).
    pub fn submit(
        &self,
        id: RequestId,
        kind: &RequestKind,
        names: &WireNames,
        done: impl FnOnce(Outcome) + Send + 'static,
    ) {
        let req_id = format!("mm-{}", id.0);
        let header = TradeHeader::new(crate::now_ms(), self.recv_window_ms);
        let c = |c: &mm_core::Category| wire_category(*c);
        match kind {
            RequestKind::PlaceBatch { category, orders } => {
                let batch = BatchRequest {
                    category: c(category),
                    request: orders.iter().map(|o| wire::place(o, None, names)).collect(),
                };
                let req = TradeRequest::create_batch(req_id, header, batch);
                self.send(&req, create_batch_items, done);
            }
            RequestKind::AmendBatch { category, orders } => {
                let batch = BatchRequest {
                    category: c(category),
                    request: orders.iter().map(|o| wire::amend(o, None, names)).collect(),
                };
                let req = TradeRequest::amend_batch(req_id, header, batch);
                self.send(&req, batch_items, done);
            }
            RequestKind::CancelBatch { category, orders } => {
                let batch = BatchRequest {
                    category: c(category),
                    request: orders
                        .iter()
                        .map(|o| wire::cancel(o, None, names))
                        .collect(),
                };
                let req = TradeRequest::cancel_batch(req_id, header, batch);
                self.send(&req, batch_items, done);
            }
            RequestKind::Place { category, order } => {
                let req = TradeRequest::create(
                    req_id,
                    header,
                    wire::place(order, Some(*category), names),
                );
                self.send(&req, single, done);
            }
            RequestKind::Amend { category, order } => {
                let req =
                    TradeRequest::amend(req_id, header, wire::amend(order, Some(*category), names));
                self.send(&req, single, done);
            }
            RequestKind::Cancel { category, order } => {
                let body = wire::cancel(order, Some(*category), names);
                let req = TradeRequest::cancel(req_id, header, body);
                self.send(&req, single, done);
            }
            RequestKind::CancelAll { .. }
            | RequestKind::OpenOrders { .. }
            | RequestKind::ExecutionList { .. }
            | RequestKind::PositionList { .. } => done(Outcome::Transport(format!(
                "trade stream: {} is not an order op (not sent)",
                kind.endpoint().path()
            ))),
        }
    }

    /// Sends `req`; `read` turns the reply of the expected op into an
    /// outcome (`None`: not the shape of that op's reply), scrubbed of the
    /// credentials, for `done`.
    fn send<A: Serialize>(
        &self,
        req: &TradeRequest<A>,
        read: fn(TradeMessage) -> Option<Outcome>,
        done: impl FnOnce(Outcome) + Send + 'static,
    ) {
        let op = req.op.clone();
        let creds = Arc::clone(&self.creds);
        self.trade.submit(req, move |answer| {
            let mut outcome = match answer {
                Ok(message) => read_reply(&op, message, read),
                Err(e) => failure(&e),
            };
            reply::scrub_outcome(&mut outcome, |t| creds.scrub_in_place(t));
            done(outcome);
        });
    }
}

/// The outcome of `message`, the reply to an `op` request.
fn read_reply(
    op: &str,
    message: TradeMessage,
    read: fn(TradeMessage) -> Option<Outcome>,
) -> Outcome {
    if op_of(&message) != Some(op) {
        return Outcome::Malformed(format!(
            "trade stream: a reply of another kind to {op}: {}",
            message.to_json()
        ));
    }
    read(message).unwrap_or_else(|| {
        Outcome::Malformed(format!(
            "trade stream: the reply to {op} is not that op's reply"
        ))
    })
}

/// The op an order reply answers.
fn op_of(m: &TradeMessage) -> Option<&str> {
    match m {
        TradeMessage::Order(r) => Some(&r.op),
        TradeMessage::CreateBatch(r) => Some(&r.op),
        TradeMessage::Batch(r) => Some(&r.op),
        _ => None,
    }
}

/// A request without a reply, as REST would tell core about it.
fn failure(e: &TradeError) -> Outcome {
    match e {
        TradeError::Timeout(_) => Outcome::Timeout,
        other => Outcome::Transport(format!("trade stream: {other}")),
    }
}

fn outcome<T: Default>(r: TradeReply<T>, fill: impl FnOnce(T, &mut Reply)) -> Outcome {
    let rate = r
        .header
        .as_ref()
        .and_then(|h| h.rate_limit())
        .map(core_rate_limit);
    let response: Response<T> = r.into_response();
    from_response(response, rate, fill)
}

fn create_batch_items(m: TradeMessage) -> Option<Outcome> {
    match m {
        TradeMessage::CreateBatch(r) => Some(outcome(r, reply::fill_create_batch)),
        _ => None,
    }
}

fn batch_items(m: TradeMessage) -> Option<Outcome> {
    match m {
        TradeMessage::Batch(r) => Some(outcome(r, reply::fill_batch_items)),
        _ => None,
    }
}

fn single(m: TradeMessage) -> Option<Outcome> {
    match m {
        TradeMessage::Order(r) => Some(outcome(r, reply::fill_single)),
        _ => None,
    }
}
