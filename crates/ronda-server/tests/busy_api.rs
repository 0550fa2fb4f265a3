//! A write lock held elsewhere (another instance's transaction, a CLI command), on both
//! backends: the instance turns unready, writes answer 503 with `Retry-After` after the lock
//! timeout instead of hanging, nothing half-written stays, and all is well once the lock goes.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use ronda_core::clock::SystemClock;

/// Another store on the app's database holds the write lock for `hold`, from a thread; returns
/// once the lock is held.
async fn hold_write_lock(app: &TestApp, hold: Duration) -> std::thread::JoinHandle<()> {
    let location = app.db.as_ref().unwrap().location.clone();
    let (held, holding) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let other = ronda_store::testing::open(location, Arc::new(SystemClock));
        other
            .write_blocking(1, move |_tx| {
                let _ = held.send(());
                std::thread::sleep(hold);
                Ok(())
            })
            .unwrap();
        other.close();
    });
    tokio::task::spawn_blocking(move || holding.recv().unwrap())
        .await
        .unwrap();
    holder
}

async fn held_write_lock(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.db_lock_timeout_ms = 300;
        c.ready_write_timeout_ms = 1_000;
    })
    .await;
    assert_eq!(app.get(None, "/readyz").await.0, StatusCode::OK);
    let before = app.report_count().await;

    // "Another instance" on the same database holds the write lock for two seconds.
    let holder = hold_write_lock(&app, Duration::from_secs(2)).await;

    let (s, v) = app.get(None, "/readyz").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let resp = app
        .client
        .post(format!("{}/reports", app.base))
        .bearer_auth(&app.admin)
        .json(&report("busy1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(error_of(&v).0, "unavailable", "{v}");

    tokio::task::spawn_blocking(move || holder.join().unwrap())
        .await
        .unwrap();
    assert_eq!(app.get(None, "/readyz").await.0, StatusCode::OK);
    assert_eq!(
        app.report_count().await,
        before,
        "the refused report left nothing"
    );
    let (s, _) = app
        .post(Some(&app.admin), "/reports", &report("busy2"))
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_write_lock_makes_the_instance_unready_and_writes_busy_sqlite() {
    held_write_lock(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_write_lock_makes_the_instance_unready_and_writes_busy_postgres() {
    held_write_lock(Backend::Postgres).await;
}

/// A request that waits longer than `request_timeout_secs` (here behind a held lock with a long
/// lock timeout) is answered 503 `timeout`, not left hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_time_limit_is_answered_503() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.db_lock_timeout_ms = 10_000;
        c.request_timeout_secs = 1;
    })
    .await;
    let holder = hold_write_lock(&app, Duration::from_millis(2_500)).await;
    let started = std::time::Instant::now();
    let (s, v) = app
        .post(Some(&app.admin), "/reports", &report("slow1"))
        .await;
    assert_eq!(
        (s, error_of(&v).0),
        (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
        "{v}"
    );
    assert!(started.elapsed() < Duration::from_millis(2_000));
    tokio::task::spawn_blocking(move || holder.join().unwrap())
        .await
        .unwrap();
}
