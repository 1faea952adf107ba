//! The command line. Every flag is parsed and checked here (clap), so bad
//! input is a clear message and exit code 2 before anything starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mm",
    version,
    about = "mm-batch: a batching Bybit v5 market maker (core + shell)",
    long_about = "mm-batch: a batching Bybit v5 market maker.\n\nAPI credentials come only from \
                  the environment (BYBIT_API_KEY, BYBIT_API_SECRET), never from flags or files.",
    after_help = crate::exit_codes::RUN_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a session. Without --config: paper mode against an in-process simulator.
    #[command(after_help = crate::exit_codes::RUN_HELP)]
    Run(RunArgs),
    /// Run the Bybit v5 simulator standalone until Ctrl-C.
    Sim(SimArgs),
    /// Run a session journal through core and write its log.
    #[command(after_help = crate::exit_codes::REPLAY_HELP)]
    Replay(ReplayArgs),
    /// Validate a config file; exits non-zero listing every problem.
    CheckConfig(CheckConfigArgs),
    /// The seed scenario side by side (sequential vs batch vs amend).
    Bench(BenchArgs),
}

// The doc comments are `--help` text, where `<session-id>` is meant literally.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// TOML config; without it, paper mode (built-in config, in-process simulator).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Stop (cancel everything, then exit) after this many completed ticks.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub ticks: Option<u64>,
    /// Fixed session id, 1-15 of [A-Za-z0-9] (simulator only; default: from the start time).
    #[arg(long, value_name = "ID")]
    pub session_id: Option<String>,
    /// Session journal [default: runs/<session-id>/journal.mmj].
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Core log [default: runs/<session-id>/core.log].
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Write a JSON summary of the session here on exit.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Serve /metrics here instead of metrics.addr (e.g. 127.0.0.1:0).
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<String>,
    /// Status line period on stderr.
    #[arg(long, value_name = "MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(100..))]
    pub status_every_ms: u64,
    /// How often the config file is checked for changes (SIGHUP also reloads).
    #[arg(long, value_name = "MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..))]
    pub reload_poll_ms: u64,
    /// Take quote sets from your own strategy on this Unix socket path or
    /// loopback IP:PORT (newline-delimited JSON; needs quoting.source = "external").
    #[arg(long, value_name = "ADDR")]
    pub quotes: Option<String>,
    #[command(flatten)]
    pub sim: SimFlags,
}

/// The in-process simulator (paper mode, or `exchange.kind = "sim"` without a base_url).
#[derive(Debug, Clone, Args)]
pub struct SimFlags {
    /// Simulator seed (prices, jitter, faults).
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub sim_seed: u64,
    /// Simulator reply latency.
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub sim_latency_ms: u64,
    /// Simulator jitter (uniform 0..=J on top of the latency).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub sim_jitter_ms: u64,
    /// Fault mix, e.g. "5xx=0.05,timeout_applied=0.02,timeout_lost=0.02,reject=0.01,malformed=0.01".
    #[arg(long, value_name = "SPEC", default_value = "none", value_parser = parse_faults)]
    pub sim_faults: mm_sim::FaultSpec,
    /// Rate-limit tier: default | institutional | unlimited.
    #[arg(long, value_name = "T", default_value = "institutional", value_parser = parse_tier)]
    pub sim_tier: mm_sim::Tier,
    /// Resting orders fill when the simulated market crosses them.
    #[arg(long, value_name = "on|off", default_value = "on", action = clap::ArgAction::Set, value_parser = parse_on_off)]
    pub sim_fills: bool,
    /// A trending market: every walk step also moves mid this many bps
    /// (negative: down), e.g. --sim-drift-bps=-3 to watch risk.max_position hold.
    #[arg(
        long,
        value_name = "BPS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub sim_drift_bps: i32,
}

#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Listen address (loopback unless you mean it).
    #[arg(long, value_name = "A", default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub latency_ms: u64,
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub jitter_ms: u64,
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_name = "SPEC", default_value = "none", value_parser = parse_faults)]
    pub faults: mm_sim::FaultSpec,
    /// default | institutional | unlimited.
    #[arg(long, value_name = "T", default_value = "institutional", value_parser = parse_tier)]
    pub tier: mm_sim::Tier,
    #[arg(long, value_name = "on|off", default_value = "on", action = clap::ArgAction::Set, value_parser = parse_on_off)]
    pub fills: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The journal (.mmj): its first segment (later ones, JOURNAL.1,
    /// JOURNAL.2..., are found by name), or every segment in order.
    #[arg(value_name = "JOURNAL", required = true)]
    pub journal: Vec<PathBuf>,
    /// Write the log here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckConfigArgs {
    /// The TOML config to check.
    pub config: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Ticks per batch mode (legacy runs fewer: each of its ticks is 80 round trips).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub ticks: u64,
    /// Simulator latency: the round trip the physical limit is counted in.
    #[arg(long, value_name = "MS", default_value_t = 20)]
    pub latency_ms: u64,
    /// Simulator jitter (uniform 0..=J on top of the latency).
    #[arg(long, value_name = "MS", default_value_t = 2)]
    pub jitter_ms: u64,
    /// Symbols quoted.
    #[arg(long, value_name = "S", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub symbols: u32,
    /// Levels a side.
    #[arg(long, value_name = "K", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub levels: u32,
    /// Write the results as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Rate-limit tier: "institutional" (1000/s per endpoint: every mode, scale runs) or
    /// "default" (Bybit's default, 10 orders/s per batch endpoint: quote quality when the
    /// budget binds).
    #[arg(long, value_name = "TIER", default_value = "institutional", value_parser = parse_bench_tier)]
    pub tier: mm_sim::Tier,
    /// Only the streams section: fill -> position and book change -> first request, with the
    /// streams and without (institutional tier).
    #[arg(long, conflicts_with = "tier")]
    pub streams_only: bool,
    /// Only the quotes section: a quote set written on the --quotes socket, and pushed through
    /// the Rust API, -> accepted and -> the first order request carrying it.
    #[arg(long, conflicts_with_all = ["tier", "streams_only"])]
    pub quotes_only: bool,
    /// Quote sets a quotes session sends [default: --ticks, at least 10].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub quote_sets: Option<u64>,
}

fn parse_faults(s: &str) -> Result<mm_sim::FaultSpec, String> {
    s.parse::<mm_sim::FaultSpec>()
}

fn parse_tier(s: &str) -> Result<mm_sim::Tier, String> {
    s.parse::<mm_sim::Tier>()
}

/// A Bybit tier: `unlimited` is the simulator's, not one to benchmark against.
fn parse_bench_tier(s: &str) -> Result<mm_sim::Tier, String> {
    match s.parse::<mm_sim::Tier>()? {
        mm_sim::Tier::Unlimited => Err(format!(
            "tier: {s:?} is not a Bybit tier (expected default or institutional)"
        )),
        t => Ok(t),
    }
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        other => Err(format!("{other:?}: expected on or off")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
