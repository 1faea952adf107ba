//! `wallet` payload (private). No snapshot on subscribe; unrealised PnL changes alone push
//! nothing. Carried so the whole private stream parses; order management does not read it.

use serde::{Deserialize, Serialize};

/// One account's balances.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Wallet {
    /// `UNIFIED`, …
    pub account_type: String,
    /// Total equity (USD).
    pub total_equity: String,
    /// Total wallet balance (USD).
    pub total_wallet_balance: String,
    /// Total margin balance (USD).
    pub total_margin_balance: String,
    /// Total available balance (USD).
    pub total_available_balance: String,
    /// Total initial margin (USD).
    pub total_initial_margin: String,
    /// Total maintenance margin (USD).
    pub total_maintenance_margin: String,
    /// Initial margin rate.
    #[serde(rename = "accountIMRate")]
    pub account_im_rate: String,
    /// Maintenance margin rate.
    #[serde(rename = "accountMMRate")]
    pub account_mm_rate: String,
    /// Per-coin balances.
    pub coin: Vec<WalletCoin>,
}

/// One coin of a [`Wallet`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WalletCoin {
    /// Coin, e.g. `USDT`.
    pub coin: String,
    /// Equity.
    pub equity: String,
    /// Wallet balance.
    pub wallet_balance: String,
    /// Locked by open spot orders.
    pub locked: String,
    /// Unrealised PnL.
    pub unrealised_pnl: String,
    /// Initial margin of open orders ("" when not applicable).
    #[serde(rename = "totalOrderIM")]
    pub total_order_im: String,
    /// Initial margin of positions ("" when not applicable).
    #[serde(rename = "totalPositionIM")]
    pub total_position_im: String,
    /// Borrowed amount.
    pub borrow_amount: String,
}
