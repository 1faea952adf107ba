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
//!
//! The connection's task keeps every request's deadline and answers it
//! itself: to `send`'s future, or (`submit`) by calling the caller's
//! function on that task, so that a reply reaches the event loop without
//! waking a task per request on the way (each wake-up is a hop between
//! threads, ~0.1 ms on a busy 2-core machine, twice a round trip). Requests
//! queued together go out in one write; `hold` makes requests submitted one
//! by one reach the task together.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
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

/// What a request gets back: its reply, or why none.
pub(crate) type Answer = Result<TradeMessage, TradeError>;

/// Where a request's one answer goes.
enum Responder {
    /// `send`'s future waits for it.
    Wait(oneshot::Sender<Answer>),
    /// `submit`'s function, called on the connection's task.
    Call(Box<dyn FnOnce(Answer) + Send>),
}

impl Responder {
    fn answer(self, answer: Answer) {
        match self {
            Responder::Wait(tx) => {
                // The caller may have stopped waiting.
                let _ = tx.send(answer);
            }
            Responder::Call(f) => f(answer),
        }
    }
}

struct Call {
    req_id: String,
    json: String,
    answer: Responder,
}

/// A running trade connection; dropping it stops the task.
#[derive(Debug)]
pub struct TradeClient {
    /// Requests submitted together travel as one message (one wake-up).
    calls: mpsc::UnboundedSender<Vec<Call>>,
    /// Requests queued while a `Hold` lives.
    held: Mutex<Held>,
    link: watch::Receiver<TradeLink>,
    stop: watch::Sender<bool>,
}

/// The requests held back, and how many `Hold`s hold them.
#[derive(Debug, Default)]
struct Held {
    holds: usize,
    calls: Vec<Call>,
}

/// While one lives, requests wait in the client instead of waking the
/// connection's task one at a time; when the last one ends, they go to it
/// as one message, in order, and out in one write. Sent one by one, the
/// first woke the task (often on the other worker thread) and went out
/// alone: the two batches a tick starts with left 0.2-0.3 ms apart (median,
/// release, 2-core VM), and a round ends with its last reply. Never wait
/// for a reply while holding: the request has not left.
#[derive(Debug)]
pub struct Hold<'a>(&'a TradeClient);

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        let calls = {
            let mut held = self.0.lock_held();
            held.holds -= 1;
            if held.holds > 0 {
                return;
            }
            std::mem::take(&mut held.calls)
        };
        if !calls.is_empty() {
            self.0.send_now(calls);
        }
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Call({})", self.req_id)
    }
}

impl TradeClient {
    /// Connects to `settings.base_url` + `/v5/trade` with `creds`.
    pub fn spawn(settings: StreamSettings, creds: Credentials, reply_timeout: Duration) -> Self {
        // Unbounded: core bounds the requests in flight.
        let (calls, calls_rx) = mpsc::unbounded_channel();
        let (link_tx, link) = watch::channel(TradeLink::Down("connecting".to_string()));
        let (stop, stop_rx) = watch::channel(false);
        let task = Task {
            settings,
            creds,
            reply_timeout,
            link: link_tx,
        };
        tokio::spawn(task.run(calls_rx, stop_rx));
        TradeClient {
            calls,
            held: Mutex::default(),
            link,
            stop,
        }
    }

    /// Holds requests back until the returned `Hold` (and every other one)
    /// ends; see `Hold`.
    pub fn hold(&self) -> Hold<'_> {
        self.lock_held().holds += 1;
        Hold(self)
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, Held> {
        // A panic while holding the lock cannot leave `Held` half-changed.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
            let (tx, rx) = oneshot::channel();
            self.queue(req_id, json, Responder::Wait(tx));
            rx.await.unwrap_or(Err(TradeError::Stopped))
        }
    }

    /// Sends `req` without waiting: `done` gets its one answer, on the
    /// connection's task (keep it short: the connection waits for it), or
    /// at once here if it cannot be sent (no `reqId`, the task stopped).
    pub fn submit<A: Serialize>(
        &self,
        req: &TradeRequest<A>,
        done: impl FnOnce(Answer) + Send + 'static,
    ) {
        match &req.req_id {
            Some(id) => self.queue(id.clone(), req.to_json(), Responder::Call(Box::new(done))),
            None => done(Err(TradeError::NoReqId)),
        }
    }

    fn queue(&self, req_id: String, json: String, answer: Responder) {
        let call = Call {
            req_id,
            json,
            answer,
        };
        {
            let mut held = self.lock_held();
            if held.holds > 0 {
                held.calls.push(call);
                return;
            }
        }
        self.send_now(vec![call]);
    }

    fn send_now(&self, calls: Vec<Call>) {
        if let Err(mpsc::error::SendError(calls)) = self.calls.send(calls) {
            for call in calls {
                call.answer.answer(Err(TradeError::Stopped));
            }
        }
    }
}

