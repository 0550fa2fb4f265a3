//! Police referrals, evidence bundles and retention, on both backends.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::Arc;

use ronda_core::clock::{Clock, ManualClock};
use ronda_core::evidence::{Problem, public_key_hex, verify};
use ronda_core::model::{CaseStatus, ReferralStatus};
use ronda_core::report::{Capture, ReportInput};
use ronda_core::workflow::DeadlinePolicy;
use ronda_store::evidence::BundleRequest;
use ronda_store::intake::IntakeContext;
use ronda_store::params;
use ronda_store::referrals::{NewReferral, Subject};
use ronda_store::retention::{RetentionOutcome, RetentionPolicy};
use ronda_store::review::{Decision, Reviewer, Verdict};
use ronda_store::testing::{self, TestDb, block};
use ronda_store::{Store, StoreError};
use serde_json::Value;

const DAY: i64 = 86_400_000;
const SEED: [u8; 32] = [5; 32];

/// A public report with a reporter and text about `handle`; returns (case id, report id).
fn submit(s: &Store, handle: &str) -> (i64, i64) {
    let json = format!(
        r#"{{"source":"public","platform":"michat","target":{{"account":"{handle}"}},
            "text":"ready open bo {handle}","reporter":{{"name":"Warga {handle}","contact":"warga.{handle}@example.org"}}}}"#
    );
    let mut r = serde_json::from_str::<ReportInput>(&json)
        .unwrap()
        .validate(None)
        .unwrap();
    r.capture = Some(capture_of(handle));
    let a = s
        .submit_report_blocking(
            r,
            IntakeContext {
                actor: "test".into(),
                ..Default::default()
            },
        )
        .unwrap();
    (a.case_id, a.report_id)
}

/// What the patrol keeps of the page it found `handle` on (the bytes stand in for a WARC file).
fn capture_of(handle: &str) -> Capture {
    Capture::new(
        format!("WARC/1.1\r\nWARC-Type: response\r\n\r\nopen bo {handle}").into_bytes(),
        format!("https://m.example/u/{handle}"),
        1_700_000_000_000,
    )
}

/// Rejects a case through the workflow, which closes it (`rejected`, no longer open).
fn reject(s: &Store, case_id: i64) {
    let d = Decision {
        verdict: Verdict::Reject,
        category: None,
        legal_basis: None,
        note: Some("not solicitation".into()),
        override_claim: true,
        approval_categories: Vec::new(),
    };
    let who = Reviewer::token(1, "token:1");
    block(s.claim_case(who.clone(), case_id, 60_000)).unwrap();
    let done = block(s.decide_case(who, case_id, d, DeadlinePolicy::default())).unwrap();
    assert_eq!(done.status, CaseStatus::Rejected);
}

/// Links the account of `case_id` to a new actor (as the linking work will), returns the actor.
fn link_to_new_actor(s: &Store, case_ids: &[i64]) -> i64 {
    let cases = case_ids.to_vec();
    s.write_blocking(1, move |tx| {
        let now = tx.now_ms();
        let actor = tx.conn().insert_id(
            "INSERT INTO actors (created_at) VALUES ($1) RETURNING id",
            params![now],
        )?;
        for c in &cases {
            tx.conn().execute(
                "UPDATE accounts SET actor_id = $1 WHERE id = (SELECT account_id FROM cases WHERE id = $2)",
                params![actor, *c],
            )?;
        }
        Ok(actor)
    })
    .unwrap()
}

fn file<'a>(files: &'a [(String, Vec<u8>)], path: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("{path} not in bundle"))
        .1
}

fn json_of(files: &[(String, Vec<u8>)], path: &str) -> Value {
    serde_json::from_slice(file(files, path)).unwrap()
}

fn new_referral(subject: Subject, number: &str) -> NewReferral {
    NewReferral {
        subject,
        request_number: number.into(),
        note: Some("dugaan TPPO".into()),
        unit: None,
    }
}

