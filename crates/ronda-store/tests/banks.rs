//! Hash banks in the store, on SQLite and on the real PostgreSQL: import/export, matching
//! semantics (threshold, quality floor, allowlist), intake matches and retroactive matching.
//! Only synthetic hashes are used.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::Arc;

use ronda_core::clock::SystemClock;
use ronda_core::model::{Category, Priority};
use ronda_core::report::{ReportInput, ValidReport};
use ronda_media::PdqHash;
use ronda_media::bank::{BankCategory, HashList};
use ronda_store::banks::{BankPatch, NewBank};
use ronda_store::intake::IntakeContext;
use ronda_store::on_both_backends;
use ronda_store::testing as common;

/// A deterministic pseudo-random hash (splitmix64).
fn hash(seed: u64) -> PdqHash {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut limbs = [0_u64; 4];
    for limb in &mut limbs {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        *limb = z ^ (z >> 31);
    }
    PdqHash(limbs)
}

/// `h` with `n` bits flipped, spread over the four limbs.
fn flip(h: PdqHash, n: u32) -> PdqHash {
    let mut out = h;
    for i in 0..n as usize {
        out.0[i % 4] ^= 1 << (i / 4 * 3 + 1);
    }
    assert_eq!(out.distance(&h), n);
    out
}

fn list(entries: &[(PdqHash, Option<u8>, Option<&str>)]) -> HashList {
    let mut l = HashList::new();
    for (h, q, label) in entries {
        l.push(*h, *q, *label);
    }
    l
}

fn new_bank(name: &str, category: BankCategory) -> Option<NewBank> {
    Some(NewBank {
        name: name.into(),
        category,
        enabled: None,
        threshold: None,
        min_quality: None,
    })
}

fn ctx() -> IntakeContext {
    IntakeContext {
        actor: "test".into(),
        ..Default::default()
    }
}

