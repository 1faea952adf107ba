//! The TOML config: types, defaults, parsing and validation (every key is
//! documented in the README's Configuration section).
//! The shell reads the file; core owns what the keys mean, so `mm check-config`,
//! start-up and hot reload all judge a config the same way.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::domain::{Endpoint, Instrument};

mod hosts;
mod parse;
mod risk;
mod rules;
mod session;

pub use self::risk::{PerSymbol, RiskConfig};
pub use self::session::{
    JournalConfig, MAX_ROTATE_MB, Orphans, RecoveryConfig, ShutdownCancel, ShutdownConfig,
};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub exchange: ExchangeConfig,
    pub quoting: QuotingConfig,
    pub async_batch: AsyncBatchConfig,
    pub rate_limits: RateLimitConfig,
    pub metrics: MetricsConfig,
    pub recovery: RecoveryConfig,
    pub shutdown: ShutdownConfig,
    pub journal: JournalConfig,
    /// Boxed: most sessions leave it empty, and every `Input::ConfigChanged`
    /// carries a `Config`.
    pub risk: Box<RiskConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeKind {
    /// The embedded simulator (paper mode).
    Sim,
    Bybit,
}

/// Where orders go. Keys come from BYBIT_API_KEY / BYBIT_API_SECRET in the
/// environment, never from this file, so a config (and the journal that
/// embeds it) can be shared without leaking them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangeConfig {
    pub kind: ExchangeKind,
    /// Required for `kind = "bybit"`; ignored for the embedded simulator.
    pub base_url: Option<String>,
    pub category: crate::domain::Category,
    pub recv_window_ms: u64,
    pub request_timeout_ms: u64,
    /// How order requests (create, amend, cancel and their batches) reach
    /// the exchange. The shell's business: core decides the same either way.
    pub order_transport: OrderTransport,
    /// Books come from the exchange's public order book stream (REST polling
    /// only while it is down, or for a symbol whose book it lacks); `false`:
    /// polled over REST every tick. The shell's business: core gets the same
    /// `Tick` either way. Start-up only.
    pub streams: bool,
    /// While the private stream is down (after it was up), core lists the
    /// open orders over REST this often to find orders that ended unseen.
    pub reconcile_interval_ms: u64,
}

/// `exchange.order_transport`: REST, or Bybit's WebSocket trade stream
/// (`/v5/trade`). Queries, cancel-all and market data stay on REST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderTransport {
    #[default]
    Rest,
    Ws,
}

impl OrderTransport {
    /// As written in the config file.
    pub fn name(self) -> &'static str {
        match self {
            OrderTransport::Rest => "rest",
            OrderTransport::Ws => "ws",
        }
    }
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        ExchangeConfig {
            kind: ExchangeKind::Sim,
            base_url: None,
            category: crate::domain::Category::Linear,
            recv_window_ms: 5000,
            request_timeout_ms: 2000,
            order_transport: OrderTransport::Rest,
            streams: true,
            reconcile_interval_ms: 2000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reprice {
    CancelPlace,
    Amend,
    /// Amend first, cancel + place on the other endpoints' spare budget,
    /// widened tolerance for what the budget cannot carry
    /// (`engine/plan.rs`).
    Planned,
}

impl Reprice {
    /// As written in the config file (and so in log lines).
    pub fn name(self) -> &'static str {
        match self {
            Reprice::CancelPlace => "cancel_place",
            Reprice::Amend => "amend",
            Reprice::Planned => "planned",
        }
    }
}

/// One size for every symbol, or a size per symbol. Decimal strings only:
/// a TOML float would bring binary rounding into a size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OrderQty {
    All(Decimal),
    PerSymbol(BTreeMap<String, Decimal>),
}

