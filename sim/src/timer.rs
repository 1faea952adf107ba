//! The simulator's latency clock. tokio's timer counts whole milliseconds and rounds every
//! deadline up to the next one, then parks in `epoll_wait`, itself in milliseconds: a 10 ms
//! sleep ends 10-12 ms later. A request sleeps twice (half the latency before it is applied,
//! the rest before its reply), so each round trip came back up to ~2 ms later than the
//! configured latency, a delay no exchange adds and no client can remove.
//!
//! On Linux a sleep is a `timerfd` of its own, registered with tokio's reactor: the kernel
//! wakes the worker parked in `epoll_wait` at the deadline, with no timer slack (the 50 us a
//! thread's sleeps may be deferred by default) and no other thread on the way. Elsewhere, or
//! when a timerfd cannot be had (no descriptors left), one thread keeps every
//! deadline and parks until the earliest with the OS's sub-millisecond timer, then wakes the
//! task (two wake-ups in a row: that thread's, then the worker's). Either way a sleep never
//! ends before its deadline and spins no core.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use tokio::sync::oneshot;

/// Waits until `deadline` (at once if it has passed).
pub(crate) async fn sleep_until(deadline: tokio::time::Instant) {
    let deadline = deadline.into_std();
    if deadline <= Instant::now() {
        return;
    }
    #[cfg(target_os = "linux")]
    if fd::sleep_until(deadline).await.is_ok() {
        return;
    }
    thread_sleep_until(deadline).await;
}

/// Waits on the timer thread.
async fn thread_sleep_until(deadline: Instant) {
    if deadline <= Instant::now() {
        return;
    }
    let (tx, rx) = oneshot::channel();
    timer().add(deadline, tx);
    // The timer thread never drops a waiter before its deadline; if it died, no wait could
    // end, so the ending is the same either way.
    let _ = rx.await;
}

#[cfg(target_os = "linux")]
mod fd {
    use std::io;
    use std::time::{Duration, Instant};

    use rustix::time::{
        Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, timerfd_create,
        timerfd_settime,
    };
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;

    /// Waits until `deadline` on a timerfd; an error if none could be armed (nothing waited).
    pub(super) async fn sleep_until(deadline: Instant) -> io::Result<()> {
        let timer = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        // Relative to a moment after `now` was read, so it cannot expire before `deadline`
        // (`Instant` is CLOCK_MONOTONIC too). A zero value would disarm it.
        let Some(left) = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            return Ok(());
        };
        let spec = Itimerspec {
            it_interval: timespec(Duration::ZERO),
            it_value: timespec(left),
        };
        timerfd_settime(&timer, TimerfdTimerFlags::empty(), &spec)?;
        // `register_with_interest`, its replacement, is `unsafe` (forbidden here) only to make
        // the caller promise what an `OwnedFd` guarantees: the descriptor stays open and the
        // same until the `AsyncFd` is dropped.
        #[allow(deprecated)]
        let timer = AsyncFd::with_interest(timer, Interest::READABLE)?;
        loop {
            let mut ready = timer.readable().await?;
            if Instant::now() >= deadline {
                return Ok(());
            }
            // Not expired after all (never seen): wait for the next edge.
            ready.clear_ready();
        }
    }

    fn timespec(d: Duration) -> rustix::time::Timespec {
        rustix::time::Timespec {
            tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(d.subsec_nanos()),
        }
    }
}

/// The process's timer thread, started on first use; it parks while no one waits.
fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let t: &'static Timer = Box::leak(Box::default());
        std::thread::Builder::new()
            .name("mm-sim-timer".into())
            .spawn(move || t.run())
            .unwrap_or_else(|e| panic!("sim: cannot start the timer thread: {e}"));
        t
    })
}

#[derive(Default)]
struct Timer {
    waits: Mutex<Waits>,
    changed: Condvar,
}

/// Deadlines, earliest first; `seq` keeps equal deadlines in the order they were added.
#[derive(Default)]
struct Waits {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    senders: std::collections::BTreeMap<u64, oneshot::Sender<()>>,
    seq: u64,
}

