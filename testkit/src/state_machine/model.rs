//! What the checks know beyond the engine's public views, learnt from the
//! inputs fed and the effects core emitted, never from core's insides: the
//! config in force, when each Unknown order's query is due, whether core is
//! held back (budget, IP pause), and why every gone order left.
//!
//! Some of it comes from core's log lines (the only place core says when a
//! retry is due or a config took effect); the parsers below name the line
//! they expect, and a line they stop recognising makes a check fail loudly
//! rather than pass quietly.

use std::collections::{BTreeMap, BTreeSet};

use mm_core::effect::{Endpoint, Request, RequestKind};
use mm_core::{Config, Input, Instrument, Outcome, SessionId, Timestamp};
use proptest::test_runner::TestCaseError;

pub(super) struct Model {
    pub(super) session: SessionId,
    /// The config core acts on now.
    pub(super) in_force: Config,
    /// An accepted config waiting for the next tick start.
    offered: Option<Config>,
    shutting_down: bool,
    /// Every Unknown order (as of the last check) -> when its query is due.
    pub(super) due: BTreeMap<String, Timestamp>,
    /// Due times core announced during the current input.
    pub(super) due_updates: Vec<(String, Timestamp)>,
    /// Core said the open-orders budget is exhausted and has sent no query
    /// since.
    pub(super) queries_deferred: bool,
    /// A 403 was delivered and core has not yet said the pause is over.
    pub(super) ip_paused: bool,
    /// `order <link> gone: <reason> (...)` lines of the current input.
    pub(super) logged_gone: Vec<(String, String)>,
    /// Orders tracked after the last check, and the totals then.
    pub(super) tracked: BTreeSet<String>,
    pub(super) created: u64,
    pub(super) reasons: BTreeMap<String, u64>,
    /// Every order that left, with its reason.
    pub(super) gone: BTreeMap<String, String>,
}

impl Model {
    pub(super) fn new(session: SessionId, config: Config) -> Model {
        Model {
            session,
            in_force: config,
            offered: None,
            shutting_down: false,
            due: BTreeMap::new(),
            due_updates: Vec::new(),
            queries_deferred: false,
            ip_paused: false,
            logged_gone: Vec::new(),
            tracked: BTreeSet::new(),
            created: 0,
            reasons: BTreeMap::new(),
            gone: BTreeMap::new(),
        }
    }

    /// What an input changes before core sees it: a config core will accept
    /// (valid, not during shutdown) waits for the next tick; shutdown drops
    /// a waiting config; a 403 pauses sending.
    pub(super) fn before_input(&mut self, input: &Input, instruments: &[Instrument]) {
        match input {
            Input::ConfigChanged { config, .. } => {
                if !self.shutting_down && config.validate_for(instruments).is_ok() {
                    self.offered = Some((**config).clone());
                }
            }
            Input::Shutdown { .. } => {
                self.shutting_down = true;
                self.offered = None;
            }
            Input::Response {
                outcome: Outcome::HttpStatus(403),
                ..
            } => self.ip_paused = true,
            Input::Tick { .. }
            | Input::Response { .. }
            | Input::Wake { .. }
            | Input::OrderUpdates { .. }
            | Input::Executions { .. }
            | Input::Positions { .. }
            | Input::StreamState { .. }
            | Input::Quotes { .. } => {}
        }
    }

    pub(super) fn on_send(&mut self, r: &Request) {
        if matches!(r.kind, RequestKind::OpenOrders { .. }) {
            self.queries_deferred = false;
        }
    }

    /// Reads one log line core emitted at `now`.
    pub(super) fn on_log(&mut self, text: &str, now: Timestamp) -> Result<(), TestCaseError> {
        if text.starts_with("config applied at tick ") {
            self.in_force = self.offered.take().ok_or_else(|| {
                TestCaseError::fail(format!("core applied a config nobody offered: {text}"))
            })?;
        } else if let Some((link, wait)) = query_retry(text) {
            self.due_updates.push((link, now.plus_ms(wait)));
        } else if let Some((link, gone)) = gone_line(text) {
            self.logged_gone.push((link, gone));
        } else if text.starts_with(&format!(
            "rate budget of {} exhausted",
            Endpoint::OpenOrders.name()
        )) {
            self.queries_deferred = true;
        } else if text.starts_with("IP-limit pause over") {
            self.ip_paused = false;
        }
        Ok(())
    }

    /// The orderLinkId of the `n`th order core created (`{session}-{n}`).
    pub(super) fn link(&self, n: u64) -> String {
        format!("{}-{n}", self.session.as_str())
    }
}

/// `r7 query for sm-3 failed (timeout): retry in 500 ms` and
/// `sm-3 not found yet: query again in 4800 ms, when ...`: (link, wait).
fn query_retry(text: &str) -> Option<(String, u64)> {
    // Core re-asks on a short back-off it logs once; the model holds it to
    // the bound it states: asked again no later than the recv window's end.
    if let Some((link, rest)) = text.split_once(" not found yet: asking again every ") {
        let (_, until) = rest.rsplit_once(" has passed in ")?;
        let ms = until.strip_suffix(" ms")?.parse().ok()?;
        return Some((link.to_string(), ms));
    }
    let (_, rest) = text.split_once(" query for ")?;
    let (link, _) = rest.split_once(" failed (")?;
    let (_, wait) = rest.rsplit_once("): retry in ")?;
    let ms = wait.strip_suffix(" ms")?.parse().ok()?;
    Some((link.to_string(), ms))
}

/// `order sm-3 gone: closed (settled: Cancelled)`: (link, reason).
fn gone_line(text: &str) -> Option<(String, String)> {
    let (link, rest) = text.strip_prefix("order ")?.split_once(" gone: ")?;
    let reason = rest.split_once(" (").map_or(rest, |(r, _)| r);
    Some((link.to_string(), reason.to_string()))
}

#[cfg(test)]
mod tests {
    use super::{gone_line, query_retry};

    #[test]
    fn the_log_lines_the_model_reads() {
        assert_eq!(
            query_retry("r7 query for sm-3 failed (http 503): retry in 500 ms"),
            Some(("sm-3".to_string(), 500))
        );
        assert_eq!(
            query_retry("r7 query for sm-3 failed (malformed reply: x): y): retry in 250 ms"),
            Some(("sm-3".to_string(), 250))
        );
        assert_eq!(
            query_retry(
                "sm-12 not found yet: asking again every 1600 ms at most until its recv window has passed in 4800 ms"
            ),
            Some(("sm-12".to_string(), 4800))
        );
        assert_eq!(query_retry("r7 open_orders: order no longer unknown"), None);
        assert_eq!(
            gone_line("order sm-4 gone: closed (settled: Cancelled)"),
            Some(("sm-4".to_string(), "closed".to_string()))
        );
        assert_eq!(gone_line("tick 3 start"), None);
    }
}
