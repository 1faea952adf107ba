//! `cargo run --release -p mm-core --example wide_ticks -- N`: N steady-state
//! wide ticks (500 symbols x 20 orders, every reply OK), the engine bench's
//! workload without criterion, for profilers (valgrind --tool=callgrind):
//! the instructions of N2 ticks minus those of N1 ticks, over N2 - N1, are
//! one tick's, setup excluded.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use mm_core::effect::Effect;
use mm_core::virtual_exchange::{Scenario, accept_all};
use mm_core::{Engine, Input, SessionId, Timestamp};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let sc = Scenario::wide(500, 10);
    let mut e = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new("bench").unwrap(),
    )
    .unwrap();
    let mut log_bytes = 0usize;
    for k in 0..=n {
        let now = Timestamp(k * 200);
        e.handle(Input::Tick {
            now_ms: now,
            books: sc.books(k, now),
        });
        let mut pending = Vec::new();
        loop {
            while let Some(effect) = e.poll_effect() {
                match effect {
                    Effect::Send(r) => pending.push(r),
                    Effect::Log(l) => log_bytes += l.render().len(),
                    _ => {}
                }
            }
            let Some(r) = pending.pop() else { break };
            let outcome = accept_all(&r, e.wire_names());
            e.handle(Input::Response {
                now_ms: now.plus_ms(5),
                request_id: r.id,
                outcome,
            });
        }
    }
    println!(
        "{} ticks, {log_bytes} log bytes, {:?}",
        n + 1,
        e.order_counts()
    );
}
