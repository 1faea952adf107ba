//! Everything that leaves the engine. The shell executes `Send`, appends
//! `Log` lines to the session log, records `TickDone` in its metrics, and
//! exits after `Stopped`; when to wake core is not an effect but
//! `Engine::poll_timeout`, read after draining. It decides nothing on its own.
//! `Fatal` (always followed by `Stopped`) says why the session ends early.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::{Category, OrderLinkId, Side, SymbolId};
pub use crate::domain::{Endpoint, RequestId};
use crate::grid_value::GridValue;
use crate::retcode;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    Send(Request),
    Log(LogEvent),
    TickDone(TickStats),
    /// The session cannot go on (the exchange refuses our credentials, or
    /// orders of an earlier session are open and `recovery.orphans =
    /// "refuse"`). Core sends nothing more, ever; `Stopped` follows at once.
    Fatal(Fatal),
    /// Shutdown finished: every order core knew of is confirmed gone (after
    /// `Fatal`: the session ended early, orders may be open).
    Stopped,
}

/// Why a session ended early. `Display` names the problem for the operator
/// (never a key: reply texts are scrubbed by the shell before core sees them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fatal {
    /// The exchange refused our credentials: retCode 10003 (invalid key),
    /// 10004 (signature), 10005 (permission), 33004 (key expired), or
    /// HTTP 401 (`code` = 401).
    Auth { code: i64, msg: String },
    /// Open orders of an earlier session (our orderLinkId form, another
    /// session id) found at start-up with `recovery.orphans = "refuse"`.
    OrphansRefused { order_link_ids: Vec<String> },
    /// A `[risk]` kill switch tripped (`max_loss`, `max_fills_per_minute`):
    /// quoting stopped and shutdown cancelled every order before this, so
    /// unlike the others it comes after the cancels, right before `Stopped`.
    /// Never re-armed: a new session needs a restart.
    KillSwitch { reason: String },
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fatal::Auth { code, msg } => {
                let what = match *code {
                    retcode::INVALID_API_KEY => "the API key is invalid",
                    retcode::SIGN_ERROR => "the request signature was refused (wrong API secret?)",
                    retcode::PERMISSION_DENIED => "the API key lacks a permission this needs",
                    retcode::API_KEY_EXPIRED => "the API key has expired",
                    401 => "HTTP 401 Unauthorized",
                    _ => "authentication failed",
                };
                let code = if *code == 401 {
                    "http 401".to_string()
                } else {
                    format!("retCode {code}")
                };
                write!(
                    f,
                    "the exchange refused our credentials ({code}: {what}; {msg}): check BYBIT_API_KEY / BYBIT_API_SECRET, the key's permissions, expiry and IP whitelist; nothing more was sent"
                )
            }
            Fatal::OrphansRefused { order_link_ids } => {
                const SHOWN: usize = 10;
                let mut list = order_link_ids
                    .iter()
                    .take(SHOWN)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                if order_link_ids.len() > SHOWN {
                    list.push_str(&format!(" and {} more", order_link_ids.len() - SHOWN));
                }
                write!(
                    f,
                    "{} open orders of an earlier session found at start-up and recovery.orphans = \"refuse\": {list}; cancel them, or set recovery.orphans = \"cancel\"",
                    order_link_ids.len()
                )
            }
            Fatal::KillSwitch { reason } => write!(
                f,
                "kill switch: {reason}; quoting stopped and shutdown cancelled our orders (see the shutdown lines for what was confirmed gone)"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub kind: RequestKind,
}

/// Exchange-neutral in meaning, 1:1 with Bybit v5 endpoints. Prices and
/// quantities are grid steps of the instrument (`GridValue`), symbols and
/// orderLinkIds are numbers (`SymbolId`, `OrderLinkId`); their text is
/// written where they leave core, from the session's `WireNames`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestKind {
    /// `POST /v5/order/create-batch`
    PlaceBatch {
        category: Category,
        orders: Vec<NewOrder>,
    },
    /// `POST /v5/order/amend-batch`
    AmendBatch {
        category: Category,
        orders: Vec<AmendOrder>,
    },
    /// `POST /v5/order/cancel-batch`
    CancelBatch {
        category: Category,
        orders: Vec<CancelOrder>,
    },
    /// `POST /v5/order/create`
    Place { category: Category, order: NewOrder },
    /// `POST /v5/order/amend`
    Amend {
        category: Category,
        order: AmendOrder,
    },
    /// `POST /v5/order/cancel`
    Cancel {
        category: Category,
        order: CancelOrder,
    },
    /// `POST /v5/order/cancel-all` for one symbol.
    CancelAll {
        category: Category,
        symbol: SymbolId,
    },
    /// `GET /v5/order/realtime`: by `order_link_id` when set, else every open
    /// order of `symbol`, one page (`limit`) at a time from `cursor`.
    /// `open_only` sends `openOnly=1`: the recently closed orders instead
    /// (Bybit's naming); false sends no `openOnly` at all.
    OpenOrders {
        category: Category,
        symbol: SymbolId,
        order_link_id: Option<OrderLinkId>,
        cursor: Option<String>,
        limit: u32,
        open_only: bool,
    },
    /// `GET /v5/execution/list`: our executions of `symbol` from
    /// `start_time` (`startTime`, exchange ms), newest first, one page
    /// (`limit`) at a time from `cursor`. The reply is `Outcome::Listing`.
    ExecutionList {
        category: Category,
        symbol: SymbolId,
        start_time: Option<u64>,
        cursor: Option<String>,
        limit: u32,
    },
    /// `GET /v5/position/list` for `symbol`. The reply is `Outcome::Listing`.
    PositionList {
        category: Category,
        symbol: SymbolId,
    },
}

