//! The simulator's own book, sampled while `mm run` runs: what the exchange
//! saw, not what mm says it did.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::Running;

/// Open orders of one session (orderLinkId `<session>-<n>`) by (symbol, side).
pub fn ours_by_side(state: &mm_sim::SimState, session: &str) -> BTreeMap<(String, String), usize> {
    let prefix = format!("{session}-");
    let mut out = BTreeMap::new();
    for o in state
        .open_orders
        .iter()
        .filter(|o| o.order_link_id.starts_with(&prefix))
    {
        *out.entry((o.symbol.clone(), format!("{:?}", o.side)))
            .or_default() += 1;
    }
    out
}

/// Open orders of one session.
pub fn ours(state: &mm_sim::SimState, session: &str) -> usize {
    ours_by_side(state, session).values().sum()
}

/// Calls `each` with a fresh `/sim/state` snapshot every `every` until mm
/// exits (bounded by `limit`); returns how many samples were taken.
pub fn sample_until_exit(
    running: &mut Running,
    sim: &mm_sim::SimHandle,
    every: Duration,
    limit: Duration,
    mut each: impl FnMut(&mm_sim::SimState),
) -> usize {
    let end = Instant::now() + limit;
    let mut n = 0;
    while running.child.try_wait().ok().flatten().is_none() && Instant::now() < end {
        each(&sim.state());
        n += 1;
        std::thread::sleep(every);
    }
    n
}
