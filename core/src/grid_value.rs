//! A price or quantity as the engine holds it: a whole number of grid steps
//! (ticks or lots) and the step. Requests carry this, not a string, so
//! building an order allocates nothing for its price and size; the decimal
//! text is rendered only where it leaves core (the shell's wire JSON, the
//! testkit's transcripts), and is exactly `Decimal::times(step, units)`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::decimal::{Decimal, DecimalError};

/// `units * step`, e.g. 1005 ticks of 0.1 = "100.5". Compares by value:
/// 1005 x 0.1 equals 201 x 0.5.
#[derive(Clone, Copy)]
pub struct GridValue {
    pub units: i64,
    pub step: Decimal,
}

impl GridValue {
    pub fn new(step: Decimal, units: i64) -> GridValue {
        GridValue { units, step }
    }

    /// The exact value; `None` only when it overflows a `Decimal`.
    pub fn to_decimal(self) -> Option<Decimal> {
        Decimal::times(self.step, i128::from(self.units))
    }
}

impl From<Decimal> for GridValue {
    /// Steps of the value's own last digit, exact when the mantissa fits
    /// an i64 (every price and size on a Bybit grid does).
    fn from(d: Decimal) -> GridValue {
        match i64::try_from(d.mantissa()) {
            Ok(units) => GridValue::new(Decimal::new(1, d.scale()), units),
            Err(_) => GridValue::new(d, 1),
        }
    }
}

impl FromStr for GridValue {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<GridValue, DecimalError> {
        s.parse::<Decimal>().map(GridValue::from)
    }
}

impl PartialEq for GridValue {
    fn eq(&self, other: &GridValue) -> bool {
        (self.units == other.units && self.step == other.step)
            || self.to_decimal() == other.to_decimal()
    }
}

impl Eq for GridValue {}

impl fmt::Display for GridValue {
    /// In u64 arithmetic when it fits (u128 division is slow), else
    /// through `Decimal`; the same text either way.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = self.step.scale();
        let fast = self
            .step
            .mantissa()
            .checked_mul(i128::from(self.units))
            .zip(10u64.checked_pow(scale))
            .and_then(|(v, pow)| Some((v < 0, u64::try_from(v.unsigned_abs()).ok()?, pow)));
        let Some((negative, abs, pow)) = fast else {
            return match self.to_decimal() {
                Some(d) => write!(f, "{d}"),
                None => Ok(()),
            };
        };
        if negative {
            f.write_str("-")?;
        }
        let (int, mut frac, mut width) = (abs / pow, abs % pow, scale as usize);
        write!(f, "{int}")?;
        if frac != 0 {
            while frac % 10 == 0 {
                frac /= 10;
                width -= 1;
            }
            write!(f, ".{frac:0width$}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for GridValue {
    /// As the decimal string it stands for (what a `String` field showed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl Serialize for GridValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GridValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GridValue, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_exactly_as_decimal_times() {
        for unit in ["0.1", "0.0001", "0.5", "1", "25", "0.000000001", "0.10"] {
            let unit: Decimal = unit.parse().expect("unit");
            for n in [0i64, 1, 7, 10, 99, 100, 12_345, 600_005, -3, i64::MAX / 7] {
                let want = Decimal::times(unit, i128::from(n)).map(|d| d.to_string());
                assert_eq!(
                    Some(GridValue::new(unit, n).to_string()),
                    want,
                    "{unit} x {n}"
                );
            }
        }
    }

    #[test]
    fn compares_by_value_and_parses_back() {
        let tick: Decimal = "0.1".parse().expect("tick");
        let half: Decimal = "0.5".parse().expect("half");
        assert_eq!(GridValue::new(tick, 1005), GridValue::new(half, 201));
        assert_ne!(GridValue::new(tick, 1005), GridValue::new(tick, 1006));
        let parsed: GridValue = "100.5".parse().expect("parse");
        assert_eq!(parsed, GridValue::new(tick, 1005));
        assert_eq!(parsed.to_string(), "100.5");
        assert_eq!(format!("{parsed:?}"), "\"100.5\"");
        assert!("1e5".parse::<GridValue>().is_err());
    }
}
