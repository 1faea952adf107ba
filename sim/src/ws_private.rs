//! `/v5/private`: `auth` (HMAC-SHA256 of `"GET/realtime" + expires` with the account's secret;
//! `expires` must be in the future), then `order`, `execution` and `position` of that account:
//! every order state change, every fill and the position it leaves, and the position after
//! every accepted create, amend and cancel (as Bybit pushes it). Bybit keeps no replay, so
//! a connection that falls behind the event bus is closed and the client resynchronises.
//! While `SimHandle::set_private_stream(false)` holds, a connection is closed at its next
//! event and a new one is refused with HTTP 503 (a private stream outage on demand).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::{StreamAuthError, stream_auth};
use crate::events::Event;
use crate::shared::Shared;
use crate::stream_wire::{self as wire, Dialect};
use crate::ws_session::{Channel, Command, Pushed, Session};

/// The private topics served (all categories in one topic, as `order` is on Bybit).
const TOPICS: [&str; 3] = ["order", "execution", "position"];

pub(crate) async fn upgrade(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> Response {
    if shared.private_off() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    ws.on_upgrade(move |socket| async move {
        let session = Session::new(shared, socket);
        let channel = Private {
            account: None,
            topics: BTreeSet::new(),
            pushes: 0,
        };
        session.run(channel).await;
    })
}

struct Private {
    account: Option<usize>,
    topics: BTreeSet<String>,
    pushes: u64,
}

/// Checks an `auth` command's args `[api key, expires ms, signature]`: the account, or
/// Bybit's failure message.
fn authenticate(shared: &Shared, cmd: &Command, now: u64) -> Result<usize, &'static str> {
    let [key, expires, sign] = cmd.args.as_slice() else {
        return Err("Params Error");
    };
    let (Some(key), Some(sign)) = (key.as_str(), sign.as_str()) else {
        return Err("Params Error");
    };
    let expires = expires
        .as_u64()
        .or_else(|| expires.as_str().and_then(|s| s.parse().ok()))
        .ok_or("Params Error")?;
    stream_auth(&shared.cfg.accounts, key, expires, sign, now).map_err(|e| match e {
        // UNCONFIRMED: the message Bybit sends for an expired auth (observed: "Params Error").
        StreamAuthError::Expired => "Params Error",
        StreamAuthError::UnknownKey => "error:invalid api key",
        StreamAuthError::BadSignature => "error:signature verification failed",
    })
}

impl Private {
    async fn send(&mut self, s: &mut Session, topic: &str, data: serde_json::Value) -> bool {
        if !self.topics.contains(topic) {
            return true;
        }
        self.pushes += 1;
        let id = format!("{}-{}", s.conn_id, self.pushes);
        let msg = wire::private(&id, topic, s.now(), vec![data]);
        s.push(&msg, false).await != Pushed::Closed
    }
}

impl Channel for Private {
    async fn on_text(&mut self, s: &mut Session, text: &str) -> bool {
        let d = Dialect::Private;
        let Some(cmd) = Command::parse(text) else {
            let v = wire::command(
                d,
                "",
                &s.conn_id,
                None,
                Err((&[], "error:request not JSON or no op")),
            );
            return s.reply(&v).await;
        };
        let req = cmd.req_id.as_deref();
        let v = match cmd.op.as_str() {
            "ping" => wire::pong(d, &s.conn_id, req, s.now()),
            "auth" => {
                let r = if self.account.is_some() {
                    Err("error:repeat auth")
                } else {
                    authenticate(&s.shared, &cmd, s.now())
                };
                if r.is_err() {
                    let mut inner = s.shared.lock();
                    inner.counters.auth_failures += 1;
                }
                match r {
                    Ok(a) => {
                        self.account = Some(a);
                        wire::command(d, "auth", &s.conn_id, req, Ok(&[]))
                    }
                    Err(why) => wire::command(d, "auth", &s.conn_id, req, Err((&[], why))),
                }
            }
            "subscribe" => {
                let topics = cmd.topics();
                let bad = topics.iter().find(|t| !TOPICS.contains(&t.as_str()));
                if self.account.is_none() {
                    wire::command(
                        d,
                        "subscribe",
                        &s.conn_id,
                        req,
                        Err((&topics, "Request not authorized")),
                    )
                } else if let Some(t) = bad {
                    let why = format!("error:handler not found,topic:{t}");
                    wire::command(d, "subscribe", &s.conn_id, req, Err((&topics, &why)))
                } else {
                    self.topics.extend(topics.iter().cloned());
                    wire::command(d, "subscribe", &s.conn_id, req, Ok(&topics))
                }
            }
            "unsubscribe" => {
                let topics = cmd.topics();
                for t in &topics {
                    self.topics.remove(t);
                }
                wire::command(d, "unsubscribe", &s.conn_id, req, Ok(&topics))
            }
            other => {
                let why = format!("error:unknown op {other}");
                wire::command(d, other, &s.conn_id, req, Err((&[], &why)))
            }
        };
        s.reply(&v).await
    }

    async fn on_event(&mut self, s: &mut Session, ev: &Event) -> bool {
        if s.shared.private_off() {
            return false;
        }
        if self.account.is_none() || ev.account() != self.account {
            return true;
        }
        match ev {
            Event::Order {
                category, order, ..
            } => {
                let data = wire::order_item(*category, order);
                self.send(s, "order", data).await
            }
            Event::Execution { fill, .. } => {
                let data = wire::execution_item(fill);
                self.send(s, "execution", data).await
            }
            Event::Position { position, .. } => {
                let data = wire::position_item(position);
                self.send(s, "position", data).await
            }
            Event::Market(_) => true,
        }
    }

    /// Missed private events cannot be replayed: close, so the client reconnects and
    /// resynchronises over REST.
    async fn on_lag(&mut self, _s: &mut Session) -> bool {
        self.account.is_none()
    }
}
