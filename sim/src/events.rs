//! What the engine tells the streams: every order state change, every fill (an execution and
//! the position it leaves), and every market step (book and ticker). The engine appends to its
//! outbox under the lock and `shared` drains it onto the stream bus after each operation, so
//! nothing accumulates; with no stream connected the events are dropped.

use mm_bybit::{Category, OpenOrder, Ticker};
use serde::Serialize;

use crate::decimal::Grid;

#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// An order's new state (created, amended, filled, cancelled), as `/v5/order/realtime`
    /// shows it.
    Order {
        account: usize,
        category: Category,
        order: Box<OpenOrder>,
    },
    /// One fill of one order.
    Execution { account: usize, fill: Box<Fill> },
    /// The position a fill left, or the position after an order request (unchanged).
    Position {
        account: usize,
        position: Box<PositionView>,
    },
    /// The external market moved one step.
    Market(Box<MarketMove>),
}

impl Event {
    /// The account a private event belongs to (`None` for public ones).
    pub(crate) fn account(&self) -> Option<usize> {
        match self {
            Event::Order { account, .. }
            | Event::Execution { account, .. }
            | Event::Position { account, .. } => Some(*account),
            Event::Market(_) => None,
        }
    }
}

/// The simulated market after a step: enough to build any depth of its book.
#[derive(Debug, Clone)]
pub(crate) struct MarketMove {
    pub(crate) symbol: String,
    pub(crate) category: Category,
    /// Best bid and ask, in ticks.
    pub(crate) bid: u64,
    pub(crate) ask: u64,
    /// The size shown at every level (the touch size), formatted.
    pub(crate) level_size: String,
    pub(crate) price: Grid,
    /// The symbol's book update id: +1 per step.
    pub(crate) u: u64,
    /// Cross sequence (shared with executions and positions).
    pub(crate) seq: u64,
    pub(crate) ts: u64,
    pub(crate) ticker: Box<Ticker>,
}

/// One execution, with the fields of Bybit's execution stream example (also what
/// `/v5/execution/list` returns). Fees are not modelled: `"0"`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Fill {
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) closed_size: String,
    pub(crate) exec_fee: String,
    pub(crate) exec_id: String,
    pub(crate) exec_price: String,
    pub(crate) exec_qty: String,
    pub(crate) exec_type: &'static str,
    pub(crate) exec_value: String,
    pub(crate) fee_rate: String,
    pub(crate) trade_iv: String,
    pub(crate) mark_iv: String,
    pub(crate) block_trade_id: String,
    pub(crate) mark_price: String,
    pub(crate) index_price: String,
    pub(crate) underlying_price: String,
    pub(crate) leaves_qty: String,
    pub(crate) order_id: String,
    pub(crate) order_link_id: String,
    pub(crate) order_price: String,
    pub(crate) order_qty: String,
    pub(crate) order_type: &'static str,
    pub(crate) stop_order_type: &'static str,
    pub(crate) side: mm_bybit::Side,
    pub(crate) exec_time: String,
    pub(crate) is_leverage: String,
    pub(crate) is_maker: bool,
    pub(crate) seq: u64,
    pub(crate) market_unit: String,
    pub(crate) exec_pnl: String,
    pub(crate) create_type: &'static str,
    pub(crate) extra_fees: Vec<ExtraFee>,
    pub(crate) fee_currency: String,
}

/// An entry of `extraFees` (none are charged here; the type keeps the field's shape).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExtraFee {
    pub(crate) fee_coin: String,
    pub(crate) fee_type: String,
    pub(crate) sub_fee_type: String,
    pub(crate) fee_rate: String,
    pub(crate) fee: String,
}

/// One position with the fields of Bybit's position stream example. Margin, liquidation and
/// TP/SL are not modelled: fixed plausible values.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PositionView {
    pub(crate) position_idx: u8,
    pub(crate) trade_mode: u8,
    pub(crate) risk_id: u32,
    pub(crate) risk_limit_value: String,
    pub(crate) symbol: String,
    /// `Buy` long, `Sell` short, `""` flat.
    pub(crate) side: &'static str,
    pub(crate) size: String,
    pub(crate) entry_price: String,
    pub(crate) leverage: String,
    pub(crate) break_even_price: String,
    pub(crate) position_value: String,
    pub(crate) position_balance: String,
    pub(crate) mark_price: String,
    #[serde(rename = "positionIM")]
    pub(crate) position_im: String,
    #[serde(rename = "positionIMByMp")]
    pub(crate) position_im_by_mp: String,
    #[serde(rename = "positionMM")]
    pub(crate) position_mm: String,
    #[serde(rename = "positionMMByMp")]
    pub(crate) position_mm_by_mp: String,
    pub(crate) take_profit: String,
    pub(crate) stop_loss: String,
    pub(crate) trailing_stop: String,
    pub(crate) unrealised_pnl: String,
    pub(crate) cur_realised_pnl: String,
    pub(crate) cum_realised_pnl: String,
    pub(crate) session_avg_price: String,
    pub(crate) created_time: String,
    pub(crate) updated_time: String,
    pub(crate) tpsl_mode: String,
    pub(crate) liq_price: String,
    pub(crate) bust_price: String,
    pub(crate) category: Category,
    pub(crate) position_status: String,
    pub(crate) adl_rank_indicator: u8,
    pub(crate) auto_add_margin: u8,
    pub(crate) leverage_sys_updated_time: String,
    pub(crate) mmr_sys_updated_time: String,
    pub(crate) seq: i64,
    pub(crate) is_reduce_only: bool,
}
