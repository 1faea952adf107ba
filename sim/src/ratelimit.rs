//! Rolling-window rate limits: per UID per endpoint per line (1 s), and per IP.

use std::collections::{BTreeMap, VecDeque};

use mm_bybit::RateLimitStatus;

use crate::config::Line;

/// Units spent in the last `len` ms.
#[derive(Debug, Default)]
struct Window {
    events: VecDeque<(u64, u32)>,
    used: u64,
}

impl Window {
    fn expire(&mut self, now: u64, len: u64) {
        while let Some(&(t, units)) = self.events.front() {
            if t + len > now {
                break;
            }
            self.events.pop_front();
            self.used -= u64::from(units);
        }
    }

    fn spend(&mut self, now: u64, units: u32) {
        if units > 0 {
            self.events.push_back((now, units));
            self.used += u64::from(units);
        }
    }

    /// When the oldest spend leaves the window (what Bybit reports once you are out).
    fn next_release(&self, now: u64, len: u64) -> u64 {
        self.events.front().map_or(now, |&(t, _)| t + len)
    }
}

/// Per (account, endpoint path, line) windows.
#[derive(Debug, Default)]
pub(crate) struct UidLimiter {
    windows: BTreeMap<(usize, String, Line), Window>,
}

impl UidLimiter {
    /// Spends up to `want` units of a `limit`-per-second budget. With `partial`, grants as
    /// many as are left (a batch's leading items); otherwise all or nothing. Returns the units
    /// granted and the status to report (remaining after this request; reset = when the oldest
    /// spend expires if nothing is left, else now). `window_ms` is Bybit's rolling second.
    pub(crate) fn take(
        &mut self,
        key: (usize, &str, Line),
        window_ms: u64,
        limit: u32,
        want: u32,
        partial: bool,
        now: u64,
    ) -> (u32, RateLimitStatus) {
        let w = self
            .windows
            .entry((key.0, key.1.to_string(), key.2))
            .or_default();
        w.expire(now, window_ms);
        let left = u64::from(limit).saturating_sub(w.used);
        let left = u32::try_from(left).unwrap_or(u32::MAX);
        let granted = if partial {
            want.min(left)
        } else if want <= left {
            want
        } else {
            0
        };
        w.spend(now, granted);
        let remaining = left - granted;
        let reset_ms = if remaining == 0 {
            w.next_release(now, window_ms)
        } else {
            now
        };
        (
            granted,
            RateLimitStatus {
                limit,
                remaining,
                reset_ms,
            },
        )
    }
}

/// All requests from the one loopback client count against one IP budget.
#[derive(Debug, Default)]
pub(crate) struct IpLimiter {
    window: Window,
    banned_until: u64,
}

impl IpLimiter {
    /// When the current ban lifts, or 0 if there is none at `now`.
    pub(crate) fn banned_until(&self, now: u64) -> u64 {
        if now < self.banned_until {
            self.banned_until
        } else {
            0
        }
    }

    /// True if the request may proceed. Refused requests are not counted.
    pub(crate) fn admit(&mut self, max: u32, window_ms: u64, ban_ms: u64, now: u64) -> bool {
        if max == 0 {
            return true;
        }
        if now < self.banned_until {
            return false;
        }
        self.window.expire(now, window_ms);
        if self.window.used >= u64::from(max) {
            self.banned_until = now + ban_ms;
            return false;
        }
        self.window.spend(now, 1);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_second_with_partial_batches() {
        let mut l = UidLimiter::default();
        let k = (0, "/v5/order/create-batch", Line::Derivatives);
        let (g, s) = l.take(k, 1000, 10, 3, true, 1000);
        assert_eq!((g, s.remaining, s.reset_ms), (3, 7, 1000));
        let (g, s) = l.take(k, 1000, 10, 8, true, 1500);
        assert_eq!((g, s.remaining, s.reset_ms), (7, 0, 2000));
        let (g, _) = l.take(k, 1000, 10, 1, false, 1999);
        assert_eq!(g, 0);
        // The first 3 units leave the window at 2000.
        let (g, s) = l.take(k, 1000, 10, 5, true, 2000);
        assert_eq!((g, s.remaining), (3, 0));
        // Other lines and accounts have their own windows.
        let (g, _) = l.take(
            (0, "/v5/order/create-batch", Line::Spot),
            1000,
            10,
            5,
            true,
            2000,
        );
        assert_eq!(g, 5);
        let (g, _) = l.take(
            (1, "/v5/order/create-batch", Line::Derivatives),
            1000,
            10,
            5,
            true,
            2000,
        );
        assert_eq!(g, 5);
    }

    #[test]
    fn ip_window_and_ban() {
        let mut ip = IpLimiter::default();
        assert!(ip.admit(2, 5000, 0, 0));
        assert!(ip.admit(2, 5000, 0, 1));
        assert!(!ip.admit(2, 5000, 0, 2));
        assert!(ip.admit(2, 5000, 0, 5000));
        let mut ip = IpLimiter::default();
        assert!(ip.admit(1, 100, 10_000, 0));
        assert!(!ip.admit(1, 100, 10_000, 1));
        assert!(!ip.admit(1, 100, 10_000, 5000));
        assert!(ip.admit(1, 100, 10_000, 10_001));
    }
}
