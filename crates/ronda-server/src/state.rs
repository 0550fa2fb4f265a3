//! The application context shared by every handler.

use std::sync::Arc;

use ronda_store::Store;

use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::token_cache::TokenCache;
use ronda_service::config::Config;
use ronda_service::detection::Detector;

/// The detection version of an instance that has not checked the store yet: the engine it
/// loaded at start is the newest reload's, so its first check only takes note of the version
/// (see `workers::detection`).
pub const DETECTION_UNSEEN: i64 = -1;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Config,
    pub metrics: Metrics,
    pub tokens: TokenCache,
    pub public_limiter: RateLimiter,
    /// Console sign-in attempts per client address (`console.sign_in_per_minute`).
    pub sign_in_limiter: RateLimiter,
    /// `POST /media/hash` per token (`media_hash_per_minute`).
    pub media_limiter: RateLimiter<i64>,
    pub detector: Detector,
    /// Megapixels that image decodes may hold at once (`decode_budget_megapixels`).
    pub decode_budget: Arc<tokio::sync::Semaphore>,
    /// The one client for requests Ronda sends out (webhooks), SSRF-safe.
    pub outbound: ronda_outbound::Outbound,
    /// Mail settings, when `[mail]` names a relay (see [`crate::workers::mail`]).
    pub mail: Option<ronda_service::config::MailSettings>,
    /// The detection reload version this instance runs (see [`crate::workers::detection`];
    /// [`DETECTION_UNSEEN`] until its first check).
    pub detection_version: std::sync::atomic::AtomicI64,
    /// The evidence signing key, read (or created) on first use; see [`AppState::signing_key`].
    signing_key: std::sync::OnceLock<[u8; 32]>,
}

impl AppState {
    /// Builds the context; fails when the configured detection rules or model cannot be loaded.
    pub fn new(store: Store, config: Config) -> Result<Self, String> {
        let public_limiter = RateLimiter::new(config.public_per_minute, config.public_burst);
        let sign_in_limiter = RateLimiter::new(
            config.console.sign_in_per_minute,
            config.console.sign_in_per_minute,
        );
        let media_limiter = RateLimiter::new(
            config.media_hash_per_minute,
            config.media_hash_per_minute.div_ceil(4).max(1),
        );
        let detector = Detector::from_config(&config)?;
        let decode_budget = Arc::new(tokio::sync::Semaphore::new(
            config.decode_budget_megapixels as usize,
        ));
        let policy = config.outbound_policy().map_err(|e| e.to_string())?;
        let mail = config.mail.settings(&policy).map_err(|e| e.to_string())?;
        let outbound = ronda_outbound::Outbound::new(policy).map_err(|e| e.to_string())?;
        Ok(Self {
            detection_version: std::sync::atomic::AtomicI64::new(DETECTION_UNSEEN),
            outbound,
            mail,
            store,
            config,
            metrics: Metrics::default(),
            tokens: TokenCache::default(),
            public_limiter,
            sign_in_limiter,
            media_limiter,
            detector,
            decode_budget,
            signing_key: std::sync::OnceLock::new(),
        })
    }

    /// Reloads the detection rules and model here and records the reload, audited under
    /// `actor`, so every other instance follows within `detection_poll_ms`. A file that does not
    /// load is the error and the engine in use stays (nothing recorded).
    pub async fn reload_detection(self: &Arc<Self>, actor: String) -> Result<i64, String> {
        self.refresh_detection().await?;
        let version = self
            .store
            .record_detection_reload(actor)
            .await
            .map_err(|e| e.to_string())?;
        self.detection_version
            .fetch_max(version, std::sync::atomic::Ordering::SeqCst);
        Ok(version)
    }

    /// Re-reads the configured rules and model, with the registered model in use (if one was
    /// activated) instead of the configured model, and the model in the shadow (if any); a file
    /// or a model that does not load leaves the engine in use and is the error.
    pub async fn refresh_detection(self: &Arc<Self>) -> Result<(), String> {
        let s = self.clone();
        tokio::task::spawn_blocking(move || s.detector.refresh(&s.config, &s.store))
            .await
            .map_err(|e| e.to_string())?
    }

    /// The instance's Ed25519 key for evidence bundles (`ronda serve` creates it at start; a
    /// state built elsewhere, as in tests, reads or creates it on first use).
    pub fn signing_key(&self) -> anyhow::Result<[u8; 32]> {
        if let Some(k) = self.signing_key.get() {
            return Ok(*k);
        }
        let k = ronda_service::bootstrap::signing_key(&self.config)?;
        Ok(*self.signing_key.get_or_init(|| k))
    }
}
