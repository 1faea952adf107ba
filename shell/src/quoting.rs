//! The Rust API of "bring your own quotes": start a session that your
//! own code quotes, in the same process (the transport is `quotes`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mm_core::input::{QuoteLevel, QuoteSet};
//! let mut config = mm_shell::paper::config(mm_shell::SimOptions::default().tier);
//! config.quoting.source = mm_core::config::QuoteSource::External;
//! let mut session = mm_shell::quoting::start(mm_shell::RunOptions {
//!     config: Some(config),
//!     ..mm_shell::RunOptions::default()
//! });
//! session.quoter.push(QuoteSet {
//!     symbol: "BTCUSDT".into(),
//!     bids: vec![QuoteLevel { price: "59990".into(), qty: "0.001".into() }],
//!     asks: vec![QuoteLevel { price: "60010".into(), qty: "0.001".into() }],
//! });
//! while let Ok(event) = session.events.recv().await {
//!     println!("{event:?}");
//!     # break;
//! }
//! session.quoter.stop();
//! let summary = session.done.await??;
//! # let _ = summary;
//! # Ok(())
//! # }
//! ```

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::quotes::{Link, Quoter, SessionEvent};
use crate::run::{RunError, RunOptions};
use crate::summary::RunSummary;

/// A session started with [`start`].
#[derive(Debug)]
pub struct QuoteSession {
    pub quoter: Quoter,
    /// Every event from the start of the session.
    pub events: broadcast::Receiver<SessionEvent>,
    /// The session's end, as `run_session` returns it.
    pub done: JoinHandle<Result<RunSummary, RunError>>,
}

/// Starts a session (on the current tokio runtime) that the caller quotes:
/// `opts.config` (or `config_path`) should say `quoting.source =
/// "external"`. Sets for other sources are refused by core, and told so.
pub fn start(mut opts: RunOptions) -> QuoteSession {
    let link = opts.link.get_or_insert_with(Link::default).clone();
    let events = link.events.subscribe();
    let done = tokio::spawn(crate::run::run_session(opts));
    QuoteSession {
        quoter: Quoter::new(link),
        events,
        done,
    }
}
