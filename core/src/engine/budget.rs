//! Rate budget per endpoint over a rolling second.
//!
//! The exchange counts a request when it arrives, somewhere between our send
//! and its reply; we cannot see when. So a spend counts in full from the send
//! until the reply (or timeout) comes back, and then for a further window from
//! that moment (`[reply, reply + 1000)`): the latest the exchange can have
//! counted it. Freeing units a window after the *send* instead let a request
//! land in the exchange's window while ours had already moved on: 10006.
//! Capacity comes from `config.rate_limits`, lowered to the exchange's
//! `X-Bapi-Limit` once it tells us (never raised above the config: a tier
//! upgrade is the operator's call; headers that make no sense, a limit of 0
//! or more remaining than the limit, are ignored). When the exchange says fewer units remain
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
    /// The exchange's own limit, once a reply carried it (at most `limit`).
    exchange_limit: Option<u32>,
    /// Our spends, (expires at, units), in expiry order (time only moves
    /// forward), with their running sum: O(1) per check however many
    /// requests a second carries.
    spends: VecDeque<(Timestamp, u32)>,
    spent: u64,
    /// Units of requests still awaiting their reply.
    in_flight: u64,
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
            + self.in_flight
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
    /// Request id -> (bucket, units) for every spend still awaiting its reply.
    awaiting: std::collections::BTreeMap<u64, (usize, u32)>,
}

/// The bucket of `ep`. The resync listings (executions, positions) spend
/// the open-orders budget: Bybit gives each of the three 50 req/s per UID,
/// so one shared budget never exceeds any of them, and they are rare.
fn index(ep: Endpoint) -> usize {
    let ep = match ep {
        Endpoint::ExecutionList | Endpoint::PositionList => Endpoint::OpenOrders,
        other => other,
    };
    Endpoint::ALL.iter().position(|e| *e == ep).unwrap_or(0)
}

impl Budget {
    pub(super) fn new(config: &RateLimitConfig) -> Budget {
        let mut b = Budget {
            buckets: Default::default(),
            awaiting: std::collections::BTreeMap::new(),
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

    /// Units of `ep` free from `now` to `until`: those free now and those
    /// our spends and the exchange's phantoms release by then (a request
    /// in flight releases nothing before its reply).
    pub(super) fn available_by(&mut self, ep: Endpoint, now: Timestamp, until: Timestamp) -> u32 {
        let now_free = self.available(ep, now);
        let b = &self.buckets[index(ep)];
        let freed: u64 = b
            .spends
            .iter()
            .take_while(|(t, _)| *t <= until)
            .map(|(_, u)| u64::from(*u))
            .sum::<u64>()
            + b.phantoms
                .iter()
                .filter(|(t, _)| *t <= until)
                .map(|(_, u)| u64::from(*u))
                .sum::<u64>();
        let cap = u64::from(b.capacity());
        u32::try_from((u64::from(now_free) + freed).min(cap)).unwrap_or(u32::MAX)
    }

    /// Request `request` spends `units` of `ep`; they stay spent until its
    /// reply (`replied`) and a window after.
    pub(super) fn spend(&mut self, ep: Endpoint, request: u64, units: u32) {
        if units > 0 {
            let i = index(ep);
            self.buckets[i].in_flight += u64::from(units);
            self.awaiting.insert(request, (i, units));
        }
    }

    /// The reply to `request` arrived at `now` (any outcome, timeouts too).
    pub(super) fn replied(&mut self, request: u64, now: Timestamp) {
        if let Some((i, units)) = self.awaiting.remove(&request) {
            let b = &mut self.buckets[i];
            b.in_flight -= u64::from(units);
            // `now` only moves forward, so the deque stays in expiry order.
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

    /// Corrects `ep` from the exchange's headers; `false` (and nothing
    /// changed) when they make no sense: a limit of 0, or more remaining
    /// than the limit.
    pub(super) fn correct(
        &mut self,
        ep: Endpoint,
        now: Timestamp,
        status: &RateLimitStatus,
    ) -> bool {
        if status.limit == 0 || status.remaining > status.limit {
            return false;
        }
        let b = &mut self.buckets[index(ep)];
        // Lower on the exchange's word, never higher than configured: a
        // header we misread must not make us overspend.
        b.exchange_limit = Some(status.limit.min(b.limit));
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
        true
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

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(per_second: u32) -> Budget {
        Budget::new(&RateLimitConfig::uniform(per_second))
    }

    #[test]
    fn a_spend_holds_until_a_window_after_its_reply() {
        let ep = Endpoint::CreateBatch;
        let mut b = budget(10);
        b.spend(ep, 1, 10);
        assert_eq!(b.available(ep, Timestamp(0)), 0);
        // The exchange may have counted it as late as the reply (t = 300).
        b.replied(1, Timestamp(300));
        assert_eq!(
            b.available(ep, Timestamp(1000)),
            0,
            "freed a window after the send"
        );
        assert_eq!(b.available(ep, Timestamp(1299)), 0);
        assert_eq!(b.available(ep, Timestamp(1300)), 10);
    }

    #[test]
    fn available_by_counts_what_frees_up_before_then() {
        let ep = Endpoint::AmendBatch;
        let mut b = budget(10);
        b.spend(ep, 1, 6);
        b.replied(1, Timestamp(100)); // frees at 1100
        b.spend(ep, 2, 3); // in flight: frees nothing before its reply
        assert_eq!(b.available(ep, Timestamp(1000)), 1);
        assert_eq!(b.available_by(ep, Timestamp(1000), Timestamp(1099)), 1);
        assert_eq!(b.available_by(ep, Timestamp(1000), Timestamp(1100)), 7);
        assert_eq!(b.available_by(ep, Timestamp(1000), Timestamp(9999)), 7);
    }

    #[test]
    fn an_unanswered_request_keeps_its_units() {
        let ep = Endpoint::Cancel;
        let mut b = budget(3);
        b.spend(ep, 7, 1);
        assert_eq!(b.available(ep, Timestamp(60_000)), 2);
        b.replied(7, Timestamp(60_000));
        b.replied(7, Timestamp(60_001)); // a duplicate reply frees nothing twice
        assert_eq!(b.available(ep, Timestamp(60_999)), 2);
        assert_eq!(b.available(ep, Timestamp(61_000)), 3);
    }
}
