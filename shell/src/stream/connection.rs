//! One stream's life: connect, authenticate (private), subscribe, ping,
//! read until the connection is given up, wait a jittered backoff, and
//! again. What the pushes mean is the `Role`'s.

use futures_util::StreamExt;
use mm_bybit::ws::{
    AuthRequest, ClientRequest, OP_AUTH, OP_SUBSCRIBE, OpReply, OpRequest, StreamMessage,
};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::socket::{self, Ws};
use super::{StreamEvent, StreamKind, StreamSettings};
use crate::secrets::Credentials;

/// An auth message is valid this long after it is signed (Bybit: "a few
/// seconds" in the future).
const AUTH_VALID_MS: u64 = 10_000;

/// What one stream subscribes to and does with its pushes.
pub(super) trait Role: Send {
    const KIND: StreamKind;
    /// The stream's path on the host (`/v5/public/linear`, `/v5/private`).
    fn path(&self) -> String;
    fn topics(&self) -> Vec<String>;
    /// A new connection starts: forget what the last one built.
    fn reset(&mut self);
    /// A pushed message (replies to ops are the connection's).
    fn on_push(&mut self, msg: StreamMessage, received_ms: u64) -> Handled;
}

/// What a push led to.
#[derive(Debug, Default)]
pub(super) struct Handled {
    pub(super) events: Vec<StreamEvent>,
    /// Topics to unsubscribe and subscribe again (for a fresh snapshot).
    pub(super) resubscribe: Vec<String>,
}

/// The task: sessions one after the other until `stop` or until nobody
/// reads the events.
pub(super) async fn run<R: Role>(
    settings: StreamSettings,
    creds: Option<Credentials>,
    mut role: R,
    tx: mpsc::Sender<StreamEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = settings.backoff();
    let url = format!("{}{}", settings.base_url, role.path());
    let mut attempt = 0u32;
    let mut connection = 0u64;
    loop {
        connection += 1;
        let mut link = Link {
            settings: &settings,
            creds: creds.as_ref(),
            tx: &tx,
            connection,
            up: false,
        };
        let ended = tokio::select! {
            ended = link.session(&url, &mut role) => ended,
            _ = stop.changed() => return,
        };
        let Ended::Lost(reason) = ended else {
            return;
        };
        let reason = match creds.as_ref() {
            Some(c) => c.scrub(&reason),
            None => reason,
        };
        tracing::warn!("{} stream down: {reason}; reconnecting", R::KIND);
        if link.up {
            attempt = 0;
        }
        let down = StreamEvent::Down {
            stream: R::KIND,
            reason,
        };
        if tx.send(down).await.is_err() {
            return;
        }
        let wait = backoff.delay(attempt);
        attempt = attempt.saturating_add(1);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

enum Ended {
    /// The connection was given up for this reason.
    Lost(String),
    /// Nobody reads the events any more.
    Unread,
}

/// One connection's context.
struct Link<'a> {
    settings: &'a StreamSettings,
    creds: Option<&'a Credentials>,
    tx: &'a mpsc::Sender<StreamEvent>,
    connection: u64,
    /// Every topic was subscribed on this connection.
    up: bool,
}

impl Link<'_> {
    async fn session<R: Role>(&mut self, url: &str, role: &mut R) -> Ended {
        let mut ws = match socket::open(self.settings, url).await {
            Ok(ws) => ws,
            Err(e) => return Ended::Lost(e),
        };
        role.reset();
        let first = match self.creds {
            Some(c) => ClientRequest::Auth(AuthRequest::new(
                Some("auth".to_string()),
                c.key(),
                c.secret(),
                crate::now_ms() + AUTH_VALID_MS,
            )),
            None => subscribe(role.topics()),
        };
        if let Err(e) = send(&mut ws, &first).await {
            return e;
        }
        let every = self.settings.ping_every;
        let mut ping = tokio::time::interval_at(Instant::now() + every, every);
        let mut last_heard = Instant::now();
        loop {
            tokio::select! {
                frame = ws.next() => {
                    last_heard = Instant::now();
                    let text = match socket::text(frame) {
                        Ok(Some(t)) => t,
                        Ok(None) => continue,
                        Err(e) => return Ended::Lost(e),
                    };
                    let msg = match StreamMessage::parse(text.as_str()) {
                        Ok(m) => m,
                        Err(e) => {
                            tracing::warn!("{} stream: {e}: skipped", R::KIND);
                            continue;
                        }
                    };
                    if let Err(ended) = self.on_message(&mut ws, role, msg).await {
                        return ended;
                    }
                }
                _ = ping.tick() => {
                    if let Err(e) = send(&mut ws, &ClientRequest::Ping(OpRequest::ping(None))).await {
                        return e;
                    }
                }
                () = tokio::time::sleep_until(last_heard + self.settings.dead_after) => {
                    return Ended::Lost(socket::silent(self.settings));
                }
            }
        }
    }

    async fn on_message<R: Role>(
        &mut self,
        ws: &mut Ws,
        role: &mut R,
        msg: StreamMessage,
    ) -> Result<(), Ended> {
        let reply = match msg {
            StreamMessage::Reply(r) => r,
            push => {
                let handled = role.on_push(push, crate::now_ms());
                for e in handled.events {
                    self.emit(e).await?;
                }
                for topic in handled.resubscribe {
                    let off = ClientRequest::Unsubscribe(OpRequest::unsubscribe(
                        None,
                        vec![topic.clone()],
                    ));
                    send(ws, &off).await?;
                    send(ws, &subscribe(vec![topic])).await?;
                }
                return Ok(());
            }
        };
        match reply.op.as_deref() {
            Some(OP_AUTH) => {
                refused(&reply, "auth")?;
                send(ws, &subscribe(role.topics())).await
            }
            Some(OP_SUBSCRIBE) => {
                refused(&reply, "subscribe")?;
                if !self.up {
                    self.up = true;
                    tracing::info!("{} stream up (connection {})", R::KIND, self.connection);
                    self.emit(StreamEvent::Up {
                        stream: R::KIND,
                        connection: self.connection,
                    })
                    .await?;
                }
                Ok(())
            }
            // Pongs and unsubscribe acks: hearing them was the point.
            _ => Ok(()),
        }
    }

    async fn emit(&self, e: StreamEvent) -> Result<(), Ended> {
        self.tx.send(e).await.map_err(|_| Ended::Unread)
    }
}

fn refused(reply: &OpReply, what: &str) -> Result<(), Ended> {
    match reply.error() {
        Some(e) => Err(Ended::Lost(format!("{what} refused: {e}"))),
        None => Ok(()),
    }
}

fn subscribe(topics: Vec<String>) -> ClientRequest {
    ClientRequest::Subscribe(OpRequest::subscribe(None, topics))
}

async fn send(ws: &mut Ws, req: &ClientRequest) -> Result<(), Ended> {
    socket::write(ws, req.to_json()).await.map_err(Ended::Lost)
}
