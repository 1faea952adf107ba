//! Tick durations as a fixed-size log-linear histogram (the HDR histogram's
//! layout): constant memory however long the session runs, and a percentile
//! costs one pass over a fixed number of buckets, not a sort of every tick.
//!
//! Values below 2 * `SUB` are exact. Above, each power of two [2^m, 2^(m+1))
//! is split into `SUB` equal buckets, so a bucket spans at most 1/`SUB` of
//! the values in it. A percentile reports its bucket's upper bound (clamped to
//! the largest value seen): never below the exact nearest-rank value, and at
//! most `MAX_RELATIVE_ERROR` above it.

/// Buckets per power of two; also the exact range's half.
const SUB: u64 = 32;
const SUB_BITS: u32 = SUB.trailing_zeros();
/// The exact range [0, SUB) plus SUB buckets for each power of two from
/// 2^SUB_BITS to 2^63: every u64 has a bucket.
pub const BUCKETS: usize = (SUB as usize) * (64 - SUB_BITS as usize + 1);
/// A reported percentile is at most this fraction above the exact one.
pub const MAX_RELATIVE_ERROR: f64 = 1.0 / SUB as f64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    pub fn record(&mut self, v: u64) {
        self.counts[index(v)] += 1;
        self.total += 1;
        self.max = self.max.max(v);
    }

    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Buckets held (fixed at `BUCKETS`: the memory never grows).
    pub fn buckets(&self) -> usize {
        self.counts.len()
    }

    /// The buckets' allocation, in counts (tests hold it constant).
    pub fn counts_capacity(&self) -> usize {
        self.counts.capacity()
    }

    /// Nearest-rank percentile `p` (0..=100), within `MAX_RELATIVE_ERROR`
    /// above the exact value; 0 when empty.
    pub fn percentile(&self, p: u32) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = (u64::from(p.min(100)) * self.total)
            .div_ceil(100)
            .clamp(1, self.total);
        let mut seen = 0u64;
        for (i, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return upper_bound(i).min(self.max);
            }
        }
        self.max
    }
}

/// The bucket of `v`.
fn index(v: u64) -> usize {
    if v < SUB {
        return usize::try_from(v).unwrap_or(0);
    }
    let msb = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = msb - SUB_BITS;
    let sub = (v >> shift) - SUB; // 0..SUB
    usize::try_from(SUB * u64::from(shift + 1) + sub).unwrap_or(BUCKETS - 1)
}

/// The largest value in bucket `i`.
fn upper_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let shift = i / SUB - 1;
    let sub = i % SUB;
    // ((SUB + sub + 1) << shift) - 1, without overflowing in the top bucket.
    ((SUB + sub) << shift).saturating_add((1u64 << shift) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_whose_bounds_hold_it() {
        for v in (0..5000).chain([u64::MAX, u64::MAX / 3, 1 << 40, (1 << 40) - 1]) {
            let i = index(v);
            assert!(i < BUCKETS, "{v}");
            assert!(upper_bound(i) >= v, "{v}");
            if i > 0 {
                assert!(upper_bound(i - 1) < v, "{v}: bucket {i} starts too high");
            }
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
        assert_eq!(upper_bound(BUCKETS - 1), u64::MAX);
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::default();
        for d in 1..=100 {
            h.record(d);
        }
        assert_eq!(h.percentile(50), 50);
        assert_eq!(h.percentile(95), 95);
        assert_eq!(h.percentile(99), 99);
        assert_eq!(h.percentile(100), 100);
        assert_eq!(Histogram::default().percentile(50), 0);
    }

    /// A million samples spread over six decades: the histogram holds the same
    /// buckets as when empty, and each percentile is within the stated error
    /// of the exact nearest-rank one (computed by sorting them all).
    #[test]
    fn a_million_samples_keep_the_size_and_the_stated_error() {
        let mut h = Histogram::default();
        let (buckets, capacity) = (h.buckets(), h.counts.capacity());
        let mut all = Vec::with_capacity(1_000_000);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..1_000_000 {
            // xorshift64: a spread of magnitudes, 1 ms .. ~4.6 hours.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = 1 + (x % 1_000) * 10u64.pow(u32::try_from(x % 5).unwrap_or(0));
            h.record(v);
            all.push(v);
        }
        assert_eq!((h.buckets(), h.counts.capacity()), (buckets, capacity));
        assert_eq!(h.buckets(), BUCKETS);
        assert_eq!(h.len(), 1_000_000);
        all.sort_unstable();
        for p in [1, 10, 50, 90, 95, 99, 100] {
            let rank = (p as usize * all.len()).div_ceil(100).max(1);
            let exact = all[rank - 1];
            let got = h.percentile(u32::try_from(p).unwrap_or(100));
            assert!(got >= exact, "p{p}: {got} < exact {exact}");
            #[allow(clippy::cast_precision_loss)]
            let err = (got - exact) as f64 / exact as f64;
            assert!(err <= MAX_RELATIVE_ERROR, "p{p}: {got} vs {exact} ({err})");
        }
    }
}
