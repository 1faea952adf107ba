//! A pure, in-memory, deterministic stand-in for Bybit v5 order endpoints,
//! for tests and benchmarks (the testkit reuses it). No I/O, no clock: the
//! caller passes the time of each request.
//!
//! It holds open orders by orderLinkId and answers every `RequestKind` the
//! way Bybit does: batch results aligned by index with per-item codes,
//! 110001 for an order that is not open, 110072 for a reused orderLinkId,
//! 10001 for a batch over the category limit or a price off the grid, and a
//! rolling-second rate budget per endpoint (a batch costs one unit per order
//! on linear/inverse/spot; the leading items that fit are processed, the
//! tail answered 10006) with `X-Bapi-Limit*` values on every reply.
//!
//! Faults are scripted per request, by the ordinal of the request received
//! (1-based), with `script`.

mod driver;
mod orders;
mod rate;
mod scenario;

use std::collections::{BTreeMap, VecDeque};

use crate::config::RateLimitConfig;
use crate::domain::{Category, Instrument, Side};
use crate::effect::{Endpoint, Request, RequestKind};
use crate::engine::WireNames;
use crate::input::{Ack, ItemCode, Listing, ListingRows, Outcome, Reply};
use crate::time::Timestamp;

pub use driver::Driver;
pub use scenario::{Scenario, accept_all};

/// What to do to one request instead of answering it plainly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Applied, but the caller sees a timeout.
    TimeoutApplied,
    /// Never arrived: nothing applied, the caller sees a timeout.
    TimeoutNotApplied,
    /// Not applied; this HTTP status comes back (5xx, 403, 429...).
    Http(u16),
    /// Applied, but the body does not parse.
    Malformed,
    /// Not applied; the whole request answered with this retCode.
    TopLevel(i64),
    /// Item `index` (or a single request) is refused with `code`; the rest applied.
    RejectItem { index: usize, code: i64 },
    /// The first `keep` items are applied, the rest answered 10006.
    RateTail { keep: usize },
    /// Applied, but the reply's code list is one item short.
    ShortCodes,
    /// Applied, then this HTTP status comes back (a gateway 5xx after the
    /// matching engine took the request).
    AppliedHttp(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrder {
    pub order_id: String,
    pub order_link_id: String,
    pub symbol: String,
    pub side: Side,
    pub price: String,
    pub qty: String,
    pub status: String,
}

/// What the exchange saw, for assertions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeStats {
    pub requests: u64,
    pub requests_by_endpoint: BTreeMap<Endpoint, u64>,
    /// 10006 answers (items or whole requests) from the exchange's own
    /// budget: a client that respects the budget causes none.
    pub rate_limited: u64,
    pub faults_applied: u64,
}

pub struct VirtualExchange {
    instruments: BTreeMap<String, Instrument>,
    open: BTreeMap<String, OpenOrder>,
    closed: BTreeMap<String, OpenOrder>,
    closed_order: VecDeque<String>,
    next_order_id: u64,
    limits: RateLimitConfig,
    spends: BTreeMap<Endpoint, VecDeque<(Timestamp, u32)>>,
    script: BTreeMap<u64, Fault>,
    order_script: BTreeMap<u64, Fault>,
    order_requests: u64,
    /// Extra reply delay by order command ordinal (see `delay_orders`).
    order_delays: BTreeMap<u64, u64>,
    last_delay_ms: u64,
    /// Every request answered with this retCode (a revoked or wrong key).
    refuse_credentials: Option<i64>,
    pub stats: ExchangeStats,
}

/// Closed orders remembered for queries by orderLinkId.
const CLOSED_KEPT: usize = 100_000;

