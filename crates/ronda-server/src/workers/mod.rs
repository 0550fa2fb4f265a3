//! Background workers. Each is a `try_step` — one pass over the database, returning what it
//! did, tested directly — and a loop that runs it every interval until told to stop.
//!
//! - [`escalation`]: the escalation ladder over overdue notices;
//! - [`webhooks`]: the outbox, one delivery task per platform with due events;
//! - [`detection`]: picks up detection reloads made on any instance;
//! - [`mail`]: when a relay is configured, follows the audit log into the mail outbox and
//!   sends what is due.
//!
//! Every worker is safe with several instances on one database: escalation steps are planned
//! and applied inside one write transaction, webhook events and messages are claimed with a
//! lease, the mail cursor is moved in the transaction that reads past it, and a reload is a
//! version in the store. [`Workers::stop`] lets each loop finish the step it is in
//! (a delivery in flight is recorded) within the shutdown grace; nothing is aborted.

pub mod detection;
pub mod escalation;
pub mod mail;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// The running workers of one process.
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts every worker.
    pub fn spawn(state: &Arc<AppState>) -> Workers {
        let (stop, stopping) = watch::channel(false);
        let handles = vec![
            tokio::spawn(escalation::run(state.clone(), stopping.clone())),
            tokio::spawn(webhooks::run(state.clone(), stopping.clone())),
            tokio::spawn(detection::run(state.clone(), stopping.clone())),
            tokio::spawn(mail::run(state.clone(), stopping)),
        ];
        Workers { stop, handles }
    }

    /// Asks every worker to stop and waits for them, at most `grace`.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let all = async {
            for h in self.handles {
                let _ = h.await;
            }
        };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("workers did not finish within the grace period");
        }
    }
}

/// Waits for the next tick; `false` once a stop was asked.
async fn next_tick(tick: &mut tokio::time::Interval, stopping: &mut watch::Receiver<bool>) -> bool {
    if *stopping.borrow() {
        return false;
    }
    tokio::select! {
        _ = tick.tick() => !*stopping.borrow(),
        _ = stopping.changed() => false,
    }
}

fn interval(period: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(period.max(Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}
