//! SIGINT / SIGTERM (shutdown; a second one exits at once) and SIGHUP (config reload).

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// The OS would not let us listen for a signal.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for {name}: {source}")]
pub struct SignalError {
    pub name: &'static str,
    pub source: std::io::Error,
}

/// Forwards SIGINT and SIGTERM as their names.
pub fn stop_signals() -> Result<mpsc::Receiver<&'static str>, SignalError> {
    let (tx, rx) = mpsc::channel(8);
    for (kind, name) in [
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::terminate(), "SIGTERM"),
    ] {
        let mut s = signal(kind).map_err(|source| SignalError { name, source })?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while s.recv().await.is_some() {
                if tx.send(name).await.is_err() {
                    return;
                }
            }
        });
    }
    Ok(rx)
}

/// Forwards SIGHUP.
pub fn hangups() -> Result<mpsc::Receiver<()>, SignalError> {
    let (tx, rx) = mpsc::channel(4);
    let mut s = signal(SignalKind::hangup()).map_err(|source| SignalError {
        name: "SIGHUP",
        source,
    })?;
    tokio::spawn(async move {
        while s.recv().await.is_some() {
            if tx.send(()).await.is_err() {
                return;
            }
        }
    });
    Ok(rx)
}
