//! Books for the ticks from the public order book stream (`exchange.streams
//! = true`): where the stream is, starting it, and which symbols a tick
//! takes from it and which it must poll over REST instead.
//!
//! The fallback rule: a symbol's book comes from the stream while the
//! stream is up and holds a book for it (both sides) whose last message is
//! younger than `quiet_after_ms`; otherwise the tick polls that symbol over
//! REST. So the stream down, a gap (its book is empty until the fresh
//! snapshot), a new connection still waiting for its snapshots, or a topic
//! gone quiet all fall back, each symbol on its own. A stream book is
//! handed on as `BookTop` with the best levels' prices as the wire wrote
//! them and `received_ms` = when its last message arrived, so core judges
//! its age exactly as it judges a polled one. Every change of the set of
//! symbols on REST is a warn line (fallback starts, fallback ends).
//!
//! Decisions: depth 50 (1 is snapshot-only: no deltas, so no gap could be
//! seen; we read only the top); `quiet_after_ms` = half of
//! `quoting.max_book_age_ms` as the session started, so a quiet topic is
//! re-read over REST well before core would call its book stale; reconnect
//! after 100 ms doubling to 5 s (the trade connection's), since every
//! second down is a second of polling.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mm_core::{BookTop, Category, Timestamp};
use tokio::sync::mpsc;

use super::StartupError;
use super::startup::Venue;
use crate::client::wire_category;
use crate::metrics::Metrics;
use crate::stream::{
    BookStream, StreamEvent, StreamHandle, StreamSettings, spawn_books, ws_base_of,
};

/// The `stream` label of the public book stream.
const STREAM: &str = "public";

/// How long the market task waits for every symbol's first snapshot before
/// its first tick (then it polls what is missing).
pub(super) const FIRST_BOOKS_WITHIN: Duration = Duration::from_secs(5);

/// The public stream host for REST base URL `base`: the simulator serves it
/// on its own port, and so does a plain-http base (the config allows one
/// only on loopback: a local stand-in for Bybit); Bybit's demo trading takes
/// its public data from mainnet.
pub(super) fn public_host(venue: &Venue, base: &str) -> Result<String, StartupError> {
    if !matches!(venue, Venue::Bybit) || base.starts_with("http://") {
        return Ok(ws_base_of(base));
    }
    match base.trim_end_matches('/') {
        "https://api.bybit.com" | "https://api-demo.bybit.com" => {
            Ok("wss://stream.bybit.com".to_string())
        }
        "https://api-testnet.bybit.com" => Ok("wss://stream-testnet.bybit.com".to_string()),
        other => Err(StartupError::BookStream(format!(
            "no known public stream for {other} (api.bybit.com, api-testnet.bybit.com and api-demo.bybit.com have one); set exchange.streams = false to poll books over REST"
        ))),
    }
}

/// The running stream and what it has given so far.
pub(super) struct Feed {
    pub(super) rx: mpsc::Receiver<StreamEvent>,
    pub(super) books: BookFeed,
    _handle: StreamHandle,
}

impl Feed {
    /// Starts the book stream of `symbols` on `host`.
    pub(super) fn start(
        host: &str,
        category: Category,
        symbols: &[String],
        quiet_after_ms: u64,
    ) -> Result<Feed, StartupError> {
        let wire = wire_category(category);
        let depth = if category == Category::Option { 25 } else { 50 };
        let stream = BookStream::new(wire, depth, symbols)
            .map_err(|e| StartupError::BookStream(e.to_string()))?;
        let settings = StreamSettings {
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            ..StreamSettings::new(host)
        };
        let (tx, rx) = mpsc::channel(1024);
        let handle = spawn_books(settings, stream, tx);
        Ok(Feed {
            rx,
            books: BookFeed::new(symbols, quiet_after_ms),
            _handle: handle,
        })
    }

    /// Applies stream events until every symbol has a book, or `within`.
    pub(super) async fn first_books(&mut self, metrics: &Metrics, within: Duration) {
        let end = tokio::time::Instant::now() + within;
        while !self.books.complete() {
            match tokio::time::timeout_at(end, self.rx.recv()).await {
                Ok(Some(ev)) => self.books.on_event(ev, metrics),
                Ok(None) | Err(_) => return,
            }
        }
    }
}

/// The latest top of book per symbol from the stream, and the fallback state.
#[derive(Debug)]
pub(super) struct BookFeed {
    symbols: Vec<String>,
    quiet_after_ms: u64,
    up: bool,
    /// Why the stream went down last (for the fallback line).
    down_reason: String,
    tops: BTreeMap<String, BookTop>,
    /// The symbols the last tick polled over REST.
    on_rest: BTreeSet<String>,
}

impl BookFeed {
    pub(super) fn new(symbols: &[String], quiet_after_ms: u64) -> BookFeed {
        BookFeed {
            symbols: symbols.to_vec(),
            quiet_after_ms,
            up: false,
            down_reason: "not connected yet".to_string(),
            tops: BTreeMap::new(),
            on_rest: BTreeSet::new(),
        }
    }

