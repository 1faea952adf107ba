//! The journal codec and the replay path: round trips, damage named by frame
//! and offset (never a panic), and a replay that reproduces the live log.
#![allow(clippy::unwrap_used)]

use mm_core::config::Config;
use mm_core::input::{
    Ack, ExchangeOrder, Execution, ItemCode, Listing, ListingRows, OrderUpdate, Outcome, Position,
    RateLimitStatus, Reply, Stream,
};
use mm_core::journal::{
    Encoder, FORMAT_VERSION, FRAME_HEAD_LEN, Journal, JournalHeader, MAGIC, MAX_FRAME_LEN,
    PREAMBLE_LEN, Reader, SessionEnd, decode,
};
use mm_core::replay::replay;
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use mm_core::{BookTop, Engine, Input, RequestId, SessionId, Timestamp};

fn header() -> JournalHeader {
    let sc = Scenario::seed();
    JournalHeader {
        session_id: SessionId::new("jtest01").unwrap(),
        config: sc.config,
        instruments: sc.instruments,
    }
}

/// One input of every kind, and every outcome kind, with non-default fields.
fn every_input() -> Vec<Input> {
    let t = Timestamp(1_700_000_000_000);
    let reply = Reply {
        ret_code: 0,
        ret_msg: "OK".into(),
        acks: vec![
            Ack {
                order_id: "1001".into(),
                order_link_id: "jtest01-1".into(),
            },
            Ack::default(),
        ],
        codes: vec![
            ItemCode {
                code: 0,
                msg: "OK".into(),
            },
            ItemCode {
                code: 110_001,
                msg: "order not exists or too late to cancel".into(),
            },
        ],
        orders: vec![ExchangeOrder {
            order_id: "1001".into(),
            order_link_id: "jtest01-1".into(),
            symbol: "BTCUSDT".into(),
            side: "Buy".into(),
            price: "59990.5".into(),
            qty: "0.001".into(),
            leaves_qty: "0.001".into(),
            status: "New".into(),
            reject_reason: "EC_NoError".into(),
        }],
        next_cursor: Some("page2".to_string()),
        rate_limit: Some(RateLimitStatus {
            limit: 10,
            remaining: 7,
            reset_ms: t.plus_ms(1000),
        }),
    };
    let mut changed = Config::default();
    changed.async_batch.enabled = false;
    changed.quoting.symbols = vec!["BTCUSDT".to_string(), "ETHUSDT".to_string()];
    let outcomes = [
        Outcome::Reply(reply),
        Outcome::Reply(Reply::default()),
        Outcome::Timeout,
        Outcome::Transport("connection reset by peer".to_string()),
        Outcome::HttpStatus(503),
        Outcome::Malformed("expected `retCode` at line 1".to_string()),
        Outcome::Listing(Listing {
            rows: ListingRows::Executions(vec![execution()]),
            next_cursor: Some("page_args%3D100%26".to_string()),
            rate_limit: Some(RateLimitStatus {
                limit: 50,
                remaining: 49,
                reset_ms: t.plus_ms(1000),
            }),
        }),
        Outcome::Listing(Listing {
            rows: ListingRows::Positions(vec![position(), Position::default()]),
            next_cursor: None,
            rate_limit: None,
        }),
    ];
    let mut inputs = vec![
        Input::Tick {
            now_ms: t,
            books: vec![
                BookTop {
                    symbol: "BTCUSDT".into(),
                    bid: "59999.9".into(),
                    ask: "60000.1".into(),
                    received_ms: t,
                },
                BookTop {
                    symbol: "ETHUSDT".into(),
                    bid: "".into(),
                    ask: "not a price".into(),
                    received_ms: Timestamp(0),
                },
            ],
        },
        Input::Tick {
            now_ms: t,
            books: vec![],
        },
    ];
    for (i, outcome) in outcomes.into_iter().enumerate() {
        inputs.push(Input::Response {
            now_ms: t.plus_ms(i as u64),
            request_id: RequestId(u64::MAX - i as u64),
            outcome,
        });
    }
    inputs.extend(stream_inputs(t.plus_ms(40)));
    inputs.push(Input::Wake {
        now_ms: t.plus_ms(50),
    });
    inputs.push(Input::ConfigChanged {
        now_ms: t.plus_ms(60),
        config: Box::new(changed),
    });
    inputs.push(Input::Shutdown {
        now_ms: Timestamp(u64::MAX),
    });
    inputs
}

