//! The verification queue on both backends: ordering, leases that expire, decisions that follow
//! the state machine, every step audited.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::Arc;

use ronda_core::clock::{Clock, ManualClock};
use ronda_core::model::{CaseStatus, Category};
use ronda_core::report::ReportInput;
use ronda_core::workflow::{Action, DeadlinePolicy, EscalationStep};
use ronda_store::StoreError;
use ronda_store::intake::IntakeContext;
use ronda_store::notices::{Recheck, Response};
use ronda_store::review::{Decision, Reviewer, Verdict};
use ronda_store::testing::{self, TestDb, block};

fn submit(db: &TestDb, json: &str) -> i64 {
    let r = serde_json::from_str::<ReportInput>(json)
        .unwrap()
        .validate(None)
        .unwrap();
    db.store
        .submit_report_blocking(
            r,
            IntakeContext {
                actor: "t".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .case_id
}

fn who(id: i64) -> Reviewer {
    Reviewer::token(id, format!("token:{id}"))
}

fn confirm(category: Option<Category>) -> Decision {
    Decision {
        verdict: Verdict::Confirm,
        category,
        legal_basis: Some("uu_ite_27_1".into()),
        note: Some("iklan open BO".into()),
        override_claim: false,
        approval_categories: Vec::new(),
    }
}

fn scenario(db: &TestDb, clock: &ManualClock) {
    let s = &db.store;
    let old = submit(
        db,
        r#"{"source":"patrol","platform":"michat","target":{"account":"old"}}"#,
    );
    clock.advance_ms(1000);
    let urgent = submit(
        db,
        r#"{"source":"public","platform":"michat","target":{"account":"u"},"category":"child_exploitation"}"#,
    );
    clock.advance_ms(1000);
    let police = submit(
        db,
        r#"{"source":"police","platform":"michat","target":{"account":"p"}}"#,
    );
    let order: Vec<i64> = s
        .review_queue(1, 10)
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        order,
        vec![urgent, police, old],
        "urgent, then high, then oldest"
    );

    // Analyst 1 claims; analyst 2 no longer sees it and cannot take it.
    let c = block(s.claim_case(who(1), old, 60_000)).unwrap();
    assert_eq!(c.status, CaseStatus::InReview);
    assert!(!s.review_queue(2, 10).unwrap().iter().any(|c| c.id == old));
    assert!(s.review_queue(1, 10).unwrap().iter().any(|c| c.id == old));
    let e = block(s.claim_case(who(2), old, 60_000)).unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict(ref m) if m.contains("claimed by token 1")),
        "{e}"
    );
    // Deciding needs the claim.
    assert!(matches!(
        block(s.decide_case(
            who(2),
            old,
            confirm(Some(Category::Prostitution)),
            DeadlinePolicy::default()
        )),
        Err(StoreError::Conflict(_))
    ));
    // The lease expires: analyst 2 may take over.
    clock.advance_ms(60_001);
    block(s.claim_case(who(2), old, 60_000)).unwrap();
    let e =
        block(s.decide_case(who(2), old, confirm(None), DeadlinePolicy::default())).unwrap_err();
    assert!(
        matches!(e, StoreError::Invalid(ref f) if f.field == "category"),
        "{e}"
    );
    let d = block(s.decide_case(
        who(2),
        old,
        confirm(Some(Category::Prostitution)),
        DeadlinePolicy::default(),
    ))
    .unwrap();
    assert_eq!(
        d.status,
        CaseStatus::NoticeSent,
        "a confirmation sends the notice"
    );
    assert!(d.notice_id.is_some());
    let case = s.get_case(old).unwrap().unwrap();
    assert_eq!(
        (case.status, case.category),
        (CaseStatus::NoticeSent, Some(Category::Prostitution))
    );
    assert!(
        !s.review_queue(2, 10).unwrap().iter().any(|c| c.id == old),
        "decided cases leave the queue"
    );
    // A second decision is an illegal transition naming what is allowed.
    block(s.claim_case(who(2), urgent, 60_000)).unwrap();
    let e = block(s.decide_case(
        Reviewer::token(3, "sup"),
        old,
        Decision {
            override_claim: true,
            ..confirm(None)
        },
        DeadlinePolicy::default(),
    ))
    .unwrap_err();
    assert!(
        matches!(e, StoreError::IllegalTransition(ref t) if t.allowed == [Action::Acknowledge, Action::ClaimRemoval, Action::Dispute]),
        "{e}"
    );
    // Rejecting closes the case for intake: a new report about the target opens a new case.
    let r = block(s.decide_case(
        who(2),
        urgent,
        Decision {
            verdict: Verdict::Reject,
            category: None,
            legal_basis: None,
            note: None,
            override_claim: false,
            approval_categories: Vec::new(),
        },
        DeadlinePolicy::default(),
    ))
    .unwrap();
    assert_eq!(r.status, CaseStatus::Rejected);
    let again = submit(
        db,
        r#"{"source":"public","platform":"michat","target":{"account":"u"}}"#,
    );
    assert_ne!(again, urgent);
    // Release.
    block(s.claim_case(who(1), police, 60_000)).unwrap();
    block(s.release_case(who(1), police)).unwrap();
    assert!(matches!(
        block(s.release_case(who(1), police)),
        Err(StoreError::Conflict(_))
    ));
    let actions: Vec<String> = s
        .audit_events_for(&format!("case:{old}"))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "case.opened",
            "case.claimed",
            "case.claimed",
            "case.decided",
            "case.status"
        ]
    );
    assert!(s.verify_audit().unwrap().is_ok());
}

