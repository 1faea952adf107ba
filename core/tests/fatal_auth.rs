//! Authentication failures are fatal (engine/fatal.rs): one refused request,
//! then `Fatal`, `Stopped`, and nothing more is ever sent: no fallback to
//! single requests, no cancel-all storm.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::effect::{Effect, Fatal};
use mm_core::input::{ItemCode, Outcome, Reply};
use mm_core::virtual_exchange::Driver;
use mm_core::{Input, Timestamp};

fn run_refused(code: i64) -> Driver {
    let (sc, engine, mut vx) = common::settling_seed("auth", |_| {});
    vx.refuse_credentials(code);
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    d.keep_effects = true;
    d.keep_requests = true;
    d.run_ticks(5, 200, |k, now| sc.books(k, now));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(30_000);
    d
}

#[test]
fn a_refused_key_sends_exactly_one_request_then_fatal_and_stopped() {
    for code in [10003, 10004, 10005, 33004] {
        let d = run_refused(code);
        // Until a reply shows the key is taken, one request at a time.
        assert_eq!(d.exchange.stats.requests, 1, "code {code}: {}", d.log);
        assert!(d.stopped);
        let Some(Fatal::Auth { code: got, .. }) = &d.fatal else {
            panic!("no Fatal::Auth for {code}: {}", d.log);
        };
        assert_eq!(*got, code);
        // Fatal, then Stopped, then nothing.
        let tail: Vec<&Effect> = d
            .effects
            .iter()
            .filter(|e| matches!(e, Effect::Fatal(_) | Effect::Stopped | Effect::Send(_)))
            .collect();
        assert!(
            matches!(tail[tail.len() - 2..], [Effect::Fatal(_), Effect::Stopped]),
            "{tail:?}"
        );
        assert_eq!(
            d.effects
                .iter()
                .filter(|e| matches!(e, Effect::Stopped))
                .count(),
            1
        );
        assert!(d.log.contains("the exchange refused our credentials"));
        assert!(
            d.log.contains("after Stopped ignored"),
            "later inputs ignored"
        );
    }
}

#[test]
fn http_401_and_a_per_item_auth_code_are_fatal_too() {
    let sc = mm_core::virtual_exchange::Scenario::seed();
    for outcome in [
        Outcome::HttpStatus(401),
        Outcome::Reply(Reply {
            ret_code: 0,
            ret_msg: "OK".into(),
            codes: vec![ItemCode {
                code: 10005,
                msg: "Permission denied".into(),
            }],
            ..Reply::default()
        }),
    ] {
        let mut e = common::engine(&sc);
        let out = common::tick(&mut e, 0, sc.books(0, Timestamp(0)));
        let first = common::sends(&out).remove(0);
        let out = common::respond(&mut e, 5, &first, outcome.clone());
        assert!(common::sends(&out).is_empty(), "{outcome:?}: nothing sent");
        let fatal: Vec<&Effect> = out
            .iter()
            .filter(|x| matches!(x, Effect::Fatal(_) | Effect::Stopped))
            .collect();
        assert!(
            matches!(
                fatal[..],
                [Effect::Fatal(Fatal::Auth { .. }), Effect::Stopped]
            ),
            "{outcome:?}: {fatal:?}"
        );
        assert!(e.is_stopped());
        assert_eq!(e.poll_timeout(), None, "no wake after Fatal");
        let later = common::tick(&mut e, 200, sc.books(1, Timestamp(200)));
        assert!(common::sends(&later).is_empty());
    }
}

#[test]
fn fatal_says_what_is_wrong_and_never_more_than_the_reply_said() {
    let text = Fatal::Auth {
        code: 10003,
        msg: "API key is invalid.".into(),
    }
    .to_string();
    assert!(text.contains("retCode 10003"), "{text}");
    assert!(text.contains("BYBIT_API_KEY"), "{text}");
    let text = Fatal::OrphansRefused {
        order_link_ids: (1..=12).map(|n| format!("old-{n}")).collect(),
    }
    .to_string();
    assert!(
        text.starts_with("12 open orders of an earlier session"),
        "{text}"
    );
    assert!(text.contains("old-10 and 2 more"), "{text}");
}
