//! Fault injection: the spec grammar and the seeded per-request decision.
//!
//! Grammar: comma-separated `key=probability`, probability in [0, 1]; `""` or `"none"` = no
//! faults. Keys (per request unless noted):
//! `5xx` HTTP 500/502/503, not applied; `timeout_applied` applied, reply held then connection
//! dropped; `timeout_lost` not applied, held then dropped; `malformed` applied, HTTP 200 with a
//! truncated body; `drop` not applied, connection dropped at once; `reject` per order item
//! (create/amend): a final reject code (110007 / 110003). Per stream push: `ws_drop` the
//! connection is closed, `ws_delay` held `ws_delay_ms`, `ws_dup` sent twice, `ws_skip` an order
//! book delta is never sent. Per trade-stream order request (`/v5/trade`): `ws_trade_drop`
//! applied, then the connection is dropped (no close frame) with it and every other request
//! on it in flight, unanswered; `ws_trade_lost` applied, its reply never sent (the connection
//! stays); `ws_trade_restart` not applied, answered retCode 10019 (service restarting). The
//! per-request probabilities must sum to at most 1, and so must the per-push ones and the
//! trade-stream ones.

use std::fmt;
use std::str::FromStr;

use crate::rng::{hash, stream, unit};

/// Fault probabilities. `Default` = no faults.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultSpec {
    /// `5xx`: HTTP 500/502/503, request not applied.
    pub http_5xx: f64,
    /// `timeout_applied`: applied, reply held `hold_timeout_ms`, connection dropped.
    pub timeout_applied: f64,
    /// `timeout_lost`: not applied, held `hold_timeout_ms`, connection dropped.
    pub timeout_lost: f64,
    /// `reject`: per create/amend item, a final non-zero code.
    pub reject: f64,
    /// `malformed`: applied, HTTP 200 with a truncated (invalid) JSON body.
    pub malformed: f64,
    /// `drop`: not applied, connection dropped without a reply.
    pub drop: f64,
    /// `ws_drop`: per stream push, the WebSocket connection is closed instead (no close frame).
    pub ws_drop: f64,
    /// `ws_delay`: per stream push, held `ws_delay_ms` before it is sent.
    pub ws_delay: f64,
    /// `ws_dup`: per stream push, sent twice.
    pub ws_dup: f64,
    /// `ws_skip`: per order book delta, never sent (the next delta's `u` jumps by two).
    pub ws_skip: f64,
    /// `ws_trade_drop`: per trade-stream order request, applied, then the connection is
    /// dropped with every request on it still unanswered.
    pub ws_trade_drop: f64,
    /// `ws_trade_lost`: per trade-stream order request, applied, its reply never sent.
    pub ws_trade_lost: f64,
    /// `ws_trade_restart`: per trade-stream order request, not applied, answered 10019.
    pub ws_trade_restart: f64,
}

/// What happens to one trade-stream order request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TradeFault {
    Drop,
    Lost,
    Restart,
}

impl TradeFault {
    /// The counter name in `SimState::faults_injected` (the spec key).
    pub(crate) fn name(self) -> &'static str {
        match self {
            TradeFault::Drop => "ws_trade_drop",
            TradeFault::Lost => "ws_trade_lost",
            TradeFault::Restart => "ws_trade_restart",
        }
    }
}

/// What happens to one stream push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamFault {
    Drop,
    Delay,
    Duplicate,
    Skip,
}

impl StreamFault {
    /// The counter name in `SimState::faults_injected` (the spec key).
    pub(crate) fn name(self) -> &'static str {
        match self {
            StreamFault::Drop => "ws_drop",
            StreamFault::Delay => "ws_delay",
            StreamFault::Duplicate => "ws_dup",
            StreamFault::Skip => "ws_skip",
        }
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Http5xx(u16),
    TimeoutApplied,
    TimeoutLost,
    Malformed,
    Drop,
}

impl Fault {
    /// The counter name in `SimState::faults_injected` (the spec key).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Fault::Http5xx(_) => "5xx",
            Fault::TimeoutApplied => "timeout_applied",
            Fault::TimeoutLost => "timeout_lost",
            Fault::Malformed => "malformed",
            Fault::Drop => "drop",
        }
    }
}

/// The entry whose slice of [0, 1) holds `u`, slices laid end to end in table order.
fn pick<T, const N: usize>(u: f64, table: [(f64, T); N]) -> Option<T> {
    let mut acc = 0.0;
    for (p, fault) in table {
        acc += p;
        if u < acc {
            return Some(fault);
        }
    }
    None
}

impl FaultSpec {
    /// True when no fault can happen.
    pub fn is_none(&self) -> bool {
        *self == FaultSpec::default()
    }