/// Runs a scenario on a fresh store of one backend with a manual clock.
fn run(backend: fn(Arc<dyn Clock>) -> TestDb, scenario: fn(&TestDb, &ManualClock)) {
    let clock = Arc::new(ManualClock::new(1_764_000_000_000));
    let db = backend(clock.clone());
    scenario(&db, &clock);
}

#[test]
fn the_queue_on_sqlite() {
    run(testing::sqlite_with, scenario);
}

#[test]
fn the_queue_on_postgres() {
    run(testing::postgres_with, scenario);
}

const HOUR: i64 = 3_600_000;

fn notices_scenario(db: &TestDb, clock: &ManualClock) {
    let s = &db.store;
    let policy = DeadlinePolicy {
        step_hours: [1, 24, 24, 24],
        ..DeadlinePolicy::default()
    };
    let normal = submit(
        db,
        r#"{"source":"patrol","platform":"michat","target":{"account":"n1"}}"#,
    );
    let urgent = submit(
        db,
        r#"{"source":"public","platform":"whatsapp","target":{"account":"n2"},"category":"child_exploitation"}"#,
    );
    let t0 = clock.now_ms();
    let mut notice = std::collections::HashMap::new();
    for (case, cat) in [
        (normal, Category::Prostitution),
        (urgent, Category::ChildExploitation),
    ] {
        block(s.claim_case(who(1), case, 600_000)).unwrap();
        let d = block(s.decide_case(who(1), case, confirm(Some(cat)), policy.clone())).unwrap();
        notice.insert(case, s.notice(d.notice_id.unwrap()).unwrap().unwrap());
    }
    let (n1, n2) = (notice[&normal].clone(), notice[&urgent].clone());
    assert_eq!((n1.deadline - t0, n1.urgent), (24 * HOUR, false));
    assert_eq!((n2.deadline - t0, n2.urgent), (4 * HOUR, true));
    assert_eq!(
        (
            n1.platform.as_str(),
            n1.status.as_str(),
            n1.legal_basis.as_str()
        ),
        ("michat", "sent", "uu_ite_27_1")
    );

    // A platform sees only its own notices.
    assert!(matches!(
        block(s.respond_to_notice(
            "p".into(),
            Some("whatsapp".into()),
            n1.id,
            Response::Removed,
            None
        )),
        Err(StoreError::NotFound(_))
    ));
    // Nothing is due before the deadline.
    assert!(
        s.run_escalations_blocking("w", &policy, t0 + 4 * HOUR - 1)
            .unwrap()
            .is_empty()
    );
    // Urgent notice: deadline at 4 h, warning 1 one hour later.
    let at5 = s
        .run_escalations_blocking("w", &policy, t0 + 5 * HOUR)
        .unwrap();
    assert_eq!(
        at5.iter()
            .map(|e| (e.notice_id, e.step))
            .collect::<Vec<_>>(),
        vec![(n2.id, EscalationStep::Warning1)]
    );
    assert_eq!(
        s.get_case(urgent).unwrap().unwrap().status,
        CaseStatus::Escalated
    );
    // The platform claims removal of the ordinary one: the ladder pauses for it.
    let answered = block(s.respond_to_notice(
        "p".into(),
        Some("michat".into()),
        n1.id,
        Response::Removed,
        None,
    ))
    .unwrap();
    assert_eq!(answered.status, "removal_claimed");
    let again = block(s.respond_to_notice(
        "p".into(),
        Some("michat".into()),
        n1.id,
        Response::Removed,
        None,
    ))
    .unwrap();
    assert_eq!(again, answered, "the same answer twice is one answer");
    assert!(
        s.run_escalations_blocking("w", &policy, t0 + 100 * HOUR)
            .unwrap()
            .iter()
            .all(|e| e.notice_id != n1.id)
    );
    // A re-check finds it still online: the ladder resumes where the legal schedule says.
    assert_eq!(
        block(s.recheck_case("patrol".into(), normal, Recheck::StillOnline)).unwrap(),
        CaseStatus::StillOnline
    );
    // Down for days, the worker catches up rung by rung, each with its own due time.
    let caught = s
        .run_escalations_blocking("w", &policy, t0 + 200 * HOUR)
        .unwrap();
    let steps: Vec<_> = caught
        .iter()
        .filter(|e| e.notice_id == n1.id)
        .map(|e| (e.step, e.due_at - t0))
        .collect();
    assert_eq!(
        steps,
        vec![
            (EscalationStep::Warning1, 25 * HOUR),
            (EscalationStep::Warning2, 49 * HOUR),
            (EscalationStep::Warning3, 73 * HOUR),
            (EscalationStep::BlockingRecommended, 97 * HOUR),
        ]
    );
    assert!(
        s.run_escalations_blocking("w", &policy, t0 + 900 * HOUR)
            .unwrap()
            .iter()
            .all(|e| e.notice_id != n1.id)
    );
    // Verified removal closes the notice and the case.
    assert_eq!(
        block(s.recheck_case("patrol".into(), normal, Recheck::Removed)).unwrap(),
        CaseStatus::Removed
    );
    let closed = s.notice(n1.id).unwrap().unwrap();
    assert_eq!(closed.status, "removed");
    assert!(closed.closed_at.is_some());
    assert!(matches!(
        block(s.respond_to_notice(
            "p".into(),
            Some("michat".into()),
            n1.id,
            Response::Refused,
            Some("no".into())
        )),
        Err(StoreError::Conflict(_))
    ));
    // The content comes back after the verified removal: a new case, linked and high.
    let back = submit(
        db,
        r#"{"source":"patrol","platform":"michat","target":{"account":"n1"}}"#,
    );
    assert_ne!(back, normal);
    let reopened = s.get_case(back).unwrap().unwrap();
    assert_eq!(
        (reopened.previous_case_id, reopened.priority),
        (Some(normal), ronda_core::model::Priority::High)
    );
    assert_eq!(
        s.get_case(normal).unwrap().unwrap().status,
        CaseStatus::Removed
    );
    // A dispute on the urgent one.
    let d = block(s.respond_to_notice(
        "p".into(),
        Some("whatsapp".into()),
        n2.id,
        Response::Disputed,
        Some("wrong link".into()),
    ))
    .unwrap();
    assert_eq!(d.status, "disputed");
    assert_eq!(
        s.get_case(urgent).unwrap().unwrap().status,
        CaseStatus::Disputed
    );
    let notice_events: Vec<String> = s
        .audit_events_for(&format!("notice:{}", n1.id))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        notice_events.first().map(String::as_str),
        Some("notice.sent")
    );
    assert_eq!(
        notice_events
            .iter()
            .filter(|a| *a == "notice.escalated")
            .count(),
        4
    );
    assert!(s.verify_audit().unwrap().is_ok());
}