fn execution() -> Execution {
    Execution {
        symbol: "BTCUSDT".into(),
        order_id: "9aac161b-8ed6-450d-9cab-c5cc67c21784".into(),
        order_link_id: "jtest01-1".into(),
        side: "Sell".into(),
        exec_id: "0ab1bdf7-4219-438b-b30a-32ec863018f7".into(),
        exec_price: "95900.1".into(),
        exec_qty: "0.5".into(),
        exec_type: "Trade".into(),
        leaves_qty: "0".into(),
        exec_time: "1746270400353".into(),
        is_maker: true,
        seq: 140_612_148_849_382,
    }
}

fn position() -> Position {
    Position {
        symbol: "BTCUSDT".into(),
        side: "Sell".into(),
        size: "0.5".into(),
        position_idx: 2,
        seq: -1,
        updated_time: "1697682317038".into(),
    }
}

/// One input of every stream kind, with non-default fields.
fn stream_inputs(t: Timestamp) -> Vec<Input> {
    vec![
        Input::StreamState {
            now_ms: t,
            stream: Stream::Private,
            up: true,
        },
        Input::OrderUpdates {
            now_ms: t.plus_ms(1),
            orders: vec![
                OrderUpdate {
                    symbol: "BTCUSDT".into(),
                    order_id: "1001".into(),
                    order_link_id: "jtest01-1".into(),
                    side: "Buy".into(),
                    price: "59990.5".into(),
                    qty: "0.003".into(),
                    leaves_qty: "0".into(),
                    cum_exec_qty: "0.003".into(),
                    avg_price: "59990.5".into(),
                    status: "Filled".into(),
                    cancel_type: "UNKNOWN".into(),
                    reject_reason: "EC_NoError".into(),
                    updated_time: "1697682317038".into(),
                },
                OrderUpdate::default(),
            ],
        },
        Input::Executions {
            now_ms: t.plus_ms(2),
            executions: vec![execution(), Execution::default()],
        },
        Input::Positions {
            now_ms: t.plus_ms(3),
            positions: vec![position()],
        },
        Input::StreamState {
            now_ms: t.plus_ms(4),
            stream: Stream::Public,
            up: false,
        },
    ]
}

/// The header alone: magic, version, header frame.
fn encode_header(header: &JournalHeader) -> Vec<u8> {
    Encoder::new(header).1
}

fn stopped() -> SessionEnd {
    SessionEnd {
        ended: "stopped".to_string(),
    }
}

/// The bytes of an unfinished journal (no end frame) and the offset where
/// each input frame starts (plus the end, so `bounds[i]..bounds[i + 1]` is
/// frame i + 1).
fn journal_bytes(header: &JournalHeader, inputs: &[Input]) -> (Vec<u8>, Vec<usize>) {
    let (mut enc, mut bytes) = Encoder::new(header);
    let mut bounds = vec![bytes.len()];
    for input in inputs {
        bytes.extend_from_slice(&enc.input(input));
        bounds.push(bytes.len());
    }
    (bytes, bounds)
}

/// `journal_bytes` with the end-of-session frame as its last frame.
fn finished_bytes(header: &JournalHeader, inputs: &[Input]) -> (Vec<u8>, Vec<usize>) {
    let (mut enc, mut bytes) = Encoder::new(header);
    let mut bounds = vec![bytes.len()];
    for input in inputs {
        bytes.extend_from_slice(&enc.input(input));
        bounds.push(bytes.len());
    }
    bytes.extend_from_slice(&enc.end(&stopped()));
    bounds.push(bytes.len());
    (bytes, bounds)
}

