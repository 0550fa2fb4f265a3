//! The HTTP API end to end: a real server on a free port, a real client, each test on SQLite
//! and on the real PostgreSQL.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use std::sync::Arc;

use common::*;
use reqwest::StatusCode;
use ronda_core::model::Role;
use serde_json::{Value, json};

api_tests! {
    async fn reports_open_and_join_cases(app) {
        let (s, a) = app.post(Some(&app.admin), "/reports", &report("Rina22")).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        assert_eq!(a["new_case"], true);
        let mut second = report("@rina22");
        second["source"] = json!("public");
        let (s, b) = app.post(Some(&app.admin), "/reports", &second).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!((b["case_id"].clone(), b["new_case"].clone()), (a["case_id"].clone(), json!(false)));
        let (s, case) = app.get(Some(&app.admin), &format!("/cases/{}", a["case_id"])).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(case["status"], "new");
        assert_eq!(case["platform"], "michat");
        assert_eq!(case["target"], json!({"account": "rina22"}));
        assert_eq!(case["reports"], json!({"total": 2, "by_source": {"patrol": 1, "police": 0, "public": 1, "platform": 0}}));
        for field in ["created_at", "updated_at", "first_reported_at", "last_reported_at"] {
            assert!(case[field].as_str().unwrap().ends_with('Z'), "{field}");
        }
    }

    async fn tokens_and_roles_are_enforced(app) {
        let (s, v) = app.post(None, "/reports", &report("a")).await;
        assert_eq!((s, error_of(&v).0), (StatusCode::UNAUTHORIZED, "unauthorized"));
        let (s, _) = app.post(Some("rnd_not-a-token"), "/reports", &report("a")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let intake = app.token(Role::Intake, None).await;
        let (s, _) = app.post(Some(&intake), "/reports", &report("a")).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, v) = app.get(Some(&intake), "/cases").await;
        assert_eq!((s, error_of(&v).0), (StatusCode::FORBIDDEN, "forbidden"));
        let (s, _) = app.post(Some(&intake), "/platforms", &json!({"name": "newapp"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A platform token reports as itself, about itself, and sees only its own cases.
        let wa = app.token(Role::Platform, Some("whatsapp")).await;
        let (s, v) = app.post(Some(&wa), "/reports", &report("b")).await;
        assert_eq!((s, error_of(&v)), (StatusCode::FORBIDDEN, ("forbidden", "source")));
        let mut own = report("c");
        own["source"] = json!("platform");
        let (s, v) = app.post(Some(&wa), "/reports", &own).await;
        assert_eq!((s, error_of(&v)), (StatusCode::FORBIDDEN, ("forbidden", "platform")));
        own["platform"] = json!("whatsapp");
        let (s, mine) = app.post(Some(&wa), "/reports", &own).await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, all) = app.get(Some(&wa), "/cases").await;
        let ids: Vec<&Value> = all["cases"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
        assert_eq!(ids, vec![&mine["case_id"]]);
        let (_, other) = app.get(Some(&wa), "/cases?platform=michat").await;
        assert_eq!(other["cases"], json!([]));
        let (s, _) = app.get(Some(&wa), "/cases/1").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another platform's case does not exist for it");
    }

    async fn bad_input_gets_a_stable_error_and_stores_nothing(app) {
        let before = app.report_count().await;
        let cases: Vec<BadCase> = vec![
            (b"{not json".to_vec(), Some("application/json"), StatusCode::BAD_REQUEST, "malformed_json", "<none>"),
            (br#"{"source":"patrol","platform":"michat","target":{"account":"a"},"colour":1}"#.to_vec(), Some("application/json"), StatusCode::UNPROCESSABLE_ENTITY, "unknown_field", "colour"),
            (br#"{"source":"crawler","platform":"michat","target":{"account":"a"}}"#.to_vec(), Some("application/json"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "source"),
            (br#"{"source":"patrol","platform":"michat","target":{"account":7}}"#.to_vec(), Some("application/json"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_type", "target.account"),
            (br#"{"source":"patrol","platform":"michat","target":{"url":"notaurl"}}"#.to_vec(), Some("application/json"), StatusCode::UNPROCESSABLE_ENTITY, "invalid", "target.url"),
            (br#"{"source":"patrol","platform":"nosuch","target":{"account":"a"}}"#.to_vec(), Some("application/json"), StatusCode::UNPROCESSABLE_ENTITY, "unknown", "platform"),
            (br#"{"source":"patrol","platform":"michat"}"#.to_vec(), Some("application/json"), StatusCode::UNPROCESSABLE_ENTITY, "required", "target"),
            (br#"{"source":"patrol","platform":"michat","target":{"account":"a"}}"#.to_vec(), None, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "<none>"),
            (format!(r#"{{"source":"patrol","platform":"michat","target":{{"account":"a"}},"text":"{}"}}"#, "x".repeat(20_001)).into_bytes(), Some("application/json"), StatusCode::UNPROCESSABLE_ENTITY, "too_long", "text"),
            (format!(r#"{{"source":"patrol","platform":"michat","target":{{"account":"a"}},"text":"{}"}}"#, "x".repeat(2 << 20)).into_bytes(), Some("application/json"), StatusCode::PAYLOAD_TOO_LARGE, "too_large", "<none>"),
        ];
        for (body, ct, status, code, field) in cases {
            let (s, v) = app.post_raw("/reports", body, ct).await;
            assert_eq!((s, error_of(&v)), (status, (code, field)), "{v}");
            assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        assert_eq!(app.report_count().await, before);
        // A fresh connection: the server closes the one whose oversized body it refused
        // unread, and the client's pool may not have seen that yet.
        let resp = reqwest::Client::new().get(format!("{}/nowhere", app.base)).bearer_auth(&app.admin).send().await.unwrap();
        let s = resp.status();
        let v: Value = resp.json().await.unwrap();
        assert_eq!((s, error_of(&v).0), (StatusCode::NOT_FOUND, "not_found"));
    }

    async fn batches_answer_item_by_item_and_replay_external_ids(app) {
        let mut dup = report("x1");
        dup["external_id"] = json!("crawl-77");
        let body = json!({"reports": [dup, {"source": "patrol"}, report("x1"), {"nonsense": true}, report("x2")]});
        let (s, v) = app.post(Some(&app.admin), "/reports:batch", &body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let r = v["results"].as_array().unwrap();
        assert_eq!(r.len(), 5);
        assert_eq!(r[0]["new_case"], true);
        assert_eq!(error_of(&r[1]), ("required", "platform"));
        assert_eq!((r[2]["case_id"].clone(), r[2]["new_case"].clone()), (r[0]["case_id"].clone(), json!(false)));
        assert_eq!(error_of(&r[3]), ("unknown_field", "nonsense"));
        assert!(r[4]["report_id"].is_i64());
        let count = app.report_count().await;
        let (_, again) = app.post(Some(&app.admin), "/reports:batch", &json!({"reports": [dup]})).await;
        assert_eq!(again["results"][0]["report_id"], r[0]["report_id"]);
        assert_eq!(app.report_count().await, count, "a replayed external_id stores nothing");
        let too_many: Vec<Value> = (0..10_001).map(|_| json!({})).collect();
        let (s, v) = app.post(Some(&app.admin), "/reports:batch", &json!({"reports": too_many})).await;
        assert_eq!((s, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("too_many", "reports")));
    }

    async fn an_idempotency_key_returns_the_first_result(app) {
        let send = || app.client.post(format!("{}/reports", app.base)).bearer_auth(&app.admin)
            .header("Idempotency-Key", "abc-123").json(&report("idem")).send();
        let first = send().await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        let second = send().await.unwrap();
        assert_eq!(second.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
        let second: Value = second.json().await.unwrap();
        assert_eq!(first, second);
        assert_eq!(app.report_count().await, 1);
    }

    async fn the_public_files_and_follows_reports(app) {
        let body = json!({"platform": "michat", "target": {"url": "https://michat.example/p/9"},
                          "description": "iklan", "reporter": {"contact": "warga@example.org"}});
        let (s, v) = app.post(None, "/public/reports", &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let code = v["tracking_code"].as_str().unwrap().to_string();
        assert_eq!(v.as_object().unwrap().len(), 1, "nothing but the tracking code: {v}");
        let (s, st) = app.get(None, &format!("/public/reports/{}", code.to_lowercase())).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(st["status"], "received");
        assert!(st.get("case_id").is_none() && !st.to_string().contains("warga"));
        let (s, _) = app.get(None, "/public/reports/0000-0000-0000").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let mut with_source = body.clone();
        with_source["source"] = json!("police");
        let (s, v) = app.post(None, "/public/reports", &with_source).await;
        assert_eq!((s, error_of(&v).1), (StatusCode::UNPROCESSABLE_ENTITY, "source"));
        // The case shows the public report without revealing the reporter.
        let (_, cases) = app.get(Some(&app.admin), "/cases?source=public").await;
        assert_eq!(cases["cases"].as_array().unwrap().len(), 1);
        assert!(!cases.to_string().contains("warga@example.org"));
    }

    async fn platforms_are_registered_by_admins(app) {
        let (s, p) = app.post(Some(&app.admin), "/platforms", &json!({"name": "LineApp", "display_name": "LINE"})).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(p["name"], "lineapp");
        let (s, v) = app.post(Some(&app.admin), "/platforms", &json!({"name": "lineapp"})).await;
        assert_eq!((s, error_of(&v).0), (StatusCode::CONFLICT, "conflict"));
        let (s, v) = app.post(Some(&app.admin), "/platforms", &json!({"name": "bad name"})).await;
        assert_eq!((s, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "platform")));
        let analyst = app.token(Role::Analyst, None).await;
        let (s, list) = app.get(Some(&analyst), "/platforms").await;
        assert_eq!(s, StatusCode::OK);
        assert!(list["platforms"].as_array().unwrap().iter().any(|p| p["name"] == "lineapp"));
    }

    async fn cases_list_filters_and_pages(app) {
        for i in 0..5 {
            let mut r = report(&format!("p{i}"));
            if i < 2 { r["source"] = json!("police"); r["category"] = json!("gambling"); }
            app.post(Some(&app.admin), "/reports", &r).await;
        }
        let (_, page1) = app.get(Some(&app.admin), "/cases?limit=3").await;
        assert_eq!(page1["cases"].as_array().unwrap().len(), 3);
        let cursor = page1["next_cursor"].as_str().unwrap();
        let (_, page2) = app.get(Some(&app.admin), &format!("/cases?limit=3&cursor={cursor}")).await;
        assert_eq!(page2["cases"].as_array().unwrap().len(), 2);
        assert!(page2["next_cursor"].is_null());
        let (_, police) = app.get(Some(&app.admin), "/cases?source=police&priority=high&category=gambling&status=new&platform=michat").await;
        assert_eq!(police["cases"].as_array().unwrap().len(), 2);
        for (q, field) in [("status=open", "status"), ("limit=0", "limit"), ("cursor=zzz", "cursor"), ("colour=red", "colour")] {
            let (s, v) = app.get(Some(&app.admin), &format!("/cases?{q}")).await;
            assert_eq!((s, error_of(&v).1), (StatusCode::UNPROCESSABLE_ENTITY, field), "{q}");
        }
    }

    async fn health_readiness_and_metrics(app) {
        let (s, _) = app.get(None, "/healthz").await;
        assert_eq!(s, StatusCode::OK);
        let (s, r) = app.get(None, "/readyz").await;
        assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("ready")));
        app.post(Some(&app.admin), "/reports", &report("m")).await;
        // Metrics need an admin or supervisor token.
        let (s, e) = app.get(None, "/metrics").await;
        assert_eq!((s, error_of(&e).0), (StatusCode::UNAUTHORIZED, "unauthorized"));
        let analyst = app.token(Role::Analyst, None).await;
        let (s, _) = app.get(Some(&analyst), "/metrics").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let text = app.client.get(format!("{}/metrics", app.base)).bearer_auth(&app.admin).send().await.unwrap().text().await.unwrap();
        assert!(text.contains("ronda_reports_accepted_total{source=\"patrol\"} 1"), "{text}");
        assert!(text.contains("route=\"/api/v1/reports\",status=\"201\""), "{text}");
    }

    // The OpenAPI document is served without a token, and what it says about a response
    // matches what the endpoint answers (the fuzzing run checks every operation).
    async fn the_openapi_document_is_served_and_describes_the_answers(app) {
        let (s, doc) = app.get(None, "/openapi.json").await;
        assert_eq!(s, StatusCode::OK);
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{doc}");
        assert_eq!(doc["servers"][0]["url"], "/api/v1");
        let op = &doc["paths"]["/reports"]["post"];
        assert_eq!(op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/AcceptedBody");
        assert!(op["responses"]["422"]["description"].as_str().is_some_and(|d| d.contains("`invalid`")), "{op}");
        let required: Vec<&str> = doc["components"]["schemas"]["AcceptedBody"]["required"]
            .as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        let (s, body) = app.post(Some(&app.admin), "/reports", &report("openapi")).await;
        assert_eq!(s, StatusCode::CREATED);
        for field in &required {
            assert!(body.get(*field).is_some(), "{field} missing from {body}");
        }
        let statuses = &doc["components"]["schemas"]["CaseStatus"]["enum"];
        assert!(statuses.as_array().unwrap().iter().any(|v| v == "new"), "{statuses}");
    }

    async fn garbage_never_breaks_the_server(app) {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..200 {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            let len = (seed % 300) as usize;
            let mut body: Vec<u8> = (0..len).map(|j| (seed.rotate_left(j as u32 % 64) & 0xff) as u8).collect();
            if i % 3 == 0 { body = format!(r#"{{"source":"patrol","platform":"michat","target":{{"account":"{}"}}}}"#, String::from_utf8_lossy(&body).replace('"', "")).into_bytes(); }
            let (s, v) = app.post_raw(if i % 2 == 0 { "/reports" } else { "/reports:batch" }, body, Some("application/json")).await;
            assert!(s.as_u16() < 500, "{s} {v}");
        }
        let (s, _) = app.get(None, "/healthz").await;
        assert_eq!(s, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_reports_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.public_per_minute = 1;
        c.public_burst = 2;
    })
    .await;
    let body = json!({"platform": "michat", "target": {"account": "spam"}});
    for _ in 0..2 {
        let (s, _) = app.post(None, "/public/reports", &body).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let resp = app
        .client
        .post(format!("{}/public/reports", app.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
    let v: Value = resp.json().await.unwrap();
    assert_eq!(error_of(&v).0, "rate_limited");
}

/// Hash banks and media endpoints (issue 4). Only synthetic hashes and the benign reference
/// images of `tests/data/pdq` are used.
mod banks {
    use super::*;

    const IMAGE_PDQ: &str = "ad64cd9875e131a177b1f2a0d6b38ae1de9ea80421e4c51dde1b0363deba3466";
    const H1: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    const H2: &str = "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af";

    fn image() -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/pdq/images/random_image_from_test.png");
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    impl TestApp {
        async fn send(
            &self,
            method: reqwest::Method,
            token: &str,
            path: &str,
            body: Option<(Vec<u8>, &str)>,
        ) -> (StatusCode, String, String) {
            let mut req = self
                .client
                .request(method, format!("{}{path}", self.base))
                .bearer_auth(token);
            if let Some((bytes, ct)) = body {
                req = req.header("content-type", ct).body(bytes);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let ct = resp
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, ct, resp.text().await.unwrap())
        }

        async fn send_json(
            &self,
            method: reqwest::Method,
            token: &str,
            path: &str,
            body: &Value,
        ) -> (StatusCode, Value) {
            let (s, _, text) = self
                .send(
                    method,
                    token,
                    path,
                    Some((body.to_string().into_bytes(), "application/json")),
                )
                .await;
            (s, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
    }

    api_tests! {
        async fn banks_are_created_filled_and_exported(app) {
            let analyst = app.token(Role::Analyst, None).await;
            let (s, v) = app.get(Some(&analyst), "/banks").await;
            assert_eq!((s, v), (StatusCode::OK, json!({"banks": []})));
            let body = json!({"name": "ads", "category": "solicitation_photos"});
            let (s, v) = app.post(Some(&analyst), "/banks", &body).await;
            assert_eq!((s, error_of(&v).0), (StatusCode::FORBIDDEN, "forbidden"));
            let intake = app.token(Role::Intake, None).await;
            let (s, _) = app.get(Some(&intake), "/banks").await;
            assert_eq!(s, StatusCode::FORBIDDEN);

            let (s, v) = app.post(Some(&app.admin), "/banks", &body).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            assert_eq!((v["threshold"].clone(), v["min_quality"].clone(), v["enabled"].clone(), v["hash_count"].clone()), (json!(31), json!(50), json!(true), json!(0)));
            let (s, v) = app.post(Some(&app.admin), "/banks", &body).await;
            assert_eq!((s, error_of(&v).0), (StatusCode::CONFLICT, "conflict"));
            let (s, v) = app.post(Some(&app.admin), "/banks", &json!({"name": "x", "category": "Bad Cat"})).await;
            assert_eq!((s, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "category")));
            let (s, v) = app.post(Some(&app.admin), "/banks", &json!({"name": "a b", "category": "ncii"})).await;
            assert_eq!((s, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "name")));
            let (s, _) = app.get(Some(&analyst), "/banks/nope").await;
            assert_eq!(s, StatusCode::NOT_FOUND);

            let (s, v) = app.send_json(reqwest::Method::PATCH, &app.admin, "/banks/ads", &json!({"threshold": 20})).await;
            assert_eq!((s, v["threshold"].clone()), (StatusCode::OK, json!(20)));
            let (s, v) = app.send_json(reqwest::Method::PATCH, &app.admin, "/banks/ads", &json!({"threshold": 500})).await;
            assert_eq!((s, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "threshold")));
            let (s, _) = app.send_json(reqwest::Method::PATCH, &analyst, "/banks/ads", &json!({"enabled": false})).await;
            assert_eq!(s, StatusCode::FORBIDDEN);

            // JSON entries: bad hex names its item and adds nothing.
            let (s, v) = app.post(Some(&app.admin), "/banks/ads/hashes", &json!({"hashes": [H1, "xyz"]})).await;
            assert_eq!((s, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "hashes[1]")));
            let (s, v) = app.post(Some(&app.admin), "/banks/ads/hashes", &json!({"hashes": [H1, {"pdq": H2, "quality": 90, "label": "ad template"}]})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!((v["added"].clone(), v["duplicates"].clone(), v["retroactive_matches"].clone()), (json!(2), json!(0), json!(0)));
            // A CSV list: one duplicate, one new; a bad line names its line.
            let csv = format!("pdq,quality,label\n{H2},90,ad template\n{},,\n", IMAGE_PDQ);
            let (s, _, text) = app.send(reqwest::Method::POST, &app.admin, "/banks/ads/hashes", Some((csv.into_bytes(), "text/csv"))).await;
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!((s, v["added"].clone(), v["duplicates"].clone()), (StatusCode::OK, json!(1), json!(1)), "{v}");
            let (s, _, text) = app.send(reqwest::Method::POST, &app.admin, "/banks/ads/hashes", Some((format!("{H1}\nnothex\n").into_bytes(), "text/plain"))).await;
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!((s, error_of(&v).1), (StatusCode::UNPROCESSABLE_ENTITY, "body"));
            assert!(v["error"]["message"].as_str().unwrap().contains("line 2"), "{v}");
            let (s, v) = app.post(Some(&app.admin), "/banks/nope/hashes", &json!({"hashes": [H1]})).await;
            assert_eq!((s, error_of(&v).0), (StatusCode::NOT_FOUND, "not_found"));

            let (s, ct, text) = app.send(reqwest::Method::GET, &analyst, "/banks/ads/hashes", None).await;
            assert_eq!(s, StatusCode::OK);
            assert!(ct.starts_with("text/csv"), "{ct}");
            assert_eq!(text, format!("pdq,quality,label\n{H1},,\n{H2},90,ad template\n{IMAGE_PDQ},,\n"));
            let (_, v) = app.get(Some(&analyst), "/banks/ads").await;
            assert_eq!(v["hash_count"], 3);
        }

        async fn media_is_hashed_matched_and_shown_on_cases(app) {
            // Hashing an upload: the reference vector, and a non-image.
            let intake = app.token(Role::Intake, None).await;
            let (s, _, text) = app.send(reqwest::Method::POST, &intake, "/media/hash", Some((image(), "image/png"))).await;
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!((v["pdq"].as_str(), v["quality"].as_u64()), (Some(IMAGE_PDQ), Some(100)));
            assert_eq!(v["sha256"].as_str().unwrap().len(), 64);
            assert_eq!(v["md5"].as_str().unwrap().len(), 32);
            let (s, _, text) = app.send(reqwest::Method::POST, &intake, "/media/hash", Some((b"just some text".to_vec(), "image/png"))).await;
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!((s, error_of(&v).0), (StatusCode::UNPROCESSABLE_ENTITY, "bad_image"));
            let platform = app.token(Role::Platform, Some("michat")).await;
            let (s, _, _) = app.send(reqwest::Method::POST, &platform, "/media/hash", Some((image(), "image/png"))).await;
            assert_eq!(s, StatusCode::FORBIDDEN);

            // Banks: the image is known abuse material in this synthetic setup; an allowlist
            // holds H1.
            for (name, category) in [("known", "child_exploitation"), ("fp", "allowlist"), ("ads", "solicitation_photos")] {
                let (s, _) = app.post(Some(&app.admin), "/banks", &json!({"name": name, "category": category})).await;
                assert_eq!(s, StatusCode::CREATED);
            }
            // The old bank category name is an alias: stored and shown as child_exploitation.
            let (s, legacy) = app.post(Some(&app.admin), "/banks", &json!({"name": "legacy", "category": "child_abuse_known"})).await;
            assert_eq!((s, legacy["category"].as_str()), (StatusCode::CREATED, Some("child_exploitation")), "{legacy}");
            app.post(Some(&app.admin), "/banks/known/hashes", &json!({"hashes": [{"pdq": IMAGE_PDQ, "label": "ref"}]})).await;
            app.post(Some(&app.admin), "/banks/fp/hashes", &json!({"hashes": [H1]})).await;
            app.post(Some(&app.admin), "/banks/ads/hashes", &json!({"hashes": [H1, H2]})).await;

            let (s, v) = app.post(Some(&intake), "/media/match", &json!({"hashes": [IMAGE_PDQ, H1, H2.to_uppercase()]})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let r = &v["results"];
            assert_eq!(r[0]["matches"], json!([{"bank": "known", "category": "child_exploitation", "matches": [{"hash": IMAGE_PDQ, "distance": 0, "label": "ref"}]}]));
            assert_eq!(r[1]["matches"], json!([]));
            assert_eq!(r[1]["allowlisted"][0]["bank"], "fp");
            assert_eq!(r[1]["suppressed"][0]["bank"], "ads");
            assert_eq!(r[2]["matches"][0]["bank"], "ads");
            let (s, v) = app.post(Some(&intake), "/media/match", &json!({"hashes": [H1, "abc"]})).await;
            assert_eq!((s, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "hashes[1]")));
            let (s, v) = app.post(Some(&intake), "/media/match", &json!({"hashes": [H1], "radius": 500})).await;
            assert_eq!((s, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "radius")));
            let police = app.token(Role::Police, None).await;
            let (s, _) = app.post(Some(&police), "/media/match", &json!({"hashes": [H1]})).await;
            assert_eq!(s, StatusCode::FORBIDDEN);

            // Intake: a report whose media matches the known bank opens an urgent case.
            let mut r = report("poster1");
            r["media"] = json!([{"pdq": IMAGE_PDQ}]);
            let (s, a) = app.post(Some(&intake), "/reports", &r).await;
            assert_eq!(s, StatusCode::CREATED, "{a}");
            let (_, case) = app.get(Some(&app.admin), &format!("/cases/{}", a["case_id"])).await;
            assert_eq!((case["priority"].as_str(), case["category"].as_str()), (Some("urgent"), Some("child_exploitation")));
            assert_eq!(case["media_matches"][0]["bank"], "known");
            assert_eq!(case["media_matches"][0]["category"], "child_exploitation");
            assert_eq!(case["child_safety"], "bank_match");
            assert_eq!(case["media_matches"][0]["distance"], 0);
            assert_eq!(case["media_matches"][0]["pdq"], IMAGE_PDQ);
            let (_, plain) = app.post(Some(&intake), "/reports", &report("poster2")).await;
            let (_, case) = app.get(Some(&app.admin), &format!("/cases/{}", plain["case_id"])).await;
            // Without media nothing matches: its text ("open bo") makes it high, never urgent.
            assert_eq!((case["priority"].as_str(), case["media_matches"].clone()), (Some("high"), json!([])));
        }
    }

    async fn upload_limits(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.max_upload_bytes = 4096).await;
        let (s, _, _) = app
            .send(
                reqwest::Method::POST,
                &app.admin,
                "/media/hash",
                Some((image(), "image/png")),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "the 2 KB image fits");
        let (s, _, text) = app
            .send(
                reqwest::Method::POST,
                &app.admin,
                "/media/hash",
                Some((vec![0_u8; 10_000], "image/png")),
            )
            .await;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(
            (s, error_of(&v).0),
            (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
        );
        let (s, _, _) = app
            .send(
                reqwest::Method::POST,
                &app.admin,
                "/media/hash",
                Some((image(), "multipart/form-data; boundary=x")),
            )
            .await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (s, _, text) = app
            .send(
                reqwest::Method::POST,
                &app.admin,
                "/media/hash",
                Some((Vec::new(), "image/png")),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upload_limits_sqlite() {
        upload_limits(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upload_limits_postgres() {
        upload_limits(Backend::Postgres).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_queue_over_http_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        let a1 = app.token(Role::Analyst, None).await;
        let a2 = app.token(Role::Analyst, None).await;
        let intake = app.token(Role::Intake, None).await;
        let (_, normal) = app.post(Some(&intake), "/reports", &report("q1")).await;
        let mut u = report("q2");
        u["category"] = json!("child_exploitation");
        let (_, urgent) = app.post(Some(&intake), "/reports", &u).await;
        let (s, q) = app.get(Some(&a1), "/queue").await;
        assert_eq!(s, StatusCode::OK);
        let ids: Vec<&Value> = q["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["id"])
            .collect();
        assert_eq!(
            ids,
            vec![&urgent["case_id"], &normal["case_id"]],
            "urgent first"
        );
        let (s, _) = app.get(Some(&intake), "/queue").await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        let case = normal["case_id"].as_i64().unwrap();
        let (s, c) = app
            .post(Some(&a1), &format!("/cases/{case}/claim"), &json!({}))
            .await;
        assert_eq!(
            (s, c["status"].as_str()),
            (StatusCode::OK, Some("in_review"))
        );
        let (s, v) = app
            .post(Some(&a2), &format!("/cases/{case}/claim"), &json!({}))
            .await;
        assert_eq!((s, error_of(&v).0), (StatusCode::CONFLICT, "conflict"));
        let decision = json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1", "note": "iklan"});
        let (s, v) = app
            .post(Some(&a2), &format!("/cases/{case}/decision"), &decision)
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let (s, v) = app.post(Some(&a1), &format!("/cases/{case}/decision"), &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "pasal_99"})).await;
        assert_eq!(
            (s, error_of(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "legal_basis"))
        );
        let (s, v) = app
            .post(
                Some(&a1),
                &format!("/cases/{case}/decision"),
                &json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(
            (s, error_of(&v)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                ("invalid_value", "decision")
            )
        );
        let (s, v) = app
            .post(Some(&a1), &format!("/cases/{case}/decision"), &decision)
            .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("notice_sent")),
            "{v}"
        );
        let notice_id = v["notice_id"].as_i64().unwrap();
        let (_, shown) = app.get(Some(&a1), &format!("/cases/{case}")).await;
        assert_eq!(
            (shown["status"].as_str(), shown["category"].as_str()),
            (Some("notice_sent"), Some("prostitution"))
        );
        // Deciding again is not a state the machine allows: 409 naming what is.
        let (s, v) = app
            .post(
                Some(&app.admin),
                &format!("/cases/{case}/decision"),
                &json!({"decision": "reject"}),
            )
            .await;
        assert_eq!(
            (s, error_of(&v).0),
            (StatusCode::CONFLICT, "illegal_transition")
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("allowed: acknowledge (POST /api/v1/platform/notices/{notice}/response), claim_removal"),
            "{v}"
        );
        // The platform API: MiChat sees its notice, WhatsApp does not.
        let michat = app.token(Role::Platform, Some("michat")).await;
        let wa = app.token(Role::Platform, Some("whatsapp")).await;
        let (s, list) = app.get(Some(&michat), "/platform/notices").await;
        assert_eq!(s, StatusCode::OK);
        let n = &list["notices"][0];
        assert_eq!(
            (
                n["id"].as_i64(),
                n["case_id"].as_i64(),
                n["status"].as_str()
            ),
            (Some(notice_id), Some(case), Some("sent"))
        );
        assert!(
            n["deadline"].as_str().unwrap().ends_with('Z')
                && n["deadline_local"].as_str().unwrap().ends_with("WIB")
        );
        assert_eq!(n["escalation"]["step"], "none");
        let (_, other) = app.get(Some(&wa), "/platform/notices").await;
        assert_eq!(other["notices"], json!([]));
        let (s, _) = app
            .get(Some(&wa), &format!("/platform/notices/{notice_id}"))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = app
            .post(
                Some(&wa),
                &format!("/platform/notices/{notice_id}/response"),
                &json!({"action": "removed"}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = app
            .post(
                Some(&michat),
                &format!("/platform/notices/{notice_id}/response"),
                &json!({"action": "refused"}),
            )
            .await;
        assert_eq!(
            (s, error_of(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, ("required", "reason"))
        );
        let (s, ack) = app
            .post(
                Some(&michat),
                &format!("/platform/notices/{notice_id}/response"),
                &json!({"action": "acknowledged"}),
            )
            .await;
        assert_eq!(
            (s, ack["status"].as_str()),
            (StatusCode::OK, Some("acknowledged")),
            "{ack}"
        );
        let (_, acked) = app.get(Some(&a1), &format!("/cases/{case}")).await;
        assert_eq!(acked["status"], "acknowledged");
        let (s, first) = app
            .post(
                Some(&michat),
                &format!("/platform/notices/{notice_id}/response"),
                &json!({"action": "removed", "reason": "akun ditutup"}),
            )
            .await;
        assert_eq!(
            (s, first["status"].as_str()),
            (StatusCode::OK, Some("removal_claimed")),
            "{first}"
        );
        let (_, second) = app
            .post(
                Some(&michat),
                &format!("/platform/notices/{notice_id}/response"),
                &json!({"action": "removed", "reason": "akun ditutup"}),
            )
            .await;
        assert_eq!(first, second, "idempotent");
        let (s, _) = app.get(Some(&a1), "/platform/notices").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The patrol re-checks: removed. The case is verified removed.
        let (s, r) = app
            .post(
                Some(&intake),
                &format!("/cases/{case}/recheck"),
                &json!({"result": "removed"}),
            )
            .await;
        assert_eq!(
            (s, r["status"].as_str()),
            (StatusCode::OK, Some("removed")),
            "{r}"
        );
        let (_, staff) = app.get(Some(&a1), &format!("/notices/{notice_id}")).await;
        assert_eq!(staff["status"], "removed");
        assert!(staff["closed_at"].is_string());
        let (s, b) = app.get(Some(&a1), "/legal-bases").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            b["legal_bases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["code"] == "uu_44_2008")
        );
        let (s, _) = app.get(Some(&a1), "/cases/999999/claim").await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        let (s, v) = app.post(Some(&a1), "/cases/999999/claim", &json!({})).await;
        assert_eq!((s, error_of(&v).0), (StatusCode::NOT_FOUND, "not_found"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_runs_detection_and_stores_it_on_the_case() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        let mut ad = report("det1");
        ad["text"] = json!("R3ady 0p3n B0 malam ini, rate 350k, wa 0812-3456-7890");
        let (_, a) = app.post(Some(&app.admin), "/reports", &ad).await;
        let mut shop = report("det2");
        shop["text"] = json!("Open order kue lapis legit, bisa COD, DP 50%, ready stock");
        let (_, b) = app.post(Some(&app.admin), "/reports", &shop).await;
        let (_, case) = app
            .get(Some(&app.admin), &format!("/cases/{}", a["case_id"]))
            .await;
        let d = &case["detection"];
        assert_ne!(d["verdict"], "clear", "{case}");
        assert_eq!(d["category"], "prostitution", "{case}");
        assert!(d["score"].as_f64().unwrap() >= 0.5);
        assert!(
            d["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r.as_str().unwrap().starts_with("prostitution.")),
            "{d}"
        );
        assert!(
            case["identifiers"]
                .as_array()
                .unwrap()
                .contains(&json!({"kind": "phone", "value": "+6281234567890"})),
            "{case}"
        );
        assert_eq!(
            case["category"], "prostitution",
            "detection fills an empty category"
        );
        let (_, benign) = app
            .get(Some(&app.admin), &format!("/cases/{}", b["case_id"]))
            .await;
        assert_eq!(benign["detection"]["verdict"], "clear", "{benign}");
        assert_eq!(benign["priority"], "normal");
        // The queue puts the stronger detection first among equal priorities.
        let (_, q) = app.get(Some(&app.admin), "/queue").await;
        let order: Vec<&Value> = q["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["id"])
            .collect();
        let (ia, ib) = (
            order.iter().position(|x| **x == a["case_id"]),
            order.iter().position(|x| **x == b["case_id"]),
        );
        assert!(
            ia.unwrap() < ib.unwrap() || case["priority"] != benign["priority"],
            "{q}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detection_rules_reload_without_restart_and_a_bad_file_keeps_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    let builtin = include_str!("../../ronda-detect/rules/default.toml");
    std::fs::write(&rules, builtin).unwrap();
    let path = rules.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| c.detect_rules_file = Some(path)).await;
    let custom = format!(
        "{builtin}\n[[rule]]\nid = \"gambling.zzqx\"\ncategory = \"gambling\"\ndescription = \"test\"\nweight = 1.0\ntags = [\"gambling\"]\nterms = [\"zzqx\"]\n"
    );
    std::fs::write(&rules, "[[rule]]\nid = \"broken\"\nweight = \"heavy\"\n").unwrap();
    let (s, v) = app
        .post(Some(&app.admin), "/admin/detection/reload", &json!({}))
        .await;
    assert_eq!(
        (s, error_of(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "detection"))
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("broken"),
        "{v}"
    );
    let mut r = report("rl1");
    r["text"] = json!("main zzqx malam ini");
    let (_, first) = app.post(Some(&app.admin), "/reports", &r).await;
    let (_, c1) = app
        .get(Some(&app.admin), &format!("/cases/{}", first["case_id"]))
        .await;
    assert!(
        !c1["detection"]["rules"]
            .to_string()
            .contains("gambling.zzqx"),
        "the old rules stay in use"
    );
    std::fs::write(&rules, custom).unwrap();
    let (s, v) = app
        .post(Some(&app.admin), "/admin/detection/reload", &json!({}))
        .await;
    assert_eq!(
        (s, v["reloaded"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    let mut r2 = report("rl2");
    r2["text"] = json!("main zzqx malam ini");
    let (_, second) = app.post(Some(&app.admin), "/reports", &r2).await;
    let (_, c2) = app
        .get(Some(&app.admin), &format!("/cases/{}", second["case_id"]))
        .await;
    assert!(
        c2["detection"]["rules"]
            .to_string()
            .contains("gambling.zzqx"),
        "{c2}"
    );
    let analyst = app.token(Role::Analyst, None).await;
    let (s, _) = app
        .post(Some(&analyst), "/admin/detection/reload", &json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_decisions_answer_case_by_case() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        let sup = app.token(Role::Supervisor, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        let mut ids = Vec::new();
        for h in ["b1", "b2", "b3"] {
            let (_, r) = app.post(Some(&app.admin), "/reports", &report(h)).await;
            ids.push(r["case_id"].as_i64().unwrap());
        }
        // The analyst claims one; a supervisor decides them all, overriding the claim.
        app.post(
            Some(&analyst),
            &format!("/cases/{}/claim", ids[0]),
            &json!({}),
        )
        .await;
        let body = json!({"case_ids": [ids[0], ids[1], 999_999, ids[2]], "decision": "confirm",
                          "category": "prostitution", "legal_basis": "uu_ite_27_1"});
        let (s, v) = app.post(Some(&sup), "/decisions:bulk", &body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let r = v["results"].as_array().unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r[0]["status"], "notice_sent");
        assert!(r[1]["notice_id"].is_i64());
        assert_eq!(
            (r[2]["case_id"].as_i64(), error_of(&r[2]).0),
            (Some(999_999), "not_found")
        );
        assert_eq!(r[3]["status"], "notice_sent");
        // Deciding again fails case by case with the state machine's answer.
        let (_, again) = app
            .post(
                Some(&sup),
                "/decisions:bulk",
                &json!({"case_ids": [ids[0]], "decision": "reject"}),
            )
            .await;
        assert_eq!(error_of(&again["results"][0]).0, "illegal_transition");
        // An analyst must hold each claim.
        let (_, r4) = app.post(Some(&app.admin), "/reports", &report("b4")).await;
        let (_, v) = app
            .post(
                Some(&analyst),
                "/decisions:bulk",
                &json!({"case_ids": [r4["case_id"]], "decision": "reject"}),
            )
            .await;
        assert_eq!(error_of(&v["results"][0]).0, "conflict");
        let (s, v) = app
            .post(
                Some(&sup),
                "/decisions:bulk",
                &json!({"case_ids": [], "decision": "reject"}),
            )
            .await;
        assert_eq!(
            (s, error_of(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "case_ids"))
        );
        let intake = app.token(Role::Intake, None).await;
        let (s, _) = app.post(Some(&intake), "/decisions:bulk", &body).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

/// A platform's receiver that fails the first `fail` deliveries, then accepts.
async fn receiver(
    fail: usize,
) -> (
    String,
    Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
) {
    use axum::routing::post;
    let seen: Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let mut l = log.lock().unwrap();
                l.push((headers, body));
                if l.len() <= fail {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..400 {
        if cond() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_survive_a_failing_receiver_and_a_restart() {
    let (url, seen) = receiver(2).await;
    let receiver_addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/hook")
        .to_string();
    let mut app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.outbound_allow = vec![receiver_addr];
        c.webhook_interval_ms = 20;
        c.webhook_backoff_ms = 100;
    })
    .await;
    let by_admin = app
        .client
        .put(format!("{}/platforms/michat/webhook", app.base))
        .bearer_auth(&app.admin)
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_admin.status(), StatusCode::OK);
    // The platform registers again with its own token; the newest secret is the one in use.
    let michat = app.token(Role::Platform, Some("michat")).await;
    let resp = app
        .client
        .put(format!("{}/platforms/michat/webhook", app.base))
        .bearer_auth(&michat)
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let secret = resp.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let wa = app.token(Role::Platform, Some("whatsapp")).await;
    let other = app
        .client
        .put(format!("{}/platforms/michat/webhook", app.base))
        .bearer_auth(&wa)
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::NOT_FOUND,
        "another platform's webhook does not exist for it"
    );

    let (_, r) = app
        .post(Some(&app.admin), "/reports", &report("hooked"))
        .await;
    let case = r["case_id"].as_i64().unwrap();
    app.post(
        Some(&app.admin),
        &format!("/cases/{case}/claim"),
        &json!({}),
    )
    .await;
    let (_, d) = app.post(Some(&app.admin), &format!("/cases/{case}/decision"),
        &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"})).await;
    assert!(d["notice_id"].is_i64(), "{d}");

    wait_until("a first, failed delivery", || {
        !seen.lock().unwrap().is_empty()
    })
    .await;
    app.restart().await;
    wait_until("the delivery after the receiver recovers", || {
        seen.lock().unwrap().len() >= 3
    })
    .await;

    let (headers, body) = seen.lock().unwrap()[2].clone();
    let ts: i64 = headers["x-ronda-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let sig = headers["x-ronda-signature"].to_str().unwrap();
    assert!(
        ronda_core::webhook::verify(&secret, ts, body.as_bytes(), sig),
        "the signature verifies"
    );
    assert!(!ronda_core::webhook::verify(
        &secret,
        ts,
        body.replace("notice", "notise").as_bytes(),
        sig
    ));
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (event["event"].as_str(), event["case_id"].as_i64()),
        (Some("notice.sent"), Some(case))
    );
    assert_eq!(
        seen.lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect::<std::collections::HashSet<_>>()
            .len(),
        1,
        "every attempt sends the same body"
    );
    let ids: std::collections::HashSet<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["x-ronda-delivery"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1, "one delivery id on every attempt: {ids:?}");
    assert!(ids.iter().all(|i| i.starts_with("dlv_")), "{ids:?}");

    // The receiver answered the third attempt; the worker records it just after.
    let mut log = Value::Null;
    for _ in 0..100 {
        let (s, l) = app
            .get(Some(&michat), "/platforms/michat/webhook/deliveries")
            .await;
        assert_eq!(s, StatusCode::OK);
        log = l;
        if log["deliveries"].as_array().is_some_and(|d| d.len() >= 3) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let statuses: Vec<i64> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![500, 500, 204], "{log}");
    assert!(log["deliveries"][0]["delivered"].as_bool().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        seen.lock().unwrap().len(),
        3,
        "nothing is sent again once delivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_impact_confirmations_wait_for_a_supervisor() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn_with(backend, |c| {
            c.approval_categories = vec![ronda_core::Category::ChildExploitation];
        })
        .await;
        let analyst = app.token(Role::Analyst, None).await;
        let sup = app.token(Role::Supervisor, None).await;
        let mut ids = Vec::new();
        for h in ["ap1", "ap2", "ap3"] {
            let (_, r) = app.post(Some(&app.admin), "/reports", &report(h)).await;
            ids.push(r["case_id"].as_i64().unwrap());
        }
        let confirm = |category: &str| json!({"decision": "confirm", "category": category, "legal_basis": "uu_35_2014"});
        for id in &ids {
            app.post(Some(&analyst), &format!("/cases/{id}/claim"), &json!({}))
                .await;
        }
        let (_, v) = app
            .post(
                Some(&analyst),
                &format!("/cases/{}/decision", ids[0]),
                &confirm("child_exploitation"),
            )
            .await;
        assert_eq!(
            (v["status"].as_str(), v["notice_id"].is_null()),
            (Some("awaiting_approval"), true),
            "{v}"
        );
        let (_, v) = app
            .post(
                Some(&analyst),
                &format!("/cases/{}/decision", ids[1]),
                &confirm("child_exploitation"),
            )
            .await;
        assert_eq!(v["status"], "awaiting_approval");
        // Other categories need no approval.
        let (_, v) = app
            .post(
                Some(&analyst),
                &format!("/cases/{}/decision", ids[2]),
                &confirm("gambling"),
            )
            .await;
        assert_eq!(v["status"], "notice_sent");
        let (s, q) = app.get(Some(&sup), "/approvals").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(q["cases"].as_array().unwrap().len(), 2);
        let (s, _) = app.get(Some(&analyst), "/approvals").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app
            .post(
                Some(&analyst),
                &format!("/cases/{}/approval", ids[0]),
                &json!({"approve": true}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = app
            .post(
                Some(&sup),
                &format!("/cases/{}/approval", ids[0]),
                &json!({"approve": true}),
            )
            .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("notice_sent")),
            "{v}"
        );
        assert!(v["notice_id"].is_i64());
        let (_, v) = app
            .post(
                Some(&sup),
                &format!("/cases/{}/approval", ids[1]),
                &json!({"approve": false, "note": "lihat lagi"}),
            )
            .await;
        assert_eq!(v["status"], "in_review");
        let (s, v) = app
            .post(
                Some(&sup),
                &format!("/cases/{}/approval", ids[1]),
                &json!({"approve": true}),
            )
            .await;
        assert_eq!(
            (s, error_of(&v).0),
            (StatusCode::CONFLICT, "illegal_transition")
        );
        // A supervisor's own confirmation needs no second pair of eyes.
        let (_, v) = app
            .post(
                Some(&sup),
                &format!("/cases/{}/decision", ids[1]),
                &confirm("child_exploitation"),
            )
            .await;
        assert_eq!(v["status"], "notice_sent", "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_sharing_a_number_are_one_actor_and_the_police_see_it_masked() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        let mut a = report("lina01");
        a["text"] = json!("open bo lina, wa 0812-9999-0000");
        a["profile"] = json!({"display_name": "Lina Manja", "bio": "real pict",
            "avatar_pdq": "ab".repeat(32)});
        let (s, first) = app.post(Some(&app.admin), "/reports", &a).await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        let mut b = report("lina_new");
        b["text"] = json!("lina avail lagi, wa 0812 9999 0000");
        let (_, second) = app.post(Some(&app.admin), "/reports", &b).await;
        let (_, case) = app
            .get(Some(&app.admin), &format!("/cases/{}", second["case_id"]))
            .await;
        let actor = case["actor"].as_i64().expect("the case names its actor");
        let (_, other) = app
            .get(Some(&app.admin), &format!("/cases/{}", first["case_id"]))
            .await;
        assert_eq!(other["actor"], json!(actor));

        let (s, full) = app.get(Some(&app.admin), &format!("/actors/{actor}")).await;
        assert_eq!(s, StatusCode::OK, "{full}");
        let accounts: Vec<&str> = full["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["account"].as_str().unwrap())
            .collect();
        assert_eq!(accounts, vec!["michat:lina01", "michat:lina_new"]);
        assert!(
            full["identifiers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["value"] == "+6281299990000")
        );
        assert_eq!(full["cases"].as_array().unwrap().len(), 2);
        assert!(
            full["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["signal"] == "phone"
                    && e["value"] == "+6281299990000"
                    && e["with"] == "michat:lina01"),
            "{full}"
        );

        let police = app.token(Role::Police, None).await;
        let (s, _) = app.get(Some(&police), &format!("/actors/{actor}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "not referred to the police");
        let (s, r) = app
            .post(
                Some(&app.admin),
                "/referrals",
                &json!({"actor_id": actor, "request_number": "B/123/XI/2026/Dittipidsiber"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (s, masked) = app.get(Some(&police), &format!("/actors/{actor}")).await;
        assert_eq!(s, StatusCode::OK);
        let text = masked.to_string();
        assert!(!text.contains("+6281299990000"), "{text}");
        assert!(text.contains("+62812*****000"), "{text}");

        let platform = app.token(Role::Platform, Some("michat")).await;
        let (s, _) = app.get(Some(&platform), &format!("/actors/{actor}")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, e) = app.get(Some(&app.admin), "/actors/999999").await;
        assert_eq!((s, error_of(&e).0), (StatusCode::NOT_FOUND, "not_found"));

        // A profile needs an account target; a bad avatar hash names its field.
        let mut bad = json!({"source": "patrol", "platform": "michat",
            "target": {"url": "https://x.example/p"}, "profile": {"display_name": "x"}});
        let (s, e) = app.post(Some(&app.admin), "/reports", &bad).await;
        assert_eq!((s.as_u16(), error_of(&e).1), (422, "profile"), "{e}");
        bad["target"] = json!({"account": "z"});
        bad["profile"] = json!({"avatar_pdq": "zz"});
        let (s, e) = app.post(Some(&app.admin), "/reports", &bad).await;
        assert_eq!(
            (s.as_u16(), error_of(&e).1),
            (422, "profile.avatar_pdq"),
            "{e}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referrals_and_evidence_bundles_are_scoped_by_role() {
    use ronda_core::evidence::{public_key_hex, verify};
    use ronda_server::evidence_zip::read_zip;

    for backend in [Backend::Sqlite, Backend::Postgres] {
        let keys = tempfile::tempdir().unwrap();
        let key_path = keys.path().join("signing.key");
        let kp = key_path.clone();
        let app = TestApp::spawn_with(backend, move |c| c.signing_key_file = Some(kp)).await;
        let analyst = app.token(Role::Analyst, None).await;
        let supervisor = app.token(Role::Supervisor, None).await;
        let police = app.token(Role::Police, None).await;
        let michat = app.token(Role::Platform, Some("michat")).await;
        let mut with_reporter = report("rina");
        with_reporter["reporter"] = json!({"name": "Warga Satu", "contact": "warga1@example.org"});
        let (_, a) = app.post(Some(&app.admin), "/reports", &with_reporter).await;
        let (_, b) = app
            .post(Some(&app.admin), "/reports", &report("sari"))
            .await;
        let (case_a, case_b) = (
            a["case_id"].as_i64().unwrap(),
            b["case_id"].as_i64().unwrap(),
        );

        // Referring: staff only, a case or an actor, a request number.
        let body =
            json!({"case_id": case_a, "request_number": "B/77/V/2025", "note": "dugaan TPPO"});
        let (s, _) = app.post(Some(&police), "/referrals", &body).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = app
            .post(
                Some(&analyst),
                "/referrals",
                &json!({"request_number": "X"}),
            )
            .await;
        assert_eq!(
            (s, error_of(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, ("required", "case_id"))
        );
        let (s, r) = app.post(Some(&analyst), "/referrals", &body).await;
        assert_eq!(
            (s, r["status"].as_str()),
            (StatusCode::CREATED, Some("sent")),
            "{r}"
        );
        let (s, v) = app.post(Some(&analyst), "/referrals", &body).await;
        assert_eq!(
            (s, error_of(&v).0),
            (StatusCode::CONFLICT, "conflict"),
            "the number is taken"
        );
        let rid = r["id"].as_i64().unwrap();

        // The police see their referrals and the cases in them, no other case.
        let (s, list) = app.get(Some(&police), "/referrals").await;
        assert_eq!(
            (s, list["referrals"].as_array().unwrap().len()),
            (StatusCode::OK, 1)
        );
        let (_, shown) = app.get(Some(&police), &format!("/referrals/{rid}")).await;
        assert_eq!(shown["cases"][0]["id"].as_i64(), Some(case_a));
        assert_eq!(
            app.get(Some(&police), &format!("/cases/{case_a}")).await.0,
            StatusCode::OK
        );
        assert_eq!(
            app.get(Some(&police), &format!("/cases/{case_b}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(Some(&police), "/cases").await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(Some(&michat), "/referrals").await.0,
            StatusCode::FORBIDDEN
        );

        // Evidence: a signed zip; the police only for referred cases; reporters for supervisors.
        let (s, ct, zip) = app
            .get_bytes(&police, &format!("/cases/{case_a}/evidence.zip"))
            .await;
        assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/zip"));
        let entries = read_zip(&zip).unwrap();
        let v = verify(&entries, None);
        assert!(v.is_ok(), "{:?}", v.problems);
        let seed: [u8; 32] = std::fs::read(&key_path).unwrap().try_into().unwrap();
        assert_eq!(
            v.signer,
            Some(public_key_hex(&seed)),
            "signed with the instance key"
        );
        let all: Vec<u8> = entries.iter().flat_map(|(_, b)| b.clone()).collect();
        assert!(!String::from_utf8_lossy(&all).contains("warga1@example.org"));
        let (s, _, _) = app
            .get_bytes(&police, &format!("/cases/{case_b}/evidence.zip"))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _, _) = app
            .get_bytes(&police, &format!("/referrals/{rid}/evidence.zip"))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _, _) = app
            .get_bytes(&michat, &format!("/cases/{case_a}/evidence.zip"))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _, zip) = app
            .get_bytes(&analyst, &format!("/cases/{case_b}/evidence.zip"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(verify(&read_zip(&zip).unwrap(), None).is_ok());
        let (_, _, zip) = app
            .get_bytes(&supervisor, &format!("/cases/{case_a}/evidence.zip"))
            .await;
        let entries = read_zip(&zip).unwrap();
        let all: Vec<u8> = entries.iter().flat_map(|(_, b)| b.clone()).collect();
        assert!(String::from_utf8_lossy(&all).contains("warga1@example.org"));
        let (s, _, _) = app.get_bytes(&analyst, "/cases/9999/evidence.zip").await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // The police move the referral forward, never back.
        let path = format!("/referrals/{rid}/status");
        let (s, _) = app
            .post(Some(&analyst), &path, &json!({"status": "acknowledged"}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = app
            .post(
                Some(&police),
                &path,
                &json!({"status": "investigating", "note": "LP/55"}),
            )
            .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("investigating")),
            "{v}"
        );
        let (s, v) = app
            .post(Some(&police), &path, &json!({"status": "acknowledged"}))
            .await;
        assert_eq!(
            (s, error_of(&v).0),
            (StatusCode::CONFLICT, "conflict"),
            "{v}"
        );
        let (s, v) = app
            .post(Some(&police), &path, &json!({"status": "lost"}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (s, v) = app
            .post(Some(&police), &path, &json!({"status": "closed"}))
            .await;
        assert_eq!((s, v["closed_at"].is_string()), (StatusCode::OK, true));

        // An actor referral: every case of the actor's accounts (linked here by hand).
        let store = app.state.store.clone();
        let actor = tokio::task::spawn_blocking(move || {
            store
                .write_blocking(1, |tx| {
                    let now = tx.now_ms();
                    let id = tx.conn().insert_id(
                        "INSERT INTO actors (created_at) VALUES ($1) RETURNING id",
                        ronda_store::params![now],
                    )?;
                    tx.conn().execute(
                        "UPDATE accounts SET actor_id = $1",
                        ronda_store::params![id],
                    )?;
                    Ok(id)
                })
                .unwrap()
        })
        .await
        .unwrap();
        let (s, r) = app
            .post(
                Some(&supervisor),
                "/referrals",
                &json!({"actor_id": actor, "request_number": "B/78/V/2025"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (_, shown) = app
            .get(Some(&police), &format!("/referrals/{}", r["id"]))
            .await;
        assert_eq!(shown["cases"].as_array().unwrap().len(), 2);
        assert_eq!(
            app.get(Some(&police), &format!("/cases/{case_b}")).await.0,
            StatusCode::OK
        );
        let (s, _, zip) = app
            .get_bytes(&police, &format!("/referrals/{}/evidence.zip", r["id"]))
            .await;
        assert_eq!(s, StatusCode::OK);
        let v = verify(&read_zip(&zip).unwrap(), None);
        assert_eq!(v.manifest.unwrap().cases, vec![case_a, case_b]);
    }
}

/// A receiver that answers 204 after `delay`, recording when each request arrived.
async fn slow_receiver(
    delay: std::time::Duration,
) -> (String, Arc<std::sync::Mutex<Vec<std::time::Instant>>>) {
    use axum::routing::post;
    let seen: Arc<std::sync::Mutex<Vec<std::time::Instant>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move || {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(std::time::Instant::now());
                tokio::time::sleep(delay).await;
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

/// One platform whose receiver takes 3 s per event does not hold back another platform's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_platform_does_not_delay_the_others() {
    let (slow, slow_seen) = slow_receiver(std::time::Duration::from_secs(3)).await;
    let (fast, fast_seen) = slow_receiver(std::time::Duration::ZERO).await;
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.outbound_allow = vec![slow.clone(), fast.clone()];
        c.webhook_interval_ms = 20;
    })
    .await;
    let supervisor = app.token(Role::Supervisor, None).await;
    for (platform, addr) in [("michat", &slow), ("whatsapp", &fast)] {
        let resp = app
            .client
            .put(format!("{}/platforms/{platform}/webhook", app.base))
            .bearer_auth(&app.admin)
            .json(&json!({"url": format!("http://{addr}/hook")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let confirm = |platform: &'static str, handle: &'static str| {
        let (app, supervisor) = (&app, &supervisor);
        async move {
            let (_, r) = app
                .post(
                    Some(&app.admin),
                    "/reports",
                    &json!({"source": "patrol", "platform": platform,
                    "target": {"account": handle}, "text": "open bo"}),
                )
                .await;
            let case = r["case_id"].as_i64().unwrap();
            let (s, d) = app
                .post(Some(supervisor), &format!("/cases/{case}/decision"),
                    &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"}))
                .await;
            assert_eq!(s, StatusCode::OK, "{d}");
        }
    };
    // Two events for the slow platform first, then one for the fast one.
    confirm("michat", "slow1").await;
    confirm("michat", "slow2").await;
    wait_until("the slow platform's first event", || {
        !slow_seen.lock().unwrap().is_empty()
    })
    .await;
    let started = std::time::Instant::now();
    confirm("whatsapp", "fast1").await;
    wait_until("the fast platform's event", || {
        !fast_seen.lock().unwrap().is_empty()
    })
    .await;
    let waited = fast_seen.lock().unwrap()[0].duration_since(started);
    assert!(
        waited < std::time::Duration::from_millis(1500),
        "the fast platform waited {waited:?} behind the slow one"
    );
    assert_eq!(
        slow_seen.lock().unwrap().len(),
        1,
        "the slow platform is still on its first event"
    );
}

/// A reload asked on one instance reaches another on the same database within the poll
/// interval, and is audited under the person who asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detection_reload_reaches_every_instance() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    let builtin = include_str!("../../ronda-detect/rules/default.toml");
    std::fs::write(&rules, builtin).unwrap();
    let path = rules.clone();
    let a = TestApp::spawn_with(Backend::Sqlite, move |c| {
        c.detect_rules_file = Some(path);
        c.detection_poll_ms = 100;
    })
    .await;
    let b = a.spawn_beside(|_| {}).await;
    std::fs::write(
        &rules,
        format!("{builtin}\n[[rule]]\nid = \"gambling.qqzx\"\ncategory = \"gambling\"\ndescription = \"test\"\nweight = 1.0\ntags = [\"gambling\"]\nterms = [\"qqzx\"]\n"),
    )
    .unwrap();
    let rule_fires_on = |app: &TestApp, handle: String| {
        let mut r = report(&handle);
        r["text"] = json!("main qqzx malam ini");
        let (client, base, admin) = (app.client.clone(), app.base.clone(), app.admin.clone());
        async move {
            let resp = client
                .post(format!("{base}/reports"))
                .bearer_auth(&admin)
                .json(&r)
                .send()
                .await
                .unwrap();
            let v: Value = resp.json().await.unwrap();
            let case: Value = client
                .get(format!("{base}/cases/{}", v["case_id"]))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            case["detection"]["rules"]
                .to_string()
                .contains("gambling.qqzx")
        }
    };
    assert!(
        !rule_fires_on(&b, "rr0".into()).await,
        "b runs the old rules"
    );
    let (s, v) = a
        .post(Some(&a.admin), "/admin/detection/reload", &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(rule_fires_on(&a, "rr1".into()).await, "a reloaded at once");
    let mut followed = false;
    for i in 0..60 {
        if rule_fires_on(&b, format!("rr_b{i}")).await {
            followed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(followed, "b picked up the reload");
    let version = v["version"].as_i64().unwrap();
    let audit = a.audit_actions(&format!("detection:{version}")).await;
    assert_eq!(audit, vec!["detection.reloaded".to_string()]);
}
