//! No dead ends, on both backends: a disputed notice is upheld or withdrawn with a reason the
//! platform hears by webhook; a rejected case is closed, or reopened by a supervisor; every
//! refusal names the actions a person can take and their endpoints. Platforms see what the
//! content is and where.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::*;
use reqwest::StatusCode;
use ronda_core::model::Role;
use serde_json::{Value, json};

/// The webhook events queued for delivery, oldest first: (event, payload).
async fn outbox(app: &TestApp) -> Vec<(String, Value)> {
    let store = app.state.store.clone();
    tokio::task::spawn_blocking(move || {
        store
            .read(|c| {
                c.query(
                    "SELECT event, payload FROM outbox ORDER BY id",
                    ronda_store::params![],
                )?
                .iter()
                .map(|r| Ok((r.string(0)?, serde_json::from_str(r.str(1)?).unwrap())))
                .collect::<ronda_store::Result<Vec<_>>>()
            })
            .unwrap()
    })
    .await
    .unwrap()
}

fn ms(s: &Value) -> i64 {
    ronda_core::clock::parse_rfc3339(s.as_str().unwrap()).unwrap()
}

api_tests! {
    async fn a_dispute_is_upheld_or_withdrawn_with_a_reason_the_platform_hears(app) {
        let intake = app.token(Role::Intake, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        let supervisor = app.token(Role::Supervisor, None).await;
        let michat = app.token(Role::Platform, Some("michat")).await;
        // A receiver that is never up: the events stay queued, where the test reads them.
        let resp = app.client.put(format!("{}/platforms/michat/webhook", app.base)).bearer_auth(&michat)
            .json(&json!({"url": "http://127.0.0.1:9/ronda"})).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let (_, a) = app.post(Some(&intake), "/reports", &json!({"source": "patrol", "platform": "michat",
            "target": {"url": "https://michat.example/p/77"}, "text": "open BO malam ini 500rb"})).await;
        let case = a["case_id"].as_i64().unwrap();
        let (s, d) = app.post(Some(&supervisor), &format!("/cases/{case}/decision"),
            &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"})).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let notice = d["notice_id"].as_i64().unwrap();

        // The platform sees what the content is and where, with RFC 3339 times.
        let (_, n) = app.get(Some(&michat), &format!("/platform/notices/{notice}")).await;
        assert_eq!(n["evidence"]["content"]["urls"], json!(["https://michat.example/p/77"]), "{n}");
        assert_eq!(n["evidence"]["content"]["excerpt"], "open BO malam ini 500rb");
        for key in ["first_reported_at", "last_reported_at"] {
            assert!(n["evidence"][key].as_str().unwrap().ends_with('Z'), "{key}: {n}");
        }
        let first_deadline = ms(&n["deadline"]);

        let (s, v) = app.post(Some(&michat), &format!("/platform/notices/{notice}/response"),
            &json!({"action": "disputed", "reason": "this is a satire account"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, c) = app.get(Some(&analyst), &format!("/cases/{case}")).await;
        assert_eq!(c["status"], "disputed");

        // Refusals name the way out.
        let (s, e) = app.post(Some(&analyst), &format!("/cases/{case}/close"), &json!({"reason": "x"})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::CONFLICT, ("illegal_transition", "status")));
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains("allowed: uphold (POST /api/v1/cases/{id}/dispute), withdraw (POST /api/v1/cases/{id}/dispute)"), "{msg}");
        // Supervisors answer disputes, with a reason.
        let (s, _) = app.post(Some(&analyst), &format!("/cases/{case}/dispute"), &json!({"decision": "uphold", "reason": "r"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, e) = app.post(Some(&supervisor), &format!("/cases/{case}/dispute"), &json!({"decision": "uphold"})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("required", "reason")));
        let (s, e) = app.post(Some(&supervisor), &format!("/cases/{case}/dispute"), &json!({"decision": "ignore", "reason": "r"})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "decision")));

        let (s, up) = app.post(Some(&supervisor), &format!("/cases/{case}/dispute"),
            &json!({"decision": "uphold", "reason": "the ad offers paid sex; not satire"})).await;
        assert_eq!(s, StatusCode::OK, "{up}");
        assert_eq!((up["status"].as_str(), up["notice"]["status"].as_str()), (Some("notice_sent"), Some("sent")));
        assert_eq!(up["notice"]["dispute_resolution"]["resolution"], "upheld");
        // The ladder resumes: the deadline moved on by the seconds the dispute was open, no more.
        let moved = ms(&up["notice"]["deadline"]) - first_deadline;
        assert!((0..60_000).contains(&moved), "{moved} ms: {up}");
        assert_eq!(up["notice"]["response"], Value::Null, "the platform may answer afresh");
        let events = outbox(&app).await;
        let (event, payload) = events.last().unwrap();
        assert_eq!(event, "notice.upheld");
        assert_eq!(payload["reason"], "the ad offers paid sex; not satire");
        assert!(payload["deadline"].as_str().unwrap().ends_with('Z'), "{payload}");
        let (sent_event, sent) = &events[0];
        assert_eq!(sent_event, "notice.sent");
        assert!(sent["created_at"].as_str().unwrap().ends_with('Z') && sent["deadline"].as_str().unwrap().ends_with('Z'), "{sent}");

        // Disputed again, this time withdrawn: the case is closed.
        app.post(Some(&michat), &format!("/platform/notices/{notice}/response"),
            &json!({"action": "disputed", "reason": "court order attached"})).await;
        let (s, w) = app.post(Some(&supervisor), &format!("/cases/{case}/dispute"),
            &json!({"decision": "withdraw", "reason": "court order"})).await;
        assert_eq!(s, StatusCode::OK, "{w}");
        assert_eq!((w["status"].as_str(), w["notice"]["status"].as_str()), (Some("closed"), Some("withdrawn")));
        assert_eq!(outbox(&app).await.last().unwrap().0, "notice.withdrawn");
        let audited = app.audit_actions(&format!("notice:{notice}")).await;
        assert!(audited.contains(&"notice.upheld".to_string()) && audited.contains(&"notice.withdrawn".to_string()), "{audited:?}");
        // A closed case can be reopened by a supervisor.
        let (s, r) = app.post(Some(&supervisor), &format!("/cases/{case}/reopen"), &json!({"reason": "new evidence"})).await;
        assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("in_review")), "{r}");
    }

    async fn a_rejected_case_is_closed_or_reopened_by_a_supervisor(app) {
        let intake = app.token(Role::Intake, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        let supervisor = app.token(Role::Supervisor, None).await;
        let reject = |case: i64| (format!("/cases/{case}/decision"), json!({"decision": "reject", "note": "not a violation"}));
        let (_, a) = app.post(Some(&intake), "/reports", &report("mistaken1")).await;
        let case = a["case_id"].as_i64().unwrap();
        let (path, body) = reject(case);
        let (s, v) = app.post(Some(&supervisor), &path, &body).await;
        assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("rejected")), "{v}");
        let (s, e) = app.post(Some(&analyst), &format!("/cases/{case}/decision"), &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(e["error"]["message"].as_str().unwrap().contains("close (POST /api/v1/cases/{id}/close), reopen (POST /api/v1/cases/{id}/reopen)"), "{e}");

        // Only a supervisor reopens; a reason is required; it is audited.
        let (s, _) = app.post(Some(&analyst), &format!("/cases/{case}/reopen"), &json!({"reason": "mistake"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, e) = app.post(Some(&supervisor), &format!("/cases/{case}/reopen"), &json!({"reason": "  "})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("required", "reason")));
        let (s, r) = app.post(Some(&supervisor), &format!("/cases/{case}/reopen"), &json!({"reason": "rejected by mistake"})).await;
        assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("in_review")), "{r}");
        assert!(app.audit_actions(&format!("case:{case}")).await.contains(&"case.reopened".to_string()));
        // Reopened, it is work again: a new report joins it.
        let (_, again) = app.post(Some(&intake), "/reports", &report("mistaken1")).await;
        assert_eq!(again["case_id"].as_i64(), Some(case));

        // Rejected and closed by an analyst.
        let (_, b) = app.post(Some(&intake), "/reports", &report("spam2")).await;
        let other = b["case_id"].as_i64().unwrap();
        let (path, body) = reject(other);
        app.post(Some(&supervisor), &path, &body).await;
        let (s, c) = app.post(Some(&analyst), &format!("/cases/{other}/close"), &json!({"reason": "spam"})).await;
        assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("closed")), "{c}");
        // A new report on the target opened a new case meanwhile: reopening names it.
        let (_, newer) = app.post(Some(&intake), "/reports", &report("spam2")).await;
        assert_ne!(newer["case_id"].as_i64(), Some(other));
        let (s, e) = app.post(Some(&supervisor), &format!("/cases/{other}/reopen"), &json!({"reason": "x"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(e["error"]["message"].as_str().unwrap().contains(&newer["case_id"].to_string()), "{e}");
        let (s, _) = app.post(Some(&supervisor), "/cases/999999/close", &json!({"reason": "x"})).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}