#[test]
fn every_input_kind_round_trips() {
    let header = header();
    let inputs = every_input();
    let (bytes, _) = finished_bytes(&header, &inputs);
    let journal = decode(&bytes).unwrap();
    assert_eq!(journal.header, header);
    assert_eq!(journal.inputs, inputs);
    assert_eq!(journal.damage, None);
    assert_eq!(journal.end, Some(stopped()));
    assert!(journal.is_finished());
    // The ConfigChanged's config came back whole, through its TOML text.
    let Some(Input::ConfigChanged { config, .. }) = journal.inputs.get(inputs.len() - 2) else {
        panic!("ConfigChanged is not where it was written");
    };
    assert!(!config.async_batch.enabled);
    assert_eq!(config.quoting.symbols, ["BTCUSDT", "ETHUSDT"]);
}

#[test]
fn a_journal_cut_inside_a_stream_input_names_the_cut() {
    let header = header();
    let inputs = stream_inputs(Timestamp(1_700_000_000_000));
    let (bytes, bounds) = journal_bytes(&header, &inputs);
    // Inside the executions frame (the third input).
    let cut = bounds[2] + (bounds[3] - bounds[2]) / 2;
    let journal = decode(&bytes[..cut]).unwrap();
    assert_eq!(journal.inputs, inputs[..2]);
    let damage = journal.damage.expect("a torn frame is damage");
    assert_eq!((damage.frame, damage.offset), (3, bounds[2] as u64));
    assert!(damage.to_string().contains("truncated"), "{damage}");
}

#[test]
fn layout_is_as_documented() {
    let header = header();
    let (mut enc, bytes) = Encoder::new(&header);
    assert_eq!(&bytes[..4], b"MMJ1");
    assert_eq!(bytes[4..6], FORMAT_VERSION.to_le_bytes());
    assert_eq!(FORMAT_VERSION, 2);
    let len = u32::from_le_bytes(bytes[6..10].try_into().unwrap()) as usize;
    let crc = u32::from_le_bytes(bytes[10..14].try_into().unwrap());
    assert_eq!(bytes.len(), PREAMBLE_LEN + FRAME_HEAD_LEN + len);
    assert_eq!(crc, crc32fast::hash(&bytes[14..]));
    // Segment 0's header: session id, segment 0, first seq 0, origin 0,
    // then the setup (present).
    let sid = postcard::to_stdvec(&header.session_id).unwrap();
    assert_eq!(&bytes[14..14 + sid.len()], &sid[..]);
    assert_eq!(&bytes[14 + sid.len()..14 + sid.len() + 4], &[0, 0, 0, 1]);

    // A record: varint seq, then 0 and the input (1 and the end frame).
    let wake = Input::Wake {
        now_ms: Timestamp(5),
    };
    for seq in 0..200u64 {
        let frame = enc.input(&wake);
        let len = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(frame.len(), FRAME_HEAD_LEN + len);
        let mut want = postcard::to_stdvec(&seq).unwrap();
        want.push(0);
        want.extend_from_slice(&postcard::to_stdvec(&wake).unwrap());
        assert_eq!(&frame[FRAME_HEAD_LEN..], &want[..], "seq {seq}");
    }
    let frame = enc.end(&stopped());
    let mut want = postcard::to_stdvec(&200u64).unwrap();
    want.push(1);
    want.extend_from_slice(&postcard::to_stdvec(&stopped()).unwrap());
    assert_eq!(&frame[FRAME_HEAD_LEN..], &want[..]);

    // A later segment's header: segment 1, its first seq, segment 0's
    // header CRC as origin, no setup.
    let next = enc.next_segment();
    let mut want = sid.clone();
    want.push(1);
    want.extend_from_slice(&postcard::to_stdvec(&201u64).unwrap());
    want.extend_from_slice(&postcard::to_stdvec(&crc).unwrap());
    want.push(0);
    assert_eq!(&next[..6], &bytes[..6]);
    assert_eq!(&next[14..], &want[..]);
}

