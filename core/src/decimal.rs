//! Exact decimals: what the wire carries ("60000.5") and what grids are made
//! of. Prices and sizes are never `f64`: they are integer multiples of an
//! instrument's tick size / qty step (see `Instrument`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `mantissa * 10^-scale`, kept normalised (no trailing zeros in the
/// fraction) so equal values compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// At most 18 fractional digits, at most 30 significant ones: far beyond any
/// exchange grid, small enough that grid arithmetic cannot overflow an i128.
const MAX_SCALE: u32 = 18;
const MAX_DIGITS: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an exact decimal: {input:?} ({reason})")]
pub struct DecimalError {
    pub input: String,
    pub reason: &'static str,
}

impl Decimal {
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    pub fn new(mantissa: i128, scale: u32) -> Decimal {
        Decimal { mantissa, scale }.normalised()
    }

    pub fn mantissa(self) -> i128 {
        self.mantissa
    }

    pub fn scale(self) -> u32 {
        self.scale
    }

    pub fn is_positive(self) -> bool {
        self.mantissa > 0
    }

    /// `self / unit` when it is a whole number, else `None` (off the grid).
    pub fn div_exact(self, unit: Decimal) -> Option<i128> {
        if unit.mantissa == 0 {
            return None;
        }
        let scale = self.scale.max(unit.scale);
        let a = self
            .mantissa
            .checked_mul(10i128.checked_pow(scale - self.scale)?)?;
        let b = unit
            .mantissa
            .checked_mul(10i128.checked_pow(scale - unit.scale)?)?;
        (a % b == 0).then_some(a / b)
    }

    /// `n * unit`, exactly.
    pub fn times(unit: Decimal, n: i128) -> Option<Decimal> {
        Some(Decimal::new(unit.mantissa.checked_mul(n)?, unit.scale))
    }

    fn normalised(mut self) -> Decimal {
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        if self.mantissa == 0 {
            self.scale = 0;
        }
        self
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Decimal, DecimalError> {
        let err = |reason| DecimalError {
            input: s.to_string(),
            reason,
        };
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() || (body.contains('.') && frac.is_empty()) {
            return Err(err("expected digits on both sides of the point"));
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err("only digits, one '.' and a leading '-' are allowed"));
        }
        if frac.len() > MAX_SCALE as usize {
            return Err(err("more than 18 fractional digits"));
        }
        let digits = format!("{int}{frac}");
        if digits.trim_start_matches('0').len() > MAX_DIGITS {
            return Err(err("more than 30 significant digits"));
        }
        let mantissa: i128 = digits.parse().map_err(|_| err("not a number"))?;
        let mantissa = if negative { -mantissa } else { mantissa };
        Ok(Decimal::new(mantissa, frac.len() as u32))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let abs = self.mantissa.unsigned_abs();
        if self.scale == 0 {
            return write!(f, "{sign}{abs}");
        }
        let pow = 10u128.pow(self.scale);
        write!(
            f,
            "{sign}{}.{:0width$}",
            abs / pow,
            abs % pow,
            width = self.scale as usize
        )
    }
}

/// A decimal travels as its exact string (TOML, JSON, postcard alike): a
/// number literal would pass through binary floating point on the way.
impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal in a string, like \"0.001\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("valid decimal")
    }

    #[test]
    fn round_trips_wire_strings_exactly() {
        for s in [
            "60000.5",
            "0.0001",
            "3000",
            "0",
            "-1.25",
            "123456789.123456789",
        ] {
            assert_eq!(d(s).to_string(), s);
        }
        assert_eq!(d("1.500").to_string(), "1.5");
        assert_eq!(d("1.500"), d("1.5"));
    }

    #[test]
    fn rejects_what_is_not_an_exact_decimal() {
        for s in [
            "",
            ".5",
            "5.",
            "1e5",
            "NaN",
            "1.2.3",
            " 1",
            "0x10",
            "1.0000000000000000001",
        ] {
            assert!(s.parse::<Decimal>().is_err(), "{s:?} parsed");
        }
    }

    #[test]
    fn grid_division_is_exact_or_none() {
        assert_eq!(d("60000.5").div_exact(d("0.1")), Some(600005));
        assert_eq!(d("60000.55").div_exact(d("0.1")), None);
        assert_eq!(d("0.003").div_exact(d("0.001")), Some(3));
        assert_eq!(d("1").div_exact(Decimal::ZERO), None);
        assert_eq!(Decimal::times(d("0.1"), 600005), Some(d("60000.5")));
    }
}
