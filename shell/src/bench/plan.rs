//! The modes compared and what each must do per tick: the plan a
//! measurement is checked against (requests, dependent rounds).

use mm_core::Config;
use mm_core::config::{CoalesceScope, OrderTransport, Reprice};
use serde::Serialize;

use super::BATCH;

/// `Mode::Planned`'s settings: tick interval, tick deadline, hard bound.
pub(super) const PLANNED_TICK_MS: u64 = 50;
pub(super) const PLANNED_DEADLINE_MS: u64 = 100;
pub(super) const PLANNED_BOUND_BPS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `async_batch.enabled = false`: one single-order request at a time.
    Legacy,
    /// The seed's batches: `coalesce_scope = "symbol"`.
    PerSymbol,
    /// Ours: cross-symbol batches, cancel then place.
    CancelPlace,
    /// Ours: cross-symbol amend batches.
    Amend,
    /// `CancelPlace` with order requests over the trade stream.
    CancelPlaceWs,
    /// `Amend` with order requests over the trade stream.
    AmendWs,
    /// Ours: `reprice = "planned"`, the budget spent where it buys the most
    /// quality (inner levels first; amend, then cancel + place on the other
    /// endpoints' spare budget; the rest widened within the bound).
    Planned,
}

impl Mode {
    pub const ALL: [Mode; 6] = [
        Mode::Legacy,
        Mode::PerSymbol,
        Mode::CancelPlace,
        Mode::Amend,
        Mode::CancelPlaceWs,
        Mode::AmendWs,
    ];
    pub const BATCHED: [Mode; 3] = [Mode::PerSymbol, Mode::CancelPlace, Mode::Amend];
    /// The modes `--tier default` compares.
    pub const DEFAULT_TIER: [Mode; 4] = [
        Mode::PerSymbol,
        Mode::CancelPlace,
        Mode::Amend,
        Mode::Planned,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy sequential",
            Mode::PerSymbol => "seed per-symbol batch",
            Mode::CancelPlace => "ours cancel+place",
            Mode::Amend => "ours amend",
            Mode::CancelPlaceWs => "ours cancel+place (ws)",
            Mode::AmendWs => "ours amend (ws)",
            Mode::Planned => "ours planned, 50 ms",
        }
    }

    /// The same batching over REST (a ws mode's plan is its twin's).
    pub fn over_rest(self) -> Mode {
        match self {
            Mode::CancelPlaceWs => Mode::CancelPlace,
            Mode::AmendWs => Mode::Amend,
            other => other,
        }
    }

    pub(super) fn apply(self, c: &mut Config) {
        if self != self.over_rest() {
            c.exchange.order_transport = OrderTransport::Ws;
        }
        match self.over_rest() {
            Mode::Legacy => c.async_batch.enabled = false,
            Mode::PerSymbol => c.async_batch.coalesce_scope = CoalesceScope::Symbol,
            Mode::Amend => c.quoting.reprice = Reprice::Amend,
            Mode::Planned => {
                // As the README advises at a binding budget, tuned by what
                // the simulator measured (`--tier default`): ticks that
                // find nothing to do cost no order request, so a 50 ms
                // cadence answers a market step within ~1/4 of the default
                // 200 ms; unsent amends and places are dropped 100 ms
                // after their tick; a 2 bps bound keeps the orders the
                // budget cannot reprice from resting far off.
                c.quoting.reprice = Reprice::Planned;
                c.quoting.tick_interval_ms = PLANNED_TICK_MS;
                c.async_batch.tick_deadline_ms = PLANNED_DEADLINE_MS;
                c.quoting.max_deviation_bps = PLANNED_BOUND_BPS;
            }
            Mode::CancelPlace | Mode::CancelPlaceWs | Mode::AmendWs => {}
        }
    }
}

/// What a mode must do per tick once every order rests (every order moves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Order commands per tick (cancels + places, or amends).
    pub commands: u64,
    /// Order requests per tick.
    pub requests: u64,
    /// Dependent rounds of requests per tick.
    pub rounds: u64,
    /// Rounds of the first tick, which only places.
    pub first_rounds: u64,
}

