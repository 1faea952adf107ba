//! The public order book stream: `orderbook.{depth}.{symbol}` for each
//! symbol, an mm-bybit `Book` each, rebuilt from a snapshot on every
//! (re)connection and resubscribed when its deltas do not follow.

use std::collections::BTreeMap;

use mm_bybit::Category;
use mm_bybit::ws::{Applied, Book, BookGap, StreamMessage, Topic, TopicError};

use super::connection::{Handled, Role};
use super::{StreamEvent, StreamKind};

#[derive(Debug, Clone)]
pub struct BookStream {
    category: Category,
    /// Topic -> its book.
    books: BTreeMap<String, Book>,
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
        Ok(BookStream { category, books })
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
    }

    fn on_push(&mut self, msg: StreamMessage, received_ms: u64) -> Handled {
        let StreamMessage::Orderbook(push) = msg else {
            return Handled::default();
        };
        let Some(book) = self.books.get_mut(&push.topic) else {
            tracing::warn!("order book push on {} not subscribed: skipped", push.topic);
            return Handled::default();
        };
        match book.apply_push(&push) {
            // An exact repeat of the last delta changes nothing.
            Ok(Applied::Duplicate) => Handled::default(),
            Ok(applied) => Handled {
                events: vec![StreamEvent::Book {
                    symbol: push.data.s.clone(),
                    applied,
                    book: Box::new(book.clone()),
                    exchange_ts_ms: push.ts,
                    received_ms,
                }],
                resubscribe: Vec::new(),
            },
            Err(gap @ BookGap::WrongSymbol { .. }) => {
                tracing::warn!("order book push on {}: {gap}: skipped", push.topic);
                Handled::default()
            }
            Err(gap) => {
                tracing::warn!("order book {}: {gap}; resubscribing", push.topic);
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
