//! Bybit's WebSocket streams as typed events on a channel: the public order
//! book and the private `order`, `execution` and `position` topics; and the
//! order-entry connection (`TradeClient`, its own rules in `trade`).
//!
//! Each stream is one task that owns its connection: connect, authenticate
//! (private), subscribe, ping every `ping_every` (Bybit: 20 s), and read. A
//! connection is given up when it closes, errors, refuses auth or a
//! subscription, or sends nothing (not even a pong) for `dead_after`; the
//! task then reconnects after a backoff with jitter (`backoff`), and
//! subscribes again. `Up` and `Down` events say when that happens: whatever
//! was pushed while it was down is lost (Bybit keeps no replay), so a reader
//! resynchronises on `Up`.
//!
//! The public book stream keeps an mm-bybit `Book` per symbol; a gap in its
//! deltas (`BookGap`) empties that book, is reported as `Gap`, and the topic
//! is unsubscribed and subscribed again on the same connection, which
//! brings a fresh snapshot. A message that does not parse is logged and
//! skipped (never a panic on exchange data).
//!
//! The shell decides nothing here: events go out as the wire sent them
//! (plus the book they left). Secrets: the API secret only signs the auth
//! message; no event or log line holds the key's secret or the signature.
//!
//! | module       | job |
//! |--------------|-----|
//! | `connection` | one stream's connect / auth / subscribe / ping / read / reconnect loop |
//! | `backoff`    | reconnect delays with jitter |
//! | `socket`     | open, read and write the WebSocket (both kinds of connection) |
//! | `book`       | the public book stream: books per symbol, resubscribe on a gap |
//! | `private`    | the private stream's topics |
//! | `trade`      | order entry over `/v5/trade`: requests matched to replies by `reqId` |

mod backoff;
mod book;
mod connection;
mod private;
mod socket;
mod trade;

use std::time::Duration;

use mm_bybit::ws::{Applied, Book, BookGap, Execution, OrderUpdate, PositionUpdate, PrivatePush};
use tokio::sync::{mpsc, watch};

pub use self::backoff::Backoff;
pub use self::book::BookStream;
pub use self::private::{PRIVATE_TOPICS, PrivateStream};
pub use self::trade::{Hold, TradeClient, TradeError, TradeLink};
use crate::secrets::Credentials;

/// Which stream an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StreamKind {
    PublicBook,
    Private,
}

/// As log lines name it ("public book stream up", "private stream down").
impl std::fmt::Display for StreamKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StreamKind::PublicBook => "public book",
            StreamKind::Private => "private",
        })
    }
}

/// What a stream task hands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// Connected, authenticated if private, and every topic subscribed
    /// (`connection` counts the connections this task opened, from 1).
    Up {
        stream: StreamKind,
        connection: u64,
    },
    /// The connection was given up (`reason` says why); a reconnect follows.
    Down {
        stream: StreamKind,
        reason: String,
    },
    /// An order book message applied: the book as it now stands.
    Book {
        symbol: String,
        applied: Applied,
        book: Box<Book>,
        /// The exchange's publish time of the message (ms).
        exchange_ts_ms: u64,
        /// The shell's clock when it arrived (ms).
        received_ms: u64,
    },
    /// A book message that did not follow: the book is empty until the
    /// fresh snapshot its resubscription brings.
    Gap {
        symbol: String,
        gap: BookGap,
    },
    Order(PrivatePush<OrderUpdate>),
    Execution(PrivatePush<Execution>),
    Position(PrivatePush<PositionUpdate>),
}

/// How a stream connects and when it gives a connection up.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// `wss://stream.bybit.com` (or `ws://127.0.0.1:port` for the simulator).
    pub base_url: String,
    pub ping_every: Duration,
    /// A connection silent this long (no data, no pong) is dead.
    pub dead_after: Duration,
    pub connect_timeout: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Fixes the reconnect jitter (tests); `None`: seeded from the OS.
    pub jitter_seed: Option<u64>,
}

impl StreamSettings {
    /// Bybit's defaults for a stream host: ping every 20 s, dead after 30 s
    /// of silence, reconnect after 0.5 s doubling to 30 s.
    pub fn new(base_url: &str) -> Self {
        StreamSettings {
            base_url: base_url.trim_end_matches('/').to_string(),
            ping_every: Duration::from_millis(mm_bybit::ws::PING_INTERVAL_MS),
            dead_after: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            jitter_seed: None,
        }
    }

    /// The reconnect delays these settings give.
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.backoff_min, self.backoff_max, self.jitter_seed)
    }
}

/// The stream host of an HTTP base URL on the same host (the simulator
/// serves both): `http://h:p` -> `ws://h:p`, `https://` -> `wss://`.
pub fn ws_base_of(http_base: &str) -> String {
    if let Some(rest) = http_base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = http_base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        http_base.to_string()
    }
}

/// A running stream task; `stop` ends it (dropping the handle does too).
#[derive(Debug)]
pub struct StreamHandle {
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl StreamHandle {
    /// Closes the connection and waits for the task to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for StreamHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the public book stream of `books` (one `Book` per symbol).
pub fn spawn_books(
    settings: StreamSettings,
    books: BookStream,
    tx: mpsc::Sender<StreamEvent>,
) -> StreamHandle {
    spawn(settings, None, books, tx)
}

/// Starts the private stream with `creds`.
pub fn spawn_private(
    settings: StreamSettings,
    creds: Credentials,
    tx: mpsc::Sender<StreamEvent>,
) -> StreamHandle {
    spawn(settings, Some(creds), PrivateStream, tx)
}

fn spawn<R: connection::Role + 'static>(
    settings: StreamSettings,
    creds: Option<Credentials>,
    role: R,
    tx: mpsc::Sender<StreamEvent>,
) -> StreamHandle {
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(connection::run(settings, creds, role, tx, stop_rx));
    StreamHandle {
        stop,
        task: Some(task),
    }
}
