//! `cargo run --release -p mm-core --example replay_file -- FILE.mmj [N] [--log] [--effects] [--streamed]`:
//! decodes and replays one recorded journal N times (default 1), for
//! profilers (valgrind --tool=callgrind): the instructions of N2 runs minus
//! those of N1 runs, over N2 - N1, are one decode + replay, setup excluded.
//! `--log` writes the replayed log to stdout (once), `--effects` every
//! effect's Debug form, for byte comparisons; `--streamed` replays with
//! `replay::replay_log` (log only, input by input) instead.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::Write;

use mm_core::journal;
use mm_core::replay::{replay, replay_log};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .expect("usage: replay_file FILE.mmj [N] [--log]");
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let print = args.iter().any(|a| a == "--log");
    let streamed = args.iter().any(|a| a == "--streamed");
    let effects = args.iter().any(|a| a == "--effects");
    let bytes = std::fs::read(path).unwrap();
    let mut inputs = 0usize;
    let mut log_bytes = 0usize;
    for k in 0..n {
        if streamed {
            let replayed = replay_log(journal::Reader::new(&bytes).unwrap()).unwrap();
            inputs += replayed.inputs;
            log_bytes += replayed.log.len();
            if print && k == 0 {
                std::io::stdout()
                    .write_all(replayed.log.as_bytes())
                    .unwrap();
            }
            continue;
        }
        let journal = journal::decode(&bytes).unwrap();
        let replayed = replay(&journal).unwrap();
        inputs += journal.inputs.len();
        log_bytes += replayed.log.len();
        if print && k == 0 {
            std::io::stdout()
                .write_all(replayed.log.as_bytes())
                .unwrap();
        }
        if effects && k == 0 {
            for e in &replayed.effects {
                println!("{e:?}");
            }
        }
    }
    if !print && !effects {
        println!("{n} runs, {inputs} inputs, {log_bytes} log bytes");
    }
}
