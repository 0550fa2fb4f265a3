//! The escalation worker: a pass of `ronda_store::notices::escalate_due` every
//! `escalation_interval_secs`. The pass plans and applies the steps inside one write
//! transaction, so instances and `ronda escalations run` never apply a step twice.

use std::sync::Arc;
use std::time::Duration;

use ronda_store::StoreError;
use tokio::sync::watch;

use crate::state::AppState;

/// One pass at `now`: the number of escalation steps applied.
pub async fn try_step(state: &AppState, now: i64) -> Result<usize, StoreError> {
    let store = state.store.clone();
    let policy = state.config.deadline_policy();
    let steps = tokio::task::spawn_blocking(move || {
        store.run_escalations_blocking("system:escalation", &policy, now)
    })
    .await
    .map_err(|_| StoreError::Closed)??;
    Ok(steps.len())
}

pub async fn run(state: Arc<AppState>, mut stopping: watch::Receiver<bool>) {
    let mut tick = super::interval(Duration::from_secs(state.config.escalation_interval_secs));
    while super::next_tick(&mut tick, &mut stopping).await {
        match try_step(&state, state.store.now_ms()).await {
            Ok(0) => {}
            Ok(steps) => tracing::info!(steps, "escalation rungs applied"),
            Err(e) => tracing::error!(error = %e, "escalation pass failed"),
        }
    }
}
