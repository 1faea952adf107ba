//! One authenticated request's context and the steps every private endpoint shares: the rate
//! charge (with Bybit's headers), the refusal of a request that never reaches the engine, the
//! seeded injected rejects, and the single-order flow. Batches build on it (`batch.rs`). Both
//! transports (REST and the trade stream) come through here with typed requests.

use mm_bybit::{Category, OrderAck, RateLimitStatus, RetExtInfo};

use crate::endpoint::Endpoint;
use crate::engine::Exchange;
use crate::reject::{Reject, params};
use crate::reply::{OrderResult, Outcome, too_many};
use crate::shared::{Inner, Shared};
use crate::state::Counters;

/// Per-request context for the private endpoints.
pub(crate) struct Ctx<'a> {
    pub(crate) shared: &'a Shared,
    /// The endpoint whose rate counters and rules apply (a trade-stream op maps to the REST
    /// endpoint of the same operation, so both draw from one quota).
    pub(crate) ep: Endpoint,
    /// The `orders_by_path` key its orders count under: the REST path, or the trade op.
    pub(crate) tally: &'static str,
    pub(crate) account: usize,
    /// The fault sequence number if this request is fault-eligible (for per-item rejects).
    pub(crate) fault_seq: Option<u64>,
    pub(crate) now: u64,
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

/// The outcome of an authenticated request refused before it reached the engine (body that
/// does not parse, category missing, batch size outside the limit). It still counts against
/// the UID limit of `cat`'s line, one unit like any refused request, and carries the headers;
/// with nothing left it is 10006 instead (the limiter comes first).
pub(crate) fn refuse(cx: &Ctx<'_>, inner: &mut Inner, cat: Category, why: &Reject) -> Outcome {
    let (granted, rate) = charge(cx, inner, cat, 1, false);
    let out = if granted == 0 {
        Outcome::fail(&too_many())
    } else {
        Outcome::fail(why)
    };
    out.rated(rate)
}

/// The line a request that could not be read is charged to: its JSON's `category` if it has
/// a valid one, else derivatives (UNCONFIRMED: which counter Bybit charges then is unknown).
pub(crate) fn category_of(json: &serde_json::Value) -> Category {
    json.get("category")
        .and_then(serde_json::Value::as_str)
        .and_then(Category::parse)
        .unwrap_or(Category::Linear)
}

/// [`category_of`] a raw body.
pub(crate) fn body_category(body: &str) -> Category {
    serde_json::from_str::<serde_json::Value>(body).map_or(Category::Linear, |v| category_of(&v))
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
        Counters::bump(&mut inner.counters.faults_injected, "reject", 1);
    }
}

/// A single create, amend or cancel: category check, one unit, the engine.
pub(crate) fn single<T>(
    cx: &Ctx<'_>,
    inner: &mut Inner,
    req: &T,
    category: Option<Category>,
    exec: impl FnOnce(&mut Exchange, Category, &T, Option<i64>) -> Result<OrderAck, Reject>,
) -> Outcome {
    let Some(cat) = category else {
        return refuse(cx, inner, Category::Linear, &params("category is required"));
    };
    Counters::bump(&mut inner.counters.orders_by_path, cx.tally, 1);
    let (granted, rate) = charge(cx, inner, cat, 1, false);
    let out = if granted == 0 {
        Outcome::fail(&too_many())
    } else {
        let f = forced(cx, 0);
        let res = exec(&mut inner.ex, cat, req, f);
        count_forced(inner, f, res.as_ref().err());
        match res {
            Ok(ack) => Outcome::ok(OrderResult::Ack(ack), RetExtInfo::default()),
            Err(r) => Outcome::fail(&r),
        }
    };
    out.rated(rate)
}
