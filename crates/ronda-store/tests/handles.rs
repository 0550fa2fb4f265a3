//! Look-alike account handles, on both backends: ten ways of writing what displays as
//! `rina22` meet in one case at intake, and cases an older version opened apart are merged once,
//! on opening, with audit entries.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use ronda_core::model::{CaseStatus, Category, Priority};
use ronda_core::report::{ReportInput, ValidReport};
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

fn account_report(source: &str, handle: &str) -> ValidReport {
    let body = serde_json::json!({"source": source, "platform": "michat", "target": {"account": handle}, "text": "open bo"});
    report(&body.to_string())
}

/// Ten ways of writing what displays as `rina22`.
const LOOK_ALIKES: [&str; 10] = [
    "r\u{456}na22",                                           // Cyrillic і
    "\u{ff52}\u{ff49}\u{ff4e}\u{ff41}\u{ff12}\u{ff12}",       // full-width
    "ri\u{200b}na22",                                         // zero-width space
    "ri\u{200d}na22",                                         // zero-width joiner
    "ri\u{ad}na22",                                           // soft hyphen
    "\u{202e}rina22",                                         // right-to-left override
    "\u{feff}rina22",                                         // byte order mark
    "r\u{ed}na22",                                            // í, NFC
    "\u{1d42b}\u{1d422}\u{1d427}\u{1d41a}\u{1d7d0}\u{1d7d0}", // mathematical bold
    "ri\u{301}na22",                                          // i + combining acute, NFD
];

/// Runs `sql` with a case id as `$1` and, when given, a text as `$2`.
fn exec(s: &ronda_store::Store, sql: &'static str, id: i64, text: Option<&str>) {
    let text = text.map(str::to_string);
    s.write_blocking(1, move |tx| {
        match &text {
            Some(t) => tx
                .conn()
                .execute(sql, &[Param::from(id), Param::from(t.as_str())])?,
            None => tx.conn().execute(sql, &[Param::from(id)])?,
        };
        Ok(())
    })
    .unwrap();
}

