//! Bring your own quotes: a session driven by the user's strategy
//! (`quoting.source = "external"`), from Rust (`quoting::start`) or from
//! any language over a socket (`mm run --quotes ADDR`, see `socket`). This
//! module is the transport both share, below `run` (which reads it).
//!
//! The shell decides nothing here either: every quote set becomes one
//! `Input::Quotes`, journaled like any input, and core accepts or refuses
//! it (`Engine::last_quote_refusal`). What the shell adds is transport:
//!
//! - conflation: the latest set per symbol wins. Sets wait in a
//!   mailbox with one slot per symbol until the loop takes them, so a
//!   strategy that pushes faster than the loop reads replaces its own
//!   pending set (told as [`SessionEvent::Conflated`]) instead of queueing
//!   without bound;
//! - events: what the session does, as [`SessionEvent`]s on a broadcast
//!   channel (bounded: a receiver that falls behind loses the oldest).

pub mod socket;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mm_core::engine::{OrderView, PositionView, RiskLimited, SideFills};
use mm_core::input::QuoteSet;
use mm_core::{BookTop, Instrument, TickStats};
use serde::Serialize;
use tokio::sync::{Notify, broadcast};

/// Events kept for a receiver that has not read them yet; past that the
/// oldest are lost (`broadcast::error::RecvError::Lagged`).
pub const EVENT_BUFFER: usize = 1024;

/// What a session did. Serialized (`"event": "accepted"`, ...) it is also
/// the socket protocol's event line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SessionEvent {
    /// The session is up (after start-up recovery began): what it quotes.
    Started {
        session_id: String,
        instruments: Vec<Instrument>,
    },
    /// A tick's books, as core gets them (top of book per symbol).
    Books { books: Vec<BookTop> },
    /// Core took the set: the next tick quotes it.
    Accepted {
        symbol: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(skip)]
        client: u64,
    },
    /// Core refused the set whole (`reason` names the field); the symbol's
    /// orders stay as they were.
    Refused {
        symbol: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        reason: String,
        #[serde(skip)]
        client: u64,
    },
    /// A newer set for the symbol replaced this one before core read it.
    Conflated {
        symbol: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(skip)]
        client: u64,
    },
    /// A tick finished: its statistics, every order core tracks, and the
    /// sides `[risk]` limits keep from quoting in full (absent when none).
    Tick {
        stats: TickStats,
        orders: Vec<OrderView>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        risk: Vec<RiskLimited>,
    },
    /// Fills or positions changed (the private stream, or a resync).
    Positions {
        positions: Vec<PositionView>,
        fills: BTreeMap<String, SideFills>,
    },
    /// Shutdown finished: nothing of the session is open.
    Stopped,
}

/// One set waiting for the loop.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) set: QuoteSet,
    pub(crate) id: Option<u64>,
    pub(crate) client: u64,
}

/// The latest pending set per symbol (see the module docs), shared by the
/// pushers and the loop.
#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    slots: Mutex<BTreeMap<String, Pending>>,
    ready: Notify,
}

impl Mailbox {
    /// Replaces the symbol's pending set, if any (returned).
    pub(crate) fn put(&self, p: Pending) -> Option<Pending> {
        let old = match self.slots.lock() {
            Ok(mut slots) => slots.insert(p.set.symbol.to_string(), p),
            Err(poisoned) => poisoned.into_inner().insert(p.set.symbol.to_string(), p),
        };
        self.ready.notify_one();
        old
    }

    /// The next pending set, in symbol order; waits for one.
    pub(crate) async fn take(&self) -> Pending {
        loop {
            let next = match self.slots.lock() {
                Ok(mut slots) => slots.pop_first(),
                Err(poisoned) => poisoned.into_inner().pop_first(),
            };
            if let Some((_, p)) = next {
                return p;
            }
            self.ready.notified().await;
        }
    }
}

/// What ties a session's loop to its quote sources: the mailbox, the event
/// channel, the stop request. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Link {
    pub(crate) mailbox: Arc<Mailbox>,
    pub(crate) events: broadcast::Sender<SessionEvent>,
    pub(crate) stop: Arc<Notify>,
    next_client: Arc<AtomicU64>,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            mailbox: Arc::default(),
            events: broadcast::channel(EVENT_BUFFER).0,
            stop: Arc::default(),
            next_client: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl Link {
    /// A new client's number (0 is the Rust API's own [`Quoter`]).
    pub(crate) fn client_id(&self) -> u64 {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }

    /// Queues `set` for the loop; a set it replaces is told `Conflated`.
    pub(crate) fn push(&self, set: QuoteSet, id: Option<u64>, client: u64) {
        let p = Pending { set, id, client };
        if let Some(old) = self.mailbox.put(p) {
            let _ = self.events.send(SessionEvent::Conflated {
                symbol: old.set.symbol.to_string(),
                id: old.id,
                client: old.client,
            });
        }
    }
}

/// Pushes quote sets into a running session and asks it to stop
/// (`quoting::start` gives one).
#[derive(Debug, Clone)]
pub struct Quoter {
    link: Link,
    next_id: Arc<AtomicU64>,
}

impl Quoter {
    pub(crate) fn new(link: Link) -> Quoter {
        Quoter {
            link,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Queues `set` (the latest per symbol wins); its verdict comes back as
    /// an event carrying the id returned here.
    pub fn push(&self, set: QuoteSet) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.link.push(set, Some(id), 0);
        id
    }

    /// A new receiver of the session's events (from now on).
    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.link.events.subscribe()
    }

    /// Asks the session to stop: quoting ends, every order is cancelled,
    /// then `done` resolves. Idempotent.
    pub fn stop(&self) {
        self.link.stop.notify_one();
    }
}