ronda_store::on_both_backends! {
fn referrals_move_forward_only_and_are_audited(db: &TestDb) {
    let s = &db.store;
    let (case, _) = submit(s, "rina");
    let (other, _) = submit(s, "sari");
    let (unreferred, _) = submit(s, "dewi");
    let actor = link_to_new_actor(s, &[other]);

    let r = s
        .create_referral_blocking("token:9", new_referral(Subject::Case(case), " B/123/IV/2025 "))
        .unwrap();
    assert_eq!((r.status, r.request_number.as_str()), (ReferralStatus::Sent, "B/123/IV/2025"));
    let by_actor = s
        .create_referral_blocking("token:9", new_referral(Subject::Actor(actor), "B/124/IV/2025"))
        .unwrap();
    assert_eq!(s.referral_case_ids(&by_actor).unwrap(), vec![other]);

    // The police see the referred cases and nothing else.
    assert!(s.case_is_referred(case).unwrap());
    assert!(s.case_is_referred(other).unwrap(), "through its actor");
    assert!(!s.case_is_referred(unreferred).unwrap());

    // Refusals: a used request number, an unknown subject, no number.
    let e = s
        .create_referral_blocking("t", new_referral(Subject::Case(other), "B/123/IV/2025"))
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    let e = s
        .create_referral_blocking("t", new_referral(Subject::Case(9_999), "X/1"))
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "case_id"), "{e}");
    let e = s
        .create_referral_blocking("t", new_referral(Subject::Actor(9_999), "X/2"))
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "actor_id"), "{e}");
    let e = s
        .create_referral_blocking("t", new_referral(Subject::Case(case), "  "))
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "request_number"), "{e}");

    // Forward only; the same status again is a no-op.
    let a = s
        .set_referral_status_blocking("token:police", r.id, ReferralStatus::Acknowledged, None)
        .unwrap();
    assert_eq!(a.status, ReferralStatus::Acknowledged);
    let again = s
        .set_referral_status_blocking("token:police", r.id, ReferralStatus::Acknowledged, None)
        .unwrap();
    assert_eq!(again.updated_at, a.updated_at);
    s.set_referral_status_blocking("token:police", r.id, ReferralStatus::Investigating, Some("LP/55"))
        .unwrap();
    let e = s
        .set_referral_status_blocking("token:police", r.id, ReferralStatus::Sent, None)
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict(ref m) if m.contains("cannot become `sent`; allowed: closed")),
        "{e}"
    );
    let closed = s
        .set_referral_status_blocking("token:police", r.id, ReferralStatus::Closed, None)
        .unwrap();
    assert!(closed.closed_at.is_some());
    assert!(matches!(
        s.set_referral_status_blocking("t", 9_999, ReferralStatus::Closed, None),
        Err(StoreError::NotFound(_))
    ));

    let listed: Vec<i64> = s.referrals(None, None, 10).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(listed, vec![by_actor.id, r.id], "newest first");
    let closed_only = s.referrals(Some(ReferralStatus::Closed), None, 10).unwrap();
    assert_eq!(closed_only.len(), 1);

    let events = s.audit_events_for(&format!("referral:{}", r.id)).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["referral.created", "referral.status", "referral.status", "referral.status"],
        "one event per change, none for the repeat"
    );
    assert!(s.verify_audit().unwrap().is_ok());
}

