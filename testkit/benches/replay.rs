//! Replay throughput on the recorded sessions: every journal in
//! `snapshots/sessions/` (real `mm run` recordings, all of them together),
//! timed as `journal::decode`, `replay::replay` of the decoded journals, and
//! both (what `mm replay` does), in inputs per second
//! (`Throughput::Elements` = inputs). core's own `benches/replay.rs` times a
//! synthetic seed-scenario session; this one times what was recorded.
//!
//!     CARGO_TARGET_DIR=/tmp/tgt-testkit cargo bench -p mm-testkit
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mm_core::journal::{self, Journal};
use mm_core::replay::replay;

/// A session's name, journal bytes and decoded journal.
type Recorded = (String, Vec<u8>, Journal);

/// Every recorded session this build can replay, and those it cannot, with
/// the reason (a recording older than a change to core's rules, until it is
/// re-recorded): reported, not timed.
fn sessions() -> (Vec<Recorded>, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots/sessions");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mmj"))
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no recorded session in {}",
        dir.display()
    );
    let (mut ok, mut refused) = (Vec::new(), Vec::new());
    for p in paths {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&p).unwrap();
        let journal = match journal::decode(&bytes) {
            Ok(j) if j.damage.is_none() => j,
            Ok(j) => {
                refused.push(format!("{name}: damaged: {:?}", j.damage));
                continue;
            }
            Err(e) => {
                refused.push(format!("{name}: {e}"));
                continue;
            }
        };
        // A journal whose config core now refuses would time an error path.
        if let Err(e) = replay(&journal) {
            refused.push(format!("{name}: {e}"));
            continue;
        }
        ok.push((name, bytes, journal));
    }
    (ok, refused)
}

fn bench(c: &mut Criterion) {
    let (all, refused) = sessions();
    for r in &refused {
        eprintln!("  NOT BENCHED (this build cannot replay it): {r}");
    }
    assert!(!all.is_empty(), "no recorded session this build can replay");
    let inputs: usize = all.iter().map(|(_, _, j)| j.inputs.len()).sum();
    let bytes: usize = all.iter().map(|(_, b, _)| b.len()).sum();
    for (name, b, j) in &all {
        eprintln!("  {name}: {} inputs, {} bytes", j.inputs.len(), b.len());
    }
    eprintln!(
        "replay bench: {} recorded sessions, {inputs} inputs, {bytes} journal bytes",
        all.len()
    );

    let mut g = c.benchmark_group(format!(
        "recorded sessions ({} of {} journals)",
        all.len(),
        all.len() + refused.len()
    ));
    g.throughput(Throughput::Elements(inputs as u64));
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("decode", |bn| {
        bn.iter(|| {
            for (_, b, _) in &all {
                black_box(journal::decode(black_box(b)).unwrap());
            }
        });
    });
    g.bench_function("replay (engine, decoded journals)", |bn| {
        bn.iter(|| {
            for (_, _, j) in &all {
                black_box(replay(black_box(j)).unwrap());
            }
        });
    });
    g.bench_function("decode + replay", |bn| {
        bn.iter(|| {
            for (_, b, _) in &all {
                black_box(replay(&journal::decode(black_box(b)).unwrap()).unwrap());
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
