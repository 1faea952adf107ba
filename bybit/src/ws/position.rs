//! `position` payload (private). A push follows every order create, amend and cancel even if
//! nothing changed, and every fill.

use serde::{Deserialize, Serialize};

/// `side` of a position: `""` when flat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PositionSide {
    /// Long.
    Buy,
    /// Short.
    Sell,
    /// Flat (`""`).
    #[serde(rename = "")]
    Flat,
}

/// One position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionUpdate {
    /// Category as sent.
    #[serde(default)]
    pub category: String,
    /// Symbol.
    pub symbol: String,
    /// Long, short or flat.
    pub side: PositionSide,
    /// Size, unsigned (the side gives the sign).
    pub size: String,
    /// 0 one-way, 1/2 hedge.
    #[serde(default)]
    pub position_idx: u8,
    /// Size x mark price.
    #[serde(default)]
    pub position_value: String,
    /// Average entry price (the stream's name; REST's is `avgPrice`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_price: Option<String>,
    /// Average entry price as `/v5/position/list` names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_price: Option<String>,
    /// Mark price.
    #[serde(default)]
    pub mark_price: String,
    /// Leverage.
    #[serde(default)]
    pub leverage: String,
    /// Liquidation price ("" or "0" when none).
    #[serde(default)]
    pub liq_price: String,
    /// Unrealised PnL.
    #[serde(default)]
    pub unrealised_pnl: String,
    /// Realised PnL of the current holding.
    #[serde(default)]
    pub cur_realised_pnl: String,
    /// Cumulative realised PnL.
    #[serde(default)]
    pub cum_realised_pnl: String,
    /// `Normal`, `Liq`, `Adl`.
    #[serde(default)]
    pub position_status: String,
    /// Creation time (ms, as a string).
    #[serde(default)]
    pub created_time: String,
    /// Time of this state (ms, as a string).
    #[serde(default)]
    pub updated_time: String,
    /// Cross sequence of the fill that produced this state; `-1` if never traded.
    #[serde(default)]
    pub seq: i64,
}

impl PositionUpdate {
    /// The entry price under either name.
    pub fn entry(&self) -> Option<&str> {
        self.entry_price.as_deref().or(self.avg_price.as_deref())
    }
}
