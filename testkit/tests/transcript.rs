//! The transcript renderer on a session recorded in memory (the virtual
//! exchange, with faults): one replay path, stable text, errors rendered.
#![allow(clippy::unwrap_used)]

use mm_core::journal::JournalHeader;
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use mm_core::{Engine, Input, SessionId, Timestamp};
use mm_testkit::{encode_journal, replay_bytes, transcript_bytes};

/// A short seed-scenario session with a 5xx batch, an applied timeout and a
/// per-order reject, a config change and a shutdown; and its live log.
fn recorded() -> (Vec<u8>, String) {
    let sc = Scenario::seed();
    let session = SessionId::new("tk").unwrap();
    let engine = Engine::new(sc.config.clone(), sc.instruments.clone(), session.clone()).unwrap();
    let mut exchange = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    exchange.script_orders(3, Fault::Http(503));
    exchange.script_orders(6, Fault::TimeoutApplied);
    exchange.script_orders(
        9,
        Fault::RejectItem {
            index: 1,
            code: 110_007,
        },
    );
    let mut d = Driver::new(engine, exchange, Timestamp(1_700_000_000_000), 20);
    d.keep_inputs = true;
    d.run_ticks(6, 200, |k, now| sc.books(k, now));
    let mut amend = sc.config.clone();
    amend.quoting.reprice = mm_core::config::Reprice::Amend;
    amend.async_batch.max_batch_size = 10;
    d.feed(Input::ConfigChanged {
        now_ms: d.now,
        config: Box::new(amend),
    });
    d.run_ticks(4, 200, |k, now| sc.books(k + 6, now));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(60_000);
    assert!(d.stopped);
    let header = JournalHeader {
        session_id: session,
        config: sc.config,
        instruments: sc.instruments,
    };
    (encode_journal(&header, &d.inputs), d.log)
}

#[test]
fn the_testkit_replay_is_core_replay() {
    let (bytes, live_log) = recorded();
    let session = replay_bytes(&bytes).unwrap();
    let core = mm_core::replay::replay(&session.journal).unwrap();
    assert_eq!(session.replayed, core);
    assert_eq!(session.replayed.log, live_log);
}

#[test]
fn transcript_is_stable_and_relative() {
    let (bytes, _) = recorded();
    let a = transcript_bytes(&bytes);
    let b = transcript_bytes(&bytes);
    assert_eq!(a, b);
    // No absolute time leaks: the session started at 1_700_000_000_000.
    assert!(!a.contains("1700000"), "absolute time in transcript");
    // No Debug dumps.
    for needle in ["{ ", "Some(", "None", "Timestamp(", "RequestId("] {
        assert!(!a.contains(needle), "Debug output {needle:?} in transcript");
    }
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(lines[0], "session tk");
    let first_tick = "      0 tick BTCUSDT 59999.9/60000.1 ETHUSDT 2999.99/3000.01 \
                      SOLUSDT 149.999/150.001 XRPUSDT 2.4999/2.5001";
    assert!(lines.contains(&first_tick), "{}", &a[..2000]);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("reply r") && l.ends_with(" http 503"))
    );
    assert!(lines.iter().any(|l| l.ends_with(" timeout")));
    assert!(lines.iter().any(|l| l.contains(" 110007 ")));
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("tick_done #1 started +"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == "quoting.reprice: \"cancel_place\" -> \"amend\"")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == "async_batch.max_batch_size: 20 -> 10")
    );
    assert!(lines.iter().any(|l| l.trim() == "stopped"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("send r") && l.contains("amend_batch"))
    );
    assert!(lines.last().unwrap().starts_with("end: "));
}

#[test]
fn errors_are_rendered_not_panicked() {
    let t = transcript_bytes(b"PK\x03\x04 not a journal");
    assert_eq!(
        t,
        "error: journal: journal: frame 0 at byte offset 0: not a journal: starts with \
         \"PK\\x03\\x04\" where the magic \"MMJ1\" belongs\nend: 0 inputs, 0 effects\n"
    );
    let (bytes, _) = recorded();
    let t = transcript_bytes(&bytes[..bytes.len() - 1]);
    let last: Vec<&str> = t.lines().rev().take(2).collect();
    assert!(
        last[1].starts_with("damage: journal: frame "),
        "{}",
        last[1]
    );
    assert!(last[1].contains("payload truncated"), "{}", last[1]);
    let t = mm_testkit::transcript_file("/nonexistent/x.mmj".as_ref());
    assert!(t.starts_with("error: read: /nonexistent/x.mmj: "), "{t}");
}

#[test]
#[ignore = "prints a transcript for reading"]
fn print_transcript() {
    let (bytes, _) = recorded();
    print!("{}", transcript_bytes(&bytes));
}

