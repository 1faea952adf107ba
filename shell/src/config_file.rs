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

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mm_core::{Config, Instrument};
use tokio::sync::mpsc;

/// The largest config file read. A real one is a few KiB; without a bound,
/// `mm check-config /dev/zero` would read until memory ran out.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Why a config file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not UTF-8 text: {source}", .path.display())]
    NotUtf8 {
        path: PathBuf,
        source: std::string::FromUtf8Error,
    },
    /// Over `MAX_CONFIG_BYTES`: refused without reading the rest.
    #[error(
        "{} is larger than 1 MiB ({MAX_CONFIG_BYTES} bytes), the limit for a config file; refused",
        .path.display()
    )]
    TooBig { path: PathBuf },
}

/// Why a config file does not start a session.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("config: {0}")]
    Read(#[from] ReadError),
    /// Every problem, one a line.
    #[error("config {} is invalid:\n{source}", .path.display())]
    Invalid {
        path: PathBuf,
        source: mm_core::ConfigError,
    },
}

/// Reads `path` as UTF-8, refusing anything over `MAX_CONFIG_BYTES` (at most
/// one byte past the limit is read, so an endless file answers at once).
pub fn read_bounded(path: &Path) -> Result<String, ReadError> {
    let cannot = |source| ReadError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ReadError::TooBig {
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes).map_err(|source| ReadError::NotUtf8 {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses `path` (every problem listed in the error).
pub fn load(path: &Path) -> Result<(Config, String), LoadError> {
    let text = read_bounded(path)?;
    let config = Config::from_toml_str(&text).map_err(|source| LoadError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((config, text))
}

/// Validates against the exchange's instruments, listing every problem; a
/// valid config whose `max_batch_size` exceeds its category's batch limit is
/// said to be capped (a notice line, INFO).
pub fn validate_for(
    config: &Config,
    instruments: &[Instrument],
) -> Result<(), mm_core::ConfigError> {
    config.validate_for(instruments)?;
    if let Some(notice) = config.batch_size_capped() {
        tracing::info!("config: {notice}");
    }
    Ok(())
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
    /// The last look refused the file as too big, without reading it.
    pub too_big: bool,
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
        let text = match read_bounded(&self.path) {
            Ok(t) => t,
            Err(too_big @ ReadError::TooBig { .. }) => {
                // Said once per change, like an invalid file, and on every SIGHUP.
                let repeat = self.too_big && !forced;
                self.too_big = true;
                return if repeat {
                    Verdict::Keep
                } else {
                    Verdict::Refused(too_big.to_string())
                };
            }
            Err(e) => {
                if forced {
                    tracing::warn!("config reload: {e}");
                }
                return Verdict::Keep;
            }
        };
        // After a too-big file, whatever is there now is judged afresh.
        if text == self.last_text && !std::mem::take(&mut self.too_big) {
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
            .and_then(|c| validate_for(&c, &self.instruments).map(|()| c))
            .map_err(|e| e.to_string());
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
    use mm_core::config::OrderTransport;

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
            too_big: false,
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

    #[test]
    fn order_transport_cannot_change_live_the_rest_of_the_change_applies() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = watcher(dir.path(), &quoting(3));
        assert_eq!(w.running.exchange.order_transport, OrderTransport::Rest);
        let ws = format!("[exchange]\norder_transport = \"ws\"\n{}", quoting(4));
        std::fs::write(&w.path, &ws).unwrap();
        match w.judge(false) {
            Verdict::Apply(c) => {
                assert_eq!(c.exchange.order_transport, OrderTransport::Rest);
                assert_eq!(c.quoting.levels, 4);
            }
            other => panic!("{other:?}"),
        }
        // Only the transport changed: nothing to apply.
        let only = format!("[exchange]\norder_transport = \"rest\"\n{}", quoting(4));
        std::fs::write(&w.path, only).unwrap();
        assert_eq!(w.judge(false), Verdict::Keep);
        std::fs::write(&w.path, ws).unwrap();
        assert_eq!(w.judge(false), Verdict::Keep);
    }

    #[test]
    fn streams_cannot_change_live_the_rest_of_the_change_applies() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = watcher(dir.path(), &quoting(3));
        assert!(w.running.exchange.streams);
        let off = format!("[exchange]\nstreams = false\n{}", quoting(4));
        std::fs::write(&w.path, &off).unwrap();
        match w.judge(false) {
            Verdict::Apply(c) => {
                assert!(c.exchange.streams, "the running value is kept");
                assert_eq!(c.quoting.levels, 4);
            }
            other => panic!("{other:?}"),
        }
        // Only the key changed: nothing to apply.
        let on = format!("[exchange]\nstreams = true\n{}", quoting(4));
        std::fs::write(&w.path, on).unwrap();
        assert_eq!(w.judge(false), Verdict::Keep);
        std::fs::write(&w.path, off).unwrap();
        assert_eq!(w.judge(false), Verdict::Keep);
    }

    #[test]
    fn a_file_over_one_mib_is_refused_at_load_and_at_reload() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = watcher(dir.path(), &quoting(3));
        // Valid TOML padded with a comment past the limit: refused for its size alone.
        let padding = "#".repeat(usize::try_from(MAX_CONFIG_BYTES).unwrap());
        std::fs::write(&w.path, format!("{}{padding}\n", quoting(4))).unwrap();
        let e = load(&w.path).unwrap_err().to_string();
        assert!(e.contains("larger than 1 MiB"), "{e}");
        let refused = w.judge(false);
        assert!(
            matches!(&refused, Verdict::Refused(p) if p.contains("larger than 1 MiB")),
            "{refused:?}"
        );
        assert_eq!(w.judge(false), Verdict::Keep, "a poll says it once");
        assert_eq!(w.judge(true), refused, "every SIGHUP says it again");
        // Back to the running text: nothing to apply, nothing refused.
        std::fs::write(&w.path, quoting(3)).unwrap();
        assert_eq!(w.judge(true), Verdict::Keep);
        // Exactly at the limit is read (and judged as TOML).
        let at_limit = usize::try_from(MAX_CONFIG_BYTES).unwrap() - quoting(5).len() - 1;
        std::fs::write(&w.path, format!("{}{}\n", quoting(5), "#".repeat(at_limit))).unwrap();
        assert!(matches!(w.judge(false), Verdict::Apply(c) if c.quoting.levels == 5));
    }

    #[test]
    fn an_endless_file_is_refused_after_reading_one_byte_past_the_limit() {
        let e = read_bounded(Path::new("/dev/zero")).unwrap_err();
        assert!(
            matches!(&e, ReadError::TooBig { path } if path == Path::new("/dev/zero")),
            "{e:?}"
        );
    }
}
