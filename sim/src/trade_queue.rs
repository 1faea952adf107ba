//! One trade-stream connection's order requests, applied in arrival order by a worker task:
//! half the latency after arrival the request is checked (its `header` timestamp and receive
//! window, as REST's headers are) and applied by the same function as REST
//! (`order_call::apply`) under the simulator's lock, the reply follows at the full latency.
//! Requests already received are applied even if the connection goes away, as on an exchange.
//! The seeded trade faults act here: `ws_trade_drop` drops the connection once the request is
//! applied, `ws_trade_lost` eats its reply, `ws_trade_restart` answers 10019 unapplied.
//! Both waits are on `timer`, REST's too, so the two transports see the same latency; the
//! second is the connection's own (`Due`, waited for by `ws_trade`), so a reply is written by
//! the task that wakes for it, as REST's is, with no task in between.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use mm_bybit::RateLimitStatus;
use mm_bybit::ws::TRADE_PATH;
use mm_bybit::ws::trade::reply::{TIME_NOW, TRACE_ID};
use mm_bybit::ws::trade::{TradeHeader, TradeReply, TradeReplyHeader};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::time::Instant;

use crate::auth::{AuthError, check_window};
use crate::faults::TradeFault;
use crate::order_call::{OrderCall, apply};
use crate::reject::Reject;
use crate::reply::Outcome;
use crate::request::Ctx;
use crate::rng::{hash, stream};
use crate::shared::Shared;
use crate::timer;
use crate::ws_session::Outgoing;

/// Bybit's message for 10019 (UNCONFIRMED wording).
const RESTARTING: &str = "service is restarting, please reconnect";

/// An admitted order request.
pub(crate) struct Job {
    pub(crate) call: OrderCall,
    pub(crate) req_id: Option<String>,
    pub(crate) header: TradeHeader,
    pub(crate) account: usize,
    pub(crate) fault: Option<TradeFault>,
    pub(crate) fault_seq: u64,
    /// The request's arrival number (seeds its jitter and trace id).
    pub(crate) arrival: u64,
    pub(crate) at: Instant,
}

/// What the connection sends once `at + delay` has passed: a reply, or (a `Drop` fault,
/// due at once) the end of the connection.
pub(crate) struct Due {
    pub(crate) at: Instant,
    pub(crate) delay: Duration,
    pub(crate) out: Outgoing,
}

impl Due {
    pub(crate) fn when(&self) -> Instant {
        self.at + self.delay
    }
}

/// Starts the worker of connection `conn_id`; it ends once the returned sender is dropped
/// and every job sent before is applied. Replies and drops go to `out`, each with its due time.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    conn_id: String,
    out: UnboundedSender<Due>,
) -> UnboundedSender<Job> {
    let (tx, mut rx) = unbounded_channel::<Job>();
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            let delay = shared.delay(TRADE_PATH, job.arrival);
            // Sequential: a request is never applied before the one that arrived before it.
            timer::sleep_until(job.at + delay / 2).await;
            let text = run(&shared, &conn_id, &job);
            match job.fault {
                Some(TradeFault::Drop) => {
                    let _ = out.send(Due {
                        at: Instant::now(),
                        delay: Duration::ZERO,
                        out: Outgoing::Drop,
                    });
                    continue;
                }
                Some(TradeFault::Lost) => continue,
                Some(TradeFault::Restart) | None => {}
            }
            let _ = out.send(Due {
                at: job.at,
                delay,
                out: Outgoing::Text(text),
            });
        }
    });
    tx
}

/// Checks and applies one job under the lock; its reply's JSON text.
fn run(shared: &Shared, conn_id: &str, job: &Job) -> String {
    let now = shared.clock.now_ms();
    let out = {
        let mut inner = shared.lock();
        let out = if job.fault == Some(TradeFault::Restart) {
            Outcome::fail(&Reject {
                code: mm_bybit::retcode::SERVICE_RESTARTING,
                msg: RESTARTING.into(),
            })
        } else {
            let window = job.header.recv_window.as_deref();
            match check_window(&job.header.timestamp, window, now) {
                Err(e) => {
                    inner.counters.auth_failures += 1;
                    Outcome::fail(&rejection(e))
                }
                Ok(_) => {
                    let ep = job.call.endpoint();
                    let cx = Ctx {
                        shared,
                        ep,
                        tally: job.call.op(),
                        account: job.account,
                        fault_seq: Some(job.fault_seq),
                        now,
                    };
                    apply(&cx, &mut inner, &job.call)
                }
            }
        };
        shared.publish(&mut inner);
        out
    };
    let trace = trace_id(shared.cfg.seed, job.arrival);
    TradeReply {
        req_id: job.req_id.clone(),
        ret_code: out.code,
        ret_msg: out.msg,
        op: job.call.op().to_owned(),
        data: Some(out.result),
        ret_ext_info: Some(out.ext),
        header: Some(reply_header(out.rate, &trace, now)),
        conn_id: conn_id.to_owned(),
    }
    .to_json()
}

/// A header refusal as a reject (the window check only gives retCodes).
fn rejection(e: AuthError) -> Reject {
    match e {
        AuthError::Code(code, msg) => Reject { code, msg },
        AuthError::Http(_, msg) => Reject {
            code: mm_bybit::retcode::PARAMS_ERROR,
            msg: msg.into(),
        },
    }
}

/// The reply's `header`: the rate-limit state when the request was charged to a limited
/// counter, always the trace id and server time.
fn reply_header(rate: Option<RateLimitStatus>, trace: &str, now: u64) -> TradeReplyHeader {
    match rate {
        Some(r) => TradeReplyHeader::new(r, trace, now),
        None => TradeReplyHeader(BTreeMap::from([
            (TRACE_ID.to_owned(), trace.to_owned()),
            (TIME_NOW.to_owned(), now.to_string()),
        ])),
    }
}

/// 32 hex digits, like Bybit's `Traceid`.
fn trace_id(seed: u64, arrival: u64) -> String {
    let a = hash(&[seed, stream::TRACE_ID, arrival]);
    let b = hash(&[seed, stream::TRACE_ID, arrival, 1]);
    format!("{a:016x}{b:016x}")
}
