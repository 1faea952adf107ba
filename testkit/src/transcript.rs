//! A replay as stable text, for snapshots and for reading.
//!
//! One line per input, at its time relative to the session's first input;
//! under it, one line per effect it produced, indented; under a request or
//! a reply, one line per order it carries. No Debug dumps, no absolute
//! times, no hash order: every map rendered here is a `BTreeMap` or sorted,
//! and every string from the outside world is escaped onto one line, so the
//! same replay always gives the same bytes and a diff reads like a story.
//!
//! ```text
//!       0 tick BTCUSDT 59999.9/60000.1 ETHUSDT 2999.99/3000.01
//!           send r1 create_batch linear 20 orders
//!               BTCUSDT Buy 59969.9 x 0.001 jt-1
//!           wake_at +200
//!      20 reply r1 retCode 0 "OK" 20 items: 19 ok, 1 failed; limit 10 left 0 reset +1000
//!               [7] jt-8 110007 "insufficient balance"
//! ```
//!
//! This file holds `Transcript` (the order and layout of lines); what a line
//! says is rendered by `inputs` (responses), `effects` (requests, finished
//! ticks), `stream` (stream messages and resync listings), `config`
//! (flattened configs and their diffs) and `text` (times
//! and escaped strings).

mod config;
mod effects;
mod inputs;
mod stream;
mod text;

use std::collections::BTreeMap;
use std::fmt::Write;

use mm_core::journal::{JournalError, JournalHeader};
use mm_core::{Effect, Input, Timestamp, WireNames};

pub use config::flatten_config;
pub use text::oneline;

use config::diff;
use effects::{send, tick_done};
use inputs::response;
use text::{quoted_if_odd, rel, signed};

const INPUT_PAD: usize = 7;
const EFFECT_INDENT: &str = "          ";
const DETAIL_INDENT: &str = "              ";

