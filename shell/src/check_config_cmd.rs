//! `mm check-config F`: every problem, or OK. With `exchange.kind = "sim"`
//! the config is checked against the simulator's instruments; otherwise
//! without instruments (no network call), and the output says so.

use mm_core::config::ExchangeKind;

use crate::cli::CheckConfigArgs;
use crate::client::ClientError;
use crate::config_file::LoadError;
use crate::market::MarketError;

/// Why `mm check-config` says no (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CheckConfigError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("check-config: simulator: {0}")]
    Simulator(std::io::Error),
    #[error("check-config: {0}")]
    Client(#[from] ClientError),
    #[error("check-config: instruments: {0}")]
    Instruments(#[from] MarketError),
    /// Every problem against the instruments, one a line.
    #[error("{} is invalid:\n{source}", .path.display())]
    Invalid {
        path: std::path::PathBuf,
        source: mm_core::ConfigError,
    },
}

pub async fn run(args: &CheckConfigArgs) -> Result<String, CheckConfigError> {
    let (config, _) = crate::config_file::load(&args.config)?;
    match config.exchange.kind {
        ExchangeKind::Sim => {
            let sim = mm_sim::Sim::start(
                crate::paper::sim_config(
                    &crate::paper::SimOptions::default(),
                    config.exchange.request_timeout_ms,
                ),
                std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            )
            .await
            .map_err(CheckConfigError::Simulator)?;
            let client = crate::client::Client::new(
                &sim.base_url(),
                crate::secrets::Credentials::paper(),
                config.exchange.recv_window_ms,
                config.exchange.request_timeout_ms,
            )?;
            let instruments = crate::market::fetch_instruments(
                &client,
                config.exchange.category,
                &config.quoting.symbols,
            )
            .await;
            sim.shutdown().await;
            let instruments = instruments?;
            crate::config_file::validate_for(&config, &instruments).map_err(|source| {
                CheckConfigError::Invalid {
                    path: args.config.clone(),
                    source,
                }
            })?;
            Ok(format!(
                "{}: OK (checked against the simulator's instruments)",
                args.config.display()
            ))
        }
        ExchangeKind::Bybit => Ok(format!(
            "{}: OK without instruments (exchange.kind = \"bybit\": tick sizes, qty steps and symbols are checked at start-up)",
            args.config.display()
        )),
    }
}