on_both_backends! {
    fn look_alike_handles_meet_in_one_case(db: &TestDb) {
        let s = &db.store;
        let first = s.submit_report_blocking(account_report("patrol", "rina22"), ctx()).unwrap();
        for handle in LOOK_ALIKES {
            let r = s.submit_report_blocking(account_report("patrol", handle), ctx()).unwrap();
            assert_eq!((r.case_id, r.new_case), (first.case_id, false), "{handle:?}");
        }
        let case = s.get_case(first.case_id).unwrap().unwrap();
        assert_eq!(case.reports_total, 11);
        assert_eq!(case.target_value, "rina22", "the first handle is the case's display");
        let reports = s.case_reports("test", first.case_id, None, 50, false).unwrap().reports;
        let raw: Vec<&str> = reports.iter().map(|r| r.target_raw.as_str()).collect();
        assert!(raw.contains(&"r\u{456}na22"), "each report keeps its handle as sent: {raw:?}");
        // Another handle is another case.
        let other = s.submit_report_blocking(account_report("patrol", "rina23"), ctx()).unwrap();
        assert!(other.new_case);
    }

    fn existing_look_alike_cases_are_merged_once_with_audit(db: &TestDb) {
        let s = &db.store;
        let a = s.submit_report_blocking(account_report("patrol", "rina22"), ctx()).unwrap();
        let b = s.submit_report_blocking(account_report("public", "placeholder1"), ctx()).unwrap();
        let c = s.submit_report_blocking(account_report("public", "placeholder2"), ctx()).unwrap();
        // The state an older version left: each look-alike its own key, its own case; one of
        // them carries a child-safety claim.
        exec(s, "UPDATE cases SET target_key = 'account:michat:rina22' WHERE id = $1", a.case_id, None);
        for (id, handle) in [(b.case_id, "r\u{456}na22"), (c.case_id, "ri\u{200b}na22")] {
            exec(s, "UPDATE cases SET target_value = $2, target_key = 'account:michat:' || $2 WHERE id = $1", id, Some(handle));
            exec(s, "UPDATE accounts SET handle = $2, handle_key = NULL WHERE id = (SELECT account_id FROM cases WHERE id = $1)", id, Some(handle));
        }
        exec(s, "UPDATE cases SET priority = 3, category = 'child_exploitation', child_safety = 'claim' WHERE id = $1", c.case_id, None);
        exec(s, "DELETE FROM data_passes WHERE name = 'handle_keys' AND $1 > 0", 1, None);
        s.close();

        let s = common::open(db.location.clone(), std::sync::Arc::new(ronda_core::clock::SystemClock));
        let survivor = s.get_case(a.case_id).unwrap().unwrap();
        assert_eq!(survivor.reports_total, 3);
        assert_eq!(survivor.reports_by_source, [1, 0, 2, 0]);
        assert_eq!((survivor.priority, survivor.category), (Priority::Urgent, Some(Category::ChildExploitation)),
            "the merged case's child-safety sign carries over");
        assert!(survivor.child_safety.is_some());
        for dup in [b.case_id, c.case_id] {
            let d = s.get_case(dup).unwrap().unwrap();
            assert_eq!((d.status, d.merged_into), (CaseStatus::Closed, Some(a.case_id)));
            let audit: Vec<String> = s.audit_events_for(&format!("case:{dup}")).unwrap().into_iter().map(|e| e.action).collect();
            assert!(audit.contains(&"case.merged".to_string()), "{audit:?}");
        }
        let audit: Vec<String> = s.audit_events_for(&format!("case:{}", a.case_id)).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(audit.iter().filter(|a| *a == "case.absorbed").count(), 2, "{audit:?}");
        let reports = s.case_reports("test", a.case_id, None, 50, false).unwrap().reports;
        assert_eq!(reports.len(), 3, "the reports moved to the survivor");
        assert!(s.verify_audit().unwrap().is_ok(), "the chain still verifies");
        // New look-alikes join the survivor; opening again applies nothing twice.
        let again = s.submit_report_blocking(account_report("patrol", "\u{ff52}\u{ff49}\u{ff4e}\u{ff41}\u{ff12}\u{ff12}"), ctx()).unwrap();
        assert_eq!((again.case_id, again.new_case), (a.case_id, false));
        s.close();
        let s = common::open(db.location.clone(), std::sync::Arc::new(ronda_core::clock::SystemClock));
        let audit = s.audit_events_for(&format!("case:{}", a.case_id)).unwrap();
        assert_eq!(audit.iter().filter(|e| e.action == "case.absorbed").count(), 2);
        s.close();
    }

    fn look_alike_cases_past_review_are_kept_apart_and_audited(db: &TestDb) {
        let s = &db.store;
        let a = s.submit_report_blocking(account_report("patrol", "rina22"), ctx()).unwrap();
        let b = s.submit_report_blocking(account_report("patrol", "placeholder"), ctx()).unwrap();
        exec(s, "UPDATE cases SET target_key = 'account:michat:rina22', status = 'confirmed' WHERE id = $1", a.case_id, None);
        exec(s, "UPDATE cases SET target_value = $2, target_key = 'account:michat:' || $2, status = 'confirmed' WHERE id = $1",
            b.case_id, Some("r\u{456}na22"));
        exec(s, "DELETE FROM data_passes WHERE name = 'handle_keys' AND $1 > 0", 1, None);
        s.close();
        let s = common::open(db.location.clone(), std::sync::Arc::new(ronda_core::clock::SystemClock));
        for id in [a.case_id, b.case_id] {
            let c = s.get_case(id).unwrap().unwrap();
            assert_eq!((c.status, c.merged_into), (CaseStatus::Confirmed, None), "decisions stand on their own");
        }
        let kept: Vec<String> = s.audit_events_for(&format!("case:{}", b.case_id)).unwrap().into_iter().map(|e| e.action).collect();
        assert!(kept.contains(&"case.rekey_kept".to_string()), "{kept:?}");
        s.close();
    }
}
