//! The harness of the HTTP tests: a real server on a free port, a real client, on SQLite or on
//! the real PostgreSQL.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "test code: each test binary uses part of the harness; a panic is a failed test"
)]

pub mod browser;

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::StatusCode;
use ronda_core::clock::SystemClock;
use ronda_core::model::Role;
use ronda_server::startup::Application;
use ronda_server::state::AppState;
use ronda_service::config::Config;
use ronda_store::testing::{self, TestDb};
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub state: Arc<AppState>,
    pub db: Option<TestDb>,
    /// The data directory (signing key and other files), never the source tree.
    pub data: tempfile::TempDir,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        // Closing a store may talk to PostgreSQL through the blocking client, which must not
        // run on an async worker thread.
        if let Some(db) = self.db.take() {
            let _ = std::thread::spawn(move || drop(db)).join();
        }
    }
}

#[derive(Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let data = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data.path().to_path_buf(),
            auth_cache_ms: 0,
            // Port 9 (discard) on loopback: where tests register receivers that are never up.
            // Every other internal address stays refused, as in production.
            outbound_allow: vec!["127.0.0.1:9".into()],
            ..Config::default()
        };
        tweak(&mut config);
        let lock_timeout = config.db_lock_timeout_ms;
        let (db, admin) = tokio::task::spawn_blocking(move || {
            let db = match backend {
                Backend::Sqlite => testing::sqlite_tuned(Arc::new(SystemClock), lock_timeout),
                Backend::Postgres => testing::postgres_tuned(Arc::new(SystemClock), lock_timeout),
            };
            let admin = db
                .store
                .create_token_blocking("test", "admin", Role::Admin, None)
                .unwrap()
                .secret;
            (db, admin)
        })
        .await
        .unwrap();
        let mut app = TestApp {
            base: String::new(),
            client: reqwest::Client::new(),
            admin,
            state: Arc::new(AppState::new(db.store.clone(), config).unwrap()),
            db: Some(db),
            data,
            stop: None,
            running: None,
        };
        app.start().await;
        app
    }

    /// A second instance on this app's database, as another `ronda serve` would be (its own
    /// workers, caches and detection engine).
    pub async fn spawn_beside(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let location = self.db.as_ref().unwrap().location.clone();
        let store =
            tokio::task::spawn_blocking(move || testing::open(location, Arc::new(SystemClock)))
                .await
                .unwrap();
        let data = tempfile::tempdir().unwrap();
        let mut config = self.state.config.clone();
        config.data_dir = data.path().to_path_buf();
        tweak(&mut config);
        let mut app = TestApp {
            base: String::new(),
            client: reqwest::Client::new(),
            admin: self.admin.clone(),
            state: Arc::new(AppState::new(store, config).unwrap()),
            db: None,
            data,
            stop: None,
            running: None,
        };
        app.start().await;
        app
    }

    pub async fn start(&mut self) {
        let app = Application::bind(self.state.clone()).await.unwrap();
        let addr = app.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.running = Some(tokio::spawn(app.run(async move {
            let _ = stopped.await;
        })));
        self.base = format!("http://{addr}/api/v1");
        self.stop = Some(stop);
    }

    /// Stops the server as SIGTERM would (its store closes) and starts a new process-like
    /// server on the same database.
    pub async fn restart(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.running.take() {
            let _ = h.await;
        }
        let location = self.db.as_ref().unwrap().location.clone();
        let store =
            tokio::task::spawn_blocking(move || testing::open(location, Arc::new(SystemClock)))
                .await
                .unwrap();
        self.state = Arc::new(AppState::new(store, self.state.config.clone()).unwrap());
        self.start().await;
    }

    /// A patrol report of `text` about MiChat account `account`; its case id.
    pub async fn patrol_report(&self, account: &str, text: &str) -> i64 {
        let (s, v) = self
            .post(
                Some(&self.admin),
                "/reports",
                &json!({"source": "patrol", "platform": "michat", "target": {"account": account}, "text": text}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["case_id"].as_i64().unwrap()
    }

    pub async fn token(&self, role: Role, platform: Option<&str>) -> String {
        let store = self.state.store.clone();
        let platform = platform.map(str::to_string);
        tokio::task::spawn_blocking(move || {
            store
                .create_token_blocking("test", "t", role, platform.as_deref())
                .unwrap()
                .secret
        })
        .await
        .unwrap()
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
    ) -> (StatusCode, Value) {
        // A server that refuses an oversized body answers before reading it and closes the
        // connection; a client still writing can see the reset instead of the answer. That race
        // is the transport's, not the API's: try again (the answer is checked by the caller).
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .client
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.admin)
                .body(body.clone());
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    return (status, resp.json().await.unwrap_or(Value::Null));
                }
                Err(e) if attempt < 5 && body.len() > 1 << 20 => {
                    eprintln!("retrying an oversized request after a transport error: {e}");
                }
                Err(e) => panic!("request failed: {e}"),
            }
        }
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn report_count(&self) -> i64 {
        let store = self.state.store.clone();
        tokio::task::spawn_blocking(move || store.counts().unwrap().reports)
            .await
            .unwrap()
    }
}

pub fn report(handle: &str) -> Value {
    json!({"source": "patrol", "platform": "michat", "target": {"account": handle}, "text": "open bo"})
}

/// Body, content type, expected status, error code and field.
pub type BadCase = (
    Vec<u8>,
    Option<&'static str>,
    StatusCode,
    &'static str,
    &'static str,
);

pub fn error_of(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap_or("<none>"),
        v["error"]["field"].as_str().unwrap_or("<none>"),
    )
}

#[macro_export]
macro_rules! api_tests {
    ($(async fn $name:ident($app:ident) $body:block)+) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { let $app = TestApp::spawn(Backend::Sqlite).await; $body })+
        }
        mod postgres {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { let $app = TestApp::spawn(Backend::Postgres).await; $body })+
        }
    };
}

impl TestApp {
    /// The actions audited on `target`, in order.
    pub async fn audit_actions(&self, target: &str) -> Vec<String> {
        let store = self.state.store.clone();
        let target = target.to_string();
        tokio::task::spawn_blocking(move || {
            store
                .audit_events_for(&target)
                .unwrap()
                .into_iter()
                .map(|e| e.action)
                .collect()
        })
        .await
        .unwrap()
    }

    /// GET returning the raw body (zips) and its content type.
    pub async fn get_bytes(&self, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ct, resp.bytes().await.unwrap().to_vec())
    }
}