fn report_with_media(handle: &str, pdq: Option<PdqHash>) -> ValidReport {
    let media = pdq.map_or_else(String::new, |h| {
        format!(r#","media":[{{"pdq":"{}"}}]"#, h.to_hex())
    });
    serde_json::from_str::<ReportInput>(&format!(
        r#"{{"source":"patrol","platform":"michat","target":{{"account":"{handle}"}},"text":"open bo"{media}}}"#
    ))
    .unwrap()
    .validate(None)
    .unwrap()
}

on_both_backends! {
    fn import_export_and_duplicates(db: &TestDb) {
        let s = &db.store;
        let entries = [(hash(1), Some(90), Some("first")), (hash(2), None, None), (hash(1), Some(80), None)];
        let out = s.import_hashes_blocking("test", "known", new_bank("known", BankCategory::Ncii), list(&entries)).unwrap();
        assert!(out.created);
        assert_eq!((out.added, out.duplicates, out.retro_matches), (2, 1, 0));
        assert_eq!(out.bank.hash_count, 2);
        assert_eq!((out.bank.threshold, out.bank.min_quality, out.bank.enabled), (31, 50, true));
        // Importing again adds nothing.
        let again = s.import_hashes_blocking("test", "known", None, list(&entries[..2])).unwrap();
        assert_eq!((again.added, again.duplicates, again.created), (0, 2, false));
        let (bank, exported) = s.export_bank("known").unwrap().unwrap();
        assert_eq!(bank.hash_count, 2);
        assert_eq!(exported.hashes, vec![hash(1), hash(2)]);
        assert_eq!(exported.quality(0), Some(90));
        assert_eq!(exported.label(0), Some("first"));
        assert_eq!(HashList::parse(&exported.to_csv()).unwrap(), exported);
        // A missing bank without creation settings is not found; a second create conflicts.
        assert!(s.import_hashes_blocking("test", "nope", None, list(&entries)).is_err());
        assert!(s.create_bank_blocking("test", new_bank("known", BankCategory::Ncii).unwrap()).is_err());
        assert!(s.create_bank_blocking("test", new_bank("bad name", BankCategory::Ncii).unwrap()).is_err());
        let patched = s.update_bank_blocking("test", "known", BankPatch { enabled: Some(false), threshold: Some(10), min_quality: None }).unwrap();
        assert_eq!((patched.enabled, patched.threshold), (false, 10));
        assert_eq!(s.list_banks().unwrap().len(), 1);
        let actions: Vec<String> = s.audit_events_for("bank:known").unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["bank.created", "bank.hashes_added", "bank.updated"]);
        assert!(s.verify_audit().unwrap().is_ok());
    }

    fn threshold_quality_floor_and_allowlist(db: &TestDb) {
        let s = &db.store;
        let target = hash(10);
        s.import_hashes_blocking("test", "ads", new_bank("ads", BankCategory::SolicitationPhotos), list(&[(target, None, Some("ad-1"))])).unwrap();
        let near = flip(target, 31);
        let far = flip(target, 32);
        let r = s.match_hashes(&[(near, None), (far, None), (near, Some(49)), (near, Some(50))], None).unwrap();
        assert_eq!(r[0].matches.len(), 1);
        assert_eq!((r[0].matches[0].distance, r[0].matches[0].label.as_deref()), (31, Some("ad-1")));
        assert!(r[1].matches.is_empty(), "32 bits is beyond the threshold");
        assert!(r[2].matches.is_empty(), "quality below the floor is not matched");
        assert_eq!(r[3].matches.len(), 1);
        // A radius overrides the threshold.
        assert_eq!(s.match_hashes(&[(far, None)], Some(40)).unwrap()[0].matches.len(), 1);
        // A lower bank threshold applies.
        s.update_bank_blocking("test", "ads", BankPatch { threshold: Some(5), ..Default::default() }).unwrap();
        assert!(s.match_hashes(&[(near, None)], None).unwrap()[0].matches.is_empty());
        assert_eq!(s.match_hashes(&[(flip(target, 5), None)], None).unwrap()[0].matches.len(), 1);
        // An allowlist match suppresses the others.
        s.import_hashes_blocking("test", "fp", new_bank("fp", BankCategory::Allowlist), list(&[(flip(target, 2), None, None)])).unwrap();
        let r = &s.match_hashes(&[(target, None)], None).unwrap()[0];
        assert!(r.matches.is_empty());
        assert_eq!(r.allowlisted.len(), 1);
        assert_eq!(r.suppressed.len(), 1);
        // A disabled bank matches nothing.
        s.update_bank_blocking("test", "fp", BankPatch { enabled: Some(false), ..Default::default() }).unwrap();
        s.update_bank_blocking("test", "ads", BankPatch { enabled: Some(false), ..Default::default() }).unwrap();
        let r = &s.match_hashes(&[(target, None)], None).unwrap()[0];
        assert!(r.matches.is_empty() && r.allowlisted.is_empty());
    }

    fn intake_match_makes_the_case_urgent(db: &TestDb) {
        let s = &db.store;
        let known = hash(20);
        s.import_hashes_blocking("test", "csam", new_bank("csam", BankCategory::ChildExploitation), list(&[(known, None, None)])).unwrap();
        s.import_hashes_blocking("test", "ads", new_bank("ads", BankCategory::SolicitationPhotos), list(&[(hash(21), None, None)])).unwrap();
        let plain = s.submit_report_blocking(report_with_media("a1", None), ctx()).unwrap();
        let case = s.get_case(plain.case_id).unwrap().unwrap();
        assert_eq!(case.priority, Priority::Normal);
        assert!(s.case_media_matches(plain.case_id).unwrap().is_empty());

        let hit = s.submit_report_blocking(report_with_media("a2", Some(flip(known, 4))), ctx()).unwrap();
        let case = s.get_case(hit.case_id).unwrap().unwrap();
        assert_eq!(case.priority, Priority::Urgent);
        assert_eq!(case.category, Some(Category::ChildExploitation));
        let matches = s.case_media_matches(hit.case_id).unwrap();
        assert_eq!(matches.len(), 1);
        assert_eq!((matches[0].bank.as_str(), matches[0].category.as_str(), matches[0].distance), ("csam", "child_exploitation", 4));

        // Another bank's match is stored without raising priority; batches match too.
        let batch = s.submit_batch_blocking(vec![Ok(report_with_media("a3", Some(hash(21)))), Ok(report_with_media("a4", Some(hash(99))))], ctx()).unwrap();
        let a3 = batch[0].as_ref().unwrap();
        let a4 = batch[1].as_ref().unwrap();
        assert_eq!(s.get_case(a3.case_id).unwrap().unwrap().priority, Priority::Normal);
        assert_eq!(s.case_media_matches(a3.case_id).unwrap().len(), 1);
        assert!(s.case_media_matches(a4.case_id).unwrap().is_empty());
        assert!(s.verify_audit().unwrap().is_ok());
    }

    fn retroactive_matching_updates_and_opens_cases(db: &TestDb) {
        let s = &db.store;
        let seen = hash(30);
        let first = s.submit_report_blocking(report_with_media("b1", Some(seen)), ctx()).unwrap();
        let closed = s.submit_report_blocking(report_with_media("b2", Some(flip(seen, 1))), ctx()).unwrap();
        let unrelated = s.submit_report_blocking(report_with_media("b3", Some(hash(31))), ctx()).unwrap();
        let closed_id = closed.case_id;
        s.write_blocking(1, move |tx| {
            tx.conn().execute("UPDATE cases SET status = 'closed', is_open = 0 WHERE id = $1", &[closed_id.into()])?;
            Ok(())
        }).unwrap();

        let out = s.import_hashes_blocking("test", "csam", new_bank("csam", BankCategory::ChildExploitation), list(&[(flip(seen, 3), None, None)])).unwrap();
        assert_eq!(out.retro_matches, 2);
        assert_eq!(out.cases_opened.len(), 1, "the closed case's target gets a new case");
        let reopened = out.cases_opened[0];
        assert_ne!(reopened, closed.case_id);
        for id in [first.case_id, reopened] {
            let case = s.get_case(id).unwrap().unwrap();
            assert_eq!(case.priority, Priority::Urgent, "case {id}");
            assert_eq!(s.case_media_matches(id).unwrap().len(), 1);
        }
        assert!(s.case_media_matches(closed.case_id).unwrap().is_empty());
        assert_eq!(s.get_case(unrelated.case_id).unwrap().unwrap().priority, Priority::Normal);
        let actions: Vec<String> = s.audit_events_for(&format!("case:{}", first.case_id)).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["case.opened", "case.media_matched"]);

        // Re-importing the same hash, or adding more, never stores a match twice.
        let again = s.import_hashes_blocking("test", "csam", None, list(&[(flip(seen, 3), None, None), (hash(32), None, None)])).unwrap();
        assert_eq!((again.added, again.retro_matches), (1, 0));
        assert_eq!(s.case_media_matches(first.case_id).unwrap().len(), 1);
        // A second bank matching the same media is a second match.
        let other = s.import_hashes_blocking("test", "ads", new_bank("ads", BankCategory::SolicitationPhotos), list(&[(seen, None, None)])).unwrap();
        assert_eq!((other.retro_matches, other.cases_opened.len()), (2, 0));
        assert_eq!(s.case_media_matches(first.case_id).unwrap().len(), 2);
        assert!(s.verify_audit().unwrap().is_ok());
    }

    fn a_report_racing_an_import_is_still_matched(db: &TestDb) {
        let s = &db.store;
        let known = hash(50);
        s.import_hashes_blocking("test", "csam", new_bank("csam", BankCategory::ChildExploitation), list(&[(hash(51), None, None)])).unwrap();
        s.import_hashes_blocking("test", "fp", new_bank("fp", BankCategory::Allowlist), list(&[(hash(52), None, None)])).unwrap();
        // Matched before the import commits, written after its retroactive pass.
        let r1 = report_with_media("c1", Some(flip(known, 2)));
        let r2 = report_with_media("c2", Some(hash(53)));
        let m1 = s.match_report_media(&r1.media).unwrap();
        let m2 = s.match_report_media(&r2.media).unwrap();
        assert!(m1.hits.is_empty() && m2.hits.is_empty());
        let other = common::open(db.location.clone(), Arc::new(SystemClock));
        let out = other.import_hashes_blocking("cli", "csam", None, list(&[(known, None, None), (hash(53), None, None)])).unwrap();
        assert_eq!(out.retro_matches, 0);
        other.import_hashes_blocking("cli", "fp", None, list(&[(flip(hash(53), 1), None, None)])).unwrap();
        other.close();
        let a1 = s.write_blocking(1, move |tx| Ok(ronda_store::intake::accept_matched(tx, &r1, &ctx(), Some(&m1))?.unwrap())).unwrap();
        let a2 = s.write_blocking(1, move |tx| Ok(ronda_store::intake::accept_matched(tx, &r2, &ctx(), Some(&m2))?.unwrap())).unwrap();
        assert_eq!(s.get_case(a1.case_id).unwrap().unwrap().priority, Priority::Urgent);
        assert_eq!(s.case_media_matches(a1.case_id).unwrap().len(), 1);
        assert!(s.case_media_matches(a2.case_id).unwrap().is_empty(), "a late allowlist hash suppresses");
    }

    fn another_process_sees_bank_changes(db: &TestDb) {
        let s = &db.store;
        let h = hash(40);
        // The matcher loads (empty) before the other process writes.
        assert!(s.match_hashes(&[(h, None)], None).unwrap()[0].matches.is_empty());
        let other = common::open(db.location.clone(), Arc::new(SystemClock));
        other.import_hashes_blocking("cli", "ads", new_bank("ads", BankCategory::SolicitationPhotos), list(&[(h, None, None)])).unwrap();
        assert_eq!(s.match_hashes(&[(h, None)], None).unwrap()[0].matches.len(), 1);
        other.import_hashes_blocking("cli", "ads", None, list(&[(hash(41), None, None)])).unwrap();
        assert_eq!(s.match_hashes(&[(hash(41), None)], None).unwrap()[0].matches.len(), 1);
        other.update_bank_blocking("cli", "ads", BankPatch { enabled: Some(false), ..Default::default() }).unwrap();
        assert!(s.match_hashes(&[(h, None)], None).unwrap()[0].matches.is_empty());
        other.close();
    }
}
