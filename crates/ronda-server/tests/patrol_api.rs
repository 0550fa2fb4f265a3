//! The patrol's watch lists and frontier over the API, on both backends: who may add, switch
//! and let a list ignore robots.txt, how bad input is answered, what the frontier shows, and
//! that every change is audited under the caller.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::*;
use reqwest::StatusCode;
use ronda_core::model::Role;
use serde_json::json;

api_tests! {
    async fn watch_lists_are_added_switched_and_audited(app) {
        let lead = app.token(Role::Supervisor, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        let body = json!({"name": "Forum Jogja", "seeds": ["https://forum.example/jual-beli", "https://forum.example/feed.xml"],
                          "depth": 1, "every": "6h"});
        let (s, w) = app.post(Some(&lead), "/watchlists", &body).await;
        assert_eq!(s, StatusCode::CREATED, "{w}");
        let id = w["id"].as_i64().unwrap();
        assert_eq!((w["name"].as_str(), w["every"].as_str(), w["scope"].as_str()), (Some("Forum Jogja"), Some("6h"), Some("host")));
        assert_eq!((w["enabled"].as_bool(), w["ignore_robots"].as_bool()), (Some(true), Some(false)));
        assert_eq!(w["frontier"]["queued"], 0);
        assert_eq!(w["findings"], 0);
        assert!(w["created_by"].as_str().unwrap().starts_with("token:"));

        // Bad input names the field; a taken name is a conflict; analysts only read.
        for (bad, field) in [
            (json!({"name": "x", "seeds": ["ftp://forum.example/"]}), "seeds"),
            (json!({"name": "x", "seeds": []}), "seeds"),
            (json!({"name": "", "seeds": ["https://a.example/"]}), "name"),
            (json!({"name": "x", "seeds": ["https://a.example/"], "every": "sometimes"}), "every"),
            (json!({"name": "x", "seeds": ["https://a.example/"], "scope": "world"}), "scope"),
            (json!({"name": "x", "seeds": ["https://a.example/"], "colour": "red"}), "colour"),
            (json!({"name": "x", "seeds": ["https://a.example/cari?q={q}"]}), "keywords"),
            (json!({"name": "x", "seeds": ["https://a.example/"], "keywords": ["open bo"]}), "keywords"),
        ] {
            let (s, v) = app.post(Some(&lead), "/watchlists", &bad).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
            assert_eq!(error_of(&v).1, field, "{bad}: {v}");
        }
        let (s, v) = app.post(Some(&lead), "/watchlists", &body).await;
        assert_eq!((s, error_of(&v).0), (StatusCode::CONFLICT, "conflict"), "{v}");
        let (s, _) = app.post(Some(&analyst), "/watchlists", &json!({"name": "y", "seeds": ["https://a.example/"]})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = app.get(Some(&analyst), &format!("/watchlists/{id}")).await;
        assert_eq!((s, v["name"].as_str()), (StatusCode::OK, Some("Forum Jogja")));
        for missing in ["/watchlists/9999", "/watchlists/abc", "/watchlists/9223372036854775808"] {
            let (s, v) = app.get(Some(&analyst), missing).await;
            assert_eq!((s, error_of(&v).0), (StatusCode::NOT_FOUND, "not_found"), "{missing}: {v}");
        }
        let (s, v) = app.post(Some(&lead), "/watchlists/x1/disable", &json!({})).await;
        assert_eq!((s, error_of(&v).0), (StatusCode::NOT_FOUND, "not_found"), "{v}");

        // robots.txt is an admin's decision: refused to a supervisor at creation and on the switch.
        let (s, v) = app.post(Some(&lead), "/watchlists", &json!({"name": "Situs", "seeds": ["https://s.example/"], "ignore_robots": true})).await;
        assert_eq!((s, error_of(&v)), (StatusCode::FORBIDDEN, ("forbidden", "ignore_robots")), "{v}");
        let (s, _) = put(&app, &lead, &format!("/watchlists/{id}/robots"), &json!({"ignore": true})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = put(&app, &app.admin, &format!("/watchlists/{id}/robots"), &json!({"ignore": true})).await;
        assert_eq!((s, v["ignore_robots"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
        let (s, v) = app.post(Some(&app.admin), "/watchlists", &json!({"name": "Situs", "seeds": ["https://s.example/"], "ignore_robots": true})).await;
        assert_eq!((s, v["ignore_robots"].as_bool()), (StatusCode::CREATED, Some(true)), "{v}");

        let (s, v) = app.post(Some(&lead), &format!("/watchlists/{id}/disable"), &json!({})).await;
        assert_eq!((s, v["enabled"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
        let (s, v) = app.post(Some(&lead), &format!("/watchlists/{id}/enable"), &json!({})).await;
        assert_eq!((s, v["enabled"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
        let (s, v) = app.post(Some(&lead), "/watchlists", &json!({"name": "Cari", "seeds": ["https://a.example/cari?q={q}"],
            "keywords": ["open bo", "slot gacor"], "depth": 0})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["keywords"], json!(["open bo", "slot gacor"]));
        assert_eq!(v["seeds"], json!(["https://a.example/cari?q={q}"]));
        let (_, all) = app.get(Some(&analyst), "/watchlists").await;
        let names: Vec<&str> = all["watchlists"].as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Forum Jogja", "Situs", "Cari"]);

        let actions = app.audit_actions(&format!("watchlist:{id}")).await;
        assert_eq!(actions.first().map(String::as_str), Some("watchlist.created"), "{actions:?}");
        assert_eq!(actions.len(), 4, "created, robots switched, disabled, enabled: {actions:?}");
    }

    async fn the_frontier_shows_urls_hosts_and_errors(app) {
        let analyst = app.token(Role::Analyst, None).await;
        let (s, f) = app.get(Some(&analyst), "/patrol/frontier").await;
        assert_eq!(s, StatusCode::OK, "{f}");
        assert_eq!((f["queued"].as_i64(), f["in_flight"].as_i64(), f["hosts_total"].as_i64()), (Some(0), Some(0), Some(0)));
        assert!(f["hosts"].as_array().unwrap().is_empty() && f["errors"].as_array().unwrap().is_empty());
        for bad in ["/patrol/frontier?limit=0", "/patrol/frontier?limit=5000", "/patrol/frontier?limit=x", "/patrol/frontier?colour=red"] {
            let (s, v) = app.get(Some(&analyst), bad).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        }
        let platform = app.token(Role::Platform, Some("michat")).await;
        let (s, _) = app.get(Some(&platform), "/patrol/frontier").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

async fn put(
    app: &TestApp,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let resp = app
        .client
        .put(format!("{}{path}", app.base))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap_or(serde_json::Value::Null))
}
