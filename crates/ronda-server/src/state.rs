//! The application context shared by every handler.

use ronda_store::Store;

use crate::auth::TokenCache;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Config,
    pub metrics: Metrics,
    pub tokens: TokenCache,
    pub public_limiter: RateLimiter,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Self {
        let public_limiter = RateLimiter::new(config.public_per_minute, config.public_burst);
        Self {
            store,
            config,
            metrics: Metrics::default(),
            tokens: TokenCache::default(),
            public_limiter,
        }
    }
}
