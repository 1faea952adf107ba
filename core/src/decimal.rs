//! Exact decimals: what the wire carries ("60000.5") and what grids are made
//! of. Prices and sizes are never `f64`: they are integer multiples of an
//! instrument's tick size / qty step (see `Instrument`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `mantissa * 10^-scale`, kept normalised (no trailing zeros in the
/// fraction) so equal values compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
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

    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// `self + other`, exactly (`None` on overflow).
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        let a = self
            .mantissa
            .checked_mul(10i128.checked_pow(scale - self.scale)?)?;
        let b = other
            .mantissa
            .checked_mul(10i128.checked_pow(scale - other.scale)?)?;
        Some(Decimal::new(a.checked_add(b)?, scale))
    }

    /// `self - other`, exactly (`None` on overflow).
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(-other)
    }

    /// `self * other`, exactly (`None` on overflow).
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        Some(Decimal::new(
            self.mantissa.checked_mul(other.mantissa)?,
            self.scale.checked_add(other.scale)?,
        ))
    }

    /// `self / other` cut (toward zero) to `scale` fractional digits:
    /// averages for log lines and views (`None` for a zero divisor or on
    /// overflow).
    pub fn div_trunc(self, other: Decimal, scale: u32) -> Option<Decimal> {
        if other.mantissa == 0 {
            return None;
        }
        // (a / 10^sa) / (b / 10^sb) * 10^scale = a * 10^(sb + scale - sa) / b
        let shift = i64::from(other.scale) + i64::from(scale) - i64::from(self.scale);
        let (num, den) = if shift >= 0 {
            let p = 10i128.checked_pow(u32::try_from(shift).ok()?)?;
            (self.mantissa.checked_mul(p)?, other.mantissa)
        } else {
            let p = 10i128.checked_pow(u32::try_from(-shift).ok()?)?;
            (self.mantissa, other.mantissa.checked_mul(p)?)
        };
        Some(Decimal::new(num / den, scale))
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

impl std::ops::Neg for Decimal {
    type Output = Decimal;

    fn neg(self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
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
        // The digits of int and frac read as one integer, without building
        // it as text: every book price of every tick comes through here.
        let digits = || int.bytes().chain(frac.bytes());
        let leading_zeros = digits().take_while(|&b| b == b'0').count();
        let significant = int.len() + frac.len() - leading_zeros;
        if significant > MAX_DIGITS {
            return Err(err("more than 30 significant digits"));
        }
        let scale = frac.len() as u32;
        if significant <= 19 {
            // Fits a u64, and so does its normalisation (cheaper than i128).
            let mut m = digits().fold(0u64, |m, b| m * 10 + u64::from(b - b'0'));
            let mut scale = scale;
            while scale > 0 && m % 10 == 0 {
                m /= 10;
                scale -= 1;
            }
            let mantissa = if negative {
                -i128::from(m)
            } else {
                i128::from(m)
            };
            return Ok(Decimal { mantissa, scale }.normalised());
        }
        // 30 digits fit an i128 (whose maximum has 39).
        let mantissa = digits().fold(0i128, |m, b| m * 10 + i128::from(b - b'0'));
        let mantissa = if negative { -mantissa } else { mantissa };
        Ok(Decimal::new(mantissa, scale))
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
    fn parses_as_the_digits_read_as_one_integer() {
        // The fast u64 path (up to 19 significant digits) and the i128 path
        // (20 to 30) agree with mantissa/scale built by hand.
        let cases = [
            ("0", 0, 0),
            ("-0.000", 0, 0),
            ("007.0100", 701, 2),
            ("-60000.50", -600005, 1),
            ("1000", 1000, 0),
            ("9999999999999999999", 9_999_999_999_999_999_999, 0),
            ("9.999999999999999999", 9_999_999_999_999_999_999, 18),
            ("99999999999999999999", 99_999_999_999_999_999_999, 0),
            (
                "-123456789012.345678901234567800",
                -1_234_567_890_123_456_789_012_345_678,
                16,
            ),
            (
                "000999999999999999999999999999999",
                999_999_999_999_999_999_999_999_999_999,
                0,
            ),
        ];
        for (s, mantissa, scale) in cases {
            assert_eq!(d(s), Decimal::new(mantissa, scale), "{s}");
            assert_eq!((d(s).mantissa(), d(s).scale()), (mantissa, scale), "{s}");
        }
        let too_many = "1234567890123456789012345678901";
        assert_eq!(
            too_many.parse::<Decimal>().map_err(|e| e.reason),
            Err("more than 30 significant digits")
        );
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(d("0.001").checked_add(d("0.0025")), Some(d("0.0035")));
        assert_eq!(d("0.001").checked_sub(d("0.003")), Some(d("-0.002")));
        assert_eq!(d("-1.5").checked_add(d("1.5")), Some(Decimal::ZERO));
        assert_eq!(d("60000.5").checked_mul(d("0.002")), Some(d("120.001")));
        assert_eq!(d("120.001").div_trunc(d("0.002"), 2), Some(d("60000.5")));
        assert_eq!(d("10").div_trunc(d("3"), 3), Some(d("3.333")));
        assert_eq!(d("-10").div_trunc(d("3"), 0), Some(d("-3")));
        assert_eq!(d("1").div_trunc(Decimal::ZERO, 2), None);
        assert!(d("0").is_zero() && !d("0.1").is_zero());
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
