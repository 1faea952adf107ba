//! Replies in Bybit's envelope.

use axum::http::StatusCode;
use mm_bybit::{RateLimitStatus, Response, RetExtInfo, retcode};
use serde::Serialize;
use serde::de::DeserializeOwned;

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
