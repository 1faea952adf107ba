//! The one replay path: `mm replay` and the testkit both call this.
//!
//! A fresh engine is built from the journal's header and fed every input in
//! order, draining every effect after each, exactly as the live run loop
//! does (crate docs). Nothing else goes in, so the same journal gives the
//! same effects and the same log bytes on any machine, any number of times.

use crate::effect::Effect;
use crate::engine::Engine;
use crate::journal::{Journal, JournalError, JournalHeader, Reader, SessionEnd};
use crate::time::Timestamp;

/// What a replay produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// Every effect, in order.
    pub effects: Vec<Effect>,
    /// The log exactly as the live session wrote it: one `LogEvent::render()` per line, each ending in '\n'.
    pub log: String,
    /// The journal's damage, if any (replay stopped there).
    pub damage: Option<JournalError>,
}

/// Runs a decoded journal through a fresh engine built from its header.
///
/// `Err` only when the header's config is invalid for its instruments (the
/// engine refuses to start, as it would have live).
pub fn replay(journal: &Journal) -> Result<Replayed, crate::config::ConfigError> {
    // Recorded sessions make 2 to 3 effects an input: sized for that, the
    // vector is rarely copied to grow.
    let mut effects = Vec::with_capacity(journal.inputs.len() * 3);
    // Effects are moved into the result, not copied per input.
    let (log, damage) = drive(journal, |step| {
        if let Step::Effect(effect) = step {
            effects.push(effect);
        }
    })?;
    Ok(Replayed {
        effects,
        log,
        damage,
    })
}

/// `replay`, handing each input's effects to `per_input(input_index,
/// effects, deadline)` as they come instead of collecting them (for
/// renderers that interleave inputs and effects); `deadline` is
/// `Engine::poll_timeout` once they are drained. Returns the log and the
/// journal's damage.
pub fn replay_with(
    journal: &Journal,
    mut per_input: impl FnMut(usize, &[Effect], Option<Timestamp>),
) -> Result<(String, Option<JournalError>), crate::config::ConfigError> {
    let mut produced = Vec::new();
    drive(journal, |step| match step {
        Step::Effect(effect) => produced.push(effect),
        Step::InputDone(i, wake) => {
            per_input(i, &produced, wake);
            produced.clear();
        }
    })
}

/// What a streamed replay produced (`replay_log`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayedLog {
    /// The same bytes as `Replayed::log`.
    pub log: String,
    /// Inputs replayed: every good frame before the damage, if any.
    pub inputs: usize,
    /// The journal's damage, if any (replay stopped there).
    pub damage: Option<JournalError>,
    /// The end-of-session frame; `None` with no damage: unfinished.
    pub end: Option<SessionEnd>,
}

/// `replay(&journal::decode(bytes)?)` for a caller that needs only the log
/// of one segment: see `LogReplay`. Same log, same damage.
///
/// `Err` only when the header's config is invalid for its instruments.
pub fn replay_log(mut reader: Reader<'_>) -> Result<ReplayedLog, crate::config::ConfigError> {
    let mut replay = LogReplay::new(reader.header())?;
    let damage = replay.feed(&mut reader);
    Ok(ReplayedLog {
        log: replay.log,
        inputs: replay.inputs,
        damage,
        end: reader.end().cloned(),
    })
}

/// A replay for a caller that needs only the log (`mm replay`), fed one
/// segment at a time: each input is decoded, handled by reference and
/// dropped in turn, and effects other than log lines are dropped as they
/// come, so nothing but the log is kept (far fewer, shorter-lived
/// allocations), and a segment's bytes can go before the next is read.
pub struct LogReplay {
    engine: Engine,
    log: String,
    inputs: usize,
}

impl LogReplay {
    /// `Err` when the header's config is invalid for its instruments (the
    /// engine refuses to start, as it would have live).
    pub fn new(header: &JournalHeader) -> Result<LogReplay, crate::config::ConfigError> {
        let engine = Engine::new(
            header.config.clone(),
            header.instruments.clone(),
            header.session_id.clone(),
        )?;
        Ok(LogReplay {
            engine,
            log: String::new(),
            inputs: 0,
        })
    }

    /// Replays every input `reader` yields; the damage that stopped it, if any.
    pub fn feed(&mut self, reader: &mut Reader<'_>) -> Option<JournalError> {
        for item in reader {
            let input = match item {
                Ok(input) => input,
                Err(e) => return Some(e),
            };
            self.engine.handle_ref(&input);
            self.inputs += 1;
            drain(&mut self.engine, &mut self.log, drop);
        }
        None
    }

    /// The log so far.
    pub fn log(&self) -> &str {
        &self.log
    }

    /// Inputs replayed so far.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    pub fn into_log(self) -> String {
        self.log
    }
}

enum Step {
    Effect(Effect),
    /// Every effect of input `.0` has been handed over; `.1` is the
    /// engine's deadline after them.
    InputDone(usize, Option<Timestamp>),
}

/// The loop both share: every input handled, its effects drained to `each`
/// (log lines rendered on the way), then `InputDone`.
fn drive(
    journal: &Journal,
    mut each: impl FnMut(Step),
) -> Result<(String, Option<JournalError>), crate::config::ConfigError> {
    let header = &journal.header;
    let mut engine = Engine::new(
        header.config.clone(),
        header.instruments.clone(),
        header.session_id.clone(),
    )?;
    // 40 to 140 log bytes an input in recorded sessions.
    let mut log = String::with_capacity(journal.inputs.len() * 64);
    for (i, input) in journal.inputs.iter().enumerate() {
        engine.handle_ref(input);
        drain(&mut engine, &mut log, |effect| each(Step::Effect(effect)));
        each(Step::InputDone(i, engine.poll_timeout()));
    }
    Ok((log, journal.damage.clone()))
}

/// Every effect of the last input to `each`, log lines rendered on the way.
fn drain(engine: &mut Engine, log: &mut String, mut each: impl FnMut(Effect)) {
    while let Some(effect) = engine.poll_effect() {
        if let Effect::Log(line) = &effect {
            line.render_into(log);
            log.push('\n');
        }
        each(effect);
    }
}

#[cfg(test)]
mod tests;
