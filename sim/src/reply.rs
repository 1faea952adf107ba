//! Replies in Bybit's envelope, and the outcome of an order request before it is put in one
//! (REST's `result` or the trade stream's `data`).

use axum::http::StatusCode;
use mm_bybit::{
    BatchCreateItem, BatchItem, ListResult, OrderAck, RateLimitStatus, Response, RetExtInfo,
    retcode,
};
use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::reject::{Reject, params};

/// A reply ready to send.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) rate: Option<RateLimitStatus>,
    pub(crate) body: String,
}

pub(crate) fn envelope<T: Serialize>(
    code: i64,
    msg: &str,
    result: T,
    ext: RetExtInfo,
    now: u64,
) -> String {
    let r = Response {
        ret_code: code,
        ret_msg: msg.to_string(),
        result,
        ret_ext_info: ext,
        time: now,
    };
    serde_json::to_string(&r).unwrap_or_else(|e| format!("serialization failed: {e}"))
}

pub(crate) fn ok<T: Serialize>(result: T, ext: RetExtInfo, now: u64) -> Reply {
    Reply {
        status: StatusCode::OK,
        rate: None,
        body: envelope(0, "OK", result, ext, now),
    }
}

pub(crate) fn fail(r: &Reject, now: u64) -> Reply {
    let body = envelope(
        r.code,
        &r.msg,
        serde_json::json!({}),
        RetExtInfo::default(),
        now,
    );
    Reply {
        status: StatusCode::OK,
        rate: None,
        body,
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(body: &str) -> Result<T, Reject> {
    serde_json::from_str(body).map_err(params)
}

pub(crate) fn too_many() -> Reject {
    Reject {
        code: retcode::TOO_MANY_VISITS,
        msg: retcode::TOO_MANY_VISITS_MSG.into(),
    }
}

/// The result of an order request: what REST sends as `result` and the trade stream as
/// `data`. A failure's is `{}`, as Bybit sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrderResult {
    /// A single create, amend or cancel.
    Ack(OrderAck),
    /// A create-batch.
    Created(ListResult<BatchCreateItem>),
    /// An amend-batch or cancel-batch.
    Items(ListResult<BatchItem>),
    /// `{}`.
    Empty,
}

impl Serialize for OrderResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OrderResult::Ack(a) => a.serialize(s),
            OrderResult::Created(l) => l.serialize(s),
            OrderResult::Items(l) => l.serialize(s),
            OrderResult::Empty => s.serialize_map(Some(0))?.end(),
        }
    }
}

/// What an order request came to, whichever transport carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) code: i64,
    pub(crate) msg: String,
    pub(crate) result: OrderResult,
    pub(crate) ext: RetExtInfo,
    /// The rate-limit state after it (`None`: not charged, or an unlimited endpoint).
    pub(crate) rate: Option<RateLimitStatus>,
}

impl Outcome {
    pub(crate) fn ok(result: OrderResult, ext: RetExtInfo) -> Self {
        Self {
            code: retcode::OK,
            msg: "OK".into(),
            result,
            ext,
            rate: None,
        }
    }

    pub(crate) fn fail(r: &Reject) -> Self {
        Self {
            code: r.code,
            msg: r.msg.clone(),
            result: OrderResult::Empty,
            ext: RetExtInfo::default(),
            rate: None,
        }
    }

    /// The same outcome with this rate-limit state.
    pub(crate) fn rated(self, rate: Option<RateLimitStatus>) -> Self {
        Self { rate, ..self }
    }

    /// The REST reply.
    pub(crate) fn reply(self, now: u64) -> Reply {
        Reply {
            status: StatusCode::OK,
            rate: self.rate,
            body: envelope(self.code, &self.msg, self.result, self.ext, now),
        }
    }
}