    /// The fault (if any) for the `seq`-th fault-eligible request.
    pub(crate) fn decide(&self, seed: u64, seq: u64) -> Option<Fault> {
        if self.is_none() {
            return None;
        }
        let u = unit(hash(&[seed, stream::FAULT, seq]));
        let status = [500, 502, 503][(hash(&[seed, stream::STATUS_5XX, seq]) % 3) as usize];
        let table = [
            (self.http_5xx, Fault::Http5xx(status)),
            (self.timeout_applied, Fault::TimeoutApplied),
            (self.timeout_lost, Fault::TimeoutLost),
            (self.malformed, Fault::Malformed),
            (self.drop, Fault::Drop),
        ];
        pick(u, table)
    }

    /// The fault (if any) for push `n` of stream connection `conn`.
    pub(crate) fn decide_stream(&self, seed: u64, conn: u64, n: u64) -> Option<StreamFault> {
        let table = [
            (self.ws_drop, StreamFault::Drop),
            (self.ws_delay, StreamFault::Delay),
            (self.ws_dup, StreamFault::Duplicate),
            (self.ws_skip, StreamFault::Skip),
        ];
        if table.iter().all(|(p, _)| *p <= 0.0) {
            return None;
        }
        let u = unit(hash(&[seed, stream::WS_FAULT, conn, n]));
        pick(u, table)
    }

    /// The fault (if any) for the `seq`-th fault-eligible request, when it came over the
    /// trade stream.
    pub(crate) fn decide_trade(&self, seed: u64, seq: u64) -> Option<TradeFault> {
        let table = [
            (self.ws_trade_drop, TradeFault::Drop),
            (self.ws_trade_lost, TradeFault::Lost),
            (self.ws_trade_restart, TradeFault::Restart),
        ];
        if table.iter().all(|(p, _)| *p <= 0.0) {
            return None;
        }
        pick(unit(hash(&[seed, stream::TRADE_FAULT, seq])), table)
    }

    /// The reject code (if any) for item `index` of the `seq`-th fault-eligible request.
    pub(crate) fn reject(&self, seed: u64, seq: u64, index: usize, amend: bool) -> Option<i64> {
        if self.reject <= 0.0 {
            return None;
        }
        let h = hash(&[seed, stream::REJECT, seq, index as u64]);
        (unit(h) < self.reject).then_some(if amend || h & 1 == 0 {
            mm_bybit::retcode::PRICE_OUT_OF_RANGE
        } else {
            mm_bybit::retcode::AVAILABLE_BALANCE_INSUFFICIENT
        })
    }

    fn slot(&mut self, key: &str) -> Option<&mut f64> {
        Some(match key {
            "5xx" => &mut self.http_5xx,
            "timeout_applied" => &mut self.timeout_applied,
            "timeout_lost" => &mut self.timeout_lost,
            "reject" => &mut self.reject,
            "malformed" => &mut self.malformed,
            "drop" => &mut self.drop,
            "ws_drop" => &mut self.ws_drop,
            "ws_delay" => &mut self.ws_delay,
            "ws_dup" => &mut self.ws_dup,
            "ws_skip" => &mut self.ws_skip,
            "ws_trade_drop" => &mut self.ws_trade_drop,
            "ws_trade_lost" => &mut self.ws_trade_lost,
            "ws_trade_restart" => &mut self.ws_trade_restart,
            _ => return None,
        })
    }
}

/// Why a fault spec does not parse; the message names the part at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultSpecError {
    /// A part without `=`.
    #[error("faults: {0:?} is not key=probability")]
    NotKeyValue(String),
    /// The same key twice.
    #[error("faults: {0} given twice")]
    Repeated(String),
    /// A key that is not a fault.
    #[error(
        "faults: unknown key {0:?} (expected 5xx, timeout_applied, timeout_lost, reject, \
         malformed, drop, ws_drop, ws_delay, ws_dup, ws_skip, ws_trade_drop, ws_trade_lost, \
         ws_trade_restart)"
    )]
    UnknownKey(String),
    /// A value that is not a number in [0, 1].
    #[error("faults: {key}={value:?} is not a probability in [0, 1]")]
    BadProbability {
        /// The key.
        key: String,
        /// The value as written.
        value: String,
    },
    /// The per-request (or the per-push) probabilities add up to more than 1.
    #[error("faults: per-request probabilities sum to {0}, more than 1")]
    SumOverOne(f64),
}

impl FaultSpec {
    /// Parses the grammar in the module docs.
    pub fn parse(s: &str) -> Result<Self, FaultSpecError> {
        let mut spec = FaultSpec::default();
        let s = s.trim();
        if s.is_empty() || s == "none" {
            return Ok(spec);
        }
        let mut seen = Vec::new();
        for part in s.split(',').map(str::trim) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| FaultSpecError::NotKeyValue(part.to_string()))?;
            let (key, value) = (key.trim(), value.trim());
            if seen.contains(&key) {
                return Err(FaultSpecError::Repeated(key.to_string()));
            }
            seen.push(key);
            let slot = spec
                .slot(key)
                .ok_or_else(|| FaultSpecError::UnknownKey(key.to_string()))?;
            let p: f64 = value
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .ok_or_else(|| FaultSpecError::BadProbability {
                    key: key.to_string(),
                    value: value.to_string(),
                })?;
            *slot = p;
        }
        let total =
            spec.http_5xx + spec.timeout_applied + spec.timeout_lost + spec.malformed + spec.drop;
        let stream = spec.ws_drop + spec.ws_delay + spec.ws_dup + spec.ws_skip;
        let trade = spec.ws_trade_drop + spec.ws_trade_lost + spec.ws_trade_restart;
        for total in [total, stream, trade] {
            if total > 1.0 + 1e-9 {
                return Err(FaultSpecError::SumOverOne(total));
            }
        }
        Ok(spec)
    }
}

