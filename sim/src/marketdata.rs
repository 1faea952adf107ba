//! Public market data: tickers (each poll walks the polled symbols one step) and instruments.

use mm_bybit::{InstrumentsResult, MarketQuery, RetExtInfo, TickersResult, retcode};

use crate::engine::{Exchange, Reject, params};
use crate::reply::{Reply, fail, ok};

pub(crate) fn tickers(ex: &mut Exchange, query: &str, now: u64) -> Reply {
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
        // every price move every tick (unless the market walks in time only).
        if ex.walk_on_poll {
            ex.step_market(s, now);
        }
        if let Some(m) = ex.markets.get(s) {
            list.push(m.ticker(now));
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

pub(crate) fn instruments(ex: &Exchange, query: &str, now: u64) -> Reply {
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
