//! What one request does to the simulator, under its lock: authentication, rate limit, body
//! parsing, the engine call, and the reply in Bybit's envelope. No I/O, no waiting.

use axum::http::{HeaderMap, Method, StatusCode};
use mm_bybit::{
    AmendOrder, BatchCreateItem, BatchItem, BatchRequest, CancelAll, CancelAllResult, CancelOrder,
    Category, InstrumentsResult, ItemStatus, ListResult, MarketQuery, OpenOrdersQuery, OrderAck,
    PlaceOrder, RateLimitStatus, Response, RetExtInfo, ServerTime, TickersResult, paths, retcode,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::{AuthError, authenticate};
use crate::engine::{Exchange, Reject, params};
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

    fn path(self) -> &'static str {
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

/// A reply ready to send.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) rate: Option<RateLimitStatus>,
    pub(crate) body: String,
}

fn envelope<T: Serialize>(code: i64, msg: &str, result: T, ext: RetExtInfo, now: u64) -> String {
    let r = Response {
        ret_code: code,
        ret_msg: msg.to_string(),
        result,
        ret_ext_info: ext,
        time: now,
    };
    serde_json::to_string(&r).unwrap_or_else(|e| format!("serialization failed: {e}"))
}

fn ok<T: Serialize>(result: T, ext: RetExtInfo, now: u64) -> Reply {
    Reply {
        status: StatusCode::OK,
        rate: None,
        body: envelope(0, "OK", result, ext, now),
    }
}

