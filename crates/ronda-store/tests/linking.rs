//! Linking at intake on both backends: accounts sharing an identifier become one actor, a
//! re-created account of a taken-down offender is flagged at once with its evidence, hubs and
//! generic shop text link nothing, two weak signals link, one does not, merges keep the older id.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use ronda_core::model::{CaseStatus, Category, Priority};
use ronda_core::report::{ReportInput, ValidReport};
use ronda_core::workflow::DeadlinePolicy;
use ronda_link::{FeatureExtractor, LinkConfig};
use ronda_store::intake::IntakeContext;
use ronda_store::notices::{Recheck, Response};
use ronda_store::review::{Decision, Reviewer, Verdict};
use ronda_store::testing::{TestDb, block};

fn report(json: &str) -> ValidReport {
    let mut r = serde_json::from_str::<ReportInput>(json)
        .unwrap()
        .validate(None)
        .unwrap();
    static EXTRACTOR: std::sync::OnceLock<FeatureExtractor> = std::sync::OnceLock::new();
    let extractor = EXTRACTOR.get_or_init(|| FeatureExtractor::new(&LinkConfig::default()));
    r.link = ronda_link::input::link_input(extractor, &r);
    r
}

fn submit(db: &TestDb, json: &str) -> i64 {
    db.store
        .submit_report_blocking(
            report(json),
            IntakeContext {
                actor: "t".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .case_id
}

fn account(handle: &str, text: &str) -> String {
    serde_json::json!({"source": "patrol", "platform": "michat", "target": {"account": handle},
        "text": text})
    .to_string()
}

fn with_profile(handle: &str, text: &str, name: &str, avatar: &str) -> String {
    serde_json::json!({"source": "patrol", "platform": "michat", "target": {"account": handle},
        "text": text, "profile": {"display_name": name, "avatar_pdq": avatar}})
    .to_string()
}

fn actor_of(db: &TestDb, handle: &str) -> Option<i64> {
    db.store.actor_of_account("michat", handle).unwrap()
}

/// Confirm → notice → the platform says removed → the re-check verifies it.
fn take_down(db: &TestDb, case_id: i64) {
    let s = &db.store;
    let who = Reviewer::token(1, "token:1");
    block(s.claim_case(who.clone(), case_id, 60_000)).unwrap();
    let decided = block(s.decide_case(
        who,
        case_id,
        Decision {
            verdict: Verdict::Confirm,
            category: Some(Category::Prostitution),
            legal_basis: Some("uu_ite_27_1".into()),
            note: None,
            override_claim: false,
            approval_categories: Vec::new(),
        },
        DeadlinePolicy::default(),
    ))
    .unwrap();
    let notice_id = decided.notice_id.unwrap();
    block(s.respond_to_notice(
        "p".into(),
        Some("michat".into()),
        notice_id,
        Response::Removed,
        None,
    ))
    .unwrap();
    assert_eq!(
        block(s.recheck_case("patrol".into(), case_id, Recheck::Removed)).unwrap(),
        CaseStatus::Removed
    );
}

const AD: &str = "open bo cantik manja real pict no tipu slot terbatas area jaksel";

ronda_store::on_both_backends! {
    fn a_recreated_account_is_flagged_at_once_with_its_evidence(db: &TestDb) {
        let first = submit(db, &account("rina22", &format!("{AD} wa 0812-3456-7890")));
        take_down(db, first);
        // A fresh account, different handle and words, the same number written differently.
        let again = submit(db, &account("rina_baru", "avail malam ini, hubungi wa 0812 3456 7890"));
        let case = db.store.get_case(again).unwrap().unwrap();
        assert!(case.recreation, "flagged as a re-creation");
        assert_eq!(case.priority, Priority::High);
        assert_eq!(case.actor_id, actor_of(db, "rina22"));
        let detail: serde_json::Value =
            serde_json::from_str(case.recreation_json.as_deref().unwrap()).unwrap();
        assert_eq!(detail["recreation_of"], serde_json::json!(["michat:rina22"]));
        assert_eq!(detail["earlier_cases"][0]["case_id"], serde_json::json!(first));
        assert_eq!(detail["earlier_cases"][0]["decision"], "confirm");
        assert_eq!(detail["earlier_cases"][0]["legal_basis"], "uu_ite_27_1");
        let evidence = detail["evidence"].as_array().unwrap();
        assert!(evidence.iter().any(|e| e["signal"] == "phone" && e["value"] == "+6281234567890"
            && e["account"] == "michat:rina_baru" && e["with"] == "michat:rina22"), "{evidence:?}");

        // The actor view: both accounts, the identifier, both cases, the edge.
        let actor = db.store.actor(case.actor_id.unwrap()).unwrap().unwrap();
        let accounts: Vec<(&str, &str)> = actor.accounts.iter()
            .map(|a| (a.account.as_str(), a.status.as_str())).collect();
        assert_eq!(accounts, vec![("michat:rina22", "taken_down"), ("michat:rina_baru", "active")]);
        assert!(actor.identifiers.iter().any(|i| i.signal == "phone" && i.value == "+6281234567890"));
        assert_eq!(actor.cases.len(), 2);
        assert!(actor.cases.iter().any(|c| c.case_id == again && c.recreation));

        // An account that is active when its partner is taken down is flagged then.
        let a = submit(db, &account("sari01", "bispak sari, transfer ke bca 0123456789 dulu"));
        let b = submit(db, &account("sari02", "sari ready, dp ke rekening bca 0123456789"));
        assert_eq!(actor_of(db, "sari01"), actor_of(db, "sari02"));
        assert!(!db.store.get_case(b).unwrap().unwrap().recreation);
        take_down(db, a);
        assert!(db.store.get_case(b).unwrap().unwrap().recreation, "flagged at the takedown");
    }

    fn hubs_and_generic_shop_text_link_nothing(db: &TestDb) {
        // A support number posted by 30 unrelated accounts (hub limit 25).
        for i in 0..30 {
            submit(db, &account(&format!("shop{i}"),
                &format!("toko {i} barang ori, komplain hubungi cs 0811-1111-2222 produk nomor {i}")));
        }
        let actors: std::collections::HashSet<_> =
            (0..30).map(|i| actor_of(db, &format!("shop{i}"))).collect();
        // The first 25 may link through it before it turns out to be a hub; later ones do not.
        assert!(actor_of(db, "shop29") != actor_of(db, "shop0"));
        assert!(actors.len() >= 5, "the hub stopped linking: {} actors", actors.len());
        let hubs = db.store.read(|c| c.query(
            "SELECT kind, value FROM link_hubs", &[])).unwrap();
        assert_eq!(hubs.len(), 1);
        assert_eq!(hubs[0].string(1).unwrap(), "+6281111112222");

        // Benign shops sharing a generic phrase, a common name and a stock avatar. Once any of
        // those is held by more than K (20) accounts it no longer counts: later shops stay apart.
        // (Before the K-th, a name and an avatar both still rare are two weak signals; the
        // `ronda link` command counts everything first and has no such window.)
        let stock = "f".repeat(64);
        let goods = ["kaos", "sepatu", "tas", "jam", "madu", "kopi", "batik", "kue", "sabun", "teh"];
        for i in 0..30 {
            submit(db, &with_profile(&format!("berkah{i}"),
                &format!("Open order, bisa COD, DM ya. Jual {} {} ukuran {i}", goods[i % 10], goods[(i * 7 + 3) % 10]),
                "Toko Berkah", &stock));
        }
        let early = actor_of(db, "berkah0");
        let late: std::collections::HashSet<_> =
            (21..30).map(|i| actor_of(db, &format!("berkah{i}"))).collect();
        assert_eq!(late.len(), 9, "each later shop is its own actor");
        assert!(!late.contains(&early));
    }

    fn two_weak_signals_link_and_one_does_not(db: &TestDb) {
        let avatar = "0123456789abcdef".repeat(4);
        let near = format!("1{}", &avatar[1..]); // one nibble off: a few bits
        let other = "fedcba9876543210".repeat(4);
        let template = "halo kak, melayani tamu hotel area kemang, tarif 500k short time, \
                        include room, foto real no edit, chat aja langsung ya";
        submit(db, &with_profile("mawar1", template, "Mawar", &avatar));
        // The same template and a near-duplicate avatar, nothing else in common: linked.
        submit(db, &with_profile("bunga7", &format!("{template}!!"), "Bunga", &near));
        assert_eq!(actor_of(db, "mawar1"), actor_of(db, "bunga7"));
        // The same template with a different avatar and name: one weak signal, not linked.
        submit(db, &with_profile("melati3", template, "Melati", &other));
        assert_ne!(actor_of(db, "melati3"), actor_of(db, "mawar1"));
    }

    fn merging_two_actors_keeps_the_older_id(db: &TestDb) {
        submit(db, &account("alpha", "order via wa 0813-1111-2222"));
        submit(db, &account("beta", "bayar ke bri 123456789012345 ya"));
        let (a, b) = (actor_of(db, "alpha").unwrap(), actor_of(db, "beta").unwrap());
        assert!(a < b);
        submit(db, &account("gamma", "wa 0813 1111 2222, transfer bri 123456789012345"));
        assert_eq!(actor_of(db, "gamma"), Some(a));
        assert_eq!(actor_of(db, "beta"), Some(a), "the younger actor merged into the older");
        let merged = db.store.actor(b).unwrap().unwrap();
        assert_eq!(merged.id, a, "a merged id resolves to the survivor");
        assert_eq!(merged.merged, vec![b]);
        let log = db.store.read(|c| c.query("SELECT survivor, merged FROM actor_merges", &[])).unwrap();
        assert_eq!((log[0].i64(0).unwrap(), log[0].i64(1).unwrap()), (a, b));
    }
}