impl VirtualExchange {
    pub fn new(instruments: &[Instrument], limits: RateLimitConfig) -> VirtualExchange {
        VirtualExchange {
            instruments: instruments
                .iter()
                .map(|i| (i.symbol.clone(), i.clone()))
                .collect(),
            open: BTreeMap::new(),
            closed: BTreeMap::new(),
            closed_order: VecDeque::new(),
            next_order_id: 1,
            limits,
            spends: BTreeMap::new(),
            script: BTreeMap::new(),
            order_script: BTreeMap::new(),
            order_requests: 0,
            order_delays: BTreeMap::new(),
            last_delay_ms: 0,
            refuse_credentials: None,
            stats: ExchangeStats::default(),
        }
    }

    /// Applies `fault` to the `nth` request received (1-based).
    pub fn script(&mut self, nth: u64, fault: Fault) {
        self.script.insert(nth, fault);
    }

    /// Applies `fault` to the `nth` order command request received (place,
    /// amend, cancel, single or batch; 1-based), so faults land on orders
    /// rather than on queries.
    pub fn script_orders(&mut self, nth: u64, fault: Fault) {
        self.order_script.insert(nth, fault);
    }

    /// The reply to the `nth` order command request (as `script_orders`
    /// counts) arrives `extra_ms` later than the driver's latency: a late
    /// reply, e.g. one that comes after the tick deadline.
    pub fn delay_orders(&mut self, nth: u64, extra_ms: u64) {
        self.order_delays.insert(nth, extra_ms);
    }

    /// The extra delay of the reply to the request just handled.
    pub fn last_delay_ms(&self) -> u64 {
        self.last_delay_ms
    }

    /// Answers every request from now on with `code` (10003 invalid key,
    /// 10004 bad signature, ...), applying nothing: a revoked key.
    pub fn refuse_credentials(&mut self, code: i64) {
        self.refuse_credentials = Some(code);
    }

    /// Open orders, by orderLinkId.
    pub fn open_orders(&self) -> &BTreeMap<String, OpenOrder> {
        &self.open
    }

    /// The most open orders of `session` (orderLinkId `{session}-...`) on
    /// any one (symbol, side).
    pub fn most_per_side(&self, session: &str) -> usize {
        let mut per: BTreeMap<(&str, Side), usize> = BTreeMap::new();
        for o in self.open.values() {
            let ours = o
                .order_link_id
                .strip_prefix(session)
                .is_some_and(|rest| rest.starts_with('-'));
            if ours {
                *per.entry((o.symbol.as_str(), o.side)).or_insert(0) += 1;
            }
        }
        per.values().copied().max().unwrap_or(0)
    }

    /// An order that rests before the session starts (left by a crashed
    /// session, or another strategy's), or that lands behind the client's
    /// back; false if the exchange would refuse it (see `create`).
    pub fn add_resting(
        &mut self,
        symbol: &str,
        side: Side,
        price: &str,
        qty: &str,
        link: &str,
    ) -> bool {
        let Some(category) = self.instruments.get(symbol).map(|i| i.category) else {
            return false;
        };
        self.create(category, symbol, side, price, qty, link).0 == 0
    }

    /// Cancels an order behind the client's back (a fill, an admin cancel).
    pub fn close(&mut self, link: &str, status: &str) -> bool {
        let Some(mut o) = self.open.remove(link) else {
            return false;
        };
        o.status = status.to_string();
        self.remember_closed(o);
        true
    }

