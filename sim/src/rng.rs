//! Seeded randomness. Every random decision is a pure function of (seed, stream, counter), so
//! the same request sequence gives the same decisions regardless of timing.

/// SplitMix64's finalizer: a bijective 64-bit mix.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of several words (order matters).
pub(crate) fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0u64, |h, &p| mix(h ^ p))
}

/// A uniform draw in [0, 1) from a hash.
pub(crate) fn unit(h: u64) -> f64 {
    // 53 random bits: exactly representable in an f64.
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// FNV-1a of a string, to seed per-symbol streams.
pub(crate) fn str_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Independent streams, so adding draws to one never shifts another.
pub(crate) mod stream {
    pub(crate) const FAULT: u64 = 1;
    pub(crate) const REJECT: u64 = 2;
    pub(crate) const JITTER: u64 = 3;
    pub(crate) const WALK: u64 = 4;
    pub(crate) const CANCEL_ALL: u64 = 5;
    pub(crate) const ORDER_ID: u64 = 6;
    pub(crate) const STATUS_5XX: u64 = 7;
    pub(crate) const EXEC_ID: u64 = 8;
    pub(crate) const WS_FAULT: u64 = 9;
    pub(crate) const TRADE_FAULT: u64 = 10;
    pub(crate) const TRACE_ID: u64 = 11;
}

/// A SplitMix64 generator (one per symbol walk).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0.wrapping_sub(0x9E37_79B9_7F4A_7C15))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_spread() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let ones = xs.iter().filter(|x| *x & 1 == 1).count();
        assert!((30..70).contains(&ones), "{ones}");
        assert_ne!(hash(&[1, 2]), hash(&[2, 1]));
        let u = unit(u64::MAX);
        assert!(u < 1.0);
    }
}