#[test]
fn notices_deadlines_and_escalation_on_sqlite() {
    run(testing::sqlite_with, notices_scenario);
}

#[test]
fn notices_deadlines_and_escalation_on_postgres() {
    run(testing::postgres_with, notices_scenario);
}

/// A dispute pauses the ladder: upheld, the deadline and the last rung's time move on by the
/// time the dispute was open and the ladder resumes from the rung it had reached; withdrawn,
/// the notice is closed and the case with it. Nothing a dispute does is unaudited.
fn disputes_scenario(db: &TestDb, clock: &ManualClock) {
    use ronda_store::notices::Resolution;
    let s = &db.store;
    let policy = DeadlinePolicy {
        step_hours: [1, 24, 24, 24],
        ..DeadlinePolicy::default()
    };
    let case = submit(
        db,
        r#"{"source":"patrol","platform":"michat","target":{"account":"d1"}}"#,
    );
    let t0 = clock.now_ms();
    block(s.claim_case(who(1), case, 600_000)).unwrap();
    let d = block(s.decide_case(
        who(1),
        case,
        confirm(Some(Category::Prostitution)),
        policy.clone(),
    ))
    .unwrap();
    let id = d.notice_id.unwrap();
    // Past the deadline: the first rung.
    clock.set(t0 + 25 * HOUR + 1);
    let steps = s
        .run_escalations_blocking("worker", &policy, clock.now_ms())
        .unwrap();
    assert_eq!(
        steps.iter().map(|e| e.step).collect::<Vec<_>>(),
        vec![EscalationStep::Warning1]
    );
    // Disputed for ten hours, then upheld.
    let disputed_at = clock.now_ms();
    block(s.respond_to_notice(
        "michat".into(),
        Some("michat".into()),
        id,
        Response::Disputed,
        Some("satire".into()),
    ))
    .unwrap();
    clock.set(disputed_at + 10 * HOUR);
    assert!(
        s.run_escalations_blocking("worker", &policy, clock.now_ms())
            .unwrap()
            .is_empty(),
        "paused while disputed"
    );
    let up = block(s.resolve_dispute("sup".into(), case, Resolution::Uphold, "not satire".into()))
        .unwrap();
    assert_eq!(
        (up.status, up.notice.status.as_str()),
        (CaseStatus::NoticeSent, "sent")
    );
    assert_eq!(up.notice.deadline, t0 + 24 * HOUR + 10 * HOUR);
    assert_eq!(up.notice.escalation_step, "warning_1");
    assert_eq!(up.notice.escalation_at, Some(t0 + 25 * HOUR + 10 * HOUR));
    assert_eq!(
        up.notice.dispute.as_ref().map(|d| d.0.as_str()),
        Some("upheld")
    );
    // The ladder resumes from warning 1: warning 2 is due 24 h after it, shifted.
    clock.set(t0 + 25 * HOUR + 10 * HOUR + 24 * HOUR - 1);
    assert!(
        s.run_escalations_blocking("worker", &policy, clock.now_ms())
            .unwrap()
            .is_empty()
    );
    clock.advance_ms(1);
    let steps = s
        .run_escalations_blocking("worker", &policy, clock.now_ms())
        .unwrap();
    assert_eq!(
        steps.iter().map(|e| (e.from, e.step)).collect::<Vec<_>>(),
        vec![(EscalationStep::Warning1, EscalationStep::Warning2)]
    );
    // Uphold again is not a state the machine allows; disputed again and withdrawn.
    assert!(matches!(
        block(s.resolve_dispute("sup".into(), case, Resolution::Uphold, "x".into())),
        Err(StoreError::IllegalTransition(_))
    ));
    block(s.respond_to_notice(
        "michat".into(),
        Some("michat".into()),
        id,
        Response::Disputed,
        Some("court order".into()),
    ))
    .unwrap();
    let w = block(s.resolve_dispute(
        "sup".into(),
        case,
        Resolution::Withdraw,
        "court order".into(),
    ))
    .unwrap();
    assert_eq!(
        (
            w.status,
            w.notice.status.as_str(),
            w.notice.closed_at.is_some()
        ),
        (CaseStatus::Closed, "withdrawn", true)
    );
    let actions: Vec<String> = s
        .audit_events_for(&format!("notice:{id}"))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"notice.upheld".into()) && actions.contains(&"notice.withdrawn".into()),
        "{actions:?}"
    );
    assert!(s.verify_audit().unwrap().is_ok());
}

#[test]
fn disputes_pause_the_ladder_on_sqlite() {
    run(testing::sqlite_with, disputes_scenario);
}

#[test]
fn disputes_pause_the_ladder_on_postgres() {
    run(testing::postgres_with, disputes_scenario);
}