#[test]
fn header_only_journal_has_no_inputs_and_no_damage() {
    let journal = decode(&encode_header(&header())).unwrap();
    assert!(journal.inputs.is_empty());
    assert_eq!(journal.damage, None);
}

#[test]
fn truncation_at_every_offset_keeps_the_good_prefix_and_names_the_cut() {
    let header = header();
    let inputs = every_input();
    let (bytes, bounds) = finished_bytes(&header, &inputs);
    for cut in 0..=bytes.len() {
        let result = decode(&bytes[..cut]);
        if cut < bounds[0] {
            let err = result.expect_err("a cut header must be refused");
            assert_eq!(err.frame, 0, "cut {cut}: {err}");
            assert!(err.offset <= cut as u64, "cut {cut}: {err}");
            assert!(err.reason.contains("truncated"), "cut {cut}: {err}");
            continue;
        }
        let journal = result.unwrap_or_else(|e| panic!("cut {cut}: {e}"));
        // Frames wholly before the cut decode, the rest do not.
        let whole = bounds.iter().filter(|&&b| b <= cut).count() - 1;
        assert_eq!(
            journal.inputs,
            inputs[..whole.min(inputs.len())],
            "cut {cut}"
        );
        // Only the whole journal is finished; any cut, even at a frame
        // boundary, is unfinished (or damaged, within a frame).
        assert_eq!(journal.end.is_some(), cut == bytes.len(), "cut {cut}");
        if bounds.contains(&cut) {
            assert_eq!(journal.damage, None, "cut {cut} is on a frame boundary");
        } else {
            let damage = journal.damage.expect("a torn frame is damage");
            assert_eq!(damage.frame, whole as u64 + 1, "cut {cut}: {damage}");
            assert_eq!(damage.offset, bounds[whole] as u64, "cut {cut}: {damage}");
            assert!(damage.reason.contains("truncated"), "cut {cut}: {damage}");
        }
    }
}

#[test]
fn every_flipped_bit_is_caught_at_its_frame() {
    let header = header();
    let inputs = every_input();
    let (bytes, bounds) = finished_bytes(&header, &inputs);
    for pos in 0..bytes.len() {
        for bit in 0..8 {
            let mut bad = bytes.clone();
            bad[pos] ^= 1 << bit;
            let result = decode(&bad);
            if pos < bounds[0] {
                let err = result.expect_err("a damaged header must be refused");
                assert_eq!(err.frame, 0, "byte {pos} bit {bit}: {err}");
                continue;
            }
            let frame = bounds.iter().filter(|&&b| b <= pos).count();
            let journal = result.unwrap_or_else(|e| panic!("byte {pos} bit {bit}: {e}"));
            assert_eq!(
                journal.inputs,
                inputs[..(frame - 1).min(inputs.len())],
                "byte {pos} bit {bit}"
            );
            let damage = journal.damage.expect("a flipped bit is damage");
            assert_eq!(damage.frame, frame as u64, "byte {pos} bit {bit}: {damage}");
            assert_eq!(
                damage.offset,
                bounds[frame - 1] as u64,
                "byte {pos} bit {bit}: {damage}"
            );
            // A bit flipped in the payload or the CRC is a checksum mismatch;
            // in the length it is one of the length errors (or a mismatch).
            let in_length = pos < bounds[frame - 1] + 4;
            if !in_length {
                assert!(
                    damage.reason.contains("checksum mismatch"),
                    "byte {pos} bit {bit}: {damage}"
                );
            }
        }
    }
}

#[test]
fn wrong_magic_is_named() {
    let mut bytes = encode_header(&header());
    bytes[..4].copy_from_slice(b"PK\x03\x04");
    let err = decode(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "journal: frame 0 at byte offset 0: not a journal: starts with \"PK\\x03\\x04\" \
         where the magic \"MMJ1\" belongs"
    );
    let err = decode(b"").unwrap_err();
    assert_eq!(
        err.to_string(),
        "journal: frame 0 at byte offset 0: truncated: 0 bytes, a journal starts with the magic \"MMJ1\""
    );
}

