//! `/v5/trade`: order entry over a WebSocket, in the `retCode`/`retMsg`/`connId` dialect.
//!
//! `auth` first (the private stream's signature; 10001 expired, 10003 unknown key, 10004 bad
//! signature, 20001 repeated), `ping` answered with the trade pong, then the six order ops.
//! An order op is refused at once, unapplied, when the connection is not authenticated
//! (10007), its `reqId` is longer than 36 characters (10001) or was already used on this
//! connection (20006: among its last [`REQ_IDS_KEPT`] ids, answered or not), or it does not
//! parse (10001, or 10404 for an unknown op). Otherwise it goes to the connection's worker
//! (`trade_queue`), which applies it with REST's rules and quotas and replies.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use mm_bybit::RetExtInfo;
use mm_bybit::retcode;
use mm_bybit::ws::AuthRequest;
use mm_bybit::ws::trade::{TradeCall, TradeReply};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

use crate::auth::{StreamAuthError, stream_auth};
use crate::events::Event;
use crate::order_call::OrderCall;
use crate::reply::OrderResult;
use crate::shared::Shared;
use crate::state::Counters;
use crate::timer;
use crate::trade_queue::{self, Due, Job};
use crate::ws_session::{Channel, Outgoing, Session};

/// How many recent `reqId`s a connection remembers to refuse a repeat (bounded memory).
pub(crate) const REQ_IDS_KEPT: usize = 10_000;

/// Bybit's limit on a `reqId`'s length.
const REQ_ID_MAX: usize = 36;

pub(crate) async fn upgrade(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| async move {
        let session = Session::new(shared.clone(), socket);
        let (out_tx, out) = unbounded_channel();
        let jobs = trade_queue::spawn(shared.clone(), session.conn_id.clone(), out_tx);
        let channel = Trade {
            account: None,
            jobs,
            out,
            waiting: Waiting::default(),
            shared,
            seen: RecentIds::default(),
        };
        session.run(channel).await;
    })
}

struct Trade {
    account: Option<usize>,
    jobs: UnboundedSender<Job>,
    out: UnboundedReceiver<Due>,
    /// What the worker sent that is not due yet.
    waiting: Waiting,
    shared: Arc<Shared>,
    seen: RecentIds,
}

/// Frames waiting for their due time, earliest first (equal ones in the order sent).
#[derive(Default)]
struct Waiting {
    order: BinaryHeap<Reverse<(Instant, u64)>>,
    items: BTreeMap<u64, Due>,
    seq: u64,
}

impl Waiting {
    fn push(&mut self, due: Due) {
        self.seq += 1;
        self.order.push(Reverse((due.when(), self.seq)));
        self.items.insert(self.seq, due);
    }

    fn next(&self) -> Option<Instant> {
        self.order.peek().map(|Reverse((when, _))| *when)
    }

    fn pop(&mut self) -> Option<Due> {
        let Reverse((_, seq)) = self.order.pop()?;
        self.items.remove(&seq)
    }
}

/// The last [`REQ_IDS_KEPT`] `reqId`s of a connection.
#[derive(Default)]
struct RecentIds {
    set: BTreeSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    /// False if `id` is already among them.
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == REQ_IDS_KEPT
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }
}

/// A reply to a request refused before the worker: no `header` (nothing was charged).
fn refusal(conn_id: &str, req_id: Option<String>, op: &str, code: i64, msg: &str) -> String {
    TradeReply {
        req_id,
        ret_code: code,
        ret_msg: msg.to_owned(),
        op: op.to_owned(),
        data: Some(OrderResult::Empty),
        ret_ext_info: Some(RetExtInfo::default()),
        header: None,
        conn_id: conn_id.to_owned(),
    }
    .to_json()
}

impl Trade {
    fn auth(&mut self, s: &Session, a: &AuthRequest) -> String {
        let failure = if self.account.is_some() {
            Some((retcode::REPEAT_AUTH, "Repeat auth"))
        } else {
            let (key, sign) = (a.api_key(), a.args.2.as_str());
            match stream_auth(&s.shared.cfg.accounts, key, a.expires_ms(), sign, s.now()) {
                Ok(account) => {
                    self.account = Some(account);
                    None
                }
                Err(StreamAuthError::Expired) => Some((
                    retcode::PARAMS_ERROR,
                    "Params Error: expires is in the past",
                )),
                Err(StreamAuthError::UnknownKey) => {
                    Some((retcode::INVALID_API_KEY, "API key is invalid."))
                }
                Err(StreamAuthError::BadSignature) => {
                    Some((retcode::SIGN_ERROR, "Signature verification failed"))
                }
            }
        };
        if failure.is_some() {
            s.shared.lock().counters.auth_failures += 1;
        }
        TradeReply::auth(&s.conn_id, failure).to_json()
    }

