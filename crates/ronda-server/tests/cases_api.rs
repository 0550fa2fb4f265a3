//! What analysts read before they decide, on both backends: a case's reports with their text,
//! media, detection spans and reporter (identity for supervisors only), the case's excerpt,
//! search by account, URL, identifier (a phone number in any form) and text, and CSV export.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::*;
use reqwest::StatusCode;
use ronda_core::model::Role;
use serde_json::{Value, json};

fn ids(v: &Value) -> Vec<i64> {
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

api_tests! {
    async fn analysts_read_each_report_and_only_supervisors_see_who_filed_it(app) {
        let intake = app.token(Role::Intake, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        let supervisor = app.token(Role::Supervisor, None).await;
        let platform = app.token(Role::Platform, Some("michat")).await;
        let text = "open BO malam ini, wa 0812-3456-7890";
        let (_, a) = app.post(Some(&intake), "/reports", &json!({"source": "patrol", "platform": "michat",
            "target": {"account": "rina22"}, "text": text, "media": [{"pdq": "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"}]})).await;
        let case = a["case_id"].as_i64().unwrap();
        let (s, _) = app.post(None, "/public/reports", &json!({"platform": "michat", "target": {"account": "rina22"},
            "description": "akun ini menawarkan jasa kencan", "reporter": {"name": "Warga", "contact": "warga@example.org"}})).await;
        assert_eq!(s, StatusCode::CREATED);
        for i in 0..3 {
            app.post(Some(&intake), "/reports", &json!({"source": "patrol", "platform": "michat",
                "target": {"account": "rina22"}, "text": format!("open bo {i}")})).await;
        }

        let (s, v) = app.get(Some(&analyst), &format!("/cases/{case}/reports?limit=2")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let first = &v["reports"][0];
        assert_eq!((first["source"].as_str(), first["text"].as_str()), (Some("patrol"), Some(text)));
        assert_eq!(first["media"][0]["pdq"].as_str().unwrap().len(), 64);
        assert_eq!(first["detection"]["verdict"], "violation", "{first}");
        // Spans point into the text: the rule's words and the number.
        let spans = first["detection"]["spans"].as_array().unwrap();
        let cut = |s: &Value| &text[s["at"]["start"].as_u64().unwrap() as usize..s["at"]["end"].as_u64().unwrap() as usize];
        let rule = spans.iter().find(|s| s["rule"] == "prostitution.open_bo").unwrap();
        assert_eq!((rule["at"]["field"].as_str(), cut(rule)), (Some("text"), "open BO"));
        let phone = spans.iter().find(|s| s["identifier"] == "phone").unwrap();
        assert_eq!((phone["value"].as_str(), cut(phone)), (Some("+6281234567890"), "0812-3456-7890"));
        assert_eq!(first["reporter"]["kind"], "intake");
        let public = &v["reports"][1];
        assert_eq!((public["source"].as_str(), public["reporter"]["kind"].as_str()), (Some("public"), Some("public_form")));
        assert_eq!(public["description"], "akun ini menawarkan jasa kencan");
        assert_eq!(public["reporter"]["identified"], true);
        assert!(public["reporter"].get("contact").is_none() && !v.to_string().contains("warga@"), "{v}");
        // Paging.
        let cursor = v["next_cursor"].as_str().unwrap();
        let (_, rest) = app.get(Some(&analyst), &format!("/cases/{case}/reports?limit=2&cursor={cursor}")).await;
        assert_eq!(rest["reports"].as_array().unwrap().len(), 2);
        let (_, last) = app.get(Some(&analyst), &format!("/cases/{case}/reports?limit=2&cursor={}", rest["next_cursor"].as_str().unwrap())).await;
        assert_eq!((last["reports"].as_array().unwrap().len(), last["next_cursor"].clone()), (1, Value::Null));

        // Identity: refused to analysts, shown to supervisors (and audited).
        let (s, e) = app.get(Some(&analyst), &format!("/cases/{case}/reports?reporter_identity=true")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        let (s, v) = app.get(Some(&supervisor), &format!("/cases/{case}/reports?reporter_identity=true")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["reports"][1]["reporter"]["contact"], "warga@example.org");
        assert_eq!(v["reports"][1]["reporter"]["name"], "Warga");
        let audited = app.audit_actions(&format!("case:{case}")).await;
        assert!(audited.iter().any(|a| a == "report.reporter_viewed"), "{audited:?}");

        // Platforms do not read reports; bad parameters are named.
        let (s, _) = app.get(Some(&platform), &format!("/cases/{case}/reports")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, e) = app.get(Some(&analyst), &format!("/cases/{case}/reports?limit=0")).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "limit")));
        let (s, e) = app.get(Some(&analyst), &format!("/cases/{case}/reports?sort=x")).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("unknown_field", "sort")));
        let (s, _) = app.get(Some(&analyst), "/cases/999999/reports").await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // The case carries the latest report's words; a platform's view does not.
        let (_, c) = app.get(Some(&analyst), &format!("/cases/{case}")).await;
        assert_eq!(c["excerpt"], "open bo 2");
        let (_, c) = app.get(Some(&platform), &format!("/cases/{case}")).await;
        assert!(c.get("excerpt").is_none(), "{c}");
    }

    async fn cases_are_found_by_account_url_identifier_and_text_and_exported(app) {
        let intake = app.token(Role::Intake, None).await;
        let analyst = app.token(Role::Analyst, None).await;
        let (_, phone) = app.post(Some(&intake), "/reports", &json!({"source": "patrol", "platform": "michat",
            "target": {"account": "dinda"}, "text": "ready bo, wa 0812 3456 7890"})).await;
        let (_, url) = app.post(Some(&intake), "/reports", &json!({"source": "patrol", "platform": "michat",
            "target": {"url": "https://slot-gacor.example/daftar"}, "text": "slot gacor maxwin"})).await;
        let (_, words) = app.post(Some(&intake), "/reports", &json!({"source": "patrol", "platform": "michat",
            "target": {"account": "tante_mira"}, "text": "pijat plus plus Kemang, 100% aman"})).await;
        let id = |v: &Value| v["case_id"].as_i64().unwrap();
        let search = |q: &str| {
            let q = q.replace('%', "%25").replace('+', "%2B").replace(' ', "%20");
            format!("/cases?q={q}")
        };
        for (q, want) in [
            ("+62 812-3456-7890", id(&phone)),
            ("081234567890", id(&phone)),
            ("@Dinda", id(&phone)),
            ("slot-gacor.example", id(&url)),
            ("https://SLOT-GACOR.example/daftar", id(&url)),
            ("KEMANG", id(&words)),
            ("100%", id(&words)),
        ] {
            let (s, v) = app.get(Some(&analyst), &search(q)).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(ids(&v), vec![want], "q={q}");
        }
        let (_, v) = app.get(Some(&analyst), &search("tidak ada")).await;
        assert_eq!(ids(&v), Vec::<i64>::new());
        let (_, v) = app.get(Some(&analyst), &format!("{}&platform=michat&limit=1", search("a"))).await;
        assert_eq!(v["cases"].as_array().unwrap().len(), 1);
        let (s, e) = app.get(Some(&analyst), &search(&"x".repeat(201))).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "q")));

        // The same filters as CSV, audited.
        let (s, ct, body) = app.get_bytes(&analyst, "/cases.csv?category=gambling").await;
        assert_eq!(s, StatusCode::OK);
        assert!(ct.starts_with("text/csv"), "{ct}");
        let csv = String::from_utf8(body).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "{csv}");
        assert!(lines[1].starts_with(&format!("{},new,high,gambling,,michat,url,https://slot-gacor.example/daftar,1,", id(&url))), "{}", lines[1]);
        let (_, _, body) = app.get_bytes(&analyst, &format!("/cases.csv?q={}", "0812%203456%207890")).await;
        assert_eq!(String::from_utf8(body).unwrap().lines().count(), 2);
        let (s, _, body) = app.get_bytes(&analyst, "/cases.csv?limit=5").await;
        let e: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid", "limit")));
        let platform = app.token(Role::Platform, Some("michat")).await;
        let (s, _, _) = app.get_bytes(&platform, "/cases.csv").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(app.audit_actions("cases").await, vec!["cases.exported"; 2]);
    }
}
