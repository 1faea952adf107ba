//! The exchange's own rate budget: a rolling second per endpoint, and the
//! `X-Bapi-Limit*` values every reply carries.

use crate::effect::Endpoint;
use crate::input::RateLimitStatus;
use crate::time::Timestamp;

use super::VirtualExchange;

impl VirtualExchange {
    pub(super) fn available(&mut self, ep: Endpoint, now: Timestamp) -> usize {
        let q = self.spends.entry(ep).or_default();
        q.retain(|(t, _)| now.since(*t) < 1000 && *t <= now);
        let used: u64 = q.iter().map(|(_, u)| u64::from(*u)).sum();
        (u64::from(self.limits.per_second(ep)).saturating_sub(used)) as usize
    }

    pub(super) fn spend(&mut self, ep: Endpoint, now: Timestamp, units: usize) {
        self.spends
            .entry(ep)
            .or_default()
            .push_back((now, u32::try_from(units).unwrap_or(u32::MAX)));
    }

    pub(super) fn status(&mut self, ep: Endpoint, now: Timestamp) -> RateLimitStatus {
        let remaining = self.available(ep, now);
        let reset = self
            .spends
            .get(&ep)
            .and_then(|q| q.iter().map(|(t, _)| *t).min())
            .map_or(now, |t| t.plus_ms(1000));
        RateLimitStatus {
            limit: self.limits.per_second(ep),
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset_ms: reset,
        }
    }
}
