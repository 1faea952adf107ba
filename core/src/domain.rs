//! The trading vocabulary: sides, categories, instruments and their grids,
//! request ids and the exchange endpoints (each with its rate quota).

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// As on the Bybit wire.
    pub fn wire(self) -> &'static str {
        match self {
            Side::Buy => "Buy",
            Side::Sell => "Sell",
        }
    }
}

/// Bybit product category; a batch request carries exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Linear,
    Inverse,
    Spot,
    Option,
}

impl Category {
    /// Max orders in one batch request (Bybit v5 docs, 2025-04: spot 10, others 20).
    pub fn batch_limit(self) -> usize {
        match self {
            Category::Spot => 10,
            Category::Linear | Category::Inverse | Category::Option => 20,
        }
    }

    /// Whether a batch spends one rate unit per order (linear, inverse, spot)
    /// rather than one per request (option).
    pub fn batch_costs_per_order(self) -> bool {
        !matches!(self, Category::Option)
    }

    pub fn wire(self) -> &'static str {
        match self {
            Category::Linear => "linear",
            Category::Inverse => "inverse",
            Category::Spot => "spot",
            Category::Option => "option",
        }
    }
}

/// Price in whole ticks of its instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ticks(pub i64);

/// Quantity in whole qty steps of its instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Lots(pub i64);

/// What core needs to know of a tradable symbol (from instruments-info).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    pub symbol: String,
    pub category: Category,
    pub tick_size: Decimal,
    pub qty_step: Decimal,
    pub min_qty: Decimal,
}

impl Instrument {
    pub fn batch_limit(&self) -> usize {
        self.category.batch_limit()
    }

    /// A wire price on this instrument's grid, or `None` if it is off-grid,
    /// non-positive or out of range.
    pub fn price_ticks(&self, price: &Decimal) -> Option<Ticks> {
        let n = price.div_exact(self.tick_size)?;
        (n > 0).then(|| i64::try_from(n).ok()).flatten().map(Ticks)
    }

    pub fn qty_lots(&self, qty: &Decimal) -> Option<Lots> {
        let n = qty.div_exact(self.qty_step)?;
        (n > 0).then(|| i64::try_from(n).ok()).flatten().map(Lots)
    }

    /// Exact wire string of a price on the grid.
    pub fn price_string(&self, ticks: Ticks) -> String {
        Decimal::times(self.tick_size, i128::from(ticks.0))
            .map_or_else(String::new, |d| d.to_string())
    }

    pub fn qty_string(&self, lots: Lots) -> String {
        Decimal::times(self.qty_step, i128::from(lots.0))
            .map_or_else(String::new, |d| d.to_string())
    }
}

/// Assigned by core, unique within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// A Bybit endpoint; each has its own rate quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Endpoint {
    Create,
    Amend,
    Cancel,
    CreateBatch,
    AmendBatch,
    CancelBatch,
    CancelAll,
    OpenOrders,
    // Not in `ALL`: they spend `OpenOrders`'s budget (see `budget`).
    ExecutionList,
    PositionList,
}

impl Endpoint {
    /// The endpoints with a rate budget of their own (`rate_limits.*`).
    pub const ALL: [Endpoint; 8] = [
        Endpoint::Create,
        Endpoint::Amend,
        Endpoint::Cancel,
        Endpoint::CreateBatch,
        Endpoint::AmendBatch,
        Endpoint::CancelBatch,
        Endpoint::CancelAll,
        Endpoint::OpenOrders,
    ];

    /// Stable snake_case name: config keys, log lines, metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Create => "create",
            Endpoint::Amend => "amend",
            Endpoint::Cancel => "cancel",
            Endpoint::CreateBatch => "create_batch",
            Endpoint::AmendBatch => "amend_batch",
            Endpoint::CancelBatch => "cancel_batch",
            Endpoint::CancelAll => "cancel_all",
            Endpoint::OpenOrders => "open_orders",
            Endpoint::ExecutionList => "execution_list",
            Endpoint::PositionList => "position_list",
        }
    }

    /// Bybit v5 path.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Create => "/v5/order/create",
            Endpoint::Amend => "/v5/order/amend",
            Endpoint::Cancel => "/v5/order/cancel",
            Endpoint::CreateBatch => "/v5/order/create-batch",
            Endpoint::AmendBatch => "/v5/order/amend-batch",
            Endpoint::CancelBatch => "/v5/order/cancel-batch",
            Endpoint::CancelAll => "/v5/order/cancel-all",
            Endpoint::OpenOrders => "/v5/order/realtime",
            Endpoint::ExecutionList => "/v5/execution/list",
            Endpoint::PositionList => "/v5/position/list",
        }
    }
}

/// A symbol of the session as a small integer: its index in the session's
/// symbol table (`WireNames`, symbols sorted by name), so requests carry no
/// owned name; the name is looked up where a request leaves core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SymbolId(pub u32);

/// An orderLinkId as requests carry it. Core's own orders are `Ours(n)`,
/// written `{session}-{n}` where a request leaves core (`WireNames::link`);
/// any other id (one read off the exchange that is not in that exact form)
/// is kept as its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrderLinkId {
    Ours(u64),
    Text(String),
}