/// Builds a transcript one piece at a time, in session order.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    out: String,
    /// The first input's time: every time shown is relative to it.
    t0: Option<Timestamp>,
    /// The config the session last announced (header, then each change),
    /// flattened, so a change is shown as the keys it changes.
    config: BTreeMap<String, String>,
    inputs: u64,
    effects: u64,
    /// Core's deadline as last shown (a `wake_at` line when it moves).
    wake: Option<Timestamp>,
    /// The header's symbols and session: how requests' ids are written.
    names: Option<WireNames>,
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript::default()
    }

    /// Session id, instruments and the whole starting config, one key a line.
    pub fn header(&mut self, header: &JournalHeader) {
        self.names = Some(WireNames::new(
            header.session_id.clone(),
            &header.instruments,
        ));
        self.line(format!("session {}", header.session_id.as_str()));
        for i in &header.instruments {
            self.line(format!(
                "instrument {} {} tick {} qty_step {} min_qty {}",
                oneline(&i.symbol),
                i.category.wire(),
                i.tick_size,
                i.qty_step,
                i.min_qty
            ));
        }
        self.config = flatten_config(&header.config);
        let lines: Vec<String> = self
            .config
            .iter()
            .map(|(k, v)| format!("config {k} = {v}"))
            .collect();
        for l in lines {
            self.line(l);
        }
    }

    pub fn input(&mut self, input: &Input) {
        self.inputs += 1;
        let now = input.now_ms();
        let t0 = *self.t0.get_or_insert(now);
        let head = match input {
            Input::Tick { books, .. } => {
                let mut s = String::from("tick");
                if books.is_empty() {
                    s.push_str(" (no books)");
                }
                for b in books {
                    let _ = write!(
                        s,
                        " {} {}/{}",
                        oneline(&b.symbol),
                        quoted_if_odd(&b.bid),
                        quoted_if_odd(&b.ask)
                    );
                    if b.received_ms != now {
                        let _ = write!(s, " (age {})", signed(now.0, b.received_ms.0));
                    }
                }
                s
            }
            Input::Response {
                request_id,
                outcome,
                ..
            } => {
                let (head, details) = response(request_id.0, outcome, t0);
                self.at(now, head);
                for d in details {
                    self.detail(d);
                }
                return;
            }
            Input::Wake { .. } => "wake".to_string(),
            Input::ConfigChanged { config, .. } => {
                let next = flatten_config(config);
                let changes = diff(&self.config, &next);
                self.at(
                    now,
                    format!(
                        "config change: {} key{}",
                        changes.len(),
                        if changes.len() == 1 { "" } else { "s" }
                    ),
                );
                for c in changes {
                    self.detail(c);
                }
                self.config = next;
                return;
            }
            Input::Shutdown { .. } => "shutdown".to_string(),
            Input::StreamState { stream, up, .. } => {
                format!(
                    "{} stream {}",
                    stream.name(),
                    if *up { "up" } else { "down" }
                )
            }
            Input::OrderUpdates { orders, .. } => {
                return self.with_details(now, stream::order_updates(orders));
            }
            Input::Executions { executions, .. } => {
                return self.with_details(now, stream::executions(executions));
            }
            Input::Positions { positions, .. } => {
                return self.with_details(now, stream::positions(positions));
            }
            Input::Quotes { set, .. } => {
                let side = |levels: &[mm_core::input::QuoteLevel]| {
                    let parts: Vec<String> = (levels.iter())
                        .map(|l| format!("{}x{}", quoted_if_odd(&l.price), quoted_if_odd(&l.qty)))
                        .collect();
                    parts.join(",")
                };
                format!(
                    "quotes {} bids [{}] asks [{}]",
                    oneline(&set.symbol),
                    side(&set.bids),
                    side(&set.asks)
                )
            }
        };
        self.at(now, head);
    }

    /// An input line and one detail line per item under it.
    fn with_details(&mut self, now: Timestamp, (head, details): (String, Vec<String>)) {
        self.at(now, head);
        for d in details {
            self.detail(d);
        }
    }

    pub fn effect(&mut self, effect: &Effect) {
        self.effects += 1;
        let t0 = self.t0.unwrap_or_default();
        match effect {
            Effect::Send(request) => {
                // A request's symbols and orderLinkIds are numbers that the
                // header's session names; a transcript always has one first.
                let Some(names) = &self.names else {
                    self.effect_line("send (no session header to name it by)".to_string());
                    return;
                };
                let (head, details) = send(request, names);
                self.effect_line(head);
                for d in details {
                    self.detail(d);
                }
            }
            Effect::Log(event) => {
                let level = match event.level {
                    mm_core::effect::Level::Info => "INFO",
                    mm_core::effect::Level::Warn => "WARN",
                    mm_core::effect::Level::Error => "ERROR",
                };
                self.effect_line(format!("log {level} {}", oneline(&event.text)));
            }
            Effect::TickDone(stats) => self.effect_line(tick_done(stats, t0)),
            Effect::Fatal(f) => self.effect_line(format!("fatal {}", oneline(&f.to_string()))),
            Effect::Stopped => self.effect_line("stopped".to_string()),
        }
    }

    /// Core's deadline after an input's effects were drained
    /// (`Engine::poll_timeout`): a `wake_at` line, among the input's
    /// effects, when it moved to a new time.
    pub fn deadline(&mut self, wake: Option<Timestamp>) {
        if wake == self.wake {
            return;
        }
        self.wake = wake;
        if let Some(t) = wake {
            self.effects += 1;
            let t0 = self.t0.unwrap_or_default();
            self.effect_line(format!("wake_at {}", rel(t, t0)));
        }
    }

    /// The journal's damage: where replay stopped and why.
    pub fn damage(&mut self, damage: &JournalError) {
        self.line(format!("damage: {}", oneline(&damage.to_string())));
    }

    /// Anything that kept the session from replaying (unreadable journal,
    /// invalid config), rendered instead of panicking.
    pub fn error(&mut self, what: &str, error: &dyn std::fmt::Display) {
        for (i, l) in error.to_string().lines().enumerate() {
            if i == 0 {
                self.line(format!("error: {what}: {}", oneline(l)));
            } else {
                self.line(format!("error:   {}", oneline(l)));
            }
        }
    }

    /// The text, with a closing count of what it shows.
    pub fn finish(mut self) -> String {
        let (i, e) = (self.inputs, self.effects);
        self.line(format!("end: {i} inputs, {e} effects"));
        self.out
    }

    fn line(&mut self, text: String) {
        self.out.push_str(&text);
        self.out.push('\n');
    }

    fn at(&mut self, now: Timestamp, text: String) {
        let t = signed(now.0, self.t0.unwrap_or(now).0);
        let _ = writeln!(self.out, "{t:>INPUT_PAD$} {text}");
    }

    fn effect_line(&mut self, text: String) {
        let _ = writeln!(self.out, "{EFFECT_INDENT}{text}");
    }

    fn detail(&mut self, text: String) {
        let _ = writeln!(self.out, "{DETAIL_INDENT}{text}");
    }
}
