//! Detection reloads reach every instance: a reload (endpoint or SIGHUP) is recorded as a
//! version in the store; every `detection_poll_ms` each instance compares the newest version
//! with the one it runs and re-reads its configured rule and model files — and the registered
//! model in use, when one was activated (`ronda models activate`, which records a reload) —
//! when it moved. A file that does not load is logged and the engine in use stays.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use crate::state::{AppState, DETECTION_UNSEEN};

/// What one check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The instance runs the newest version.
    Current,
    /// It reloaded to this version.
    Reloaded(i64),
    /// The files did not load; the engine in use stays (the version is marked as seen).
    Failed(String),
}

/// One check against the store's newest version.
pub async fn try_step(state: &Arc<AppState>) -> Result<Outcome, ronda_store::StoreError> {
    let store = state.store.clone();
    let newest = tokio::task::spawn_blocking(move || store.detection_version())
        .await
        .map_err(|_| ronda_store::StoreError::Closed)??;
    let running = state.detection_version.load(Ordering::SeqCst);
    if running == DETECTION_UNSEEN {
        state.detection_version.fetch_max(newest, Ordering::SeqCst);
        return Ok(Outcome::Current);
    }
    if newest <= running {
        return Ok(Outcome::Current);
    }
    let loaded = state.refresh_detection().await;
    state.detection_version.store(newest, Ordering::SeqCst);
    Ok(match loaded {
        Ok(()) => Outcome::Reloaded(newest),
        Err(e) => Outcome::Failed(e),
    })
}

pub async fn run(state: Arc<AppState>, mut stopping: watch::Receiver<bool>) {
    let mut tick = super::interval(Duration::from_millis(state.config.detection_poll_ms));
    while super::next_tick(&mut tick, &mut stopping).await {
        match try_step(&state).await {
            Ok(Outcome::Current) => {}
            Ok(Outcome::Reloaded(v)) => {
                tracing::info!(
                    version = v,
                    "detection rules and model reloaded (another instance asked)"
                );
            }
            Ok(Outcome::Failed(e)) => {
                tracing::error!(error = %e, "detection reload asked elsewhere failed here; the previous engine stays");
            }
            Err(e) => tracing::warn!(error = %e, "checking the detection version failed"),
        }
    }
}
