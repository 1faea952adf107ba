//! mm-core: the pure, deterministic heart of mm-batch.
//!
//! Inputs go in, effects come out; no clock, no I/O, no threads, no unseeded
//! randomness, no hash-order iteration, no floating point in a price or size.
//! The same input sequence yields the same effects and the same log bytes on
//! any machine, any number of times; that is what lets a recorded session be
//! replayed byte for byte.
//!
//! # The run-loop contract
//!
//! ```text
//! let mut engine = Engine::new(config, instruments, session_id)?;
//! loop {
//!     while let Some(effect) = engine.poll_effect() { execute(effect) }   // drain ALL
//!     let deadline = engine.poll_timeout();                               // next Wake
//!     let input = wait_for_input_or(deadline);  // tick, response, wake, config, shutdown
//!     journal.append(&input);                   // record BEFORE handling
//!     engine.handle(input);
//! }
//! ```
//!
//! 1. After every `handle`, drain `poll_effect` until `None` before the next
//!    `handle` (debug builds assert this).
//! 2. Every input carries `now_ms` from the shell's clock, read once per input.
//!    A `now_ms` older than the last one is clamped to it and logged.
//! 3. `handle` never panics and never fails on data from outside: a malformed
//!    reply or unknown order id becomes a log line, a counter and a decision
//!    (usually: the orders concerned become `Unknown` and are reconciled).
//!    `Result` is only for the caller's own mistakes (config, journal).

pub mod config;
mod config_hosts;
mod config_parse;
mod config_rules;
mod config_session;
pub mod decimal;
pub mod domain;
pub mod effect;
pub mod engine;
pub mod input;
pub mod journal;
pub mod replay;
pub mod time;
pub mod virtual_exchange;

pub use config::{Config, ConfigError};
pub use decimal::Decimal;
pub use domain::{Category, Instrument, Lots, Side, Ticks};
pub use effect::{Effect, Endpoint, Fatal, LogEvent, Op, Request, RequestKind, TickStats};
pub use engine::{Engine, OrderCounts, OrderState, OrderView, SessionId, Totals};
pub use input::{BookTop, Input, Outcome, Reply, RequestId};
pub use time::Timestamp;