#[test]
fn wrong_version_is_named() {
    let mut bytes = encode_header(&header());
    bytes[4..6].copy_from_slice(&7u16.to_le_bytes());
    let err = decode(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "journal: frame 0 at byte offset 4: format version 7 is not supported \
         (this build reads version 2)"
    );
    // A journal of format 1 (before sequence numbers and end frames).
    bytes[4..6].copy_from_slice(&1u16.to_le_bytes());
    let err = decode(&bytes).unwrap_err();
    assert!(
        err.reason
            .contains("format version 1 is not supported (this build reads version 2)"),
        "{err}"
    );
    let err = decode(&MAGIC).unwrap_err();
    assert_eq!(
        err.to_string(),
        "journal: frame 0 at byte offset 4: truncated: 4 bytes, the format version needs bytes 4 and 5"
    );
}

/// A frame with a valid checksum around `payload`.
fn raw_frame(len: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

#[test]
fn absurd_length_is_damage_not_a_wait() {
    let header = header();
    let good = Input::Wake {
        now_ms: Timestamp(1),
    };
    let (mut bytes, bounds) = journal_bytes(&header, std::slice::from_ref(&good));
    bytes.extend_from_slice(&raw_frame(u32::MAX, b""));
    let journal = decode(&bytes).unwrap();
    assert_eq!(journal.inputs, [good]);
    let damage = journal.damage.unwrap();
    assert_eq!(
        damage.to_string(),
        format!(
            "journal: frame 2 at byte offset {}: frame length 4294967295 exceeds the limit of \
             {MAX_FRAME_LEN} bytes (corrupt length)",
            bounds[1]
        )
    );
}

#[test]
fn checksummed_garbage_is_a_decode_error() {
    let header = header();
    let (mut bytes, bounds) = journal_bytes(&header, &[]);
    // Variant index 9 does not exist.
    bytes.extend_from_slice(&raw_frame(1, &[9]));
    let damage = decode(&bytes).unwrap().damage.unwrap();
    assert_eq!((damage.frame, damage.offset), (1, bounds[0] as u64));
    assert!(
        damage.reason.starts_with("payload does not decode"),
        "{damage}"
    );

    // A whole record (seq 0, an input) followed by bytes the frame should
    // not hold.
    let mut payload = vec![0, 0];
    payload.extend_from_slice(
        &postcard::to_stdvec(&Input::Wake {
            now_ms: Timestamp(3),
        })
        .unwrap(),
    );
    payload.extend_from_slice(&[0, 0]);
    let (mut bytes, _) = journal_bytes(&header, &[]);
    bytes.extend_from_slice(&raw_frame(payload.len() as u32, &payload));
    let damage = decode(&bytes).unwrap().damage.unwrap();
    assert_eq!(
        damage.reason, "payload has 2 trailing bytes after the record",
        "{damage}"
    );

    // An empty frame (what a failed encode writes) is refused, not skipped.
    let (mut bytes, _) = journal_bytes(&header, &[]);
    bytes.extend_from_slice(&raw_frame(0, b""));
    let damage = decode(&bytes).unwrap().damage.unwrap();
    assert_eq!(damage.frame, 1);
}

#[test]
fn damaged_header_frame_is_an_error_with_offset() {
    let mut bytes = encode_header(&header());
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    let err = decode(&bytes).unwrap_err();
    assert_eq!((err.frame, err.offset), (0, PREAMBLE_LEN as u64));
    assert!(err.reason.starts_with("header checksum mismatch"), "{err}");
}

#[test]
fn invalid_session_id_in_header_is_refused() {
    // The derive does not validate: build a header whose id is invalid by
    // editing the bytes of a valid one (id length prefix + text).
    let bytes = encode_header(&header());
    let mut payload = bytes[PREAMBLE_LEN + FRAME_HEAD_LEN..].to_vec();
    assert_eq!(&payload[1..8], b"jtest01");
    payload[1..8].copy_from_slice(b"jt-st01");
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&raw_frame(payload.len() as u32, &payload));
    let err = decode(&bytes).unwrap_err();
    assert!(err.reason.contains("invalid session id"), "{err}");
}

