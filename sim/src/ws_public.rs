//! `/v5/public/{category}`: `orderbook.{depth}.{symbol}` (a snapshot on subscribe, then a delta
//! per market step with `u` +1 each; depth 1 is snapshot-only) and, for linear and inverse,
//! `tickers.{symbol}` (a snapshot, then deltas). Ping is answered in the category's dialect.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mm_bybit::Category;

use crate::events::{Event, MarketMove};
use crate::shared::Shared;
use crate::stream_book::{self, depth_allowed, levels};
use crate::stream_wire::{self as wire, Dialect};
use crate::ws_session::{Channel, Command, Pushed, Session};

pub(crate) async fn upgrade(
    ws: WebSocketUpgrade,
    Path(category): Path<String>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let Some(category) = Category::parse(&category) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    ws.on_upgrade(move |socket| async move {
        let session = Session::new(shared, socket);
        let channel = Public {
            category,
            dialect: Dialect::public(category),
            subs: BTreeMap::new(),
        };
        session.run(channel).await;
    })
}

enum Sub {
    Book {
        symbol: String,
        depth: usize,
        /// The book as last pushed (or skipped), and its `u`.
        last: Option<(stream_book::Side, stream_book::Side, u64)>,
    },
    Ticker {
        symbol: String,
        /// Mid (bid + ask, ticks) and `u` of the last push.
        last: Option<(u64, u64)>,
    },
}

struct Public {
    category: Category,
    dialect: Dialect,
    subs: BTreeMap<String, Sub>,
}

impl Public {
    /// The subscription a topic names, if this channel serves it.
    fn sub_for(&self, s: &Session, topic: &str) -> Option<Sub> {
        let parts: Vec<&str> = topic.split('.').collect();
        let known = |symbol: &str| {
            let inner = s.shared.lock();
            inner
                .ex
                .markets
                .get(symbol)
                .is_some_and(|m| m.category == self.category)
        };
        match parts.as_slice() {
            ["orderbook", depth, symbol] => {
                let depth: usize = depth.parse().ok()?;
                (depth_allowed(self.category, depth) && known(symbol)).then(|| Sub::Book {
                    symbol: symbol.to_string(),
                    depth,
                    last: None,
                })
            }
            ["tickers", symbol]
                if matches!(self.category, Category::Linear | Category::Inverse)
                    && known(symbol) =>
            {
                Some(Sub::Ticker {
                    symbol: symbol.to_string(),
                    last: None,
                })
            }
            _ => None,
        }
    }

    async fn subscribe(&mut self, s: &mut Session, cmd: &Command) -> bool {
        let topics = cmd.topics();
        let mut new = Vec::new();
        let mut why = None;
        for t in &topics {
            if self.subs.contains_key(t) || new.iter().any(|(n, _)| n == t) {
                why = Some(format!("error:already subscribed,topic:{t}"));
            } else if let Some(sub) = self.sub_for(s, t) {
                new.push((t.clone(), sub));
            } else {
                why = Some(format!("error:handler not found,topic:{t}"));
            }
            if why.is_some() {
                break;
            }
        }
        if topics.is_empty() {
            why = Some("error:args is empty".into());
        }
        let ack = match &why {
            None => wire::command(
                self.dialect,
                "subscribe",
                &s.conn_id,
                cmd.req_id.as_deref(),
                Ok(&topics),
            ),
            Some(w) => wire::command(
                self.dialect,
                "subscribe",
                &s.conn_id,
                cmd.req_id.as_deref(),
                Err((&topics, w)),
            ),
        };
        if !s.reply(&ack).await {
            return false;
        }
        if why.is_some() {
            return true;
        }
        for (topic, sub) in new {
            self.subs.insert(topic.clone(), sub);
            if !self.snapshot(s, &topic).await {
                return false;
            }
        }
        true
    }

    /// Pushes the current state of one subscription as a snapshot.
    async fn snapshot(&mut self, s: &mut Session, topic: &str) -> bool {
        let symbol = match self.subs.get(topic) {
            Some(Sub::Book { symbol, .. } | Sub::Ticker { symbol, .. }) => symbol.clone(),
            None => return true,
        };
        let now = s.now();
        let mv = {
            let inner = s.shared.lock();
            inner.ex.current_move(&symbol, now)
        };
        match mv {
            Some(mv) => self.on_move(s, topic.to_string(), &mv, true).await,
            None => true,
        }
    }

