//! The public's pages over HTTP, against the real server on both backends: the report form
//! `/lapor` (its token, honeypot, size limit, per-address limit, screenshot hashed and not
//! kept, the report sent twice filed once) and `/lapor/status` (codes typed any way, the
//! stages and nothing else, followed to "removed"). (In a real browser:
//! `scripts/console_e2e.py`.)

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::browser::{Browser, Page};
use common::{Backend, TestApp};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use ronda_core::model::Role;
use serde_json::json;

fn field_value(page: &Page, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let at = page
        .body
        .find(&pat)
        .unwrap_or_else(|| panic!("no {name} in {}", page.body))
        + pat.len();
    page.body[at..at + page.body[at..].find('"').unwrap()].to_string()
}

/// The tracking code on the page after a report was sent.
fn tracking_code(page: &Page) -> String {
    let pat = "id=\"tracking-code\">";
    let at = page
        .body
        .find(pat)
        .unwrap_or_else(|| panic!("no code in {}", page.body))
        + pat.len();
    page.body[at..at + page.body[at..].find('<').unwrap()].to_string()
}

fn filled(token: &str, target: &str) -> Form {
    Form::new()
        .text("form_token", token.to_string())
        .text("platform", "michat")
        .text("target", target.to_string())
        .text("category", "prostitution")
        .text("seen", "open BO malam ini, 500rb, wa 0812-3456-7890")
        .text("name", "Budi")
        .text("contact", "budi@example.org")
        .text("consent", "yes")
        .text("website", "")
}

