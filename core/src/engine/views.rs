//! Read-only views of the engine for status pages, metrics and tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Side;
use crate::effect::{Endpoint, Op};
use crate::engine::market::Market;
use crate::engine::orders::OrderTable;

/// The state class of a tracked (not gone) order, as `Engine::orders` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrderState {
    PendingNew,
    Live,
    PendingAmend,
    PendingCancel,
    Unknown,
}

/// One tracked order, for status pages and tests. Price and qty are what core
/// believes rests (for a pending amend: the price before the amend).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub order_link_id: String,
    pub order_id: String,
    pub symbol: String,
    pub side: Side,
    pub level: u32,
    pub price: String,
    pub qty: String,
    pub state: OrderState,
}

/// A side of a symbol that `[risk]` limits keep from quoting in full, as
/// its last tick judged it: the limits' names and their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskLimited {
    pub symbol: String,
    pub side: Side,
    pub limits: Vec<String>,
    pub detail: String,
}

/// Cumulative counters since the session began (metrics read these; the
/// per-tick view is `TickStats`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    pub ticks: u64,
    pub orders_created: u64,
    pub commands: BTreeMap<Op, u64>,
    pub coalesced: BTreeMap<Op, u64>,
    pub requests: BTreeMap<Endpoint, u64>,
    pub fallbacks: u64,
    pub rejects: u64,
    /// Places and amends unsent at their tick's deadline, dropped.
    pub stale_drops: u64,
    /// Of those, amends (their orders rest on at their old prices).
    pub stale_amends: u64,
    pub conflated: u64,
    pub rate_deferrals: u64,
    pub requeued: u64,
    /// Symbol-ticks whose book was refused (missing, stale, crossed, off-grid).
    pub books_refused: u64,
    /// Symbol-ticks held: no book that tick, the last good one still young
    /// (orders left alone, no re-quote).
    pub books_held: u64,
    /// Replies for request ids core does not have in flight.
    pub unknown_replies: u64,
    /// Inputs whose `now_ms` went backwards and was clamped.
    pub clock_clamps: u64,
    /// HTTP 403 (IP limit) pauses.
    pub ip_pauses: u64,
    /// Orders that became `Unknown` (ambiguous outcome).
    pub unknowns: u64,
    /// Every order that left, by reason class.
    pub gone_by_reason: BTreeMap<String, u64>,
    /// Start-up recovery: open orders of an earlier session (our
    /// orderLinkId form, another session id) found, and those cancelled and
    /// confirmed gone.
    pub orphans_found: u64,
    pub orphans_cancelled: u64,
    /// Start-up recovery: open orders that are not of our form (another
    /// strategy's): left alone, counted.
    pub foreign_orders: u64,
    /// External quote sets accepted (`quoting.source = "external"`).
    pub external_quote_sets: u64,
    /// External quote sets refused whole (a field failed validation).
    pub refused_quote_sets: u64,
}

/// Fills and stream counters since the session began (see `fills`,
/// `positions`); metrics and the summary read these.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FillTotals {
    /// Executions of ours applied (unique `execId`s), by symbol and side.
    pub fills: BTreeMap<String, SideFills>,
    /// Executions whose `execId` was applied already (stream repeats,
    /// resync listings of fills the stream brought).
    pub executions_duplicate: u64,
    /// Exchange positions that differed from core's (each corrected).
    pub position_mismatches: u64,
    /// Order updates and executions about orders not of this session
    /// (and executions that are not trades): ignored.
    pub foreign_messages: u64,
    /// Resyncs started: one per private stream (re)connect.
    pub resyncs: u64,
}

/// Executions applied on one symbol, per side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SideFills {
    pub buy: u64,
    pub sell: u64,
}

/// One symbol's position: core's (from executions, corrected by the
/// exchange's on a mismatch) and the exchange's latest, exact decimals,
/// signed (long positive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    pub symbol: String,
    pub core: String,
    /// `None` until the exchange has sent a position for the symbol.
    pub exchange: Option<String>,
    /// The largest absolute value core's position has had this session.
    #[serde(default)]
    pub max_abs: String,
}

/// Orders core tracks right now, by state class (gauges for metrics/status).
/// `gone` is cumulative: every order that ever left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderCounts {
    pub pending_new: u64,
    pub live: u64,
    pub pending_amend: u64,
    pub pending_cancel: u64,
    pub unknown: u64,
    pub gone: u64,
}

/// Every tracked (not gone) order, in creation order.
pub(super) fn order_views(orders: &OrderTable, market: &Market) -> Vec<OrderView> {
    orders
        .iter()
        .map(|(seq, o)| {
            let inst = market.inst(o.sym);
            OrderView {
                order_link_id: market.link(seq.n),
                order_id: o.order_id.to_string(),
                symbol: market.name(o.sym).to_string(),
                side: o.side,
                level: o.level,
                price: inst.price_string(o.price),
                qty: inst.qty_string(o.qty),
                state: o.state.class(),
            }
        })
        .collect()
}
