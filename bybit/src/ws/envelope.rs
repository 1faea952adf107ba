//! Envelopes of the public and private streams: op requests, op replies (every dialect Bybit
//! uses on those streams) and topic pushes. The trade stream's envelopes are in `trade`.

use serde::{Deserialize, Serialize};

use crate::Category;

/// `op` of a subscribe request and its reply.
pub const OP_SUBSCRIBE: &str = "subscribe";
/// `op` of an unsubscribe request and its reply.
pub const OP_UNSUBSCRIBE: &str = "unsubscribe";
/// `op` of a heartbeat request (and of spot/linear pong replies).
pub const OP_PING: &str = "ping";
/// `op` of option/spread, private and trade pong replies.
pub const OP_PONG: &str = "pong";
/// `op` of the authentication request and its reply.
pub const OP_AUTH: &str = "auth";
/// `type` of the option/spread streams' op replies.
pub const COMMAND_RESP: &str = "COMMAND_RESP";

/// A `subscribe`, `unsubscribe` or `ping` request: `{"req_id":"x","op":"subscribe","args":[...]}`.
/// (The auth request has mixed-type args: [`crate::ws::AuthRequest`].)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRequest {
    /// Optional id, echoed in the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req_id: Option<String>,
    /// The op.
    pub op: String,
    /// Topic names (empty for ping).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

impl OpRequest {
    /// Subscribe to `topics` (spot takes at most 10 per request).
    pub fn subscribe(req_id: Option<String>, topics: Vec<String>) -> Self {
        Self {
            req_id,
            op: OP_SUBSCRIBE.to_owned(),
            args: topics,
        }
    }

    /// Unsubscribe from `topics`.
    pub fn unsubscribe(req_id: Option<String>, topics: Vec<String>) -> Self {
        Self {
            req_id,
            op: OP_UNSUBSCRIBE.to_owned(),
            args: topics,
        }
    }

    /// Heartbeat.
    pub fn ping(req_id: Option<String>) -> Self {
        Self {
            req_id,
            op: OP_PING.to_owned(),
            args: Vec::new(),
        }
    }
}

/// `data` of an option/spread op reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CommandData {
    /// Topics refused.
    pub fail_topics: Vec<String>,
    /// Topics accepted.
    pub success_topics: Vec<String>,
}

