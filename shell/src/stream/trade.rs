//! Order entry over Bybit's trade stream (`/v5/trade`), transport only: one
//! authenticated connection that sends mm-bybit trade requests and matches
//! each reply to its request by `reqId`.
//!
//! Every request gets exactly one answer: its reply, or a `TradeError`.
//! A request sent while the connection is down (or still authenticating)
//! is refused at once (`NotConnected`: it never left, so it cannot have
//! been applied). When the connection is lost, every request in flight is
//! answered `Lost` at that moment (it may or may not have been applied); a
//! reply that never comes is `Timeout` after `reply_timeout`. The
//! connection then comes back after a jittered backoff and authenticates
//! again. A reply whose `reqId` is unknown (or absent: the legacy failure
//! shape) is logged and dropped; its request times out.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::time::Duration;

use futures_util::StreamExt;
use mm_bybit::ws::trade::{TradeMessage, TradeRequest};
use mm_bybit::ws::{AuthRequest, ClientRequest, OpRequest, TRADE_PATH};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::StreamSettings;
use super::socket::{self, Ws};
use crate::secrets::Credentials;

/// Why a request got no reply. `maybe_applied` tells whether the exchange
/// may have acted on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TradeError {
    #[error("a trade request needs a reqId to be matched to its reply")]
    NoReqId,
    #[error("reqId {0} is already in flight")]
    DuplicateReqId(String),
    #[error("trade connection down ({0}): not sent")]
    NotConnected(String),
    #[error("trade connection lost with the request in flight: {0}")]
    Lost(String),
    #[error("no reply within {0} ms")]
    Timeout(u128),
    #[error("the trade client stopped")]
    Stopped,
}

impl TradeError {
    /// The request may have reached the exchange (settle it by asking).
    pub fn maybe_applied(&self) -> bool {
        matches!(self, TradeError::Lost(_) | TradeError::Timeout(_))
    }
}

/// The connection as callers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeLink {
    /// Authenticated; `connection` counts connections from 1.
    Up { connection: u64 },
    /// Not usable, and why.
    Down(String),
    /// The exchange refused the credentials (auth's retCode and message);
    /// it keeps trying, but only new credentials can help.
    Refused(String),
}

type Answer = Result<TradeMessage, TradeError>;

enum Call {
    Send {
        req_id: String,
        json: String,
        answer: oneshot::Sender<Answer>,
    },
    /// The caller stopped waiting (timeout).
    Forget(String),
}

/// A running trade connection; dropping it stops the task.
#[derive(Debug)]
pub struct TradeClient {
    calls: mpsc::Sender<Call>,
    link: watch::Receiver<TradeLink>,
    reply_timeout: Duration,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Call::Send { req_id, .. } => write!(f, "Send({req_id})"),
            Call::Forget(id) => write!(f, "Forget({id})"),
        }
    }
}

impl TradeClient {
    /// Connects to `settings.base_url` + `/v5/trade` with `creds`.
    pub fn spawn(settings: StreamSettings, creds: Credentials, reply_timeout: Duration) -> Self {
        let (calls, calls_rx) = mpsc::channel(256);
        let (link_tx, link) = watch::channel(TradeLink::Down("connecting".to_string()));
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(run(settings, creds, calls_rx, link_tx, stop_rx));
        TradeClient {
            calls,
            link,
            reply_timeout,
            stop,
        }
    }

    /// The connection's state, to watch.
    pub fn link(&self) -> watch::Receiver<TradeLink> {
        self.link.clone()
    }

    /// Sends `req` and waits for its reply (its `reqId` must be set and not
    /// in flight). `req` is serialized at once: the future holds no borrow
    /// of it.
    pub fn send<'a, A: Serialize>(
        &'a self,
        req: &TradeRequest<A>,
    ) -> impl Future<Output = Answer> + Send + use<'a, A> {
        let prepared = req.req_id.clone().map(|id| (id, req.to_json()));
        async move {
            let (req_id, json) = prepared.ok_or(TradeError::NoReqId)?;
            let (answer, rx) = oneshot::channel();
            let call = Call::Send {
                req_id: req_id.clone(),
                json,
                answer,
            };
            self.calls
                .send(call)
                .await
                .map_err(|_| TradeError::Stopped)?;
            match tokio::time::timeout(self.reply_timeout, rx).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(_)) => Err(TradeError::Stopped),
                Err(_) => {
                    let _ = self.calls.send(Call::Forget(req_id)).await;
                    Err(TradeError::Timeout(self.reply_timeout.as_millis()))
                }
            }
        }
    }
}

