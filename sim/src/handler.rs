//! The HTTP side of a request: IP limit, fault decision, latency, connection drops. The
//! request itself is applied by `dispatch::process` in a spawned task, so it still happens if
//! the client gives up mid-way (as on a real exchange).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use mm_bybit::headers;

use crate::conn::Conn;
use crate::dispatch;
use crate::endpoint::Endpoint;
use crate::faults::Fault;
use crate::reply::Reply;
use crate::shared::Shared;
use crate::state::{self, Counters};
use crate::timer;

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if path.starts_with("/sim/") {
        return inspection(&shared, &method, &path);
    }
    let query = uri.query().unwrap_or("").to_string();
    let ep = Endpoint::route(&method, &path);
    let eligible = ep.is_some_and(|e| e.order_entry() || shared.cfg.faults_everywhere);

    let (arrival, admitted, fault, fault_seq) = {
        let mut inner = shared.lock();
        let now = shared.clock.now_ms();
        let arrival = inner.arrivals;
        inner.arrivals += 1;
        // Keyed by endpoint, not by the client's path, so hostile paths cannot grow the map.
        let key = ep.map_or(state::OTHER_PATH, Endpoint::path);
        Counters::bump(&mut inner.counters.requests_by_path, key, 1);
        let l = &shared.limits;
        let admitted = inner
            .ip
            .admit(l.ip_max_requests, l.ip_window_ms, l.ip_ban_ms, now);
        let (mut fault, mut fault_seq) = (None, None);
        if !admitted {
            inner.counters.ip_limit_rejections += 1;
        } else if eligible {
            let seq = inner.fault_seq;
            inner.fault_seq += 1;
            fault = shared.cfg.faults.decide(shared.cfg.seed, seq);
            fault_seq = Some(seq);
            if let Some(f) = fault {
                Counters::bump(&mut inner.counters.faults_injected, f.name(), 1);
            }
        }
        (arrival, admitted, fault, fault_seq)
    };
    let delay = shared.delay(&path, arrival);
    let hold = std::time::Duration::from_millis(shared.cfg.hold_timeout_ms);

    let started = tokio::time::Instant::now();
    if !admitted {
        timer::sleep_until(started + delay).await;
        shared.released(started, delay);
        return (StatusCode::FORBIDDEN, "access too frequent").into_response();
    }
    let Some(ep) = ep else {
        timer::sleep_until(started + delay).await;
        shared.released(started, delay);
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    match fault {
        Some(Fault::Drop) => return cut(&conn),
        Some(Fault::TimeoutLost) => {
            tokio::time::sleep(hold).await;
            return cut(&conn);
        }
        Some(Fault::Http5xx(code)) => {
            timer::sleep_until(started + delay).await;
            shared.released(started, delay);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = format!("<html><body><h1>{code}</h1>upstream error</body></html>");
            return (status, [(header::CONTENT_TYPE, "text/html")], body).into_response();
        }
        _ => {}
    }

    // Half the latency on the way in, half on the way out, both measured from
    // arrival: sleeping twice in a row would add two timer roundings and the
    // processing time on top of the configured latency.
    let inbound = delay / 2;
    let task = tokio::spawn({
        let shared = shared.clone();
        async move {
            timer::sleep_until(started + inbound).await;
            let body = String::from_utf8_lossy(&body);
            let now = shared.clock.now_ms();
            let mut inner = shared.lock();
            let req = dispatch::Incoming {
                ep,
                headers: &headers,
                query: &query,
                body: &body,
                fault_seq,
                now,
            };
            let reply = dispatch::process(&shared, &mut inner, &req);
            shared.publish(&mut inner);
            reply
        }
    });
    let reply = match task.await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("sim: request task failed: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    timer::sleep_until(started + delay).await;
    if fault != Some(Fault::TimeoutApplied) {
        shared.released(started, delay);
    }
    match fault {
        Some(Fault::TimeoutApplied) => {
            tokio::time::sleep(hold).await;
            cut(&conn)
        }
        Some(Fault::Malformed) => {
            let half = reply.body.len() / 2;
            let truncated = reply.body.get(..half).unwrap_or("{").to_string();
            to_response(Reply {
                body: truncated,
                ..reply
            })
        }
        _ => to_response(reply),
    }
}

/// Drops the connection: whatever we return is never written.
fn cut(conn: &Conn) -> Response {
    conn.kill();
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

fn to_response(r: Reply) -> Response {
    let mut resp = (r.status, r.body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(rl) = r.rate {
        for (name, v) in [
            (headers::LIMIT, u64::from(rl.limit)),
            (headers::LIMIT_STATUS, u64::from(rl.remaining)),
            (headers::LIMIT_RESET_TIMESTAMP, rl.reset_ms),
        ] {
            h.insert(name, HeaderValue::from(v));
        }
    }
    resp
}

/// `GET /sim/state`, `POST /sim/reset-counters`: outside Bybit's paths, never limited,
/// delayed or faulted.
fn inspection(shared: &Shared, method: &Method, path: &str) -> Response {
    match (method.as_str(), path) {
        ("GET", "/sim/state") => axum::Json(shared.state()).into_response(),
        ("POST", "/sim/reset-counters") => {
            shared.reset_counters();
            axum::Json(serde_json::json!({})).into_response()
        }
        _ => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