    /// Pushes what `mv` changes for the subscription `topic` (a snapshot if `fresh`).
    async fn on_move(
        &mut self,
        s: &mut Session,
        topic: String,
        mv: &MarketMove,
        fresh: bool,
    ) -> bool {
        let Some(sub) = self.subs.get_mut(&topic) else {
            return true;
        };
        match sub {
            Sub::Book {
                symbol,
                depth,
                last,
            } => {
                if *symbol != mv.symbol || last.as_ref().is_some_and(|l| mv.u <= l.2) {
                    return true;
                }
                let (bids, asks) = levels(mv, *depth);
                let (b, a, snapshot) = match last.as_ref() {
                    Some((ob, oa, _)) if !fresh && *depth > 1 => (
                        stream_book::diff(mv, ob, &bids, true),
                        stream_book::diff(mv, oa, &asks, false),
                        false,
                    ),
                    _ => (
                        stream_book::wire(mv, &bids, true),
                        stream_book::wire(mv, &asks, false),
                        true,
                    ),
                };
                *last = Some((bids, asks, mv.u));
                let msg =
                    wire::orderbook(&topic, snapshot, &mv.symbol, &b, &a, mv.u, mv.seq, mv.ts);
                s.push(&msg, !snapshot).await != Pushed::Closed
            }
            Sub::Ticker { symbol, last } => {
                if *symbol != mv.symbol || last.as_ref().is_some_and(|l| mv.u <= l.1) {
                    return true;
                }
                let price = mv.bid + mv.ask;
                let direction = match last.as_ref().map(|l| l.0) {
                    Some(p) if price < p => "MinusTick",
                    Some(p) if price == p => "ZeroPlusTick",
                    _ => "PlusTick",
                };
                let snapshot = last.is_none() || fresh;
                *last = Some((price, mv.u));
                let msg = wire::ticker(&topic, snapshot, &mv.ticker, direction, mv.seq, mv.ts);
                s.push(&msg, false).await != Pushed::Closed
            }
        }
    }
}

impl Channel for Public {
    async fn on_text(&mut self, s: &mut Session, text: &str) -> bool {
        let Some(cmd) = Command::parse(text) else {
            let v = wire::command(
                self.dialect,
                "",
                &s.conn_id,
                None,
                Err((&[], "error:request not JSON or no op")),
            );
            return s.reply(&v).await;
        };
        match cmd.op.as_str() {
            "ping" => {
                let v = wire::pong(self.dialect, &s.conn_id, cmd.req_id.as_deref(), s.now());
                s.reply(&v).await
            }
            "subscribe" => self.subscribe(s, &cmd).await,
            "unsubscribe" => {
                let topics = cmd.topics();
                for t in &topics {
                    self.subs.remove(t);
                }
                let v = wire::command(
                    self.dialect,
                    "unsubscribe",
                    &s.conn_id,
                    cmd.req_id.as_deref(),
                    Ok(&topics),
                );
                s.reply(&v).await
            }
            other => {
                let why = format!("error:unknown op {other}");
                let v = wire::command(
                    self.dialect,
                    other,
                    &s.conn_id,
                    cmd.req_id.as_deref(),
                    Err((&[], &why)),
                );
                s.reply(&v).await
            }
        }
    }

    async fn on_event(&mut self, s: &mut Session, ev: &Event) -> bool {
        let Event::Market(mv) = ev else {
            return true;
        };
        if mv.category != self.category {
            return true;
        }
        let topics: Vec<String> = self.subs.keys().cloned().collect();
        for t in topics {
            if !self.on_move(s, t, mv, false).await {
                return false;
            }
        }
        true
    }

    /// Missed moves: every subscription starts again from a snapshot (which replaces the
    /// client's book).
    async fn on_lag(&mut self, s: &mut Session) -> bool {
        let topics: Vec<String> = self.subs.keys().cloned().collect();
        for t in topics {
            match self.subs.get_mut(&t) {
                Some(Sub::Book { last, .. }) => *last = None,
                Some(Sub::Ticker { last, .. }) => *last = None,
                None => {}
            }
            if !self.snapshot(s, &t).await {
                return false;
            }
        }
        true
    }
}
