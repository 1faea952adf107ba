//! The reply table (engine/apply.rs docs), pinned code by code: what each
//! per-order result does to the order.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mm_core::config::Reprice;
use mm_core::effect::{Endpoint, Request, RequestKind};
use mm_core::input::{Ack, ItemCode, Outcome, Reply};
use mm_core::virtual_exchange::Scenario;
use mm_core::{Engine, OrderState, Timestamp};

/// A batch reply with these per-item codes (acks echo the links).
fn items(r: &Request, codes: &[i64]) -> Outcome {
    let ls = links(r);
    Outcome::Reply(Reply {
        ret_code: 0,
        ret_msg: "OK".into(),
        acks: ls
            .iter()
            .zip(codes)
            .map(|(l, c)| Ack {
                order_id: if *c == 0 {
                    format!("x-{l}").into()
                } else {
                    "".into()
                },
                order_link_id: l.as_str().into(),
            })
            .collect(),
        codes: codes
            .iter()
            .map(|c| ItemCode {
                code: *c,
                msg: format!("code {c}").into(),
            })
            .collect(),
        ..Reply::default()
    })
}

fn state(e: &Engine, link: &str) -> Option<OrderState> {
    e.orders()
        .into_iter()
        .find(|o| o.order_link_id == link)
        .map(|o| o.state)
}

/// One symbol, `levels` a side: a single place batch of 2*levels orders.
fn one_batch(levels: u32, amend: bool) -> (Scenario, Engine, Request) {
    let mut sc = Scenario::wide(1, levels);
    if amend {
        sc.config.quoting.reprice = Reprice::Amend;
    }
    let mut e = engine(&sc);
    let reqs = sends(&tick(&mut e, 0, sc.books(0, Timestamp(0))));
    assert_eq!(reqs.len(), 1);
    (sc, e, reqs[0].clone())
}

#[test]
fn create_results() {
    let (_, mut e, r) = one_batch(3, false);
    let ls = links(&r);
    let out = respond(
        &mut e,
        10,
        &r,
        items(&r, &[0, 110_072, 10001, 10006, 10000, 10016]),
    );
    assert_eq!(state(&e, &ls[0]), Some(OrderState::Live));
    assert_eq!(
        state(&e, &ls[1]),
        Some(OrderState::Unknown),
        "110072: exists, settle"
    );
    assert_eq!(state(&e, &ls[2]), None, "10001: rejected for good");
    assert_eq!(
        state(&e, &ls[3]),
        Some(OrderState::PendingNew),
        "10006: re-queued"
    );
    assert_eq!(state(&e, &ls[4]), Some(OrderState::Unknown));
    assert_eq!(state(&e, &ls[5]), Some(OrderState::Unknown));
    assert_eq!(e.totals().gone_by_reason.get("rejected"), Some(&1));
    assert_eq!(e.totals().requeued, 1);
    assert!(logs(&out).contains(&format!(
        "order {} gone: rejected (10001 code 10001)",
        ls[2]
    )));
    let next = sends(&out);
    // No rate-limit header came with the 10006: the endpoint backs off a
    // whole window, longer than the tick has left, so the re-queued create
    // is not resent but dropped as stale at the tick deadline.
    assert!(
        next.iter()
            .all(|r| r.kind.endpoint() != Endpoint::CreateBatch)
    );
    assert_eq!(e.poll_timeout(), Some(Timestamp(200)));
    let later = handle(
        &mut e,
        mm_core::Input::Wake {
            now_ms: Timestamp(200),
        },
    );
    assert!(sends(&later).is_empty());
    assert!(logs(&later).contains("1 places still unsent at the tick deadline dropped as stale"));
    assert_eq!(state(&e, &ls[3]), None);
    // Unknowns are queried at once.
    let queried: Vec<String> = next
        .iter()
        .filter_map(|r| match &r.kind {
            RequestKind::OpenOrders { order_link_id, .. } => order_link_id.as_ref().map(link),
            _ => None,
        })
        .collect();
    assert_eq!(queried, vec![ls[1].clone(), ls[4].clone(), ls[5].clone()]);
    assert_eq!(e.order_counts().live, 1);
}

