//! What one request does to the simulator, under its lock: authentication, then the endpoint's
//! work (market data, the order endpoints via `request.rs` and `batch.rs`) and the reply in
//! Bybit's envelope. No I/O, no waiting.

use axum::http::HeaderMap;
use mm_bybit::{
    AmendOrder, BatchCreateItem, CancelAll, CancelAllResult, CancelOrder, Category,
    OpenOrdersQuery, OrderAck, PlaceOrder, RetExtInfo, ServerTime, retcode,
};

use crate::auth::{AuthError, authenticate};
use crate::batch::{batch, item};
use crate::endpoint::Endpoint;
use crate::marketdata::{instruments, tickers};
use crate::reject::{Reject, params};
use crate::reply::{Reply, fail, ok, parse_json, too_many};
use crate::request::{Ctx, charge, refuse, single};
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
        account,
        fault_seq,
        now,
    };
    let path = ep.path();
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
        Endpoint::Create => single(
            &cx,
            inner,
            body,
            |p: &PlaceOrder| p.category,
            |ex, cat, p, forced| {
                ex.place(account, cat, p, forced, now).map(|x| OrderAck {
                    order_id: x.order_id,
                    order_link_id: x.order_link_id,
                })
            },
        ),
        Endpoint::Amend => single(
            &cx,
            inner,
            body,
            |a: &AmendOrder| a.category,
            |ex, cat, a, forced| ex.amend(account, cat, a, forced, now),
        ),
        Endpoint::Cancel => single(
            &cx,
            inner,
            body,
            |c: &CancelOrder| c.category,
            |ex, cat, c, _| ex.cancel(account, cat, c, now),
        ),
        Endpoint::CancelAll => {
            let c: CancelAll = match parse_json(body) {
                Ok(c) => c,
                Err(r) => return refuse(&cx, inner, body, &r),
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
        Endpoint::CreateBatch => batch(&cx, inner, body, |ex, cat, p: &PlaceOrder, forced| {
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
        }),
        Endpoint::AmendBatch => batch(&cx, inner, body, |ex, cat, a: &AmendOrder, forced| {
            item(
                cat,
                &a.symbol,
                a.order_link_id.as_deref(),
                ex.amend(account, cat, a, forced, now),
            )
        }),
        Endpoint::CancelBatch => batch(&cx, inner, body, |ex, cat, c: &CancelOrder, _| {
            item(
                cat,
                &c.symbol,
                c.order_link_id.as_deref(),
                ex.cancel(account, cat, c, now),
            )
        }),
        Endpoint::Tickers | Endpoint::Instruments | Endpoint::Time => {
            fail(&params("unreachable"), now)
        }
    }
}
