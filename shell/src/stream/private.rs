//! The private stream: `order`, `execution` and `position` (every category
//! in one topic each), handed on as the wire sent them.

use mm_bybit::ws::{PRIVATE_PATH, StreamMessage};

use super::connection::{Handled, Role};
use super::{StreamEvent, StreamKind};

/// The topics subscribed after auth.
pub const PRIVATE_TOPICS: [&str; 3] = ["order", "execution", "position"];

#[derive(Debug, Clone, Copy, Default)]
pub struct PrivateStream;

impl Role for PrivateStream {
    const KIND: StreamKind = StreamKind::Private;

    fn path(&self) -> String {
        PRIVATE_PATH.to_string()
    }

    fn topics(&self) -> Vec<String> {
        PRIVATE_TOPICS.iter().map(|t| t.to_string()).collect()
    }

    fn reset(&mut self) {}

    fn on_push(&mut self, msg: StreamMessage, _received_ms: u64) -> Handled {
        let event = match msg {
            StreamMessage::Order(p) => StreamEvent::Order(p),
            StreamMessage::Execution(p) => StreamEvent::Execution(p),
            StreamMessage::Position(p) => StreamEvent::Position(p),
            // Not subscribed to; a server that sends them anyway is ignored.
            _ => return Handled::default(),
        };
        Handled {
            events: vec![event],
            resubscribe: Vec::new(),
        }
    }
}
