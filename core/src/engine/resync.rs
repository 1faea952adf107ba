//! Resynchronising when the private stream (re)connects, and reconciling
//! open orders over REST while it is down.
//!
//! The stream keeps nothing for a client that was away, so on every
//! `StreamState { Private, up }` core asks, per symbol (configured or ever
//! traded), with the same priority as settle queries:
//!
//! | request | its answer |
//! |---------|------------|
//! | `/v5/order/realtime`, open orders, page by page | a Live order of ours whose create was sent before the listing and that it does not show has ended unseen (filled, cancelled): Unknown, settled by a query by orderLinkId (which asks the closed orders too) |
//! | `/v5/execution/list` since the last execution core saw (or the session's start) | applied as stream executions are (de-duplicated by `execId`); newest first, paged until a page reaches back past that time (at most `MAX_PAGES`) |
//! | `/v5/position/list` (not spot: it has no positions) | checked as a position message is |
//!
//! While the private stream is down after having been up, the open-orders
//! listing repeats every `exchange.reconcile_interval_ms`. A failed request
//! is retried on a back-off (200 ms doubling, at most `MAX_FAILURES` times,
//! then given up and said so). Nothing is sent after `Shutdown`. A session
//! whose shell sends no stream input never gets here: it decides as before.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::Category;
use crate::effect::{Op, RequestKind};
use crate::engine::fills::StreamApply;
use crate::engine::market::Market;
use crate::engine::orders::{OrderTable, State};
use crate::engine::out::{Out, describe};
use crate::engine::sender::{Answer, Next, Outgoing, Pending, Sender};
use crate::engine::settle::is_open;
use crate::input::{ListingRows, Outcome, Stream};
use crate::retcode::OK;
use crate::time::Timestamp;

/// Rows per page: Bybit's maxima (open orders 50, executions 100).
const OPEN_PAGE: u32 = 50;
const EXEC_PAGE: u32 = 100;
/// Execution pages read per symbol and resync.
const MAX_PAGES: u32 = 10;
const MAX_FAILURES: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Open,
    Executions,
    Positions,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Open => "open orders",
            Kind::Executions => "executions",
            Kind::Positions => "positions",
        }
    }
}

struct Job {
    kind: Kind,
    sym: u32,
    cursor: Option<String>,
    due: Timestamp,
    in_flight: bool,
    failures: u32,
    pages: u32,
    /// When its first page was sent (`Open`: orders created later are not judged).
    started: Option<Timestamp>,
    /// `Open`: counters of our orders the listing showed open so far.
    found: BTreeSet<u64>,
    /// `Executions`: from this exchange time (ms).
    since: u64,
}

#[derive(Default)]
pub(super) struct Resync {
    jobs: BTreeMap<u64, Job>,
    next_job: u64,
    private_up: bool,
    /// The private stream has been up once in this session.
    pub(super) seen_private: bool,
    /// While the private stream is down: the next open-orders reconcile.
    next_reconcile: Option<Timestamp>,
}

/// The symbols to resync: configured or ever traded, in symbol order.
fn symbols(market: &Market, orders: &OrderTable) -> Vec<u32> {
    let mut syms: BTreeSet<u32> = market.configured_syms().into_iter().collect();
    syms.extend(orders.traded_syms());
    syms.into_iter().collect()
}

impl Resync {
    /// A stream came up or went down (see the module docs).
    pub(super) fn stream(
        &mut self,
        stream: Stream,
        up: bool,
        since: u64,
        market: &Market,
        orders: &OrderTable,
        out: &mut Out,
    ) {
        if stream != Stream::Private {
            let state = if up { "up" } else { "down" };
            out.info(format!("{} stream {state}", stream.name()));
            return;
        }
        if !up {
            if !self.private_up {
                return;
            }
            self.private_up = false;
            let every = market.config.exchange.reconcile_interval_ms;
            self.next_reconcile = Some(out.now.plus_ms(every));
            out.warn(format!(
                "private stream down: open orders reconciled over REST every {every} ms until it is back"
            ));
            return;
        }
        self.private_up = true;
        self.seen_private = true;
        self.next_reconcile = None;
        out.fills.resyncs += 1;
        // A resync replaces what an earlier one has not sent yet.
        self.jobs.retain(|_, j| j.in_flight);
        let syms = symbols(market, orders);
        for &sym in &syms {
            self.add(Kind::Open, sym, since, out.now);
            self.add(Kind::Executions, sym, since, out.now);
            if market.inst(sym).category != Category::Spot {
                self.add(Kind::Positions, sym, since, out.now);
            }
        }
        out.info(format!(
            "private stream up: resync {} symbols (open orders, executions since {since}, positions)",
            syms.len()
        ));
    }

    fn add(&mut self, kind: Kind, sym: u32, since: u64, now: Timestamp) {
        self.next_job += 1;
        self.jobs.insert(
            self.next_job,
            Job {
                kind,
                sym,
                cursor: None,
                due: now,
                in_flight: false,
                failures: 0,
                pages: 0,
                started: None,
                found: BTreeSet::new(),
                since,
            },
        );
    }

