//! The six order operations (create, amend, cancel and their batch forms) as one typed call,
//! and the one function that applies them: REST (`dispatch`) and the trade stream
//! (`ws_trade`) both parse into an [`OrderCall`] and call [`apply`], so they give the same
//! per-order results, retCodes and rate charges.

use mm_bybit::ws::trade::{
    OP_AMEND, OP_AMEND_BATCH, OP_CANCEL, OP_CANCEL_BATCH, OP_CREATE, OP_CREATE_BATCH, TradeCall,
    TradeHeader, TradeRequest,
};
use mm_bybit::{AmendOrder, BatchCreateItem, BatchRequest, CancelOrder, OrderAck, PlaceOrder};

use crate::batch::{batch, item};
use crate::endpoint::Endpoint;
use crate::reject::Reject;
use crate::reply::{OrderResult, Outcome, parse_json};
use crate::request::{Ctx, single};
use crate::shared::Inner;

/// One order request, whichever transport carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrderCall {
    Create(PlaceOrder),
    Amend(AmendOrder),
    Cancel(CancelOrder),
    CreateBatch(BatchRequest<PlaceOrder>),
    AmendBatch(BatchRequest<AmendOrder>),
    CancelBatch(BatchRequest<CancelOrder>),
}

impl OrderCall {
    /// The REST body of an order endpoint; `None` for the other endpoints.
    pub(crate) fn parse(ep: Endpoint, body: &str) -> Option<Result<Self, Reject>> {
        Some(match ep {
            Endpoint::Create => parse_json(body).map(Self::Create),
            Endpoint::Amend => parse_json(body).map(Self::Amend),
            Endpoint::Cancel => parse_json(body).map(Self::Cancel),
            Endpoint::CreateBatch => parse_json(body).map(Self::CreateBatch),
            Endpoint::AmendBatch => parse_json(body).map(Self::AmendBatch),
            Endpoint::CancelBatch => parse_json(body).map(Self::CancelBatch),
            _ => return None,
        })
    }

    /// A trade-stream request as an order call with its `reqId` and `header`; `None` for
    /// `auth` and `ping`.
    pub(crate) fn from_trade(call: TradeCall) -> Option<TradeOrder> {
        fn parts<A>(r: TradeRequest<A>, f: fn(A) -> OrderCall) -> Option<TradeOrder> {
            let TradeRequest {
                req_id,
                header,
                mut args,
                ..
            } = r;
            // `TradeCall::parse` already holds every order op to exactly one argument.
            let call = f(args.pop()?);
            Some(TradeOrder {
                call,
                req_id,
                header,
            })
        }
        match call {
            TradeCall::Auth(_) | TradeCall::Ping(_) => None,
            TradeCall::Create(r) => parts(r, Self::Create),
            TradeCall::Amend(r) => parts(r, Self::Amend),
            TradeCall::Cancel(r) => parts(r, Self::Cancel),
            TradeCall::CreateBatch(r) => parts(r, Self::CreateBatch),
            TradeCall::AmendBatch(r) => parts(r, Self::AmendBatch),
            TradeCall::CancelBatch(r) => parts(r, Self::CancelBatch),
        }
    }

    /// The REST endpoint of this operation (its rules and rate counters).
    pub(crate) fn endpoint(&self) -> Endpoint {
        match self {
            Self::Create(_) => Endpoint::Create,
            Self::Amend(_) => Endpoint::Amend,
            Self::Cancel(_) => Endpoint::Cancel,
            Self::CreateBatch(_) => Endpoint::CreateBatch,
            Self::AmendBatch(_) => Endpoint::AmendBatch,
            Self::CancelBatch(_) => Endpoint::CancelBatch,
        }
    }

    /// Its op name on the trade stream.
    pub(crate) fn op(&self) -> &'static str {
        match self {
            Self::Create(_) => OP_CREATE,
            Self::Amend(_) => OP_AMEND,
            Self::Cancel(_) => OP_CANCEL,
            Self::CreateBatch(_) => OP_CREATE_BATCH,
            Self::AmendBatch(_) => OP_AMEND_BATCH,
            Self::CancelBatch(_) => OP_CANCEL_BATCH,
        }
    }
}

/// An order call that came over the trade stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TradeOrder {
    pub(crate) call: OrderCall,
    pub(crate) req_id: Option<String>,
    pub(crate) header: TradeHeader,
}

/// Applies one order request of `cx.account` (`cx.ep` must be its endpoint).
pub(crate) fn apply(cx: &Ctx<'_>, inner: &mut Inner, call: &OrderCall) -> Outcome {
    let (account, now) = (cx.account, cx.now);
    match call {
        OrderCall::Create(p) => single(cx, inner, p, p.category, |ex, cat, p, forced| {
            ex.place(account, cat, p, forced, now).map(|x| OrderAck {
                order_id: x.order_id,
                order_link_id: x.order_link_id,
            })
        }),
        OrderCall::Amend(a) => single(cx, inner, a, a.category, |ex, cat, a, forced| {
            ex.amend(account, cat, a, forced, now)
        }),
        OrderCall::Cancel(c) => single(cx, inner, c, c.category, |ex, cat, c, _| {
            ex.cancel(account, cat, c, now)
        }),
        OrderCall::CreateBatch(b) => batch(
            cx,
            inner,
            b,
            OrderResult::Created,
            |ex, cat, p: &PlaceOrder, forced| {
                let link = p.order_link_id.clone().unwrap_or_default();
                let base = BatchCreateItem {
                    category: cat.as_str().into(),
                    symbol: p.symbol.clone(),
                    order_link_id: link,
                    ..Default::default()
                };
                match ex.place(account, cat, p, forced, now) {
                    Ok(x) => (
                        BatchCreateItem {
                            order_id: x.order_id,
                            order_link_id: x.order_link_id,
                            create_at: x.created_ms.to_string(),
                            ..base
                        },
                        None,
                    ),
                    Err(r) => (base, Some(r)),
                }
            },
        ),
        OrderCall::AmendBatch(b) => batch(
            cx,
            inner,
            b,
            OrderResult::Items,
            |ex, cat, a: &AmendOrder, forced| {
                let r = ex.amend(account, cat, a, forced, now);
                item(cat, &a.symbol, a.order_link_id.as_deref(), r)
            },
        ),
        OrderCall::CancelBatch(b) => batch(
            cx,
            inner,
            b,
            OrderResult::Items,
            |ex, cat, c: &CancelOrder, _| {
                let r = ex.cancel(account, cat, c, now);
                item(cat, &c.symbol, c.order_link_id.as_deref(), r)
            },
        ),
    }
}
