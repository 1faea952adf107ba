//! Exit: the exchange's own view of what is still open, the summary, and
//! the verdict. A session that stopped with orders possibly open (by core's
//! count or the exchange's) fails even though the loop ended cleanly; so
//! does one that shut down because its journal or log could not be written.
//! Every ending after start-up writes `--summary-json`, saying how it ended.

use std::path::Path;

use mm_core::{Config, Outcome};

use super::RunError;
use super::event_loop::{Ending, Session};
use super::startup::Venue;
use crate::client::Client;
use crate::summary::{Ended, RunSummary};

/// Whether the exchange itself is asked what is open at exit. Not after a
/// second signal (the user wants out now, not after more network calls),
/// nor after the exchange refused our credentials (it would refuse again).
/// The embedded simulator is always asked (in-process, instant).
pub(super) fn ask_exchange(session: &Session, ending: &Ending) -> bool {
    !matches!(ending, Ending::SecondSignal(_))
        && !matches!(session.fatal, Some(mm_core::Fatal::Auth { .. }))
}

/// Orders of this session (orderLinkId `<sid>-<n>`) open as the exchange
/// lists them, and the simulator's counters when the venue is a simulator
/// that answers `/sim/state`. Other orders on the account are not ours to
/// count: `shutdown.cancel = "ours"` leaves them open on purpose.
pub(super) async fn exchange_view(
    venue: &Venue,
    client: &Client,
    config: &Config,
    instruments: &[mm_core::Instrument],
    names: &mm_core::WireNames,
    sid: &str,
    ask: bool,
) -> (Option<u64>, Option<mm_sim::SimState>) {
    let prefix = format!("{sid}-");
    let ours = |s: &mm_sim::SimState| {
        s.open_orders
            .iter()
            .filter(|o| o.order_link_id.starts_with(&prefix))
            .count() as u64
    };
    if !ask && !matches!(venue, Venue::Embedded(_)) {
        return (None, None);
    }
    match venue {
        Venue::Embedded(sim) => {
            let s = sim.state();
            (Some(ours(&s)), Some(s))
        }
        Venue::ExternalSim => match fetch_sim_state(client).await {
            Ok(s) => (Some(ours(&s)), Some(s)),
            Err(e) => {
                tracing::warn!("simulator state: {e}");
                (
                    count_open_orders(client, config, instruments, names, &prefix).await,
                    None,
                )
            }
        },
        Venue::Bybit => (
            count_open_orders(client, config, instruments, names, &prefix).await,
            None,
        ),
    }
}

/// The exchange's position of every symbol (`/v5/position/list`, one-way
/// rows), signed as core's (`Sell` negative); `None` if any could not be read.
pub(super) async fn exchange_positions(
    client: &Client,
    config: &Config,
    instruments: &[mm_core::Instrument],
) -> Option<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for i in instruments {
        let rows = match client.positions(config.exchange.category, &i.symbol).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("positions at exit: {e}");
                return None;
            }
        };
        for p in rows.into_iter().filter(|p| p.position_idx == 0) {
            let size = if p.side == "Sell" {
                format!("-{}", p.size)
            } else {
                p.size.to_string()
            };
            out.insert(p.symbol.to_string(), size);
        }
    }
    Some(out)
}

