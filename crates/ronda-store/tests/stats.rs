//! Statistics on both backends over a small dataset whose every figure is known: each total,
//! each group of each grouping, the nearest-rank median and p90, WIB month boundaries, the
//! as-of moment of "overdue", and child-related figures counted apart.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use ronda_core::wib::{day_number, day_start_ms as wib_day_start_ms, parse_date};
use ronda_store::on_both_backends;
use ronda_store::stats::{Figures, GroupBy, Stats, StatsQuery};
use ronda_store::synth::{SynthCase, SynthDecision, SynthNotice};
use ronda_store::testing::TestDb;
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

/// Epoch ms of a WIB wall-clock time.
fn wib(y: i32, m: u32, d: u32, h: i64) -> i64 {
    wib_day_start_ms(day_number(y, m, d).unwrap()) + h * HOUR
}

fn platform_id(db: &TestDb, name: &str) -> i64 {
    let name = name.to_string();
    db.store
        .read(move |c| {
            c.query_one(
                "SELECT id FROM platforms WHERE name = $1",
                ronda_store::params![&name],
            )?
            .i64(0)
        })
        .unwrap()
}

#[allow(clippy::too_many_arguments, reason = "a row of the fixture table")]
fn case(
    id: i64,
    platform_id: i64,
    status: &'static str,
    category: Option<&'static str>,
    priority: i64,
    reports: [i64; 4],
    created_at: i64,
    previous_case_id: Option<i64>,
) -> SynthCase {
    SynthCase {
        id,
        platform_id,
        status,
        category,
        priority,
        reports,
        created_at,
        previous_case_id,
    }
}

fn decision(
    case_id: i64,
    decision: &'static str,
    category: Option<&'static str>,
    created_at: i64,
) -> SynthDecision {
    SynthDecision {
        case_id,
        decision,
        category,
        created_at,
    }
}

