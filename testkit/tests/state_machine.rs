//! The engine against a model (issue 5 item 7): `mm_testkit::state_machine`
//! drives it with random cases from `mm_testkit::strategies` and checks the
//! model after every input (see that module for the invariants); here, the
//! property over random cases and fixed cases worth keeping.
#![allow(clippy::unwrap_used)]

use mm_testkit::state_machine::run;
use mm_testkit::strategies::{Action, Case, Tweak, case};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // The minimal case is printed on failure; fixed cases below keep
        // the ones worth keeping.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn engine_against_model(case in case()) {
        let first = run(&case)?;
        let second = run(&case)?;
        prop_assert!(first.transcript == second.transcript, "the same case gave two transcripts");
    }
}

fn tweak(enabled: bool, amend: bool, max_batch: u32, max_parallel: u32) -> Tweak {
    Tweak {
        enabled,
        amend,
        by_symbol: false,
        max_batch,
        max_parallel,
        place_with_cancel: false,
        invalid: false,
    }
}

fn tick(m: i64) -> Action {
    Action::Tick {
        gap_ms: 200,
        moves: vec![m, -m],
        spoil: None,
    }
}

/// A tick of one symbol at the same instant, its price unchanged.
fn still() -> Action {
    Action::Tick {
        gap_ms: 0,
        moves: vec![0],
        spoil: None,
    }
}

/// Input lines of the transcript whose reply outcome is exactly `what`
/// (`reply r12 timeout`), not any line that mentions the word.
fn reply_lines<'a>(transcript: &'a str, what: &str) -> Vec<&'a str> {
    transcript
        .lines()
        .filter(|l| {
            let mut words = l.split_whitespace();
            let (Some(t), Some("reply"), Some(id), Some(w), None) = (
                words.next(),
                words.next(),
                words.next(),
                words.next(),
                words.next(),
            ) else {
                return false;
            };
            t.parse::<u64>().is_ok()
                && id
                    .strip_prefix('r')
                    .is_some_and(|n| n.parse::<u64>().is_ok())
                && w == what
        })
        .collect()
}

/// A fixed, fault-heavy case (every scripted behaviour once, batching on,
/// then legacy with amends, then batching again) so the machine itself is
/// exercised on every run whatever proptest generates.
#[test]
fn a_fault_heavy_case_holds() {
    let case = Case {
        symbols: 2,
        levels: 3,
        rate: 100,
        start: tweak(true, false, 4, 3),
        // Order request 2: timeout (applied), 4: timeout (lost), 6: 503, ...
        faults: (1..=11).map(|k| (k * 2, (k - 1) as u8)).collect(),
        actions: vec![
            tick(0),
            Action::Deliver(5),
            Action::DeliverAll,
            tick(40),
            Action::Deliver(3),
            Action::Wake,
            Action::DeliverAll,
            Action::Config(tweak(false, true, 4, 3)),
            tick(40),
            Action::DeliverAll,
            Action::Wake,
            Action::DeliverAll,
            Action::Config(tweak(true, true, 4, 3)),
            tick(-60),
            Action::Advance(2500),
            Action::DeliverAll,
            Action::Wake,
        ],
    };
    let a = run(&case).unwrap();
    assert_eq!(a.transcript, run(&case).unwrap().transcript);
    // Both scripted timeouts came back as timeout outcomes, each one a
    // `reply rN timeout` line, and their orders went Unknown and settled.
    let timeouts = reply_lines(&a.transcript, "timeout");
    assert_eq!(timeouts.len(), 2, "{timeouts:?}");
    assert_eq!(a.timeouts_delivered, 2);
    assert!(
        a.totals.unknowns > 0,
        "no order went unknown: {:?}",
        a.totals
    );
    assert!(a.gone.values().all(|r| !r.is_empty()));
}

/// Changing limits mid-session (to legacy, then to batches of 2 with 2 in
/// flight): every request is held to the config in force when it was sent,
/// and both changes really took effect at a tick boundary.
#[test]
fn limits_follow_the_config_in_force() {
    let case = Case {
        symbols: 3,
        levels: 3,
        rate: 400,
        start: tweak(true, false, 20, 6),
        faults: vec![(3, 0), (9, 2)],
        actions: vec![
            tick(0),
            Action::Deliver(1),
            Action::Config(tweak(false, false, 20, 6)),
            tick(30),
            Action::DeliverAll,
            Action::Wake,
            tick(30),
            Action::DeliverAll,
            Action::Config(tweak(true, false, 2, 2)),
            tick(-30),
            Action::Deliver(0),
            tick(-30),
            Action::DeliverAll,
            Action::Wake,
            Action::DeliverAll,
        ],
    };
    let a = run(&case).unwrap();
    let applied: Vec<&str> = a
        .transcript
        .lines()
        .filter(|l| l.contains("config applied at tick"))
        .collect();
    assert_eq!(applied.len(), 2, "{applied:?}");
    assert!(applied[0].contains("enabled=false"), "{applied:?}");
    assert!(
        applied[1].contains("max_batch_size=2 max_parallel=2"),
        "{applied:?}"
    );
}

/// Two creates time out and go unknown, then legacy mode leaves one slot:
/// one query is in flight while the other, due, waits for the slot (core
/// asks for no wake: the reply frees the slot). The model once demanded a
/// wake here; both orders must still settle.
#[test]
fn a_due_query_waits_for_the_one_slot() {
    let t = |on: bool| Tweak {
        place_with_cancel: on,
        ..tweak(on, on, if on { 20 } else { 1 }, if on { 2 } else { 1 })
    };
    let case = Case {
        symbols: 1,
        levels: 1,
        rate: 31,
        start: t(true),
        faults: vec![(1, 1)],
        actions: vec![
            still(),
            Action::Deliver(0),
            still(),
            Action::Deliver(0),
            Action::Deliver(0),
            Action::Deliver(0),
            Action::Config(t(false)),
        ],
    };
    let a = run(&case).unwrap();
    assert_eq!(a.totals.unknowns, 2, "{:?}", a.totals);
    assert!(a.gone.values().all(|r| !r.is_empty()));
}

/// Shutdown's cancel by id times out after the exchange applied it: core
/// lists the symbol to learn what is left, and the order it still holds
/// live meanwhile is not one it has lost track of; the listing settles it.
#[test]
fn a_shutdown_cancel_that_times_out_is_verified_by_a_listing() {
    let case = Case {
        symbols: 1,
        levels: 1,
        rate: 100,
        start: tweak(true, false, 20, 2),
        // Order request 1 places the ladder; 2 pulls it when the book goes
        // stale while the case settles, and is lost in a timeout; 3 is
        // shutdown's cancel-batch, applied but timed out.
        faults: vec![(2, 1), (3, 0)],
        actions: vec![still(), Action::DeliverAll],
    };
    let a = run(&case).unwrap();
    assert!(
        a.transcript
            .contains("cancel-batch S0000USDT: timeout; verifying"),
        "{}",
        a.transcript
    );
}
