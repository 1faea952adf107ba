//! Requests on their way: ids, the requests in flight, the rate budget's
//! gate and the IP-limit pause. Every request leaves through `dispatch`, the
//! only place budget is spent, so none can leave uncounted.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::effect::{Effect, Endpoint, Op, Request, RequestKind};
use crate::engine::budget::Budget;
use crate::engine::orders::Seq;
use crate::engine::out::Out;
use crate::engine::quote::push_digits;
use crate::engine::seqmap::SeqMap;
use crate::input::{Outcome, RateLimitStatus, RequestId};
use crate::time::Timestamp;

/// How long all sending pauses after an HTTP 403 (Bybit's IP limit).
pub(super) const IP_PAUSE_MS: u64 = 10_000;

/// What a request in flight was for.
pub(super) enum Pending {
    Orders(OrdersSent),
    /// Settle query for one order.
    Query(Seq),
    /// Shutdown: cancel-all for a symbol.
    CancelAll(u32),
    /// Shutdown (`cancel = "ours"`): a cancel-batch of our orders of a symbol.
    CancelOurs(u32),
    /// Start-up recovery: one page of a symbol's open orders.
    RecoveryList(u32),
    /// Start-up recovery: a cancel-batch of a symbol's orphans.
    RecoveryCancel(u32),
    /// Shutdown: one page of a symbol's open orders.
    List(u32),
    /// A resync or reconcile listing (its job, see `resync`).
    Resync(u64),
}

pub(super) struct OrdersSent {
    pub(super) op: Op,
    pub(super) seqs: Vec<Seq>,
    pub(super) batch: bool,
    pub(super) endpoint: Endpoint,
}

/// A reply being applied: the request it answers and what came back.
#[derive(Clone, Copy)]
pub(super) struct Answer<'a> {
    pub(super) id: RequestId,
    pub(super) outcome: &'a Outcome,
}

/// What a part answers when asked for its next request.
#[expect(
    clippy::large_enum_variant,
    reason = "a return value moved once into the bus, never stored: boxing it would allocate per request"
)]
pub(super) enum Next {
    /// This request goes now.
    Send(Outgoing),
    /// Nothing sent, but the part moved on: ask again.
    Again,
    /// Nothing to send now.
    Idle,
}

/// A request a part decided, for `Sender::dispatch`: what it asks, what its
/// reply goes back to, how many orders it carries (for the log) and the
/// budget units it spends.
pub(super) struct Outgoing {
    pub(super) kind: RequestKind,
    pub(super) pending: Pending,
    pub(super) n: u64,
    pub(super) units: u32,
}

pub(super) struct Sender {
    pub(super) budget: Budget,
    next_request: u64,
    /// Requests in flight by id (ids only grow).
    pub(super) inflight: SeqMap<Pending>,
    /// Order-command requests in flight, by `bus::op_index`.
    pub(super) inflight_ops: [u32; 3],
    /// Endpoints the budget held back at the last pump (for the wake time).
    pub(super) blocked: BTreeSet<Endpoint>,
    /// Endpoints whose rate-limit headers made no sense (warned once).
    bad_headers: BTreeSet<Endpoint>,
    /// Endpoints currently deferring (a deferral is counted once per episode).
    deferring: BTreeSet<Endpoint>,
    pub(super) pause_until: Option<Timestamp>,
    /// A reply has shown the exchange takes our credentials; until then one
    /// request at a time, so a refused key costs one request (see `fatal`).
    pub(super) credentials_ok: bool,
}

impl Sender {
    pub(super) fn new(config: &Config) -> Sender {
        Sender {
            budget: Budget::new(&config.rate_limits),
            next_request: 1,
            inflight: SeqMap::default(),
            inflight_ops: [0; 3],
            blocked: BTreeSet::new(),
            bad_headers: BTreeSet::new(),
            deferring: BTreeSet::new(),
            pause_until: None,
            credentials_ok: false,
        }
    }

