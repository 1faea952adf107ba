//! `mm sim`: the simulator standalone, until Ctrl-C (or SIGTERM).

use crate::cli::SimArgs;
use crate::run::SimOptions;

pub async fn run(args: &SimArgs) -> Result<(), String> {
    let opts = SimOptions {
        seed: args.seed,
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        faults: args.faults,
        tier: args.tier,
        fills: args.fills,
    };
    let mut stop = crate::signals::stop_signals()?;
    let cfg = crate::paper::sim_config(
        &opts,
        mm_core::config::ExchangeConfig::default().request_timeout_ms,
    );
    let sim = mm_sim::Sim::start(cfg, args.addr)
        .await
        .map_err(|e| format!("sim: cannot start on {}: {e}", args.addr))?;
    eprintln!(
        "mm sim: Bybit v5 simulator at {} (key {:?}, paper account), state at {}/sim/state; Ctrl-C stops it",
        sim.base_url(),
        crate::secrets::PAPER_KEY,
        sim.base_url()
    );
    #[allow(clippy::print_stdout)] // the URL is the subcommand's output, for scripts
    {
        println!("{}", sim.base_url());
    }
    let _ = stop.recv().await;
    eprintln!("mm sim: stopping");
    sim.shutdown().await;
    Ok(())
}