    /// Answers `request`, reading its symbols and orderLinkIds by `names`
    /// (the requesting engine's `wire_names`).
    pub fn handle(&mut self, now: Timestamp, request: &Request, names: &WireNames) -> Outcome {
        self.stats.requests += 1;
        let nth = self.stats.requests;
        let ep = request.kind.endpoint();
        *self.stats.requests_by_endpoint.entry(ep).or_insert(0) += 1;
        let mut fault = self.script.remove(&nth);
        self.last_delay_ms = 0;
        if !matches!(
            request.kind,
            RequestKind::CancelAll { .. }
                | RequestKind::OpenOrders { .. }
                | RequestKind::ExecutionList { .. }
                | RequestKind::PositionList { .. }
        ) {
            self.order_requests += 1;
            if let Some(f) = self.order_script.remove(&self.order_requests) {
                fault = Some(f);
            }
            self.last_delay_ms = self.order_delays.remove(&self.order_requests).unwrap_or(0);
        }
        if fault.is_some() {
            self.stats.faults_applied += 1;
        }
        if let Some(code) = self.refuse_credentials {
            return Outcome::Reply(top(code, message(code)));
        }
        match &fault {
            Some(Fault::TimeoutNotApplied) => return Outcome::Timeout,
            Some(Fault::Http(s)) => return Outcome::HttpStatus(*s),
            Some(Fault::TopLevel(code)) => return Outcome::Reply(top(*code, "scripted")),
            _ => {}
        }
        // It keeps no fills: its listings are empty.
        let rows = match request.kind {
            RequestKind::ExecutionList { .. } => Some(ListingRows::Executions(Vec::new())),
            RequestKind::PositionList { .. } => Some(ListingRows::Positions(Vec::new())),
            _ => None,
        };
        if let Some(rows) = rows {
            return Outcome::Listing(Listing {
                rows,
                next_cursor: None,
                rate_limit: None,
            });
        }
        let mut reply = self.apply(now, &request.kind, names, fault.as_ref());
        match fault {
            Some(Fault::TimeoutApplied) => Outcome::Timeout,
            Some(Fault::AppliedHttp(s)) => Outcome::HttpStatus(s),
            Some(Fault::Malformed) => {
                Outcome::Malformed("expected value at line 1 column 1".into())
            }
            Some(Fault::ShortCodes) => {
                reply.codes.pop();
                Outcome::Reply(reply)
            }
            _ => Outcome::Reply(reply),
        }
    }

