//! Runs an `Engine` against a `VirtualExchange` on a virtual clock: the
//! clock jumps to the next event (a reply due after the fixed latency, the
//! engine's deadline, the next tick), so a long session runs in microseconds
//! and every run is identical.

use std::collections::BTreeMap;

use crate::effect::{Effect, Request, TickStats};
use crate::engine::Engine;
use crate::input::{BookTop, Input, Outcome, RequestId};
use crate::time::Timestamp;

use super::VirtualExchange;

pub struct Driver {
    pub engine: Engine,
    pub exchange: VirtualExchange,
    pub now: Timestamp,
    /// Every reply arrives this long after its request was sent (plus any
    /// extra delay the exchange scripted for it).
    pub latency_ms: u64,
    /// (due, arrival order) -> reply
    replies: BTreeMap<(Timestamp, u64), (RequestId, Outcome)>,
    arrivals: u64,
    /// The session log as the shell would write it.
    pub log: String,
    pub ticks_done: Vec<TickStats>,
    /// Every request sent, in order (only when `keep_requests`).
    pub requests: Vec<Request>,
    pub keep_requests: bool,
    /// Largest number of requests in flight at once.
    pub max_in_flight: usize,
    pub stopped: bool,
    /// The `Fatal` effect, if the engine emitted one.
    pub fatal: Option<crate::effect::Fatal>,
    /// Every input fed, in order (a journal of the run).
    pub inputs: Vec<Input>,
    pub keep_inputs: bool,
    /// Every effect, in order (only when `keep_effects`).
    pub effects: Vec<Effect>,
    pub keep_effects: bool,
    /// Most open orders of this engine's session on one (symbol, side) at
    /// any moment (only when `watch_sides`): checked after every request
    /// the exchange handled, the only moments its book changes.
    pub max_side_orders: usize,
    pub watch_sides: bool,
}

impl Driver {
    pub fn new(
        engine: Engine,
        exchange: VirtualExchange,
        start: Timestamp,
        latency_ms: u64,
    ) -> Driver {
        Driver {
            engine,
            exchange,
            now: start,
            latency_ms,
            replies: BTreeMap::new(),
            arrivals: 0,
            log: String::new(),
            ticks_done: Vec::new(),
            requests: Vec::new(),
            keep_requests: false,
            max_in_flight: 0,
            stopped: false,
            fatal: None,
            inputs: Vec::new(),
            keep_inputs: false,
            effects: Vec::new(),
            keep_effects: false,
            max_side_orders: 0,
            watch_sides: false,
        }
    }

    /// Feeds one input and executes every effect.
    pub fn feed(&mut self, input: Input) {
        if self.keep_inputs {
            self.inputs.push(input.clone());
        }
        self.engine.handle(input);
        while let Some(effect) = self.engine.poll_effect() {
            if self.keep_effects {
                self.effects.push(effect.clone());
            }
            match effect {
                Effect::Send(request) => {
                    let names = std::sync::Arc::clone(self.engine.wire_names());
                    let outcome = self.exchange.handle(self.now, &request, &names);
                    if self.watch_sides {
                        let most = self.exchange.most_per_side(self.engine.session().as_str());
                        self.max_side_orders = self.max_side_orders.max(most);
                    }
                    let due = self
                        .now
                        .plus_ms(self.latency_ms + self.exchange.last_delay_ms());
                    self.arrivals += 1;
                    self.replies
                        .insert((due, self.arrivals), (request.id, outcome));
                    self.max_in_flight = self.max_in_flight.max(self.replies.len());
                    if self.keep_requests {
                        self.requests.push(request);
                    }
                }
                Effect::Log(line) => {
                    self.log.push_str(&line.render());
                    self.log.push('\n');
                }
                Effect::TickDone(stats) => self.ticks_done.push(stats),
                Effect::Stopped => self.stopped = true,
                Effect::Fatal(f) => self.fatal = Some(f),
            }
        }
    }

    /// Delivers replies and wakes due up to and including `until`, in time
    /// order (replies before a wake at the same time), then sets the clock.
    pub fn run_until(&mut self, until: Timestamp) {
        let mut guard = 0u64;
        loop {
            guard += 1;
            if guard > 10_000_000 {
                break;
            }
            let reply_at = self.replies.keys().next().map(|k| k.0);
            let wake_at = self.engine.poll_timeout();
            let next = match (reply_at, wake_at) {
                (Some(r), Some(w)) => r.min(w),
                (Some(r), None) => r,
                (None, Some(w)) => w,
                (None, None) => break,
            };
            if next > until {
                break;
            }
            self.now = self.now.max(next);
            if reply_at == Some(next) {
                if let Some((_, (id, outcome))) = self.replies.pop_first() {
                    self.feed(Input::Response {
                        now_ms: self.now,
                        request_id: id,
                        outcome,
                    });
                }
            } else {
                self.feed(Input::Wake { now_ms: self.now });
            }
        }
        self.now = self.now.max(until);
    }

    /// Runs until nothing is in flight and the engine wants no wake, or
    /// `max_ms` has passed.
    pub fn run_idle(&mut self, max_ms: u64) {
        let end = self.now.plus_ms(max_ms);
        while (!self.replies.is_empty() || self.engine.poll_timeout().is_some()) && self.now < end {
            let before = self.now;
            let next = self
                .replies
                .keys()
                .next()
                .map(|k| k.0)
                .into_iter()
                .chain(self.engine.poll_timeout())
                .min()
                .unwrap_or(end)
                .min(end);
            self.run_until(next);
            if self.now == before
                && self.replies.is_empty()
                && self.engine.poll_timeout() == Some(before)
            {
                break;
            }
        }
    }

    /// `n` ticks, `interval_ms` apart, books from `books(tick_index, now)`.
    pub fn run_ticks(
        &mut self,
        n: u64,
        interval_ms: u64,
        mut books: impl FnMut(u64, Timestamp) -> Vec<BookTop>,
    ) {
        for k in 0..n {
            let books = books(k, self.now);
            self.feed(Input::Tick {
                now_ms: self.now,
                books,
            });
            let next = self.now.plus_ms(interval_ms);
            self.run_until(next);
        }
    }

    /// Requests sent and not yet answered.
    /// The kept inputs (`keep_inputs`) as a journal under `header`, encoded
    /// as the shell writes it.
    /// The journal ends with an end-of-session frame (`stopped` once the
    /// engine stopped, else `driven`).
    pub fn journal(&self, header: &crate::journal::JournalHeader) -> Vec<u8> {
        let ended = if self.stopped { "stopped" } else { "driven" };
        let end = crate::journal::SessionEnd {
            ended: ended.to_string(),
        };
        crate::journal::encode(header, &self.inputs, Some(&end))
    }

    pub fn in_flight(&self) -> usize {
        self.replies.len()
    }
}
