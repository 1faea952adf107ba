//! Simulator configuration: instruments, accounts, latency, faults, and rate-limit tiers.

use std::collections::BTreeMap;
use std::str::FromStr;

use mm_bybit::{Category, paths};

use crate::endpoint::{EXECUTIONS, POSITIONS};
use crate::faults::FaultSpec;
use crate::ladder::QuoteLadder;

/// Everything a simulator run depends on. Same config + same request sequence = same replies
/// (apart from server timestamps).
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seeds price walks, jitter, fault decisions, cancel-all sampling and order ids.
    pub seed: u64,
    /// Base reply delay (ms), half before the request is applied and half after.
    pub latency_ms: u64,
    /// Extra delay drawn uniformly (seeded) from `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Rate-limit table, unless `limits` overrides it.
    pub tier: Tier,
    /// Injected faults (order-entry endpoints only unless `faults_everywhere`).
    pub faults: FaultSpec,
    /// Resting orders fill when the walking market crosses them.
    pub fills: bool,
    /// Size of one price-walk step, in basis points of mid (at least one tick when > 0).
    pub walk_bps: u32,
    /// A trend: every walk step also moves mid this many bps (signed: up when
    /// positive, at least one tick when not 0), after the seeded +-walk_bps.
    pub drift_bps: i32,
    /// Full bid-ask spread of the simulated market, in bps of mid (at least 2 ticks).
    pub spread_bps: u32,
    /// Tradable instruments.
    pub instruments: Vec<SimInstrument>,
    /// `(api key, secret)` pairs; each key is one account (UID).
    pub accounts: Vec<(String, String)>,
    /// How long a timeout fault holds the reply before dropping the connection.
    pub hold_timeout_ms: u64,
    /// Per-path latency overriding `latency_ms`, e.g. `"/v5/order/create-batch" -> 30`.
    pub latency_overrides: BTreeMap<String, u64>,
    /// Explicit limits instead of the tier's table.
    pub limits: Option<Limits>,
    /// Also inject faults on market data and `/v5/order/realtime`.
    pub faults_everywhere: bool,
    /// Walk every market one step every this many ms, besides each ticker poll (0 = only on
    /// polls): the market moves, and resting orders fill, between a client's polls.
    pub walk_interval_ms: u64,
    /// A WebSocket connection from which nothing arrives for this long is closed (Bybit: 10
    /// minutes without a ping).
    pub ws_idle_ms: u64,
    /// How long a `ws_delay` fault holds a stream message.
    pub ws_delay_ms: u64,
    /// Each ticker poll walks the polled symbols one step (the default). `false` with a
    /// `walk_interval_ms`: the market moves in time only, whatever a client polls.
    pub walk_on_poll: bool,
    /// The ladder quote quality is measured against (`SimState::quality`); `None` = not
    /// measured.
    pub quality: Option<QuoteLadder>,
}

impl Default for SimConfig {
    fn default() -> Self {
        let linear = |symbol: &str, start: &str, tick: &str, step: &str, min: &str| SimInstrument {
            symbol: symbol.to_string(),
            category: Category::Linear,
            start_price: start.to_string(),
            tick_size: tick.to_string(),
            qty_step: step.to_string(),
            min_qty: min.to_string(),
        };
        Self {
            seed: 1,
            latency_ms: 0,
            jitter_ms: 0,
            tier: Tier::Institutional,
            faults: FaultSpec::default(),
            fills: true,
            walk_bps: 5,
            drift_bps: 0,
            spread_bps: 1,
            instruments: vec![
                linear("BTCUSDT", "60000", "0.1", "0.001", "0.001"),
                linear("ETHUSDT", "3000", "0.01", "0.01", "0.01"),
                linear("SOLUSDT", "150", "0.01", "0.1", "0.1"),
                linear("XRPUSDT", "0.6", "0.0001", "1", "1"),
                // Spot (batches of 10, 170xxx codes) and inverse (coin-margined, qty in USD
                // contracts). Symbols are unique across categories here (see the README), so
                // tests that add BTCUSDC spot or BTCUSD inverse keep their own.
                SimInstrument {
                    category: Category::Spot,
                    ..linear("ETHUSDC", "3000", "0.01", "0.00001", "0.0001")
                },
                SimInstrument {
                    category: Category::Spot,
                    ..linear("SOLUSDC", "150", "0.01", "0.001", "0.01")
                },
                SimInstrument {
                    category: Category::Inverse,
                    ..linear("ETHUSD", "3000", "0.05", "1", "1")
                },
                SimInstrument {
                    category: Category::Inverse,
                    ..linear("XRPUSD", "0.6", "0.0001", "1", "1")
                },
            ],
            accounts: vec![("paper-key".to_string(), "paper-secret".to_string())],
            hold_timeout_ms: 10_000,
            latency_overrides: BTreeMap::new(),
            limits: None,
            faults_everywhere: false,
            walk_interval_ms: 0,
            ws_idle_ms: 600_000,
            ws_delay_ms: 200,
            walk_on_poll: true,
            quality: Some(QuoteLadder::default()),
        }
    }
}