/// A reply to an op on a public or private stream, in whichever dialect the stream speaks:
/// - private, spot, linear/inverse: `{"success":true,"ret_msg":"","op":"subscribe","conn_id":"…"}`
///   (spot's `ret_msg` is `"subscribe"`, linear adds `"req_id":""`); their pongs are
///   `{"success":true,"ret_msg":"pong","op":"ping",…}` (spot, linear) or
///   `{"op":"pong","args":["<ms>"],…}` (private);
/// - option/spread: `{"success":true,"conn_id":"…","data":{"failTopics":[],"successTopics":[…]},
///   "type":"COMMAND_RESP"}` (no `op`), and pongs `{"args":["<ms>"],"op":"pong"}`.
///
/// Absent keys stay absent when serialized, so the constructors give each dialect exactly.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OpReply {
    /// Outcome (absent on option pongs and private pongs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// Message ("" on success, "pong" on spot/linear pongs, the error otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ret_msg: Option<String>,
    /// Connection id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conn_id: Option<String>,
    /// The request's `req_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub req_id: Option<String>,
    /// The op answered (`"ping"` on spot/linear pongs; absent on option op replies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// Pong payload: the server time in ms, as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// Option/spread: topics accepted and refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<CommandData>,
    /// Option/spread: `"COMMAND_RESP"`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl OpReply {
    /// The reply to `op` on the private stream (subscribe, unsubscribe, auth).
    pub fn private(op: &str, req_id: Option<String>, conn_id: &str, error: Option<&str>) -> Self {
        Self {
            success: Some(error.is_none()),
            ret_msg: Some(error.unwrap_or_default().to_owned()),
            conn_id: Some(conn_id.to_owned()),
            req_id,
            op: Some(op.to_owned()),
            ..Self::default()
        }
    }

    /// The reply to a subscribe/unsubscribe of `topics` on `category`'s public stream; `error`
    /// refuses all of them.
    pub fn public(
        category: Category,
        op: &str,
        req_id: Option<String>,
        conn_id: &str,
        topics: &[String],
        error: Option<&str>,
    ) -> Self {
        let base = Self {
            success: Some(error.is_none()),
            conn_id: Some(conn_id.to_owned()),
            ..Self::default()
        };
        match category {
            Category::Option => {
                let (success_topics, fail_topics) = match error {
                    None => (topics.to_vec(), Vec::new()),
                    Some(_) => (Vec::new(), topics.to_vec()),
                };
                Self {
                    data: Some(CommandData {
                        fail_topics,
                        success_topics,
                    }),
                    kind: Some(COMMAND_RESP.to_owned()),
                    ..base
                }
            }
            Category::Spot => Self {
                ret_msg: Some(error.unwrap_or(op).to_owned()),
                req_id,
                op: Some(op.to_owned()),
                ..base
            },
            Category::Linear | Category::Inverse => Self {
                ret_msg: Some(error.unwrap_or_default().to_owned()),
                req_id: Some(req_id.unwrap_or_default()),
                op: Some(op.to_owned()),
                ..base
            },
        }
    }

    /// The pong to a ping on a public stream (`Some(category)`) or the private stream (`None`).
    pub fn pong(
        stream: Option<Category>,
        req_id: Option<String>,
        conn_id: &str,
        now_ms: u64,
    ) -> Self {
        let time = Some(vec![now_ms.to_string()]);
        match stream {
            None => Self {
                req_id,
                op: Some(OP_PONG.to_owned()),
                args: time,
                conn_id: Some(conn_id.to_owned()),
                ..Self::default()
            },
            Some(Category::Option) => Self {
                args: time,
                op: Some(OP_PONG.to_owned()),
                ..Self::default()
            },
            Some(c) => Self {
                success: Some(true),
                ret_msg: Some(OP_PONG.to_owned()),
                conn_id: Some(conn_id.to_owned()),
                req_id: match c {
                    Category::Spot => req_id,
                    _ => Some(req_id.unwrap_or_default()),
                },
                op: Some(OP_PING.to_owned()),
                ..Self::default()
            },
        }
    }

    /// True for a pong in any dialect.
    pub fn is_pong(&self) -> bool {
        match self.op.as_deref() {
            Some(OP_PONG) => true,
            Some(OP_PING) => self.ret_msg.as_deref() == Some(OP_PONG),
            _ => false,
        }
    }

    /// True when the op succeeded: `success` is true and no topic was refused. A pong without
    /// `success` counts as a success.
    pub fn is_success(&self) -> bool {
        let refused = self
            .data
            .as_ref()
            .is_some_and(|d| !d.fail_topics.is_empty());
        !refused && self.success.unwrap_or_else(|| self.is_pong())
    }

    /// The error text of a failed op (`ret_msg`, or the refused topics of an option reply).
    pub fn error(&self) -> Option<String> {
        if self.is_success() {
            return None;
        }
        match (&self.ret_msg, &self.data) {
            (Some(m), _) if !m.is_empty() => Some(m.clone()),
            (_, Some(d)) if !d.fail_topics.is_empty() => {
                Some(format!("topics refused: {}", d.fail_topics.join(", ")))
            }
            _ => Some("refused without a message".to_owned()),
        }
    }
}

/// `type` of a public push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushType {
    /// The full state: replaces whatever the receiver had.
    Snapshot,
    /// Changes since the previous message.
    Delta,
}

/// A public topic push: `{"topic":"…","type":"snapshot","ts":…,"data":…,"cts":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push<T> {
    /// Message id (option tickers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Topic name; see [`crate::ws::Topic`].
    pub topic: String,
    /// Snapshot or delta.
    #[serde(rename = "type")]
    pub kind: PushType,
    /// Publish time (ms).
    pub ts: u64,
    /// The payload.
    pub data: T,
    /// Matching-engine time (ms) of the book change (orderbook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cts: Option<u64>,
    /// Cross sequence (tickers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cs: Option<u64>,
}

/// A private topic push: `{"id":"…","topic":"order","creationTime":…,"data":[…]}`. One message
/// may carry several items; there is no ordering guarantee across topics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivatePush<T> {
    /// Message id (absent on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Topic name (`order`, `order.linear`, …).
    pub topic: String,
    /// Creation time (ms).
    pub creation_time: u64,
    /// The items.
    pub data: Vec<T>,
}
