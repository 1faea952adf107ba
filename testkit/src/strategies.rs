//! proptest strategies for driving the engine: random cases of books,
//! replies delivered in any order, wakes, time passing, config changes
//! (valid and not) and scripted exchange behaviours. `state_machine` runs
//! them; other property tests can reuse them.

use mm_core::config::{CoalesceScope, Config, Reprice};
use mm_core::virtual_exchange::Fault;
use proptest::prelude::*;

/// One step of a case.
#[derive(Debug, Clone)]
pub enum Action {
    /// A tick `gap_ms` after now; per symbol a mid move in ticks, and maybe
    /// one symbol's book spoiled (0 missing, 1 crossed, 2 stale).
    Tick {
        gap_ms: u64,
        moves: Vec<i64>,
        spoil: Option<(usize, u8)>,
    },
    /// Deliver one pending reply, chosen among all of them (any order).
    Deliver(usize),
    /// Deliver every pending reply, oldest first.
    DeliverAll,
    /// Jump to the engine's deadline and wake it.
    Wake,
    Advance(u64),
    Config(Tweak),
}

/// The config keys a case varies.
#[derive(Debug, Clone)]
pub struct Tweak {
    pub enabled: bool,
    pub amend: bool,
    pub by_symbol: bool,
    pub max_batch: u32,
    pub max_parallel: u32,
    pub place_with_cancel: bool,
    /// An invalid config (levels = 0), which core must refuse and survive.
    pub invalid: bool,
}

impl Tweak {
    /// Writes these keys into `config`.
    pub fn apply(&self, config: &mut Config) {
        let c = &mut config.async_batch;
        c.enabled = self.enabled;
        c.coalesce_scope = if self.by_symbol {
            CoalesceScope::Symbol
        } else {
            CoalesceScope::Category
        };
        c.max_batch_size = self.max_batch;
        c.max_parallel_symbols = self.max_parallel;
        c.place_with_cancel = self.place_with_cancel;
        config.quoting.reprice = if self.amend {
            Reprice::Amend
        } else {
            Reprice::CancelPlace
        };
        if self.invalid {
            config.quoting.levels = 0;
        }
    }
}

/// A whole run: the market, the starting config, the exchange's scripted
/// behaviours and the steps.
#[derive(Debug, Clone)]
pub struct Case {
    pub symbols: usize,
    pub levels: u32,
    /// Every endpoint's rate limit, per second (core's and the exchange's).
    pub rate: u32,
    pub start: Tweak,
    /// (nth order request, behaviour: see `fault`)
    pub faults: Vec<(u64, u8)>,
    pub actions: Vec<Action>,
}

/// How many behaviours `fault` knows.
pub const FAULT_KINDS: u8 = 11;

/// A scripted exchange behaviour by number (0 and 1 are the timeouts).
pub fn fault(kind: u8) -> Fault {
    match kind {
        0 => Fault::TimeoutApplied,
        1 => Fault::TimeoutNotApplied,
        2 => Fault::Http(503),
        3 => Fault::Malformed,
        4 => Fault::RejectItem {
            index: 0,
            code: 110_007,
        },
        5 => Fault::RejectItem {
            index: 1,
            code: 10001,
        },
        6 => Fault::RateTail { keep: 1 },
        7 => Fault::RateTail { keep: 0 },
        8 => Fault::ShortCodes,
        9 => Fault::TopLevel(10001),
        _ => Fault::Http(502),
    }
}

pub fn tweak() -> impl Strategy<Value = Tweak> {
    (
        prop::bool::weighted(0.8),
        any::<bool>(),
        any::<bool>(),
        1u32..=20,
        1u32..=6,
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(enabled, amend, by_symbol, max_batch, max_parallel, place_with_cancel, invalid)| {
                Tweak {
                    enabled,
                    amend,
                    by_symbol,
                    max_batch,
                    max_parallel,
                    place_with_cancel,
                    invalid,
                }
            },
        )
}

pub fn action(symbols: usize) -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (
            prop_oneof![Just(0u64), 1u64..400],
            prop::collection::vec(-200i64..=200, symbols),
            prop::option::weighted(0.2, (0usize..8, 0u8..3)),
        )
            .prop_map(|(gap_ms, moves, spoil)| Action::Tick { gap_ms, moves, spoil }),
        5 => (0usize..64).prop_map(Action::Deliver),
        2 => Just(Action::DeliverAll),
        2 => Just(Action::Wake),
        1 => (1u64..3000).prop_map(Action::Advance),
        1 => tweak().prop_map(Action::Config),
    ]
}

pub fn case() -> impl Strategy<Value = Case> {
    (1usize..=3, 1u32..=3, 20u32..=400, tweak(), any::<bool>())
        .prop_flat_map(|(symbols, levels, rate, mut start, faulty)| {
            start.invalid = false;
            let faults = if faulty {
                prop::collection::vec((1u64..60, 0u8..FAULT_KINDS), 0..12).boxed()
            } else {
                Just(Vec::new()).boxed()
            };
            (
                Just((symbols, levels, rate, start)),
                faults,
                prop::collection::vec(action(symbols), 1..60),
            )
        })
        .prop_map(|((symbols, levels, rate, start), faults, actions)| Case {
            symbols,
            levels,
            rate,
            start,
            faults,
            actions,
        })
}
