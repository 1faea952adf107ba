//! SIGINT / SIGTERM (shutdown; a second one exits at once) and SIGHUP (config reload).

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// Forwards SIGINT and SIGTERM as their names.
pub fn stop_signals() -> Result<mpsc::Receiver<&'static str>, String> {
    let (tx, rx) = mpsc::channel(8);
    for (kind, name) in [
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::terminate(), "SIGTERM"),
    ] {
        let mut s = signal(kind).map_err(|e| format!("cannot listen for {name}: {e}"))?;
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
pub fn hangups() -> Result<mpsc::Receiver<()>, String> {
    let (tx, rx) = mpsc::channel(4);
    let mut s =
        signal(SignalKind::hangup()).map_err(|e| format!("cannot listen for SIGHUP: {e}"))?;
    tokio::spawn(async move {
        while s.recv().await.is_some() {
            if tx.send(()).await.is_err() {
                return;
            }
        }
    });
    Ok(rx)
}
