//! `[risk]`: pre-trade limits and the kill switch (see `engine/risk`).
//! Every key is optional: absent means no limit, so a config without
//! `[risk]` decides exactly as before. Re-exported from `config`.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{I64Deserializer, StrDeserializer, U64Deserializer};
use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;

/// One value for every symbol, or a value per symbol (a symbol missing from
/// the table has no limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PerSymbol<T> {
    All(T),
    Each(BTreeMap<String, T>),
}

impl<T: Copy> PerSymbol<T> {
    pub fn for_symbol(&self, symbol: &str) -> Option<T> {
        match self {
            PerSymbol::All(v) => Some(*v),
            PerSymbol::Each(map) => map.get(symbol).copied(),
        }
    }

    /// Every value with the symbol it is for (`None`: every symbol).
    pub fn entries(&self) -> Vec<(Option<&str>, T)> {
        match self {
            PerSymbol::All(v) => vec![(None, *v)],
            PerSymbol::Each(map) => map.iter().map(|(s, v)| (Some(s.as_str()), *v)).collect(),
        }
    }
}

/// By hand rather than `untagged`, so a wrong value keeps the message of
/// the value's own type ("a decimal in a string...") instead of "did not
/// match any variant".
impl<'de, T: Deserialize<'de>> Deserialize<'de> for PerSymbol<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PerSymbol<T>, D::Error> {
        struct Visitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<T> {
            type Value = PerSymbol<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("one value for every symbol (a decimal in a string like \"0.01\" for a qty or an amount, a whole number for a count), or a table of SYMBOL = value")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PerSymbol<T>, E> {
                T::deserialize(StrDeserializer::<E>::new(v)).map(PerSymbol::All)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PerSymbol<T>, E> {
                T::deserialize(I64Deserializer::<E>::new(v)).map(PerSymbol::All)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PerSymbol<T>, E> {
                T::deserialize(U64Deserializer::<E>::new(v)).map(PerSymbol::All)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<PerSymbol<T>, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((symbol, v)) = map.next_entry::<String, T>()? {
                    out.insert(symbol, v);
                }
                Ok(PerSymbol::Each(out))
            }
        }
        deserializer.deserialize_any(Visitor(PhantomData))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// Base qty: position plus every open and in-flight order on the side
    /// that grows it never passes this; that side is not quoted.
    pub max_position: Option<PerSymbol<Decimal>>,
    /// Base qty: a level whose order would be larger is not quoted.
    pub max_order_qty: Option<PerSymbol<Decimal>>,
    /// Orders of ours on the symbol, both sides: the outermost levels go.
    pub max_open_orders: Option<PerSymbol<u32>>,
    /// Quote currency: the same worst case as `max_position`, valued at mid
    /// (qty x mid; an inverse contract's qty is already quote currency).
    pub max_notional: Option<PerSymbol<Decimal>>,
    /// A level further than this from mid is not quoted.
    pub price_band_bps: Option<u32>,
    /// A book whose mid moved more than this from the last good one gets no
    /// quotes, until a second book confirms the move.
    pub max_mid_jump_bps: Option<u32>,
    /// Kill switch, quote currency: the session's PnL (realised plus
    /// unrealised from our executions, marked at mid, every symbol) below
    /// minus this ends the session (orders cancelled first).
    pub max_loss: Option<Decimal>,
    /// Kill switch: more fills of ours than this in the last 60 s of core's
    /// time ends the session.
    pub max_fills_per_minute: Option<u32>,
}

impl RiskConfig {
    /// Every key set: the list of keys the parser knows comes from it.
    pub(super) fn every_key() -> RiskConfig {
        RiskConfig {
            max_position: Some(PerSymbol::All(Decimal::ZERO)),
            max_order_qty: Some(PerSymbol::All(Decimal::ZERO)),
            max_open_orders: Some(PerSymbol::All(0)),
            max_notional: Some(PerSymbol::All(Decimal::ZERO)),
            price_band_bps: Some(0),
            max_mid_jump_bps: Some(0),
            max_loss: Some(Decimal::ZERO),
            max_fills_per_minute: Some(0),
        }
    }
}

impl RiskConfig {
    /// The rules of `[risk]`, as (key, problem): limits positive, per-symbol
    /// tables only for quoted symbols, bps within 1..=10000, and a band that
    /// leaves room for the innermost level.
    pub(super) fn problems(&self, symbols: &[String], spread_bps: u32) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let decimals = [
            ("max_position", &self.max_position),
            ("max_order_qty", &self.max_order_qty),
            ("max_notional", &self.max_notional),
        ];
        for (key, limit) in decimals {
            let Some(limit) = limit else { continue };
            for (symbol, v) in limit.entries() {
                if !v.is_positive() {
                    out.push((
                        format!("risk.{key}"),
                        format!("= {v}{} must be positive", of(symbol)),
                    ));
                }
            }
            unknown_symbols(&format!("risk.{key}"), limit, symbols, &mut out);
        }
        if let Some(limit) = &self.max_open_orders {
            for (symbol, v) in limit.entries() {
                if !(1..=100_000).contains(&v) {
                    out.push((
                        "risk.max_open_orders".to_string(),
                        format!("= {v}{} must be between 1 and 100000", of(symbol)),
                    ));
                }
            }
            unknown_symbols("risk.max_open_orders", limit, symbols, &mut out);
        }
        for (key, v) in [
            ("price_band_bps", self.price_band_bps),
            ("max_mid_jump_bps", self.max_mid_jump_bps),
        ] {
            if let Some(v) = v
                && !(1..=10_000).contains(&v)
            {
                out.push((
                    format!("risk.{key}"),
                    format!("= {v} must be between 1 and 10000"),
                ));
            }
        }
        if let Some(v) = self.max_loss
            && !v.is_positive()
        {
            out.push((
                "risk.max_loss".to_string(),
                format!("= {v} must be positive (a loss, in quote currency)"),
            ));
        }
        if let Some(v) = self.max_fills_per_minute
            && !(1..=1_000_000).contains(&v)
        {
            out.push((
                "risk.max_fills_per_minute".to_string(),
                format!("= {v} must be between 1 and 1000000"),
            ));
        }
        if let Some(band) = self.price_band_bps
            && u64::from(band) * 2 <= u64::from(spread_bps)
        {
            out.push((
                "risk.price_band_bps".to_string(),
                format!("= {band} must exceed half of quoting.spread_bps = {spread_bps} (the innermost level sits that far from mid)"),
            ));
        }
        out
    }
}

fn of(symbol: Option<&str>) -> String {
    symbol.map_or_else(String::new, |s| format!(" for {s}"))
}

fn unknown_symbols<T: Copy>(
    key: &str,
    limit: &PerSymbol<T>,
    symbols: &[String],
    out: &mut Vec<(String, String)>,
) {
    for (symbol, _) in limit.entries() {
        if let Some(s) = symbol
            && !symbols.iter().any(|q| q == s)
        {
            out.push((
                key.to_string(),
                format!("names {s}, which is not in quoting.symbols"),
            ));
        }
    }
}