#[test]
fn cancel_and_amend_results() {
    // Cancels.
    let (sc, mut e, r) = one_batch(2, false);
    answer_all(&mut e, 5, vec![r]);
    let reqs = sends(&tick(&mut e, 200, sc.books(1, Timestamp(200))));
    let cancel = &reqs[0];
    assert_eq!(cancel.kind.endpoint(), Endpoint::CancelBatch);
    let ls = links(cancel);
    respond(
        &mut e,
        210,
        cancel,
        items(cancel, &[0, 110_001, 170_213, 10001]),
    );
    assert_eq!(state(&e, &ls[0]), None, "cancelled");
    assert_eq!(state(&e, &ls[1]), None, "110001: not open");
    assert_eq!(state(&e, &ls[2]), None, "170213: not open");
    assert_eq!(
        state(&e, &ls[3]),
        Some(OrderState::Live),
        "other: stays live, retried"
    );
    let g = &e.totals().gone_by_reason;
    assert_eq!(
        (g.get("cancelled"), g.get("not_open")),
        (Some(&1), Some(&2))
    );

    // Amends.
    let (sc, mut e, r) = one_batch(2, true);
    answer_all(&mut e, 5, vec![r]);
    let before: Vec<_> = e.orders();
    let reqs = sends(&tick(&mut e, 200, sc.books(1, Timestamp(200))));
    let amend = &reqs[0];
    assert_eq!(amend.kind.endpoint(), Endpoint::AmendBatch);
    let ls = links(amend);
    respond(
        &mut e,
        210,
        amend,
        items(amend, &[0, 110_001, 10001, 10006]),
    );
    let price = |l: &str| {
        e.orders()
            .into_iter()
            .find(|o| o.order_link_id == l)
            .map(|o| o.price)
    };
    let old = |l: &str| {
        before
            .iter()
            .find(|o| o.order_link_id == l)
            .map(|o| o.price.clone())
    };
    assert_eq!(state(&e, &ls[0]), Some(OrderState::Live));
    assert_ne!(price(&ls[0]), old(&ls[0]), "accepted: at the new price");
    assert_eq!(state(&e, &ls[1]), None, "110001: gone");
    assert_eq!(state(&e, &ls[2]), Some(OrderState::Live));
    assert_eq!(price(&ls[2]), old(&ls[2]), "rejected: unchanged");
    assert_eq!(
        state(&e, &ls[3]),
        Some(OrderState::PendingAmend),
        "10006: re-queued"
    );
}

#[test]
fn whole_request_failures() {
    // 5xx on a batch: fallback to single requests, counted.
    let (_, mut e, r) = one_batch(2, false);
    let out = respond(&mut e, 10, &r, Outcome::HttpStatus(502));
    let singles = sends(&out);
    assert_eq!(singles.len(), 4);
    assert!(
        singles
            .iter()
            .all(|s| s.kind.endpoint() == Endpoint::Create)
    );
    assert_eq!(
        singles.iter().flat_map(links).collect::<Vec<_>>(),
        links(&r),
        "same orderLinkIds: the resend is idempotent"
    );
    assert_eq!(e.totals().fallbacks, 1);
    // A single create answered 110072 (the batch had landed): unknown, then settled.
    let out = respond(
        &mut e,
        20,
        &singles[0],
        Outcome::Reply(Reply {
            ret_code: 110_072,
            ret_msg: "OrderLinkedID is duplicate".into(),
            ..Reply::default()
        }),
    );
    assert_eq!(state(&e, &links(&singles[0])[0]), Some(OrderState::Unknown));
    assert!(matches!(
        sends(&out)[0].kind,
        RequestKind::OpenOrders { .. }
    ));

    // Top-level retCode (not rate, not server error): fallback too.
    let (_, mut e, r) = one_batch(1, false);
    let out = respond(
        &mut e,
        10,
        &r,
        Outcome::Reply(Reply {
            ret_code: 10001,
            ret_msg: "params error".into(),
            ..Reply::default()
        }),
    );
    assert_eq!(sends(&out).len(), 2);
    assert!(logs(&out).contains("failed as a whole (retCode 10001 params error)"));

    // Timeout, transport, malformed, 10000, 10016: every order unknown.
    for outcome in [
        Outcome::Timeout,
        Outcome::Transport("connection reset".into()),
        Outcome::Malformed("eof".into()),
        Outcome::Reply(Reply {
            ret_code: 10000,
            ..Reply::default()
        }),
        Outcome::Reply(Reply {
            ret_code: 10016,
            ..Reply::default()
        }),
    ] {
        let (_, mut e, r) = one_batch(2, false);
        respond(&mut e, 10, &r, outcome.clone());
        assert_eq!(e.order_counts().unknown, 4, "{outcome:?}");
    }

    // 429 / 10006 on the whole batch: re-queued, the budget backs off.
    let (_, mut e, r) = one_batch(2, false);
    let out = respond(&mut e, 10, &r, Outcome::HttpStatus(429));
    assert!(sends(&out).is_empty(), "backing off");
    let wake = e.poll_timeout();
    assert!(wake.is_some_and(|t| t > Timestamp(10)), "{wake:?}");
    assert_eq!(e.order_counts().pending_new, 4);

    // An ack for someone else's order in our slot: ours is unknown.
    let (_, mut e, r) = one_batch(1, false);
    let Outcome::Reply(mut reply) = items(&r, &[0, 0]) else {
        unreachable!()
    };
    reply.acks[1].order_link_id = "t-999".into();
    respond(&mut e, 10, &r, Outcome::Reply(reply));
    assert_eq!(e.order_counts().live, 1);
    assert_eq!(e.order_counts().unknown, 1);
}