/// By hand rather than `untagged`, so a wrong value gets a message that says
/// what is expected instead of "did not match any variant".
impl<'de> Deserialize<'de> for OrderQty {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<OrderQty, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OrderQty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal in a string, like \"0.001\", or a table of SYMBOL = \"qty\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OrderQty, E> {
                v.parse().map(OrderQty::All).map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<OrderQty, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((symbol, qty)) = map.next_entry::<String, Decimal>()? {
                    out.insert(symbol, qty);
                }
                Ok(OrderQty::PerSymbol(out))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl OrderQty {
    pub fn for_symbol(&self, symbol: &str) -> Option<Decimal> {
        match self {
            OrderQty::All(q) => Some(*q),
            OrderQty::PerSymbol(map) => map.get(symbol).copied(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuotingConfig {
    pub symbols: Vec<String>,
    /// Orders per side.
    pub levels: u32,
    /// Distance between best bid and best ask quote, in basis points of mid.
    pub spread_bps: u32,
    /// Distance between consecutive levels of one side, in basis points of mid.
    pub step_bps: u32,
    pub order_qty: OrderQty,
    pub tick_interval_ms: u64,
    /// A resting order within this many bps of its desired price is kept.
    pub reprice_tolerance_bps: u32,
    pub reprice: Reprice,
    /// With `reprice = "planned"`: an order further than this many bps from
    /// the nearest target of its side is cancelled, whatever the budget.
    pub max_deviation_bps: u32,
    /// A book older than this (or crossed, or missing) gets no quotes.
    pub max_book_age_ms: u64,
    /// Where the desired quotes come from: core's own ladder, or the user's
    /// strategy (`Input::Quotes`, through the shell's API or quote socket).
    pub source: QuoteSource,
    /// With `source = "external"`: a symbol's latest quote set older than
    /// this is pulled (its orders cancelled) until a new set arrives.
    pub max_quote_age_ms: u64,
    /// Inventory skew of the built-in ladder: both sides move this many bps
    /// of mid per unit (base qty) of position, against it (long: lower).
    /// A decimal string; "0" = no skew.
    pub skew_bps_per_unit: Decimal,
    /// The skew's bound, in bps of mid.
    pub max_skew_bps: u32,
}

/// `quoting.source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteSource {
    /// The ladder of `spread_bps`, `step_bps`, `levels` around each mid.
    #[default]
    Ladder,
    /// Quote sets pushed from outside (`Input::Quotes`).
    External,
}

impl QuoteSource {
    /// As written in the config file (and so in log lines).
    pub fn name(self) -> &'static str {
        match self {
            QuoteSource::Ladder => "ladder",
            QuoteSource::External => "external",
        }
    }
}

impl Default for QuotingConfig {
    fn default() -> Self {
        QuotingConfig {
            symbols: ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
                .map(String::from)
                .to_vec(),
            levels: 5,
            spread_bps: 10,
            step_bps: 5,
            // The default symbols' sizes, so a file that sets only
            // `[exchange]` runs as the README documents.
            order_qty: OrderQty::PerSymbol(
                [
                    ("BTCUSDT", "0.001"),
                    ("ETHUSDT", "0.01"),
                    ("SOLUSDT", "0.1"),
                    ("XRPUSDT", "1"),
                ]
                .into_iter()
                .filter_map(|(s, q)| Some((s.to_string(), q.parse().ok()?)))
                .collect(),
            ),
            tick_interval_ms: 200,
            reprice_tolerance_bps: 1,
            reprice: Reprice::CancelPlace,
            max_deviation_bps: 5,
            max_book_age_ms: 2000,
            source: QuoteSource::Ladder,
            max_quote_age_ms: 2000,
            skew_bps_per_unit: Decimal::ZERO,
            max_skew_bps: 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoalesceScope {
    /// Ours: one batch per (category, operation) across all symbols.
    Category,
    /// The seed's: one batch per (symbol, operation). Kept to compare honestly.
    Symbol,
}

impl CoalesceScope {
    /// As written in the config file (and so in log lines).
    pub fn name(self) -> &'static str {
        match self {
            CoalesceScope::Category => "category",
            CoalesceScope::Symbol => "symbol",
        }
    }
}

/// The seed's flag and keys, same names and meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AsyncBatchConfig {
    /// `false` = legacy: every command a single-order request, one at a time.
    pub enabled: bool,
    /// Bound on requests in flight at once.
    pub max_parallel_symbols: u32,
    pub coalesce_cancel: bool,
    pub coalesce_place: bool,
    pub coalesce_amend: bool,
    pub max_batch_size: u32,
    /// Places still unsent this long after their tick began are dropped as stale.
    pub tick_deadline_ms: u64,
    pub coalesce_scope: CoalesceScope,
    /// Send places together with the cancels instead of after they answer.
    pub place_with_cancel: bool,
}

impl Default for AsyncBatchConfig {
    fn default() -> Self {
        AsyncBatchConfig {
            enabled: true,
            max_parallel_symbols: 10,
            coalesce_cancel: true,
            coalesce_place: true,
            coalesce_amend: true,
            max_batch_size: 20,
            tick_deadline_ms: 200,
            coalesce_scope: CoalesceScope::Category,
            place_with_cancel: false,
        }
    }
}

/// Units per rolling second for each endpoint, before any correction from the
/// exchange's rate-limit headers. Defaults are Bybit's default linear tier, the
/// safe choice for an account whose tier we do not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub create: u32,
    pub amend: u32,
    pub cancel: u32,
    pub create_batch: u32,
    pub amend_batch: u32,
    pub cancel_batch: u32,
    pub cancel_all: u32,
    pub open_orders: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            create: 10,
            amend: 10,
            cancel: 10,
            create_batch: 10,
            amend_batch: 10,
            cancel_batch: 10,
            cancel_all: 10,
            open_orders: 50,
        }
    }
}

impl RateLimitConfig {
    pub fn per_second(&self, endpoint: Endpoint) -> u32 {
        match endpoint {
            Endpoint::Create => self.create,
            Endpoint::Amend => self.amend,
            Endpoint::Cancel => self.cancel,
            Endpoint::CreateBatch => self.create_batch,
            Endpoint::AmendBatch => self.amend_batch,
            Endpoint::CancelBatch => self.cancel_batch,
            Endpoint::CancelAll => self.cancel_all,
            // The resync listings share the open-orders budget (see `budget`).
            Endpoint::OpenOrders | Endpoint::ExecutionList | Endpoint::PositionList => {
                self.open_orders
            }
        }
    }