    /// While the private stream is down: the reconcile listings, when due.
    fn reconcile_due(&mut self, market: &Market, orders: &OrderTable, now: Timestamp) {
        let Some(at) = self.next_reconcile else {
            return;
        };
        if now < at {
            return;
        }
        self.next_reconcile = Some(now.plus_ms(market.config.exchange.reconcile_interval_ms));
        for sym in symbols(market, orders) {
            let listing = self
                .jobs
                .values()
                .any(|j| j.kind == Kind::Open && j.sym == sym);
            if !listing {
                self.add(Kind::Open, sym, 0, now);
            }
        }
    }

    /// The next due request, if the budget carries it.
    pub(super) fn next_request(
        &mut self,
        orders: &OrderTable,
        market: &Market,
        sender: &mut Sender,
        out: &mut Out,
    ) -> Next {
        let now = out.now;
        self.reconcile_due(market, orders, now);
        let Some((&id, job)) = self
            .jobs
            .iter_mut()
            .find(|(_, j)| !j.in_flight && j.due <= now)
        else {
            return Next::Idle;
        };
        let category = market.inst(job.sym).category;
        let symbol = Market::symbol_id(job.sym);
        let kind = match job.kind {
            Kind::Open => RequestKind::OpenOrders {
                category,
                symbol,
                order_link_id: None,
                cursor: job.cursor.clone(),
                limit: OPEN_PAGE,
                open_only: false,
            },
            Kind::Executions => RequestKind::ExecutionList {
                category,
                symbol,
                start_time: Some(job.since),
                cursor: job.cursor.clone(),
                limit: EXEC_PAGE,
            },
            Kind::Positions => RequestKind::PositionList { category, symbol },
        };
        let ep = kind.endpoint();
        if !sender.allows(ep, 1, out) {
            return Next::Idle;
        }
        sender.sending(ep);
        job.in_flight = true;
        job.pages += 1;
        job.started.get_or_insert(now);
        Next::Send(Outgoing {
            kind,
            pending: Pending::Resync(id),
            n: 1,
            units: 1,
        })
    }

    /// When core must wake for a job or a reconcile.
    pub(super) fn wake(&self, now: Timestamp) -> Option<Timestamp> {
        let jobs = self
            .jobs
            .values()
            .filter(|j| !j.in_flight && j.due > now)
            .map(|j| j.due)
            .min();
        jobs.into_iter().chain(self.next_reconcile).min()
    }

    /// The reply to job `id` (see the module table).
    pub(super) fn apply(&mut self, id: u64, answer: Answer<'_>, parts: &mut StreamApply<'_>) {
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        job.in_flight = false;
        let now = parts.out.now;
        let name = parts.market.name(job.sym).to_string();
        let more = match (job.kind, answer.outcome) {
            (Kind::Open, Outcome::Reply(r)) if r.ret_code == OK => {
                for o in r.orders.iter().filter(|o| is_open(&o.status)) {
                    if let Some(n) = parts.market.counter_of(&o.order_link_id) {
                        job.found.insert(n);
                    }
                }
                r.next_cursor.clone().filter(|c| !c.is_empty())
            }
            (Kind::Executions, Outcome::Listing(l)) => {
                let ListingRows::Executions(rows) = &l.rows else {
                    return self.failed(id, answer, parts.out);
                };
                parts.executions(rows);
                let since = job.since;
                let reaches_back = rows
                    .iter()
                    .any(|x| x.exec_time.parse::<u64>().is_ok_and(|t| t < since));
                l.next_cursor
                    .clone()
                    .filter(|c| !c.is_empty() && !reaches_back && job.pages < MAX_PAGES)
            }
            (Kind::Positions, Outcome::Listing(l)) => {
                let ListingRows::Positions(rows) = &l.rows else {
                    return self.failed(id, answer, parts.out);
                };
                parts.positions.check(rows, parts.market, parts.out);
                None
            }
            _ => return self.failed(id, answer, parts.out),
        };
        if let Some(cursor) = more {
            job.cursor = Some(cursor);
            job.due = now;
            return;
        }
        let Some(job) = self.jobs.remove(&id) else {
            return;
        };
        if job.kind != Kind::Open {
            return;
        }
        // Every page read: our Live orders it does not show ended unseen.
        let started = job.started.unwrap_or(now);
        let missing: Vec<_> = parts
            .orders
            .iter()
            .filter(|(seq, o)| {
                o.sym == job.sym
                    && o.state == State::Live
                    && o.create_sent_at < started
                    && !job.found.contains(&seq.n)
            })
            .map(|(seq, _)| seq)
            .collect();
        if missing.is_empty() {
            return;
        }
        for &seq in &missing {
            parts
                .orders
                .make_unknown(seq, Op::Cancel, parts.settle, parts.out);
        }
        parts.out.warn(format!(
            "resync {name}: {} orders of ours no longer open: unknown, settling",
            missing.len()
        ));
    }

    fn failed(&mut self, id: u64, answer: Answer<'_>, out: &mut Out) {
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        job.failures += 1;
        let what = job.kind.name();
        let why = match answer.outcome {
            Outcome::Listing(_) => "a listing of the wrong kind".to_string(),
            other => describe(other),
        };
        if job.failures >= MAX_FAILURES {
            self.jobs.remove(&id);
            out.error(format!(
                "r{} resync {what}: failed {MAX_FAILURES} times ({why}): given up",
                answer.id.0
            ));
            return;
        }
        let wait = 100u64 << job.failures.min(4);
        job.due = out.now.plus_ms(wait);
        out.warn(format!(
            "r{} resync {what} failed ({why}): retry in {wait} ms",
            answer.id.0
        ));
    }
}