fn referrals_are_addressed_to_a_unit_and_questions_answered_once(db: &TestDb) {
    let s = &db.store;
    let (case, _) = submit(s, "rina");
    let (other, _) = submit(s, "sari");
    let to_unit = s
        .create_referral_blocking(
            "user:ana",
            NewReferral {
                unit: Some(" Ditsiber Polda Metro ".into()),
                ..new_referral(Subject::Case(case), "B/200/XII/2026")
            },
        )
        .unwrap();
    assert_eq!(to_unit.unit.as_deref(), Some("Ditsiber Polda Metro"));
    let to_all = s
        .create_referral_blocking("user:ana", new_referral(Subject::Case(other), "B/201/XII/2026"))
        .unwrap();
    assert!(to_unit.open_to_unit("Ditsiber Polda Metro"));
    assert!(!to_unit.open_to_unit("Bareskrim"));
    assert!(to_all.open_to_unit("Bareskrim"), "no unit: every unit");
    let ids = |unit: Option<&str>| -> Vec<i64> {
        s.referrals(None, unit, 10).unwrap().iter().map(|r| r.id).collect()
    };
    assert_eq!(ids(Some("Bareskrim")), vec![to_all.id]);
    assert_eq!(ids(Some("Ditsiber Polda Metro")), vec![to_all.id, to_unit.id]);
    assert_eq!(ids(None), vec![to_all.id, to_unit.id]);

    // A question, answered once; the second answer is a conflict and changes nothing.
    let e = block(s.ask_referral_question("user:budi", to_unit.id, "  ".into())).unwrap_err();
    assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "question"), "{e}");
    let e = block(s.ask_referral_question("user:budi", 9_999, "siapa?".into())).unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    let q = block(s.ask_referral_question(
        "user:budi",
        to_unit.id,
        "Mohon log akses akun tanggal 1-3 Desember".into(),
    ))
    .unwrap();
    assert_eq!(s.open_referral_questions(10).unwrap(), vec![q.clone()]);
    let a = block(s.answer_referral_question("user:ana", q.id, "Terlampir di bundel kedua".into()))
        .unwrap();
    assert_eq!(
        (a.answer.as_deref(), a.answered_by.as_deref()),
        (Some("Terlampir di bundel kedua"), Some("user:ana"))
    );
    let e = block(s.answer_referral_question("user:citra", q.id, "lain".into())).unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert_eq!(s.referral_questions(to_unit.id).unwrap(), vec![a]);
    assert!(s.open_referral_questions(10).unwrap().is_empty());

    // Both sides of the exchange are on the referral's audit trail, in order.
    let trail: Vec<(String, String)> = s
        .audit_events_for(&format!("referral:{}", to_unit.id))
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect();
    assert_eq!(
        trail,
        vec![
            ("user:ana".into(), "referral.created".into()),
            ("user:budi".into(), "referral.question".into()),
            ("user:ana".into(), "referral.answer".into()),
        ]
    );
    assert!(s.verify_audit().unwrap().is_ok());
}

fn a_case_bundle_verifies_and_withholds_reporters_unless_allowed(db: &TestDb) {
    let s = &db.store;
    let (case, report) = submit(s, "rina");
    submit(s, "rina");
    s.create_referral_blocking("token:9", new_referral(Subject::Case(case), "B/1/2025"))
        .unwrap();
    let req = |reporter_identity| BundleRequest {
        subject: Subject::Case(case),
        requested_by: "token:3:police".into(),
        reporter_identity,
    };
    let withheld = s.export_evidence_blocking(&req(false), &SEED).unwrap();
    let v = verify(&withheld.files, None);
    assert!(v.is_ok(), "{:?}", v.problems);
    assert_eq!(v.signer.as_deref(), Some(public_key_hex(&SEED).as_str()));
    let manifest = v.manifest.unwrap();
    assert_eq!((manifest.cases.clone(), manifest.reporter_identity), (vec![case], false));
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for p in ["accounts.json", "case.json", "reports.json", "identifiers.json", "hash_matches.json",
              "decisions.json", "notices.json", "referrals.json", "audit.json"] {
        assert!(paths.iter().any(|x| x.ends_with(p)), "{p} in {paths:?}");
    }
    let all = String::from_utf8(withheld.files.iter().flat_map(|(_, b)| b.clone()).collect()).unwrap();
    assert!(!all.contains("Warga") && !all.contains("example.org"), "no reporter identity");
    assert!(!all.contains("s1:"), "no sealed values either");
    let reports = json_of(&withheld.files, &format!("cases/{case}/reports.json"));
    assert_eq!(reports.as_array().unwrap().len(), 2);
    let content_id = reports[0]["content_id"].as_i64().unwrap();
    let snap = json_of(&withheld.files, &format!("cases/{case}/content/{content_id}.json"));
    assert_eq!((snap["text"].as_str(), snap["source"].as_str()), (Some("ready open bo rina"), Some("public")));
    assert!(snap["captured_at"].is_string());
    // The page as the patrol fetched it travels in the bundle, covered by the manifest.
    let warc_path = format!("cases/{case}/captures/{content_id}.warc");
    assert_eq!(snap["capture"]["file"].as_str(), Some(warc_path.as_str()));
    assert_eq!(snap["capture"]["format"].as_str(), Some("WARC/1.1"));
    assert_eq!(file(&withheld.files, &warc_path), capture_of("rina").warc.as_slice());
    let listed = manifest.files.iter().find(|f| f.path == warc_path).unwrap();
    assert_eq!(listed.sha256, capture_of("rina").sha256);
    let mut tampered = withheld.files.clone();
    for (p, b) in &mut tampered {
        if *p == warc_path {
            b.push(b'!');
        }
    }
    assert!(!verify(&tampered, None).is_ok(), "an altered capture is detected");
    let audit = json_of(&withheld.files, &format!("cases/{case}/audit.json"));
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["case.opened", "case.report_added", "referral.created"]);
    assert_eq!(audit[0]["hash"].as_str().unwrap().len(), 64);

    let shown = s.export_evidence_blocking(&req(true), &SEED).unwrap();
    let reports = json_of(&shown.files, &format!("cases/{case}/reports.json"));
    assert_eq!(reports[0]["id"].as_i64(), Some(report));
    assert_eq!(reports[0]["reporter"]["contact"].as_str(), Some("warga.rina@example.org"));
    assert!(verify(&shown.files, None).is_ok());

    // Each export is in the audit log with its manifest's hash.
    let exports: Vec<String> = s
        .audit_events_for(&format!("case:{case}"))
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "evidence.exported")
        .map(|e| e.after.unwrap())
        .collect();
    assert_eq!(exports.len(), 2);
    assert!(exports[1].contains(&shown.manifest_sha256));

    assert!(matches!(
        s.export_evidence_blocking(&BundleRequest { subject: Subject::Case(9_999), ..req(false) }, &SEED),
        Err(StoreError::NotFound(_))
    ));
}

