//! proptest (engine/risk.rs): under random fills, moving books and limits,
//! at every millisecond of the virtual exchange's life the position plus our
//! open orders on the side that grows it stays within `risk.max_position`,
//! and no create or amend ever carries a qty above `risk.max_order_qty` or a
//! price further than `risk.price_band_bps` from the mid it was decided on.
#![allow(clippy::unwrap_used, clippy::needless_range_loop)]

mod common;

use mm_core::config::{PerSymbol, Reprice};
use mm_core::effect::RequestKind;
use mm_core::input::Execution;
use mm_core::virtual_exchange::Driver;
use mm_core::{BookTop, Decimal, Input, Side, Timestamp};
use proptest::prelude::*;

const SYMBOLS: [&str; 2] = ["SOLUSDT", "XRPUSDT"];
/// Tick size, qty step, order qty (lots), mid (ticks).
const GRID: [(&str, &str, i64, i64); 2] =
    [("0.001", "0.1", 1, 150_000), ("0.0001", "1", 10, 25_000)];

#[derive(Debug, Clone)]
enum Op {
    /// A tick with each mid moved by this many ticks (times the symbol's scale).
    Tick(i64),
    /// Time passes, 1 ms at a time.
    Wait(u64),
    /// The `nth` open order of ours on (symbol, side) fills whole.
    Fill(usize, bool, usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            (-40i64..40).prop_map(Op::Tick),
            (1u64..40).prop_map(Op::Wait),
            (0..2usize, any::<bool>(), 0..5usize).prop_map(|(s, b, n)| Op::Fill(s, b, n)),
            (0..2usize, any::<bool>(), 0..5usize).prop_map(|(s, b, n)| Op::Fill(s, b, n)),
        ],
        1..60,
    )
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn lots_of(sym: usize, qty: &str) -> i64 {
    i64::try_from(dec(qty).div_exact(dec(GRID[sym].1)).unwrap()).unwrap()
}

struct World {
    d: Driver,
    mids: [i64; 2],
    /// Our position per symbol in lots, from the fills fed.
    pos: [i64; 2],
    max_pos: [i64; 2],
    max_qty: [i64; 2],
    band: u32,
    fills: u64,
}

impl World {
    fn books(&self) -> Vec<BookTop> {
        (0..2)
            .map(|s| {
                let tick = dec(GRID[s].0);
                let px = |t: i64| Decimal::times(tick, i128::from(t)).unwrap().to_string();
                BookTop {
                    symbol: SYMBOLS[s].to_string().into(),
                    bid: px(self.mids[s] - 1).into(),
                    ask: px(self.mids[s] + 1).into(),
                    received_ms: self.d.now,
                }
            })
            .collect()
    }

    /// The invariant at the exchange, now.
    fn check_sides(&self) -> Result<(), TestCaseError> {
        for s in 0..2 {
            for side in [Side::Buy, Side::Sell] {
                let open: i64 = (self.d.exchange.open_orders().values())
                    .filter(|o| o.symbol == SYMBOLS[s] && o.side == side)
                    .map(|o| lots_of(s, &o.qty))
                    .sum();
                let growing = if side == Side::Buy {
                    self.pos[s]
                } else {
                    -self.pos[s]
                };
                prop_assert!(
                    growing + open <= self.max_pos[s],
                    "{} {side:?}: position {} + open {open} > {} at {}\n{}",
                    SYMBOLS[s],
                    self.pos[s],
                    self.max_pos[s],
                    self.d.now.0,
                    self.d.log
                );
            }
        }
        Ok(())
    }

    /// Every create and amend sent since request `from`: qty and band.
    fn check_sent(&self, from: usize) -> Result<(), TestCaseError> {
        let names = self.d.engine.wire_names().clone();
        for r in &self.d.requests[from..] {
            let items: Vec<(
                String,
                Option<mm_core::GridValue>,
                Option<mm_core::GridValue>,
            )> = match &r.kind {
                RequestKind::PlaceBatch { orders, .. } => orders
                    .iter()
                    .map(|o| {
                        (
                            names.symbol(o.symbol).to_string(),
                            Some(o.price),
                            Some(o.qty),
                        )
                    })
                    .collect(),
                RequestKind::Place { order: o, .. } => {
                    vec![(
                        names.symbol(o.symbol).to_string(),
                        Some(o.price),
                        Some(o.qty),
                    )]
                }
                RequestKind::AmendBatch { orders, .. } => orders
                    .iter()
                    .map(|o| (names.symbol(o.symbol).to_string(), o.price, o.qty))
                    .collect(),
                RequestKind::Amend { order: o, .. } => {
                    vec![(names.symbol(o.symbol).to_string(), o.price, o.qty)]
                }
                _ => Vec::new(),
            };
            for (symbol, price, qty) in items {
                let s = SYMBOLS.iter().position(|x| *x == symbol).unwrap();
                if let Some(q) = qty {
                    let lots = lots_of(s, &q.to_decimal().unwrap().to_string());
                    prop_assert!(lots <= self.max_qty[s], "{symbol} qty {lots} lots sent");
                }
                if let Some(p) = price {
                    let ticks = i128::from(
                        i64::try_from(p.to_decimal().unwrap().div_exact(dec(GRID[s].0)).unwrap())
                            .unwrap(),
                    );
                    let m2 = 2 * i128::from(self.mids[s]);
                    prop_assert!(
                        (2 * ticks - m2).abs() * 10_000 <= i128::from(self.band) * m2,
                        "{symbol} price {ticks} ticks sent, mid {} band {}",
                        self.mids[s],
                        self.band
                    );
                }
            }
        }
        Ok(())
    }

