//! Rate budget per endpoint over a rolling second.
//!
//! A spend at `t` counts against the endpoint until `t + 1000` (exclusive).
//! Capacity comes from `config.rate_limits`, replaced by the exchange's
//! `X-Bapi-Limit` once it tells us. When the exchange says fewer units remain
//! than we think (`X-Bapi-Limit-Status`), the difference is recorded as a
//! phantom spend that lasts until its `X-Bapi-Limit-Reset-Timestamp` (kept
//! within the next second, so a garbage header cannot stall us for long):
//! from then on our headroom equals what the exchange reported. We never
//! raise our headroom on the exchange's word: being wrong there costs 10006s.

use std::collections::VecDeque;

use crate::config::RateLimitConfig;
use crate::effect::Endpoint;
use crate::input::RateLimitStatus;
use crate::time::Timestamp;

const WINDOW_MS: u64 = 1000;

#[derive(Default, Clone)]
struct Bucket {
    limit: u32,
    /// The exchange's own limit, once a reply carried it (wins over config).
    exchange_limit: Option<u32>,
    /// Our spends, (expires at, units), in expiry order (time only moves
    /// forward), with their running sum: O(1) per check however many
    /// requests a second carries.
    spends: VecDeque<(Timestamp, u32)>,
    spent: u64,
    /// Phantom spends from the exchange's headers: few, any expiry order.
    phantoms: Vec<(Timestamp, u32)>,
}

impl Bucket {
    fn prune(&mut self, now: Timestamp) {
        while let Some(&(until, units)) = self.spends.front() {
            if until > now {
                break;
            }
            self.spends.pop_front();
            self.spent -= u64::from(units);
        }
        self.phantoms.retain(|(until, _)| *until > now);
    }

    fn used(&self) -> u64 {
        self.spent
            + self
                .phantoms
                .iter()
                .map(|(_, u)| u64::from(*u))
                .sum::<u64>()
    }

    fn capacity(&self) -> u32 {
        self.exchange_limit.unwrap_or(self.limit)
    }
}

pub(super) struct Budget {
    buckets: [Bucket; 8],
}

fn index(ep: Endpoint) -> usize {
    Endpoint::ALL.iter().position(|e| *e == ep).unwrap_or(0)
}

impl Budget {
    pub(super) fn new(config: &RateLimitConfig) -> Budget {
        let mut b = Budget {
            buckets: Default::default(),
        };
        b.reconfigure(config);
        b
    }

    /// A new config's limits replace what the exchange told us: the operator
    /// changed them on purpose (a tier upgrade, say).
    pub(super) fn reconfigure(&mut self, config: &RateLimitConfig) {
        for ep in Endpoint::ALL {
            let b = &mut self.buckets[index(ep)];
            b.limit = config.per_second(ep);
            b.exchange_limit = None;
        }
    }

    pub(super) fn available(&mut self, ep: Endpoint, now: Timestamp) -> u32 {
        let b = &mut self.buckets[index(ep)];
        b.prune(now);
        let used = b.used();
        u32::try_from(u64::from(b.capacity()).saturating_sub(used)).unwrap_or(0)
    }

    pub(super) fn spend(&mut self, ep: Endpoint, now: Timestamp, units: u32) {
        if units > 0 {
            let b = &mut self.buckets[index(ep)];
            b.spends.push_back((now.plus_ms(WINDOW_MS), units));
            b.spent += u64::from(units);
        }
    }

    /// Back off: nothing more on `ep` until `until` (429 / 10006 without headers).
    pub(super) fn exhaust(&mut self, ep: Endpoint, now: Timestamp, until: Timestamp) {
        let left = self.available(ep, now);
        let until = until.max(now.plus_ms(1)).min(now.plus_ms(WINDOW_MS));
        if left > 0 {
            self.buckets[index(ep)].phantoms.push((until, left));
        }
    }

    pub(super) fn correct(&mut self, ep: Endpoint, now: Timestamp, status: &RateLimitStatus) {
        if status.limit > 0 {
            self.buckets[index(ep)].exchange_limit = Some(status.limit);
        }
        let ours = self.available(ep, now);
        if status.remaining < ours {
            let until = status
                .reset_ms
                .max(now.plus_ms(1))
                .min(now.plus_ms(WINDOW_MS));
            let b = &mut self.buckets[index(ep)];
            b.phantoms.push((until, ours - status.remaining));
            // Many replies a second: fold them into one, conservatively
            // (all units, the latest expiry), so a check stays cheap.
            if b.phantoms.len() > 32 {
                let units = b
                    .phantoms
                    .iter()
                    .map(|(_, u)| *u)
                    .fold(0u32, u32::saturating_add);
                let last = b.phantoms.iter().map(|(t, _)| *t).max().unwrap_or(until);
                b.phantoms = vec![(last, units)];
            }
        }
    }

    /// When the next unit of `ep` frees up (for a deferred send's wake).
    pub(super) fn next_release(&self, ep: Endpoint, now: Timestamp) -> Option<Timestamp> {
        let b = &self.buckets[index(ep)];
        let ours = b.spends.iter().map(|(t, _)| *t).find(|t| *t > now);
        let phantom = b
            .phantoms
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| *t > now)
            .min();
        ours.into_iter().chain(phantom).min()
    }

    pub(super) fn headroom(&mut self, now: Timestamp) -> std::collections::BTreeMap<Endpoint, u64> {
        Endpoint::ALL
            .iter()
            .map(|ep| (*ep, u64::from(self.available(*ep, now))))
            .collect()
    }
}
