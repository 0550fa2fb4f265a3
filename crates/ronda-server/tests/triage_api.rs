//! The child-safety rule end to end, on both backends: every sign of a minor makes a case
//! urgent, first in the queue, `child_exploitation`, with the urgent notice deadline; nothing
//! lowers it.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::*;
use reqwest::StatusCode;
use ronda_core::model::Role;
use serde_json::{Value, json};

const CHILD_PDQ: &str = "ad64cd9875e131a177b1f2a0d6b38ae1de9ea80421e4c51dde1b0363deba3466";
const LATER_PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

/// Fifteen ordinary cases: public spam and patrol finds, some high.
async fn fifteen_cases(app: &TestApp, intake: &str) {
    for i in 0..15 {
        let body = if i % 3 == 0 {
            json!({"source": "patrol", "platform": "michat", "target": {"account": format!("spam{i}")}, "text": "open bo"})
        } else {
            json!({"source": "public", "platform": "michat", "target": {"account": format!("spam{i}")},
                   "description": "akun ini spam promosi pulsa murah"})
        };
        let (s, v) = app.post(Some(intake), "/reports", &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

async fn queue_ids(app: &TestApp, token: &str) -> Vec<i64> {
    let (s, q) = app.get(Some(token), "/queue?limit=100").await;
    assert_eq!(s, StatusCode::OK, "{q}");
    q["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

async fn case(app: &TestApp, id: &Value) -> Value {
    let (s, c) = app.get(Some(&app.admin), &format!("/cases/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c
}

fn triage(c: &Value) -> (&str, &str, &str) {
    (
        c["priority"].as_str().unwrap_or("-"),
        c["category"].as_str().unwrap_or("-"),
        c["child_safety"].as_str().unwrap_or("-"),
    )
}

api_tests! {
    async fn a_child_exploitation_bank_match_at_distance_zero_is_urgent_and_first(app) {
        let intake = app.token(Role::Intake, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        fifteen_cases(&app, &intake).await;
        // A report whose media was seen before the bank knew it.
        let (_, earlier) = app.post(Some(&intake), "/reports", &json!({"source": "platform", "platform": "michat",
            "target": {"account": "earlier1"}, "media": [{"pdq": LATER_PDQ}]})).await;
        let (s, bank) = app.post(Some(&app.admin), "/banks", &json!({"name": "csam", "category": "child_exploitation"})).await;
        assert_eq!(s, StatusCode::CREATED, "{bank}");
        app.post(Some(&app.admin), "/banks/csam/hashes", &json!({"hashes": [{"pdq": CHILD_PDQ}]})).await;

        let (s, a) = app.post(Some(&intake), "/reports", &json!({"source": "public", "platform": "michat",
            "target": {"account": "poster9"}, "category": "gambling", "media": [{"pdq": CHILD_PDQ}]})).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let c = case(&app, &a["case_id"]).await;
        assert_eq!(triage(&c), ("urgent", "child_exploitation", "bank_match"), "{c}");
        assert_eq!(c["media_matches"][0]["distance"], 0);
        let q = queue_ids(&app, &analyst).await;
        assert_eq!(q.len(), 17);
        assert_eq!(q[0], a["case_id"].as_i64().unwrap(), "first of the queue: {q:?}");

        // The hash added later reaches the earlier case: urgent too.
        app.post(Some(&app.admin), "/banks/csam/hashes", &json!({"hashes": [{"pdq": LATER_PDQ}]})).await;
        let c = case(&app, &earlier["case_id"]).await;
        assert_eq!(triage(&c), ("urgent", "child_exploitation", "bank_match"), "{c}");
        assert_eq!(&queue_ids(&app, &analyst).await[..2].iter().filter(|id| [a["case_id"].as_i64().unwrap(), earlier["case_id"].as_i64().unwrap()].contains(id)).count(), &2);

        // Nothing lowers it: a weaker report on the same account keeps it urgent.
        let (_, b) = app.post(Some(&intake), "/reports", &json!({"source": "patrol", "platform": "michat",
            "target": {"account": "poster9"}, "category": "gambling", "text": "berita: polisi menangkap bandar"})).await;
        assert_eq!(b["case_id"], a["case_id"]);
        assert_eq!(triage(&case(&app, &a["case_id"]).await), ("urgent", "child_exploitation", "bank_match"));

        // Its notice gets the urgent deadline (4 hours).
        let (s, d) = app.post(Some(&app.admin), &format!("/cases/{}/decision", a["case_id"]),
            &json!({"decision": "confirm", "legal_basis": "uu_ite_27_1"})).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let (_, n) = app.get(Some(&app.admin), &format!("/notices/{}", d["notice_id"])).await;
        assert_eq!((n["urgent"].as_bool(), n["category"].as_str()), (Some(true), Some("child_exploitation")), "{n}");
        let created = chrono_ms(n["created_at"].as_str().unwrap());
        let deadline = chrono_ms(n["deadline"].as_str().unwrap());
        assert_eq!(deadline - created, 4 * 3_600_000);
    }

    async fn a_public_complaint_of_a_sixteen_year_old_is_urgent_child_exploitation(app) {
        let intake = app.token(Role::Intake, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        fifteen_cases(&app, &intake).await;
        let text = "ada yang nawarin open BO di michat, akunnya sasa_manja, katanya masih 16 tahun";
        // Through the public form, the reporter's words as the description.
        let (s, v) = app.post(None, "/public/reports", &json!({"platform": "michat",
            "target": {"account": "sasa_manja"}, "description": text})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, page) = app.get(Some(&app.admin), "/cases?source=public&limit=1").await;
        let id = page["cases"][0]["id"].clone();
        let c = case(&app, &id).await;
        assert_eq!(triage(&c), ("urgent", "child_exploitation", "minor_signal"), "{c}");
        assert_eq!(c["excerpt"], text);
        assert_eq!(c["detection"]["minor"], true);
        assert!(!c["detection"]["rules"].to_string().contains("news."), "{c}");
        assert_eq!(queue_ids(&app, &analyst).await[0], id.as_i64().unwrap());

        // The same words as a patrol post about a 24-year-old adult: not a child-safety case.
        let (_, adult) = app.post(Some(&intake), "/reports", &json!({"source": "patrol", "platform": "michat",
            "target": {"account": "dewasa24"}, "text": "open BO di michat, umur 24 tahun"})).await;
        let c = case(&app, &adult["case_id"]).await;
        assert_eq!(triage(&c), ("high", "prostitution", "-"), "{c}");
        // A police report of child exploitation: urgent.
        let (_, police) = app.post(Some(&intake), "/reports", &json!({"source": "police", "platform": "michat",
            "target": {"account": "pelaku1"}, "category": "child_exploitation"})).await;
        assert_eq!(triage(&case(&app, &police["case_id"]).await), ("urgent", "child_exploitation", "police_report"));
    }

    async fn a_confirmation_as_child_exploitation_is_urgent_and_only_a_supervisor_relabels(app) {
        let intake = app.token(Role::Intake, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        let supervisor = app.token(Role::Supervisor, None).await;
        let (_, a) = app.post(Some(&intake), "/reports", &report("plain1")).await;
        let id = a["case_id"].as_i64().unwrap();
        assert_eq!(triage(&case(&app, &a["case_id"]).await).0, "high");
        app.post(Some(&analyst), &format!("/cases/{id}/claim"), &json!({})).await;
        let (s, d) = app.post(Some(&analyst), &format!("/cases/{id}/decision"),
            &json!({"decision": "confirm", "category": "child_exploitation", "legal_basis": "uu_ite_27_1"})).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(triage(&case(&app, &a["case_id"]).await), ("urgent", "child_exploitation", "confirmation"));
        let (_, n) = app.get(Some(&app.admin), &format!("/notices/{}", d["notice_id"])).await;
        assert_eq!(n["urgent"], true, "{n}");

        // A child-safety case: an analyst may not confirm it as something else; a supervisor may,
        // and it stays urgent.
        let mut u = report("minor2");
        u["category"] = json!("child_exploitation");
        let (_, b) = app.post(Some(&intake), "/reports", &u).await;
        let id = b["case_id"].as_i64().unwrap();
        app.post(Some(&analyst), &format!("/cases/{id}/claim"), &json!({})).await;
        let relabel = json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"});
        let (s, e) = app.post(Some(&analyst), &format!("/cases/{id}/decision"), &relabel).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("child_safety", "category")), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("supervisor"), "{e}");
        let (s, d) = app.post(Some(&supervisor), &format!("/cases/{id}/decision"), &relabel).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(triage(&case(&app, &b["case_id"]).await), ("urgent", "prostitution", "claim"));
    }

    async fn a_sign_after_the_notice_went_out_makes_the_notice_urgent(app) {
        let intake = app.token(Role::Intake, None).await;
        let supervisor = app.token(Role::Supervisor, None).await;
        let (_, a) = app.post(Some(&intake), "/reports", &report("late1")).await;
        let (s, d) = app.post(Some(&supervisor), &format!("/cases/{}/decision", a["case_id"]),
            &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"})).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let path = format!("/notices/{}", d["notice_id"]);
        let (_, n) = app.get(Some(&app.admin), &path).await;
        assert_eq!(n["urgent"], false);
        let normal_deadline = chrono_ms(n["deadline"].as_str().unwrap());
        // A public complaint on the same account states the person is 15.
        let (s, _) = app.post(None, "/public/reports", &json!({"platform": "michat", "target": {"account": "late1"},
            "description": "akun ini open BO, katanya umurnya baru 15"})).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(triage(&case(&app, &a["case_id"]).await), ("urgent", "child_exploitation", "minor_signal"));
        let (_, n) = app.get(Some(&app.admin), &path).await;
        assert_eq!(n["urgent"], true, "{n}");
        let urgent_deadline = chrono_ms(n["deadline"].as_str().unwrap());
        let created = chrono_ms(n["created_at"].as_str().unwrap());
        assert!(urgent_deadline < normal_deadline && urgent_deadline - created <= 4 * 3_600_000 + 60_000, "{n}");
        let audited = app.audit_actions(&format!("notice:{}", d["notice_id"])).await;
        assert!(audited.contains(&"notice.made_urgent".to_string()), "{audited:?}");
    }
}

/// Milliseconds of an RFC 3339 UTC timestamp (`2026-12-06T10:00:00.000Z`).
fn chrono_ms(s: &str) -> i64 {
    ronda_core::clock::parse_rfc3339(s).unwrap()
}
