//! Exact decimal grids for prices and quantities: integer multiples of a step, never f64.

/// Values that are integer multiples of `step`, stored as integers scaled by `10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    scale: u32,
    step: u64,
}

/// Why a decimal string is not a point of the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GridError {
    /// Not a plain positive decimal (`123`, `0.5`).
    Syntax,
    /// A valid decimal, but not a multiple of the step.
    OffGrid,
}

impl Grid {
    /// A grid from its step (e.g. "0.01"); `None` if the step is not a positive decimal.
    pub(crate) fn new(step: &str) -> Option<Self> {
        let (m, d) = parse_decimal(step)?;
        let step = u64::try_from(m).ok().filter(|&s| s > 0)?;
        Some(Self { scale: d, step })
    }

    /// The number of steps `s` is, if it is on the grid. Trailing zeros beyond the step's
    /// precision are fine ("1600.00" on a 0.1 grid); other extra digits are off grid.
    pub(crate) fn steps_of(&self, s: &str) -> Result<u64, GridError> {
        let (mut m, d) = parse_decimal(s).ok_or(GridError::Syntax)?;
        if d > self.scale {
            let div = pow10(d - self.scale).ok_or(GridError::Syntax)?;
            if m % div != 0 {
                return Err(GridError::OffGrid);
            }
            m /= div;
        } else {
            m = m
                .checked_mul(pow10(self.scale - d).ok_or(GridError::Syntax)?)
                .ok_or(GridError::Syntax)?;
        }
        if m % u128::from(self.step) != 0 {
            return Err(GridError::OffGrid);
        }
        u64::try_from(m / u128::from(self.step)).map_err(|_| GridError::Syntax)
    }

    /// The decimal string of `steps` steps, with exactly the step's number of decimals.
    pub(crate) fn format(&self, steps: u64) -> String {
        let v = u128::from(steps) * u128::from(self.step);
        if self.scale == 0 {
            return v.to_string();
        }
        let p = pow10(self.scale).unwrap_or(1);
        let width = self.scale as usize;
        format!("{}.{:0width$}", v / p, v % p)
    }
}

/// `n` units of (price step x qty step), e.g. ticks x lots summed over fills, as a decimal
/// string with trailing zeros trimmed ("160", "0.5"): how Bybit writes order values.
pub(crate) fn format_value(price: &Grid, qty: &Grid, n: u128) -> String {
    let v = n
        .saturating_mul(u128::from(price.step))
        .saturating_mul(u128::from(qty.step));
    let scale = price.scale + qty.scale;
    let Some(p) = pow10(scale) else {
        return v.to_string();
    };
    let (int, frac) = (v / p, v % p);
    if frac == 0 {
        return int.to_string();
    }
    let width = scale as usize;
    let frac = format!("{frac:0width$}");
    format!("{int}.{}", frac.trim_end_matches('0'))
}

/// The signed ratio `num / den` with 6 decimals, truncated ("0.142425", "-0.0068"): Bybit's
/// `price24hPcnt` style (a fraction, not percent).
pub(crate) fn format_ratio(num: i128, den: u128) -> String {
    if den == 0 {
        return "0".into();
    }
    let micro = num.unsigned_abs().saturating_mul(1_000_000) / den;
    let sign = if num < 0 && micro > 0 { "-" } else { "" };
    let (int, frac) = (micro / 1_000_000, micro % 1_000_000);
    let frac = format!("{frac:06}");
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

fn pow10(e: u32) -> Option<u128> {
    10u128.checked_pow(e)
}

/// `"123.450"` -> `(123450, 3)`. Plain non-negative decimals only: no sign, exponent or
/// leading/trailing dot.
fn parse_decimal(s: &str) -> Option<(u128, u32)> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.len() <= 30 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let frac = frac.unwrap_or("");
    let m: u128 = format!("{int}{frac}").parse().ok()?;
    Some((m, u32::try_from(frac.len()).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_on_grid() {
        let g = Grid::new("0.1").expect("grid");
        assert_eq!(g.steps_of("60000"), Ok(600_000));
        assert_eq!(g.steps_of("60000.5"), Ok(600_005));
        assert_eq!(g.steps_of("60000.50"), Ok(600_005));
        assert_eq!(g.steps_of("60000.55"), Err(GridError::OffGrid));
        assert_eq!(g.format(600_005), "60000.5");
        let x = Grid::new("0.0001").expect("grid");
        assert_eq!(x.steps_of("0.6"), Ok(6000));
        assert_eq!(x.format(6001), "0.6001");
        assert_eq!(x.format(5), "0.0005");
    }

    #[test]
    fn steps_other_than_powers_of_ten() {
        let g = Grid::new("5").expect("grid");
        assert_eq!(g.steps_of("70000"), Ok(14_000));
        assert_eq!(g.steps_of("70001"), Err(GridError::OffGrid));
        assert_eq!(g.format(3), "15");
        let q = Grid::new("0.25").expect("grid");
        assert_eq!(q.steps_of("1.5"), Ok(6));
        assert_eq!(q.steps_of("1.1"), Err(GridError::OffGrid));
        assert_eq!(q.format(6), "1.50");
    }

    #[test]
    fn values_and_ratios() {
        let p = Grid::new("0.01").expect("grid");
        let q = Grid::new("0.01").expect("grid");
        // 1600.00 x 0.10 = 160
        assert_eq!(format_value(&p, &q, 160_000 * 10), "160");
        assert_eq!(format_value(&p, &q, 5), "0.0005");
        assert_eq!(format_value(&p, &q, 0), "0");
        assert_eq!(format_ratio(142_425, 1_000_000), "0.142425");
        assert_eq!(format_ratio(-68, 10_000), "-0.0068");
        assert_eq!(format_ratio(0, 7), "0");
        assert_eq!(format_ratio(-1, 10_000_000), "0");
    }

    #[test]
    fn syntax() {
        let g = Grid::new("0.01").expect("grid");
        for bad in ["", "-1", "1e5", ".5", "5.", "1,5", " 1", "abc", "1.2.3"] {
            assert_eq!(g.steps_of(bad), Err(GridError::Syntax), "{bad:?}");
        }
        assert!(Grid::new("0").is_none());
        assert!(Grid::new("x").is_none());
    }
}
