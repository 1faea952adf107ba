//! One request, and the promise behind it: core hears back exactly once per
//! `Send`. A REST request runs on its own task; an order request over the
//! trade stream goes straight to the connection, whose task answers it (no
//! task of its own to wake on the way out or back). A request core never
//! hears about stays in flight in core forever (every later tick
//! conflated), so a request whose answer is dropped unsent (a task's panic
//! or abort, a connection task gone) still answers, as a transport failure,
//! which core treats as ambiguous and settles by querying the exchange.

use std::sync::Arc;
use std::time::Instant;

use mm_core::{Outcome, Request, RequestId, WireNames};
use tokio::sync::mpsc;

use crate::client::{Client, TradeRoute};
use crate::metrics::Metrics;

pub(super) type Response = (RequestId, Outcome);

/// What a request task that ended without a reply tells core.
pub(super) const NO_REPLY: &str = "request task ended without a reply";

/// Sends `request`; its one `Response` arrives on `tx`. Order requests go
/// over `trade` when there is one (`order_transport = "ws"`), the rest over
/// REST on a task each.
pub(super) fn spawn_send(
    client: &Client,
    trade: Option<&Arc<TradeRoute>>,
    metrics: &Arc<Metrics>,
    tx: &mpsc::UnboundedSender<Response>,
    names: &Arc<WireNames>,
    req: Request,
) {
    let endpoint = req.kind.endpoint();
    metrics.request_sent(endpoint);
    let metrics = metrics.clone();
    let guard = ReplyGuard::new(req.id, tx.clone());
    let t0 = Instant::now();
    if let Some(route) = trade.filter(|_| TradeRoute::carries(&req.kind)) {
        route.submit(req.id, &req.kind, names, move |outcome| {
            metrics.request_done("WS", endpoint, t0.elapsed().as_secs_f64() * 1000.0);
            guard.reply(outcome);
        });
        return;
    }
    let verb = crate::client::verb(&req.kind);
    let client = client.clone();
    let names = Arc::clone(names);
    tokio::spawn(async move {
        let outcome = client.execute(&req.kind, &names).await;
        metrics.request_done(verb, endpoint, t0.elapsed().as_secs_f64() * 1000.0);
        guard.reply(outcome);
    });
}

/// Owes core one `Response` for a request: `reply` pays it; dropping the
/// guard unpaid (the task panicked or was aborted) pays it with
/// `Outcome::Transport(NO_REPLY)`.
pub(super) struct ReplyGuard {
    id: RequestId,
    tx: Option<mpsc::UnboundedSender<Response>>,
}

impl ReplyGuard {
    pub(super) fn new(id: RequestId, tx: mpsc::UnboundedSender<Response>) -> ReplyGuard {
        ReplyGuard { id, tx: Some(tx) }
    }

    pub(super) fn reply(mut self, outcome: Outcome) {
        self.pay(outcome);
    }

    fn pay(&mut self, outcome: Outcome) {
        if let Some(tx) = self.tx.take() {
            // The loop may be gone (exiting at once): nothing left to tell.
            let _ = tx.send((self.id, outcome));
        }
    }
}

impl Drop for ReplyGuard {
    fn drop(&mut self) {
        self.pay(Outcome::Transport(NO_REPLY.to_string()));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn drained(rx: &mut mpsc::UnboundedReceiver<Response>) -> Vec<Response> {
        let mut out = Vec::new();
        while let Ok(r) = rx.try_recv() {
            out.push(r);
        }
        out
    }

    #[test]
    fn a_reply_is_sent_once_and_the_drop_adds_nothing() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        ReplyGuard::new(RequestId(7), tx).reply(Outcome::Timeout);
        assert_eq!(drained(&mut rx), vec![(RequestId(7), Outcome::Timeout)]);
    }

    #[test]
    fn a_guard_dropped_unpaid_answers_with_a_transport_failure() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        drop(ReplyGuard::new(RequestId(3), tx));
        assert_eq!(
            drained(&mut rx),
            vec![(RequestId(3), Outcome::Transport(NO_REPLY.to_string()))]
        );
    }

    #[tokio::test]
    async fn a_task_that_panics_still_answers_once() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let guard = ReplyGuard::new(RequestId(9), tx);
        let task = tokio::spawn(async move {
            let _guard = guard;
            panic!("boom (expected by this test)");
        });
        assert!(task.await.unwrap_err().is_panic());
        assert_eq!(
            drained(&mut rx),
            vec![(RequestId(9), Outcome::Transport(NO_REPLY.to_string()))]
        );
    }

    #[tokio::test]
    async fn an_aborted_task_still_answers_once() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let guard = ReplyGuard::new(RequestId(4), tx);
        let task = tokio::spawn(async move {
            std::future::pending::<()>().await;
            guard.reply(Outcome::Timeout);
        });
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(
            drained(&mut rx),
            vec![(RequestId(4), Outcome::Transport(NO_REPLY.to_string()))]
        );
    }
}