/// The error as its message, for command-line value parsers; [`FaultSpec::parse`] gives it
/// typed.
impl FromStr for FaultSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s).map_err(|e| e.to_string())
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            ("5xx", self.http_5xx),
            ("timeout_applied", self.timeout_applied),
            ("timeout_lost", self.timeout_lost),
            ("reject", self.reject),
            ("malformed", self.malformed),
            ("drop", self.drop),
            ("ws_drop", self.ws_drop),
            ("ws_delay", self.ws_delay),
            ("ws_dup", self.ws_dup),
            ("ws_skip", self.ws_skip),
            ("ws_trade_drop", self.ws_trade_drop),
            ("ws_trade_lost", self.ws_trade_lost),
            ("ws_trade_restart", self.ws_trade_restart),
        ]
        .iter()
        .filter(|(_, p)| *p > 0.0)
        .map(|(k, p)| format!("{k}={p}"))
        .collect();
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let s: FaultSpec =
            "5xx=0.05,timeout_applied=0.02,timeout_lost=0.02,reject=0.01,malformed=0.01,drop=0.01"
                .parse()
                .expect("parses");
        assert_eq!(s.http_5xx, 0.05);
        assert_eq!(s.drop, 0.01);
        assert_eq!(s.to_string().parse::<FaultSpec>(), Ok(s));
        assert!("".parse::<FaultSpec>().expect("empty").is_none());
        assert!("none".parse::<FaultSpec>().expect("none").is_none());
    }

    #[test]
    fn errors_name_the_problem() {
        let e = "5xx=0.1,timeout=0.2".parse::<FaultSpec>().unwrap_err();
        assert!(e.contains("\"timeout\""), "{e}");
        let e = "drop=1.5".parse::<FaultSpec>().unwrap_err();
        assert!(e.contains("drop"), "{e}");
        let e = "drop=x".parse::<FaultSpec>().unwrap_err();
        assert!(e.contains("drop"), "{e}");
        let e = "drop".parse::<FaultSpec>().unwrap_err();
        assert!(e.contains("key=probability"), "{e}");
        let e = "drop=0.1,drop=0.2".parse::<FaultSpec>().unwrap_err();
        assert!(e.contains("twice"), "{e}");
        let e = "drop=0.6,5xx=0.6".parse::<FaultSpec>().unwrap_err();
        assert!(e.contains("sum"), "{e}");
        assert_eq!(
            FaultSpec::parse("drop=0.1,jitter=1"),
            Err(FaultSpecError::UnknownKey("jitter".into()))
        );
    }

    #[test]
    fn decisions_follow_probabilities_and_seed() {
        let s: FaultSpec = "5xx=0.25,drop=0.25".parse().expect("parses");
        let n = 4000;
        let hits = (0..n).filter(|&i| s.decide(9, i).is_some()).count();
        assert!((1800..2200).contains(&hits), "{hits}");
        let a: Vec<_> = (0..100).map(|i| s.decide(9, i)).collect();
        let b: Vec<_> = (0..100).map(|i| s.decide(9, i)).collect();
        let c: Vec<_> = (0..100).map(|i| s.decide(10, i)).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let all: FaultSpec = "timeout_lost=1".parse().expect("parses");
        assert_eq!(all.decide(1, 5), Some(Fault::TimeoutLost));
        assert_eq!(FaultSpec::default().decide(1, 5), None);
    }

    #[test]
    fn trade_faults_parse_print_and_decide() {
        let s = FaultSpec::parse("ws_trade_drop=0.2,ws_trade_lost=0.3,ws_trade_restart=0.5")
            .expect("parses");
        assert_eq!(s.to_string().parse::<FaultSpec>(), Ok(s));
        assert_eq!(s.decide(3, 0), None, "not a REST fault");
        let n = 3000;
        let picks: Vec<_> = (0..n).filter_map(|i| s.decide_trade(3, i)).collect();
        assert_eq!(picks.len(), n as usize, "probabilities sum to 1");
        let drops = picks.iter().filter(|f| **f == TradeFault::Drop).count();
        assert!((450..750).contains(&drops), "{drops}");
        assert_eq!(FaultSpec::default().decide_trade(3, 0), None);
        let e = FaultSpec::parse("ws_trade_lost=0.6,ws_trade_restart=0.6").unwrap_err();
        assert!(matches!(e, FaultSpecError::SumOverOne(_)), "{e}");
    }
}