    pub(super) fn on_event(&mut self, ev: StreamEvent, metrics: &Metrics) {
        match ev {
            StreamEvent::Up { connection, .. } => {
                self.up = true;
                if connection > 1 {
                    metrics.stream_reconnected(STREAM);
                }
            }
            StreamEvent::Down { reason, .. } => {
                self.up = false;
                self.down_reason = reason;
                // Nothing the last connection built is kept: the next one
                // starts from snapshots.
                self.tops.clear();
            }
            StreamEvent::Book {
                symbol,
                book,
                exchange_ts_ms,
                received_ms,
                ..
            } => {
                metrics.stream_lag(received_ms.saturating_sub(exchange_ts_ms));
                match (book.best_bid(), book.best_ask()) {
                    (Some((bid, _)), Some((ask, _))) => {
                        let top = BookTop {
                            symbol: symbol.as_str().into(),
                            bid: bid.to_string().into(),
                            ask: ask.to_string().into(),
                            received_ms: Timestamp(received_ms),
                        };
                        self.tops.insert(symbol, top);
                    }
                    _ => {
                        self.tops.remove(&symbol);
                    }
                }
            }
            StreamEvent::Gap { symbol, .. } => {
                self.tops.remove(&symbol);
            }
            // Not subscribed on this stream.
            StreamEvent::Order(_) | StreamEvent::Execution(_) | StreamEvent::Position(_) => {}
        }
    }

    /// Every symbol has a book from the stream.
    pub(super) fn complete(&self) -> bool {
        self.up && self.symbols.iter().all(|s| self.tops.contains_key(s))
    }

    /// Why `symbol`'s book cannot come from the stream at `now_ms` (`None`: it can).
    fn lacks(&self, symbol: &str, now_ms: u64) -> Option<String> {
        if !self.up {
            return Some(format!("the book stream is down: {}", self.down_reason));
        }
        match self.tops.get(symbol) {
            None => Some("no stream book (waiting for its snapshot)".to_string()),
            Some(t) if now_ms.saturating_sub(t.received_ms.0) > self.quiet_after_ms => Some(
                format!("no stream message for {} ms", now_ms - t.received_ms.0),
            ),
            Some(_) => None,
        }
    }

    /// The symbols this tick polls over REST (in config order); logs a
    /// warn line for each change of that set and sets the fallback metrics.
    pub(super) fn fallback(&mut self, now_ms: u64, metrics: &Metrics) -> Vec<String> {
        let mut reasons: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut rest = Vec::new();
        for s in &self.symbols {
            if let Some(why) = self.lacks(s, now_ms) {
                rest.push(s.clone());
                reasons.entry(why).or_default().push(s);
            }
        }
        let now: BTreeSet<String> = rest.iter().cloned().collect();
        let started: Vec<&str> = reasons
            .iter()
            .flat_map(|(why, syms)| syms.iter().map(move |s| (why, *s)))
            .filter(|(_, s)| !self.on_rest.contains(*s))
            .map(|(_, s)| s)
            .collect();
        if !started.is_empty() {
            for (why, syms) in &reasons {
                let new: Vec<&str> = syms
                    .iter()
                    .copied()
                    .filter(|s| !self.on_rest.contains(*s))
                    .collect();
                if !new.is_empty() {
                    tracing::warn!(
                        "book stream fallback starts: {} polled over REST ({why})",
                        new.join(", ")
                    );
                }
            }
        }
        let ended: Vec<&str> = self
            .on_rest
            .iter()
            .filter(|s| !now.contains(*s))
            .map(String::as_str)
            .collect();
        if !ended.is_empty() {
            tracing::warn!(
                "book stream fallback ends: {} back on stream books",
                ended.join(", ")
            );
        }
        metrics.book_fallback(rest.len());
        self.on_rest = now;
        rest
    }