impl SimConfig {
    /// The limits in force: the explicit ones, else the tier's table.
    pub fn effective_limits(&self) -> Limits {
        self.limits
            .clone()
            .unwrap_or_else(|| Limits::for_tier(self.tier))
    }
}

/// A config the simulator cannot run with; the message names the instrument and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A field of an instrument is not valid (grid, start price, minimum qty).
    #[error("instrument {symbol}: {what} {value:?}")]
    Instrument {
        /// The instrument's symbol.
        symbol: String,
        /// What is wrong with the field.
        what: &'static str,
        /// The value as configured.
        value: String,
    },
    /// The same symbol twice in `instruments`.
    #[error("instrument {0}: listed twice")]
    Duplicate(String),
}

/// One tradable instrument. Decimal strings, as Bybit writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimInstrument {
    /// e.g. `BTCUSDT`.
    pub symbol: String,
    /// Its category.
    pub category: Category,
    /// Initial mid price (must be on the tick grid).
    pub start_price: String,
    /// Price step.
    pub tick_size: String,
    /// Quantity step.
    pub qty_step: String,
    /// Minimum order quantity (on the qty grid).
    pub min_qty: String,
}

/// A named rate-limit table (see the crate README for the numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Bybit's default UTA limits.
    Default,
    /// A market-maker tier: 1000/s per order endpoint.
    Institutional,
    /// No limits at all (for tests that are not about limits).
    Unlimited,
}

/// A tier name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tier: unknown {0:?} (expected default, institutional or unlimited)")]
pub struct TierError(pub String);

impl Tier {
    /// Parses a tier name (`default`, `institutional`, `unlimited`).
    pub fn parse(s: &str) -> Result<Self, TierError> {
        match s {
            "default" => Ok(Tier::Default),
            "institutional" => Ok(Tier::Institutional),
            "unlimited" => Ok(Tier::Unlimited),
            other => Err(TierError(other.to_string())),
        }
    }
}

/// The error as its message, for command-line value parsers; [`Tier::parse`] gives it typed.
impl FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s).map_err(|e| e.to_string())
    }
}

/// Which counter a request is charged to. Bybit counts product lines independently; whether
/// linear and inverse share a counter is UNCONFIRMED, we share (the stricter reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Line {
    /// linear + inverse.
    Derivatives,
    /// spot.
    Spot,
    /// option.
    Option,
    /// Endpoints with one limit across categories (`/v5/order/realtime`).
    All,
}

impl Line {
    /// The product line of a category.
    pub fn of(category: Category) -> Self {
        match category {
            Category::Linear | Category::Inverse => Line::Derivatives,
            Category::Spot => Line::Spot,
            Category::Option => Line::Option,
        }
    }
}

