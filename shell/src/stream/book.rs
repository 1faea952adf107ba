//! The public order book stream: `orderbook.{depth}.{symbol}` for each
//! symbol, an mm-bybit `Book` each, rebuilt from a snapshot on every
//! (re)connection and resubscribed when its deltas do not follow.
//!
//! Between a gap (or a new connection) and the snapshot that follows, the
//! deltas still on their way belong to the broken sequence: they are
//! dropped quietly, not taken as new gaps (which would resubscribe again
//! for every one of them).

use std::collections::{BTreeMap, BTreeSet};

use mm_bybit::Category;
use mm_bybit::ws::{Applied, Book, BookGap, PushType, StreamMessage, Topic, TopicError};

use super::connection::{Handled, Role};
use super::{StreamEvent, StreamKind};

#[derive(Debug, Clone)]
pub struct BookStream {
    category: Category,
    /// Topic -> its book.
    books: BTreeMap<String, Book>,
    /// Topics whose book waits for a snapshot.
    awaiting: BTreeSet<String>,
}

impl BookStream {
    /// Books of `symbols` at `depth` levels a side (a depth `category`
    /// publishes: 1, 50, 200 or 1000 for linear).
    pub fn new(category: Category, depth: u32, symbols: &[String]) -> Result<Self, TopicError> {
        let mut books = BTreeMap::new();
        for s in symbols {
            let topic = Topic::orderbook(category, depth, s)?;
            books.insert(topic.to_string(), Book::new(s, depth));
        }
        let awaiting = books.keys().cloned().collect();
        Ok(BookStream {
            category,
            books,
            awaiting,
        })
    }
}

impl Role for BookStream {
    const KIND: StreamKind = StreamKind::PublicBook;

    fn path(&self) -> String {
        mm_bybit::ws::public_path(self.category)
    }

    fn topics(&self) -> Vec<String> {
        self.books.keys().cloned().collect()
    }

    fn reset(&mut self) {
        for b in self.books.values_mut() {
            b.clear();
        }
        self.awaiting = self.books.keys().cloned().collect();
    }

    fn on_push(&mut self, msg: StreamMessage, received_ms: u64) -> Handled {
        let StreamMessage::Orderbook(push) = msg else {
            return Handled::default();
        };
        let Some(book) = self.books.get_mut(&push.topic) else {
            tracing::warn!("order book push on {} not subscribed: skipped", push.topic);
            return Handled::default();
        };
        if push.kind == PushType::Delta && self.awaiting.contains(&push.topic) {
            tracing::debug!(
                "order book {}: delta before the snapshot: dropped",
                push.topic
            );
            return Handled::default();
        }
        match book.apply_push(&push) {
            // An exact repeat of the last delta changes nothing.
            Ok(Applied::Duplicate) => Handled::default(),
            Ok(applied) => {
                self.awaiting.remove(&push.topic);
                Handled {
                    events: vec![StreamEvent::Book {
                        symbol: push.data.s.clone(),
                        applied,
                        book: Box::new(book.clone()),
                        exchange_ts_ms: push.ts,
                        received_ms,
                    }],
                    resubscribe: Vec::new(),
                }
            }
            Err(gap @ BookGap::WrongSymbol { .. }) => {
                tracing::warn!("order book push on {}: {gap}: skipped", push.topic);
                Handled::default()
            }
            Err(gap) => {
                tracing::warn!("order book {}: {gap}; resubscribing", push.topic);
                self.awaiting.insert(push.topic.clone());
                Handled {
                    events: vec![StreamEvent::Gap {
                        symbol: push.data.s.clone(),
                        gap,
                    }],
                    resubscribe: vec![push.topic.clone()],
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn msg(kind: &str, u: u64, bid: &str) -> StreamMessage {
        let text = format!(
            r#"{{"topic":"orderbook.50.BTCUSDT","type":"{kind}","ts":1,"data":{{"s":"BTCUSDT","b":[["{bid}","1"]],"a":[["70000","1"]],"u":{u},"seq":{u}}},"cts":1}}"#
        );
        StreamMessage::parse(&text).unwrap()
    }

    fn stream() -> BookStream {
        BookStream::new(Category::Linear, 50, &["BTCUSDT".to_string()]).unwrap()
    }

    #[test]
    fn one_gap_one_resubscription_until_the_snapshot() {
        let mut s = stream();
        // Before the first snapshot a delta is dropped, not a gap.
        assert!(s.on_push(msg("delta", 1, "100"), 0).events.is_empty());
        let snap = s.on_push(msg("snapshot", 5, "100"), 0);
        assert!(matches!(
            snap.events[..],
            [StreamEvent::Book {
                applied: Applied::Snapshot,
                ..
            }]
        ));
        assert!(matches!(
            s.on_push(msg("delta", 6, "101"), 0).events[..],
            [StreamEvent::Book {
                applied: Applied::Delta,
                ..
            }]
        ));
        // u 7 lost: one gap, one resubscription.
        let gap = s.on_push(msg("delta", 8, "102"), 0);
        assert!(matches!(
            gap.events[..],
            [StreamEvent::Gap {
                gap: BookGap::Skipped { .. },
                ..
            }]
        ));
        assert_eq!(gap.resubscribe, ["orderbook.50.BTCUSDT"]);
        // The old sequence's deltas still arriving: nothing, no more resubscriptions.
        for u in 9..12 {
            let h = s.on_push(msg("delta", u, "103"), 0);
            assert!(h.events.is_empty() && h.resubscribe.is_empty());
        }
        // The fresh snapshot, then its deltas.
        let snap = s.on_push(msg("snapshot", 20, "104"), 0);
        assert!(matches!(
            snap.events[..],
            [StreamEvent::Book {
                applied: Applied::Snapshot,
                ..
            }]
        ));
        assert!(matches!(
            s.on_push(msg("delta", 21, "105"), 0).events[..],
            [StreamEvent::Book {
                applied: Applied::Delta,
                ..
            }]
        ));
    }
}
