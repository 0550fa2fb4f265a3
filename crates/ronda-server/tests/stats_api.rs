//! `GET /api/v1/stats` on both backends: who may read it, how bad parameters are answered, and
//! that the body is the store's figures for the window.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use ronda_core::clock::SystemClock;
use ronda_core::model::Role;
use ronda_core::wib::{day_number, day_start_ms as wib_day_start_ms, parse_date};
use ronda_server::startup::app;
use ronda_server::state::AppState;
use ronda_service::config::Config;
use ronda_store::stats::{GroupBy, StatsQuery};
use ronda_store::synth::{SynthCase, SynthDecision, SynthNotice};
use ronda_store::testing::{self, TestDb};
use serde_json::Value;
use tower::ServiceExt;

const HOUR: i64 = 3_600_000;

fn wib(y: i32, m: u32, d: u32, h: i64) -> i64 {
    wib_day_start_ms(day_number(y, m, d).unwrap()) + h * HOUR
}

struct Fixture {
    state: Arc<AppState>,
    tokens: Vec<(Role, String)>,
    _db: TestDb,
}

/// Two michat cases in March 2020 (one child-related), both confirmed and removed.
fn fixture(db: TestDb) -> Fixture {
    let store = db.store.clone();
    let michat = store
        .read(|c| {
            c.query_one(
                "SELECT id FROM platforms WHERE name = 'michat'",
                ronda_store::params![],
            )?
            .i64(0)
        })
        .unwrap();
    let case = |id, category, t| SynthCase {
        id,
        platform_id: michat,
        status: "removed",
        category: Some(category),
        priority: 1,
        reports: [1, 0, 1, 0],
        created_at: t,
        previous_case_id: None,
    };
    let notice = |case_id, t, took| SynthNotice {
        case_id,
        platform_id: michat,
        status: "removed",
        category: "prostitution",
        created_at: t,
        deadline: t + 24 * HOUR,
        response_action: Some("removed"),
        responded_at: Some(t + took),
        closed_at: Some(t + took),
    };
    store
        .insert_synthetic_blocking(
            vec![
                case(1, "prostitution", wib(2020, 3, 2, 8)),
                case(2, "child_exploitation", wib(2020, 3, 3, 8)),
            ],
            vec![
                SynthDecision {
                    case_id: 1,
                    decision: "confirm",
                    category: Some("prostitution"),
                    created_at: wib(2020, 3, 2, 9),
                },
                SynthDecision {
                    case_id: 2,
                    decision: "confirm",
                    category: Some("child_exploitation"),
                    created_at: wib(2020, 3, 3, 9),
                },
            ],
            vec![
                notice(1, wib(2020, 3, 2, 9), 2 * HOUR),
                notice(2, wib(2020, 3, 3, 9), 30 * HOUR),
            ],
        )
        .unwrap();
    let mut tokens = Vec::new();
    for (role, platform) in [
        (Role::Admin, None),
        (Role::Supervisor, None),
        (Role::Analyst, None),
        (Role::Police, None),
        (Role::Intake, None),
        (Role::Platform, Some("michat")),
    ] {
        let t = store
            .create_token_blocking("test", "t", role, platform)
            .unwrap();
        tokens.push((role, t.secret));
    }
    let config = Config {
        auth_cache_ms: 0,
        ..Config::default()
    };
    Fixture {
        state: Arc::new(AppState::new(store, config).unwrap()),
        tokens,
        _db: db,
    }
}

impl Fixture {
    fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).unwrap().1
    }

    async fn get(&self, token: Option<&str>, uri: &str) -> (StatusCode, Value) {
        let mut req = Request::get(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = app(self.state.clone())
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn error_of(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap_or("<none>"),
        v["error"]["field"].as_str().unwrap_or("<none>"),
    )
}

async fn stats_over_http(make: fn() -> TestDb) {
    let f = tokio::task::spawn_blocking(move || fixture(make()))
        .await
        .unwrap();
    let uri = "/api/v1/stats?from=2020-03-01&to=2020-03-31&group_by=platform";

    for role in [Role::Admin, Role::Supervisor, Role::Analyst] {
        let (status, _) = f.get(Some(f.token(role)), uri).await;
        assert_eq!(status, StatusCode::OK, "{role:?}");
    }
    for role in [Role::Police, Role::Intake, Role::Platform] {
        let (status, body) = f.get(Some(f.token(role)), uri).await;
        assert_eq!(
            (status, error_of(&body).0),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{role:?}"
        );
    }
    let (status, _) = f.get(None, uri).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = f.get(Some(f.token(Role::Analyst)), uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["from"], "2020-03-01");
    assert_eq!(body["to"], "2020-03-31");
    assert_eq!(body["timezone"], "Asia/Jakarta");
    assert_eq!(body["group_by"], "platform");
    assert_eq!(body["totals"]["cases_opened"], 2);
    assert_eq!(body["totals"]["items_handled"], 4);
    assert_eq!(body["totals"]["child_cases_opened"], 1);
    assert_eq!(body["totals"]["removals_verified"], 2);
    assert_eq!(body["totals"]["removed_within_deadline"], 1);
    let michat = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "michat")
        .unwrap();
    assert_eq!(michat["notices_sent"], 2);
    assert_eq!(body["platforms"][0]["platform"], "michat");
    assert_eq!(body["platforms"][0]["median_ms"], 2 * HOUR);
    assert_eq!(body["platforms"][0]["p90_ms"], 30 * HOUR);
    assert_eq!(body["platforms"][0]["within_deadline_share"], 0.5);
    // The body is the store's answer, serialised.
    let store = f.state.store.clone();
    let now = body["as_of"].clone();
    let direct = tokio::task::spawn_blocking(move || {
        store
            .stats(&StatsQuery {
                from_day: parse_date("2020-03-01").unwrap(),
                to_day: parse_date("2020-03-31").unwrap(),
                now_ms: i64::MAX,
                group_by: Some(GroupBy::Platform),
            })
            .unwrap()
    })
    .await
    .unwrap();
    let mut direct = serde_json::to_value(direct).unwrap();
    direct["as_of"] = now;
    assert_eq!(body, direct);

    let analyst = Some(f.token(Role::Analyst));
    for (query, code, field) in [
        ("from=2020-02-30", "invalid", "from"),
        ("from=yesterday", "invalid", "from"),
        ("to=2020-3-1", "invalid", "to"),
        ("from=2020-03-02&to=2020-03-01", "invalid", "to"),
        ("group_by=week", "invalid_value", "group_by"),
        ("groupby=month", "unknown_field", "groupby"),
    ] {
        let (status, body) = f.get(analyst, &format!("/api/v1/stats?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(error_of(&body), (code, field), "{query}");
    }
    // No parameters: the last 30 days, no breakdown.
    let (status, body) = f.get(analyst, "/api/v1/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["group_by"], Value::Null);
    assert_eq!(body["groups"], serde_json::json!([]));
    let store = f.state.store.clone();
    let _ = tokio::task::spawn_blocking(move || drop((f, store))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_over_http_sqlite() {
    stats_over_http(|| testing::sqlite_with(Arc::new(SystemClock))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_over_http_postgres() {
    stats_over_http(|| testing::postgres_with(Arc::new(SystemClock))).await;
}
