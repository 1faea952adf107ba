//! mm-core: the pure, deterministic heart of mm-batch.
//!
//! Inputs go in, effects come out; no clock, no I/O, no threads, no unseeded
//! randomness, no hash-order iteration, no floating point in a price or size.
//! The same input sequence yields the same effects and the same log bytes on
//! any machine, any number of times; that is what lets a recorded session be
//! replayed byte for byte.
//!
//! # The drain contract
//!
//! ```text
//! let mut engine = Engine::new(config, instruments, session_id)?;
//! loop {
//!     while let Some(effect) = engine.poll_effect() { execute(effect) }   // 1. drain ALL
//!     let deadline = engine.poll_timeout();                               // 2. then the deadline
//!     let input = wait_for_input_or(deadline);  // tick, response, wake, config, shutdown
//!     journal.append(&input);                   // record BEFORE handling
//!     engine.handle(input);
//! }
//! ```
//!
//! 1. After every `handle`, drain `poll_effect` until `None` before the next
//!    `handle` (debug builds assert this).
//! 2. Then read `poll_timeout`: the one deadline signal (no effect announces
//!    it). `Some(t)`: core wants an `Input::Wake` at `t` (or soon after; any
//!    other input may come first). `None`: core needs no wake and waits for
//!    inputs. It changes only inside `handle`, so reading it once after each
//!    drain is enough.
//! 3. Every input carries `now_ms` from the shell's clock, read once per input.
//!    A `now_ms` older than the last one is clamped to it and logged.
//! 4. `handle` never panics and never fails on data from outside: a malformed
//!    reply or unknown order id becomes a log line, a counter and a decision
//!    (usually: the orders concerned become `Unknown` and are reconciled).
//!    `Result` is only for the caller's own mistakes (config, journal).
//!
//! Where each decision lives, and how a tick flows through the engine's
//! parts: `engine` module docs, and ARCHITECTURE.md at the repository root.

pub mod config;
pub mod decimal;
pub mod domain;
pub mod effect;
pub mod engine;
pub mod grid_value;
pub mod input;
pub mod journal;
pub mod replay;
pub mod retcode;
pub mod time;
#[cfg(feature = "virtual-exchange")]
pub mod virtual_exchange;

pub use config::{Config, ConfigError};
pub use decimal::Decimal;
pub use domain::{Category, Instrument, Lots, OrderLinkId, Side, SymbolId, Ticks};
pub use effect::{Effect, Endpoint, Fatal, LogEvent, Op, Request, RequestKind, TickStats};
pub use engine::{Engine, OrderCounts, OrderState, OrderView, SessionId, Totals, WireNames};
pub use grid_value::GridValue;
pub use input::{BookTop, Input, Outcome, Reply, RequestId};
pub use time::Timestamp;