/// Rate limits: per UID per endpoint per rolling second, and per IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `(path, line) -> units per rolling second`. A missing entry is unlimited.
    pub uid: BTreeMap<(String, Line), u32>,
    /// Length of the UID window: Bybit's rolling second (1000). Tests may stretch it so slow
    /// machines cannot roll the window mid-test.
    pub uid_window_ms: u64,
    /// Requests allowed per IP window (all paths, public ones too); 0 = no IP limit.
    pub ip_max_requests: u32,
    /// IP window length (Bybit: 5000 ms).
    pub ip_window_ms: u64,
    /// After a breach, every request gets 403 for this long (Bybit: >= 10 minutes); 0 = only
    /// while the window is over the limit.
    pub ip_ban_ms: u64,
}

impl Limits {
    /// The table of a tier.
    pub fn for_tier(tier: Tier) -> Self {
        let mut l = Limits {
            uid: BTreeMap::new(),
            uid_window_ms: 1000,
            ip_max_requests: 600,
            ip_window_ms: 5000,
            ip_ban_ms: 0,
        };
        match tier {
            Tier::Default => {
                // Bybit default UTA 2.0 table: derivatives, spot, option.
                let rows: [(&str, u32, u32, u32); 7] = [
                    (paths::CREATE, 10, 20, 10),
                    (paths::AMEND, 10, 10, 10),
                    (paths::CANCEL, 10, 20, 10),
                    (paths::CANCEL_ALL, 10, 20, 1),
                    (paths::CREATE_BATCH, 10, 20, 10),
                    (paths::AMEND_BATCH, 10, 20, 10),
                    (paths::CANCEL_BATCH, 10, 20, 10),
                ];
                for (path, d, s, o) in rows {
                    l.set(path, Line::Derivatives, d);
                    l.set(path, Line::Spot, s);
                    l.set(path, Line::Option, o);
                }
                l.set(paths::OPEN_ORDERS, Line::All, 50);
                l.set(POSITIONS, Line::All, 50);
                l.set(EXECUTIONS, Line::All, 50);
                l.ip_ban_ms = 600_000;
            }
            Tier::Institutional => {
                for path in paths::ORDER_ENTRY {
                    for line in [Line::Derivatives, Line::Spot, Line::Option] {
                        l.set(path, line, 1000);
                    }
                }
                l.set(paths::OPEN_ORDERS, Line::All, 1000);
                l.set(POSITIONS, Line::All, 1000);
                l.set(EXECUTIONS, Line::All, 1000);
            }
            Tier::Unlimited => l.ip_max_requests = 0,
        }
        l
    }

    /// Sets one endpoint's limit for one line.
    pub fn set(&mut self, path: &str, line: Line, per_second: u32) {
        self.uid.insert((path.to_string(), line), per_second);
    }

    /// The limit for a request to `path` in `category`, `None` = unlimited.
    pub fn uid_limit(&self, path: &str, category: Category) -> Option<(Line, u32)> {
        let line = if [paths::OPEN_ORDERS, POSITIONS, EXECUTIONS].contains(&path) {
            Line::All
        } else {
            Line::of(category)
        };
        self.uid.get(&(path.to_string(), line)).map(|&n| (line, n))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tiers_parse_and_have_documented_numbers() {
        assert_eq!("default".parse::<Tier>(), Ok(Tier::Default));
        assert!("gold".parse::<Tier>().unwrap_err().contains("gold"));
        assert_eq!(Tier::parse("gold"), Err(TierError("gold".into())));
        let d = Limits::for_tier(Tier::Default);
        assert_eq!(
            d.uid_limit(paths::CREATE_BATCH, Category::Linear),
            Some((Line::Derivatives, 10))
        );
        assert_eq!(
            d.uid_limit(paths::CANCEL_ALL, Category::Option),
            Some((Line::Option, 1))
        );
        assert_eq!(
            d.uid_limit(paths::OPEN_ORDERS, Category::Spot),
            Some((Line::All, 50))
        );
        assert_eq!(d.ip_max_requests, 600);
        let u = Limits::for_tier(Tier::Unlimited);
        assert_eq!(u.uid_limit(paths::CREATE, Category::Linear), None);
        assert_eq!(u.ip_max_requests, 0);
    }
}