/// Every input and outcome kind renders as one plain line, exactly.
#[test]
fn every_kind_renders_exactly() {
    use mm_core::input::{Ack, ExchangeOrder, ItemCode, RateLimitStatus, Reply};
    use mm_core::{BookTop, Outcome, RequestId};
    let t0 = Timestamp(5_000);
    let mut t = mm_testkit::Transcript::new();
    t.input(&Input::Tick {
        now_ms: t0,
        books: vec![BookTop {
            symbol: "BTCUSDT".into(),
            bid: "".into(),
            ask: "6e4\n".into(),
            received_ms: Timestamp(4_990),
        }],
    });
    let reply = Reply {
        ret_code: 0,
        ret_msg: "OK".into(),
        acks: vec![
            Ack::default(),
            Ack {
                order_id: "9".into(),
                order_link_id: "s-2".into(),
            },
        ],
        codes: vec![
            ItemCode {
                code: 110_007,
                msg: "no \"money\"".into(),
            },
            ItemCode {
                code: 0,
                msg: "OK".into(),
            },
        ],
        orders: vec![ExchangeOrder {
            order_link_id: "s-2".into(),
            symbol: "BTCUSDT".into(),
            side: "Buy".into(),
            price: "59990.5".into(),
            qty: "0.001".into(),
            leaves_qty: "0.001".into(),
            status: "New".into(),
            reject_reason: "EC_NoError".into(),
            ..ExchangeOrder::default()
        }],
        next_cursor: Some("c2".into()),
        rate_limit: Some(RateLimitStatus {
            limit: 10,
            remaining: 3,
            reset_ms: Timestamp(5_900),
        }),
    };
    let outcomes = [
        Outcome::Reply(reply),
        Outcome::Timeout,
        Outcome::Transport("reset\tby peer".into()),
        Outcome::HttpStatus(503),
        Outcome::Malformed("EOF".into()),
    ];
    for (i, outcome) in outcomes.into_iter().enumerate() {
        t.input(&Input::Response {
            now_ms: t0.plus_ms(10 * i as u64),
            request_id: RequestId(i as u64 + 1),
            outcome,
        });
    }
    t.input(&Input::Wake {
        now_ms: Timestamp(4_000),
    });
    t.input(&Input::Shutdown {
        now_ms: t0.plus_ms(100),
    });
    let expected = r#"      0 tick BTCUSDT ""/"6e4\n" (age 10)
      0 reply r1 retCode 0 "OK" 2 items: 1 ok, 1 failed 1 open next_cursor "c2"; limit 10 left 3 reset +900
              [0] (no link) 110007 "no \"money\""
              BTCUSDT Buy 59990.5 x 0.001 leaves 0.001 New s-2
     10 reply r2 timeout
     20 reply r3 transport error "reset\tby peer"
     30 reply r4 http 503
     40 reply r5 malformed "EOF"
  -1000 wake
    100 shutdown
end: 8 inputs, 0 effects
"#;
    assert_eq!(t.finish(), expected);
}

#[test]
fn stream_inputs_and_listings_render_one_item_a_line() {
    use mm_core::input::{
        Execution, Listing, ListingRows, OrderUpdate, Outcome, Position, RequestId, Stream,
    };
    let mut t = mm_testkit::Transcript::new();
    let t0 = Timestamp(5_000);
    t.input(&Input::StreamState {
        now_ms: t0,
        stream: Stream::Private,
        up: true,
    });
    t.input(&Input::OrderUpdates {
        now_ms: t0.plus_ms(1),
        orders: vec![OrderUpdate {
            symbol: "BTCUSDT".into(),
            order_id: "o9".into(),
            order_link_id: "s-2".into(),
            side: "Buy".into(),
            price: "59990.5".into(),
            qty: "0.003".into(),
            leaves_qty: "0".into(),
            cum_exec_qty: "0.003".into(),
            avg_price: "59990.5".into(),
            status: "Cancelled".into(),
            cancel_type: "CancelByAdmin".into(),
            reject_reason: "EC_NoError".into(),
            updated_time: "1700000000001".into(),
        }],
    });
    let x = Execution {
        symbol: "BTCUSDT".into(),
        order_id: "o9".into(),
        order_link_id: "".into(),
        side: "Sell".into(),
        exec_id: "e-1".into(),
        exec_price: "60000.1".into(),
        exec_qty: "0.001".into(),
        exec_type: "".into(),
        leaves_qty: "".into(),
        exec_time: "1700000000002".into(),
        is_maker: true,
        seq: 77,
    };
    t.input(&Input::Executions {
        now_ms: t0.plus_ms(2),
        executions: vec![x.clone()],
    });
    let p = Position {
        symbol: "BTCUSDT".into(),
        side: "Sell".into(),
        size: "0.001".into(),
        position_idx: 0,
        seq: 77,
        updated_time: "1700000000003".into(),
    };
    t.input(&Input::Positions {
        now_ms: t0.plus_ms(3),
        positions: vec![p.clone()],
    });
    t.input(&Input::Response {
        now_ms: t0.plus_ms(4),
        request_id: RequestId(3),
        outcome: Outcome::Listing(Listing {
            rows: ListingRows::Executions(vec![Execution {
                exec_type: "Funding".into(),
                ..x
            }]),
            next_cursor: Some("c1".into()),
            rate_limit: None,
        }),
    });
    t.input(&Input::Response {
        now_ms: t0.plus_ms(5),
        request_id: RequestId(4),
        outcome: Outcome::Listing(Listing {
            rows: ListingRows::Positions(vec![p]),
            next_cursor: None,
            rate_limit: None,
        }),
    });
    let expected = r#"      0 private stream up
      1 order updates 1
              s-2 BTCUSDT Buy 59990.5 x 0.003 leaves 0 filled 0.003 avg 59990.5 Cancelled cancel "CancelByAdmin" id "o9" at "1700000000001"
      2 executions 1
              (no link) BTCUSDT Sell 0.001 @ 60000.1 leaves "" exec "e-1" seq 77 at "1700000000002" id "o9" maker
      3 positions 1
              BTCUSDT "Sell" 0.001 seq 77 at "1700000000003"
      4 reply r3 executions 1 next_cursor "c1"
              (no link) BTCUSDT Sell 0.001 @ 60000.1 leaves "" exec "e-1" seq 77 at "1700000000002" type "Funding" id "o9" maker
      5 reply r4 positions 1
              BTCUSDT "Sell" 0.001 seq 77 at "1700000000003"
end: 6 inputs, 0 effects
"#;
    assert_eq!(t.finish(), expected);
}
