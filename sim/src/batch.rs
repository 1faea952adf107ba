//! The three batch endpoints: size check, per-order rate charge with the 10006 tail, and
//! per-item results aligned by index with `retExtInfo.list`.

use mm_bybit::{
    AmendOrder, BatchCreateItem, BatchItem, BatchRequest, CancelOrder, Category, ItemStatus,
    ListResult, OrderAck, PlaceOrder, RetExtInfo, retcode,
};

use crate::engine::Exchange;
use crate::reject::{Reject, params};
use crate::reply::{OrderResult, Outcome, too_many};
use crate::request::{Ctx, charge, count_forced, forced, refuse};
use crate::shared::Inner;
use crate::state::Counters;

/// A batch: size check, per-order (or per-request) charge, then each item through `exec`;
/// `wrap` makes the list the op's result.
pub(crate) fn batch<T, R>(
    cx: &Ctx<'_>,
    inner: &mut Inner,
    req: &BatchRequest<T>,
    wrap: impl FnOnce(ListResult<R>) -> OrderResult,
    mut exec: impl FnMut(&mut Exchange, Category, &T, Option<i64>) -> (R, Option<Reject>),
) -> Outcome
where
    R: BlankItem<T>,
{
    let (cat, n) = (req.category, req.request.len());
    if n == 0 || n > cat.batch_limit() {
        // UNCONFIRMED which code Bybit uses for an over-size batch; 10001 is the safe guess.
        let msg = format!(
            "batch of {n} orders; {} allows 1..={}",
            cat.as_str(),
            cat.batch_limit()
        );
        return refuse(cx, inner, cat, &params(msg));
    }
    Counters::bump(&mut inner.counters.orders_by_path, cx.tally, n as u64);
    let per_order = cat.batch_costs_per_order();
    let want = if per_order {
        u32::try_from(n).unwrap_or(u32::MAX)
    } else {
        1
    };
    let (granted, rate) = charge(cx, inner, cat, want, per_order);
    if granted == 0 {
        return Outcome::fail(&too_many()).rated(rate);
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
        let f = forced(cx, i);
        let (r, err) = exec(&mut inner.ex, cat, it, f);
        count_forced(inner, f, err.as_ref());
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
    Outcome::ok(wrap(ListResult { list }), RetExtInfo { list: codes }).rated(rate)
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

pub(crate) fn item(
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
