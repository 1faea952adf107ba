//! Latencies from a session's two sides: when the simulator filled an order
//! or moved its book (its own clock), and when core learned of it or sent a
//! request (the journal replayed: each input's `now_ms`, and what core did
//! on it). Both clocks are this machine's wall clock in ms.
//!
//! - A fill reached core's position on the first input that carries its
//!   `execId` (a private stream push, or an execution listing of a resync):
//!   core applies it there. Core knows of a fill on that input, or, for the
//!   fill that completed an order, when the order stopped being tracked
//!   (a reconcile listing or a cancel or amend answered "not found", then
//!   its settle query): without the stream that is all core learns, and
//!   its position does not move.
//! - A book change is a step of the simulator's timed walk (every market
//!   moves). Core has it on the first tick after the step whose books
//!   differ from the last tick's before it, and re-quotes it with the first
//!   order request it sends from that tick on. A step followed by the next
//!   before a tick showed it is counted, not measured (superseded).

use std::collections::{BTreeMap, BTreeSet};

use mm_core::input::{ListingRows, Stream};
use mm_core::journal::Journal;
use mm_core::{Effect, Endpoint, Engine, Input, Outcome};
use mm_sim::SimExecution;

use super::report::Percentiles;

/// What core did, input by input, in a journaled session.
#[derive(Debug, Default)]
pub(super) struct Trace {
    pub(super) steps: Vec<Step>,
    /// When each of our orders stopped being tracked (orderLinkId -> ms).
    pub(super) gone_ms: BTreeMap<String, u64>,
    /// The first input carrying each execution (execId -> ms).
    pub(super) exec_ms: BTreeMap<String, u64>,
    /// The first `StreamState` of the private stream, up and down.
    pub(super) private_up_ms: Option<u64>,
    pub(super) private_down_ms: Option<u64>,
    pub(super) shutdown_ms: Option<u64>,
}

/// One input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Step {
    pub(super) now_ms: u64,
    /// A tick's books: symbol -> (bid, ask) as the wire wrote them.
    pub(super) books: Option<BTreeMap<String, (String, String)>>,
    /// Core sent an order request (create, amend, cancel, or a batch of them).
    pub(super) order_request: bool,
}

fn is_order(e: Endpoint) -> bool {
    matches!(
        e,
        Endpoint::Create
            | Endpoint::Amend
            | Endpoint::Cancel
            | Endpoint::CreateBatch
            | Endpoint::AmendBatch
            | Endpoint::CancelBatch
    )
}

impl Trace {
    /// Replays `journal` through a fresh engine (as `mm replay` does),
    /// noting what each input carried and what core did on it.
    pub(super) fn of(journal: &Journal) -> Result<Trace, mm_core::ConfigError> {
        let h = &journal.header;
        let mut engine = Engine::new(
            h.config.clone(),
            h.instruments.clone(),
            h.session_id.clone(),
        )?;
        let mut t = Trace::default();
        let mut tracked = BTreeSet::new();
        for input in &journal.inputs {
            let now = input.now_ms().ms();
            t.note(input, now);
            engine.handle_ref(input);
            let mut order_request = false;
            while let Some(e) = engine.poll_effect() {
                if let Effect::Send(r) = e {
                    order_request |= is_order(r.kind.endpoint());
                }
            }
            let now_tracked: BTreeSet<String> = engine
                .orders()
                .into_iter()
                .map(|o| o.order_link_id)
                .collect();
            for gone in tracked.difference(&now_tracked) {
                t.gone_ms.entry(gone.clone()).or_insert(now);
            }
            tracked = now_tracked;
            let books = match input {
                Input::Tick { books, .. } => Some(
                    books
                        .iter()
                        .map(|b| (b.symbol.to_string(), (b.bid.to_string(), b.ask.to_string())))
                        .collect(),
                ),
                _ => None,
            };
            t.steps.push(Step {
                now_ms: now,
                books,
                order_request,
            });
        }
        Ok(t)
    }