fn an_actor_bundle_holds_every_case_of_its_accounts(db: &TestDb) {
    let s = &db.store;
    let (a, _) = submit(s, "rina");
    let (b, _) = submit(s, "rina_baru");
    let (c, _) = submit(s, "lain");
    let actor = link_to_new_actor(s, &[a, b]);
    let bundle = s
        .export_evidence_blocking(
            &BundleRequest {
                subject: Subject::Actor(actor),
                requested_by: "cli:test".into(),
                reporter_identity: false,
            },
            &SEED,
        )
        .unwrap();
    assert_eq!(bundle.cases, vec![a, b]);
    let v = verify(&bundle.files, None);
    assert!(v.is_ok(), "{:?}", v.problems);
    let m = v.manifest.unwrap();
    assert_eq!((m.subject.kind.as_str(), m.subject.id), ("actor", actor));
    assert!(!m.files.iter().any(|f| f.path.starts_with(&format!("cases/{c}/"))));
    let accounts = json_of(&bundle.files, "accounts.json");
    let handles: Vec<&str> = accounts.as_array().unwrap().iter().map(|x| x["handle"].as_str().unwrap()).collect();
    assert_eq!(handles, ["rina", "rina_baru"]);
    // Tampering with a stored bundle file is caught.
    let mut files = bundle.files.clone();
    let i = files.iter().position(|(p, _)| p == "accounts.json").unwrap();
    files[i].1 = b"[]\n".to_vec();
    assert_eq!(
        verify(&files, None).problems,
        vec![Problem::FileAltered { path: "accounts.json".into() }]
    );
}
}