impl Plan {
    pub fn of(mode: Mode, symbols: u32, levels: u32, max_parallel: u32) -> Plan {
        let per_symbol = 2 * u64::from(levels);
        let orders = u64::from(symbols) * per_symbol;
        let par = u64::from(max_parallel.max(1));
        let phase = |batches: u64| batches.div_ceil(par);
        match mode.over_rest() {
            Mode::Legacy => Plan {
                commands: 2 * orders,
                requests: 2 * orders,
                rounds: 2 * orders,
                first_rounds: orders,
            },
            Mode::PerSymbol => {
                let b = u64::from(symbols) * per_symbol.div_ceil(BATCH);
                Plan {
                    commands: 2 * orders,
                    requests: 2 * b,
                    rounds: 2 * phase(b),
                    first_rounds: phase(b),
                }
            }
            Mode::CancelPlace | Mode::CancelPlaceWs => {
                let b = orders.div_ceil(BATCH);
                Plan {
                    commands: 2 * orders,
                    requests: 2 * b,
                    rounds: 2 * phase(b),
                    first_rounds: phase(b),
                }
            }
            // With room for everything the planner amends every order.
            Mode::Amend | Mode::AmendWs | Mode::Planned => {
                let b = orders.div_ceil(BATCH);
                Plan {
                    commands: orders,
                    requests: b,
                    rounds: phase(b),
                    first_rounds: phase(b),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_of_the_seed_scenario() {
        let p = |m| Plan::of(m, 4, 5, 10).requests;
        assert_eq!(p(Mode::Legacy), 80);
        assert_eq!(p(Mode::PerSymbol), 8);
        assert_eq!(p(Mode::CancelPlace), 4);
        assert_eq!(p(Mode::Amend), 2);
        // Over the trade stream: the same batches, the same rounds.
        assert_eq!(p(Mode::CancelPlaceWs), 4);
        assert_eq!(p(Mode::AmendWs), 2);
        assert_eq!(Plan::of(Mode::AmendWs, 4, 5, 10).rounds, 1);
        assert_eq!(p(Mode::Planned), 2, "with room for everything: amend's");
        let mut c = Config::default();
        Mode::Planned.apply(&mut c);
        assert_eq!(c.quoting.reprice, Reprice::Planned);
        assert_eq!(c.quoting.tick_interval_ms, 50);
        let mut c = Config::default();
        Mode::AmendWs.apply(&mut c);
        assert_eq!(
            (c.exchange.order_transport, c.quoting.reprice),
            (OrderTransport::Ws, Reprice::Amend)
        );
        let mut c = Config::default();
        Mode::Amend.apply(&mut c);
        assert_eq!(c.exchange.order_transport, OrderTransport::Rest);
        assert_eq!(Plan::of(Mode::CancelPlace, 4, 5, 10).rounds, 2);
        assert_eq!(Plan::of(Mode::Amend, 4, 5, 10).rounds, 1);
        assert_eq!(Plan::of(Mode::Legacy, 4, 5, 10).rounds, 80);
        // 1000 orders: 50 batches a phase, 5 rounds each at 10 in flight.
        assert_eq!(Plan::of(Mode::CancelPlace, 50, 10, 10).rounds, 10);
        assert_eq!(Plan::of(Mode::PerSymbol, 50, 10, 10).requests, 100);
        // 100 x 3: a symbol's 6 orders a phase in its own batch (100 a phase,
        // 10 rounds each), against 30 full cross-symbol batches (3 rounds).
        let p = |m| Plan::of(m, 100, 3, 10);
        assert_eq!(
            (p(Mode::PerSymbol).requests, p(Mode::PerSymbol).rounds),
            (200, 20)
        );
        assert_eq!(
            (p(Mode::CancelPlace).requests, p(Mode::CancelPlace).rounds),
            (60, 6)
        );
        assert_eq!((p(Mode::Amend).requests, p(Mode::Amend).rounds), (30, 3));
    }
}
