//! The session id: the prefix of every orderLinkId core writes.

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// Names a session; prefixes every orderLinkId `{session}-{counter}`, so it
/// is short and plain: 1 to `SessionId::MAX_LEN` characters of `[A-Za-z0-9]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SessionId(String);

impl SessionId {
    /// Bybit's orderLinkId limit is 36; the counter is a u64 of up to 20
    /// digits (`u64::MAX`), so `{session}-{counter}` fits for any counter
    /// with a session of at most 36 - 1 - 20 = 15 characters.
    pub const MAX_LEN: usize = 15;

    pub fn new(id: &str) -> Result<SessionId, ConfigError> {
        let ok = (1..=Self::MAX_LEN).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(SessionId(id.to_string()))
        } else {
            Err(ConfigError {
                problems: vec![crate::config::ConfigProblem {
                    key: "session_id".to_string(),
                    message: format!(
                        "= {id:?} must be 1 to {} characters of [A-Za-z0-9] (orderLinkIds stay within 36)",
                        Self::MAX_LEN
                    ),
                }],
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