/// Retention on both backends, with a clock to move time.
fn retention_removes_only_what_is_due(db: &TestDb, clock: &ManualClock) {
    let s = &db.store;
    let (old, old_report) = submit(s, "lama");
    let (held, _) = submit(s, "ditahan");
    let (open, _) = submit(s, "terbuka");
    reject(s, old);
    reject(s, held);
    s.create_referral_blocking("token:9", new_referral(Subject::Case(held), "B/9/2025"))
        .unwrap();
    clock.advance_ms(10 * DAY);
    let (recent, _) = submit(s, "baru");
    reject(s, recent);
    let counts_before = s.counts().unwrap();
    let now = clock.now_ms();

    let policy = RetentionPolicy {
        content_days: Some(7),
        reporter_contact_days: Some(30),
    };
    let dry = s
        .run_retention_blocking("cli:test", policy, now, true)
        .unwrap();
    assert_eq!(
        dry,
        RetentionOutcome {
            cases: 1,
            content_items: 1,
            reporters: 0
        },
        "only the old closed case; the held, open and recent ones stay"
    );
    let events_before = s.counts().unwrap().audit_events;
    assert_eq!(
        events_before, counts_before.audit_events,
        "a dry run writes nothing"
    );

    let warc_of = |case: i64| -> Option<Vec<u8>> {
        s.read(|c| {
            Ok(c.query_one(
                "SELECT cc.warc FROM reports r JOIN content_captures cc ON cc.content_id = r.content_id WHERE r.case_id = $1",
                params![case],
            )?
            .opt_blob(0)?
            .map(<[u8]>::to_vec))
        })
        .unwrap()
    };
    assert_eq!(warc_of(old), Some(capture_of("lama").warc));
    let done = s
        .run_retention_blocking("cli:test", policy, now, false)
        .unwrap();
    assert_eq!(done, dry);
    assert_eq!(warc_of(old), None, "the page as fetched goes with the text");
    assert_eq!(warc_of(held), Some(capture_of("ditahan").warc));
    let text_of = |case: i64| -> Option<String> {
        s.read(|c| {
            c.query_one(
                "SELECT ci.text FROM reports r JOIN content_items ci ON ci.id = r.content_id WHERE r.case_id = $1",
                params![case],
            )?
            .opt_string(0)
        })
        .unwrap()
    };
    assert_eq!(text_of(old), None);
    for keep in [held, open, recent] {
        assert!(text_of(keep).is_some(), "case {keep} keeps its content");
    }
    assert!(
        s.reporter_of(old_report)
            .unwrap()
            .unwrap()
            .contact
            .is_some(),
        "30 days not yet"
    );
    // Aggregates stay.
    let after = s.counts().unwrap();
    assert_eq!(
        (after.cases, after.reports),
        (counts_before.cases, counts_before.reports)
    );
    assert_eq!(s.get_case(old).unwrap().unwrap().reports_total, 1);
    let events = s.audit_events_for(&format!("case:{old}")).unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.action, "retention.applied");
    assert!(
        last.after
            .as_deref()
            .unwrap()
            .contains("\"content_items_removed\":1")
    );
    assert_eq!(s.audit_events_for("retention").unwrap().len(), 1);

    // Later, reporter contacts fall due as well; a second run removes nothing twice.
    clock.advance_ms(25 * DAY);
    let later = s
        .run_retention_blocking("cli:test", policy, clock.now_ms(), false)
        .unwrap();
    assert_eq!(
        later,
        RetentionOutcome {
            cases: 2,
            content_items: 1,
            reporters: 1
        }
    );
    let who = s.reporter_of(old_report).unwrap().unwrap();
    assert_eq!((who.name, who.contact), (None, None));
    let again = s
        .run_retention_blocking("cli:test", policy, clock.now_ms(), false)
        .unwrap();
    assert_eq!(again, RetentionOutcome::default());
    assert!(
        text_of(held).is_some(),
        "legal hold while the referral is open"
    );

    // A bundle of a case after retention still verifies; it just lists less.
    let bundle = s
        .export_evidence_blocking(
            &BundleRequest {
                subject: Subject::Case(old),
                requested_by: "cli:test".into(),
                reporter_identity: true,
            },
            &SEED,
        )
        .unwrap();
    assert!(verify(&bundle.files, None).is_ok());
    let reports = json_of(&bundle.files, &format!("cases/{old}/reports.json"));
    assert!(reports[0]["reporter"]["contact"].is_null());
    assert!(reports[0]["reporter_removed_at"].is_string());
    let content_id = reports[0]["content_id"].as_i64().unwrap();
    let snap = json_of(
        &bundle.files,
        &format!("cases/{old}/content/{content_id}.json"),
    );
    assert!(snap["text"].is_null() && snap["removed_by_retention_at"].is_string());
    // The capture's digest and fetch time stay; its file is gone from the bundle.
    assert_eq!(
        snap["capture"]["sha256"],
        capture_of("lama").sha256.as_str()
    );
    assert!(snap["capture"]["file"].is_null() && snap["capture"]["fetched_at"].is_string());
    assert!(!bundle.files.iter().any(|(p, _)| p.ends_with(".warc")));
    assert!(s.verify_audit().unwrap().is_ok());
}

#[test]
fn retention_removes_only_what_is_due_sqlite() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let db = testing::sqlite_with(clock.clone());
    retention_removes_only_what_is_due(&db, &clock);
}

#[test]
fn retention_removes_only_what_is_due_postgres() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let db = testing::postgres_with(clock.clone());
    retention_removes_only_what_is_due(&db, &clock);
}
