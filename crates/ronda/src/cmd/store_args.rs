//! The options every store-touching subcommand shares, and how they become a configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ronda_core::clock::SystemClock;
use ronda_service::config::{Config, Overrides};
use ronda_store::Store;

#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Configuration file (TOML). Settings also come from RONDA_* environment variables.
    #[arg(long, env = "RONDA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the embedded database, the admin token and keys [default: ./ronda-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database: postgres://USER@HOST/DB or sqlite://PATH [default: SQLite in the data dir].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// Loads the layered configuration; errors are `ConfigError` (exit code 2).
    pub fn config(&self, listen: Option<SocketAddr>) -> anyhow::Result<Config> {
        let overrides = Overrides {
            listen,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
        };
        Ok(Config::load(self.config.as_deref(), &overrides)?)
    }

    /// Loads the configuration and opens the store.
    pub fn open(&self) -> anyhow::Result<(Config, Store)> {
        let config = self.config(None)?;
        let store = ronda_service::bootstrap::open_store(&config, Arc::new(SystemClock))?;
        Ok((config, store))
    }
}

/// The audit actor for a CLI command: `cli:<user>`.
pub fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}