pub(super) fn summary(
    session: &Session,
    ending: &Ending,
    sid: &str,
    exchange_open: Option<u64>,
    sim: Option<&mm_sim::SimState>,
    journal: &Path,
    log: &Path,
) -> RunSummary {
    let t = session.engine.totals();
    RunSummary {
        session_id: sid.to_string(),
        ended: match (ending, &session.fatal) {
            (_, Some(mm_core::Fatal::Auth { .. })) => Ended::AuthFailed,
            (_, Some(mm_core::Fatal::OrphansRefused { .. })) => Ended::OrphansRefused,
            (_, Some(mm_core::Fatal::KillSwitch { .. })) => Ended::KillSwitch,
            (Ending::Stopped, None) if session.write_failure.is_some() => Ended::WriteFailed,
            (Ending::Stopped, None) => Ended::Stopped,
            (Ending::ShutdownOverdue(_), None) => Ended::ShutdownOverdue,
            (Ending::SecondSignal(_), None) => Ended::SecondSignal,
        },
        write_failure: session.write_failure.clone(),
        fatal: session.fatal.as_ref().map(ToString::to_string),
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
        external_quote_sets: t.external_quote_sets,
        refused_quote_sets: t.refused_quote_sets,
        stale_drops: t.stale_drops,
        rejects: t.rejects,
        conflated_ticks: t.conflated,
        market_data_failures: session.stats.market_data_failures,
        // The caller fills it in when the streams ran.
        stream_reconnects: std::collections::BTreeMap::new(),
        fills: std::collections::BTreeMap::new(),
        position_core: std::collections::BTreeMap::new(),
        position_exchange: None,
        max_abs_position: std::collections::BTreeMap::new(),
        risk_blocks: (session.engine.risk_blocks().iter())
            .map(|(l, n)| ((*l).to_string(), *n))
            .collect(),
        kill_switch: session.engine.kill_switch_reason().map(str::to_string),
        resyncs: 0,
        requeued: t.requeued,
        unknown_orders: t.unknowns,
        orphans_found: t.orphans_found,
        orphans_cancelled: t.orphans_cancelled,
        foreign_orders: t.foreign_orders,
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

/// Writes `--summary-json` (if asked), then the verdict: only a session
/// that stopped, wrote everything, and that the exchange confirms left
/// nothing of ours open succeeds. A fatal refusal is exit 3 whatever else.
pub(super) fn conclude(
    summary: RunSummary,
    ending: Ending,
    summary_json: Option<&Path>,
) -> Result<RunSummary, RunError> {
    let written = summary_json.map_or(Ok(()), |path| summary.write(path));
    let failed = |message: String, summary: RunSummary| RunError::Failed {
        message,
        summary: Some(Box::new(summary)),
    };
    let clean =
        ending == Ending::Stopped && summary.write_failure.is_none() && summary.fatal.is_none();
    if !clean && let Err(e) = &written {
        eprintln!("mm: {e}");
    }
    if let Some(fatal) = &summary.fatal {
        let message = format!(
            "the session ended early: {fatal}. Core tracks {} orders; the exchange lists {} of ours",
            summary.open_orders_core,
            exchange_count(&summary)
        );
        if summary.ended == Ended::KillSwitch {
            return Err(RunError::KillSwitch {
                message,
                summary: Some(Box::new(summary)),
            });
        }
        return Err(RunError::Fatal {
            message,
            summary: Some(Box::new(summary)),
        });
    }
    match ending {
        Ending::SecondSignal(message) => return Err(RunError::Interrupted(message)),
        Ending::ShutdownOverdue(message) => return Err(failed(message, summary)),
        Ending::Stopped => {}
    }
    if let Some(w) = &summary.write_failure {
        let message = format!(
            "the session shut down because a write failed ({w}); shutdown finished with core tracking {} orders, the exchange listing {}",
            summary.open_orders_core,
            exchange_count(&summary)
        );
        return Err(failed(message, summary));
    }
    written.map_err(|e| failed(e.to_string(), summary.clone()))?;
    if summary.open_orders_core > 0 || summary.open_orders_exchange.is_some_and(|n| n > 0) {
        let message = format!(
            "shutdown finished with orders possibly open: core tracks {}, the exchange lists {} of ours",
            summary.open_orders_core,
            exchange_count(&summary)
        );
        return Err(failed(message, summary));
    }
    if summary.open_orders_exchange.is_none() {
        let message = "shutdown finished, but the exchange's open orders could not be listed at exit: whether any of ours is still open is unknown; check the exchange".to_string();
        return Err(failed(message, summary));
    }
    Ok(summary)
}

fn exchange_count(s: &RunSummary) -> String {
    s.open_orders_exchange
        .map_or_else(|| "(unknown)".to_string(), |n| n.to_string())
}

/// The simulator's `/sim/state`, through the shared client (its request
/// timeout bounds the wait).
async fn fetch_sim_state(client: &Client) -> Result<mm_sim::SimState, SimStateError> {
    let bytes = client.get_plain("/sim/state").await?;
    Ok(serde_json::from_slice(&bytes)?)
}

#[derive(Debug, thiserror::Error)]
enum SimStateError {
    #[error(transparent)]
    Client(#[from] crate::client::ClientError),
    #[error("/sim/state does not parse: {0}")]
    Parse(#[from] serde_json::Error),
}

/// Open orders whose orderLinkId starts with `prefix`, over every symbol
/// core could trade, by the exchange's open-orders query (every page);
/// `None` if any query fails.
async fn count_open_orders(
    client: &Client,
    config: &Config,
    instruments: &[mm_core::Instrument],
    names: &mm_core::WireNames,
    prefix: &str,
) -> Option<u64> {
    let mut total = 0u64;
    for i in instruments {
        let symbol = names.symbol_id(&i.symbol)?;
        let mut cursor = None;
        for _page in 0..100 {
            let kind = mm_core::RequestKind::OpenOrders {
                category: config.exchange.category,
                symbol,
                order_link_id: None,
                cursor: cursor.clone(),
                limit: 50,
                open_only: false,
            };
            match client.execute(&kind, names).await {
                Outcome::Reply(r) if r.ret_code == 0 => {
                    total += r
                        .orders
                        .iter()
                        .filter(|o| o.order_link_id.starts_with(prefix))
                        .count() as u64;
                    match r.next_cursor {
                        Some(c) if !c.is_empty() && !r.orders.is_empty() => cursor = Some(c),
                        _ => break,
                    }
                }
                other => {
                    tracing::warn!(
                        "open orders of {} at exit: {}",
                        i.symbol,
                        crate::client::describe(&other)
                    );
                    return None;
                }
            }
        }
    }
    Some(total)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn written(ending: Ending, s: RunSummary) -> (Result<RunSummary, RunError>, RunSummary) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let r = conclude(s, ending, Some(&path));
        let text = std::fs::read_to_string(&path).unwrap();
        (r, serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn every_ending_writes_the_summary_and_only_a_clean_one_succeeds() {
        let clean = RunSummary {
            stopped: true,
            open_orders_exchange: Some(0),
            ..RunSummary::default()
        };
        let (r, s) = written(Ending::Stopped, clean.clone());
        assert_eq!(r.unwrap(), clean);
        assert_eq!(s, clean);

        let open = RunSummary {
            open_orders_exchange: Some(3),
            ..clean.clone()
        };
        let (r, s) = written(Ending::Stopped, open.clone());
        assert!(matches!(r, Err(RunError::Failed { .. })), "{r:?}");
        assert_eq!(s, open);

        let broken = RunSummary {
            ended: Ended::WriteFailed,
            write_failure: Some("journal j.mmj: no space".to_string()),
            ..clean.clone()
        };
        let (r, s) = written(Ending::Stopped, broken.clone());
        match r {
            Err(RunError::Failed { message, .. }) => {
                assert!(message.contains("no space"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s, broken);

        let overdue = RunSummary {
            ended: Ended::ShutdownOverdue,
            stopped: false,
            ..clean.clone()
        };
        let (r, s) = written(Ending::ShutdownOverdue("late".to_string()), overdue.clone());
        assert!(matches!(r, Err(RunError::Failed { ref message, .. }) if message == "late"));
        assert_eq!(s, overdue);

        let second = RunSummary {
            ended: Ended::SecondSignal,
            stopped: false,
            open_orders_exchange: None,
            ..clean
        };
        let (r, s) = written(Ending::SecondSignal("again".to_string()), second.clone());
        assert!(matches!(r, Err(RunError::Interrupted(ref m)) if m == "again"));
        assert_eq!(s, second);
    }

    #[test]
    fn an_unknown_exchange_view_is_never_clean() {
        let unknown = RunSummary {
            stopped: true,
            open_orders_exchange: None,
            ..RunSummary::default()
        };
        let (r, s) = written(Ending::Stopped, unknown.clone());
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("could not be listed"), "{e}");
        assert_eq!(s, unknown);
    }

    #[test]
    fn a_kill_switch_ending_writes_the_summary_and_exits_4() {
        let reason =
            "max_loss: PnL -12 (realised + unrealised at mid, every symbol) is a loss above 10";
        let killed = RunSummary {
            ended: Ended::KillSwitch,
            fatal: Some(format!("kill switch: {reason}")),
            kill_switch: Some(reason.to_string()),
            stopped: true,
            open_orders_exchange: Some(0),
            ..RunSummary::default()
        };
        let (r, s) = written(Ending::Stopped, killed.clone());
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), crate::exit_codes::KILL_SWITCH);
        assert!(e.to_string().contains(reason), "{e}");
        assert_eq!(s, killed);
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("\"ended\":\"kill_switch\""), "{text}");
        assert!(
            text.contains(&format!("\"kill_switch\":\"{reason}\"")),
            "{text}"
        );
    }

    #[test]
    fn a_fatal_ending_writes_the_summary_and_exits_3() {
        let fatal = RunSummary {
            ended: Ended::AuthFailed,
            fatal: Some("the exchange refused our credentials (retCode 10003)".to_string()),
            stopped: true,
            open_orders_exchange: None,
            ..RunSummary::default()
        };
        let (r, s) = written(Ending::Stopped, fatal.clone());
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(e.to_string().contains("retCode 10003"), "{e}");
        assert_eq!(s, fatal);
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("\"ended\":\"auth_failed\""), "{text}");
    }
}
