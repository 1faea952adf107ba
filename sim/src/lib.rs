//! mm-sim: a Bybit v5 exchange (REST and WebSocket streams) on loopback, for tests, paper
//! trading and benchmarks.
//!
//! It speaks the same wire as Bybit (the types come from mm-bybit): signed private endpoints,
//! batch endpoints with per-item results, per-UID per-endpoint rate limits with Bybit's
//! headers, an IP limit, a price-time book per symbol whose resting orders fill (partly, up to
//! the touch size) as a seeded random-walk market crosses them, replies in the shapes of
//! Bybit's documented examples,
//! post-only cancellation on arrival, orderLinkId uniqueness, and seeded latency and faults.
//! What it models and what it does not, and every guess it makes: `sim/README.md`.
//!
//! # Layers
//!
//! Modules form a DAG (`mm_testkit::layers` checks it, in `testkit/tests/layers.rs`): each imports only from the layers below.
//!
//! 1. Foundations, importing nothing of ours but each other downwards: `rng`, `decimal`,
//!    `reject` (retCode + message), `links`, `book`, `state` (the inspection JSON), `endpoint`,
//!    `auth`, `conn`, `faults`, `timer` (the latency's precise sleeps), `ladder` (the quoting
//!    ladder's targets), `quality` (quote quality from the books), `config`, `ratelimit`,
//!    `events` (what the engine tells the streams).
//! 2. The market and matching, pure (time comes in as `now`): `market`, `market_wire`,
//!    `order`, `position`, and `engine`'s `Exchange`, whose other `impl` blocks are `modify`
//!    (amend, cancel), `realtime` (the order query), `lists` (positions and executions),
//!    `sweep` (cancel-all, walk steps) and `fills` (executions, positions, and the events of
//!    every change).
//! 3. Shared state and the reply envelope: `shared` (config, clock, the stream bus, and under
//!    one lock the exchange, limiters and counters), `reply` (with an order request's
//!    transport-free outcome); the stream message shapes `stream_wire` and the public book's
//!    levels `stream_book`.
//! 4. One request under the lock, no I/O: `request` (context, rate charge, refusal, injected
//!    rejects, the single-order flow), `batch`, `order_call` (the six order operations and the
//!    one function both transports apply them with), `marketdata`, and `dispatch` on top.
//! 5. Connections: `handler` (HTTP: IP limit, fault decision, latency, dropped connections),
//!    `ws_session` (a WebSocket's loop, idle cut and stream faults) with its channels
//!    `ws_public`, `ws_private` and `ws_trade` (order entry; its requests applied in order by
//!    `trade_queue`, with latency and the trade faults).
//! 6. `server`: `Sim::start` (routes, the timed walk) and `SimHandle`.
//!
//! Order entry over the trade stream (`/v5/trade`) parses with mm-bybit's trade types into
//! the same `order_call::OrderCall` as REST and is charged to the same rate counters.
//!
//! Streams: every operation's events (order changes, fills, positions, market steps) are
//! drained from the engine onto a broadcast bus under the same lock, so each connection sees
//! them in the order they happened; a connection filters what it subscribed to.
//!
//! Errors that cross a module boundary are types (`thiserror`): [`ConfigError`],
//! [`FaultSpecError`], [`TierError`], and inside the crate a reject (retCode + message) and
//! an authentication error.
//!
//! Determinism: every random decision is a function of the seed and a request counter, so the
//! same seed and the same request sequence give the same price path, fault decisions, order ids
//! and replies (apart from server timestamps).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = mm_sim::Sim::start(mm_sim::SimConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("Bybit base URL: {}", sim.base_url());
//! let state = sim.state();
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
mod batch;
mod book;
mod config;
mod conn;
mod decimal;
mod dispatch;
mod endpoint;
mod engine;
mod events;
mod faults;
mod fills;
mod handler;
mod ladder;
mod links;
mod lists;
mod market;
mod market_wire;
mod marketdata;
mod modify;
mod order;
mod order_call;
mod position;
mod quality;
mod ratelimit;
mod realtime;
mod reject;
mod reply;
mod request;
#[cfg(test)]
mod retention;
mod rng;
mod server;
mod shared;
mod state;
mod stream_book;
mod stream_wire;
mod sweep;
mod timer;
mod trade_queue;
mod ws_private;
mod ws_public;
mod ws_session;
mod ws_trade;

pub use config::{ConfigError, Limits, Line, SimConfig, SimInstrument, Tier, TierError};
pub use faults::{FaultSpec, FaultSpecError};
pub use ladder::{QuoteLadder, Targets, distance_bps, ladder_targets, within};
pub use quality::{LevelQuality, QuoteQuality, SymbolQuality};
pub use server::{Sim, SimHandle};
pub use state::{ReplyDelays, SimExecution, SimOrder, SimPrice, SimState};
