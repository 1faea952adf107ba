//! The output sink: effects out, the log lines among them, and the counters
//! (this tick's `TickStats`, the session's `Totals`) every part adds to. A line's time is relative to
//! the session's first input and its text never holds a float, an address or
//! an absolute time, so a replay writes the same bytes.

use std::collections::VecDeque;

use crate::effect::{Effect, Level, LogEvent, TickStats};
use crate::engine::{FillTotals, Totals};
use crate::input::Outcome;
use crate::time::Timestamp;

pub(super) struct Out {
    pub(super) effects: VecDeque<Effect>,
    t0: Option<Timestamp>,
    /// The engine's clock: the latest input time, never going backwards.
    pub(super) now: Timestamp,
    /// Gathered since the last `TickDone`.
    pub(super) stats: TickStats,
    pub(super) totals: Totals,
    /// Fills, positions and stream counters (see `fills`, `positions`).
    pub(super) fills: FillTotals,
}

impl Out {
    pub(super) fn new() -> Out {
        Out {
            effects: VecDeque::new(),
            t0: None,
            now: Timestamp(0),
            stats: TickStats::default(),
            totals: Totals::default(),
            fills: FillTotals::default(),
        }
    }

    /// Moves the clock to an input's time. Returns how far back it was when
    /// the input is older than the last one (the clock then stays put).
    pub(super) fn advance(&mut self, t: Timestamp) -> Option<u64> {
        if self.t0.is_none() {
            self.t0 = Some(t);
            self.now = t;
            return None;
        }
        if t < self.now {
            return Some(self.now.since(t));
        }
        self.now = t;
        None
    }

    /// The session's first input time.
    pub(super) fn start(&self) -> Timestamp {
        self.t0.unwrap_or(self.now)
    }

    pub(super) fn emit(&mut self, effect: Effect) {
        self.effects.push_back(effect);
    }

    fn log(&mut self, level: Level, text: String) {
        let t_ms = self.now.since(self.t0.unwrap_or(self.now));
        self.effects
            .push_back(Effect::Log(LogEvent { t_ms, level, text }));
    }

    pub(super) fn info(&mut self, text: String) {
        self.log(Level::Info, text);
    }

    pub(super) fn warn(&mut self, text: String) {
        self.log(Level::Warn, text);
    }

    pub(super) fn error(&mut self, text: String) {
        self.log(Level::Error, text);
    }
}

/// Outside text in a log line: one line, bounded, so the log stays readable.
pub(super) fn clean(text: &str) -> String {
    text.chars()
        .take(120)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A failed outcome in a log line.
pub(super) fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Reply(r) => format!("retCode {} {}", r.ret_code, clean(&r.ret_msg)),
        Outcome::Timeout => "timeout".to_string(),
        Outcome::Transport(e) => format!("transport error: {}", clean(e)),
        Outcome::HttpStatus(s) => format!("http {s}"),
        Outcome::Malformed(e) => format!("malformed reply: {}", clean(e)),
        Outcome::Listing(_) => "a listing".to_string(),
    }
}
