//! Reconnect delays: exponential from `min` to `max`, each drawn uniformly
//! from its upper half ("equal jitter"), so clients dropped together do not
//! come back together (Bybit limits new connections per host: 500 in 5 min).
//! The draws come from a small xorshift seeded once: from the OS by default
//! (a reconnect delay is no trading decision), or fixed for a test.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    state: u64,
}

impl Backoff {
    /// `seed`: `None` draws the seed from the OS.
    pub fn new(min: Duration, max: Duration, seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(|| {
            // std's RandomState keys are drawn from the OS.
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        });
        Backoff {
            min,
            max: max.max(min),
            // xorshift must not start at 0.
            state: seed | 1,
        }
    }

    /// The wait before reconnect attempt `attempt` (0 = the first after a
    /// loss): min * 2^attempt capped at max, then uniform in its upper half.
    pub fn delay(&mut self, attempt: u32) -> Duration {
        let cap = self
            .min
            .checked_mul(1u32 << attempt.min(20))
            .map_or(self.max, |d| d.min(self.max));
        let cap_us = u64::try_from(cap.as_micros()).unwrap_or(u64::MAX);
        let half = cap_us / 2;
        Duration::from_micros(half + self.next() % (cap_us - half + 1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn delays_double_up_to_the_cap_within_their_upper_half() {
        let mut b = Backoff::new(100 * MS, 3000 * MS, Some(7));
        for (attempt, cap) in [
            (0, 100),
            (1, 200),
            (2, 400),
            (4, 1600),
            (5, 3000),
            (30, 3000),
        ] {
            for _ in 0..50 {
                let d = b.delay(attempt);
                assert!(d >= cap * MS / 2 && d <= cap * MS, "{attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn delays_are_jittered_and_a_seed_repeats_them() {
        let draws = |seed| {
            let mut b = Backoff::new(100 * MS, 3000 * MS, Some(seed));
            (0..20).map(|_| b.delay(3)).collect::<Vec<_>>()
        };
        let a = draws(1);
        assert_eq!(a, draws(1));
        assert_ne!(a, draws(2));
        let distinct: std::collections::BTreeSet<_> = a.iter().collect();
        assert!(distinct.len() > 10, "{a:?}");
    }
}
