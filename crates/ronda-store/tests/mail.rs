//! The mail outbox on both backends: the audit log calls for the right messages (a reporter
//! with an e-mail address hears of verification and of the end, one with a phone number does
//! not; a platform with a notice address hears of a new notice), each at most once; two
//! instances following together read each event once; old events are skipped; claims, retries,
//! drops and a contact removed before sending.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::Arc;

use ronda_core::clock::ManualClock;
use ronda_core::model::Category;
use ronda_core::public_track::PublicStage;
use ronda_core::report::ReportInput;
use ronda_core::workflow::DeadlinePolicy;
use ronda_store::db::Param;
use ronda_store::intake::{Accepted, IntakeContext};
use ronda_store::mail::{MailContent, MailKind, MailOutcome, MailRetry};
use ronda_store::notices::{Recheck, Response};
use ronda_store::on_both_backends;
use ronda_store::review::{Decision, Reviewer, Verdict};
use ronda_store::testing as common;
use ronda_store::testing::block;
use ronda_store::{Store, StoreError};

const DAY_MS: i64 = 86_400_000;

fn public(s: &Store, account: &str, contact: &str) -> Accepted {
    let json = format!(
        r#"{{"source":"public","platform":"michat","target":{{"account":"{account}"}},
            "category":"prostitution","reporter":{{"contact":"{contact}"}}}}"#
    );
    let r = serde_json::from_str::<ReportInput>(&json)
        .unwrap()
        .validate(None)
        .unwrap();
    s.submit_report_blocking(
        r,
        IntakeContext {
            actor: "public".into(),
            ..Default::default()
        },
    )
    .unwrap()
}

fn decide(s: &Store, case_id: i64, verdict: Verdict) -> Option<i64> {
    let who = Reviewer::token(1, "token:1");
    block(s.claim_case(who.clone(), case_id, 60_000)).unwrap();
    let d = Decision {
        verdict,
        category: Some(Category::Prostitution),
        legal_basis: Some("uu_ite_27_1".into()),
        note: Some("iklan open BO".into()),
        override_claim: false,
        approval_categories: Vec::new(),
    };
    block(s.decide_case(who, case_id, d, DeadlinePolicy::default()))
        .unwrap()
        .notice_id
}

fn follow(s: &Store) -> (usize, usize) {
    let f = block(s.follow_mail_events(3 * DAY_MS, 1000)).unwrap();
    (f.events, f.queued)
}

fn queued(s: &Store) -> Vec<(String, i64, Option<String>)> {
    let mut v: Vec<_> = s
        .mail_log(100)
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.ref_id, e.stage))
        .collect();
    v.sort();
    v
}

const RETRY: MailRetry = MailRetry {
    backoff_ms: 1_000,
    max_attempts: 3,
};

