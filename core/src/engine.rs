//! The engine: owns every decision. (Public API fixed; internals in progress.)

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError};
use crate::domain::Instrument;
use crate::effect::Effect;
use crate::input::Input;
use crate::time::Timestamp;

/// Names a session; prefixes every orderLinkId, so it is short and plain:
/// 1 to 16 characters of `[A-Za-z0-9]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SessionId(String);

impl SessionId {
    pub fn new(id: &str) -> Result<SessionId, ConfigError> {
        let ok = (1..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(SessionId(id.to_string()))
        } else {
            Err(ConfigError {
                problems: vec![crate::config::ConfigProblem {
                    key: "session_id".to_string(),
                    message: format!("= {id:?} must be 1 to 16 characters of [A-Za-z0-9]"),
                }],
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Orders core tracks right now, by state class (gauges for metrics/status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderCounts {
    pub pending_new: u64,
    pub live: u64,
    pub pending_amend: u64,
    pub pending_cancel: u64,
    pub unknown: u64,
    pub gone: u64,
}

pub struct Engine {
    config: Config,
    instruments: Vec<Instrument>,
    session: SessionId,
    effects: VecDeque<Effect>,
}

impl Engine {
    /// Validates `config` against `instruments` (every problem reported).
    pub fn new(
        config: Config,
        instruments: Vec<Instrument>,
        session: SessionId,
    ) -> Result<Engine, ConfigError> {
        config.validate_for(&instruments)?;
        Ok(Engine {
            config,
            instruments,
            session,
            effects: VecDeque::new(),
        })
    }

    pub fn handle(&mut self, input: Input) {
        let _ = input;
    }

    #[must_use]
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// The next time core wants a `Wake`, if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        None
    }

    pub fn order_counts(&self) -> OrderCounts {
        OrderCounts::default()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    pub fn session(&self) -> &SessionId {
        &self.session
    }

    /// True once `Effect::Stopped` has been emitted.
    pub fn is_stopped(&self) -> bool {
        false
    }
}