    /// The stream's books of every symbol not in `rest` (config order); a
    /// symbol whose book the stream lost meanwhile is absent.
    pub(super) fn tops_except(&self, rest: &[String]) -> Vec<BookTop> {
        self.symbols
            .iter()
            .filter(|s| !rest.contains(s))
            .filter_map(|s| self.tops.get(s).cloned())
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::stream::StreamKind;
    use mm_bybit::ws::{Applied, Book, BookGap, StreamMessage};

    fn syms() -> Vec<String> {
        vec!["BTCUSDT".to_string(), "ETHUSDT".to_string()]
    }

    fn book(symbol: &str, bid: &str, ask: &str, at: u64) -> StreamEvent {
        let text = format!(
            r#"{{"topic":"orderbook.50.{symbol}","type":"snapshot","ts":{ts},"data":{{"s":"{symbol}","b":[["{bid}","1"],["1","1"]],"a":[["{ask}","1"],["999999","1"]],"u":1,"seq":1}},"cts":1}}"#,
            ts = at - 3
        );
        let StreamMessage::Orderbook(push) = StreamMessage::parse(&text).unwrap() else {
            panic!("not a book push");
        };
        let mut b = Book::new(symbol, 50);
        b.apply_push(&push).unwrap();
        StreamEvent::Book {
            symbol: symbol.to_string(),
            applied: Applied::Snapshot,
            book: Box::new(b),
            exchange_ts_ms: at - 3,
            received_ms: at,
        }
    }

    fn up(connection: u64) -> StreamEvent {
        StreamEvent::Up {
            stream: StreamKind::PublicBook,
            connection,
        }
    }

    #[test]
    fn bybit_hosts_map_to_their_public_stream_and_others_are_refused() {
        let host = |v: &Venue, b: &str| public_host(v, b).map_err(|e| e.to_string());
        let v = Venue::Bybit;
        for main in ["https://api.bybit.com/", "https://api-demo.bybit.com"] {
            assert_eq!(
                host(&v, main).as_deref(),
                Ok("wss://stream.bybit.com"),
                "{main}"
            );
        }
        assert_eq!(
            host(&v, "https://api-testnet.bybit.com").as_deref(),
            Ok("wss://stream-testnet.bybit.com")
        );
        let other = host(&v, "https://api.bytick.com").unwrap_err();
        assert!(
            other.contains("api.bytick.com") && other.contains("exchange.streams = false"),
            "{other}"
        );
        // A loopback stand-in, and the simulator, serve it on their own port.
        assert_eq!(
            host(&v, "http://127.0.0.1:9").as_deref(),
            Ok("ws://127.0.0.1:9")
        );
        assert_eq!(
            host(&Venue::ExternalSim, "http://127.0.0.1:8080").as_deref(),
            Ok("ws://127.0.0.1:8080")
        );
    }

    #[test]
    fn stream_books_are_the_best_levels_as_received_and_the_rest_is_polled() {
        let m = Metrics::new();
        let mut f = BookFeed::new(&syms(), 1000);
        assert_eq!(f.fallback(0, &m), syms(), "nothing before the stream is up");
        f.on_event(up(1), &m);
        f.on_event(book("BTCUSDT", "100.5", "100.7", 50), &m);
        assert!(!f.complete());
        assert_eq!(f.fallback(60, &m), ["ETHUSDT"]);
        assert_eq!(
            f.tops_except(&["ETHUSDT".to_string()]),
            [BookTop {
                symbol: "BTCUSDT".into(),
                bid: "100.5".into(),
                ask: "100.7".into(),
                received_ms: Timestamp(50),
            }]
        );
        f.on_event(book("ETHUSDT", "10", "11", 70), &m);
        assert!(f.complete());
        assert!(f.fallback(80, &m).is_empty());
        assert_eq!(f.tops_except(&[]).len(), 2);
        // Quiet for longer than the bound: that symbol is polled.
        f.on_event(book("ETHUSDT", "10", "11", 1050), &m);
        assert_eq!(f.fallback(1060, &m), ["BTCUSDT"]);
    }

    #[test]
    fn a_gap_or_a_lost_connection_falls_back_until_the_fresh_snapshot() {
        let m = Metrics::new();
        let mut f = BookFeed::new(&syms(), 1000);
        f.on_event(up(1), &m);
        f.on_event(book("BTCUSDT", "1", "2", 10), &m);
        f.on_event(book("ETHUSDT", "3", "4", 10), &m);
        assert!(f.fallback(20, &m).is_empty());
        f.on_event(
            StreamEvent::Gap {
                symbol: "ETHUSDT".to_string(),
                gap: BookGap::Skipped { last: 2, got: 4 },
            },
            &m,
        );
        assert_eq!(f.fallback(30, &m), ["ETHUSDT"]);
        assert_eq!(f.tops_except(&[]).len(), 1, "the gapped book is gone");
        f.on_event(book("ETHUSDT", "5", "6", 40), &m);
        assert!(f.fallback(50, &m).is_empty());
        f.on_event(
            StreamEvent::Down {
                stream: StreamKind::PublicBook,
                reason: "closed".to_string(),
            },
            &m,
        );
        assert_eq!(f.fallback(60, &m), syms());
        assert!(
            f.tops_except(&[]).is_empty(),
            "no book of a lost connection"
        );
        f.on_event(up(2), &m);
        assert_eq!(f.fallback(70, &m), syms(), "up, but no snapshot yet");
        f.on_event(book("BTCUSDT", "1", "2", 80), &m);
        f.on_event(book("ETHUSDT", "3", "4", 80), &m);
        assert!(f.fallback(90, &m).is_empty());
        assert_eq!(
            m.stream_reconnects()["public"],
            1,
            "connection 2 is a reconnect"
        );
    }
}