on_both_backends! {
    fn the_audit_log_calls_for_each_message_once(db: &TestDb) {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let s = common::open(db.location.clone(), clock.clone());
        assert_eq!(follow(&s), (0, 0), "the first pass only places the cursor at the newest event");
        block(s.set_notice_email("admin".into(), "michat".into(), Some("ts@michat.example".into()))).unwrap();
        let a = public(&s, "tante_a", "WA 0812 1111 2222 / warga.a@example.org");
        let b = public(&s, "tante_a", "0812 3333 4444");
        let c = public(&s, "tante_c", "warga.c@example.org");
        assert_eq!(a.case_id, b.case_id, "one case");
        let notice = decide(&s, a.case_id, Verdict::Confirm).unwrap();
        decide(&s, c.case_id, Verdict::Reject);
        let (events, n) = follow(&s);
        assert!(events >= 6, "{events}");
        assert_eq!(n, 3);
        let (ra, rc) = (a.report_id, c.report_id);
        assert_eq!(queued(&s), vec![
            ("notice.sent".into(), notice, None),
            ("report.completed".into(), rc, Some("no_action".into())),
            ("report.verified".into(), ra, Some("action_in_progress".into())),
        ], "the reporter with a phone number only gets nothing");
        // The platform removes it and the team's re-check sees it gone: the end, once.
        block(s.respond_to_notice("platform".into(), Some("michat".into()), notice, Response::Removed, None)).unwrap();
        block(s.recheck_case("patrol".into(), a.case_id, Recheck::Removed)).unwrap();
        assert_eq!(follow(&s).1, 1);
        assert!(queued(&s).contains(&("report.completed".into(), ra, Some("removed".into()))));
        block(s.close_case(Reviewer::token(1, "token:1"), a.case_id, "done".into())).unwrap();
        assert_eq!(follow(&s).1, 0, "closing after removal mails nobody again");
        assert_eq!(follow(&s), (0, 0), "nothing left to read");
        s.close();
    }

    fn two_instances_following_together_read_each_event_once(db: &TestDb) {
        let a = db.store.clone();
        let b = common::open(db.location.clone(), Arc::new(ronda_core::clock::SystemClock));
        assert_eq!(follow(&a), (0, 0));
        for i in 0..30 {
            public(&a, &format!("akun_{i}"), &format!("warga{i}@example.org"));
        }
        let total: i64 = a
            .read(|c| c.query_one("SELECT COUNT(*) FROM audit_events", &[]).and_then(|r| r.i64(0)))
            .unwrap();
        let start: i64 = a
            .read(|c| c.query_one("SELECT last_seq FROM mail_cursor", &[]).and_then(|r| r.i64(0)))
            .unwrap();
        let run = |s: Store| {
            std::thread::spawn(move || {
                let mut read = 0;
                loop {
                    let f = block(s.follow_mail_events(DAY_MS, 7)).unwrap();
                    if f.events == 0 {
                        return read;
                    }
                    read += f.events;
                }
            })
        };
        let (ta, tb) = (run(a.clone()), run(b.clone()));
        let both = ta.join().unwrap() + tb.join().unwrap();
        assert_eq!(i64::try_from(both).unwrap(), total - start, "every event read once");
        b.close();
    }

    fn old_events_are_skipped(db: &TestDb) {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let s = common::open(db.location.clone(), clock.clone());
        follow(&s);
        let a = public(&s, "lama", "warga@example.org");
        decide(&s, a.case_id, Verdict::Reject);
        clock.advance_ms(4 * DAY_MS);
        let (events, n) = follow(&s);
        assert!(events > 0);
        assert_eq!(n, 0, "mail switched on again after four days does not send old news");
        s.close();
    }

    fn claims_retries_and_drops(db: &TestDb) {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let s = common::open(db.location.clone(), clock.clone());
        follow(&s);
        block(s.set_notice_email("admin".into(), "michat".into(), Some("ts@michat.example".into()))).unwrap();
        let a = public(&s, "satu", "warga.satu@example.org");
        let b = public(&s, "dua", "warga.dua@example.org");
        let notice = decide(&s, a.case_id, Verdict::Confirm).unwrap();
        decide(&s, b.case_id, Verdict::Reject);
        follow(&s);
        let first = block(s.claim_mail(60_000)).unwrap().unwrap();
        let second = block(s.claim_mail(60_000)).unwrap().unwrap();
        let third = block(s.claim_mail(60_000)).unwrap().unwrap();
        assert!(block(s.claim_mail(60_000)).unwrap().is_none(), "all three held");
        let mut kinds = vec![first.kind, second.kind, third.kind];
        kinds.sort_by_key(|k| k.as_str());
        assert_eq!(kinds, vec![MailKind::NoticeSent, MailKind::ReportCompleted, MailKind::ReportVerified]);
        for d in [&first, &second, &third] {
            match &d.content {
                MailContent::Report { to, tracking_code, stage, .. } if d.kind == MailKind::ReportVerified => {
                    assert_eq!((to.as_str(), Some(tracking_code), *stage),
                        ("warga.satu@example.org", a.tracking_code.as_ref(), PublicStage::ActionRequested));
                }
                MailContent::Report { to, tracking_code, stage, .. } => {
                    assert_eq!((to.as_str(), Some(tracking_code), *stage),
                        ("warga.dua@example.org", b.tracking_code.as_ref(), PublicStage::NoAction));
                }
                MailContent::Notice { to, notice_id, platform, deadline, created_at, .. } => {
                    assert_eq!((to.as_str(), *notice_id, platform.as_str()), ("ts@michat.example", notice, "MiChat"));
                    assert_eq!(deadline - created_at, 24 * 3_600_000);
                }
            }
        }
        let by = |k: MailKind| [&first, &second, &third].into_iter().find(|d| d.kind == k).unwrap().clone();
        let (verified, completed, notice_mail) =
            (by(MailKind::ReportVerified), by(MailKind::ReportCompleted), by(MailKind::NoticeSent));
        block(s.record_mail(verified.id, verified.claim_token, MailOutcome::Sent, RETRY)).unwrap();
        block(s.record_mail(completed.id, completed.claim_token,
            MailOutcome::Failed { error: "550 no such user".into(), permanent: true }, RETRY)).unwrap();
        block(s.record_mail(notice_mail.id, notice_mail.claim_token.clone(),
            MailOutcome::Failed { error: "could not connect".into(), permanent: false }, RETRY)).unwrap();
        assert!(block(s.claim_mail(60_000)).unwrap().is_none(), "the retry waits for its backoff");
        // A late outcome from a claim that was already recorded changes nothing.
        block(s.record_mail(notice_mail.id, notice_mail.claim_token, MailOutcome::Sent, RETRY)).unwrap();
        clock.advance_ms(1_001);
        let again = block(s.claim_mail(60_000)).unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (notice_mail.id, 1));
        block(s.record_mail(again.id, again.claim_token,
            MailOutcome::Failed { error: "could not connect".into(), permanent: false }, RETRY)).unwrap();
        clock.advance_ms(2_001);
        let third_try = block(s.claim_mail(60_000)).unwrap().unwrap();
        block(s.record_mail(third_try.id, third_try.claim_token,
            MailOutcome::Failed { error: "could not connect".into(), permanent: false }, RETRY)).unwrap();
        clock.advance_ms(DAY_MS);
        assert!(block(s.claim_mail(60_000)).unwrap().is_none(), "dropped after three attempts");
        let log = s.mail_log(10).unwrap();
        let row = |id: i64| log.iter().find(|e| e.id == id).unwrap();
        assert!(row(verified.id).sent_at.is_some());
        assert!(row(completed.id).dropped_at.is_some() && row(completed.id).last_error.as_deref() == Some("550 no such user"));
        assert_eq!((row(notice_mail.id).attempts, row(notice_mail.id).dropped_at.is_some()), (3, true));
        s.close();
    }

    fn a_contact_removed_before_sending_is_not_mailed(db: &TestDb) {
        let s = &db.store;
        follow(s);
        let a = public(s, "hapus", "warga@example.org");
        decide(s, a.case_id, Verdict::Reject);
        follow(s);
        s.write_blocking(1, move |tx| {
            tx.conn().execute("UPDATE reports SET reporter_contact = NULL WHERE id = $1", &[Param::from(a.report_id)])?;
            Ok(())
        }).unwrap();
        assert!(block(s.claim_mail(60_000)).unwrap().is_none());
        let log = s.mail_log(10).unwrap();
        assert_eq!(log.len(), 1);
        assert!(log[0].dropped_at.is_some() && log[0].last_error.as_deref().is_some_and(|e| e.contains("removed")), "{log:?}");
    }

    fn a_notice_address_is_checked_and_audited(db: &TestDb) {
        let s = &db.store;
        let e = block(s.set_notice_email("admin".into(), "michat".into(), Some("two@a.example, b@b.example".into()))).unwrap_err();
        assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "notice_email"), "{e}");
        block(s.set_notice_email("admin".into(), "michat".into(), Some("ts@michat.example".into()))).unwrap();
        assert_eq!(s.notice_email_of("michat").unwrap().as_deref(), Some("ts@michat.example"));
        block(s.set_notice_email("admin".into(), "michat".into(), None)).unwrap();
        assert_eq!(s.notice_email_of("michat").unwrap(), None);
        let n: i64 = s
            .read(|c| c.query_one("SELECT COUNT(*) FROM audit_events WHERE action = 'platform.notice_email'", &[]).and_then(|r| r.i64(0)))
            .unwrap();
        assert_eq!(n, 2);
    }
}
