//! The police portal and the team's side of referrals over HTTP, against the real server on
//! both backends: the team refers a case to a unit, the unit's investigators see it (another
//! unit does not), read its accounts with phones masked, download a bundle that verifies with
//! the key the portal gives, move it forward, and ask questions the team answers once.
//! (In a real browser: `scripts/console_e2e.py`.)

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::browser::{Browser, PASSWORD, police, user};
use common::{Backend, TestApp};
use reqwest::StatusCode;
use ronda_core::evidence::{parse_public_key, verify};
use ronda_core::model::Role;
use ronda_server::evidence_zip::read_zip;
use serde_json::json;

const UNIT: &str = "Ditsiber Polda Metro Jaya";

/// A case with a phone number in its text; its id.
async fn case(app: &TestApp, account: &str) -> i64 {
    let (s, v) = app
        .post(
            Some(&app.admin),
            "/reports",
            &json!({"source": "patrol", "platform": "michat", "target": {"account": account},
                    "text": "open BO 500rb wa 081234567890"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["case_id"].as_i64().unwrap()
}

/// The id in the first `href="/police/referrals/N"` of a page.
fn referral_id(body: &str) -> i64 {
    let at = body.find("href=\"/police/referrals/").unwrap() + 24;
    body[at..at + body[at..].find('"').unwrap()]
        .parse()
        .unwrap()
}

page_tests! {
    async fn a_unit_reads_its_referrals_and_downloads_a_bundle_that_verifies(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "ana", Role::Analyst, None).await;
        police(&app, "budi", UNIT).await;
        police(&app, "dewi", "Bareskrim").await;
        let id = case(&app, "rina22").await;
        let other = case(&app, "sari33").await;

        // The team refers from the console, to the unit; a bad number is said beside the form.
        let mut a = Browser::new(&app);
        a.sign_in("ana", PASSWORD).await;
        let csrf = a.csrf().await;
        let p = a.post("/referrals", &[("csrf", &csrf), ("subject", "case"), ("subject_id", "dua"), ("request_number", "B/1")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Tulis nomor kasus atau pelaku"), "{}", p.body);
        let p = a.post("/referrals", &[("csrf", &csrf), ("subject", "case"), ("subject_id", &id.to_string()),
            ("request_number", "B/77/XII/2026"), ("unit", UNIT), ("note", "dugaan TPPO")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("Dirujuk dengan nomor B/77/XII/2026."), "{}", p.body);
        let p = a.post("/referrals", &[("csrf", &csrf), ("subject", "case"), ("subject_id", &id.to_string()), ("request_number", "B/77/XII/2026")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "a used number");
        // Another referral to no unit in particular (the API, as before units).
        let (s, v) = app.post(Some(&app.admin), "/referrals", &json!({"case_id": other, "request_number": "R/9"})).await;
        assert_eq!((s, &v["unit"]), (StatusCode::CREATED, &serde_json::Value::Null), "{v}");

        // The unit's investigator lands on the referrals, sees both, opens the first.
        let mut b = Browser::new(&app);
        assert_eq!(b.sign_in("budi", PASSWORD).await.location(), "/police");
        let list = b.get("/police").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains(&format!("Rujukan untuk {UNIT}")) && list.body.contains("B/77/XII/2026") && list.body.contains("R/9"), "{}", list.body);
        assert_eq!(b.get("/queue").await.status, StatusCode::FORBIDDEN);
        assert_eq!(a.get("/police").await.status, StatusCode::FORBIDDEN);
        let store = app.state.store.clone();
        let to_unit = tokio::task::spawn_blocking(move || store.referrals(None, None, 10).unwrap()).await.unwrap()
            .into_iter().find(|r| r.request_number == "B/77/XII/2026").unwrap().id;
        assert_eq!(referral_id(&list.body), to_unit + 1, "newest first");
        let page = b.get(&format!("/police/referrals/{to_unit}")).await;
        assert_eq!(page.status, StatusCode::OK);
        for want in ["rina22", "michat", "dugaan TPPO", UNIT, "+62812*****890", "Unduh paket bukti bertanda tangan", " WIB"] {
            assert!(page.body.contains(want), "{want}: {}", page.body);
        }
        assert!(!page.body.contains("+6281234567890"), "phones masked as the API masks them");
        assert!(!page.body.contains("sari33"), "only the referral's cases");

        // Another unit: the referral to no unit only; the other is not found, its bundle too.
        let mut d = Browser::new(&app);
        d.sign_in("dewi", PASSWORD).await;
        let theirs = d.get("/police").await;
        assert!(theirs.body.contains("R/9") && !theirs.body.contains("B/77/XII/2026"), "{}", theirs.body);
        assert_eq!(d.get(&format!("/police/referrals/{to_unit}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(d.get(&format!("/police/referrals/{to_unit}/evidence.zip")).await.status, StatusCode::NOT_FOUND);

        // The bundle verifies against the key the portal gives, and its download is audited.
        let zip = b.get(&format!("/police/referrals/{to_unit}/evidence.zip")).await;
        assert_eq!(zip.status, StatusCode::OK);
        assert_eq!(zip.headers["content-type"], "application/zip");
        let key = b.get("/police/public-key.txt").await;
        assert_eq!(key.status, StatusCode::OK);
        let key = parse_public_key(&key.body).unwrap();
        let files = read_zip(&zip.bytes).unwrap();
        let v = verify(&files, Some(&key));
        assert!(v.is_ok(), "{:?}", v.problems);
        let manifest = files.iter().find(|(name, _)| name == "manifest.json").unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&manifest.1).unwrap();
        assert_eq!(manifest["reporter_identity"], false, "no reporters' identities for the police");
        assert_eq!(manifest["generated_by"], "user:budi");
        let actors: Vec<String> = {
            let store = app.state.store.clone();
            tokio::task::spawn_blocking(move || store.audit_events_for(&format!("case:{id}")).unwrap()).await.unwrap()
                .into_iter().filter(|e| e.action == "evidence.exported").map(|e| e.actor).collect()
        };
        assert_eq!(actors, vec!["user:budi".to_string()]);
        let how = b.get("/police/verify").await;
        assert!(how.body.contains("ronda evidence verify") && how.body.contains("id=\"key-value\""), "{}", how.body);

        // Forward only, under the investigator's name; a step back is refused in words.
        let csrf = b.csrf().await;
        let p = b.post(&format!("/police/referrals/{to_unit}/status"), &[("csrf", &csrf), ("status", "investigating"), ("note", "LP/B/55")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("Status rujukan sekarang: dalam penyelidikan."), "{}", p.body);
        let p = b.post(&format!("/police/referrals/{to_unit}/status"), &[("csrf", &csrf), ("status", "acknowledged")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Ditolak:"), "{}", p.body);
        let p = b.post(&format!("/police/referrals/{to_unit}/status"), &[("status", "closed")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "no CSRF token");
        let actions = app.audit_actions(&format!("referral:{to_unit}")).await;
        assert_eq!(actions, ["referral.created", "referral.status"]);
    }

    async fn the_police_ask_and_the_team_answers_once(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "ana", Role::Analyst, None).await;
        police(&app, "budi", UNIT).await;
        let id = case(&app, "rina22").await;
        let (s, v) = app.post(Some(&app.admin), "/referrals", &json!({"case_id": id, "request_number": "B/78", "unit": UNIT})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let r = v["id"].as_i64().unwrap();

        let mut b = Browser::new(&app);
        b.sign_in("budi", PASSWORD).await;
        let csrf = b.csrf().await;
        let p = b.post(&format!("/police/referrals/{r}/questions"), &[("csrf", &csrf), ("question", "  ")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Tulis pertanyaan Anda terlebih dahulu."), "{}", p.body);
        let p = b.post(&format!("/police/referrals/{r}/questions"), &[("csrf", &csrf), ("question", "Mohon log akses akun 1-3 Desember")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("Pertanyaan Anda telah dikirim ke tim.") && p.body.contains("Menunggu jawaban tim."), "{}", p.body);

        // The team sees it waiting and answers it; a second answer is refused.
        let mut a = Browser::new(&app);
        a.sign_in("ana", PASSWORD).await;
        let team = a.get("/referrals").await;
        assert!(team.body.contains("Pertanyaan kepolisian yang menunggu jawaban: 1") && team.body.contains("Mohon log akses akun"), "{}", team.body);
        let at = team.body.find("action=\"/referrals/questions/").unwrap() + 29;
        let q: i64 = team.body[at..at + team.body[at..].find('/').unwrap()].parse().unwrap();
        let csrf = a.csrf().await;
        let p = a.post(&format!("/referrals/questions/{q}/answer"), &[("csrf", &csrf), ("answer", "Log terlampir pada bundel")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("Jawaban telah dikirim.") && p.body.contains("Tidak ada pertanyaan yang menunggu."), "{}", p.body);
        let p = a.post(&format!("/referrals/questions/{q}/answer"), &[("csrf", &csrf), ("answer", "lagi")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(a.post(&format!("/referrals/questions/{}/answer", q + 99), &[("csrf", &csrf), ("answer", "x")]).await.status, StatusCode::NOT_FOUND);
        // The police may not answer; the team does not ask through the police portal.
        let police_csrf = b.csrf().await;
        assert_eq!(b.post(&format!("/referrals/questions/{q}/answer"), &[("csrf", &police_csrf), ("answer", "x")]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(a.post(&format!("/police/referrals/{r}/questions"), &[("csrf", &csrf), ("question", "x")]).await.status, StatusCode::FORBIDDEN);

        let page = b.get(&format!("/police/referrals/{r}")).await;
        assert!(page.body.contains("Log terlampir pada bundel") && !page.body.contains("Menunggu jawaban tim."), "{}", page.body);
        let actors: Vec<(String, String)> = {
            let store = app.state.store.clone();
            tokio::task::spawn_blocking(move || store.audit_events_for(&format!("referral:{r}")).unwrap()).await.unwrap()
                .into_iter().map(|e| (e.actor, e.action)).collect()
        };
        assert_eq!(&actors[1..], [("user:budi".to_string(), "referral.question".to_string()), ("user:ana".to_string(), "referral.answer".to_string())]);
    }
}
