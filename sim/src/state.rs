//! The inspection surface (`GET /sim/state`, `SimHandle::state`) and the counters behind it.

use std::collections::BTreeMap;

use mm_bybit::{Category, Side};
use serde::{Deserialize, Serialize};

use crate::quality::QuoteQuality;

/// A snapshot of the simulator: open orders and counters since start (or the last reset).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SimState {
    /// Open orders of all accounts, oldest first.
    pub open_orders: Vec<SimOrder>,
    /// Requests received per path (every request, including rejected ones); requests to a
    /// path (or method) the simulator does not serve count under `"other"`. Order requests on
    /// the trade stream count under their op (`"order.create-batch"`...).
    pub requests_by_path: BTreeMap<String, u64>,
    /// Orders carried per order-entry path, or trade-stream op (a batch of n counts n;
    /// cancel-all counts the orders it cancelled).
    pub orders_by_path: BTreeMap<String, u64>,
    /// 10006 answers: one per rejected request plus one per rejected batch item.
    pub rate_limit_rejections: u64,
    /// HTTP 403 answers for the IP limit.
    pub ip_limit_rejections: u64,
    /// While an IP ban is on (after a breach, on tiers with one): when it lifts (server ms);
    /// 0 otherwise.
    #[serde(default)]
    pub ip_banned_until_ms: u64,
    /// Injected faults by spec key (`5xx`, `timeout_applied`, ..., `reject` per item).
    pub faults_injected: BTreeMap<String, u64>,
    /// Orders completely filled (resting orders crossed by the walk, and crossing arrivals);
    /// a partly filled order counts once it completes.
    pub fills: u64,
    /// Post-only orders cancelled on arrival with EC_PostOnlyWillTakeLiquidity.
    pub post_only_rejections: u64,
    /// Requests refused by authentication (401, 10002, 10003, 10004), stream `auth` failures
    /// included.
    pub auth_failures: u64,
    /// Current simulated best prices per symbol.
    pub prices: BTreeMap<String, SimPrice>,
    /// WebSocket connections accepted (public, private and trade).
    #[serde(default)]
    pub stream_connections: u64,
    /// Quote quality against the configured ladder (`SimConfig::quality`), since the first
    /// order rested (or the last counter reset).
    #[serde(default)]
    pub quality: Option<QuoteQuality>,
    /// When replies left, against their configured latency (REST and trade stream).
    #[serde(default)]
    pub reply_delays: ReplyDelays,
}

/// Each reply's release, by the simulator's monotonic clock, against its arrival plus the
/// latency it was given (L + jitter): how faithful the latency was. Requests answered
/// without one (a dropped connection, a lost reply) are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReplyDelays {
    /// Replies released.
    pub replies: u64,
    /// Replies released before their latency had passed (a bug if ever above 0).
    pub early: u64,
    /// The latest release past its due time, in microseconds.
    pub late_us_max: u64,
    /// The sum of releases past their due time, in microseconds (over `replies`: the mean).
    pub late_us_sum: u64,
}

impl ReplyDelays {
    /// Counts a reply released `late` after its due time (`None`: before it).
    pub(crate) fn record(&mut self, late: Option<std::time::Duration>) {
        self.replies += 1;
        match late {
            Some(late) => {
                let us = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
                self.late_us_max = self.late_us_max.max(us);
                self.late_us_sum = self.late_us_sum.saturating_add(us);
            }
            None => self.early += 1,
        }
    }
}

/// An open order as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimOrder {
    /// Category.
    pub category: Category,
    /// Symbol.
    pub symbol: String,
    /// Exchange order id.
    pub order_id: String,
    /// Client order id ("" if none).
    pub order_link_id: String,
    /// Side.
    pub side: Side,
    /// Limit price.
    pub price: String,
    /// Quantity.
    pub qty: String,
}

/// One execution as the simulator made it (`SimHandle::executions`): when it filled, by the
/// simulator's clock, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimExecution {
    /// Symbol.
    pub symbol: String,
    /// `execId`.
    pub exec_id: String,
    /// Exchange order id.
    pub order_id: String,
    /// Client order id ("" if none).
    pub order_link_id: String,
    /// The order's side.
    pub side: Side,
    /// Quantity filled.
    pub exec_qty: String,
    /// What was left of the order after it (`"0"`: the order is filled).
    pub leaves_qty: String,
    /// `execTime`: server ms.
    pub exec_time_ms: u64,
}

/// Best bid / ask / mid of one symbol's simulated market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimPrice {
    /// Best bid.
    pub bid: String,
    /// Best ask.
    pub ask: String,
    /// Mid.
    pub mid: String,
}

/// The `requests_by_path` key of every request to a path the simulator does not serve.
pub(crate) const OTHER_PATH: &str = "other";

/// Counters that `POST /sim/reset-counters` zeroes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub(crate) requests_by_path: BTreeMap<String, u64>,
    pub(crate) orders_by_path: BTreeMap<String, u64>,
    pub(crate) rate_limit_rejections: u64,
    pub(crate) ip_limit_rejections: u64,
    pub(crate) faults_injected: BTreeMap<String, u64>,
    pub(crate) auth_failures: u64,
    pub(crate) stream_connections: u64,
    pub(crate) reply_delays: ReplyDelays,
}

impl Counters {
    pub(crate) fn bump(map: &mut BTreeMap<String, u64>, key: &str, by: u64) {
        *map.entry(key.to_string()).or_default() += by;
    }
}
