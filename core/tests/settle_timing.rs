//! When "not found" becomes final for a create whose outcome is unknown:
//! only once the exchange can no longer accept it (recv window, plus the
//! second Bybit accepts timestamps ahead of its clock).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mm_core::effect::RequestKind;
use mm_core::input::{Outcome, Reply};
use mm_core::virtual_exchange::Scenario;
use mm_core::{Input, Timestamp};

fn not_found() -> Outcome {
    Outcome::Reply(Reply {
        ret_code: 0,
        ret_msg: "OK".into(),
        ..Reply::default()
    })
}

#[test]
fn a_lost_create_is_final_a_margin_after_its_recv_window() {
    let sc = Scenario::wide(1, 1);
    // Books stay fresh throughout: only the settle timer wakes us.
    let mut e = engine_with(&sc, |c| c.quoting.max_book_age_ms = 3_600_000);
    let recv = e.config().exchange.recv_window_ms;
    assert_eq!(recv, 5000);
    let batch = sends(&tick(&mut e, 0, sc.books(0, Timestamp(0))))[0].clone();
    let queries = sends(&respond(&mut e, 10, &batch, Outcome::Timeout));
    assert_eq!(queries.len(), 2);
    assert!(matches!(queries[0].kind, RequestKind::OpenOrders { .. }));
    let out = respond(&mut e, 20, &queries[0], not_found());
    // Sent at 0: final at 0 + 5000 + 1000.
    assert!(
        logs(&out).contains("not found yet: query again in 5980 ms"),
        "{}",
        logs(&out)
    );
    respond(&mut e, 20, &queries[1], not_found());
    assert_eq!(e.poll_timeout(), Some(Timestamp(6000)));
    // At the bare recv window the create could still land: nothing decided.
    let early = handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(5000),
        },
    );
    assert!(sends(&early).is_empty());
    assert_eq!(e.order_counts().unknown, 2);
    let again = sends(&handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(6000),
        },
    ));
    assert_eq!(again.len(), 2);
    let mut out = respond(&mut e, 6010, &again[0], not_found());
    out.extend(respond(&mut e, 6010, &again[1], not_found()));
    assert_eq!(e.order_counts().unknown, 0);
    assert_eq!(e.totals().gone_by_reason.get("never_created"), Some(&2));
    assert!(logs(&out).contains("gone: never_created (settled: not found after the recv window)"));
}
