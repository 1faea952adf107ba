//! Enumerations on the wire. Bybit spells them exactly as the variants below.

use serde::{Deserialize, Serialize};

/// Product line. One per request; batch requests carry it once at the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// USDT/USDC perpetuals and futures.
    Linear,
    /// Inverse perpetuals and futures.
    Inverse,
    /// Spot.
    Spot,
    /// Options.
    Option,
}

impl Category {
    /// Max orders per batch request (S1-S3, current docs): spot 10, the others 20.
    pub fn batch_limit(self) -> usize {
        match self {
            Category::Spot => 10,
            Category::Linear | Category::Inverse | Category::Option => 20,
        }
    }

    /// True when a batch request costs one rate-limit unit per order in it (linear, inverse,
    /// spot); false when it costs one unit per request (option).
    pub fn batch_costs_per_order(self) -> bool {
        !matches!(self, Category::Option)
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Linear => "linear",
            Category::Inverse => "inverse",
            Category::Spot => "spot",
            Category::Option => "option",
        }
    }

    /// Parses the wire spelling (exact, lowercase).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "linear" => Some(Category::Linear),
            "inverse" => Some(Category::Inverse),
            "spot" => Some(Category::Spot),
            "option" => Some(Category::Option),
            _ => None,
        }
    }
}

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Side {
    /// Bid.
    Buy,
    /// Ask.
    Sell,
}

impl Side {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "Buy",
            Side::Sell => "Sell",
        }
    }
}

/// Order type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderType {
    /// Limit order (needs a price).
    Limit,
    /// Market order (always IOC).
    Market,
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Good till cancelled (Bybit's default).
    #[serde(rename = "GTC")]
    Gtc,
    /// Immediate or cancel.
    #[serde(rename = "IOC")]
    Ioc,
    /// Fill or kill.
    #[serde(rename = "FOK")]
    Fok,
    /// Maker only: cancelled on arrival if it would take liquidity.
    PostOnly,
    /// Retail price improvement (approved market makers only).
    #[serde(rename = "RPI")]
    Rpi,
}

impl TimeInForce {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
            TimeInForce::PostOnly => "PostOnly",
            TimeInForce::Rpi => "RPI",
        }
    }
}

/// `orderStatus` (S17). Unknown future values parse as [`OrderStatus::Other`] rather than
/// failing the whole reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    /// Resting, nothing filled.
    New,
    /// Resting, partly filled.
    PartiallyFilled,
    /// Conditional order waiting for its trigger.
    Untriggered,
    /// Rejected.
    Rejected,
    /// Partly filled then cancelled (spot).
    PartiallyFilledCanceled,
    /// Completely filled.
    Filled,
    /// Cancelled (also: post-only that would have taken liquidity).
    Cancelled,
    /// Conditional order triggered.
    Triggered,
    /// Conditional order deactivated.
    Deactivated,
    /// Any value this crate does not know.
    #[serde(other)]
    Other,
}

impl OrderStatus {
    /// True for states in which the order can still trade (it is on the book).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::Untriggered
        )
    }
}

/// `rejectReason` Bybit sets on a post-only order that would have crossed on arrival.
pub const REJECT_POST_ONLY_WILL_TAKE_LIQUIDITY: &str = "EC_PostOnlyWillTakeLiquidity";
/// `rejectReason` of an order that was not rejected.
pub const REJECT_NO_ERROR: &str = "EC_NoError";