    fn apply(
        &mut self,
        now: Timestamp,
        kind: &RequestKind,
        names: &WireNames,
        fault: Option<&Fault>,
    ) -> Reply {
        let ep = kind.endpoint();
        let (reject, keep) = match fault {
            Some(Fault::RejectItem { index, code }) => (Some((*index, *code)), usize::MAX),
            Some(Fault::RateTail { keep }) => (None, *keep),
            _ => (None, usize::MAX),
        };
        match kind {
            RequestKind::PlaceBatch { category, orders } => {
                self.batch(now, ep, *category, orders.len(), reject, keep, |vx, i| {
                    vx.create(
                        *category,
                        names.symbol(orders[i].symbol),
                        orders[i].side,
                        &orders[i].price.to_string(),
                        &orders[i].qty.to_string(),
                        &names.link(&orders[i].order_link_id),
                    )
                })
            }
            RequestKind::AmendBatch { category, orders } => {
                self.batch(now, ep, *category, orders.len(), reject, keep, |vx, i| {
                    let o = &orders[i];
                    vx.amend(
                        &names.link(&o.order_link_id),
                        o.price.map(|p| p.to_string()).as_deref(),
                        o.qty.map(|q| q.to_string()).as_deref(),
                    )
                })
            }
            RequestKind::CancelBatch { category, orders } => {
                self.batch(now, ep, *category, orders.len(), reject, keep, |vx, i| {
                    vx.cancel(&names.link(&orders[i].order_link_id))
                })
            }
            RequestKind::Place { category, order: o } => self.single(now, ep, reject, keep, |vx| {
                vx.create(
                    *category,
                    names.symbol(o.symbol),
                    o.side,
                    &o.price.to_string(),
                    &o.qty.to_string(),
                    &names.link(&o.order_link_id),
                )
            }),
            RequestKind::Amend { order: o, .. } => self.single(now, ep, reject, keep, |vx| {
                vx.amend(
                    &names.link(&o.order_link_id),
                    o.price.map(|p| p.to_string()).as_deref(),
                    o.qty.map(|q| q.to_string()).as_deref(),
                )
            }),
            RequestKind::Cancel { order: o, .. } => self.single(now, ep, reject, keep, |vx| {
                vx.cancel(&names.link(&o.order_link_id))
            }),
            RequestKind::CancelAll { symbol, .. } => {
                // A scripted `RejectItem` here answers OK but cancels
                // nothing: the race where orders land after the cancel-all.
                let mut r = self.single(now, ep, None, keep, |_| (0, Ack::default()));
                r.acks.clear();
                if r.ret_code == 0 && reject.is_none() {
                    let links: Vec<String> = self
                        .open
                        .values()
                        .filter(|o| o.symbol == names.symbol(*symbol))
                        .map(|o| o.order_link_id.clone())
                        .collect();
                    for link in links {
                        let (_, ack) = self.cancel(&link);
                        r.acks.push(ack);
                    }
                }
                r
            }
            RequestKind::ExecutionList { .. } | RequestKind::PositionList { .. } => {
                Reply::default()
            }
            RequestKind::OpenOrders {
                symbol,
                order_link_id,
                cursor,
                limit,
                ..
            } => {
                let mut r = self.single(now, ep, reject, keep, |_| (0, Ack::default()));
                r.acks.clear();
                if r.ret_code == 0 {
                    self.list(
                        &mut r,
                        names.symbol(*symbol),
                        order_link_id.as_ref().map(|l| names.link(l)).as_deref(),
                        cursor.as_deref(),
                        *limit,
                    );
                }
                r
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn batch(
        &mut self,
        now: Timestamp,
        ep: Endpoint,
        category: Category,
        n: usize,
        reject: Option<(usize, i64)>,
        keep: usize,
        mut each: impl FnMut(&mut VirtualExchange, usize) -> (i64, Ack),
    ) -> Reply {
        if n == 0 || n > category.batch_limit() {
            return top(10001, "batch size out of range");
        }
        let per_order = category.batch_costs_per_order();
        let left = self.available(ep, now);
        let fits = if per_order {
            left.min(n)
        } else if left > 0 {
            n
        } else {
            0
        };
        if fits == 0 {
            self.stats.rate_limited += 1;
            let mut r = top(10006, "Too many visits!");
            r.rate_limit = Some(self.status(ep, now));
            return r;
        }
        self.spend(ep, now, if per_order { fits } else { 1 });
        let mut r = top(0, "OK");
        for i in 0..n {
            let (code, ack) = if i >= fits {
                self.stats.rate_limited += 1;
                (10006, Ack::default())
            } else if i >= keep {
                (10006, Ack::default())
            } else if reject.is_some_and(|(k, _)| k == i) {
                (reject.map_or(0, |(_, c)| c), Ack::default())
            } else {
                each(self, i)
            };
            r.acks.push(ack);
            r.codes.push(ItemCode {
                code,
                msg: if code == 0 {
                    "OK".into()
                } else {
                    message(code).into()
                },
            });
        }
        r.rate_limit = Some(self.status(ep, now));
        r
    }

    fn single(
        &mut self,
        now: Timestamp,
        ep: Endpoint,
        reject: Option<(usize, i64)>,
        keep: usize,
        each: impl FnOnce(&mut VirtualExchange) -> (i64, Ack),
    ) -> Reply {
        if self.available(ep, now) == 0 {
            self.stats.rate_limited += 1;
            let mut r = top(10006, "Too many visits!");
            r.rate_limit = Some(self.status(ep, now));
            return r;
        }
        self.spend(ep, now, 1);
        let (code, ack) = match reject {
            Some((_, code)) => (code, Ack::default()),
            None if keep == 0 => (10006, Ack::default()),
            None => each(self),
        };
        let mut r = top(code, if code == 0 { "OK" } else { message(code) });
        r.acks.push(ack);
        r.rate_limit = Some(self.status(ep, now));
        r
    }
}

fn top(code: i64, msg: &str) -> Reply {
    Reply {
        ret_code: code,
        ret_msg: msg.to_string().into(),
        ..Reply::default()
    }
}

fn message(code: i64) -> &'static str {
    match code {
        10001 => "params error",
        10003 => "API key is invalid.",
        10006 => "Too many visits!",
        110_001 => "order not exists or too late to cancel",
        110_072 => "OrderLinkedID is duplicate",
        _ => "error",
    }
}