    /// Requests that may be in flight at once, every kind counted.
    pub(super) fn max_inflight(&self, config: &Config) -> usize {
        if config.async_batch.enabled && self.credentials_ok {
            config.async_batch.max_parallel_symbols.max(1) as usize
        } else {
            1
        }
    }

    /// Whether sending may go on: false while an IP-limit pause lasts (its
    /// end is logged once).
    pub(super) fn unpaused(&mut self, out: &mut Out) -> bool {
        if let Some(until) = self.pause_until {
            if out.now < until {
                return false;
            }
            self.pause_until = None;
            out.info("IP-limit pause over: sending resumes".to_string());
        }
        true
    }

    /// Whether the budget of `ep` carries `units` now; records a deferral if not.
    pub(super) fn allows(&mut self, ep: Endpoint, units: u32, out: &mut Out) -> bool {
        if self.budget.available(ep, out.now) >= units {
            true
        } else {
            self.defer(ep, out);
            false
        }
    }

    /// The budget of `ep` cannot carry a send: held back until units free
    /// up (counted and logged once per episode).
    pub(super) fn defer(&mut self, ep: Endpoint, out: &mut Out) {
        self.blocked.insert(ep);
        if self.deferring.insert(ep) {
            out.stats.rate_deferrals += 1;
            out.totals.rate_deferrals += 1;
            out.info(format!(
                "rate budget of {} exhausted: holding sends until units free up",
                ep.name()
            ));
        }
    }

    /// `ep` is sending again: a later deferral is a new episode.
    pub(super) fn sending(&mut self, ep: Endpoint) {
        self.deferring.remove(&ep);
    }

    /// Feeds a reply's rate-limit headers to the budget; headers that make
    /// no sense are ignored, and said so once per endpoint.
    pub(super) fn correct_budget(&mut self, ep: Endpoint, status: &RateLimitStatus, out: &mut Out) {
        if !self.budget.correct(ep, out.now, status) && self.bad_headers.insert(ep) {
            out.warn(format!(
                "rate-limit headers of {} make no sense (limit {}, remaining {}): ignored, the configured budget stands",
                ep.name(),
                status.limit,
                status.remaining
            ));
        }
    }

    /// HTTP 403 on any request: Bybit's IP limit covers every endpoint, so
    /// all sending pauses, whatever the request was.
    pub(super) fn pause_for_ip_limit(&mut self, outcome: &Outcome, out: &mut Out) {
        if matches!(outcome, Outcome::HttpStatus(403)) {
            self.pause_until = Some(out.now.plus_ms(IP_PAUSE_MS));
            out.totals.ip_pauses += 1;
        }
    }

    /// The reply to `id` arrived: its budget starts its last window, and
    /// what it was for comes back (`None`, logged, for an id not in flight).
    pub(super) fn answered(&mut self, id: RequestId, out: &mut Out) -> Option<Pending> {
        self.budget.replied(id.0, out.now);
        let Some(pending) = self.inflight.remove(id.0) else {
            out.totals.unknown_replies += 1;
            out.warn(format!(
                "reply for r{} which is not in flight: ignored",
                id.0
            ));
            return None;
        };
        Some(pending)
    }

    /// Assigns the request id, spends its budget, records it in flight,
    /// counts and logs it, and emits it.
    pub(super) fn dispatch(&mut self, req: Outgoing, out: &mut Out) {
        let Outgoing {
            kind,
            pending,
            n,
            units,
        } = req;
        let id = RequestId(self.next_request);
        self.next_request += 1;
        let ep = kind.endpoint();
        self.budget.spend(ep, id.0, units);
        *out.stats.requests.entry(ep).or_insert(0) += 1;
        *out.totals.requests.entry(ep).or_insert(0) += 1;
        // "r{id} > {endpoint} n={n}", without the fmt machinery: one per request.
        let mut line = String::with_capacity(32);
        line.push('r');
        push_digits(&mut line, id.0, 1);
        line.push_str(" > ");
        line.push_str(ep.name());
        line.push_str(" n=");
        push_digits(&mut line, n, 1);
        out.info(line);
        self.inflight.insert(id.0, pending);
        out.emit(Effect::Send(Request { id, kind }));
    }
}