    /// Queues an order op for the worker; the refusal to send instead, if any.
    fn admit(&mut self, s: &Session, call: TradeCall) -> Option<String> {
        let order = OrderCall::from_trade(call)?;
        let op = order.call.op();
        let refuse =
            |code, msg: &str| Some(refusal(&s.conn_id, order.req_id.clone(), op, code, msg));
        let mut inner = s.shared.lock();
        Counters::bump(&mut inner.counters.requests_by_path, op, 1);
        let Some(account) = self.account else {
            // UNCONFIRMED: the code Bybit sends for an order op before auth.
            return refuse(
                retcode::AUTH_FAILED,
                "Request not authorized: send auth first",
            );
        };
        if let Some(id) = &order.req_id {
            if id.len() > REQ_ID_MAX {
                return refuse(retcode::PARAMS_ERROR, "reqId is longer than 36 characters");
            }
            if !self.seen.insert(id) {
                return refuse(retcode::DUPLICATE_REQ_ID, "reqId is duplicated");
            }
        }
        let arrival = inner.arrivals;
        inner.arrivals += 1;
        let fault_seq = inner.fault_seq;
        inner.fault_seq += 1;
        let cfg = &s.shared.cfg;
        let fault = cfg.faults.decide_trade(cfg.seed, fault_seq);
        if let Some(f) = fault {
            Counters::bump(&mut inner.counters.faults_injected, f.name(), 1);
        }
        drop(inner);
        let job = Job {
            call: order.call,
            req_id: order.req_id,
            header: order.header,
            account,
            fault,
            fault_seq,
            arrival,
            at: Instant::now(),
        };
        // The worker lives as long as this channel; a failed send means it panicked.
        self.jobs.send(job).err().map(|e| {
            refusal(
                &s.conn_id,
                e.0.req_id,
                op,
                retcode::SERVER_ERROR,
                "internal error",
            )
        })
    }
}

impl Channel for Trade {
    async fn on_text(&mut self, s: &mut Session, text: &str) -> bool {
        let reply = match TradeCall::parse(text) {
            Err(e) => {
                let op = e.op.unwrap_or_default();
                refusal(&s.conn_id, e.req_id, &op, e.ret_code, &e.error.to_string())
            }
            Ok(TradeCall::Auth(a)) => self.auth(s, &a),
            Ok(TradeCall::Ping(_)) => TradeReply::pong(&s.conn_id, s.now()).to_json(),
            Ok(call) => match self.admit(s, call) {
                Some(refused) => refused,
                None => return true,
            },
        };
        s.reply_text(reply).await
    }

    async fn on_event(&mut self, _s: &mut Session, _ev: &Event) -> bool {
        true
    }

    async fn on_lag(&mut self, _s: &mut Session) -> bool {
        true
    }

    fn wants_events(&self) -> bool {
        false
    }

    async fn outgoing(&mut self) -> Outgoing {
        // Cancelled at any await (the session's select): what was received is kept in
        // `waiting`, so nothing is lost.
        loop {
            while let Ok(due) = self.out.try_recv() {
                self.waiting.push(due);
            }
            let Some(next) = self.waiting.next() else {
                match self.out.recv().await {
                    Some(due) => self.waiting.push(due),
                    // The worker holds the sender as long as this channel lives; without
                    // it, nothing more can be answered.
                    None => return Outgoing::Drop,
                }
                continue;
            };
            tokio::select! {
                due = self.out.recv() => match due {
                    Some(due) => self.waiting.push(due),
                    None => timer::sleep_until(next).await,
                },
                () = timer::sleep_until(next) => {}
            }
            if self.waiting.next().is_some_and(|n| n <= Instant::now())
                && let Some(due) = self.waiting.pop()
            {
                if matches!(due.out, Outgoing::Text(_)) {
                    self.shared.released(due.at, due.delay);
                }
                return due.out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn req_ids_are_refused_again_until_they_leave_the_bounded_window() {
        let mut seen = RecentIds::default();
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"), "a repeat is refused");
        for i in 1..REQ_IDS_KEPT {
            assert!(seen.insert(&i.to_string()));
        }
        assert!(!seen.insert("a"), "still among the last {REQ_IDS_KEPT}");
        assert!(seen.insert("newest"), "pushes out the oldest, \"a\"");
        assert_eq!(
            (seen.set.len(), seen.order.len()),
            (REQ_IDS_KEPT, REQ_IDS_KEPT)
        );
        assert!(seen.insert("a"), "forgotten once out of the window");
    }
}
