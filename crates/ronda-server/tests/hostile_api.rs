//! Hostile input, on both backends: control characters in any text field, in a path or a
//! query, trailing data after a JSON body, a batch sent as something else than JSON. Each is a
//! 4xx in the API's error shape, and nothing already accepted is lost.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::*;
use reqwest::StatusCode;
use ronda_core::model::Role;
use serde_json::{Value, json};

fn with(mut v: Value, key: &str, text: &str) -> Value {
    v[key] = json!(text);
    v
}

api_tests! {
    async fn control_characters_are_refused_naming_the_field(app) {
        let before = app.report_count().await;
        for (body, field) in [
            (with(report("nul1"), "text", "open\u{0}bo"), "text"),
            (with(report("nul2"), "description", "iklan\u{1b}[2J"), "description"),
            (with(report("nul3"), "external_id", "x\u{0}"), "external_id"),
            (json!({"source": "patrol", "platform": "michat", "target": {"account": "nul4"}, "profile": {"bio": "a\u{0}b"}}), "profile.bio"),
        ] {
            let (s, e) = app.post(Some(&app.admin), "/reports", &body).await;
            assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", field)), "{body}");
        }
        // Without a token, on the public form.
        let (s, e) = app.post(None, "/public/reports", &json!({"platform": "michat", "target": {"account": "nul5"},
            "description": "ada\u{0}yang"})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "description")));
        assert_eq!(app.report_count().await, before, "nothing stored");

        // A batch refuses only the bad item.
        let (s, v) = app.post(Some(&app.admin), "/reports:batch", &json!({"reports": [
            report("ok1"), with(report("nul6"), "text", "a\u{0}"), report("ok2")]})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let r = v["results"].as_array().unwrap();
        assert!(r[0]["report_id"].is_i64() && r[2]["report_id"].is_i64(), "{v}");
        assert_eq!(error_of(&r[1]), ("invalid_value", "text"));
        assert_eq!(app.report_count().await, before + 2);

        // Other endpoints' text: the shared JSON layer names the field.
        let (s, e) = app.post(Some(&app.admin), "/platforms", &json!({"name": "nulapp", "display_name": "Nul\u{0}App"})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "display_name")));
        app.post(Some(&app.admin), "/banks", &json!({"name": "ads", "category": "solicitation_photos"})).await;
        let (s, e) = app.post(Some(&app.admin), "/banks/ads/hashes", &json!({"hashes": [
            {"pdq": "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", "label": "x\u{0}"}]})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "hashes[0].label")));
        let (s, e) = app.post_raw("/banks/ads/hashes",
            b"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,90,lab\x00el\n".to_vec(), Some("text/plain")).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "line 1")));
        let (_, a) = app.post(Some(&app.admin), "/reports", &report("dec1")).await;
        let (s, e) = app.post(Some(&app.admin), &format!("/cases/{}/decision", a["case_id"]),
            &json!({"decision": "reject", "note": "no\u{0}te"})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "note")));
        let (s, e) = app.post(Some(&app.admin), "/referrals", &json!({"case_id": a["case_id"], "request_number": "LP/1\u{0}"})).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "request_number")));
        // C1 controls written raw are refused too.
        let (s, e) = app.post(Some(&app.admin), "/reports", &with(report("c1"), "text", "a\u{85}b")).await;
        assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "text")));
        // Tabs and line ends are text.
        let (s, _) = app.post(Some(&app.admin), "/reports", &with(report("tab1"), "text", "open\tbo\r\nwa")).await;
        assert_eq!(s, StatusCode::CREATED);
    }

    async fn addresses_with_controls_answer_in_the_error_shape(app) {
        for path in ["/public/reports/AB%00CD", "/banks/a%00b", "/cases?q=%00", "/cases/1%FF"] {
            let (s, e) = app.get(Some(&app.admin), path).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {e}");
            assert_eq!(error_of(&e).0, "invalid_value", "{path}: {e}");
        }
        let (s, e) = app.get(None, "/public/reports/AB%00CD").await;
        assert_eq!((s, error_of(&e)), (StatusCode::BAD_REQUEST, ("invalid_value", "path")));
        // Query strings that do not fit an endpoint answer in the same shape.
        for (path, code, field) in [
            ("/notices?limit=abc", "invalid", "limit"),
            ("/notices?bogus=1", "unknown_field", "bogus"),
            ("/queue?limit=-3", "invalid", "limit"),
            ("/referrals?limit=x", "invalid", "limit"),
        ] {
            let (s, e) = app.get(Some(&app.admin), path).await;
            assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, (code, field)), "{path}: {e}");
        }
    }

    async fn trailing_data_after_a_json_body_is_malformed(app) {
        let before = app.report_count().await;
        let mut body = serde_json::to_vec(&report("tail1")).unwrap();
        body.extend_from_slice(b"GARBAGE");
        let (s, e) = app.post_raw("/reports", body, Some("application/json")).await;
        assert_eq!((s, error_of(&e).0), (StatusCode::BAD_REQUEST, "malformed_json"), "{e}");
        let (_, a) = app.post(Some(&app.admin), "/reports", &report("tail2")).await;
        let two = format!("{}{}", json!({"decision": "reject"}), json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"}));
        let (s, e) = app.post_raw(&format!("/cases/{}/decision", a["case_id"]), two.into_bytes(), Some("application/json")).await;
        assert_eq!((s, error_of(&e).0), (StatusCode::BAD_REQUEST, "malformed_json"), "{e}");
        let (_, c) = app.get(Some(&app.admin), &format!("/cases/{}", a["case_id"])).await;
        assert_eq!(c["status"], "new", "neither decision applied");
        // Trailing white space is fine.
        let mut body = serde_json::to_vec(&report("tail3")).unwrap();
        body.extend_from_slice(b" \n");
        let (s, _) = app.post_raw("/reports", body, Some("application/json")).await;
        assert_eq!(s, StatusCode::CREATED);
        // A batch is JSON or nothing.
        let batch = serde_json::to_vec(&json!({"reports": [report("tail4")]})).unwrap();
        let (s, e) = app.post_raw("/reports:batch", batch, Some("text/plain")).await;
        assert_eq!((s, error_of(&e).0), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
        assert_eq!(app.report_count().await, before + 2);
    }

    async fn webhooks_to_internal_addresses_are_refused_naming_the_rule(app) {
        let michat = app.token(Role::Platform, Some("michat")).await;
        for (url, rule) in [
            ("http://127.0.0.1:5432/", "loopback"),
            ("http://localhost:5432/", "loopback"),
            ("http://[::ffff:127.0.0.1]:5432/", "ipv4-mapped"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://10.0.0.1/", "private"),
            ("http://100.64.0.1/", "cgnat"),
            ("http://127.0.0.1:10/", "loopback"),
        ] {
            let resp = app.client.put(format!("{}/platforms/michat/webhook", app.base)).bearer_auth(&michat)
                .json(&json!({"url": url})).send().await.unwrap();
            let status = resp.status();
            let v: Value = resp.json().await.unwrap();
            assert_eq!((status, error_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_value", "url")), "{url}: {v}");
            let message = v["error"]["message"].as_str().unwrap();
            assert!(message.contains(rule) || (rule == "loopback" && message.contains("::1")), "{url}: {message}");
        }
        // The allow-listed test address (127.0.0.1:9) is accepted.
        let resp = app.client.put(format!("{}/platforms/michat/webhook", app.base)).bearer_auth(&michat)
            .json(&json!({"url": "http://127.0.0.1:9/hook"})).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }

    async fn look_alike_handles_open_one_case(app) {
        let handles = [
            "rina22", "r\u{456}na22", "\u{ff52}\u{ff49}\u{ff4e}\u{ff41}\u{ff12}\u{ff12}", "ri\u{200b}na22",
            "ri\u{200d}na22", "ri\u{ad}na22", "\u{202e}rina22", "\u{feff}rina22", "r\u{ed}na22",
            "\u{1d42b}\u{1d422}\u{1d427}\u{1d41a}\u{1d7d0}\u{1d7d0}", "ri\u{301}na22",
        ];
        let mut cases = std::collections::BTreeSet::new();
        for h in handles {
            let (s, v) = app.post(Some(&app.admin), "/reports", &report(h)).await;
            assert_eq!(s, StatusCode::CREATED, "{h:?}: {v}");
            cases.insert(v["case_id"].as_i64().unwrap());
        }
        assert_eq!(cases.len(), 1, "one case for what displays as rina22");
        let id = cases.first().copied().unwrap();
        let (_, case) = app.get(Some(&app.admin), &format!("/cases/{id}")).await;
        assert_eq!((case["target"]["account"].as_str(), case["reports"]["total"].as_i64()), (Some("rina22"), Some(11)));
        // A search written with another look-alike (Cyrillic а, in no report) finds it.
        let (s, found) = app.get(Some(&app.admin), "/cases?q=rin%D0%B022").await;
        assert_eq!(s, StatusCode::OK);
        let ids: Vec<i64> = found["cases"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![id]);
    }
}

mod public {
    use super::*;

    api_tests! {
        async fn public_reports_take_no_external_id(app) {
            let body = |account: &str| json!({"platform": "michat", "target": {"account": account},
                "external_id": "same-1", "reporter": {"contact": format!("{account}@example.org")}});
            let before = app.report_count().await;
            let (s, e) = app.post(None, "/public/reports", &body("first")).await;
            assert_eq!((s, error_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, ("unknown_field", "external_id")));
            // Two reporters, two reports, two tracking codes.
            let (_, a) = app.post(None, "/public/reports", &json!({"platform": "michat", "target": {"account": "first"}})).await;
            let (_, b) = app.post(None, "/public/reports", &json!({"platform": "michat", "target": {"account": "second"}})).await;
            assert_ne!(a["tracking_code"], b["tracking_code"]);
            assert_eq!(app.report_count().await, before + 2);
        }
    }
}

/// A client behind no proxy cannot pick its own address by sending `X-Forwarded-For`: the
/// rightmost untrusted hop is the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_takes_the_rightmost_untrusted_hop() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn_with(backend, |c| {
            c.public_per_minute = 1;
            c.public_burst = 3;
            c.trust_forwarded_for = true;
        })
        .await;
        let body = json!({"platform": "michat", "target": {"account": "spam"}});
        let mut statuses = Vec::new();
        for i in 0..6 {
            let resp = app
                .client
                .post(format!("{}/public/reports", app.base))
                .header("x-forwarded-for", format!("198.51.100.{i}, 127.0.0.1"))
                .json(&body)
                .send()
                .await
                .unwrap();
            statuses.push(resp.status().as_u16());
        }
        assert_eq!(
            statuses,
            [201, 201, 201, 429, 429, 429],
            "one client, one bucket"
        );
        // Behind a configured proxy, the hop left of it is the client.
        let app = TestApp::spawn_with(backend, |c| {
            c.public_per_minute = 1;
            c.public_burst = 1;
            c.trust_forwarded_for = true;
            c.trusted_proxies = vec!["127.0.0.0/8".into()];
        })
        .await;
        for i in 0..3 {
            let resp = app
                .client
                .post(format!("{}/public/reports", app.base))
                .header("x-forwarded-for", format!("203.0.113.{i}, 127.0.0.1"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 201, "client {i} has its own bucket");
        }
    }
}

/// Least privilege: a referral of one case opens that case to the police, not its actor; the
/// police read numbers masked on cases as on actors; platforms read neither rule ids nor bank
/// names and labels on their cases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_reads_what_its_work_needs() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        let pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        app.post(
            Some(&app.admin),
            "/banks",
            &json!({"name": "ads-ref", "category": "solicitation_photos"}),
        )
        .await;
        app.post(
            Some(&app.admin),
            "/banks/ads-ref/hashes",
            &json!({"hashes": [{"pdq": pdq, "label": "ad template 7"}]}),
        )
        .await;
        let mut r = report("lp1");
        r["text"] = json!("open bo, wa 0812 9999 0000, tf bca:1234567890");
        r["media"] = json!([{"pdq": pdq}]);
        r["profile"] = json!({"bio": "wa 0812 9999 0000"});
        let (_, a) = app.post(Some(&app.admin), "/reports", &r).await;
        let mut other = report("lp2");
        other["profile"] = json!({"bio": "wa 0812 9999 0000"});
        app.post(Some(&app.admin), "/reports", &other).await;
        let case = a["case_id"].as_i64().unwrap();
        let (_, c) = app.get(Some(&app.admin), &format!("/cases/{case}")).await;
        let actor = c["actor"].as_i64().expect("linked into an actor");

        let police = app.token(ronda_core::model::Role::Police, None).await;
        let (s, _) = app
            .post(
                Some(&app.admin),
                "/referrals",
                &json!({"case_id": case, "request_number": "LP/B/77/XII/2026"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, pc) = app.get(Some(&police), &format!("/cases/{case}")).await;
        assert_eq!(s, StatusCode::OK);
        let text = pc["identifiers"].to_string();
        assert!(
            !text.contains("+6281299990000") && text.contains("+62812*****000"),
            "{text}"
        );
        assert!(
            !text.contains("1234567890") && text.contains("bca:******7890"),
            "{text}"
        );
        let (s, _) = app.get(Some(&police), &format!("/actors/{actor}")).await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "a case referral does not open the actor"
        );
        app.post(
            Some(&app.admin),
            "/referrals",
            &json!({"actor_id": actor, "request_number": "LP/B/78/XII/2026"}),
        )
        .await;
        let (s, pa) = app.get(Some(&police), &format!("/actors/{actor}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!pa.to_string().contains("1234567890"), "{pa}");

        let michat = app
            .token(ronda_core::model::Role::Platform, Some("michat"))
            .await;
        let (s, mc) = app.get(Some(&michat), &format!("/cases/{case}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(mc["detection"]["verdict"].is_string(), "{mc}");
        assert!(
            mc["detection"].get("rules").is_none() && mc["detection"].get("scores").is_none(),
            "{mc}"
        );
        assert_eq!(mc["media_matches"][0]["category"], "solicitation_photos");
        assert!(
            !mc.to_string().contains("ad template 7") && !mc.to_string().contains("ads-ref"),
            "{mc}"
        );
        let (_, staff) = app.get(Some(&app.admin), &format!("/cases/{case}")).await;
        assert!(staff.to_string().contains("ad template 7"));
    }
}
