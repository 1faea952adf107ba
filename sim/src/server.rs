//! Starting and stopping the simulator, and the state its handlers share.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Limits, SimConfig};
use crate::conn::{Conn, KillListener};
use crate::engine::Exchange;
use crate::ratelimit::{IpLimiter, UidLimiter};
use crate::rng::{hash, stream};
use crate::state::{Counters, SimPrice, SimState};

/// The simulator. See the crate docs.
pub struct Sim;

impl Sim {
    /// Binds `addr` (use `127.0.0.1:0` for an ephemeral port) and serves until
    /// [`SimHandle::shutdown`] or the handle is dropped. An invalid config (instrument off its
    /// grid, duplicate symbol) is an `InvalidInput` error naming it.
    pub async fn start(cfg: SimConfig, addr: SocketAddr) -> io::Result<SimHandle> {
        let ex = Exchange::new(&cfg).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let shared = Arc::new(Shared {
            limits: cfg.effective_limits(),
            cfg,
            clock: Clock::new(),
            inner: Mutex::new(Inner {
                ex,
                uid: UidLimiter::default(),
                ip: IpLimiter::default(),
                counters: Counters::default(),
                arrivals: 0,
                fault_seq: 0,
            }),
        });
        let app = Router::new()
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
        Ok(SimHandle {
            addr: local,
            shared,
            stop: Some(tx),
            task: Some(task),
        })
    }
}

/// A running simulator. Dropping it stops the server abruptly; `shutdown` stops it gracefully.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
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

    /// Zeroes the counters (not the orders or prices), like `POST /sim/reset-counters`.
    pub fn reset_counters(&self) {
        self.shared.reset_counters();
    }

    /// Stops accepting, lets in-flight replies finish (at most 2 s, so a held timeout fault
    /// cannot stall it), then stops.
    pub async fn shutdown(mut self) {
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

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Wall-clock milliseconds that never go backwards (wall time at start + monotonic elapsed),
/// so rate windows are not disturbed by clock steps.
#[derive(Debug)]
pub(crate) struct Clock {
    start_wall_ms: u64,
    start: Instant,
}

impl Clock {
    fn new() -> Self {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self {
            start_wall_ms: wall,
            start: Instant::now(),
        }
    }

    pub(crate) fn now_ms(&self) -> u64 {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.start_wall_ms.saturating_add(elapsed)
    }
}

pub(crate) struct Shared {
    pub(crate) cfg: SimConfig,
    pub(crate) limits: Limits,
    pub(crate) clock: Clock,
    inner: Mutex<Inner>,
}

pub(crate) struct Inner {
    pub(crate) ex: Exchange,
    pub(crate) uid: UidLimiter,
    pub(crate) ip: IpLimiter,
    pub(crate) counters: Counters,
    /// Every request's arrival number (seeds its latency jitter).
    pub(crate) arrivals: u64,
    /// Fault-eligible requests' number (seeds fault decisions).
    pub(crate) fault_seq: u64,
}

impl Shared {
    /// The lock is only ever held for synchronous work; a panic while holding it leaves state
    /// that is still consistent enough to inspect, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The reply delay for the `arrival`-th request to `path`.
    pub(crate) fn delay(&self, path: &str, arrival: u64) -> Duration {
        let base = self
            .cfg
            .latency_overrides
            .get(path)
            .copied()
            .unwrap_or(self.cfg.latency_ms);
        let jitter = match self.cfg.jitter_ms {
            0 => 0,
            j => hash(&[self.cfg.seed, stream::JITTER, arrival]) % (j + 1),
        };
        Duration::from_millis(base + jitter)
    }

    pub(crate) fn state(&self) -> SimState {
        let inner = self.lock();
        let c = &inner.counters;
        SimState {
            open_orders: inner.ex.snapshot(),
            requests_by_path: c.requests_by_path.clone(),
            orders_by_path: c.orders_by_path.clone(),
            rate_limit_rejections: c.rate_limit_rejections,
            ip_limit_rejections: c.ip_limit_rejections,
            ip_banned_until_ms: inner.ip.banned_until(self.clock.now_ms()),
            faults_injected: c.faults_injected.clone(),
            fills: inner.ex.fills,
            post_only_rejections: inner.ex.post_only_rejections,
            auth_failures: c.auth_failures,
            prices: inner
                .ex
                .markets
                .values()
                .map(|m| {
                    let p = SimPrice {
                        bid: m.price.format(m.bid()),
                        ask: m.price.format(m.ask()),
                        mid: m.price.format(m.mid()),
                    };
                    (m.symbol.clone(), p)
                })
                .collect(),
        }
    }

    pub(crate) fn reset_counters(&self) {
        let mut inner = self.lock();
        inner.counters = Counters::default();
        inner.ex.fills = 0;
        inner.ex.post_only_rejections = 0;
    }
}
