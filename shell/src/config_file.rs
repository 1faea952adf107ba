//! The config file: read and validate it, and watch it for changes.
//!
//! Core owns what the keys mean (`mm_core::Config::from_toml_str`,
//! `validate_for`), so start-up, `mm check-config` and hot reload judge a
//! file the same way. Reload: the file's content is compared every
//! `poll_ms` and on SIGHUP; a valid change goes to the loop (and from there,
//! journaled, to core, which applies it at the next tick); an invalid one is
//! reported with every problem and the running config stays.
//!
//! Decision: `exchange.*` and `metrics.*` cannot change in a running session
//! (the client, credentials and metrics server are built at start-up). A
//! change there is warned about and the running values are kept in the
//! config handed to core, so the journal records what is really in force.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mm_core::{Config, Instrument};
use tokio::sync::mpsc;

/// Reads and parses `path` (every problem listed in the error).
pub fn load(path: &Path) -> Result<(Config, String), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("config: cannot read {}: {e}", path.display()))?;
    let config = Config::from_toml_str(&text)
        .map_err(|e| format!("config {} is invalid:\n{e}", path.display()))?;
    Ok((config, text))
}

/// Validates against the exchange's instruments, listing every problem.
pub fn validate_for(config: &Config, instruments: &[Instrument]) -> Result<(), String> {
    config.validate_for(instruments).map_err(|e| e.to_string())
}

/// Watches `path`; sends each valid, changed config on `tx`.
pub struct Watcher {
    pub path: PathBuf,
    pub poll: Duration,
    /// The text the running config came from.
    pub last_text: String,
    /// The config in force (exchange / metrics sections are pinned to it).
    pub running: Config,
    pub instruments: Vec<Instrument>,
    /// The problems of `last_text` when it was refused: a SIGHUP on a file
    /// that is still invalid reports them again (a poll does not, or an
    /// invalid file would repeat every `poll`).
    pub problems: Option<String>,
}

/// What one look at the file found.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not readable, unchanged, or changed only in what a session cannot change.
    Keep,
    /// Invalid (every problem listed): the running config stays.
    Refused(String),
    /// A valid change, for core to apply at the next tick.
    Apply(Box<Config>),
}

impl Watcher {
    /// Runs until `tx` closes. `hup` yields on every SIGHUP.
    pub async fn run(mut self, tx: mpsc::Sender<Config>, mut hup: mpsc::Receiver<()>) {
        let mut interval = tokio::time::interval(self.poll);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let forced = tokio::select! {
                _ = interval.tick() => false,
                Some(()) = hup.recv() => true,
            };
            if tx.is_closed() {
                return;
            }
            if let Some(config) = self.check(forced)
                && tx.send(config).await.is_err()
            {
                return;
            }
        }
    }

    /// One look at the file (logged): `Some(config)` for a valid change.
    pub fn check(&mut self, forced: bool) -> Option<Config> {
        match self.judge(forced) {
            Verdict::Keep => None,
            Verdict::Refused(problems) => {
                tracing::error!(
                    "config reload refused, keeping the running config; {} has these problems:\n{problems}",
                    self.path.display()
                );
                None
            }
            Verdict::Apply(config) => Some(*config),
        }
    }

    /// One look at the file. `forced` (SIGHUP) re-judges unchanged text, so
    /// a file that is still invalid is refused again, with its problems.
    pub fn judge(&mut self, forced: bool) -> Verdict {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) => {
                if forced {
                    tracing::warn!("config reload: cannot read {}: {e}", self.path.display());
                }
                return Verdict::Keep;
            }
        };
        if text == self.last_text {
            if !forced {
                return Verdict::Keep;
            }
            if let Some(problems) = &self.problems {
                return Verdict::Refused(problems.clone());
            }
            tracing::info!("config reload (SIGHUP): {} unchanged", self.path.display());
            return Verdict::Keep;
        }
        self.last_text = text.clone();
        self.problems = None;
        let parsed = Config::from_toml_str(&text)
            .map_err(|e| e.to_string())
            .and_then(|c| validate_for(&c, &self.instruments).map(|()| c));
        let mut config = match parsed {
            Ok(c) => c,
            Err(problems) => {
                self.problems = Some(problems.clone());
                return Verdict::Refused(problems);
            }
        };
        if config.exchange != self.running.exchange {
            tracing::warn!(
                "config reload: exchange.* changed; that needs a restart, the running session keeps the old values"
            );
            config.exchange = self.running.exchange.clone();
        }
        if config.metrics != self.running.metrics {
            tracing::warn!(
                "config reload: metrics.* changed; that needs a restart, the running session keeps the old values"
            );
            config.metrics = self.running.metrics.clone();
        }
        if config == self.running {
            tracing::info!("config reload: nothing that a running session can change changed");
            return Verdict::Keep;
        }
        tracing::info!(
            "config reload: {} changed and is valid; core applies it at the next tick",
            self.path.display()
        );
        self.running = config.clone();
        Verdict::Apply(Box::new(config))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn quoting(levels: u32) -> String {
        format!("[quoting]\nsymbols = [\"BTCUSDT\"]\norder_qty = \"0.001\"\nlevels = {levels}\n")
    }

    fn watcher(dir: &Path, text: &str) -> Watcher {
        let path = dir.join("mm.toml");
        std::fs::write(&path, text).unwrap();
        let (running, last_text) = load(&path).unwrap();
        Watcher {
            path,
            poll: Duration::from_millis(10),
            last_text,
            running,
            instruments: vec![Instrument {
                symbol: "BTCUSDT".to_string(),
                category: mm_core::Category::Linear,
                tick_size: "0.1".parse().unwrap(),
                qty_step: "0.001".parse().unwrap(),
                min_qty: "0.001".parse().unwrap(),
            }],
            problems: None,
        }
    }

    #[test]
    fn every_sighup_on_a_still_invalid_file_refuses_it_again_with_its_problems() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = watcher(dir.path(), &quoting(3));
        std::fs::write(&w.path, quoting(0)).unwrap();
        let first = w.judge(false);
        assert!(
            matches!(&first, Verdict::Refused(p) if p.contains("quoting.levels")),
            "{first:?}"
        );
        // Polls stay quiet about a file they already refused...
        assert_eq!(w.judge(false), Verdict::Keep);
        // ...every SIGHUP says it again.
        for _ in 0..2 {
            assert_eq!(w.judge(true), first);
        }
        // Fixed: applied once, then a SIGHUP finds it unchanged.
        std::fs::write(&w.path, quoting(4)).unwrap();
        assert!(matches!(w.judge(true), Verdict::Apply(c) if c.quoting.levels == 4));
        assert_eq!(w.judge(true), Verdict::Keep);
    }
}
