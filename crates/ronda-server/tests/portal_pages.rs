//! The portals of the people outside the ministry over HTTP, against the real server on both
//! backends: a platform's staff answer their notices, export them and manage their webhook,
//! and never see another platform's notice. (In a real browser: `scripts/console_e2e.py`.)

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::browser::{Browser, PASSWORD, user};
use common::{Backend, TestApp};
use reqwest::StatusCode;
use ronda_core::model::Role;
use serde_json::json;

/// A confirmed case of MiChat's, its notice sent; the notice's id.
async fn notice(app: &TestApp, account: &str) -> i64 {
    let (s, v) = app
        .post(
            Some(&app.admin),
            "/reports",
            &json!({"source": "patrol", "platform": "michat", "target": {"account": account},
                    "text": "open BO malam ini 500rb"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let case = v["case_id"].as_i64().unwrap();
    let analyst = app.token(Role::Analyst, None).await;
    app.post(Some(&analyst), &format!("/cases/{case}/claim"), &json!({}))
        .await;
    let (s, d) = app
        .post(
            Some(&analyst),
            &format!("/cases/{case}/decision"),
            &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    d["notice_id"].as_i64().unwrap()
}

page_tests! {
    async fn a_platform_answers_its_notices_and_never_sees_another_platforms(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "mitra", Role::Platform, Some("michat")).await;
        user(&app, "wa", Role::Platform, Some("whatsapp")).await;
        user(&app, "ana", Role::Analyst, None).await;
        let id = notice(&app, "rina22").await;

        let mut m = Browser::new(&app);
        let p = m.sign_in("mitra", PASSWORD).await;
        assert_eq!(p.location(), "/platform", "{}", p.body);
        assert_eq!(m.get("/").await.location(), "/platform");
        let list = m.get("/platform").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("Permintaan penurunan untuk michat"), "{}", list.body);
        assert!(list.body.contains(&format!("href=\"/platform/notices/{id}\"")));
        assert!(list.body.contains("rina22") && list.body.contains("data-countdown"));
        assert!(list.body.contains("1 terbuka, 0 lewat tenggat"), "{}", list.body);
        // The team's pages stay closed to a platform, and the portal to the team.
        assert_eq!(m.get("/queue").await.status, StatusCode::FORBIDDEN);
        let mut a = Browser::new(&app);
        a.sign_in("ana", PASSWORD).await;
        assert_eq!(a.get("/platform").await.status, StatusCode::FORBIDDEN);

        let page = m.get(&format!("/platform/notices/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        for want in ["rina22", "uu_ite_27_1", "UU ITE Pasal 27 ayat (1)", "Ringkasan bukti", ">Sudah diturunkan</button>", ">Ditolak</button>", ">Dibantah</button>", " WIB"] {
            assert!(page.body.contains(want), "{want}: {}", page.body);
        }
        assert!(!page.body.contains("open BO") || page.body.contains("Awal isi konten"), "only the captured content");

        // Another platform: not found, and its answer changes nothing.
        let mut w = Browser::new(&app);
        w.sign_in("wa", PASSWORD).await;
        assert!(!w.get("/platform").await.body.contains("rina22"));
        assert_eq!(w.get(&format!("/platform/notices/{id}")).await.status, StatusCode::NOT_FOUND);
        let csrf = w.csrf().await;
        let p = w.post(&format!("/platform/notices/{id}/response"), &[("csrf", &csrf), ("action", "removed")]).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert_eq!(w.get(&format!("/platform/notices/{}", id + 1000)).await.status, StatusCode::NOT_FOUND);
        assert!(!w.get("/platform/notices.csv").await.body.contains("rina22"));

        // A refusal without its reason: said beside the form; no CSRF token: refused.
        let csrf = m.csrf().await;
        let p = m.post(&format!("/platform/notices/{id}/response"), &[("csrf", &csrf), ("action", "refused"), ("reason", " ")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Tuliskan alasan untuk penolakan atau bantahan."), "{}", p.body);
        let p = m.post(&format!("/platform/notices/{id}/response"), &[("action", "removed")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let (_, staff) = app.get(Some(&app.admin), &format!("/notices/{id}")).await;
        assert_eq!(staff["status"], "sent");

        // Removed: recorded under the user's name, as the API records it.
        let p = m.post(&format!("/platform/notices/{id}/response"), &[("csrf", &csrf), ("action", "removed"), ("reason", "akun ditutup")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("Jawaban tercatat: sudah diturunkan."), "{}", p.body);
        let (_, staff) = app.get(Some(&app.admin), &format!("/notices/{id}")).await;
        assert_eq!((staff["status"].as_str(), staff["response"]["reason"].as_str()), (Some("removal_claimed"), Some("akun ditutup")), "{staff}");
        let store = app.state.store.clone();
        let events = tokio::task::spawn_blocking(move || store.audit_events_for(&format!("notice:{id}")).unwrap()).await.unwrap();
        assert!(events.iter().any(|e| e.action == "notice.answered" && e.actor == "user:mitra"), "{events:?}");

        // The CSV holds the notice, with its answer.
        let csv = m.get("/platform/notices.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
        let mut lines = csv.body.lines();
        assert!(lines.next().unwrap().starts_with("notice_id,status,category,legal_basis"));
        let row = lines.next().unwrap();
        assert!(row.starts_with(&format!("{id},removal_claimed,prostitution,uu_ite_27_1,")) && row.contains("rina22") && row.contains(",removed,"), "{row}");
    }

    async fn a_platform_sets_its_webhook_and_rotates_the_secret(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "mitra", Role::Platform, Some("michat")).await;
        let mut m = Browser::new(&app);
        m.sign_in("mitra", PASSWORD).await;
        let page = m.get("/platform/webhook").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("rotate-secret"), "nothing to rotate yet");
        let csrf = m.csrf().await;
        let p = m.post("/platform/webhook", &[("csrf", &csrf), ("url", "ftp://x")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        let p = m.post("/platform/webhook", &[("csrf", &csrf), ("url", "http://127.0.0.1:9/ronda")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        let secret = |body: &str| {
            let at = body.find("id=\"secret-value\">").unwrap() + 18;
            body[at..at + body[at..].find('<').unwrap()].to_string()
        };
        let first = secret(&p.body);
        assert!(first.starts_with("whsec_"), "{first}");
        assert!(p.body.contains("rotate-secret"));
        let p = m.post("/platform/webhook/rotate", &[("csrf", &csrf)]).await;
        assert_eq!(p.status, StatusCode::OK);
        let second = secret(&p.body);
        assert!(second.starts_with("whsec_") && second != first);
        assert!(p.body.contains("http://127.0.0.1:9/ronda"), "the address stays");
        let later = m.get("/platform/webhook").await;
        assert!(!later.body.contains(&second), "a secret is shown once");
        let actions = app.audit_actions("platform:1").await;
        assert!(actions.iter().filter(|a| *a == "webhook.registered").count() >= 2, "{actions:?}");
    }

    async fn a_platform_sets_the_address_its_new_notices_are_mailed_to(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "mitra", Role::Platform, Some("michat")).await;
        user(&app, "wa", Role::Platform, Some("whatsapp")).await;
        user(&app, "root", Role::Admin, None).await;
        let mut m = Browser::new(&app);
        m.sign_in("mitra", PASSWORD).await;
        let page = m.get("/platform/webhook").await;
        assert!(page.body.contains("id=\"notice_email\""), "{}", page.body);
        assert!(page.body.contains("belum memiliki relai surel"), "says mail is not set up here");
        let csrf = m.csrf().await;
        let p = m.post("/platform/notice-email", &[("csrf", &csrf), ("notice_email", "ts@michat")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Isi satu alamat surel"), "{}", p.body);
        let p = m.post("/platform/notice-email", &[("notice_email", "ts@michat.example")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "no CSRF token, no change");
        let p = m.post("/platform/notice-email", &[("csrf", &csrf), ("notice_email", " ts@michat.example ")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("Permintaan baru akan dikirim ke ts@michat.example."), "{}", p.body);
        assert!(p.body.contains("value=\"ts@michat.example\""));
        // Another platform's portal shows its own (none); the admin sees both and can change one.
        let mut w = Browser::new(&app);
        w.sign_in("wa", PASSWORD).await;
        assert!(!w.get("/platform/webhook").await.body.contains("ts@michat.example"));
        let mut a = Browser::new(&app);
        a.sign_in("root", PASSWORD).await;
        let list = a.get("/admin/platforms").await;
        assert!(list.body.contains("ts@michat.example") && list.body.contains("Surel tidak aktif"), "{}", list.body);
        let csrf = a.csrf().await;
        let p = a.post("/admin/platforms/whatsapp/notice-email", &[("csrf", &csrf), ("notice_email", "abuse@wa.example")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert_eq!(m.post("/admin/platforms/whatsapp/notice-email", &[("csrf", &csrf), ("notice_email", "x@y.example")]).await.status,
            StatusCode::FORBIDDEN, "a platform user cannot use the admin's form");
        let csrf = m.csrf().await;
        let p = m.post("/platform/notice-email", &[("csrf", &csrf), ("notice_email", "")]).await;
        assert!(p.body.contains("Permintaan baru tidak akan dikirim lewat surel."), "{}", p.body);
        let actions = app.audit_actions("platform:1").await;
        assert_eq!(actions.iter().filter(|a| *a == "platform.notice_email").count(), 2, "{actions:?}");
    }
}