impl Drop for TradeClient {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn run(
    settings: StreamSettings,
    creds: Credentials,
    mut calls: mpsc::Receiver<Call>,
    link: watch::Sender<TradeLink>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = settings.backoff();
    let url = format!("{}{TRADE_PATH}", settings.base_url);
    let (mut attempt, mut connection) = (0u32, 0u64);
    loop {
        connection += 1;
        let mut conn = Connection {
            settings: &settings,
            creds: &creds,
            link: &link,
            connection,
            pending: BTreeMap::new(),
            up: false,
            refused: false,
        };
        let ended = tokio::select! {
            ended = conn.session(&url, &mut calls) => ended,
            _ = stop.changed() => None,
        };
        let Some(reason) = ended.map(|r| creds.scrub(&r)) else {
            conn.fail_all(&TradeError::Stopped);
            return;
        };
        conn.fail_all(&TradeError::Lost(reason.clone()));
        tracing::warn!("trade stream down: {reason}; reconnecting");
        if conn.up {
            attempt = 0;
        }
        link.send_replace(if conn.refused {
            TradeLink::Refused(reason.clone())
        } else {
            TradeLink::Down(reason.clone())
        });
        let until = Instant::now() + backoff.delay(attempt);
        attempt = attempt.saturating_add(1);
        // Down: every request is refused at once, not held.
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                call = calls.recv() => match call {
                    Some(Call::Send { answer, .. }) => {
                        let _ = answer.send(Err(TradeError::NotConnected(reason.clone())));
                    }
                    Some(Call::Forget(_)) => {}
                    None => return,
                },
                _ = stop.changed() => return,
            }
        }
    }
}

struct Connection<'a> {
    settings: &'a StreamSettings,
    creds: &'a Credentials,
    link: &'a watch::Sender<TradeLink>,
    connection: u64,
    pending: BTreeMap<String, oneshot::Sender<Answer>>,
    /// Authenticated on this connection.
    up: bool,
    /// Auth was refused on this connection.
    refused: bool,
}

impl Connection<'_> {
    /// Runs one connection: `Some(reason)` when it is lost, `None` when
    /// nobody can send any more.
    async fn session(&mut self, url: &str, calls: &mut mpsc::Receiver<Call>) -> Option<String> {
        let mut ws = match socket::open(self.settings, url).await {
            Ok(ws) => ws,
            Err(e) => return Some(e),
        };
        let auth = ClientRequest::Auth(AuthRequest::new(
            None,
            self.creds.key(),
            self.creds.secret(),
            crate::now_ms() + 10_000,
        ));
        if let Err(e) = socket::write(&mut ws, auth.to_json()).await {
            return Some(e);
        }
        let every = self.settings.ping_every;
        let mut ping = tokio::time::interval_at(Instant::now() + every, every);
        let mut last_heard = Instant::now();
        loop {
            tokio::select! {
                call = calls.recv() => {
                    let call = call?;
                    if let Err(e) = self.on_call(&mut ws, call).await {
                        return Some(e);
                    }
                }
                frame = ws.next() => {
                    last_heard = Instant::now();
                    let text = match socket::text(frame) {
                        Ok(Some(t)) => t,
                        Ok(None) => continue,
                        Err(e) => return Some(e),
                    };
                    if let Err(e) = self.on_text(text.as_str()) {
                        return Some(e);
                    }
                }
                _ = ping.tick() => {
                    let ping = ClientRequest::Ping(OpRequest::ping(None)).to_json();
                    if let Err(e) = socket::write(&mut ws, ping).await {
                        return Some(e);
                    }
                }
                () = tokio::time::sleep_until(last_heard + self.settings.dead_after) => {
                    return Some(socket::silent(self.settings));
                }
            }
        }
    }

    async fn on_call(&mut self, ws: &mut Ws, call: Call) -> Result<(), String> {
        let (req_id, json, answer) = match call {
            Call::Forget(id) => {
                self.pending.remove(&id);
                return Ok(());
            }
            Call::Send {
                req_id,
                json,
                answer,
            } => (req_id, json, answer),
        };
        if !self.up {
            let _ = answer.send(Err(TradeError::NotConnected("authenticating".to_string())));
            return Ok(());
        }
        match self.pending.entry(req_id) {
            Entry::Occupied(e) => {
                let _ = answer.send(Err(TradeError::DuplicateReqId(e.key().clone())));
                Ok(())
            }
            // In flight from here: a failed write loses it with the others.
            Entry::Vacant(e) => {
                e.insert(answer);
                socket::write(ws, json).await
            }
        }
    }

    fn on_text(&mut self, text: &str) -> Result<(), String> {
        let msg = match TradeMessage::parse(text) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("trade stream: {e}: skipped");
                return Ok(());
            }
        };
        match msg {
            TradeMessage::Auth(r) if r.is_ok() => {
                self.up = true;
                tracing::info!("trade stream up (connection {})", self.connection);
                self.link.send_replace(TradeLink::Up {
                    connection: self.connection,
                });
            }
            TradeMessage::Auth(r) => {
                self.refused = true;
                return Err(format!("auth refused: {} {}", r.ret_code, r.ret_msg));
            }
            TradeMessage::Pong(_) => {}
            reply => match reply.req_id().map(str::to_string) {
                Some(id) => match self.pending.remove(&id) {
                    Some(answer) => {
                        let _ = answer.send(Ok(reply));
                    }
                    None => tracing::warn!("trade stream: reply to reqId {id} not in flight"),
                },
                // Scrubbed: a refusal may echo what it was sent.
                None => tracing::warn!(
                    "trade stream: a reply without reqId: {}",
                    self.creds.scrub(&reply.to_json())
                ),
            },
        }
        Ok(())
    }

    /// Answers every request still in flight with `error`.
    fn fail_all(&mut self, error: &TradeError) {
        for (_, answer) in std::mem::take(&mut self.pending) {
            let _ = answer.send(Err(error.clone()));
        }
    }
}