impl Drop for TradeClient {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The connection's task: what it needs across connections.
struct Task {
    settings: StreamSettings,
    creds: Credentials,
    reply_timeout: Duration,
    link: watch::Sender<TradeLink>,
}

impl Task {
    async fn run(
        self,
        mut calls: mpsc::UnboundedReceiver<Vec<Call>>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut backoff = self.settings.backoff();
        let url = format!("{}{TRADE_PATH}", self.settings.base_url);
        let (mut attempt, mut connection) = (0u32, 0u64);
        loop {
            connection += 1;
            let mut conn = Connection {
                task: &self,
                connection,
                pending: BTreeMap::new(),
                deadlines: VecDeque::new(),
                sent: 0,
                up: false,
                refused: false,
            };
            let ended = tokio::select! {
                ended = conn.session(&url, &mut calls) => ended,
                _ = stop.changed() => None,
            };
            let Some(reason) = ended.map(|r| self.creds.scrub(&r)) else {
                conn.fail_all(&TradeError::Stopped);
                stopped(&mut calls);
                return;
            };
            conn.fail_all(&TradeError::Lost(reason.clone()));
            tracing::warn!("trade stream down: {reason}; reconnecting");
            if conn.up {
                attempt = 0;
            }
            self.link.send_replace(if conn.refused {
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
                    batch = calls.recv() => match batch {
                        Some(batch) => {
                            for call in batch {
                                call.answer.answer(Err(TradeError::NotConnected(reason.clone())));
                            }
                        }
                        None => return,
                    },
                    _ = stop.changed() => {
                        stopped(&mut calls);
                        return;
                    }
                }
            }
        }
    }
}

/// Answers the requests still queued when the client stops.
fn stopped(calls: &mut mpsc::UnboundedReceiver<Vec<Call>>) {
    calls.close();
    while let Ok(batch) = calls.try_recv() {
        for call in batch {
            call.answer.answer(Err(TradeError::Stopped));
        }
    }
}

/// Waits until `at`, or forever without one.
async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Connection<'a> {
    task: &'a Task,
    connection: u64,
    /// Requests in flight by `reqId`, with their send number.
    pending: BTreeMap<String, (u64, Responder)>,
    /// Each request's reply deadline and send number, in send order (the
    /// same timeout for all, so earliest first); answered ones are skipped.
    deadlines: VecDeque<(Instant, u64, String)>,
    /// Requests sent on this connection.
    sent: u64,
    /// Authenticated on this connection.
    up: bool,
    /// Auth was refused on this connection.
    refused: bool,
}

