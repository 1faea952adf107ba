//! Exit: the exchange's own view of what is still open, the summary, and
//! the verdict. A session that stopped with orders possibly open (by core's
//! count or the exchange's) fails even though the loop ended cleanly.

use std::path::Path;

use mm_core::{Config, Outcome};

use super::RunError;
use super::event_loop::Session;
use super::startup::Venue;
use crate::client::Client;
use crate::summary::RunSummary;

/// Open orders as the exchange lists them, and the simulator's counters when
/// the venue is a simulator that answers `/sim/state`.
pub(super) async fn exchange_view(
    venue: &Venue,
    client: &Client,
    config: &Config,
    instruments: &[mm_core::Instrument],
) -> (Option<u64>, Option<mm_sim::SimState>) {
    match venue {
        Venue::Embedded(sim) => {
            let s = sim.state();
            (Some(s.open_orders.len() as u64), Some(s))
        }
        Venue::ExternalSim => match fetch_sim_state(client).await {
            Ok(s) => (Some(s.open_orders.len() as u64), Some(s)),
            Err(e) => {
                tracing::warn!("simulator state: {e}");
                (count_open_orders(client, config, instruments).await, None)
            }
        },
        Venue::Bybit => (count_open_orders(client, config, instruments).await, None),
    }
}

pub(super) fn summary(
    session: &Session,
    sid: &str,
    exchange_open: Option<u64>,
    sim: Option<&mm_sim::SimState>,
    journal: &Path,
    log: &Path,
) -> RunSummary {
    let t = session.engine.totals();
    RunSummary {
        session_id: sid.to_string(),
        ticks: session.stats.ticks,
        ticks_started: t.ticks,
        requests_per_tick: session.stats.requests_per_tick(),
        requests_by_endpoint: t
            .requests
            .iter()
            .map(|(e, n)| (e.name().to_string(), *n))
            .collect(),
        commands_by_op: t
            .commands
            .iter()
            .map(|(o, n)| (o.name().to_string(), *n))
            .collect(),
        tick_ms: crate::summary::TickMs {
            p50: session.stats.percentile(50),
            p95: session.stats.percentile(95),
            p99: session.stats.percentile(99),
        },
        fallbacks: t.fallbacks,
        stale_drops: t.stale_drops,
        rejects: t.rejects,
        conflated_ticks: t.conflated,
        requeued: t.requeued,
        unknown_orders: t.unknowns,
        open_orders_core: session.engine.orders().len() as u64,
        open_orders_exchange: exchange_open,
        rate_limit_rejections: sim.map(|s| s.rate_limit_rejections),
        exchange_requests_by_path: sim.map(|s| s.requests_by_path.clone()),
        exchange_faults_injected: sim.map(|s| s.faults_injected.clone()),
        stopped: session.stopped,
        journal: journal.display().to_string(),
        log: log.display().to_string(),
    }
}

/// Writes `--summary-json` (if asked) and fails the run if anything may
/// still be open.
pub(super) fn conclude(
    summary: RunSummary,
    summary_json: Option<&Path>,
) -> Result<RunSummary, RunError> {
    if let Some(path) = summary_json {
        summary.write(path).map_err(|e| RunError::Failed {
            message: e,
            summary: Some(Box::new(summary.clone())),
        })?;
    }
    if summary.open_orders_core > 0 || summary.open_orders_exchange.is_some_and(|n| n > 0) {
        return Err(RunError::Failed {
            message: format!(
                "shutdown finished with orders possibly open: core tracks {}, the exchange lists {}",
                summary.open_orders_core,
                summary
                    .open_orders_exchange
                    .map_or_else(|| "(unknown)".to_string(), |n| n.to_string())
            ),
            summary: Some(Box::new(summary)),
        });
    }
    Ok(summary)
}

async fn fetch_sim_state(client: &Client) -> Result<mm_sim::SimState, String> {
    let url = format!("{}/sim/state", client.base_url());
    let body = reqwest::get(url)
        .await
        .map_err(|e| e.without_url().to_string())?;
    let bytes = body
        .bytes()
        .await
        .map_err(|e| e.without_url().to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("/sim/state does not parse: {e}"))
}

/// Open orders of every symbol core could trade, by the exchange's
/// open-orders query (every page); `None` if any query fails.
async fn count_open_orders(
    client: &Client,
    config: &Config,
    instruments: &[mm_core::Instrument],
) -> Option<u64> {
    let mut total = 0u64;
    for symbol in instruments.iter().map(|i| &i.symbol) {
        let mut cursor = None;
        for _page in 0..100 {
            let kind = mm_core::RequestKind::OpenOrders {
                category: config.exchange.category,
                symbol: symbol.clone(),
                order_link_id: None,
                cursor: cursor.clone(),
                limit: 50,
            };
            match client.execute(&kind).await {
                Outcome::Reply(r) if r.ret_code == 0 => {
                    total += r.orders.len() as u64;
                    match r.next_cursor {
                        Some(c) if !c.is_empty() && !r.orders.is_empty() => cursor = Some(c),
                        _ => break,
                    }
                }
                other => {
                    tracing::warn!(
                        "open orders of {symbol} at exit: {}",
                        crate::client::describe(&other)
                    );
                    return None;
                }
            }
        }
    }
    Some(total)
}
