//! The webhook worker: every `webhook_interval_ms`, each platform with a due event that this
//! instance is not already serving gets a task that claims and sends that platform's events one
//! by one until none is due (see `ronda_store::webhooks` for the claims). Platforms never wait
//! for each other; a stop lets each task record the delivery in flight and end.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::state::AppState;

/// Platforms this instance is delivering to now.
type Busy = Arc<Mutex<HashSet<i64>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One pass: starts a delivery task for every platform with due events and none running here;
/// returns how many it started.
pub async fn try_step(
    state: &Arc<AppState>,
    busy: &Busy,
    tasks: &mut JoinSet<()>,
    stopping: &watch::Receiver<bool>,
) -> Result<usize, ronda_store::StoreError> {
    let serving: Vec<i64> = lock(busy).iter().copied().collect();
    let store = state.store.clone();
    let platforms =
        tokio::task::spawn_blocking(move || store.due_platforms(store.now_ms(), &serving))
            .await
            .map_err(|_| ronda_store::StoreError::Closed)??;
    let mut started = 0;
    for platform in platforms {
        if !lock(busy).insert(platform) {
            continue;
        }
        let (state, busy, stopping) = (state.clone(), busy.clone(), stopping.clone());
        tasks.spawn(async move {
            deliver_platform(&state, platform, &stopping).await;
            lock(&busy).remove(&platform);
        });
        started += 1;
    }
    Ok(started)
}

pub async fn run(state: Arc<AppState>, mut stopping: watch::Receiver<bool>) {
    let busy: Busy = Arc::default();
    let mut tasks = JoinSet::new();
    let mut tick = super::interval(Duration::from_millis(state.config.webhook_interval_ms));
    while super::next_tick(&mut tick, &mut stopping).await {
        while tasks.try_join_next().is_some() {}
        if let Err(e) = try_step(&state, &busy, &mut tasks, &stopping).await {
            tracing::error!(error = %e, "reading the webhook outbox failed");
        }
    }
    // Stopping: each task ends after the delivery it is in.
    while tasks.join_next().await.is_some() {}
}

/// Sends one platform's due events in order, each under a claim longer than a request can
/// take, until none is due or a stop is asked.
async fn deliver_platform(state: &AppState, platform: i64, stopping: &watch::Receiver<bool>) {
    let timeout_ms =
        i64::try_from(state.config.webhook_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let lease_ms = timeout_ms.saturating_mul(2).saturating_add(30_000);
    while !*stopping.borrow() {
        let d = match state.store.claim_delivery(platform, lease_ms).await {
            Ok(Some(d)) => d,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(platform, error = %e, "claiming a webhook event failed");
                return;
            }
        };
        let ts = state.store.now_ms() / 1000;
        let signature = ronda_core::webhook::sign(&d.secret, ts, d.payload.as_bytes());
        let ts = ts.to_string();
        let headers = [
            ("content-type", "application/json"),
            ("x-ronda-timestamp", ts.as_str()),
            ("x-ronda-signature", signature.as_str()),
            ("x-ronda-delivery", d.delivery_id.as_str()),
        ];
        let sent = state
            .outbound
            .post(&d.url, &headers, d.payload.clone().into_bytes())
            .await;
        let (status, error) = match sent {
            Ok(status) => (Some(status), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let base = state.config.webhook_backoff_ms;
        if let Err(e) = state
            .store
            .record_delivery(d.outbox_id, d.claim_token, status, error, base)
            .await
        {
            tracing::error!(outbox_id = d.outbox_id, error = %e, "recording a webhook attempt failed");
            return;
        }
    }
}
