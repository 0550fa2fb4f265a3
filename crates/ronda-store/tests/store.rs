//! The store suite: every test runs against SQLite and against the real PostgreSQL.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use ronda_core::audit::ChainError;
use ronda_core::model::{CaseStatus, Category, Priority, Role, Source};
use ronda_core::report::{FieldError, ReportInput, ValidReport};
use ronda_store::StoreError;
use ronda_store::cases::CaseFilter;
use ronda_store::db::Param;
use ronda_store::intake::IntakeContext;
use ronda_store::on_both_backends;
use ronda_store::testing as common;

fn report(json: &str) -> ValidReport {
    serde_json::from_str::<ReportInput>(json)
        .expect("json")
        .validate(None)
        .expect("valid")
}

fn ctx() -> IntakeContext {
    IntakeContext {
        actor: "test".into(),
        ..Default::default()
    }
}

fn account_report(source: &str, platform: &str, handle: &str) -> ValidReport {
    report(&format!(
        r#"{{"source":"{source}","platform":"{platform}","target":{{"account":"{handle}"}},"text":"open bo"}}"#
    ))
}

on_both_backends! {
    fn reports_about_one_account_become_one_case(db: &TestDb) {
        let s = &db.store;
        let a = s.submit_report_blocking(account_report("patrol", "michat", "Rina22"), ctx()).unwrap();
        let b = s.submit_report_blocking(account_report("public", "michat", "@rina22"), ctx()).unwrap();
        let c = s.submit_report_blocking(account_report("public", "MICHAT", "RINA22"), ctx()).unwrap();
        assert!(a.new_case && !b.new_case && !c.new_case);
        assert_eq!((a.case_id, a.case_id), (b.case_id, c.case_id));
        let case = s.get_case(a.case_id).unwrap().unwrap();
        assert_eq!(case.reports_total, 3);
        assert_eq!(case.reports_by_source, [1, 0, 2, 0]);
        assert_eq!(case.status, CaseStatus::New);
        assert_eq!((case.target_kind.as_str(), case.target_value.as_str()), ("account", "rina22"));
        assert!(case.first_reported_at <= case.last_reported_at);
        // The same handle on another platform is another account, another case.
        let d = s.submit_report_blocking(account_report("patrol", "whatsapp", "rina22"), ctx()).unwrap();
        assert!(d.new_case);
        assert_ne!(d.case_id, a.case_id);
    }

    fn urls_deduplicate_after_normalisation(db: &TestDb) {
        let s = &db.store;
        let a = s.submit_report_blocking(report(r#"{"source":"patrol","platform":"web","target":{"url":"https://Example.com/p/1/?utm_source=x"}}"#), ctx()).unwrap();
        let b = s.submit_report_blocking(report(r#"{"source":"police","platform":"web","target":{"url":"https://example.com/p/1#top"}}"#), ctx()).unwrap();
        assert_eq!(a.case_id, b.case_id);
        let case = s.get_case(a.case_id).unwrap().unwrap();
        assert_eq!(case.target_value, "https://example.com/p/1");
        assert_eq!(case.priority, Priority::High, "a police report raises priority");
    }

    fn an_idempotency_key_replays_the_first_result(db: &TestDb) {
        let s = &db.store;
        let key_ctx = IntakeContext { actor: "token:1".into(), token_id: Some(1), idempotency_key: Some("k-1".into()) };
        let first = s.submit_report_blocking(account_report("patrol", "michat", "a1"), key_ctx.clone()).unwrap();
        let again = s.submit_report_blocking(account_report("patrol", "michat", "a1"), key_ctx.clone()).unwrap();
        assert_eq!((again.report_id, again.case_id, again.new_case), (first.report_id, first.case_id, true));
        assert!(again.replayed);
        assert_eq!(s.counts().unwrap().reports, 1);
        assert_eq!(s.get_case(first.case_id).unwrap().unwrap().reports_total, 1);
        // Another token's same key is another submission.
        let other = IntakeContext { token_id: Some(2), actor: "token:2".into(), ..key_ctx };
        let third = s.submit_report_blocking(account_report("patrol", "michat", "a1"), other).unwrap();
        assert_ne!(third.report_id, first.report_id);
    }

    fn batch_items_are_independent_and_external_ids_replay(db: &TestDb) {
        let s = &db.store;
        let items = vec![
            Ok(report(r#"{"source":"patrol","platform":"michat","target":{"account":"x1"},"external_id":"e1"}"#)),
            Ok(report(r#"{"source":"patrol","platform":"nosuch","target":{"account":"x2"}}"#)),
            Err(FieldError::new("invalid", "target", "bad")),
            Ok(report(r#"{"source":"patrol","platform":"michat","target":{"account":"x1"},"external_id":"e2"}"#)),
        ];
        let out = s.submit_batch_blocking(items, ctx()).unwrap();
        assert_eq!(out.len(), 4);
        let first = out[0].clone().unwrap();
        assert_eq!(out[1].clone().unwrap_err().field, "platform");
        assert_eq!(out[2].clone().unwrap_err().field, "target");
        assert_eq!(out[3].clone().unwrap().case_id, first.case_id);
        // Resubmitting e1 stores nothing new.
        let again = s.submit_batch_blocking(vec![Ok(report(r#"{"source":"patrol","platform":"michat","target":{"account":"x1"},"external_id":"e1"}"#))], ctx()).unwrap();
        assert_eq!(again[0].clone().unwrap().report_id, first.report_id);
        assert_eq!(s.counts().unwrap().reports, 2);
    }

    fn a_refused_report_stores_nothing(db: &TestDb) {
        let s = &db.store;
        let before = s.counts().unwrap();
        let e = s.submit_report_blocking(account_report("patrol", "nosuch", "a"), ctx()).unwrap_err();
        assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "platform"), "{e}");
        assert_eq!(s.counts().unwrap(), before);
    }

    fn public_reports_get_a_tracking_code(db: &TestDb) {
        let s = &db.store;
        let r = serde_json::from_str::<ReportInput>(r#"{"platform":"michat","target":{"account":"z"},"reporter":{"contact":"08123"}}"#)
            .unwrap().validate(Some(Source::Public)).unwrap();
        let a = s.submit_report_blocking(r, ctx()).unwrap();
        // The reporter's contact is sealed at rest and opens with the instance key.
        let raw: Option<String> = s.read(|c| c.query_one("SELECT reporter_contact FROM reports WHERE id = $1", &[Param::Int(a.report_id)])?.opt_string(0)).unwrap();
        assert!(raw.as_deref().is_some_and(|v| v.starts_with("s1:") && !v.contains("08123")), "{raw:?}");
        assert_eq!(s.reporter_of(a.report_id).unwrap().unwrap().contact.as_deref(), Some("08123"));
        let code = a.tracking_code.unwrap();
        let st = s.public_report_status(&code).unwrap().unwrap();
        assert_eq!(st.status, "received");
        assert!(s.public_report_status("0000-0000-0000").unwrap().is_none());
    }

    fn a_child_exploitation_claim_is_urgent(db: &TestDb) {
        let s = &db.store;
        let a = s.submit_report_blocking(account_report("public", "michat", "u1"), ctx()).unwrap();
        assert_eq!(s.get_case(a.case_id).unwrap().unwrap().priority, Priority::Normal);
        s.submit_report_blocking(report(r#"{"source":"public","platform":"michat","target":{"account":"u1"},"category":"child_exploitation"}"#), ctx()).unwrap();
        let case = s.get_case(a.case_id).unwrap().unwrap();
        assert_eq!(case.priority, Priority::Urgent);
        assert_eq!(case.category, Some(Category::ChildExploitation));
    }

    fn cases_filter_and_page(db: &TestDb) {
        let s = &db.store;
        for i in 0..7 {
            let platform = if i % 2 == 0 { "michat" } else { "whatsapp" };
            let source = if i < 3 { "police" } else { "patrol" };
            s.submit_report_blocking(account_report(source, platform, &format!("h{i}")), ctx()).unwrap();
        }
        let mut seen = Vec::new();
        let mut f = CaseFilter { limit: 3, ..Default::default() };
        loop {
            let page = s.list_cases(&f).unwrap();
            seen.extend(page.cases.iter().map(|c| c.id));
            match page.next_before_id { Some(id) => f.before_id = Some(id), None => break }
        }
        assert_eq!(seen.len(), 7);
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");
        let michat = s.list_cases(&CaseFilter { platform: Some("michat".into()), limit: 50, ..Default::default() }).unwrap();
        assert_eq!(michat.cases.len(), 4);
        let police = s.list_cases(&CaseFilter { source: Some(Source::Police), limit: 50, ..Default::default() }).unwrap();
        assert_eq!(police.cases.len(), 3);
        let high = s.list_cases(&CaseFilter { priority: Some(Priority::High), platform: Some("whatsapp".into()), limit: 50, ..Default::default() }).unwrap();
        assert_eq!(high.cases.len(), 1);
        let none = s.list_cases(&CaseFilter { status: Some(CaseStatus::Closed), limit: 50, ..Default::default() }).unwrap();
        assert!(none.cases.is_empty());
    }

    fn tokens_are_hashed_scoped_and_revocable(db: &TestDb) {
        let s = &db.store;
        let t = s.create_token_blocking("test", "crawler-1", Role::Intake, None).unwrap();
        let found = s.lookup_token(&t.secret).unwrap().unwrap();
        assert_eq!((found.id, found.role), (t.info.id, Role::Intake));
        assert!(s.lookup_token("rnd_wrong").unwrap().is_none());
        let p = s.create_token_blocking("test", "michat-ts", Role::Platform, Some("michat")).unwrap();
        assert_eq!(s.lookup_token(&p.secret).unwrap().unwrap().platform.as_deref(), Some("michat"));
        assert!(s.create_token_blocking("test", "x", Role::Platform, None).is_err());
        assert!(s.create_token_blocking("test", "x", Role::Platform, Some("nosuch")).is_err());
        s.revoke_token_blocking("test", t.info.id).unwrap();
        assert!(s.lookup_token(&t.secret).unwrap().is_none());
        assert!(matches!(s.revoke_token_blocking("test", t.info.id), Err(StoreError::NotFound(_))));
        // Expiry: a token past its time authenticates nothing.
        let now = s.now_ms();
        let live = s.create_token_expiring_blocking("test", "temp", Role::Analyst, None, Some(now + 3_600_000)).unwrap();
        assert_eq!(s.lookup_token(&live.secret).unwrap().unwrap().expires_at, Some(now + 3_600_000));
        let gone = s.create_token_expiring_blocking("test", "old", Role::Analyst, None, Some(now - 1)).unwrap();
        assert!(s.lookup_token(&gone.secret).unwrap().is_none());
        // No secret is stored in clear.
        let stored: Vec<String> = s.read(|c| c.query("SELECT token_hash FROM api_tokens", &[])?.iter().map(|r| r.string(0)).collect()).unwrap();
        assert!(stored.iter().all(|h| h.len() == 64 && !h.contains("rnd_")));
    }

    fn platforms_register_once(db: &TestDb) {
        let s = &db.store;
        let p = s.create_platform_blocking("test", "LineApp", Some("LINE")).unwrap();
        assert_eq!(p.name, "lineapp");
        assert!(matches!(s.create_platform_blocking("test", "lineapp", None), Err(StoreError::Conflict(_))));
        assert!(s.list_platforms().unwrap().iter().any(|p| p.name == "lineapp"));
    }

    fn the_audit_chain_verifies_and_names_a_tampered_event(db: &TestDb) {
        let s = &db.store;
        for i in 0..5 {
            s.submit_report_blocking(account_report("patrol", "michat", &format!("t{i}")), ctx()).unwrap();
        }
        let n = s.verify_audit().unwrap().unwrap();
        assert!(n >= 5 + 8, "seeded platforms and reports are audited, got {n}");
        let events = s.audit_events_for("case:1").unwrap();
        assert_eq!(events[0].action, "case.opened");
        // Edit one row behind the store's back.
        let seq = events[0].seq;
        s.read(|c| c.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = $1", &[Param::Int(seq)])).unwrap();
        assert_eq!(s.verify_audit().unwrap(), Err(ChainError::Altered { seq }));
    }

    fn concurrent_writers_never_open_two_cases_for_one_target(db: &TestDb) {
        let s = db.store.clone();
        let threads: Vec<_> = (0..8).map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let handle = format!("shared{}", i % 5);
                    let src = if t % 2 == 0 { "patrol" } else { "public" };
                    s.submit_report_blocking(account_report(src, "michat", &handle), ctx()).unwrap();
                }
            })
        }).collect();
        for t in threads { t.join().unwrap(); }
        let page = s.list_cases(&CaseFilter { limit: 100, ..Default::default() }).unwrap();
        assert_eq!(page.cases.len(), 5);
        assert_eq!(page.cases.iter().map(|c| c.reports_total).sum::<i64>(), 200);
        assert!(page.cases.iter().all(|c| c.reports_total == 40));
        assert_eq!(s.verify_audit().unwrap().unwrap(), s.counts().unwrap().audit_events as u64);
    }

    fn a_failing_job_does_not_sink_its_group(db: &TestDb) {
        let s = db.store.clone();
        // Duplicate platform registrations fail; reports queued beside them must still land.
        let threads: Vec<_> = (0..6).map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    if i % 5 == 0 {
                        let _ = s.create_platform_blocking("test", "dupe", None);
                    } else {
                        s.submit_report_blocking(account_report("patrol", "michat", &format!("g{t}-{i}")), ctx()).unwrap();
                    }
                }
            })
        }).collect();
        for t in threads { t.join().unwrap(); }
        assert_eq!(s.counts().unwrap().reports, 6 * 16);
        assert_eq!(s.list_platforms().unwrap().iter().filter(|p| p.name == "dupe").count(), 1);
        assert!(s.verify_audit().unwrap().is_ok());
    }
}

#[test]
fn reopening_a_store_keeps_data_and_does_not_remigrate() {
    let dir = tempfile::tempdir().unwrap();
    let loc = ronda_store::DbLocation::default_in(dir.path());
    let clock: std::sync::Arc<dyn ronda_core::clock::Clock> =
        std::sync::Arc::new(ronda_core::clock::SystemClock);
    let s = common::open(loc.clone(), clock.clone());
    s.seed_platforms_blocking("t").unwrap();
    let a = s
        .submit_report_blocking(account_report("patrol", "michat", "keep"), ctx())
        .unwrap();
    s.close();
    let s = common::open(loc, clock);
    assert_eq!(s.seed_platforms_blocking("t").unwrap(), 0);
    assert!(s.get_case(a.case_id).unwrap().is_some());
    assert!(
        matches!(s.submit_report_blocking(account_report("patrol", "michat", "keep"), ctx()), Ok(r) if !r.new_case)
    );
}
