//! What one request does to the simulator, under its lock: authentication, then the endpoint's
//! work (market data, the order endpoints via `request.rs` and `batch.rs`) and the reply in
//! Bybit's envelope. No I/O, no waiting.

use axum::http::HeaderMap;
use mm_bybit::{
    CancelAll, CancelAllResult, Category, OpenOrdersQuery, RetExtInfo, ServerTime, retcode,
};

use crate::auth::{AuthError, authenticate};
use crate::endpoint::Endpoint;
use crate::marketdata::{instruments, tickers};
use crate::order_call::{OrderCall, apply};
use crate::reject::{Reject, params};
use crate::reply::{Reply, fail, ok, parse_json, too_many};
use crate::request::{Ctx, body_category, charge, refuse};
use crate::shared::{Inner, Shared};
use crate::state::Counters;

/// One request as received.
pub(crate) struct Incoming<'a> {
    pub(crate) ep: Endpoint,
    pub(crate) headers: &'a HeaderMap,
    /// The raw query string, exactly as sent (what GET signatures cover).
    pub(crate) query: &'a str,
    /// The raw body (what POST signatures cover).
    pub(crate) body: &'a str,
    /// The fault sequence number if the request is fault-eligible (seeds per-item rejects).
    pub(crate) fault_seq: Option<u64>,
    pub(crate) now: u64,
}

pub(crate) fn process(shared: &Shared, inner: &mut Inner, req: &Incoming<'_>) -> Reply {
    let &Incoming {
        ep,
        headers,
        query,
        body,
        fault_seq,
        now,
    } = req;
    match ep {
        Endpoint::Time => {
            let t = ServerTime {
                time_second: (now / 1000).to_string(),
                time_nano: (u128::from(now) * 1_000_000).to_string(),
            };
            return ok(t, RetExtInfo::default(), now);
        }
        Endpoint::Tickers => return tickers(&mut inner.ex, query, now),
        Endpoint::Instruments => return instruments(&inner.ex, query, now),
        _ => {}
    }
    let get = matches!(
        ep,
        Endpoint::OpenOrders | Endpoint::Positions | Endpoint::Executions
    );
    let payload = if get { query } else { body };
    let account = match authenticate(&shared.cfg.accounts, headers, payload, now) {
        Ok(a) => a,
        Err(e) => {
            inner.counters.auth_failures += 1;
            return match e {
                AuthError::Http(status, msg) => {
                    let r = Reject {
                        code: retcode::INVALID_API_KEY,
                        msg: msg.into(),
                    };
                    Reply {
                        status,
                        ..fail(&r, now)
                    }
                }
                AuthError::Code(code, msg) => fail(&Reject { code, msg }, now),
            };
        }
    };
    let cx = Ctx {
        shared,
        ep,
        tally: ep.path(),
        account,
        fault_seq,
        now,
    };
    let path = ep.path();
    if let Some(call) = OrderCall::parse(ep, body) {
        let out = match call {
            Ok(call) => apply(&cx, inner, &call),
            Err(r) => refuse(&cx, inner, body_category(body), &r),
        };
        return out.reply(now);
    }
    match ep {
        Endpoint::OpenOrders => {
            let (granted, rate) = charge(&cx, inner, Category::Linear, 1, false);
            let reply = if granted == 0 {
                fail(&too_many(), now)
            } else {
                match OpenOrdersQuery::from_query_string(query)
                    .map_err(params)
                    .and_then(|q| inner.ex.realtime(account, &q))
                {
                    Ok(r) => ok(r, RetExtInfo::default(), now),
                    Err(r) => fail(&r, now),
                }
            };
            Reply { rate, ..reply }
        }
        Endpoint::Positions | Endpoint::Executions => {
            let (granted, rate) = charge(&cx, inner, Category::Linear, 1, false);
            let reply = if granted == 0 {
                fail(&too_many(), now)
            } else {
                let listed = if ep == Endpoint::Positions {
                    inner.ex.position_list(account, query, now)
                } else {
                    inner.ex.execution_list(account, query)
                };
                match listed {
                    Ok(r) => ok(r, RetExtInfo::default(), now),
                    Err(r) => fail(&r, now),
                }
            };
            Reply { rate, ..reply }
        }
        Endpoint::CancelAll => {
            let c: CancelAll = match parse_json(body) {
                Ok(c) => c,
                Err(r) => return refuse(&cx, inner, body_category(body), &r).reply(now),
            };
            let (granted, rate) = charge(&cx, inner, c.category, 1, false);
            let reply = if granted == 0 {
                fail(&too_many(), now)
            } else {
                match inner.ex.cancel_all(account, &c, now) {
                    Ok(list) => {
                        Counters::bump(&mut inner.counters.orders_by_path, path, list.len() as u64);
                        ok(
                            CancelAllResult {
                                list,
                                success: "1".into(),
                            },
                            RetExtInfo::default(),
                            now,
                        )
                    }
                    Err(r) => fail(&r, now),
                }
            };
            Reply { rate, ..reply }
        }
        Endpoint::Create
        | Endpoint::Amend
        | Endpoint::Cancel
        | Endpoint::CreateBatch
        | Endpoint::AmendBatch
        | Endpoint::CancelBatch
        | Endpoint::Tickers
        | Endpoint::Instruments
        | Endpoint::Time => fail(&params("unreachable"), now),
    }
}
