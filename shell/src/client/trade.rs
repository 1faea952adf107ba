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

use mm_bybit::ws::trade::{TradeHeader, TradeMessage, TradeReply, TradeRequest};
use mm_bybit::{BatchRequest, Response};
use mm_core::{Outcome, Reply, RequestId, RequestKind, WireNames};
use serde::Serialize;

use super::reply::{self, core_rate_limit, from_response};
use super::wire::{self, wire_category};
use crate::secrets::Credentials;
use crate::stream::{TradeClient, TradeError};

/// Sends core's order requests over a trade connection.
#[derive(Debug)]
pub struct TradeRoute {
    trade: TradeClient,
    creds: Credentials,
    recv_window_ms: u64,
}

impl TradeRoute {
    pub fn new(trade: TradeClient, creds: Credentials, recv_window_ms: u64) -> TradeRoute {
        TradeRoute {
            trade,
            creds,
            recv_window_ms,
        }
    }

    /// The connection, to wait for it or watch it.
    pub fn client(&self) -> &TradeClient {
        &self.trade
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

    /// Performs order request `id` (one that `carries`); every ending is an
    /// `Outcome`. `None` for a request this route does not carry.
    pub async fn execute(
        &self,
        id: RequestId,
        kind: &RequestKind,
        names: &WireNames,
    ) -> Option<Outcome> {
        let req_id = format!("mm-{}", id.0);
        let header = TradeHeader::new(crate::now_ms(), self.recv_window_ms);
        let c = |c: &mm_core::Category| wire_category(*c);
        let mut outcome = match kind {
            RequestKind::PlaceBatch { category, orders } => {
                let batch = BatchRequest {
                    category: c(category),
                    request: orders.iter().map(|o| wire::place(o, None, names)).collect(),
                };
                let req = TradeRequest::create_batch(req_id, header, batch);
                self.send(&req, |m| match m {
                    TradeMessage::CreateBatch(r) => Some(outcome(r, reply::fill_create_batch)),
                    _ => None,
                })
                .await
            }
            RequestKind::AmendBatch { category, orders } => {
                let batch = BatchRequest {
                    category: c(category),
                    request: orders.iter().map(|o| wire::amend(o, None, names)).collect(),
                };
                let req = TradeRequest::amend_batch(req_id, header, batch);
                self.send(&req, batch_items).await
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
                self.send(&req, batch_items).await
            }
            RequestKind::Place { category, order } => {
                let req = TradeRequest::create(
                    req_id,
                    header,
                    wire::place(order, Some(*category), names),
                );
                self.send(&req, single).await
            }
            RequestKind::Amend { category, order } => {
                let req =
                    TradeRequest::amend(req_id, header, wire::amend(order, Some(*category), names));
                self.send(&req, single).await
            }
            RequestKind::Cancel { category, order } => {
                let body = wire::cancel(order, Some(*category), names);
                let req = TradeRequest::cancel(req_id, header, body);
                self.send(&req, single).await
            }
            RequestKind::CancelAll { .. }
            | RequestKind::OpenOrders { .. }
            | RequestKind::ExecutionList { .. }
            | RequestKind::PositionList { .. } => return None,
        };
        reply::scrub_outcome(&mut outcome, |t| self.creds.scrub_in_place(t));
        Some(outcome)
    }

    /// Sends `req`; `read` turns the reply of the expected op into an
    /// outcome (`None`: not the shape of that op's reply).
    async fn send<A: Serialize>(
        &self,
        req: &TradeRequest<A>,
        read: impl FnOnce(TradeMessage) -> Option<Outcome>,
    ) -> Outcome {
        match self.trade.send(req).await {
            Ok(message) if op_of(&message) != Some(req.op.as_str()) => Outcome::Malformed(format!(
                "trade stream: a reply of another kind to {}: {}",
                req.op,
                message.to_json()
            )),
            Ok(message) => read(message).unwrap_or_else(|| {
                Outcome::Malformed(format!(
                    "trade stream: the reply to {} is not that op's reply",
                    req.op
                ))
            }),
            Err(e) => failure(&e),
        }
    }
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