    /// What `input` itself says: executions, the private stream's state,
    /// shutdown.
    fn note(&mut self, input: &Input, now: u64) {
        let execs = match input {
            Input::Executions { executions, .. } => executions.as_slice(),
            Input::Response {
                outcome: Outcome::Listing(l),
                ..
            } => match &l.rows {
                ListingRows::Executions(x) => x.as_slice(),
                ListingRows::Positions(_) => &[],
            },
            Input::StreamState {
                stream: Stream::Private,
                up,
                ..
            } => {
                let first = if *up {
                    &mut self.private_up_ms
                } else {
                    &mut self.private_down_ms
                };
                first.get_or_insert(now);
                &[]
            }
            Input::Shutdown { .. } => {
                self.shutdown_ms.get_or_insert(now);
                &[]
            }
            _ => &[],
        };
        for x in execs {
            self.exec_ms.entry(x.exec_id.to_string()).or_insert(now);
        }
    }
}

/// Events and the latencies of those measured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Samples {
    /// Fills, or book changes, in the measured window.
    pub(super) events: u64,
    pub(super) ms: Vec<u64>,
}

impl Samples {
    pub(super) fn percentiles(&self) -> Percentiles {
        let mut v = self.ms.clone();
        v.sort_unstable();
        let at = |p: usize| -> Option<u64> {
            let rank = (p * v.len()).div_ceil(100).max(1);
            v.get(rank - 1).copied()
        };
        Percentiles {
            events: self.events,
            seen: v.len() as u64,
            p50_ms: at(50),
            p99_ms: at(99),
        }
    }
}

/// Fill -> core knows, and fill -> core's position, for our fills made in
/// `[from, to)` (simulator ms).
pub(super) fn fills(t: &Trace, execs: &[SimExecution], from: u64, to: u64) -> (Samples, Samples) {
    let (mut known, mut position) = (Samples::default(), Samples::default());
    for x in execs {
        if x.order_link_id.is_empty() || x.exec_time_ms < from || x.exec_time_ms >= to {
            continue;
        }
        known.events += 1;
        position.events += 1;
        let at = x.exec_time_ms;
        // The clocks are read in whole ms on either side: an input in the
        // same ms as the fill may read one less.
        let after = |ms: u64| ms + 1 >= at;
        let pushed = t.exec_ms.get(&x.exec_id).copied().filter(|&ms| after(ms));
        let completed = x.leaves_qty.chars().all(|c| c == '0' || c == '.');
        let ended = completed
            .then(|| t.gone_ms.get(&x.order_link_id).copied())
            .flatten()
            .filter(|&ms| after(ms));
        if let Some(ms) = pushed {
            position.ms.push(ms.saturating_sub(at));
        }
        if let Some(ms) = [pushed, ended].into_iter().flatten().min() {
            known.ms.push(ms.saturating_sub(at));
        }
    }
    (known, position)
}

/// Book change (timed walk step at each of `walks`) -> the first order
/// request after a tick that showed it.
pub(super) fn book_changes(t: &Trace, walks: &[u64]) -> Samples {
    let ticks: Vec<(usize, &Step)> = (t.steps.iter().enumerate())
        .filter(|(_, s)| s.books.is_some())
        .collect();
    let (Some(first), Some(end)) = (ticks.first(), t.shutdown_ms) else {
        return Samples::default();
    };
    let mut out = Samples::default();
    for (k, &at) in walks.iter().enumerate() {
        if at <= first.1.now_ms || at >= end {
            continue;
        }
        out.events += 1;
        let next_walk = walks.get(k + 1).copied().unwrap_or(u64::MAX);
        let Some(before) = ticks.iter().rev().find(|(_, s)| s.now_ms < at) else {
            continue;
        };
        let shows = ticks
            .iter()
            .find(|(_, s)| s.now_ms >= at && s.now_ms < end && differ(s, before.1));
        let Some(&(i, tick)) = shows else {
            continue;
        };
        if tick.now_ms >= next_walk {
            continue; // superseded before a tick showed it
        }
        let sent = t.steps[i..]
            .iter()
            .find(|s| s.order_request && s.now_ms < end);
        if let Some(s) = sent {
            out.ms.push(s.now_ms - at);
        }
    }
    out
}