#[test]
fn not_open_codes_mean_gone_for_amend_and_cancel_alike() {
    // 110001 not exists, 110008 completed or cancelled, 110010 cancelled,
    // 170213 spot's not exists: the order is gone, the code in the log.
    let codes = [110_001, 110_008, 110_010, 170_213];
    for amend in [true, false] {
        let (sc, mut e, r) = one_batch(2, amend);
        answer_all(&mut e, 5, vec![r]);
        let reqs = sends(&tick(&mut e, 200, sc.books(1, Timestamp(200))));
        let cmd = &reqs[0];
        let (ep, name) = if amend {
            (Endpoint::AmendBatch, "amend")
        } else {
            (Endpoint::CancelBatch, "cancel")
        };
        assert_eq!(cmd.kind.endpoint(), ep);
        let ls = links(cmd);
        let out = respond(&mut e, 210, cmd, items(cmd, &codes));
        for (l, code) in ls.iter().zip(codes) {
            assert_eq!(state(&e, l), None, "{name} answered {code}: gone");
            assert!(
                logs(&out).contains(&format!(
                    "order {l} gone: not_open ({name} answered {code} code {code})"
                )),
                "{}",
                logs(&out)
            );
        }
        assert_eq!(e.totals().gone_by_reason.get("not_open"), Some(&4));
        assert_eq!(e.totals().rejects, 0);
    }
}

#[test]
fn spot_duplicate_create_is_settled_like_110072() {
    let (_, mut e, r) = one_batch(1, false);
    let ls = links(&r);
    let out = respond(&mut e, 10, &r, items(&r, &[0, 170_141]));
    assert_eq!(state(&e, &ls[1]), Some(OrderState::Unknown));
    assert!(sends(&out).iter().any(
        |q| matches!(&q.kind, RequestKind::OpenOrders { order_link_id: Some(l), .. } if link(l) == ls[1])
    ));
}

#[test]
fn single_requests_answered_an_unclear_http_status_are_unknown() {
    // Legacy mode: one single-order request at a time.
    let sc = Scenario::wide(1, 1);
    let legacy = |c: &mut mm_core::config::Config| c.async_batch.enabled = false;
    for (status, applied_maybe) in [
        (408, true),
        (407, true),
        (409, true),
        (400, false),
        (404, false),
    ] {
        let mut e = engine_with(&sc, legacy);
        let r = sends(&tick(&mut e, 0, sc.books(0, Timestamp(0))))[0].clone();
        assert_eq!(r.kind.endpoint(), Endpoint::Create);
        let l = links(&r)[0].clone();
        let out = respond(&mut e, 10, &r, Outcome::HttpStatus(status));
        if applied_maybe {
            assert_eq!(
                state(&e, &l),
                Some(OrderState::Unknown),
                "create http {status}"
            );
            assert!(logs(&out).contains(&format!("http {status}: 1 orders unknown, settling")));
        } else {
            assert_eq!(
                state(&e, &l),
                None,
                "create http {status}: refused for good"
            );
            assert!(logs(&out).contains(&format!("gone: rejected (http {status})")));
        }
    }
    // A cancel: unclear -> Unknown; not applied -> stays Live.
    for (status, want) in [
        (408, OrderState::Unknown),
        (502, OrderState::Unknown),
        (400, OrderState::Live),
    ] {
        let mut e = engine_with(&sc, legacy);
        let first = sends(&tick(&mut e, 0, sc.books(0, Timestamp(0))));
        answer_all(&mut e, 5, first);
        assert_eq!(e.order_counts().live, 2);
        // Far away books: both orders move; the first command is a cancel.
        let cancel = sends(&tick(&mut e, 200, sc.books(40, Timestamp(200))))[0].clone();
        assert_eq!(cancel.kind.endpoint(), Endpoint::Cancel);
        let l = links(&cancel)[0].clone();
        respond(&mut e, 210, &cancel, Outcome::HttpStatus(status));
        assert_eq!(state(&e, &l), Some(want), "cancel http {status}");
    }
}

#[test]
fn a_batch_answered_408_falls_back_in_doubt() {
    // The batch may have landed: the singles are refused as duplicates
    // (110072 -> Unknown anyway); one refused otherwise must not be dropped.
    let (_, mut e, r) = one_batch(1, false);
    let out = respond(&mut e, 10, &r, Outcome::HttpStatus(408));
    let singles = sends(&out);
    assert_eq!(singles.len(), 2);
    let l = links(&singles[0])[0].clone();
    let refused = Outcome::Reply(Reply {
        ret_code: 10001,
        ret_msg: "params error".into(),
        ..Reply::default()
    });
    respond(&mut e, 20, &singles[0], refused.clone());
    assert_eq!(
        state(&e, &l),
        Some(OrderState::Unknown),
        "in doubt: asked, not dropped"
    );
    // After a 400 nothing was applied: the refusal is final.
    let (_, mut e, r) = one_batch(1, false);
    let singles = sends(&respond(&mut e, 10, &r, Outcome::HttpStatus(400)));
    let l = links(&singles[0])[0].clone();
    respond(&mut e, 20, &singles[0], refused);
    assert_eq!(state(&e, &l), None);
}