impl Timer {
    fn lock(&self) -> MutexGuard<'_, Waits> {
        // A panic while holding the lock cannot leave the heap half-changed.
        self.waits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, deadline: Instant, tx: oneshot::Sender<()>) {
        let mut w = self.lock();
        let earliest = w.heap.peek().is_none_or(|Reverse((d, _))| deadline < *d);
        let seq = w.seq;
        w.seq += 1;
        w.heap.push(Reverse((deadline, seq)));
        w.senders.insert(seq, tx);
        drop(w);
        if earliest {
            self.changed.notify_one();
        }
    }

    fn run(&self) {
        // The thread's waits are not deferred to be merged with others' (50 us by default).
        #[cfg(target_os = "linux")]
        let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1));
        let mut w = self.lock();
        loop {
            let now = Instant::now();
            while let Some(&Reverse((deadline, seq))) = w.heap.peek() {
                if deadline > now {
                    break;
                }
                w.heap.pop();
                if let Some(tx) = w.senders.remove(&seq) {
                    let _ = tx.send(());
                }
            }
            // A wait can end early or spuriously: the loop checks the clock again.
            w = match w.heap.peek() {
                Some(&Reverse((deadline, _))) => {
                    let (w, _) = self
                        .changed
                        .wait_timeout(w, deadline.saturating_duration_since(now))
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    w
                }
                None => self
                    .changed
                    .wait(w)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// 200 sleeps at once, deadlines out of order, some equal, some already past: every one
    /// ends at or after its deadline.
    async fn never_early<F, Fut>(sleep: F)
    where
        F: Fn(Instant) -> Fut + Copy + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let start = Instant::now();
        let tasks: Vec<_> = (0..200u64)
            .map(|i| {
                let deadline = start + Duration::from_micros((i * 7_919) % 9_000);
                tokio::spawn(async move {
                    sleep(deadline).await;
                    Instant::now() >= deadline
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap_or(false), "a sleep ended early");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sleep_never_ends_before_its_deadline() {
        never_early(|d| sleep_until(tokio::time::Instant::from_std(d))).await;
    }

    /// The fallback (the only timer off Linux) keeps the same promise.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_timer_threads_sleep_never_ends_before_its_deadline() {
        never_early(thread_sleep_until).await;
    }

    #[tokio::test]
    async fn a_dropped_sleep_leaves_the_others_running() {
        let start = tokio::time::Instant::now();
        let dropped = tokio::time::timeout(
            Duration::from_millis(1),
            sleep_until(start + Duration::from_millis(50)),
        )
        .await;
        assert!(dropped.is_err());
        sleep_until(start + Duration::from_millis(3)).await;
        assert!(tokio::time::Instant::now() >= start + Duration::from_millis(3));
    }

    /// Lateness of `n` sleeps of `base` + 0-2.5 ms, `par` at a time: (P50, P95, max) in
    /// microseconds.
    async fn lateness<F, Fut>(n: u64, par: u64, base: u64, sleep: F) -> (u128, u128, u128)
    where
        F: Fn(Instant) -> Fut + Copy + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let mut late = Vec::new();
        for batch in 0..n / par {
            let tasks: Vec<_> = (0..par)
                .map(|i| {
                    let d = Duration::from_micros(base + ((batch * par + i) * 7_919) % 2_500);
                    tokio::spawn(async move {
                        let deadline = Instant::now() + d;
                        sleep(deadline).await;
                        Instant::now().duration_since(deadline).as_micros()
                    })
                })
                .collect();
            for t in tasks {
                late.push(t.await.unwrap_or(u128::MAX));
            }
        }
        late.sort_unstable();
        let at = |q: f64| late[((late.len() - 1) as f64 * q) as usize];
        (at(0.5), at(0.95), at(1.0))
    }

    /// `cargo test -p mm-sim --release --lib timer::tests::probe -- --ignored --nocapture`
    #[ignore = "a measurement, not a test"]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn probe() {
        let fd = |d| sleep_until(tokio::time::Instant::from_std(d));
        for round in 0..3 {
            for (n, par, base) in [(800, 8, 500), (100, 1, 10_000)] {
                let t = lateness(n, par, base, thread_sleep_until).await;
                let f = lateness(n, par, base, fd).await;
                println!(
                    "{round}: {n} sleeps {par} at a time, {base} us + 0-2.5 ms: p50/p95/max us thread {t:?} timerfd {f:?}"
                );
            }
        }
    }
}
