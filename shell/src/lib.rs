//! mm-shell: the I/O around mm-core (binary `mm`).
//!
//! The shell decides nothing about trading. It reads the clock, the config
//! file, market data and exchange replies, turns each into one
//! `mm_core::Input`, journals it, hands it to the engine, and executes the
//! effects that come out (see the run-loop contract in mm-core's crate docs,
//! and `run.rs` for the loop itself).
//!
//! | module            | job |
//! |-------------------|-----|
//! | `cli`             | the command line (clap) |
//! | `exit_codes`      | what each exit status means, as `--help` shows it |
//! | `config_file`     | read, validate, hot-reload the TOML config |
//! | `secrets`         | API credentials from the environment |
//! | `client`          | one shared HTTP client: `Request` -> signed Bybit call -> `Outcome` |
//! | `market`          | tickers, instruments, server-time check |
//! | `journal_writer`  | the session journal (header, one frame per input) |
//! | `run`             | the loop |
//! | `signals`         | SIGINT / SIGTERM / SIGHUP |
//! | `metrics`         | Prometheus registry and the /metrics server |
//! | `status`          | per-tick statistics and the status line |
//! | `stream`          | Bybit's WebSocket streams (book, private) as typed events; not yet wired to core |
//! | `histogram`       | tick durations in fixed memory (log-linear buckets) |
//! | `summary`         | `--summary-json` |
//! | `paper`           | the built-in paper-mode config and simulator setup |
//! | `quotes`          | bring your own quotes: the transport (mailbox, events) and the `--quotes` socket |
//! | `quoting`         | bring your own quotes from Rust: `quoting::start` |
//! | `*_cmd`, `bench`  | the other subcommands |
//!
//! Library code writes nothing to stdout (that is the CLI's: tables, the
//! replayed log, the simulator's URL), so `clippy::print_stdout` warns here
//! and is allowed only where a subcommand prints its output.

#![warn(clippy::print_stdout)]

pub mod bench;
pub mod check_config_cmd;
pub mod cli;
pub mod client;
pub mod config_file;
pub mod exit_codes;
pub mod histogram;
pub mod journal_writer;
pub mod market;
pub mod metrics;
pub mod paper;
pub mod quotes;
pub mod quoting;
pub mod replay_cmd;
pub mod run;
pub mod secrets;
pub mod signals;
pub mod sim_cmd;
pub mod status;
pub mod stream;
pub mod summary;

pub use paper::SimOptions;
pub use run::{RunError, RunOptions, StartupError, run_session};
pub use summary::{Ended, RunSummary};

/// Wall-clock milliseconds since the Unix epoch: the one clock the shell reads.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
