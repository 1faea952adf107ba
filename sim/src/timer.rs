//! The simulator's latency clock. tokio's timer counts whole milliseconds and rounds every
//! deadline up to the next one, then parks in `epoll_wait`, itself in milliseconds: a 10 ms
//! sleep ends 10-12 ms later. A request sleeps twice (half the latency before it is applied,
//! the rest before its reply), so each round trip came back up to ~2 ms later than the
//! configured latency, a delay no exchange adds and no client can remove. Here one thread
//! keeps every deadline and parks until the earliest with the OS's sub-millisecond timer;
//! a sleep ends at its deadline plus the time to wake a task (tens of microseconds), and
//! never before it.

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
    let (tx, rx) = oneshot::channel();
    timer().add(deadline, tx);
    // The timer thread never drops a waiter before its deadline; if it died, no wait could
    // end, so the ending is the same either way.
    let _ = rx.await;
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sleep_never_ends_before_its_deadline() {
        let start = tokio::time::Instant::now();
        let tasks: Vec<_> = (0..200u64)
            .map(|i| {
                // Deadlines out of order and some equal, some already past.
                let deadline = start + Duration::from_micros((i * 7_919) % 9_000);
                tokio::spawn(async move {
                    sleep_until(deadline).await;
                    tokio::time::Instant::now() >= deadline
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap_or(false), "a sleep ended early");
        }
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
}
