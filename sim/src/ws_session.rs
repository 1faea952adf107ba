//! One WebSocket connection's life, shared by the public, private and trade channels: its id,
//! the loop over client frames, engine events, what the channel produces on its own (the
//! trade stream's delayed replies) and the idle timer, and pushes with the seeded stream
//! faults. Command replies (pong, subscribe, auth) are never faulted.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::Value;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::events::Event;
use crate::faults::StreamFault;
use crate::rng::{hash, stream};
use crate::shared::Shared;
use crate::state::Counters;

/// A client command: `{"op", "args", "req_id"}`.
pub(crate) struct Command {
    pub(crate) op: String,
    pub(crate) args: Vec<Value>,
    pub(crate) req_id: Option<String>,
}

impl Command {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(text).ok()?;
        Some(Self {
            op: v.get("op")?.as_str()?.to_string(),
            args: v
                .get("args")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            req_id: v.get("req_id").and_then(Value::as_str).map(str::to_string),
        })
    }

    pub(crate) fn topics(&self) -> Vec<String> {
        self.args
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect()
    }
}

/// What a channel does with what arrives.
pub(crate) trait Channel {
    /// A text frame from the client; false closes the connection.
    async fn on_text(&mut self, s: &mut Session, text: &str) -> bool;
    /// An engine event; false closes the connection.
    async fn on_event(&mut self, s: &mut Session, ev: &Event) -> bool;
    /// The connection fell behind the event bus and missed events; false closes it.
    async fn on_lag(&mut self, s: &mut Session) -> bool;
    /// Whether the channel wants the engine's events at all (a connection that listens makes
    /// the engine build them).
    fn wants_events(&self) -> bool {
        true
    }
    /// The next frame the channel produced on its own; by default none ever comes.
    async fn outgoing(&mut self) -> Outgoing {
        std::future::pending().await
    }
}

/// A frame a channel produced on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// Send this text (not faulted).
    Text(String),
    /// End the connection at once, without a close frame.
    Drop,
}

/// The next engine event, or never when not listening.
async fn next_event(rx: &mut Option<Receiver<Arc<Event>>>) -> Result<Arc<Event>, RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// What became of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    Sent,
    /// A `ws_skip` fault ate it (order book deltas only).
    Skipped,
    /// The connection is gone (closed by the client, or a `ws_drop` fault).
    Closed,
}

pub(crate) struct Session {
    pub(crate) shared: Arc<Shared>,
    socket: WebSocket,
    conn_no: u64,
    pub(crate) conn_id: String,
    pushes: u64,
    last_heard: Instant,
}

impl Session {
    pub(crate) fn new(shared: Arc<Shared>, socket: WebSocket) -> Self {
        let conn_no = {
            let mut inner = shared.lock();
            inner.stream_conns += 1;
            inner.counters.stream_connections += 1;
            inner.stream_conns
        };
        let h = hash(&[shared.cfg.seed, stream::WS_FAULT, conn_no, u64::MAX]);
        let conn_id = format!("{h:016x}-{conn_no}");
        Self {
            shared,
            socket,
            conn_no,
            conn_id,
            pushes: 0,
            last_heard: Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> u64 {
        self.shared.clock.now_ms()
    }

    /// Sends a command reply; false if the connection is gone.
    pub(crate) async fn reply(&mut self, v: &Value) -> bool {
        self.socket
            .send(Message::Text(v.to_string().into()))
            .await
            .is_ok()
    }

    /// Sends a reply already in JSON text; false if the connection is gone.
    pub(crate) async fn reply_text(&mut self, text: String) -> bool {
        self.socket.send(Message::Text(text.into())).await.is_ok()
    }

    /// Sends a data push through the stream faults. `delta`: an order book delta, the only
    /// push a `ws_skip` fault eats.
    pub(crate) async fn push(&mut self, v: &Value, delta: bool) -> Pushed {
        let n = self.pushes;
        self.pushes += 1;
        let cfg = &self.shared.cfg;
        let fault = cfg
            .faults
            .decide_stream(cfg.seed, self.conn_no, n)
            .filter(|f| *f != StreamFault::Skip || delta);
        if let Some(f) = fault {
            let mut inner = self.shared.lock();
            Counters::bump(&mut inner.counters.faults_injected, f.name(), 1);
        }
        let text = v.to_string();
        match fault {
            Some(StreamFault::Drop) => return Pushed::Closed,
            Some(StreamFault::Skip) => return Pushed::Skipped,
            Some(StreamFault::Delay) => {
                tokio::time::sleep(Duration::from_millis(cfg.ws_delay_ms)).await;
            }
            Some(StreamFault::Duplicate)
                if self
                    .socket
                    .send(Message::Text(text.clone().into()))
                    .await
                    .is_err() =>
            {
                return Pushed::Closed;
            }
            Some(StreamFault::Duplicate) => {}
            None => {}
        }
        match self.socket.send(Message::Text(text.into())).await {
            Ok(()) => Pushed::Sent,
            Err(_) => Pushed::Closed,
        }
    }

    /// Serves the connection until either side ends it or it goes idle.
    pub(crate) async fn run(mut self, mut channel: impl Channel) {
        let mut rx = channel.wants_events().then(|| self.shared.bus.subscribe());
        let mut stopping = self.shared.stopping.subscribe();
        let idle = Duration::from_millis(self.shared.cfg.ws_idle_ms);
        loop {
            let deadline = self.last_heard + idle;
            tokio::select! {
                msg = self.socket.recv() => match msg {
                    Some(Ok(Message::Text(t))) => {
                        self.last_heard = Instant::now();
                        if !channel.on_text(&mut self, t.as_str()).await {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => self.last_heard = Instant::now(),
                },
                out = channel.outgoing() => match out {
                    Outgoing::Text(t) => {
                        if self.socket.send(Message::Text(t.into())).await.is_err() {
                            break;
                        }
                    }
                    Outgoing::Drop => break,
                },
                ev = next_event(&mut rx) => {
                    let keep = match ev {
                        Ok(ev) => channel.on_event(&mut self, &ev).await,
                        Err(RecvError::Lagged(_)) => channel.on_lag(&mut self).await,
                        Err(RecvError::Closed) => false,
                    };
                    if !keep {
                        break;
                    }
                }
                _ = stopping.changed() => {
                    let frame = CloseFrame { code: 1001, reason: "simulator stopping".into() };
                    let _ = self.socket.send(Message::Close(Some(frame))).await;
                    break;
                }
                () = tokio::time::sleep_until(deadline) => {
                    // Bybit closes a connection that sent no ping for too long.
                    let frame = CloseFrame { code: 1000, reason: "idle timeout".into() };
                    let _ = self.socket.send(Message::Close(Some(frame))).await;
                    break;
                }
            }
        }
    }
}
