//! Fresh stores for tests (this crate's and the crates above it): SQLite in a temp dir,
//! PostgreSQL in a fresh schema of the real server on 127.0.0.1:5432 (override with
//! `RONDA_TEST_PG_URL`). The PostgreSQL tests never skip: without a server they fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{DbLocation, Store, StoreOptions};
use ronda_core::clock::{Clock, SystemClock};

/// Runs a store future to completion on a fresh current-thread runtime (the store's async
/// writes wait on its writer thread, so no timer or IO driver is needed).
pub fn block<F: std::future::Future>(f: F) -> F::Output {
    #[allow(
        clippy::expect_used,
        reason = "test support: a runtime that cannot start is a failed test"
    )]
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
        .block_on(f)
}

pub fn pg_admin_url() -> String {
    std::env::var("RONDA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A store plus what must outlive it (the temp dir, the schema).
pub struct TestDb {
    pub store: Store,
    pub location: DbLocation,
    /// The temp dir of a SQLite store (also usable as a data dir).
    pub dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.store.close();
        if let Some(schema) = &self.schema
            && let Ok(mut c) = postgres::Client::connect(&pg_admin_url(), postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Creates an empty schema and returns a URL whose connections use it.
pub fn fresh_pg_schema() -> (String, String) {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let schema = format!(
        "ronda_t_{}_{}_{}",
        std::process::id(),
        n,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let admin = pg_admin_url();
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} is required for these tests (start it, or set RONDA_TEST_PG_URL): {e}")
    });
    c.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create schema");
    let sep = if admin.contains('?') { '&' } else { '?' };
    (
        format!("{admin}{sep}options=-csearch_path%3D{schema}"),
        schema,
    )
}

/// The sealing key of test stores.
pub const TEST_KEY: [u8; 32] = [7; 32];

/// Writes [`TEST_KEY`] as `<data_dir>/secret.key`, so the `ronda` binary opens a database made
/// by [`open`] with the same key (a different key is refused: `StoreError::KeyMismatch`).
pub fn write_test_key(data_dir: &std::path::Path) {
    std::fs::create_dir_all(data_dir).expect("data dir");
    std::fs::write(data_dir.join("secret.key"), TEST_KEY).expect("write key");
}

/// Opens a store at `location`.
pub fn open(location: DbLocation, clock: Arc<dyn Clock>) -> Store {
    open_with(location, clock, crate::store::DEFAULT_LOCK_TIMEOUT_MS)
}

/// Opens a store at `location` whose writes wait at most `lock_timeout_ms` for the write lock.
pub fn open_with(location: DbLocation, clock: Arc<dyn Clock>, lock_timeout_ms: u64) -> Store {
    Store::open(
        StoreOptions {
            location,
            max_readers: 4,
            sealer: crate::seal::Sealer::new(&TEST_KEY),
            link: ronda_link::LinkConfig::default(),
            deadlines: ronda_core::workflow::DeadlinePolicy::default(),
            lock_timeout_ms,
        },
        clock,
    )
    .expect("open store")
}

pub fn sqlite_with(clock: Arc<dyn Clock>) -> TestDb {
    sqlite_tuned(clock, crate::store::DEFAULT_LOCK_TIMEOUT_MS)
}

/// A fresh SQLite store with a write-lock timeout.
pub fn sqlite_tuned(clock: Arc<dyn Clock>, lock_timeout_ms: u64) -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = DbLocation::default_in(dir.path());
    let store = open_with(location.clone(), clock, lock_timeout_ms);
    store.seed_platforms_blocking("test").expect("seed");
    TestDb {
        store,
        location,
        dir: Some(dir),
        schema: None,
    }
}

pub fn postgres_with(clock: Arc<dyn Clock>) -> TestDb {
    postgres_tuned(clock, crate::store::DEFAULT_LOCK_TIMEOUT_MS)
}

/// A store in a fresh PostgreSQL schema with a write-lock timeout.
pub fn postgres_tuned(clock: Arc<dyn Clock>, lock_timeout_ms: u64) -> TestDb {
    let (url, schema) = fresh_pg_schema();
    let location = DbLocation::Postgres(url);
    let store = open_with(location.clone(), clock, lock_timeout_ms);
    store.seed_platforms_blocking("test").expect("seed");
    TestDb {
        store,
        location,
        dir: None,
        schema: Some(schema),
    }
}

pub fn sqlite() -> TestDb {
    sqlite_with(Arc::new(SystemClock))
}

pub fn postgres() -> TestDb {
    postgres_with(Arc::new(SystemClock))
}

/// Declares each test once and runs it on both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($(fn $name:ident($db:ident: &TestDb) $body:block)+) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(#[test] fn $name() { let $db = &$crate::testing::sqlite(); $body })+
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(#[test] fn $name() { let $db = &$crate::testing::postgres(); $body })+
        }
    };
}
