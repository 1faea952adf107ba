//! Never more than `levels` orders of ours on one side (engine/levels.rs):
//! a replacement goes out only once the order it replaces is known gone.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::config::Config;
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};

fn driver(
    tweak: impl FnOnce(&mut Config),
    script: impl FnOnce(&mut VirtualExchange),
) -> (Scenario, Driver) {
    let (sc, mut d) = common::scripted_seed("lvl", tweak, script);
    d.watch_sides = true;
    (sc, d)
}

#[test]
fn a_cancel_answered_ambiguously_holds_its_replacement_until_it_is_known_gone() {
    // Tick 0 places (order requests 1, 2); tick 1 cancels all 40 in two
    // batches (3, 4): the first never arrives but its caller sees a
    // timeout, so 20 old orders still rest, Unknown. Their replacements
    // must not join them.
    // With place_with_cancel the places go out beside the cancels: only
    // those that fit beside what may still rest may go.
    for (fault, with_cancel) in [
        (Fault::TimeoutNotApplied, false),
        (Fault::Http(503), false),
        (Fault::Malformed, false),
        (Fault::TimeoutNotApplied, true),
    ] {
        let (sc, mut d) = driver(
            |c| c.async_batch.place_with_cancel = with_cancel,
            |vx| vx.script_orders(3, fault.clone()),
        );
        d.run_ticks(8, 200, |k, now| sc.books(k, now));
        d.run_idle(30_000);
        assert!(
            d.max_side_orders <= 5,
            "{fault:?}: {} orders rested on one side with levels = 5\n{}",
            d.max_side_orders,
            d.log
        );
        common::assert_settled(&d);
        assert_eq!(d.engine.order_counts().live, 40, "{fault:?}");
    }
}
