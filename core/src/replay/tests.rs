//! `replay_log` (streamed) against `replay` of the decoded journal: the same
//! log bytes, input count and damage, whole or damaged, faults included.
#![allow(clippy::unwrap_used)]

use super::{replay, replay_log};
use crate::input::Input;
use crate::journal::{self, JournalHeader, Reader};
use crate::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use crate::{Engine, SessionId, Timestamp};

/// A seed session with faults (timeouts, 5xx, rate tails, malformed
/// replies...) and a shutdown, journaled with the journal's own encoder.
fn journal_bytes() -> Vec<u8> {
    let sc = Scenario::seed();
    let session = SessionId::new("streamed").unwrap();
    let engine = Engine::new(sc.config.clone(), sc.instruments.clone(), session.clone()).unwrap();
    let mut vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    let faults = [
        Fault::TimeoutApplied,
        Fault::Http(503),
        Fault::RateTail { keep: 3 },
        Fault::Malformed,
        Fault::RejectItem {
            index: 1,
            code: 10001,
        },
    ];
    for (i, f) in faults.iter().cycle().take(15).enumerate() {
        vx.script_orders(3 + 4 * i as u64, f.clone());
    }
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    d.keep_inputs = true;
    d.run_ticks(20, 200, |k, now| sc.books(k, now));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(30_000);
    d.journal(&JournalHeader {
        session_id: session,
        config: sc.config.clone(),
        instruments: sc.instruments.clone(),
    })
}

fn assert_same(bytes: &[u8]) {
    let journal = journal::decode(bytes).unwrap();
    let whole = replay(&journal).unwrap();
    let streamed = replay_log(Reader::new(bytes).unwrap()).unwrap();
    assert_eq!(streamed.log, whole.log);
    assert_eq!(streamed.inputs, journal.inputs.len());
    assert_eq!(streamed.damage, whole.damage);
    assert_eq!(streamed.end, journal.end);
}

#[test]
fn streamed_replay_gives_the_same_log_and_damage() {
    let bytes = journal_bytes();
    let journal = journal::decode(&bytes).unwrap();
    assert!(journal.is_finished());
    assert!(
        journal.inputs.len() > 100,
        "{} inputs",
        journal.inputs.len()
    );
    let log = replay(&journal).unwrap().log;
    assert!(log.contains("timeout"), "the faults were not exercised");
    assert_same(&bytes);

    // Torn in the middle of a frame, and a payload byte flipped.
    let torn = &bytes[..bytes.len() * 2 / 3];
    assert!(journal::decode(torn).unwrap().damage.is_some());
    assert_same(torn);
    let mut flipped = bytes.clone();
    let at = bytes.len() / 2;
    flipped[at] ^= 0x40;
    assert!(journal::decode(&flipped).unwrap().damage.is_some());
    assert_same(&flipped);
}
