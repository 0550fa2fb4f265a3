//! The console over HTTP, against the real server on both backends: sign-in and its
//! throttling, sessions and sign-out, CSRF on form posts, security headers, language, access
//! by role, and the review of a case to its notice. (The same flows in a real browser:
//! `scripts/console_e2e.py`.)

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::browser::{Browser, PASSWORD, user};
use common::{Backend, TestApp};
use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;
use ronda_core::model::Role;
use ronda_store::users::{NewUser, PasswordChoice};
use serde_json::json;

page_tests! {
    async fn sign_in_starts_a_strict_session_and_sign_out_ends_it(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "ana", Role::Analyst, None).await;
        let mut b = Browser::new(&app);

        // Signed out, a team page sends to the sign-in form and comes back after.
        let p = b.get("/queue").await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/login?next=%2Fqueue"));

        // The form, in Indonesian by default, with every security header.
        let form = b.get("/login?next=%2Fqueue").await;
        assert_eq!(form.status, StatusCode::OK);
        for label in ["Nama pengguna", "Kata sandi", ">Masuk</button>"] {
            assert!(form.body.contains(label), "{label}");
        }
        let csp = form.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(form.headers["x-frame-options"], "DENY");
        assert_eq!(form.headers["referrer-policy"], "same-origin");
        assert_eq!(form.headers["x-content-type-options"], "nosniff");
        assert_eq!(form.headers["cache-control"], "no-store");
        assert!(!form.body.contains("<script>"), "no inline script");

        // A wrong password: refused, said plainly, nothing started.
        let csrf = form.csrf();
        let p = b.post("/login", &[("csrf", &csrf), ("username", "ana"), ("password", "wrong password!")]).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(p.body.contains("Nama pengguna atau kata sandi salah."), "{}", p.body);
        assert!(!b.cookies.contains_key("ronda_session"));

        // The right one: a session cookie, HttpOnly and SameSite=Strict, then the page asked for.
        let p = b.post("/login", &[("csrf", &csrf), ("username", "ana"), ("password", PASSWORD), ("next", "/queue")]).await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/queue"));
        let set = p.headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).find(|c| c.starts_with("ronda_session=")).unwrap();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"), "{set}");
        assert!(!set.contains("Secure"), "not configured here: {set}");
        let q = b.get("/queue").await;
        assert_eq!(q.status, StatusCode::OK);
        assert!(q.body.contains("Antrean verifikasi"));
        assert!(q.body.contains("<strong>ana</strong>"), "ana is online");

        // Sign-out ends the session in the store: the old cookie opens nothing.
        let old = b.cookies["ronda_session"].clone();
        let csrf = q.csrf();
        let p = b.post("/logout", &[("csrf", &csrf)]).await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/login"));
        b.cookies.insert("ronda_session".into(), old);
        assert_eq!(b.get("/queue").await.status, StatusCode::SEE_OTHER);
        let actions = app.audit_actions("user:1").await;
        assert!(actions.contains(&"session.started".to_string()) && actions.contains(&"session.ended".to_string()), "{actions:?}");
    }

    async fn secure_cookies_when_configured_and_an_open_redirect_is_not_followed(backend) {
        let app = TestApp::spawn_with(backend, |c| c.console.secure_cookies = true).await;
        user(&app, "ana", Role::Analyst, None).await;
        let mut b = Browser::new(&app);
        let form = b.get("/login").await;
        let csrf = form.csrf();
        let p = b.post("/login", &[("csrf", &csrf), ("username", "ana"), ("password", PASSWORD), ("next", "//evil.example/x")]).await;
        assert_eq!(p.location(), "/queue", "a foreign `next` is ignored");
        let set: Vec<String> = p.headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
        assert!(set.iter().all(|c| c.contains("; Secure")), "{set:?}");
        let p = b.get("/lang?to=en&back=%2F%2Fevil.example").await;
        assert_eq!(p.location(), "/");
    }

    async fn a_form_post_without_its_csrf_token_is_refused_and_changes_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "ana", Role::Analyst, None).await;
        let case = app.patrol_report("rina22", "open BO malam ini 500rb").await;
        let mut b = Browser::new(&app);
        assert_eq!(b.sign_in("ana", PASSWORD).await.status, StatusCode::SEE_OTHER);
        for token in ["", "rnd_forged"] {
            let p = b.post(&format!("/cases/{case}/claim"), &[("csrf", token)]).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN);
            assert!(p.body.contains("Formulir sudah kedaluwarsa"), "{}", p.body);
        }
        // Sign-in's own form is protected the same way (its cookie's token).
        let mut other = Browser::new(&app);
        let p = other.post("/login", &[("csrf", "x"), ("username", "ana"), ("password", PASSWORD)]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(!app.audit_actions(&format!("case:{case}")).await.contains(&"case.claimed".to_string()));
        let csrf = b.csrf().await;
        let p = b.post(&format!("/cases/{case}/claim"), &[("csrf", &csrf)]).await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, format!("/cases/{case}").as_str()));
        assert!(app.audit_actions(&format!("case:{case}")).await.contains(&"case.claimed".to_string()));
    }

    async fn review_confirm_and_next_issues_the_notice_under_the_users_name(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "ana", Role::Analyst, None).await;
        let first = app.patrol_report("rina22", "open BO malam ini 500rb wa 0812-3456-7890").await;
        let second = app.patrol_report("sinta99", "ready open bo, 600rb").await;
        let mut b = Browser::new(&app);
        b.sign_in("ana", PASSWORD).await;
        let csrf = b.csrf().await;

        // Start reviewing claims the first case of the queue and opens it.
        let p = b.post("/queue/next", &[("csrf", &csrf)]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        let opened: i64 = p.location().trim_start_matches("/cases/").parse().unwrap();
        assert!(opened == first || opened == second);
        let other = if opened == first { second } else { first };
        let page = b.get(p.location()).await;
        assert!(page.body.contains("Anda menangani kasus ini"), "claimed by the viewer");
        // The detected words are marked with the rule that fired; the phone number in E.164.
        assert!(page.body.contains("<mark title=\"aturan prostitution."), "{}", page.body);
        // Which model scored it, and what weighed most.
        assert!(page.body.contains("id=\"detection-model\"><code>builtin</code>"), "{}", page.body);
        assert!(page.body.contains("Yang paling berpengaruh") && page.body.contains("id=\"detection-features\"><code>"));
        if opened == first {
            assert!(page.body.contains("+6281234567890"));
        }

        // A confirmation without a legal basis is refused with the reason, the form kept.
        let path = format!("/cases/{opened}/decision");
        let p = b.post(&path, &[("csrf", &csrf), ("action", "confirm_next"), ("category", "prostitution"), ("legal_basis", ""), ("note", "seen twice")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Konfirmasi memerlukan dasar hukum."), "{}", p.body);
        assert!(p.body.contains(">seen twice</textarea>"));

        // With one: the notice is issued and the next case opens, claimed.
        let p = b.post(&path, &[("csrf", &csrf), ("action", "confirm_next"), ("category", "prostitution"), ("legal_basis", "uu_ite_27_1"), ("note", "seen twice")]).await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, format!("/cases/{other}").as_str()));
        let (_, c) = app.get(Some(&app.admin), &format!("/cases/{opened}")).await;
        assert_eq!(c["status"], "notice_sent", "{c}");
        let page = b.get(&format!("/cases/{opened}")).await;
        assert!(page.body.contains("Surat #") && page.body.contains("data-countdown="), "the notice and its deadline");
        assert!(page.body.contains("Diputuskan: dikonfirmasi <code>case.decided</code> · user:ana"), "the timeline says what was done, by whom: {}", page.body);
        assert!(page.body.contains("Kasus dibuka: baru <code>case.opened</code>"), "and from the start");
        let (_, claim) = app.get(Some(&app.admin), &format!("/cases/{other}")).await;
        assert_eq!(claim["status"], "in_review");

        // Another analyst's claim refuses the decision, with the reason shown.
        user(&app, "budi", Role::Analyst, None).await;
        let mut budi = Browser::new(&app);
        budi.sign_in("budi", PASSWORD).await;
        let csrf2 = budi.csrf().await;
        let p = budi.post(&format!("/cases/{other}/decision"), &[("csrf", &csrf2), ("action", "reject")]).await;
        assert_eq!(p.status, StatusCode::CONFLICT);
        assert!(p.body.contains("Ditolak:"), "{}", p.body);
        assert!(b.get("/queue").await.body.contains(&format!("href=\"/cases/{other}\">#{other}</a>")), "who holds what");

        // The queue is empty for ana once she decides the last one.
        let p = b.post(&format!("/cases/{other}/decision"), &[("csrf", &csrf), ("action", "reject_next")]).await;
        assert_eq!(p.location(), "/queue?empty=1");
    }

    async fn roles_open_only_their_pages(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "mitra", Role::Platform, Some("michat")).await;
        let case = app.patrol_report("rina22", "open BO").await;
        let mut b = Browser::new(&app);
        let p = b.sign_in("mitra", PASSWORD).await;
        assert_eq!(p.location(), "/platform", "a platform lands on its notices");
        for path in ["/queue".to_string(), format!("/cases/{case}")] {
            let p = b.get(&path).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
            assert!(p.body.contains("Halaman ini bukan untuk peran Anda"));
        }
        let csrf = b.csrf().await;
        assert_eq!(b.post(&format!("/cases/{case}/claim"), &[("csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(b.get("/account").await.status, StatusCode::OK);
        // API tokens keep working beside the console.
        let (s, _) = app.get(Some(&app.admin), "/queue").await;
        assert_eq!(s, StatusCode::OK);
    }

    async fn the_language_follows_the_browser_then_the_switch(backend) {
        let app = TestApp::spawn(backend).await;
        let mut b = Browser::new(&app);
        b.accept_language = Some("en-GB,en;q=0.9,id;q=0.5");
        let p = b.get("/login").await;
        assert!(p.body.contains("<html lang=\"en\">") && p.body.contains(">Username</label>") && p.body.contains(">Sign in</button>"));
        let p = b.get("/lang?to=id&back=%2Flogin").await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/login"));
        assert_eq!(b.cookies.get("ronda_lang").map(String::as_str), Some("id"));
        let p = b.get("/login").await;
        assert!(p.body.contains(">Nama pengguna</label>"), "the cookie wins over the browser");
    }

    async fn repeated_wrong_passwords_lock_the_account_and_each_address_is_throttled(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.console.lockout_failures = 3;
            c.console.sign_in_per_minute = 4;
        }).await;
        user(&app, "ana", Role::Analyst, None).await;
        let mut b = Browser::new(&app);
        for _ in 0..2 {
            assert_eq!(b.sign_in("ana", "not the password").await.status, StatusCode::UNAUTHORIZED);
        }
        let p = b.sign_in("ana", "not the password").await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(p.body.contains("akun ini dikunci sampai"), "{}", p.body);
        let wait: u64 = p.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((14 * 60..=15 * 60).contains(&wait), "until the lock lapses: {wait} s");
        let p = b.sign_in("ana", PASSWORD).await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "locked: even the right password");
        assert!(app.audit_actions("user:1").await.contains(&"user.locked".to_string()));
        // Four attempts used this address's allowance: the fifth waits, whatever the account.
        let p = b.sign_in("someone", "whatever it is").await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(p.body.contains("Terlalu banyak percobaan masuk dari alamat ini"), "{}", p.body);
        assert!(p.headers.contains_key("retry-after"));
    }

    async fn a_child_safety_text_is_veiled_until_asked_and_the_asking_is_audited(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "ana", Role::Analyst, None).await;
        let (s, v) = app.post(Some(&app.admin), "/reports", &json!({"source": "police", "platform": "michat",
            "target": {"account": "hidden1"}, "category": "child_exploitation", "text": "teks laporan rahasia"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let case = v["case_id"].as_i64().unwrap();
        let mut b = Browser::new(&app);
        b.sign_in("ana", PASSWORD).await;
        let q = b.get("/queue").await;
        assert!(q.body.contains("Disembunyikan (keselamatan anak)") && !q.body.contains("teks laporan rahasia"));
        let p = b.get(&format!("/cases/{case}")).await;
        assert!(!p.body.contains("teks laporan rahasia") && p.body.contains("id=\"unveil\""));
        assert!(!app.audit_actions(&format!("case:{case}")).await.contains(&"case.text_unveiled".to_string()));
        let p = b.get(&format!("/cases/{case}?unveil=1")).await;
        assert!(p.body.contains("teks laporan rahasia"));
        assert!(app.audit_actions(&format!("case:{case}")).await.contains(&"case.text_unveiled".to_string()));
    }

    async fn a_generated_password_is_changed_at_first_sign_in(backend) {
        let app = TestApp::spawn(backend).await;
        let store = app.state.store.clone();
        let (_, generated) = tokio::task::spawn_blocking(move || {
            store.create_user_blocking("test", NewUser { name: "sari".into(), role: Role::Supervisor, platform: None, unit: None }, PasswordChoice::Generated).unwrap()
        }).await.unwrap();
        let generated = generated.unwrap();
        let mut b = Browser::new(&app);
        let p = b.sign_in("sari", &generated).await;
        assert_eq!(p.location(), "/account/password");
        assert_eq!(b.get("/queue").await.location(), "/account/password", "nothing else first");
        let csrf = b.get("/account/password").await.csrf();
        let p = b.post("/account/password", &[("csrf", &csrf), ("current_password", &generated), ("new_password", "short"), ("repeat_password", "short")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("terlalu pendek"));
        let p = b.post("/account/password", &[("csrf", &csrf), ("current_password", &generated), ("new_password", PASSWORD), ("repeat_password", PASSWORD)]).await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/"));
        assert_eq!(b.get("/queue").await.status, StatusCode::OK);
        assert!(app.audit_actions("user:1").await.contains(&"user.password_changed".to_string()));
        let mut again = Browser::new(&app);
        assert_eq!(again.sign_in("sari", PASSWORD).await.location(), "/queue");
    }

    async fn an_admin_manages_people_tokens_and_platforms_and_no_one_else_may(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "root", Role::Admin, None).await;
        user(&app, "ana", Role::Analyst, None).await;
        let mut b = Browser::new(&app);
        b.sign_in("root", PASSWORD).await;
        let csrf = b.csrf().await;
        let p = b.post("/admin/users", &[("csrf", &csrf), ("name", "budi"), ("role", "analyst"), ("platform", ""), ("unit", "")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        let at = p.body.find("id=\"secret-value\">").unwrap() + 18;
        let password = p.body[at..at + 20].to_string();
        assert!(password.chars().all(|c| c.is_ascii_alphanumeric()), "{password}");
        assert_eq!(Browser::new(&app).sign_in("budi", &password).await.location(), "/account/password", "the one-time password works once, to choose one");
        // A platform user without a platform is refused with the reason.
        let p = b.post("/admin/users", &[("csrf", &csrf), ("name", "mitra"), ("role", "platform"), ("platform", ""), ("unit", "")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("id=\"admin-error\""));

        // A token shown once; it works on the API; revoked, it does not.
        let p = b.post("/admin/tokens", &[("csrf", &csrf), ("name", "crawler"), ("role", "intake"), ("platform", ""), ("days", "30")]).await;
        let at = p.body.find("id=\"secret-value\">").unwrap() + 18;
        let secret = p.body[at..at + p.body[at..].find('<').unwrap()].to_string();
        let (s, _) = app.get(Some(&secret), "/legal-bases").await;
        assert_eq!(s, StatusCode::OK);
        assert!(p.body.contains("berlaku sampai"), "it expires");
        let store = app.state.store.clone();
        let tokens = tokio::task::spawn_blocking(move || store.list_tokens().unwrap()).await.unwrap();
        let id = tokens.iter().find(|t| t.name == "crawler").unwrap().id;
        b.post(&format!("/admin/tokens/{id}/revoke"), &[("csrf", &csrf)]).await;
        let (s, _) = app.get(Some(&secret), "/legal-bases").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // Platforms, and a webhook whose URL is checked.
        let p = b.post("/admin/platforms", &[("csrf", &csrf), ("name", "lokal"), ("display_name", "Lokal")]).await;
        assert!(p.body.contains("Platform lokal terdaftar."), "{}", p.body);
        let p = b.post("/admin/platforms/lokal/webhook", &[("csrf", &csrf), ("url", "not a url")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        let p = b.post("/admin/platforms/lokal/webhook", &[("csrf", &csrf), ("url", "https://lokal.example/hook")]).await;
        assert!(p.body.contains("whsec_"), "the signing secret is shown once");
        assert!(b.get("/admin/platforms").await.body.contains("https://lokal.example/hook"));

        // Everything here was done under the admin's name.
        let store = app.state.store.clone();
        let verified = tokio::task::spawn_blocking(move || store.verify_audit().unwrap()).await.unwrap();
        assert!(verified.is_ok());
        let mut analyst = Browser::new(&app);
        analyst.sign_in("ana", PASSWORD).await;
        for path in ["/admin/users", "/admin/tokens", "/admin/platforms"] {
            assert_eq!(analyst.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        }
        let csrf = analyst.csrf().await;
        assert_eq!(analyst.post("/admin/users", &[("csrf", &csrf), ("name", "x1"), ("role", "admin")]).await.status, StatusCode::FORBIDDEN);
    }

    async fn a_hash_list_is_imported_from_a_file_and_a_match_is_debugged(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "sari", Role::Supervisor, None).await;
        user(&app, "ana", Role::Analyst, None).await;
        let mut b = Browser::new(&app);
        b.sign_in("sari", PASSWORD).await;
        let csrf = b.csrf().await;
        let near = format!("{}{}", "0".repeat(62), "ff");
        let list = format!("{},90,ad photo 1\n{},80,ad photo 2\n", "0".repeat(64), "f".repeat(64));
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("bank", "iklan")
            .text("category", "solicitation_photos")
            .part("file", reqwest::multipart::Part::bytes(list.into_bytes()).file_name("hashes.csv"));
        let p = b.post_multipart("/banks/import", form).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("iklan: 2 hash ditambahkan, 0 sudah ada"), "{}", p.body);
        assert!(b.get("/banks").await.body.contains("<td>iklan</td>"));
        // A hash 8 bits away: the nearest bank hash, with its distance and verdict.
        let form = reqwest::multipart::Form::new().text("csrf", csrf.clone()).text("pdq", near);
        let p = b.post_multipart("/banks/match", form).await;
        assert!(p.body.contains("<td>iklan</td><td>solicitation_photos</td><td>8</td><td>cocok</td>"), "{}", p.body);
        // Not a hash: said so.
        let form = reqwest::multipart::Form::new().text("csrf", csrf.clone()).text("pdq", "xyz");
        assert_eq!(b.post_multipart("/banks/match", form).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Without the CSRF token nothing is imported.
        let form = reqwest::multipart::Form::new().text("csrf", "forged").text("bank", "iklan")
            .part("file", reqwest::multipart::Part::bytes(format!("{}\n", "a".repeat(64)).into_bytes()));
        assert_eq!(b.post_multipart("/banks/import", form).await.status, StatusCode::FORBIDDEN);
        // An analyst debugs matches but imports nothing.
        let mut ana = Browser::new(&app);
        ana.sign_in("ana", PASSWORD).await;
        let csrf = ana.csrf().await;
        let form = reqwest::multipart::Form::new().text("csrf", csrf).text("bank", "iklan")
            .part("file", reqwest::multipart::Part::bytes(format!("{}\n", "a".repeat(64)).into_bytes()));
        assert_eq!(ana.post_multipart("/banks/import", form).await.status, StatusCode::FORBIDDEN);
        let store = app.state.store.clone();
        let bank = tokio::task::spawn_blocking(move || store.get_bank("iklan").unwrap().unwrap()).await.unwrap();
        assert_eq!(bank.hash_count, 2);
    }

    async fn watch_lists_are_added_and_switched_from_the_patrol_page(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "sari", Role::Supervisor, None).await;
        user(&app, "ana", Role::Analyst, None).await;
        user(&app, "adi", Role::Admin, None).await;
        let mut b = Browser::new(&app);
        b.sign_in("sari", PASSWORD).await;
        let p = b.get("/patrol").await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("Belum ada daftar pantauan.") && p.body.contains("Daftar pantauan baru"), "{}", p.body);
        let csrf = b.csrf().await;
        let p = b.post("/patrol/watchlists", &[("csrf", &csrf), ("name", "Forum Jogja"),
            ("seeds", "https://forum.example/jual-beli\nhttps://forum.example/feed.xml"), ("depth", "1"), ("every", "6h"), ("scope", "host")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("Daftar pantauan &quot;Forum Jogja&quot; ditambahkan") || p.body.contains("Daftar pantauan \"Forum Jogja\" ditambahkan"), "{}", p.body);
        assert!(p.body.contains("https://forum.example/feed.xml") && p.body.contains("6h · kedalaman 1"), "{}", p.body);
        assert!(!p.body.contains("id=\"robots-1\""), "the robots switch is an admin's");
        // Bad input is said in the viewer's language and stores nothing.
        let p = b.post("/patrol/watchlists", &[("csrf", &csrf), ("name", "x"), ("seeds", "https://a.example/"), ("every", "kadang")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Setiap: isi durasi"), "{}", p.body);
        let p = b.post("/patrol/watchlists", &[("csrf", &csrf), ("name", "x"), ("seeds", "ftp://a.example/")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("URL awal:"), "{}", p.body);
        let p = b.post("/patrol/watchlists", &[("csrf", "forged"), ("name", "y"), ("seeds", "https://a.example/")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        // Disabled and enabled again by the supervisor; robots.txt refused to her.
        let p = b.post("/patrol/watchlists/1/disable", &[("csrf", &csrf)]).await;
        assert!(p.body.contains("Daftar pantauan dinonaktifkan"), "{}", p.body);
        assert_eq!(b.post("/patrol/watchlists/1/robots", &[("csrf", &csrf), ("ignore", "true")]).await.status, StatusCode::FORBIDDEN);
        // An admin lets it ignore robots.txt; an analyst reads the page without the forms.
        let mut adi = Browser::new(&app);
        adi.sign_in("adi", PASSWORD).await;
        let csrf = adi.csrf().await;
        let p = adi.post("/patrol/watchlists/1/robots", &[("csrf", &csrf), ("ignore", "true")]).await;
        assert!(p.body.contains("kini mengabaikan robots.txt") && p.body.contains("<strong>diabaikan</strong>"), "{}", p.body);
        let mut ana = Browser::new(&app);
        ana.sign_in("ana", PASSWORD).await;
        let p = ana.get("/patrol").await;
        assert!(p.body.contains("Forum Jogja") && !p.body.contains("Daftar pantauan baru") && !p.body.contains("id=\"switch-1\""), "{}", p.body);
        let csrf = ana.csrf().await;
        assert_eq!(ana.post("/patrol/watchlists/1/enable", &[("csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);
        let store = app.state.store.clone();
        let (w, actions) = tokio::task::spawn_blocking(move || {
            let w = store.get_watchlist(1).unwrap().unwrap();
            let a: Vec<(String, String)> = store.audit_events_for("watchlist:1").unwrap().into_iter().map(|e| (e.actor, e.action)).collect();
            (w, a)
        }).await.unwrap();
        assert!(!w.enabled && w.list.ignore_robots);
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(actions[0].0.contains("sari") && actions[2].0.contains("adi"), "{actions:?}");
    }

    async fn statistics_download_as_csv_and_leads_generate_the_transparency_report(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "sari", Role::Supervisor, None).await;
        user(&app, "ana", Role::Analyst, None).await;
        app.patrol_report("rina22", "open BO malam ini").await;
        let mut ana = Browser::new(&app);
        ana.sign_in("ana", PASSWORD).await;
        let p = ana.get("/stats?group_by=platform").await;
        assert!(p.body.contains("Kasus dibuka") && p.body.contains("<figure class=\"chart\">"), "{}", p.body);
        let csv = ana.get("/stats.csv?group_by=platform").await;
        assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
        assert!(csv.body.starts_with("platform,items_handled,"), "{}", csv.body);
        assert!(csv.body.lines().any(|l| l.starts_with("michat,1,")), "{}", csv.body);
        let p = ana.get("/stats?from=2026-13-01").await;
        assert!(p.body.contains("Rentang waktu ditolak"), "a bad date is said, the default window shown");
        assert_eq!(ana.get("/stats/transparency.html").await.status, StatusCode::FORBIDDEN);
        let mut sari = Browser::new(&app);
        sari.sign_in("sari", PASSWORD).await;
        let r = sari.get("/stats/transparency.html").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
        assert!(r.body.contains("Laporan Transparansi Ronda") && !r.body.contains("rina22"), "aggregates only");
        assert!(app.audit_actions("stats").await.contains(&"report.transparency_generated".to_string()));
    }

    async fn one_decision_for_all_of_an_actors_open_cases_and_search_by_phone(backend) {
        let app = TestApp::spawn(backend).await;
        user(&app, "sari", Role::Supervisor, None).await;
        let a = app.patrol_report("rina22", "open BO malam ini 500rb wa 0812-3456-7890").await;
        let b2 = app.patrol_report("rina_baru", "avail malam ini, hubungi wa 0812 3456 7890").await;
        let (_, ca) = app.get(Some(&app.admin), &format!("/cases/{a}")).await;
        let (_, cb) = app.get(Some(&app.admin), &format!("/cases/{b2}")).await;
        let actor = ca["actor"].as_i64().unwrap();
        assert_eq!(cb["actor"].as_i64(), Some(actor), "one actor: the same phone");
        let mut b = Browser::new(&app);
        b.sign_in("sari", PASSWORD).await;
        let p = b.get("/search?q=%2B62+812-3456-7890").await;
        assert!(p.body.contains(&format!("href=\"/cases/{a}\"")) && p.body.contains(&format!("href=\"/cases/{b2}\"")), "{}", p.body);
        assert!(p.body.contains(&format!("href=\"/actors/{actor}\"")));
        let page = b.get(&format!("/actors/{actor}")).await;
        assert!(page.body.contains("<svg class=\"graph\"") && page.body.contains("class=\"edge\""), "{}", page.body);
        let csrf = page.csrf();
        let p = b.post(&format!("/actors/{actor}/decision"), &[("csrf", &csrf), ("action", "confirm"), ("category", "prostitution"), ("legal_basis", ""), ("note", "")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "a basis is required");
        let p = b.post(&format!("/actors/{actor}/decision"), &[("csrf", &csrf), ("action", "confirm"), ("category", "prostitution"), ("legal_basis", "uu_ite_27_1"), ("note", "one ring")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        for id in [a, b2] {
            let (_, c) = app.get(Some(&app.admin), &format!("/cases/{id}")).await;
            assert_eq!(c["status"], "notice_sent", "{c}");
        }
        let n = b.get("/notices").await;
        assert_eq!(n.body.matches("<tr data-href=").count(), 2);
    }

    async fn admins_set_up_a_second_factor_when_required_and_sign_in_with_it(backend) {
        use ronda_core::totp::{base32_decode, code_at, step_of};
        let app = TestApp::spawn_with(backend, |c| c.console.require_totp_for_admins = true).await;
        user(&app, "root", Role::Admin, None).await;
        user(&app, "ana", Role::Analyst, None).await;
        let mut b = Browser::new(&app);
        assert_eq!(b.sign_in("root", PASSWORD).await.location(), "/account/totp");
        assert_eq!(b.get("/admin/users").await.location(), "/account/totp", "nothing else first");
        let page = b.get("/account/totp").await;
        assert!(page.body.contains("otpauth://totp/Ronda:root?secret="), "{}", page.body);
        let at = page.body.find("name=\"secret\" value=\"").unwrap() + 21;
        let key = page.body[at..at + page.body[at..].find('"').unwrap()].to_string();
        let secret = base32_decode(&key).unwrap();
        assert_eq!(secret.len(), 20);
        let csrf = page.csrf();
        let code = |step: i64| format!("{:06}", code_at(&secret, step, 6));
        let now = step_of(app.state.store.now_ms());
        let wrong = if code(now) == "000000" { "111111".to_string() } else { "000000".to_string() };
        let p = b.post("/account/totp", &[("csrf", &csrf), ("secret", &key), ("code", &wrong)]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Kode itu tidak cocok"));
        let p = b.post("/account/totp", &[("csrf", &csrf), ("secret", &key), ("code", &code(now))]).await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/"));
        assert_eq!(b.get("/admin/users").await.status, StatusCode::OK);
        // Signing in now takes the code too; the password alone asks for it.
        let mut again = Browser::new(&app);
        let p = again.sign_in("root", PASSWORD).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(p.body.contains("bersama kode 6 digit"), "{}", p.body);
        let form = again.get("/login").await;
        let csrf = form.csrf();
        let p = again.post("/login", &[("csrf", &csrf), ("username", "root"), ("password", PASSWORD), ("code", &code(now + 1))]).await;
        assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/queue"));
        // Analysts are not asked for one.
        assert_eq!(Browser::new(&app).sign_in("ana", PASSWORD).await.location(), "/queue");
    }
}
