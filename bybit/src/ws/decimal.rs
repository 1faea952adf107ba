//! Exact ordering of the exchange's non-negative decimal strings, for sorting book levels
//! without a float: `"30240.00"`, `"30240.0"` and `"30240"` are the same price.

use std::cmp::Ordering;

/// A non-negative decimal normalised to its digits: integer part without leading zeros,
/// fraction without trailing zeros. Equal keys are equal numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecimalKey {
    int: String,
    frac: String,
}

impl DecimalKey {
    /// Parses `digits` or `digits.digits`; `None` for anything else (sign, exponent, blank).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
            return None;
        }
        Some(Self {
            int: int.trim_start_matches('0').to_owned(),
            frac: frac.trim_end_matches('0').to_owned(),
        })
    }

    /// True for any spelling of zero.
    pub(crate) fn is_zero(&self) -> bool {
        self.int.is_empty() && self.frac.is_empty()
    }
}

impl Ord for DecimalKey {
    fn cmp(&self, other: &Self) -> Ordering {
        // Without leading zeros a longer integer part is a larger number; fractions without
        // trailing zeros compare digit by digit, a prefix being the smaller.
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(&other.int))
            .then_with(|| self.frac.cmp(&other.frac))
    }
}

impl PartialOrd for DecimalKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::DecimalKey;

    fn k(s: &str) -> DecimalKey {
        DecimalKey::parse(s).unwrap_or_else(|| panic!("{s} parses"))
    }

    #[test]
    fn equal_spellings_are_equal() {
        assert_eq!(k("30240.00"), k("30240"));
        assert_eq!(k("030240.0"), k("30240"));
        assert!(k("0").is_zero() && k("0.000").is_zero() && k("00").is_zero());
        assert!(!k("0.001").is_zero());
    }

    #[test]
    fn orders_numerically() {
        let mut v = ["9.9", "10", "0.45", "0.5", "0.51", "100.001", "100", "0"].map(k);
        v.sort();
        let want = ["0", "0.45", "0.5", "0.51", "9.9", "10", "100", "100.001"].map(k);
        assert_eq!(v, want);
    }

    #[test]
    fn rejects_what_is_not_a_plain_decimal() {
        for bad in ["", "-1", "1e5", ".5", "5.", "1.2.3", "1,5", " 1", "NaN"] {
            assert_eq!(DecimalKey::parse(bad), None, "{bad:?}");
        }
    }
}