    fn wait(&mut self, ms: u64) -> Result<(), TestCaseError> {
        for _ in 0..ms {
            let next = self.d.now.plus_ms(1);
            self.d.run_until(next);
            self.check_sides()?;
        }
        Ok(())
    }

    fn fill(&mut self, s: usize, buy: bool, nth: usize) -> Result<(), TestCaseError> {
        let side = if buy { Side::Buy } else { Side::Sell };
        let mut mine: Vec<_> = (self.d.exchange.open_orders().values())
            .filter(|o| o.symbol == SYMBOLS[s] && o.side == side)
            .cloned()
            .collect();
        if mine.is_empty() {
            return Ok(());
        }
        mine.sort_by(|a, b| a.order_link_id.cmp(&b.order_link_id));
        let o = &mine[nth % mine.len()];
        self.fills += 1;
        let x = Execution {
            symbol: o.symbol.as_str().into(),
            order_id: o.order_id.as_str().into(),
            order_link_id: o.order_link_id.as_str().into(),
            side: side.wire().into(),
            exec_id: format!("x{}", self.fills).into(),
            exec_price: o.price.as_str().into(),
            exec_qty: o.qty.as_str().into(),
            exec_type: "Trade".into(),
            leaves_qty: "0".into(),
            exec_time: "1700000000000".into(),
            is_maker: true,
            seq: 0,
        };
        // The exchange fills it, then the stream says so.
        self.d.exchange.close(&o.order_link_id, "Filled");
        let lots = lots_of(s, &o.qty);
        self.pos[s] += if buy { lots } else { -lots };
        self.check_sides()?;
        let now = self.d.now;
        self.d.feed(Input::Executions {
            now_ms: now,
            executions: vec![x],
        });
        self.check_sides()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn position_plus_open_orders_never_pass_max_position_and_nothing_outside_the_limits_is_sent(
        plan in ops(),
        max_pos in (1i64..12, 5i64..120),
        small_xrp_qty in prop::bool::weighted(0.2),
        band in 8u32..40,
        with_cancel in any::<bool>(),
        amend in any::<bool>(),
        levels in 1u32..6,
    ) {
        let max_qty = [1, if small_xrp_qty { 5 } else { 10 }];
        let max_pos = [max_pos.0, max_pos.1];
        let (_, d) = common::scripted_seed("p", |c| {
            c.quoting.symbols = SYMBOLS.map(String::from).to_vec();
            c.quoting.levels = levels;
            c.async_batch.place_with_cancel = with_cancel;
            c.quoting.reprice = if amend { Reprice::Amend } else { Reprice::CancelPlace };
            let each = |v: [i64; 2]| {
                PerSymbol::Each(
                    (0..2)
                        .map(|s| {
                            let q = Decimal::times(dec(GRID[s].1), i128::from(v[s])).unwrap();
                            (SYMBOLS[s].to_string(), q)
                        })
                        .collect(),
                )
            };
            c.risk.max_position = Some(each(max_pos));
            c.risk.max_order_qty = Some(each(max_qty));
            c.risk.price_band_bps = Some(band);
        }, |_| {});
        let mut w = World {
            d,
            mids: [GRID[0].3, GRID[1].3],
            pos: [0, 0],
            max_pos,
            max_qty,
            band,
            fills: 0,
        };
        for op in plan {
            match op {
                Op::Tick(dm) => {
                    w.mids[0] += dm * 6;
                    w.mids[1] += dm;
                    let from = w.d.requests.len();
                    let books = w.books();
                    let now = w.d.now;
                    w.d.feed(Input::Tick { now_ms: now, books });
                    w.check_sides()?;
                    w.wait(60)?;
                    w.check_sent(from)?;
                }
                Op::Wait(ms) => w.wait(ms)?,
                Op::Fill(s, buy, nth) => w.fill(s, buy, nth)?,
            }
        }
        prop_assert!(w.d.now > Timestamp(0));
    }
}