fn png(side: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(side, side, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 5 % 256) as u8,
            ((x + y) % 256) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn report_rows(app: &TestApp) -> Vec<serde_json::Value> {
    let (_, v) = app.get(Some(&app.admin), "/cases?status=new").await;
    v["cases"].as_array().cloned().unwrap_or_default()
}

async fn status_of(b: &mut Browser, code: &str) -> Page {
    let page = b.get("/lapor/status").await;
    let t = field_value(&page, "form_token");
    b.post("/lapor/status", &[("form_token", &t), ("code", code)])
        .await
}

page_tests! {
    async fn the_form_speaks_indonesian_first_and_files_a_report_once(backend) {
        let app = TestApp::spawn_with(backend, |c| c.console.report_form_min_seconds = 0).await;
        let mut b = Browser::new(&app);
        let form = b.get("/lapor").await;
        assert_eq!(form.status, StatusCode::OK);
        for label in ["Platform", "Akun atau URL", "Kategori", "Apa yang Anda lihat?", ">Kirim laporan</button>", "Lainnya (situs web atau aplikasi lain)"] {
            assert!(form.body.contains(label), "{label}");
        }
        assert_eq!(form.headers["x-frame-options"], "DENY");
        assert!(!form.headers["content-security-policy"].to_str().unwrap().contains("unsafe-inline"));
        assert!(form.body.contains("enctype=\"multipart/form-data\""));
        b.accept_language = Some("en-US,en;q=0.9");
        let en = b.get("/lapor").await;
        for label in ["Platform", "Account or URL", "Category", "What did you see?", ">Send report</button>"] {
            assert!(en.body.contains(label), "{label}");
        }
        b.accept_language = None;

        // Sent with a screenshot: the code, and the store holds its hashes, not its bytes.
        let token = field_value(&form, "form_token");
        let image = png(64);
        let sha = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&image))
        };
        let f = filled(&token, "@rina22").part("screenshot", Part::bytes(image).file_name("layar.png").mime_str("image/png").unwrap());
        let sent = b.post_multipart("/lapor", f).await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
        let code = tracking_code(&sent);
        assert_eq!(code.len(), 14, "{code}");
        assert!(sent.body.contains("Laporan terkirim"));
        let cases = report_rows(&app).await;
        assert_eq!(cases.len(), 1);
        let case = cases[0]["id"].as_i64().unwrap();
        let (_, reports) = app.get(Some(&app.admin), &format!("/cases/{case}/reports")).await;
        let r = &reports["reports"][0];
        assert_eq!(r["source"], "public", "{r}");
        let media = r["media"].to_string();
        assert!(media.contains(&sha) && media.contains("pdq"), "{r}");
        assert!(!r.to_string().contains("Budi"), "the reporter is sealed: {r}");
        let actions = app.audit_actions(&format!("case:{case}")).await;
        assert_eq!(actions, vec!["case.opened".to_string()]);

        // The same form again (a reload, a double click): the same code, still one report.
        let again = b.post_multipart("/lapor", filled(&token, "@rina22")).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(tracking_code(&again), code);
        assert_eq!(app.report_count().await, 1);

        // The status page takes the code in lower case without dashes.
        let status = b.get("/lapor/status").await;
        for label in ["Kode pelacakan", ">Cek</button>"] {
            assert!(status.body.contains(label), "{label}");
        }
        let st = field_value(&status, "form_token");
        let typed = code.to_lowercase().replace('-', "");
        let p = b.post("/lapor/status", &[("form_token", &st), ("code", &typed)]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains(&code));
        assert!(p.body.contains("Tahap sekarang: Diterima"), "{}", p.body);
        for secret in ["Budi", "budi@example.org", "rina22", "open BO"] {
            assert!(!p.body.contains(secret), "{secret} leaked");
        }
        let p = b.post("/lapor/status", &[("form_token", &st), ("code", "ZZZZ-ZZZZ-ZZZZ")]).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert!(p.body.contains("Tidak ada laporan dengan kode itu"));
    }

    async fn a_report_is_followed_to_removed(backend) {
        let app = TestApp::spawn_with(backend, |c| c.console.report_form_min_seconds = 0).await;
        let mut b = Browser::new(&app);
        let form = b.get("/lapor").await;
        let sent = b.post_multipart("/lapor", filled(&field_value(&form, "form_token"), "@sari_vcs")).await;
        let code = tracking_code(&sent);
        let case = report_rows(&app).await[0]["id"].as_i64().unwrap();

        let analyst = app.token(Role::Analyst, None).await;
        let (s, _) = app.post(Some(&analyst), &format!("/cases/{case}/claim"), &json!({})).await;
        assert_eq!(s, StatusCode::OK);
        let p = status_of(&mut b, &code).await;
        assert!(p.body.contains("Tahap sekarang: Sedang diverifikasi"), "{}", p.body);

        let (s, d) = app.post(Some(&analyst), &format!("/cases/{case}/decision"),
            &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"})).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let notice = d["notice_id"].as_i64().unwrap();
        let p = status_of(&mut b, &code).await;
        assert!(p.body.contains("Tahap sekarang: Platform diminta bertindak"), "{}", p.body);

        let michat = app.token(Role::Platform, Some("michat")).await;
        let (s, _) = app.post(Some(&michat), &format!("/platform/notices/{notice}/response"),
            &json!({"action": "removed", "reason": "akun ditutup"})).await;
        assert_eq!(s, StatusCode::OK);
        // The platform's word alone is not the end: the team re-checks.
        let p = status_of(&mut b, &code).await;
        assert!(p.body.contains("Tahap sekarang: Platform diminta bertindak"));
        assert!(!p.body.contains("akun ditutup"), "no platform answers");
        let intake = app.token(Role::Intake, None).await;
        let (s, _) = app.post(Some(&intake), &format!("/cases/{case}/recheck"), &json!({"result": "removed"})).await;
        assert_eq!(s, StatusCode::OK);
        b.accept_language = Some("en");
        let p = status_of(&mut b, &code).await;
        assert!(p.body.contains("Stage now: Removed"), "{}", p.body);
        for stage in ["Received", "Being verified", "Action requested from the platform", "Removed"] {
            assert!(p.body.contains(stage), "{stage}");
        }
        assert!(p.body.contains(" WIB"), "dates in WIB");
        assert!(!p.body.contains("not yet"), "{}", p.body);
    }

    async fn the_form_refuses_bots_forgeries_and_floods_in_plain_words(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.console.report_form_min_seconds = 1;
            c.console.report_form_upload_kib = 16;
            c.public_per_minute = 8;
            c.public_burst = 8;
        }).await;
        let mut b = Browser::new(&app);
        let form = b.get("/lapor").await;
        let token = field_value(&form, "form_token");

        // 1. Back too soon: the form again, what was typed kept, the same token.
        let p = b.post_multipart("/lapor", filled(&token, "@cepat")).await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(p.body.contains("Formulir dikirim terlalu cepat"), "{}", p.body);
        assert!(p.body.contains("value=\"@cepat\""));
        assert_eq!(field_value(&p, "form_token"), token);
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;

        // 2. No token, a forged one: refused, nothing filed.
        let no_token = filled("", "@x").text("form_token", "");
        let p = b.post_multipart("/lapor", no_token).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(p.body.contains("Formulir ini tidak berasal dari halaman kami"), "{}", p.body);
        let last = if token.ends_with('0') { "1" } else { "0" };
        let forged = format!("{}{last}", &token[..token.len() - 1]);
        let p = b.post_multipart("/lapor", filled(&forged, "@x")).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);

        // 3. The honeypot filled.
        let p = b.post_multipart("/lapor", filled(&token, "@x").text("website", "http://spam.example")).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        assert!(p.body.contains("program otomatis"), "{}", p.body);

        // 4. A screenshot over the limit (16 KiB here), and one that is not an image.
        b.accept_language = Some("en");
        let big = filled(&token, "@x").part("screenshot", Part::bytes(vec![7_u8; 40 * 1024]).file_name("big.png"));
        let p = b.post_multipart("/lapor", big).await;
        assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", p.body);
        assert!(p.body.contains("at most 16 KB"), "{}", p.body);
        // A body past the form's own bound is read off and refused with a page, not a reset.
        let huge = filled(&token, "@x").part("screenshot", Part::bytes(vec![7_u8; 120 * 1024]).file_name("huge.png"));
        let p = b.post_multipart("/lapor", huge).await;
        assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(p.body.contains("The file is too large") && p.body.contains("at most 16 KB"), "{}", p.body);
        let junk = filled(&token, "@x").part("screenshot", Part::bytes(b"not an image".to_vec()).file_name("a.png"));
        let p = b.post_multipart("/lapor", junk).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(p.body.contains("not an image we can read"), "{}", p.body);

        // 5. Missing answers: each named beside its field, nothing lost.
        let partial = Form::new().text("form_token", token.clone()).text("platform", "other").text("target", "@rina").text("seen", "");
        let p = b.post_multipart("/lapor", partial).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        for m in ["write the page&#39;s full address", "Choose the category", "Tell us briefly", "Tick the statement"] {
            assert!(p.body.contains(m) || p.body.contains(&m.replace("&#39;", "'")), "{m}: {}", p.body);
        }
        assert!(p.body.contains("aria-invalid=\"true\""));
        assert!(p.body.contains("href=\"#target\""));
        assert_eq!(app.report_count().await, 0, "nothing was filed");

        // 6. The per-address limit (8 here, burst 8: the eight posts above) holds: the next is
        // refused, with the wait.
        let p = b.post_multipart("/lapor", filled(&token, "@banjir")).await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "{}", p.body);
        assert!(p.headers.contains_key("retry-after"));
        assert!(p.body.contains("Too many reports from this address"), "{}", p.body);
        let status = b.get("/lapor/status").await;
        let t = field_value(&status, "form_token");
        let p = b.post("/lapor/status", &[("form_token", &t), ("code", "X")]).await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    }

    async fn the_status_form_refuses_a_missing_token(backend) {
        let app = TestApp::spawn(backend).await;
        let mut b = Browser::new(&app);
        let p = b.post("/lapor/status", &[("code", "7KQ2-M9XD-4FRA")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(p.body.contains("Formulir ini tidak berasal dari halaman kami"));
        // A report form's token is not a status form's.
        let form = b.get("/lapor").await;
        let p = b.post("/lapor/status", &[("form_token", &field_value(&form, "form_token")), ("code", "X")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
    }
}
