//! The application context shared by every handler.

use ronda_store::Store;

use crate::auth::TokenCache;
use crate::config::Config;
use crate::detection::{Detector, load_engine};
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Config,
    pub metrics: Metrics,
    pub tokens: TokenCache,
    pub public_limiter: RateLimiter,
    pub detector: Detector,
}

impl AppState {
    /// Builds the context; fails when the configured detection rules or model cannot be loaded.
    pub fn new(store: Store, config: Config) -> Result<Self, String> {
        let public_limiter = RateLimiter::new(config.public_per_minute, config.public_burst);
        let detector = Detector::new(load_engine(&config)?, &config.link_config());
        Ok(Self {
            store,
            config,
            metrics: Metrics::default(),
            tokens: TokenCache::default(),
            public_limiter,
            detector,
        })
    }
}
