//! Starting and stopping the simulator: the listener, the router and the handle.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::conn::{Conn, KillListener};
use crate::quality::QuoteQuality;
use crate::shared::Shared;
use crate::state::SimState;

/// The simulator. See the crate docs.
pub struct Sim;

impl Sim {
    /// Binds `addr` (use `127.0.0.1:0` for an ephemeral port) and serves until
    /// [`SimHandle::shutdown`] or the handle is dropped. An invalid config (instrument off its
    /// grid, duplicate symbol) is an `InvalidInput` error naming it.
    pub async fn start(cfg: SimConfig, addr: SocketAddr) -> io::Result<SimHandle> {
        let shared =
            Shared::new(cfg).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let shared = Arc::new(shared);
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let app = Router::new()
            .route("/v5/public/{category}", get(crate::ws_public::upgrade))
            .route("/v5/private", get(crate::ws_private::upgrade))
            .route(mm_bybit::ws::TRADE_PATH, get(crate::ws_trade::upgrade))
            .fallback(crate::handler::handle)
            .with_state(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(
                KillListener(listener),
                app.into_make_service_with_connect_info::<Conn>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
            if let Err(e) = served {
                tracing::error!("sim: server stopped: {e}");
            }
        });
        let walk = (shared.cfg.walk_interval_ms > 0).then(|| {
            let shared = shared.clone();
            tokio::spawn(async move {
                let every = Duration::from_millis(shared.cfg.walk_interval_ms);
                let mut ticks = tokio::time::interval(every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    shared.walk_all();
                }
            })
        });
        Ok(SimHandle {
            addr: local,
            shared,
            stop: Some(tx),
            task: Some(task),
            walk,
        })
    }
}

/// A running simulator. Dropping it stops the server abruptly; `shutdown` stops it gracefully.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The timed price walk, if configured.
    walk: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, to use as the Bybit base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A snapshot, the same as `GET /sim/state`.
    pub fn state(&self) -> SimState {
        self.shared.state()
    }

    /// Quote quality so far against `SimConfig::quality` (also in [`SimHandle::state`]);
    /// `None` when no ladder is configured.
    pub fn quality(&self) -> Option<QuoteQuality> {
        self.shared.quality()
    }

    /// The latest executions (those `/v5/execution/list` keeps: 1000 per account and
    /// category), oldest first.
    pub fn executions(&self) -> Vec<crate::state::SimExecution> {
        self.shared.executions()
    }

    /// When each step of the timed walk (`SimConfig::walk_interval_ms`) happened (server
    /// ms, the latest 100 000): every market moved then.
    pub fn walk_times(&self) -> Vec<u64> {
        self.shared.walk_times()
    }

    /// `false`: the private stream goes down and stays down (each connection is closed at
    /// its next engine event, new ones are refused with HTTP 503) until `true` again. For
    /// measuring what a client does without it.
    pub fn set_private_stream(&self, on: bool) {
        self.shared.set_private_off(!on);
    }

    /// Zeroes the counters (not the orders or prices), like `POST /sim/reset-counters`.
    pub fn reset_counters(&self) {
        self.shared.reset_counters();
    }

    /// Stops accepting, lets in-flight replies finish (at most 2 s, so a held timeout fault
    /// cannot stall it), then stops.
    pub async fn shutdown(mut self) {
        self.stop_streams();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl SimHandle {
    /// Stops the timed walk and closes every stream connection.
    fn stop_streams(&mut self) {
        if let Some(walk) = self.walk.take() {
            walk.abort();
        }
        self.shared.stopping.send_replace(true);
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop_streams();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
