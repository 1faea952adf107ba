//! What one request does to the simulator, under its lock: authentication, rate limit, body
//! parsing, the engine call, and the reply in Bybit's envelope. No I/O, no waiting.

use axum::http::{HeaderMap, Method};
use mm_bybit::{
    AmendOrder, BatchCreateItem, CancelAll, CancelAllResult, CancelOrder, Category,
    OpenOrdersQuery, OrderAck, PlaceOrder, RateLimitStatus, RetExtInfo, ServerTime, paths, retcode,
};
use serde::de::DeserializeOwned;

use crate::auth::{AuthError, authenticate};
use crate::batch::{batch, item};
use crate::engine::{Exchange, Reject, params};
use crate::marketdata::{instruments, tickers};
use crate::reply::{Reply, fail, ok, parse_json, too_many};
use crate::server::{Inner, Shared};

/// The endpoints served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Create,
    Amend,
    Cancel,
    CreateBatch,
    AmendBatch,
    CancelBatch,
    CancelAll,
    OpenOrders,
    Tickers,
    Instruments,
    Time,
}

impl Endpoint {
    pub(crate) fn route(method: &Method, path: &str) -> Option<Self> {
        let post = *method == Method::POST;
        let get = *method == Method::GET;
        Some(match path {
            paths::CREATE if post => Self::Create,
            paths::AMEND if post => Self::Amend,
            paths::CANCEL if post => Self::Cancel,
            paths::CREATE_BATCH if post => Self::CreateBatch,
            paths::AMEND_BATCH if post => Self::AmendBatch,
            paths::CANCEL_BATCH if post => Self::CancelBatch,
            paths::CANCEL_ALL if post => Self::CancelAll,
            paths::OPEN_ORDERS if get => Self::OpenOrders,
            paths::TICKERS if get => Self::Tickers,
            paths::INSTRUMENTS if get => Self::Instruments,
            paths::TIME if get => Self::Time,
            _ => return None,
        })
    }

    /// Order-entry endpoints are the ones faults apply to by default.
    pub(crate) fn order_entry(self) -> bool {
        !matches!(
            self,
            Self::OpenOrders | Self::Tickers | Self::Instruments | Self::Time
        )
    }

    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Create => paths::CREATE,
            Self::Amend => paths::AMEND,
            Self::Cancel => paths::CANCEL,
            Self::CreateBatch => paths::CREATE_BATCH,
            Self::AmendBatch => paths::AMEND_BATCH,
            Self::CancelBatch => paths::CANCEL_BATCH,
            Self::CancelAll => paths::CANCEL_ALL,
            Self::OpenOrders => paths::OPEN_ORDERS,
            Self::Tickers => paths::TICKERS,
            Self::Instruments => paths::INSTRUMENTS,
            Self::Time => paths::TIME,
        }
    }
}

/// Per-request context for the private endpoints.
pub(crate) struct Ctx<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) ep: Endpoint,
    pub(crate) account: usize,
    /// The fault sequence number if this request is fault-eligible (for per-item rejects).
    pub(crate) fault_seq: Option<u64>,
    pub(crate) now: u64,
}

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
    let payload = if ep == Endpoint::OpenOrders {
        query
    } else {
        body
    };
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
                        crate::state::Counters::bump(
                            &mut inner.counters.orders_by_path,
                            path,
                            list.len() as u64,
                        );
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

/// Spends rate-limit units for this request; `(granted, status)`. Unlimited endpoints grant
/// everything and report no status (no headers).
pub(crate) fn charge(
    cx: &Ctx<'_>,
    inner: &mut Inner,
    cat: Category,
    want: u32,
    partial: bool,
) -> (u32, Option<RateLimitStatus>) {
    let path = cx.ep.path();
    match cx.shared.limits.uid_limit(path, cat) {
        None => (want, None),
        Some((line, limit)) => {
            let (granted, st) = inner.uid.take(
                (cx.account, path, line),
                cx.shared.limits.uid_window_ms,
                limit,
                want,
                partial,
                cx.now,
            );
            if granted == 0 {
                inner.counters.rate_limit_rejections += 1;
            }
            (granted, Some(st))
        }
    }
}

/// The reply to an authenticated request refused before it reached the engine (body does not
/// parse, category missing, batch size outside the limit). It still counts against the UID
/// limit, one unit like any refused request, and carries the headers; with nothing left it
/// is 10006 instead (the limiter comes first). The line is the body's `category` if it has a
/// valid one, else derivatives (UNCONFIRMED: which counter Bybit charges then is unknown).
pub(crate) fn refuse(cx: &Ctx<'_>, inner: &mut Inner, body: &str, why: &Reject) -> Reply {
    let cat = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("category")?.as_str().and_then(Category::parse))
        .unwrap_or(Category::Linear);
    let (granted, rate) = charge(cx, inner, cat, 1, false);
    let reply = if granted == 0 {
        fail(&too_many(), cx.now)
    } else {
        fail(why, cx.now)
    };
    Reply { rate, ..reply }
}

/// The injected reject for item `index` (cancels are never rejected this way).
pub(crate) fn forced(cx: &Ctx<'_>, index: usize) -> Option<i64> {
    let seq = cx.fault_seq?;
    let amend = matches!(cx.ep, Endpoint::Amend | Endpoint::AmendBatch);
    if matches!(cx.ep, Endpoint::Cancel | Endpoint::CancelBatch) {
        return None;
    }
    cx.shared
        .cfg
        .faults
        .reject(cx.shared.cfg.seed, seq, index, amend)
}

/// Counts an injected reject once it actually decided the outcome (an item that failed
/// validation first was not rejected by the fault).
pub(crate) fn count_forced(inner: &mut Inner, forced: Option<i64>, err: Option<&Reject>) {
    if forced.is_some() && err.map(|e| e.code) == forced {
        crate::state::Counters::bump(&mut inner.counters.faults_injected, "reject", 1);
    }
}

pub(crate) fn single<T: DeserializeOwned>(
    cx: &Ctx<'_>,
    inner: &mut Inner,
    body: &str,
    category_of: impl Fn(&T) -> Option<Category>,
    exec: impl FnOnce(&mut Exchange, Category, &T, Option<i64>) -> Result<OrderAck, Reject>,
) -> Reply {
    let req: T = match parse_json(body) {
        Ok(r) => r,
        Err(r) => return refuse(cx, inner, body, &r),
    };
    let Some(cat) = category_of(&req) else {
        return refuse(cx, inner, body, &params("category is required"));
    };
    crate::state::Counters::bump(&mut inner.counters.orders_by_path, cx.ep.path(), 1);
    let (granted, rate) = charge(cx, inner, cat, 1, false);
    let reply = if granted == 0 {
        fail(&too_many(), cx.now)
    } else {
        let f = forced(cx, 0);
        let res = exec(&mut inner.ex, cat, &req, f);
        count_forced(inner, f, res.as_ref().err());
        match res {
            Ok(ack) => ok(ack, RetExtInfo::default(), cx.now),
            Err(r) => fail(&r, cx.now),
        }
    };
    Reply { rate, ..reply }
}