impl RequestKind {
    /// The endpoint this request hits (the rate budget and stats key).
    pub fn endpoint(&self) -> Endpoint {
        match self {
            RequestKind::PlaceBatch { .. } => Endpoint::CreateBatch,
            RequestKind::AmendBatch { .. } => Endpoint::AmendBatch,
            RequestKind::CancelBatch { .. } => Endpoint::CancelBatch,
            RequestKind::Place { .. } => Endpoint::Create,
            RequestKind::Amend { .. } => Endpoint::Amend,
            RequestKind::Cancel { .. } => Endpoint::Cancel,
            RequestKind::CancelAll { .. } => Endpoint::CancelAll,
            RequestKind::OpenOrders { .. } => Endpoint::OpenOrders,
            RequestKind::ExecutionList { .. } => Endpoint::ExecutionList,
            RequestKind::PositionList { .. } => Endpoint::PositionList,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    pub symbol: SymbolId,
    pub side: Side,
    pub price: GridValue,
    pub qty: GridValue,
    pub order_link_id: OrderLinkId,
    /// `timeInForce = PostOnly` when true, else GTC. Quotes are always post-only.
    pub post_only: bool,
}

/// Amends by orderLinkId; `None` leaves the field unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendOrder {
    pub symbol: SymbolId,
    pub order_link_id: OrderLinkId,
    pub price: Option<GridValue>,
    pub qty: Option<GridValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrder {
    pub symbol: SymbolId,
    pub order_link_id: OrderLinkId,
}

/// The operation a command performs; stats and metrics are keyed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Op {
    Place,
    Amend,
    Cancel,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Place => "place",
            Op::Amend => "amend",
            Op::Cancel => "cancel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// One deterministic log line. `t_ms` is relative to the session's first
/// input; `text` is already rendered by core (no floats, no addresses, no
/// hash order), so the live log and a replay are byte-identical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    pub t_ms: u64,
    pub level: Level,
    pub text: String,
}

impl LogEvent {
    /// The exact line written to `core.log` (without the newline).
    pub fn render(&self) -> String {
        let mut line = String::with_capacity(16 + self.text.len());
        self.render_into(&mut line);
        line
    }

    /// `render()` appended to `out`, without an allocation of its own (the
    /// replay writes every line of a session this way):
    /// `format!("{:>9} {level:<5} {}", t_ms, text)`, byte for byte.
    pub fn render_into(&self, out: &mut String) {
        let level = match self.level {
            Level::Info => "INFO ",
            Level::Warn => "WARN ",
            Level::Error => "ERROR",
        };
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = self.t_ms;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let width = digits.len() - i;
        for _ in width..9 {
            out.push(' ');
        }
        out.extend(digits[i..].iter().map(|b| char::from(*b)));
        out.push(' ');
        out.push_str(level);
        out.push(' ');
        out.push_str(&self.text);
    }
}

/// What one tick did, emitted when its last request has been answered (or
/// dropped as stale). Counters are for this tick only; gauges are as of its end.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TickStats {
    pub tick: u64,
    pub started_ms: Timestamp,
    /// From the tick's `now_ms` to the input that completed it.
    pub duration_ms: u64,
    /// Commands (single orders) decided this tick, by operation.
    pub commands: BTreeMap<Op, u64>,
    /// Commands that travelled inside a batch request with at least one other.
    pub coalesced: BTreeMap<Op, u64>,
    /// Requests sent during this tick, by endpoint.
    pub requests: BTreeMap<Endpoint, u64>,
    pub fallbacks: u64,
    pub rejects: u64,
    pub stale_drops: u64,
    /// Ticks that arrived while this one was in flight and were folded into the next.
    pub conflated: u64,
    /// Sends held back because the rate budget could not carry them.
    pub rate_deferrals: u64,
    /// Batch items answered 10006 and re-queued.
    pub requeued: u64,
    pub live_orders: u64,
    pub unknown_orders: u64,
    /// Units left in each endpoint's rolling-second budget at the end of the tick.
    pub budget_headroom: BTreeMap<Endpoint, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_is_the_documented_format_byte_for_byte() {
        for level in [Level::Info, Level::Warn, Level::Error] {
            for t_ms in [0, 7, 123_456_789, 1_234_567_890, u64::MAX] {
                let e = LogEvent {
                    t_ms,
                    level,
                    text: "r1 > create_batch n=20".to_string(),
                };
                let name = match level {
                    Level::Info => "INFO",
                    Level::Warn => "WARN",
                    Level::Error => "ERROR",
                };
                let want = format!("{:>9} {name:<5} {}", t_ms, e.text);
                assert_eq!(e.render(), want);
                let mut out = "x".to_string();
                e.render_into(&mut out);
                assert_eq!(out, format!("x{want}"));
            }
        }
    }
}
