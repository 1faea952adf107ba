//! Replay throughput (issue 6 goal: >= 1 M inputs/s): a recorded session of
//! the seed scenario (4 symbols x 5 levels a side, every price moved every
//! tick, cancel+place, fault-free, institutional tier) run on the virtual
//! exchange, journaled in memory with the journal's own encoder, then timed
//! as `journal::decode`, `replay::replay`, both together (what `mm replay`
//! does), and `replay::replay_log` (the same log, streamed), in inputs per
//! second.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mm_core::journal::{self, JournalHeader};
use mm_core::replay::{replay, replay_log};
use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{Engine, SessionId, Timestamp};

/// Ticks in the recorded session (~6 inputs each: the tick, its replies).
const TICKS: u64 = 500;

/// The session's journal bytes, its input count and its log.
fn record() -> (Vec<u8>, usize, String) {
    let sc = Scenario::seed();
    let session = SessionId::new("replaybench").unwrap();
    let engine = Engine::new(sc.config.clone(), sc.instruments.clone(), session.clone()).unwrap();
    let vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    let mut d = Driver::new(engine, vx, Timestamp(1_000_000), 10);
    d.keep_inputs = true;
    d.run_ticks(TICKS, 200, |k, now| sc.books(k, now));
    d.run_idle(10_000);
    let bytes = d.journal(&JournalHeader {
        session_id: session,
        config: sc.config.clone(),
        instruments: sc.instruments.clone(),
    });
    (bytes, d.inputs.len(), d.log)
}

fn bench(c: &mut Criterion) {
    let (bytes, n, live_log) = record();
    // The benchmark means something only if the journal replays the
    // session exactly: same inputs, same log bytes.
    let journal = journal::decode(&bytes).unwrap();
    assert!(journal.damage.is_none());
    assert_eq!(journal.inputs.len(), n);
    assert_eq!(replay(&journal).unwrap().log, live_log);
    assert_eq!(
        replay_log(journal::Reader::new(&bytes).unwrap())
            .unwrap()
            .log,
        live_log
    );
    eprintln!(
        "replay bench: {n} inputs, {} journal bytes, {} log bytes",
        bytes.len(),
        live_log.len()
    );

    let mut g = c.benchmark_group("replay (seed scenario session)");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("decode", |b| {
        b.iter(|| journal::decode(black_box(&bytes)).unwrap());
    });
    g.bench_function("replay (engine, decoded journal)", |b| {
        b.iter(|| replay(black_box(&journal)).unwrap());
    });
    g.bench_function("decode + replay", |b| {
        b.iter(|| replay(&journal::decode(black_box(&bytes)).unwrap()).unwrap());
    });
    // What `mm replay` needs (the log), streamed input by input.
    g.bench_function("decode + replay, streamed log (replay_log)", |b| {
        b.iter(|| replay_log(journal::Reader::new(black_box(&bytes)).unwrap()).unwrap());
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