#[test]
fn reader_yields_what_decode_collects() {
    let header = header();
    let inputs = every_input();
    let (bytes, bounds) = journal_bytes(&header, &inputs);
    let cut = bounds[3] + 5;
    let reader = Reader::new(&bytes[..cut]).unwrap();
    assert_eq!(reader.header(), &header);
    assert_eq!(reader.offset(), bounds[0] as u64);
    let items: Vec<_> = reader.collect();
    assert_eq!(items.len(), 4);
    let decoded = decode(&bytes[..cut]).unwrap();
    for (item, input) in items.iter().zip(&decoded.inputs) {
        assert_eq!(item.as_ref().unwrap(), input);
    }
    assert_eq!(
        items[3].as_ref().unwrap_err(),
        decoded.damage.as_ref().unwrap()
    );
}

#[test]
fn random_bytes_never_panic() {
    // A cheap deterministic generator: the proptest version lives in the testkit.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let header = encode_header(&header());
    for n in 0..2000usize {
        let mut bytes = if n % 2 == 0 {
            header.clone()
        } else {
            Vec::new()
        };
        for _ in 0..(n % 97) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(x as u8);
        }
        match decode(&bytes) {
            Ok(j) => {
                if let Some(d) = j.damage {
                    assert!(d.offset <= bytes.len() as u64, "{d}");
                }
            }
            Err(e) => assert!(e.offset <= bytes.len() as u64, "{e}"),
        }
    }
}

// ---- replay ----

/// A short seed-scenario run with faults (so the engine logs), recorded as a
/// journal, plus the log the live run wrote.
fn recorded() -> (Vec<u8>, String) {
    let sc = Scenario::seed();
    let session = SessionId::new("jtest01").unwrap();
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
    d.run_ticks(12, 200, |k, now| sc.books(k, now));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(60_000);
    let header = JournalHeader {
        session_id: session,
        config: sc.config,
        instruments: sc.instruments,
    };
    let (bytes, _) = journal_bytes(&header, &d.inputs);
    (bytes, d.log)
}

#[test]
fn replay_reproduces_the_live_log_three_times() {
    let (bytes, live_log) = recorded();
    let journal = decode(&bytes).unwrap();
    assert_eq!(journal.damage, None);
    let runs: Vec<_> = (0..3).map(|_| replay(&journal).unwrap()).collect();
    assert!(!runs[0].log.is_empty(), "the run should have logged");
    assert!(runs[0].effects.len() > journal.inputs.len());
    for run in &runs[1..] {
        assert_eq!(run.log.as_bytes(), runs[0].log.as_bytes());
        assert_eq!(run.effects, runs[0].effects);
    }
    assert_eq!(runs[0].log, live_log, "replay differs from the live log");
    assert!(
        runs[0]
            .effects
            .iter()
            .any(|e| matches!(e, mm_core::Effect::Stopped))
    );
}

#[test]
fn replay_of_a_torn_journal_replays_the_prefix_and_carries_the_damage() {
    let (bytes, live_log) = recorded();
    let cut = bytes.len() - 3;
    let journal = decode(&bytes[..cut]).unwrap();
    let damage = journal.damage.clone().unwrap();
    let replayed = replay(&journal).unwrap();
    assert_eq!(replayed.damage, Some(damage));
    assert!(live_log.starts_with(&replayed.log));
}

#[test]
fn replay_refuses_an_invalid_config() {
    let mut header = header();
    header.config.async_batch.max_batch_size = 50;
    let journal = Journal {
        header,
        inputs: vec![],
        damage: None,
        end: None,
    };
    let err = replay(&journal).unwrap_err().to_string();
    assert!(err.contains("async_batch.max_batch_size"), "{err}");
}
