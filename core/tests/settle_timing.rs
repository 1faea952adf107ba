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
    // Sent at 0: final at 0 + 5000 + 1000; asked again meanwhile.
    assert!(
        logs(&out).contains("not found yet: asking again every 1600 ms at most until its recv window has passed in 5980 ms"),
        "{}",
        logs(&out)
    );
    respond(&mut e, 20, &queries[1], not_found());
    // Asked again on the back-off (200, 400, 800, 1600, 1600... ms after
    // each answer), every answer "not found", nothing decided before 6000.
    let mut now = 20;
    let mut asked_at = Vec::new();
    while let Some(t) = e.poll_timeout() {
        if t.0 >= 6000 {
            break;
        }
        now = t.0;
        let again = sends(&handle(&mut e, Input::Wake { now_ms: t }));
        assert_eq!(again.len(), 2, "at {now}");
        asked_at.push(now);
        for q in &again {
            respond(&mut e, now, q, not_found());
        }
        assert_eq!(e.order_counts().unknown, 2, "at {now}: not final yet");
    }
    assert_eq!(asked_at, vec![220, 620, 1420, 3020, 4620], "the back-off");
    assert_eq!(
        e.poll_timeout(),
        Some(Timestamp(6000)),
        "capped at the final time"
    );
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
    assert!(now < 6000);
}
