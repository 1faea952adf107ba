//! The config sections about a session's edges: what start-up does with
//! orders an earlier session left open, what shutdown cancels, and how the
//! shell segments the journal. Re-exported from `config`.

use serde::{Deserialize, Serialize};

/// `[recovery]`: orders of an earlier session found open at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecoveryConfig {
    pub orphans: Orphans,
}

/// An orphan has our orderLinkId form `<session>-<counter>` and another
/// session's id: a crashed or killed run left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Orphans {
    /// Cancel them and confirm them gone before the first quote.
    #[default]
    Cancel,
    /// Stop before quoting, naming them (`Fatal::OrphansRefused`).
    Refuse,
}

impl Orphans {
    /// As written in the config file (and so in log lines).
    pub fn name(self) -> &'static str {
        match self {
            Orphans::Cancel => "cancel",
            Orphans::Refuse => "refuse",
        }
    }
}

/// `[shutdown]`: what shutdown cancels.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShutdownConfig {
    pub cancel: ShutdownCancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShutdownCancel {
    /// Our orders only, by orderLinkId, confirmed by listing each symbol's
    /// open orders: other strategies on the account are left alone.
    #[default]
    Ours,
    /// Cancel-all per symbol: everything on the symbol, ours or not.
    Symbol,
}

impl ShutdownCancel {
    /// As written in the config file (and so in log lines).
    pub fn name(self) -> &'static str {
        match self {
            ShutdownCancel::Ours => "ours",
            ShutdownCancel::Symbol => "symbol",
        }
    }
}

/// `[journal]`: read by the shell only; core parses and validates it like
/// every other key, so `mm check-config` judges it too.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// 0 = one file; N = start a new segment at a frame boundary once the
    /// current one is past N MiB.
    pub rotate_mb: u64,
}

/// The largest `journal.rotate_mb` (1 TiB): anything above is a typo.
pub const MAX_ROTATE_MB: u64 = 1 << 20;
