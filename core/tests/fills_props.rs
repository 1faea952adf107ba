//! proptest: whatever executions arrive, duplicated, in any chunks and any
//! order, core's position per symbol is the sum of the unique executions of
//! ours (engine/fills.rs, engine/positions.rs); with the exchange's positions
//! arriving between them in sequence order, none is a mismatch.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use mm_core::input::{Execution, Position};
use mm_core::virtual_exchange::Scenario;
use mm_core::{Decimal, Engine, Input, Timestamp};
use proptest::prelude::*;

const SYMBOLS: [&str; 2] = ["BTCUSDT", "XRPUSDT"];
const STEPS: [&str; 2] = ["0.001", "1"];

/// One execution of the table: (symbol, buy, lots, ours).
type Row = (usize, bool, u32, bool);

fn table() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (
            0..2usize,
            any::<bool>(),
            1..50u32,
            prop::bool::weighted(0.8),
        ),
        1..25,
    )
}

fn execution(i: usize, row: &Row) -> Execution {
    let (sym, buy, lots, ours) = *row;
    let qty = Decimal::times(STEPS[sym].parse().unwrap(), i128::from(lots)).unwrap();
    Execution {
        symbol: SYMBOLS[sym].to_string().into(),
        order_id: format!("oid-{i}").into(),
        // Session "t" (common::engine); counters never issued: ours, not tracked.
        order_link_id: if ours {
            format!("t-{}", 1000 + i).into()
        } else {
            format!("other-{i}").into()
        },
        side: if buy { "Buy" } else { "Sell" }.to_string().into(),
        exec_id: format!("e{i}").into(),
        exec_price: "100".into(),
        exec_qty: qty.to_string().into(),
        exec_type: "Trade".into(),
        leaves_qty: "".into(),
        exec_time: (1_700_000_000_000u64 + i as u64).to_string().into(),
        is_maker: true,
        seq: i as i64 + 1,
    }
}

/// The sum of the given rows of ours, per symbol.
fn truth(rows: &[Row], fed: impl Iterator<Item = usize>) -> BTreeMap<&'static str, Decimal> {
    let mut sum = BTreeMap::new();
    for i in fed {
        let (sym, buy, lots, ours) = rows[i];
        if !ours {
            continue;
        }
        let q = Decimal::times(STEPS[sym].parse().unwrap(), i128::from(lots)).unwrap();
        let q = if buy { q } else { -q };
        let s = sum.entry(SYMBOLS[sym]).or_insert(Decimal::ZERO);
        *s = s.checked_add(q).unwrap();
    }
    sum
}

fn engine() -> Engine {
    common::engine(&Scenario::seed())
}

fn feed(e: &mut Engine, input: Input) {
    let _ = common::handle(e, input);
}

fn position_of(e: &Engine, symbol: &str) -> Decimal {
    e.positions()
        .into_iter()
        .find(|p| p.symbol == symbol)
        .map_or(Decimal::ZERO, |p| p.core.parse().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Executions fed in any order, some many times, in chunks of any size.
    #[test]
    fn position_is_the_sum_of_unique_executions(
        rows in table(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..60),
        cuts in prop::collection::vec(1..6usize, 1..20),
    ) {
        let order: Vec<usize> = picks.iter().map(|p| p.index(rows.len())).collect();
        let mut e = engine();
        let mut t = 1_000u64;
        let mut rest = &order[..];
        let mut k = 0;
        while !rest.is_empty() {
            let n = cuts[k % cuts.len()].min(rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            k += 1;
            t += 7;
            let executions = chunk.iter().map(|&i| execution(i, &rows[i])).collect();
            feed(&mut e, Input::Executions { now_ms: Timestamp(t), executions });
        }
        let unique: BTreeSet<usize> = order.iter().copied().collect();
        let want = truth(&rows, unique.iter().copied());
        for sym in SYMBOLS {
            let w = want.get(sym).copied().unwrap_or(Decimal::ZERO);
            prop_assert_eq!(position_of(&e, sym), w, "{}", sym);
        }
        let f = e.fill_totals();
        let applied: u64 = f.fills.values().map(|s| s.buy + s.sell).sum();
        let ours = unique.iter().filter(|&&i| rows[i].3).count() as u64;
        prop_assert_eq!(applied, ours);
        prop_assert_eq!(f.executions_duplicate, (order.len() - unique.len()) as u64);
        prop_assert_eq!(f.position_mismatches, 0);
    }

    /// Executions in sequence order, the exchange's true position pushed
    /// after any of them: never a mismatch, and core ends on the truth.
    #[test]
    fn true_exchange_positions_are_never_a_mismatch(
        rows in table(),
        pushes in prop::collection::vec(any::<bool>(), 25),
    ) {
        let mut e = engine();
        let mut t = 1_000u64;
        for i in 0..rows.len() {
            t += 5;
            feed(&mut e, Input::Executions {
                now_ms: Timestamp(t),
                executions: vec![execution(i, &rows[i])],
            });
            if pushes[i] {
                let sum = truth(&rows, 0..=i);
                let positions = SYMBOLS
                    .iter()
                    .map(|s| {
                        let q = sum.get(s).copied().unwrap_or(Decimal::ZERO);
                        let side = if q.is_zero() { "" } else if q.is_positive() { "Buy" } else { "Sell" };
                        let size = if q.is_positive() { q } else { -q };
                        Position {
                            symbol: (*s).to_string().into(),
                            side: side.to_string().into(),
                            size: size.to_string().into(),
                            position_idx: 0,
                            seq: i as i64 + 1,
                            updated_time: "".into(),
                        }
                    })
                    .collect();
                feed(&mut e, Input::Positions { now_ms: Timestamp(t), positions });
            }
        }
        // Long after: any position still waiting has been judged.
        feed(&mut e, Input::Wake { now_ms: Timestamp(t + 10_000) });
        prop_assert_eq!(e.fill_totals().position_mismatches, 0);
        let want = truth(&rows, 0..rows.len());
        for sym in SYMBOLS {
            let w = want.get(sym).copied().unwrap_or(Decimal::ZERO);
            prop_assert_eq!(position_of(&e, sym), w, "{}", sym);
        }
    }
}
