//! `mm sim`: the simulator standalone, until Ctrl-C (or SIGTERM).

use crate::cli::SimArgs;
use crate::paper::SimOptions;
use crate::signals::SignalError;

/// Why `mm sim` could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimCmdError {
    #[error("sim: {0}")]
    Signals(#[from] SignalError),
    #[error("sim: cannot start on {addr}: {source}")]
    Start {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

pub async fn run(args: &SimArgs) -> Result<(), SimCmdError> {
    let opts = SimOptions {
        seed: args.seed,
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        faults: args.faults,
        tier: args.tier,
        fills: args.fills,
        drift_bps: 0,
    };
    let mut stop = crate::signals::stop_signals()?;
    let cfg = crate::paper::sim_config(
        &opts,
        mm_core::config::ExchangeConfig::default().request_timeout_ms,
    );
    // What the simulator was given, as it was given it.
    let settings = format!(
        "tier {}, latency {} ms + jitter 0..={} ms, seed {}, faults {}, fills {}",
        tier_name(cfg.tier),
        cfg.latency_ms,
        cfg.jitter_ms,
        cfg.seed,
        cfg.faults,
        if cfg.fills { "on" } else { "off" }
    );
    let sim = mm_sim::Sim::start(cfg, args.addr)
        .await
        .map_err(|source| SimCmdError::Start {
            addr: args.addr,
            source,
        })?;
    eprintln!(
        "mm sim: Bybit v5 simulator at {} (key {:?}, paper account), state at {}/sim/state; Ctrl-C stops it",
        sim.base_url(),
        crate::secrets::PAPER_KEY,
        sim.base_url()
    );
    eprintln!("mm sim: {settings}");
    #[allow(clippy::print_stdout)] // the URL is the subcommand's output, for scripts
    {
        println!("{}", sim.base_url());
    }
    let _ = stop.recv().await;
    eprintln!("mm sim: stopping");
    sim.shutdown().await;
    Ok(())
}

fn tier_name(t: mm_sim::Tier) -> &'static str {
    match t {
        mm_sim::Tier::Default => "default",
        mm_sim::Tier::Institutional => "institutional",
        mm_sim::Tier::Unlimited => "unlimited",
    }
}