fn fail(r: &Reject, now: u64) -> Reply {
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

fn parse_json<T: DeserializeOwned>(body: &str) -> Result<T, Reject> {
    serde_json::from_str(body).map_err(params)
}

fn too_many() -> Reject {
    Reject {
        code: retcode::TOO_MANY_VISITS,
        msg: retcode::TOO_MANY_VISITS_MSG.into(),
    }
}

/// Per-request context for the private endpoints.
struct Ctx<'a> {
    shared: &'a Shared,
    ep: Endpoint,
    account: usize,
    /// The fault sequence number if this request is fault-eligible (for per-item rejects).
    fault_seq: Option<u64>,
    now: u64,
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
                Err(r) => return fail(&r, now),
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

fn item(
    cat: Category,
    symbol: &str,
    link: Option<&str>,
    r: Result<OrderAck, Reject>,
) -> (BatchItem, Option<Reject>) {
    let base = BatchItem {
        category: cat.as_str().into(),
        symbol: symbol.into(),
        order_id: String::new(),
        order_link_id: link.unwrap_or("").into(),
    };
    match r {
        Ok(a) => (
            BatchItem {
                order_id: a.order_id,
                order_link_id: a.order_link_id,
                ..base
            },
            None,
        ),
        Err(r) => (base, Some(r)),
    }
}

/// Spends rate-limit units for this request; `(granted, status)`. Unlimited endpoints grant
/// everything and report no status (no headers).
fn charge(
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

/// The injected reject for item `index`, counted.
fn forced(cx: &Ctx<'_>, inner: &mut Inner, index: usize) -> Option<i64> {
    let seq = cx.fault_seq?;
    let amend = matches!(cx.ep, Endpoint::Amend | Endpoint::AmendBatch);
    if matches!(cx.ep, Endpoint::Cancel | Endpoint::CancelBatch) {
        return None;
    }
    let code = cx
        .shared
        .cfg
        .faults
        .reject(cx.shared.cfg.seed, seq, index, amend)?;
    crate::state::Counters::bump(&mut inner.counters.faults_injected, "reject", 1);
    Some(code)
}

fn single<T: DeserializeOwned>(
    cx: &Ctx<'_>,
    inner: &mut Inner,
    body: &str,
    category_of: impl Fn(&T) -> Option<Category>,
    exec: impl FnOnce(&mut Exchange, Category, &T, Option<i64>) -> Result<OrderAck, Reject>,
) -> Reply {
    let req: T = match parse_json(body) {
        Ok(r) => r,
        Err(r) => return fail(&r, cx.now),
    };
    let Some(cat) = category_of(&req) else {
        return fail(&params("category is required"), cx.now);
    };
    crate::state::Counters::bump(&mut inner.counters.orders_by_path, cx.ep.path(), 1);
    let (granted, rate) = charge(cx, inner, cat, 1, false);
    let reply = if granted == 0 {
        fail(&too_many(), cx.now)
    } else {
        let f = forced(cx, inner, 0);
        match exec(&mut inner.ex, cat, &req, f) {
            Ok(ack) => ok(ack, RetExtInfo::default(), cx.now),
            Err(r) => fail(&r, cx.now),
        }
    };
    Reply { rate, ..reply }
}

fn batch<T, R>(
    cx: &Ctx<'_>,
    inner: &mut Inner,
    body: &str,
    mut exec: impl FnMut(&mut Exchange, Category, &T, Option<i64>) -> (R, Option<Reject>),
) -> Reply
where
    T: DeserializeOwned,
    R: Serialize + BlankItem<T>,
{
    let req: BatchRequest<T> = match parse_json(body) {
        Ok(r) => r,
        Err(r) => return fail(&r, cx.now),
    };
    let (cat, n) = (req.category, req.request.len());
    if n == 0 || n > cat.batch_limit() {
        // UNCONFIRMED which code Bybit uses for an over-size batch; 10001 is the safe guess.
        let msg = format!(
            "batch of {n} orders; {} allows 1..={}",
            cat.as_str(),
            cat.batch_limit()
        );
        return fail(&params(msg), cx.now);
    }
    crate::state::Counters::bump(&mut inner.counters.orders_by_path, cx.ep.path(), n as u64);
    let per_order = cat.batch_costs_per_order();
    let want = if per_order {
        u32::try_from(n).unwrap_or(u32::MAX)
    } else {
        1
    };
    let (granted, rate) = charge(cx, inner, cat, want, per_order);
    if granted == 0 {
        return Reply {
            rate,
            ..fail(&too_many(), cx.now)
        };
    }
    let fits = if per_order { granted as usize } else { n };
    let mut list = Vec::with_capacity(n);
    let mut codes = Vec::with_capacity(n);
    for (i, it) in req.request.iter().enumerate() {
        if i >= fits {
            // UNCONFIRMED per-item code for the rate-limited tail; 10006 is the likely one.
            inner.counters.rate_limit_rejections += 1;
            list.push(R::blank(cat, it));
            codes.push(ItemStatus {
                code: retcode::TOO_MANY_VISITS,
                msg: retcode::TOO_MANY_VISITS_MSG.into(),
            });
            continue;
        }
        let f = forced(cx, inner, i);
        let (r, err) = exec(&mut inner.ex, cat, it, f);
        list.push(r);
        codes.push(match err {
            None => ItemStatus {
                code: 0,
                msg: "OK".into(),
            },
            Some(e) => ItemStatus {
                code: e.code,
                msg: e.msg,
            },
        });
    }
    Reply {
        rate,
        ..ok(ListResult { list }, RetExtInfo { list: codes }, cx.now)
    }
}

/// The failed-item entry of a batch reply for an item that was never attempted.
pub(crate) trait BlankItem<T> {
    fn blank(cat: Category, item: &T) -> Self;
}

impl BlankItem<PlaceOrder> for BatchCreateItem {
    fn blank(cat: Category, p: &PlaceOrder) -> Self {
        Self {
            category: cat.as_str().into(),
            symbol: p.symbol.clone(),
            order_link_id: p.order_link_id.clone().unwrap_or_default(),
            ..Default::default()
        }
    }
}

impl BlankItem<AmendOrder> for BatchItem {
    fn blank(cat: Category, a: &AmendOrder) -> Self {
        item(cat, &a.symbol, a.order_link_id.as_deref(), Err(too_many())).0
    }
}

impl BlankItem<CancelOrder> for BatchItem {
    fn blank(cat: Category, c: &CancelOrder) -> Self {
        item(cat, &c.symbol, c.order_link_id.as_deref(), Err(too_many())).0
    }
}

fn tickers(ex: &mut Exchange, query: &str, now: u64) -> Reply {
    let q = match MarketQuery::from_query_string(query) {
        Ok(q) => q,
        Err(e) => return fail(&params(e), now),
    };
    let symbols: Vec<String> = match &q.symbol {
        Some(s) => match ex.market(q.category, s) {
            Ok(_) => vec![s.clone()],
            Err(_) => {
                return fail(
                    &Reject {
                        code: retcode::PARAMS_ERROR,
                        msg: "Not supported symbols".into(),
                    },
                    now,
                );
            }
        },
        None => ex
            .markets
            .values()
            .filter(|m| m.category == q.category)
            .map(|m| m.symbol.clone())
            .collect(),
    };
    let mut list = Vec::with_capacity(symbols.len());
    for s in &symbols {
        // Every poll of a symbol moves it exactly one step: a client polling once per tick sees
        // every price move every tick.
        ex.step_market(s, now);
        if let Some(m) = ex.markets.get(s) {
            list.push(m.ticker());
        }
    }
    ok(
        TickersResult {
            category: q.category.as_str().into(),
            list,
        },
        RetExtInfo::default(),
        now,
    )
}

fn instruments(ex: &Exchange, query: &str, now: u64) -> Reply {
    let q = match MarketQuery::from_query_string(query) {
        Ok(q) => q,
        Err(e) => return fail(&params(e), now),
    };
    let list = ex
        .markets
        .values()
        .filter(|m| m.category == q.category && q.symbol.as_ref().is_none_or(|s| *s == m.symbol))
        .map(|m| m.instrument())
        .collect();
    let r = InstrumentsResult {
        category: q.category.as_str().into(),
        list,
        next_page_cursor: String::new(),
    };
    ok(r, RetExtInfo::default(), now)
}
