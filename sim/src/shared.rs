//! The state every request handler shares: the config, the clock, and under one lock the
//! exchange, the rate limiters, the counters and the request sequence numbers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, watch};

use crate::config::{ConfigError, Limits, SimConfig};
use crate::engine::Exchange;
use crate::events::Event;
use crate::quality::{QuoteQuality, Tracker};
use crate::ratelimit::{IpLimiter, UidLimiter};
use crate::rng::{hash, stream};
use crate::state::{Counters, SimExecution, SimPrice, SimState};

/// Wall-clock milliseconds that never go backwards (wall time at start + monotonic elapsed),
/// so rate windows are not disturbed by clock steps.
#[derive(Debug)]
pub(crate) struct Clock {
    start_wall_ms: u64,
    start: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self {
            start_wall_ms: wall,
            start: Instant::now(),
        }
    }

    /// Microseconds since the simulator started (monotonic): what quote quality is
    /// time-weighted with.
    pub(crate) fn now_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
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
    /// The engine's events, for every stream connection (each filters its own).
    pub(crate) bus: broadcast::Sender<Arc<Event>>,
    /// Flips to true when the simulator stops: stream connections close.
    pub(crate) stopping: watch::Sender<bool>,
    /// The private stream is switched off (`SimHandle::set_private_stream`).
    private_off: AtomicBool,
}

/// Timed walk steps remembered (`SimHandle::walk_times`): a benchmark's
/// sessions take minutes at most; a long paper run keeps only the latest.
const WALKS_KEPT: usize = 100_000;

/// Events a slow stream connection may fall behind by before it must resynchronise.
const BUS_CAPACITY: usize = 8192;

pub(crate) struct Inner {
    pub(crate) ex: Exchange,
    pub(crate) uid: UidLimiter,
    pub(crate) ip: IpLimiter,
    pub(crate) counters: Counters,
    /// Every request's arrival number (seeds its latency jitter).
    pub(crate) arrivals: u64,
    /// Fault-eligible requests' number (seeds fault decisions).
    pub(crate) fault_seq: u64,
    /// Stream connections accepted (seeds their ids and fault decisions).
    pub(crate) stream_conns: u64,
    /// Quote quality, when a ladder is configured.
    pub(crate) quality: Option<Tracker>,
    /// When each timed walk step happened (server ms), the latest `WALKS_KEPT`.
    pub(crate) walk_times: VecDeque<u64>,
}

impl Shared {
    /// Validates the config by building the exchange from it.
    pub(crate) fn new(cfg: SimConfig) -> Result<Self, ConfigError> {
        let ex = Exchange::new(&cfg)?;
        let clock = Clock::new();
        let quality = cfg.quality.clone().map(|l| Tracker::new(l, clock.now_us()));
        Ok(Self {
            limits: cfg.effective_limits(),
            cfg,
            clock,
            inner: Mutex::new(Inner {
                ex,
                uid: UidLimiter::default(),
                ip: IpLimiter::default(),
                counters: Counters::default(),
                arrivals: 0,
                fault_seq: 0,
                stream_conns: 0,
                quality,
                walk_times: VecDeque::new(),
            }),
            bus: broadcast::channel(BUS_CAPACITY).0,
            stopping: watch::Sender::new(false),
            private_off: AtomicBool::new(false),
        })
    }

    /// The lock is only ever held for synchronous work; a panic while holding it leaves state
    /// that is still consistent enough to inspect, so poisoning is ignored.
    ///
    /// Every change to the books and prices happens under this lock, so what the quality
    /// tracker sees on taking it is what held since it was last taken: it is weighted here.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        // Events are built only while a stream connection can receive them.
        inner.ex.listening = self.bus.receiver_count() > 0;
        let Inner { quality, ex, .. } = &mut *inner;
        if let Some(q) = quality {
            q.advance(self.clock.now_us(), ex.quote_views());
        }
        inner
    }

    /// Quote quality so far (`None` without a configured ladder).
    pub(crate) fn quality(&self) -> Option<QuoteQuality> {
        self.lock().quality.as_ref().map(Tracker::snapshot)
    }

    /// Sends the engine's new events to the stream connections. Called under the lock after
    /// every operation, so events go out in the order they happened; with no connection they
    /// are dropped.
    pub(crate) fn publish(&self, inner: &mut Inner) {
        for ev in inner.ex.take_events() {
            let _ = self.bus.send(Arc::new(ev));
        }
    }

    /// One walk step of every market (the timed walk), fills included.
    pub(crate) fn walk_all(&self) {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        let symbols: Vec<String> = inner.ex.markets.keys().cloned().collect();
        for s in &symbols {
            inner.ex.step_market(s, now);
        }
        if inner.walk_times.len() == WALKS_KEPT {
            inner.walk_times.pop_front();
        }
        inner.walk_times.push_back(now);
        self.publish(&mut inner);
    }

    pub(crate) fn private_off(&self) -> bool {
        self.private_off.load(Ordering::Relaxed)
    }

    pub(crate) fn set_private_off(&self, off: bool) {
        self.private_off.store(off, Ordering::Relaxed);
    }

    pub(crate) fn walk_times(&self) -> Vec<u64> {
        self.lock().walk_times.iter().copied().collect()
    }

    /// The executions kept for `/v5/execution/list`, every account and category, by time.
    pub(crate) fn executions(&self) -> Vec<SimExecution> {
        let inner = self.lock();
        let mut all: Vec<SimExecution> = inner
            .ex
            .executions
            .values()
            .flatten()
            .map(|f| SimExecution {
                symbol: f.symbol.clone(),
                exec_id: f.exec_id.clone(),
                order_id: f.order_id.clone(),
                order_link_id: f.order_link_id.clone(),
                side: f.side,
                exec_qty: f.exec_qty.clone(),
                leaves_qty: f.leaves_qty.clone(),
                exec_time_ms: f.exec_time.parse().unwrap_or(0),
            })
            .collect();
        all.sort_by_key(|e| e.exec_time_ms);
        all
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
            stream_connections: c.stream_connections,
            reply_delays: c.reply_delays,
            quality: inner.quality.as_ref().map(Tracker::snapshot),
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

    /// Records a reply released now for a request that arrived `at` and was given `delay`.
    pub(crate) fn released(&self, at: tokio::time::Instant, delay: Duration) {
        let due = at + delay;
        let now = tokio::time::Instant::now();
        let late = now.checked_duration_since(due);
        self.lock().counters.reply_delays.record(late);
    }

    pub(crate) fn reset_counters(&self) {
        let mut inner = self.lock();
        inner.counters = Counters::default();
        inner.ex.fills = 0;
        inner.ex.post_only_rejections = 0;
        let now = self.clock.now_us();
        if let Some(q) = inner.quality.as_mut() {
            q.reset(now);
        }
    }
}
