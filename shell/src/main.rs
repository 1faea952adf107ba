//! `mm`: see `mm --help`. What each exit status means is `mm_shell::exit_codes`
//! (the text `--help` shows is there too).

use clap::Parser;
use mm_shell::cli::{Cli, Command, RunArgs};
use mm_shell::exit_codes;
use mm_shell::{RunOptions, SimOptions};

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mm: cannot start the runtime: {e}");
            std::process::exit(exit_codes::PROBLEM);
        }
    };
    let code = runtime.block_on(dispatch(cli.command));
    // Do not wait for tasks still holding connections (e.g. an abandoned request).
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    std::process::exit(code);
}

async fn dispatch(command: Command) -> i32 {
    match command {
        Command::Run(args) => run(args).await,
        Command::Sim(args) => report(mm_shell::sim_cmd::run(&args).await),
        Command::Replay(args) => mm_shell::replay_cmd::run(&args),
        Command::CheckConfig(args) => match mm_shell::check_config_cmd::run(&args).await {
            Ok(msg) => {
                println!("{msg}");
                exit_codes::CLEAN
            }
            Err(e) => {
                eprintln!("mm check-config: {e}");
                exit_codes::USAGE
            }
        },
        Command::Bench(args) => report(mm_shell::bench::run(args).await),
    }
}

fn report(r: Result<(), impl std::fmt::Display>) -> i32 {
    match r {
        Ok(()) => exit_codes::CLEAN,
        Err(e) => {
            eprintln!("mm: {e}");
            exit_codes::PROBLEM
        }
    }
}

async fn run(args: RunArgs) -> i32 {
    let opts = RunOptions {
        config_path: args.config,
        config: None,
        ticks: args.ticks,
        session_id: args.session_id,
        journal: args.journal,
        log: args.log,
        summary_json: args.summary_json,
        metrics_addr: args.metrics_addr,
        status_every_ms: args.status_every_ms,
        reload_poll_ms: args.reload_poll_ms,
        sim: SimOptions {
            seed: args.sim.sim_seed,
            latency_ms: args.sim.sim_latency_ms,
            jitter_ms: args.sim.sim_jitter_ms,
            faults: args.sim.sim_faults,
            tier: args.sim.sim_tier,
            fills: args.sim.sim_fills,
            drift_bps: args.sim.sim_drift_bps,
        },
        signals: true,
        quiet: false,
        quotes_addr: args.quotes,
        link: None,
    };
    match mm_shell::run_session(opts).await {
        Ok(s) => {
            eprintln!(
                "mm: session {} ended cleanly: {} ticks, {:.1} requests/tick, p95 tick {} ms, open orders: core {}, exchange {}",
                s.session_id,
                s.ticks,
                s.requests_per_tick,
                s.tick_ms.p95,
                s.open_orders_core,
                s.open_orders_exchange
                    .map_or_else(|| "?".to_string(), |n| n.to_string())
            );
            exit_codes::CLEAN
        }
        Err(e) => {
            // run_session wrote --summary-json already, on every ending it had.
            eprintln!("mm: {e}");
            e.exit_code()
        }
    }
}
