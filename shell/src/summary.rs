//! `--summary-json`: what a session did, for scripts and tests.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TickMs {
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
}

/// How a session ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// Shutdown (after `--ticks`, a signal) finished: core confirmed it.
    #[default]
    Stopped,
    /// A journal or log write failed; the session shut down and core confirmed it.
    WriteFailed,
    /// Core did not confirm shutdown within the bound.
    ShutdownOverdue,
    /// A second SIGINT/SIGTERM: exited before shutdown finished (the
    /// exchange was not asked what is open; the embedded simulator was).
    SecondSignal,
    /// The exchange refused our credentials: core stopped sending at once
    /// (`fatal` says why). Exit code 3.
    AuthFailed,
    /// Orders of an earlier session were open at start-up and
    /// `recovery.orphans = "refuse"`: nothing was placed. Exit code 3.
    OrphansRefused,
    /// A `[risk]` kill switch tripped (`kill_switch` says why): quoting
    /// stopped, shutdown cancelled our orders, then the session ended.
    /// Exit code 4.
    KillSwitch,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub session_id: String,
    /// How it ended. Orders possibly open are in the `open_orders_*` fields.
    pub ended: Ended,
    /// The journal or log write that failed, if one did (the journal then
    /// replays only the inputs before it).
    pub write_failure: Option<String>,
    /// Why core ended the session early (`ended` = `auth_failed` or
    /// `orphans_refused`), as the operator was told.
    pub fatal: Option<String>,
    /// Completed ticks (`TickDone` count before shutdown began).
    pub ticks: u64,
    /// Ticks core started (a tick may be cut short by shutdown).
    pub ticks_started: u64,
    /// Mean requests per completed tick, every endpoint core sent during ticks.
    pub requests_per_tick: f64,
    /// Every request core sent in the session (ticks and shutdown), by endpoint.
    pub requests_by_endpoint: BTreeMap<String, u64>,
    pub commands_by_op: BTreeMap<String, u64>,
    pub tick_ms: TickMs,
    pub fallbacks: u64,
    pub stale_drops: u64,
    pub rejects: u64,
    pub conflated_ticks: u64,
    /// Market-data polls that failed; each reached core as a tick without books.
    pub market_data_failures: u64,
    /// Times each stream connected again after losing its connection
    /// (`public`: the book stream); empty with `exchange.streams = false`.
    #[serde(default)]
    pub stream_reconnects: BTreeMap<String, u64>,
    /// Executions of ours core applied (each execId once), by symbol and
    /// side; empty with `exchange.streams = false`.
    #[serde(default)]
    pub fills: BTreeMap<String, mm_core::engine::SideFills>,
    /// Core's position per symbol at exit (exact decimal, long positive).
    #[serde(default)]
    pub position_core: BTreeMap<String, String>,
    /// The exchange's position per symbol at exit, from `/v5/position/list`
    /// (`None`: not asked, or it could not be read).
    #[serde(default)]
    pub position_exchange: Option<BTreeMap<String, String>>,
    /// The largest absolute position core held per symbol this session
    /// (exact decimal); empty with `exchange.streams = false`.
    #[serde(default)]
    pub max_abs_position: BTreeMap<String, String>,
    /// How many times each `[risk]` limit bound a side (ticks x sides), by
    /// limit name.
    #[serde(default)]
    pub risk_blocks: BTreeMap<String, u64>,
    /// The kill switch's reason when it tripped (`ended` = `kill_switch`).
    #[serde(default)]
    pub kill_switch: Option<String>,
    /// Resyncs core started (one per private stream connect).
    #[serde(default)]
    pub resyncs: u64,
    /// External quote sets core accepted and refused (`quoting.source =
    /// "external"`).
    #[serde(default)]
    pub external_quote_sets: u64,
    #[serde(default)]
    pub refused_quote_sets: u64,
    /// Batch items answered 10006 that core re-queued.
    pub requeued: u64,
    /// Orders that ever became unknown (ambiguous outcome).
    pub unknown_orders: u64,
    /// Start-up recovery: open orders of an earlier session of this bot
    /// (our orderLinkId form, another session id) found, and cancelled and
    /// confirmed gone before the first place.
    pub orphans_found: u64,
    pub orphans_cancelled: u64,
    /// Start-up recovery: open orders not of our form (another strategy's),
    /// left alone.
    pub foreign_orders: u64,
    /// Orders core still tracks at exit.
    pub open_orders_core: u64,
    /// Orders of this session (orderLinkId `<session>-<n>`) the exchange
    /// lists at exit (`None`: could not be read, so the session is not clean).
    /// Other orders on the account are not counted: `shutdown.cancel =
    /// "ours"` leaves them open on purpose.
    pub open_orders_exchange: Option<u64>,
    /// Simulator only: its 10006 answers.
    pub rate_limit_rejections: Option<u64>,
    /// Simulator only: requests it received, by path (its own count).
    pub exchange_requests_by_path: Option<BTreeMap<String, u64>>,
    /// Simulator only: faults it injected, by kind.
    pub exchange_faults_injected: Option<BTreeMap<String, u64>>,
    /// Core emitted `Stopped` (shutdown completed).
    pub stopped: bool,
    pub journal: String,
    pub log: String,
}

/// The summary could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("summary: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("summary {}: {source}", .path.display())]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl RunSummary {
    /// Writes it to `path`, whose directory must exist (start-up checked it).
    pub fn write(&self, path: &Path) -> Result<(), SummaryError> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n").map_err(|source| SummaryError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}
