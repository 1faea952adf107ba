//! One steady-state tick of the engine, replies included: the tick, the
//! cancel batches' replies, the place batches' replies. Goals (issue 2):
//! seed scenario (4 symbols x 10 orders) < 20 us; 500 symbols x 20 orders
//! < 5 ms (linear growth).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mm_core::effect::{Effect, Request};
use mm_core::virtual_exchange::{Scenario, accept_all};
use mm_core::{Engine, Input, SessionId, Timestamp};

struct Bench {
    engine: Engine,
    scenario: Scenario,
    k: u64,
    pending: Vec<Request>,
}

impl Bench {
    fn new(scenario: Scenario) -> Bench {
        let engine = Engine::new(
            scenario.config.clone(),
            scenario.instruments.clone(),
            SessionId::new("bench").unwrap(),
        )
        .unwrap();
        let mut b = Bench {
            engine,
            scenario,
            k: 0,
            pending: Vec::new(),
        };
        b.tick(); // warm: the first tick only places
        b
    }

    fn drain(&mut self) {
        while let Some(e) = self.engine.poll_effect() {
            if let Effect::Send(r) = e {
                self.pending.push(r);
            }
        }
    }

    /// The requests of one whole tick (answered, so the engine moves on).
    fn sample_requests(&mut self) -> Vec<Request> {
        let now = Timestamp(self.k * 200);
        let books = self.scenario.books(self.k, now);
        self.k += 1;
        self.engine.handle(Input::Tick { now_ms: now, books });
        self.drain();
        let mut all = Vec::new();
        while !self.pending.is_empty() {
            for r in std::mem::take(&mut self.pending) {
                let outcome = accept_all(&r, self.engine.wire_names());
                all.push(r.clone());
                self.engine.handle(Input::Response {
                    now_ms: now.plus_ms(5),
                    request_id: r.id,
                    outcome,
                });
                self.drain();
            }
        }
        all
    }

    /// One whole tick: books in, every request answered OK.
    fn tick(&mut self) {
        let now = Timestamp(self.k * 200);
        let books = self.scenario.books(self.k, now);
        self.k += 1;
        self.engine.handle(Input::Tick { now_ms: now, books });
        self.drain();
        let reply_at = now.plus_ms(5);
        while !self.pending.is_empty() {
            for r in std::mem::take(&mut self.pending) {
                let outcome = accept_all(&r, self.engine.wire_names());
                self.engine.handle(Input::Response {
                    now_ms: reply_at,
                    request_id: r.id,
                    outcome,
                });
                self.drain();
            }
        }
        black_box(self.engine.order_counts());
    }
}

fn bench(c: &mut Criterion) {
    let mut seed = Bench::new(Scenario::seed());
    c.bench_function("seed tick (4 symbols x 10 orders, cancel+place)", |b| {
        b.iter(|| seed.tick());
    });
    let mut amend = {
        let mut sc = Scenario::seed();
        sc.config.quoting.reprice = mm_core::config::Reprice::Amend;
        Bench::new(sc)
    };
    c.bench_function("seed tick (4 symbols x 10 orders, amend)", |b| {
        b.iter(|| amend.tick());
    });
    let mut wide = Bench::new(Scenario::wide(500, 10));
    c.bench_function("wide tick (500 symbols x 20 orders, cancel+place)", |b| {
        b.iter(|| wide.tick());
    });
    // The harness's share of the above: building the OK replies alone (the
    // exchange's work, not the engine's), for a tick's worth of requests.
    let requests = wide.sample_requests();
    let names = wide.engine.wire_names().clone();
    c.bench_function("wide tick: reply building only (harness share)", |b| {
        b.iter(|| {
            requests
                .iter()
                .map(|r| accept_all(r, &names))
                .collect::<Vec<_>>()
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