/// A symbol both ticks carry has a different book.
fn differ(a: &Step, b: &Step) -> bool {
    let (Some(a), Some(b)) = (&a.books, &b.books) else {
        return false;
    };
    a.iter()
        .any(|(sym, top)| b.get(sym).is_some_and(|o| o != top))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(now_ms: u64, bid: &str, order_request: bool) -> Step {
        let books = BTreeMap::from([("BTCUSDT".to_string(), (bid.to_string(), "9".to_string()))]);
        Step {
            now_ms,
            books: Some(books),
            order_request,
        }
    }

    fn reply(now_ms: u64, order_request: bool) -> Step {
        Step {
            now_ms,
            books: None,
            order_request,
        }
    }

    #[test]
    fn a_book_change_is_timed_to_the_first_request_after_the_tick_that_shows_it() {
        let t = Trace {
            steps: vec![
                tick(100, "1", true),
                reply(120, false),
                // The walk steps at 250: this tick still shows the old book
                // (a poll served before the step).
                tick(300, "1", false),
                tick(500, "2", false),
                reply(505, true),
                // Steps at 600 and 650: the second supersedes the first.
                tick(700, "4", true),
                tick(900, "4", false),
            ],
            shutdown_ms: Some(1000),
            ..Trace::default()
        };
        let s = book_changes(&t, &[50, 250, 600, 650, 1200]);
        // 50 is before the first tick, 1200 after shutdown.
        assert_eq!(s.events, 3);
        assert_eq!(s.ms, vec![505 - 250, 700 - 650]);
        let p = s.percentiles();
        assert_eq!((p.seen, p.p50_ms, p.p99_ms), (2, Some(50), Some(255)));
    }

    fn exec(id: &str, link: &str, at: u64, leaves: &str) -> SimExecution {
        SimExecution {
            symbol: "BTCUSDT".to_string(),
            exec_id: id.to_string(),
            order_id: format!("oid-{id}"),
            order_link_id: link.to_string(),
            side: mm_bybit::Side::Buy,
            exec_qty: "0.001".to_string(),
            leaves_qty: leaves.to_string(),
            exec_time_ms: at,
        }
    }

    #[test]
    fn a_fill_is_known_when_pushed_or_when_its_completed_order_ends() {
        let t = Trace {
            exec_ms: BTreeMap::from([("e1".to_string(), 103), ("e9".to_string(), 10)]),
            gone_ms: BTreeMap::from([
                ("s-1".to_string(), 104),
                ("s-2".to_string(), 400),
                ("s-3".to_string(), 700),
            ]),
            ..Trace::default()
        };
        let execs = [
            // Pushed at 103, its order ended at 104.
            exec("e1", "s-1", 100, "0"),
            // Not pushed (no stream): known when its order ended.
            exec("e2", "s-2", 200, "0.000"),
            // A partial fill: its order ending later does not tell of it.
            exec("e3", "s-3", 300, "0.002"),
            // Outside the window, and not ours.
            exec("e4", "s-4", 5000, "0"),
            exec("e5", "", 300, "0"),
        ];
        let (known, position) = fills(&t, &execs, 50, 1000);
        assert_eq!((known.events, known.ms.clone()), (3, vec![3, 200]));
        assert_eq!((position.events, position.ms), (3, vec![3]));
        assert_eq!(known.percentiles().p99_ms, Some(200));
    }

    #[test]
    fn no_samples_no_percentiles() {
        let p = Samples {
            events: 4,
            ms: Vec::new(),
        }
        .percentiles();
        assert_eq!((p.events, p.seen, p.p50_ms, p.p99_ms), (4, 0, None, None));
    }
}