#[allow(clippy::too_many_arguments, reason = "a row of the fixture table")]
fn notice(
    case_id: i64,
    platform_id: i64,
    status: &'static str,
    category: &'static str,
    created_at: i64,
    deadline: i64,
    response: Option<(&'static str, i64)>,
    closed_at: Option<i64>,
) -> SynthNotice {
    SynthNotice {
        case_id,
        platform_id,
        status,
        category,
        created_at,
        deadline,
        response_action: response.map(|r| r.0),
        responded_at: response.map(|r| r.1),
        closed_at,
    }
}

/// The dataset (times in WIB). Window under test: 2020-01-01 … 2020-02-29.
pub fn seed(db: &TestDb) {
    let (m, w) = (platform_id(db, "michat"), platform_id(db, "whatsapp"));
    let (pros, child, gamb, porn) = (
        Some("prostitution"),
        Some("child_exploitation"),
        Some("gambling"),
        Some("pornography"),
    );
    let cases = vec![
        case(
            1,
            m,
            "removed",
            pros,
            1,
            [2, 0, 1, 0],
            wib(2020, 1, 5, 10),
            None,
        ),
        case(
            2,
            m,
            "removed",
            child,
            3,
            [0, 1, 0, 0],
            wib(2020, 1, 10, 0),
            None,
        ),
        case(
            3,
            w,
            "notice_sent",
            gamb,
            2,
            [1, 0, 0, 0],
            wib(2020, 2, 3, 0),
            None,
        ),
        case(
            4,
            w,
            "rejected",
            None,
            0,
            [0, 0, 2, 0],
            wib(2020, 2, 20, 0),
            None,
        ),
        // Content back after case 1's verified removal: a re-created account caught.
        case(
            5,
            m,
            "new",
            pros,
            2,
            [1, 0, 0, 0],
            wib(2020, 2, 25, 0),
            Some(1),
        ),
        // Opened the evening before the window (WIB); decided and noticed inside it.
        case(
            6,
            m,
            "notice_sent",
            porn,
            1,
            [1, 0, 0, 0],
            wib(2019, 12, 31, 23),
            None,
        ),
        // 2020-02-01 03:00 WIB is still 31 January in UTC: it belongs to February.
        case(
            7,
            w,
            "removed",
            child,
            3,
            [0, 0, 1, 0],
            wib(2020, 2, 1, 3),
            None,
        ),
        // 2020-03-01 02:00 WIB is 29 February in UTC: outside the window.
        case(
            8,
            w,
            "notice_sent",
            gamb,
            1,
            [1, 0, 0, 0],
            wib(2020, 3, 1, 2),
            None,
        ),
    ];
    let decisions = vec![
        decision(1, "confirm", pros, wib(2020, 1, 6, 9)),
        decision(2, "confirm", child, wib(2020, 1, 11, 0)),
        decision(3, "confirm", gamb, wib(2020, 2, 4, 0)),
        decision(3, "approve", gamb, wib(2020, 2, 4, 0)),
        decision(4, "reject", None, wib(2020, 2, 21, 0)),
        decision(6, "confirm", porn, wib(2020, 1, 1, 1)),
        decision(7, "confirm", child, wib(2020, 2, 2, 0)),
        decision(8, "confirm", gamb, wib(2020, 3, 1, 3)),
    ];
    let notices = vec![
        // michat removals: 10 h (in time), 6 h (late, 4 h deadline), 2 h (in time), 48 h (late).
        notice(
            1,
            m,
            "removed",
            "prostitution",
            wib(2020, 1, 6, 10),
            wib(2020, 1, 7, 10),
            Some(("removed", wib(2020, 1, 6, 15))),
            Some(wib(2020, 1, 6, 20)),
        ),
        notice(
            2,
            m,
            "removed",
            "child_exploitation",
            wib(2020, 1, 11, 0),
            wib(2020, 1, 11, 4),
            None,
            Some(wib(2020, 1, 11, 6)),
        ),
        notice(
            6,
            m,
            "removed",
            "pornography",
            wib(2020, 1, 1, 2),
            wib(2020, 1, 2, 2),
            None,
            Some(wib(2020, 1, 1, 4)),
        ),
        notice(
            1,
            m,
            "removed",
            "prostitution",
            wib(2020, 1, 20, 0),
            wib(2020, 1, 21, 0),
            None,
            Some(wib(2020, 1, 22, 0)),
        ),
        // Refused, never removed: refused and overdue.
        notice(
            3,
            w,
            "refused",
            "gambling",
            wib(2020, 2, 4, 0),
            wib(2020, 2, 5, 0),
            Some(("refused", wib(2020, 2, 4, 12))),
            None,
        ),
        // whatsapp: removed 28 h after the notice, 24 h after its 4 h deadline.
        notice(
            7,
            w,
            "removed",
            "child_exploitation",
            wib(2020, 2, 2, 0),
            wib(2020, 2, 2, 4),
            None,
            Some(wib(2020, 2, 3, 4)),
        ),
        // Deadline inside the window, removal verified after it: overdue at the window's end.
        notice(
            6,
            m,
            "removed",
            "pornography",
            wib(2020, 2, 27, 0),
            wib(2020, 2, 28, 0),
            None,
            Some(wib(2020, 3, 2, 0)),
        ),
        // Withdrawn before its deadline: neither removed nor overdue.
        notice(
            2,
            m,
            "withdrawn",
            "child_exploitation",
            wib(2020, 2, 10, 0),
            wib(2020, 2, 10, 4),
            None,
            Some(wib(2020, 2, 10, 2)),
        ),
        // Outside the window.
        notice(
            8,
            w,
            "removed",
            "gambling",
            wib(2020, 3, 1, 3),
            wib(2020, 3, 2, 3),
            None,
            Some(wib(2020, 3, 1, 9)),
        ),
    ];
    db.store
        .insert_synthetic_blocking(cases, decisions, notices)
        .unwrap();
}

fn query(group_by: Option<GroupBy>) -> StatsQuery {
    StatsQuery {
        from_day: parse_date("2020-01-01").unwrap(),
        to_day: parse_date("2020-02-29").unwrap(),
        now_ms: wib(2021, 1, 1, 0),
        group_by,
    }
}

/// Figures with the named values, every other figure zero.
fn figs(pairs: &[(&str, i64)]) -> Value {
    let mut v = serde_json::to_value(Figures::default()).unwrap();
    for (k, n) in pairs {
        assert!(v.get(*k).is_some(), "no figure {k}");
        v[*k] = json!(n);
    }
    v
}

fn group(s: &Stats, key: &str) -> Value {
    let g = s.groups.iter().find(|g| g.key == key);
    serde_json::to_value(&g.unwrap_or_else(|| panic!("no group {key}")).figures).unwrap()
}

fn keys(s: &Stats) -> Vec<&str> {
    s.groups.iter().map(|g| g.key.as_str()).collect()
}

const JAN: &[(&str, i64)] = &[
    ("items_handled", 4),
    ("reports_patrol", 2),
    ("reports_police", 1),
    ("reports_public", 1),
    ("cases_opened", 2),
    ("cases_confirmed", 3),
    ("notices_sent", 4),
    ("removals_verified", 4),
    ("removed_within_deadline", 2),
    ("child_items_handled", 1),
    ("child_cases_opened", 1),
    ("child_cases_confirmed", 1),
    ("child_notices_sent", 1),
    ("child_removals_verified", 1),
];

const FEB: &[(&str, i64)] = &[
    ("items_handled", 5),
    ("reports_patrol", 2),
    ("reports_public", 3),
    ("cases_opened", 4),
    ("cases_confirmed", 2),
    ("cases_rejected", 1),
    ("notices_sent", 4),
    ("removals_verified", 1),
    ("removals_refused", 1),
    ("removals_overdue", 2),
    ("recreated_caught", 1),
    ("child_items_handled", 1),
    ("child_cases_opened", 1),
    ("child_cases_confirmed", 1),
    ("child_notices_sent", 2),
    ("child_removals_verified", 1),
];

const TOTAL: &[(&str, i64)] = &[
    ("items_handled", 9),
    ("reports_patrol", 4),
    ("reports_police", 1),
    ("reports_public", 4),
    ("cases_opened", 6),
    ("cases_confirmed", 5),
    ("cases_rejected", 1),
    ("notices_sent", 8),
    ("removals_verified", 5),
    ("removed_within_deadline", 2),
    ("removals_refused", 1),
    ("removals_overdue", 2),
    ("recreated_caught", 1),
    ("child_items_handled", 2),
    ("child_cases_opened", 2),
    ("child_cases_confirmed", 2),
    ("child_notices_sent", 3),
    ("child_removals_verified", 2),
];

on_both_backends! {
    fn totals_and_removal_times_per_platform(db: &TestDb) {
        seed(db);
        let s = db.store.stats(&query(None)).unwrap();
        assert_eq!((s.from.as_str(), s.to.as_str(), s.timezone), ("2020-01-01", "2020-02-29", "Asia/Jakarta"));
        assert_eq!(serde_json::to_value(&s.totals).unwrap(), figs(TOTAL));
        assert!(s.groups.is_empty());
        // michat: 2 h, 6 h, 10 h, 48 h → median (rank 2) 6 h, p90 (rank 4) 48 h, 2 of 4 in time.
        let p: Vec<Value> = s.platforms.iter().map(|p| serde_json::to_value(p).unwrap()).collect();
        assert_eq!(p, vec![
            json!({"platform": "michat", "removals_verified": 4, "removed_within_deadline": 2,
                   "within_deadline_share": 0.5, "median_ms": 6 * HOUR, "p90_ms": 48 * HOUR}),
            json!({"platform": "whatsapp", "removals_verified": 1, "removed_within_deadline": 0,
                   "within_deadline_share": 0.0, "median_ms": 28 * HOUR, "p90_ms": 28 * HOUR}),
        ]);
    }

    fn by_month_in_jakarta_time(db: &TestDb) {
        seed(db);
        let s = db.store.stats(&query(Some(GroupBy::Month))).unwrap();
        assert_eq!(keys(&s), ["2020-01", "2020-02"]);
        assert_eq!(group(&s, "2020-01"), figs(JAN));
        assert_eq!(group(&s, "2020-02"), figs(FEB));
        assert_eq!(serde_json::to_value(&s.totals).unwrap(), figs(TOTAL));
    }

    fn by_category_platform_and_priority(db: &TestDb) {
        seed(db);
        let s = db.store.stats(&query(Some(GroupBy::Category))).unwrap();
        assert_eq!(keys(&s), ["prostitution", "pornography", "child_exploitation", "gambling", "other", "uncategorised"]);
        assert_eq!(group(&s, "child_exploitation"), figs(&[
            ("items_handled", 2), ("reports_police", 1), ("reports_public", 1), ("cases_opened", 2),
            ("cases_confirmed", 2), ("notices_sent", 3), ("removals_verified", 2),
            ("child_items_handled", 2), ("child_cases_opened", 2), ("child_cases_confirmed", 2),
            ("child_notices_sent", 3), ("child_removals_verified", 2),
        ]));
        assert_eq!(group(&s, "pornography"), figs(&[
            ("cases_confirmed", 1), ("notices_sent", 2), ("removals_verified", 1),
            ("removed_within_deadline", 1), ("removals_overdue", 1),
        ]));
        assert_eq!(group(&s, "prostitution"), figs(&[
            ("items_handled", 4), ("reports_patrol", 3), ("reports_public", 1), ("cases_opened", 2),
            ("cases_confirmed", 1), ("notices_sent", 2), ("removals_verified", 2),
            ("removed_within_deadline", 1), ("recreated_caught", 1),
        ]));
        assert_eq!(group(&s, "uncategorised"), figs(&[
            ("items_handled", 2), ("reports_public", 2), ("cases_opened", 1), ("cases_rejected", 1),
        ]));
        assert_eq!(group(&s, "other"), figs(&[]));
        assert_eq!(serde_json::to_value(&s.totals).unwrap(), figs(TOTAL));

        let s = db.store.stats(&query(Some(GroupBy::Platform))).unwrap();
        assert_eq!(group(&s, "michat"), figs(&[
            ("items_handled", 5), ("reports_patrol", 3), ("reports_police", 1), ("reports_public", 1),
            ("cases_opened", 3), ("cases_confirmed", 3), ("notices_sent", 6), ("removals_verified", 4),
            ("removed_within_deadline", 2), ("removals_overdue", 1), ("recreated_caught", 1),
            ("child_items_handled", 1), ("child_cases_opened", 1), ("child_cases_confirmed", 1),
            ("child_notices_sent", 2), ("child_removals_verified", 1),
        ]));
        assert_eq!(group(&s, "telegram"), figs(&[]));
        assert_eq!(serde_json::to_value(&s.totals).unwrap(), figs(TOTAL));

        let s = db.store.stats(&query(Some(GroupBy::Priority))).unwrap();
        assert_eq!(keys(&s), ["low", "normal", "high", "urgent"]);
        assert_eq!(group(&s, "normal"), figs(&[
            ("items_handled", 3), ("reports_patrol", 2), ("reports_public", 1), ("cases_opened", 1),
            ("cases_confirmed", 2), ("notices_sent", 4), ("removals_verified", 3),
            ("removed_within_deadline", 2), ("removals_overdue", 1),
        ]));
        assert_eq!(group(&s, "high"), figs(&[
            ("items_handled", 2), ("reports_patrol", 2), ("cases_opened", 2), ("cases_confirmed", 1),
            ("notices_sent", 1), ("removals_refused", 1), ("removals_overdue", 1), ("recreated_caught", 1),
        ]));
        assert_eq!(serde_json::to_value(&s.totals).unwrap(), figs(TOTAL));
    }

    fn by_source_counts_a_case_under_each_source_that_reported_it(db: &TestDb) {
        seed(db);
        let s = db.store.stats(&query(Some(GroupBy::Source))).unwrap();
        assert_eq!(keys(&s), ["patrol", "police", "public", "platform"]);
        assert_eq!(group(&s, "patrol"), figs(&[
            ("items_handled", 4), ("reports_patrol", 4), ("cases_opened", 3), ("cases_confirmed", 3),
            ("notices_sent", 5), ("removals_verified", 3), ("removed_within_deadline", 2),
            ("removals_refused", 1), ("removals_overdue", 2), ("recreated_caught", 1),
        ]));
        assert_eq!(group(&s, "public"), figs(&[
            ("items_handled", 4), ("reports_public", 4), ("cases_opened", 3), ("cases_confirmed", 2),
            ("cases_rejected", 1), ("notices_sent", 3), ("removals_verified", 3),
            ("removed_within_deadline", 1), ("child_items_handled", 1), ("child_cases_opened", 1),
            ("child_cases_confirmed", 1), ("child_notices_sent", 1), ("child_removals_verified", 1),
        ]));
        assert_eq!(group(&s, "platform"), figs(&[]));
        // Totals are not the sum of overlapping rows.
        assert_eq!(serde_json::to_value(&s.totals).unwrap(), figs(TOTAL));
    }

    fn overdue_is_judged_at_now_inside_the_window_and_empty_windows_are_zero(db: &TestDb) {
        seed(db);
        // 3 Feb 00:00 WIB: the child notice to whatsapp (deadline 2 Feb 04:00) is still open.
        let mut q = query(None);
        q.now_ms = wib(2020, 2, 3, 0);
        let s = db.store.stats(&q).unwrap();
        assert_eq!(s.totals.removals_overdue, 1);
        assert_eq!(s.as_of, "2020-02-02T17:00:00.000Z");

        let q = StatsQuery {
            from_day: parse_date("2019-06-01").unwrap(),
            to_day: parse_date("2019-06-30").unwrap(),
            now_ms: wib(2021, 1, 1, 0),
            group_by: Some(GroupBy::Month),
        };
        let s = db.store.stats(&q).unwrap();
        assert_eq!(serde_json::to_value(&s.totals).unwrap(), figs(&[]));
        assert_eq!(keys(&s), ["2019-06"]);
        assert!(s.platforms.is_empty());
    }
}