    /// Every endpoint at the same rate (tests, institutional tiers).
    pub fn uniform(per_second: u32) -> Self {
        RateLimitConfig {
            create: per_second,
            amend: per_second,
            cancel: per_second,
            create_batch: per_second,
            amend_batch: per_second,
            cancel_batch: per_second,
            cancel_all: per_second,
            open_orders: per_second,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Loopback by default: metrics are not for the internet.
    pub addr: String,
    /// Serve metrics on a non-loopback address (they are unauthenticated):
    /// an explicit opt-in, said in the log at start-up.
    pub allow_non_loopback: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            addr: "127.0.0.1:9898".to_string(),
            allow_non_loopback: false,
        }
    }
}

pub use self::hosts::metrics_addr_problem;

/// One problem with a config: the key, the value and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config: {} {}", self.key, self.message)
    }
}

/// Every problem found, not just the first: an operator fixes them in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl Config {
    /// Parses TOML (unknown keys are errors) and validates what needs no
    /// instruments, reporting every problem found (see `config_parse`).
    /// `validate_for` adds the checks that do.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        self::parse::parse(text)
    }

    /// The config as TOML text: how the journal stores it (readable, and free
    /// of the untagged enums a non-self-describing codec cannot carry).
    pub fn to_toml_string(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Checks that need no exchange data; lists every problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self::rules::check(self, None)
    }

    /// All of `validate`, plus what depends on the instruments (batch limit of
    /// the category, sizes on the qty grid, every symbol known).
    pub fn validate_for(&self, instruments: &[Instrument]) -> Result<(), ConfigError> {
        self::rules::check(self, Some(instruments))
    }

    /// `async_batch.max_batch_size` above `exchange.category`'s batch limit
    /// is capped at that limit (batches are chunked at the smaller of the
    /// two): the notice saying so, or `None` when it fits.
    pub fn batch_size_capped(&self) -> Option<String> {
        let category = self.exchange.category;
        let limit = category.batch_limit();
        let size = self.async_batch.max_batch_size;
        (size as usize > limit).then(|| {
            format!(
                "async_batch.max_batch_size = {size} is capped at the {} batch limit of {limit}",
                category.wire()
            )
        })
    }
}

/// `#[serde(with = "crate::config::as_toml")]`: a `Config` inside a postcard
/// frame travels as its TOML text.
pub mod as_toml {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Config;

    pub fn serialize<S: Serializer>(config: &Config, serializer: S) -> Result<S::Ok, S::Error> {
        let text = toml::to_string(config).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Config, D::Error> {
        let text = String::deserialize(deserializer)?;
        toml::from_str(&text).map_err(serde::de::Error::custom)
    }
}

/// `as_toml` for a boxed `Config` (the same bytes: a box encodes as its content).
pub mod as_toml_boxed {
    use serde::{Deserializer, Serializer};

    use super::Config;

    pub fn serialize<S: Serializer>(config: &Config, serializer: S) -> Result<S::Ok, S::Error> {
        super::as_toml::serialize(config, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Box<Config>, D::Error> {
        super::as_toml::deserialize(deserializer).map(Box::new)
    }
}