impl Connection<'_> {
    /// Runs one connection: `Some(reason)` when it is lost, `None` when
    /// nobody can send any more.
    async fn session(
        &mut self,
        url: &str,
        calls: &mut mpsc::UnboundedReceiver<Vec<Call>>,
    ) -> Option<String> {
        let settings = &self.task.settings;
        let mut ws = match socket::open(settings, url).await {
            Ok(ws) => ws,
            Err(e) => return Some(e),
        };
        let creds = &self.task.creds;
        let auth = ClientRequest::Auth(AuthRequest::new(
            None,
            creds.key(),
            creds.secret(),
            crate::now_ms() + 10_000,
        ));
        if let Err(e) = socket::write(&mut ws, auth.to_json()).await {
            return Some(e);
        }
        let every = settings.ping_every;
        let mut ping = tokio::time::interval_at(Instant::now() + every, every);
        let mut last_heard = Instant::now();
        loop {
            let next_deadline = self.deadlines.front().map(|d| d.0);
            tokio::select! {
                batch = calls.recv() => {
                    // Every request queued by now goes in one write.
                    let mut batch = Some(batch?);
                    while let Some(b) = batch {
                        let mut b = b.into_iter();
                        while let Some(c) = b.next() {
                            if let Err(e) = self.on_call(&mut ws, c).await {
                                // The rest never left.
                                for c in b {
                                    c.answer.answer(Err(TradeError::NotConnected(e.clone())));
                                }
                                return Some(e);
                            }
                        }
                        batch = calls.try_recv().ok();
                    }
                    if let Err(e) = socket::flush(&mut ws).await {
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
                () = until(next_deadline) => self.expire(),
                () = tokio::time::sleep_until(last_heard + settings.dead_after) => {
                    return Some(socket::silent(settings));
                }
            }
        }
    }

    /// Answers `Timeout` to every request past its deadline.
    fn expire(&mut self) {
        let now = Instant::now();
        while self.deadlines.front().is_some_and(|d| d.0 <= now) {
            let Some((_, seq, id)) = self.deadlines.pop_front() else {
                break;
            };
            // Answered already, or a later request reusing the reqId.
            if self.pending.get(&id).is_some_and(|p| p.0 == seq)
                && let Some((_, answer)) = self.pending.remove(&id)
            {
                let ms = self.task.reply_timeout.as_millis();
                answer.answer(Err(TradeError::Timeout(ms)));
            }
        }
    }

    /// Writes `call`'s frame, not flushed (the caller flushes).
    async fn on_call(&mut self, ws: &mut Ws, call: Call) -> Result<(), String> {
        let Call {
            req_id,
            json,
            answer,
        } = call;
        if !self.up {
            answer.answer(Err(TradeError::NotConnected("authenticating".to_string())));
            return Ok(());
        }
        match self.pending.entry(req_id) {
            Entry::Occupied(e) => {
                answer.answer(Err(TradeError::DuplicateReqId(e.key().clone())));
                Ok(())
            }
            // In flight from here: a failed write loses it with the others.
            Entry::Vacant(e) => {
                self.sent += 1;
                let deadline = Instant::now() + self.task.reply_timeout;
                self.deadlines
                    .push_back((deadline, self.sent, e.key().clone()));
                e.insert((self.sent, answer));
                socket::feed(ws, json).await
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
                self.task.link.send_replace(TradeLink::Up {
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
                    Some((_, answer)) => answer.answer(Ok(reply)),
                    None => tracing::warn!("trade stream: reply to reqId {id} not in flight"),
                },
                // Scrubbed: a refusal may echo what it was sent.
                None => tracing::warn!(
                    "trade stream: a reply without reqId: {}",
                    self.task.creds.scrub(&reply.to_json())
                ),
            },
        }
        Ok(())
    }

    /// Answers every request still in flight with `error`.
    fn fail_all(&mut self, error: &TradeError) {
        self.deadlines.clear();
        for (_, (_, answer)) in std::mem::take(&mut self.pending) {
            answer.answer(Err(error.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client whose connection task is the returned receiver.
    fn client() -> (TradeClient, mpsc::UnboundedReceiver<Vec<Call>>) {
        let (calls, rx) = mpsc::unbounded_channel();
        let (_, link) = watch::channel(TradeLink::Up { connection: 1 });
        let (stop, _) = watch::channel(false);
        let client = TradeClient {
            calls,
            held: Mutex::default(),
            link,
            stop,
        };
        (client, rx)
    }

    /// The messages the connection's task got, each as its requests' ids.
    fn ids(rx: &mut mpsc::UnboundedReceiver<Vec<Call>>) -> Vec<Vec<String>> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|b| b.into_iter().map(|c| c.req_id).collect())
            .collect()
    }

    fn submit(c: &TradeClient, id: &str) {
        c.queue(
            id.to_string(),
            "{}".to_string(),
            Responder::Call(Box::new(|_| {})),
        );
    }

    #[test]
    fn held_requests_reach_the_connection_as_one_message_in_order_when_the_last_hold_ends() {
        let (c, mut rx) = client();
        submit(&c, "a");
        assert_eq!(ids(&mut rx), [["a"]], "not held: at once");
        let outer = c.hold();
        submit(&c, "b");
        let inner = c.hold();
        submit(&c, "c");
        drop(inner);
        assert!(ids(&mut rx).is_empty(), "still held by the outer hold");
        submit(&c, "d");
        drop(outer);
        assert_eq!(ids(&mut rx), [["b", "c", "d"]], "one message, in order");
        submit(&c, "e");
        assert_eq!(ids(&mut rx), [["e"]], "released: at once again");
        drop(c.hold());
        assert!(ids(&mut rx).is_empty(), "an empty hold sends nothing");
    }

    #[test]
    fn a_held_request_is_answered_if_the_connection_task_is_gone() {
        let (c, rx) = client();
        let hold = c.hold();
        let (tx, mut answer) = oneshot::channel();
        c.queue("a".into(), "{}".into(), Responder::Wait(tx));
        drop(rx);
        drop(hold);
        assert_eq!(answer.try_recv().ok(), Some(Err(TradeError::Stopped)));
    }
}
