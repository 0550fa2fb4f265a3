//! `ronda stats` and `ronda report transparency` through the real binary, on a store the test
//! fills: a real public report carrying personal data (handle, phone, reporter) plus synthetic
//! cases, decisions and notices with known figures. The report's HTML is parsed (it is
//! well-formed XML) and its figures compared with its CSV files and the seeded data.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::events::Event;
use ronda_core::clock::ManualClock;
use ronda_core::report::ReportInput;
use ronda_core::wib::{day_number, day_start_ms as wib_day_start_ms};
use ronda_store::DbLocation;
use ronda_store::intake::IntakeContext;
use ronda_store::synth::{SynthCase, SynthDecision, SynthNotice};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ronda");
const HOUR: i64 = 3_600_000;
const HANDLE: &str = "bunga_manis88";
const PHONE: &str = "0812-3456-7890";
const REPORTER: &str = "Siti Rahayu";

fn wib(y: i32, m: u32, d: u32, h: i64) -> i64 {
    wib_day_start_ms(day_number(y, m, d).unwrap()) + h * HOUR
}

struct Place {
    dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Place {
    fn location(&self) -> DbLocation {
        match &self.database_url {
            Some(u) => DbLocation::Postgres(u.clone()),
            None => DbLocation::default_in(self.dir.path()),
        }
    }

    fn ronda(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--data-dir")
            .arg(self.dir.path())
            .env_remove("RONDA_CONFIG");
        if let Some(u) = &self.database_url {
            cmd.args(["--database-url", u]);
        }
        cmd.output().unwrap()
    }
}

/// One real report (Feb 2020) with personal data, and synthetic rows (Jan–Feb 2020):
/// 3 more cases (one child-related), 3 confirmations, 3 notices, 2 removals verified.
fn seed(place: &Place) {
    let clock = Arc::new(ManualClock::new(wib(2020, 2, 15, 10)));
    let store = ronda_store::testing::open(place.location(), clock);
    ronda_store::testing::write_test_key(place.dir.path());
    store.seed_platforms_blocking("test").unwrap();
    let report = serde_json::from_value::<ReportInput>(serde_json::json!({
        "source": "public", "platform": "michat", "target": {"account": HANDLE},
        "text": format!("open BO ready, hub {PHONE}"), "category": "prostitution",
        "reporter": {"name": REPORTER, "contact": "siti@example.org"}
    }))
    .unwrap()
    .validate(None)
    .unwrap();
    let real = store
        .submit_report_blocking(
            report,
            IntakeContext {
                actor: "test".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(real.new_case);
    let (michat, whatsapp) = store
        .read(|c| {
            let id = |c: &mut dyn ronda_store::db::Conn, n: &str| {
                c.query_one(
                    "SELECT id FROM platforms WHERE name = $1",
                    ronda_store::params![n],
                )?
                .i64(0)
            };
            Ok((id(c, "michat")?, id(c, "whatsapp")?))
        })
        .unwrap();
    let case = |id, platform_id, category, t| SynthCase {
        id,
        platform_id,
        status: "removed",
        category: Some(category),
        priority: 1,
        reports: [1, 0, 0, 0],
        created_at: t,
        previous_case_id: None,
    };
    let notice = |case_id, platform_id, category, t, closed: Option<i64>| SynthNotice {
        case_id,
        platform_id,
        status: if closed.is_some() { "removed" } else { "sent" },
        category,
        created_at: t,
        deadline: t + 24 * HOUR,
        response_action: None,
        responded_at: None,
        closed_at: closed,
    };
    store
        .insert_synthetic_blocking(
            vec![
                case(100, michat, "pornography", wib(2020, 1, 3, 0)),
                case(101, whatsapp, "child_exploitation", wib(2020, 1, 20, 0)),
                case(102, whatsapp, "gambling", wib(2020, 2, 1, 2)),
            ],
            vec![
                SynthDecision {
                    case_id: 100,
                    decision: "confirm",
                    category: Some("pornography"),
                    created_at: wib(2020, 1, 3, 1),
                },
                SynthDecision {
                    case_id: 101,
                    decision: "confirm",
                    category: Some("child_exploitation"),
                    created_at: wib(2020, 1, 20, 1),
                },
                SynthDecision {
                    case_id: 102,
                    decision: "confirm",
                    category: Some("gambling"),
                    created_at: wib(2020, 2, 1, 3),
                },
            ],
            vec![
                notice(
                    100,
                    michat,
                    "pornography",
                    wib(2020, 1, 3, 1),
                    Some(wib(2020, 1, 3, 5)),
                ),
                notice(
                    101,
                    whatsapp,
                    "child_exploitation",
                    wib(2020, 1, 20, 1),
                    Some(wib(2020, 1, 22, 1)),
                ),
                notice(102, whatsapp, "gambling", wib(2020, 2, 1, 3), None),
            ],
        )
        .unwrap();
    store.close();
}

fn places() -> Vec<Place> {
    let (url, _schema) = ronda_store::testing::fresh_pg_schema();
    vec![
        Place {
            dir: tempfile::tempdir().unwrap(),
            database_url: None,
        },
        Place {
            dir: tempfile::tempdir().unwrap(),
            database_url: Some(url),
        },
    ]
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

const WINDOW: [&str; 4] = ["--from", "2020-01-01", "--to", "2020-02-29"];

#[test]
fn stats_in_every_format() {
    for place in places() {
        seed(&place);
        let json: Value = serde_json::from_str(&ok(&place.ronda(
            &[
                &["stats", "--group-by", "month", "--format", "json"][..],
                &WINDOW,
            ]
            .concat(),
        )))
        .unwrap();
        assert_eq!(json["totals"]["cases_opened"], 4);
        assert_eq!(json["totals"]["items_handled"], 4);
        assert_eq!(json["totals"]["reports_public"], 1);
        assert_eq!(json["totals"]["cases_confirmed"], 3);
        assert_eq!(json["totals"]["notices_sent"], 3);
        assert_eq!(json["totals"]["removals_verified"], 2);
        assert_eq!(json["totals"]["removed_within_deadline"], 1);
        assert_eq!(json["totals"]["removals_overdue"], 1);
        assert_eq!(json["totals"]["child_cases_opened"], 1);
        let months: Vec<&str> = json["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str().unwrap())
            .collect();
        assert_eq!(months, ["2020-01", "2020-02"]);
        assert_eq!(json["groups"][1]["cases_opened"], 2);

        let csv = ok(&place.ronda(
            &[
                &["stats", "--group-by", "platform", "--format", "csv"][..],
                &WINDOW,
            ]
            .concat(),
        ));
        let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
        let col = |name: &str| rows[0].iter().position(|c| *c == name).unwrap();
        let row = |key: &str| rows.iter().find(|r| r[0] == key).unwrap();
        assert_eq!(row("michat")[col("cases_opened")], "2");
        assert_eq!(row("whatsapp")[col("removals_overdue")], "1");
        assert_eq!(row("whatsapp")[col("median_hours")], "48.00");
        assert_eq!(row("michat")[col("within_deadline_share")], "1.0000");
        assert_eq!(row("total")[col("cases_opened")], "4");
        assert!(rows.iter().all(|r| r.len() == rows[0].len()));

        let table = ok(&place.ronda(&[&["stats"][..], &WINDOW].concat()));
        let opened = table
            .lines()
            .find(|l| l.starts_with("cases_opened"))
            .unwrap();
        assert_eq!(
            opened.split_whitespace().collect::<Vec<_>>(),
            ["cases_opened", "4"]
        );

        // Errors: a message naming the option and a non-zero exit.
        for (args, needle) in [
            (vec!["stats", "--from", "2020-02-30"], "--from"),
            (vec!["stats", "--group-by", "week"], "--group-by"),
            (
                vec!["stats", "--from", "2020-03-01", "--to", "2020-02-01"],
                "--to",
            ),
        ] {
            let out = place.ronda(&args);
            assert!(!out.status.success(), "{args:?}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(needle),
                "{args:?}"
            );
        }
    }
}

/// Every element's text and attributes, parsed as XML (the page is well-formed XHTML syntax).
#[derive(Debug, Default)]
struct Page {
    /// data-figure of summary rows → data-value
    summary: HashMap<String, i64>,
    /// (table id, row data-key) → data-values in column order
    rows: HashMap<(String, String), Vec<i64>>,
    /// Every attribute value.
    attributes: Vec<String>,
    text: String,
    svg_rects: usize,
    elements: Vec<String>,
}

fn parse_page(html: &str) -> Page {
    let mut reader = Reader::from_str(html);
    let mut page = Page::default();
    let (mut table, mut row_key, mut figure) = (String::new(), String::new(), String::new());
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                let mut attrs = HashMap::new();
                for a in e.attributes() {
                    let a = a.unwrap();
                    let v = a.unescape_value().unwrap().to_string();
                    page.attributes.push(v.clone());
                    attrs.insert(String::from_utf8(a.key.as_ref().to_vec()).unwrap(), v);
                }
                match name.as_str() {
                    "table" => table = attrs.get("id").cloned().unwrap_or_default(),
                    "tr" => {
                        row_key = attrs.get("data-key").cloned().unwrap_or_default();
                        figure = attrs.get("data-figure").cloned().unwrap_or_default();
                    }
                    "td" => {
                        if let Some(v) = attrs.get("data-value") {
                            let v: i64 = v.parse().unwrap();
                            if table == "summary" {
                                page.summary.insert(figure.clone(), v);
                            } else {
                                page.rows
                                    .entry((table.clone(), row_key.clone()))
                                    .or_default()
                                    .push(v);
                            }
                        }
                    }
                    "rect" => page.svg_rects += 1,
                    _ => {}
                }
                page.elements.push(name);
            }
            Event::Text(t) => page.text.push_str(&t.unescape().unwrap()),
            Event::Eof => break,
            _ => {}
        }
    }
    page
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            // Fields here are unquoted except the labels of summary.csv.
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            for c in l.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => out.push(std::mem::take(&mut cur)),
                    c => cur.push(c),
                }
            }
            out.push(cur);
            out
        })
        .collect()
}

#[test]
fn transparency_report_is_self_contained_and_agrees_with_its_csv() {
    for place in places() {
        seed(&place);
        let out_dir = place.dir.path().join("report");
        let printed = ok(&place.ronda(
            &[
                &["report", "transparency", "--out", out_dir.to_str().unwrap()][..],
                &WINDOW,
            ]
            .concat(),
        ));
        for f in [
            "index.html",
            "summary.csv",
            "by_month.csv",
            "by_category.csv",
            "by_platform.csv",
        ] {
            assert!(printed.contains(f), "{f} not listed");
            assert!(out_dir.join(f).is_file(), "{f} not written");
        }
        let html = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
        let page = parse_page(&html);

        // Self-contained: no script, no external reference of any kind.
        for bad in ["script", "link", "img", "iframe", "object", "embed"] {
            assert!(
                !page.elements.iter().any(|e| e == bad),
                "<{bad}> in the page"
            );
        }
        for a in &page.attributes {
            assert!(
                !a.contains("http:") && !a.contains("https:") && !a.starts_with("//"),
                "external reference {a}"
            );
        }
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("url("));
        assert!(
            page.elements.iter().any(|e| e == "svg") && page.svg_rects > 0,
            "no inline chart"
        );
        // Both languages.
        for words in [
            "Laporan Transparansi",
            "transparency report",
            "Kasus dibuka",
            "Cases opened",
            "Definisi",
            "Definitions",
        ] {
            assert!(page.text.contains(words), "missing `{words}`");
        }
        // No personal data from the store.
        let everything = [html.clone()]
            .into_iter()
            .chain(
                [
                    "summary.csv",
                    "by_month.csv",
                    "by_category.csv",
                    "by_platform.csv",
                ]
                .map(|f| std::fs::read_to_string(out_dir.join(f)).unwrap()),
            )
            .collect::<String>();
        for secret in [
            HANDLE,
            PHONE,
            "6281234567890",
            "+62 812",
            REPORTER,
            "siti@example.org",
            "open BO",
        ] {
            assert!(!everything.contains(secret), "`{secret}` leaked");
        }

        // The summary equals summary.csv and the seeded data.
        let summary = read_csv(&out_dir.join("summary.csv"));
        assert_eq!(summary[0], ["figure", "label_id", "label_en", "value"]);
        for r in &summary[1..] {
            assert_eq!(
                page.summary.get(&r[0]),
                Some(&r[3].parse().unwrap()),
                "{}",
                r[0]
            );
        }
        let expected = [
            ("cases_opened", 4),
            ("items_handled", 4),
            ("cases_confirmed", 3),
            ("notices_sent", 3),
            ("removals_verified", 2),
            ("removed_within_deadline", 1),
            ("removals_overdue", 1),
            ("child_cases_opened", 1),
            ("child_removals_verified", 1),
            ("recreated_caught", 0),
        ];
        for (k, v) in expected {
            assert_eq!(page.summary[k], v, "{k}");
        }

        // Each breakdown table equals its CSV file, row by row, for the columns it shows.
        for (table, file) in [
            ("by_month", "by_month.csv"),
            ("by_category", "by_category.csv"),
            ("by_platform", "by_platform.csv"),
        ] {
            let csv = read_csv(&out_dir.join(file));
            let header = &csv[0];
            let shown: Vec<usize> = [
                "items_handled",
                "cases_opened",
                "cases_confirmed",
                "notices_sent",
                "removals_verified",
                "removed_within_deadline",
                "removals_overdue",
                "recreated_caught",
                "child_cases_opened",
            ]
            .iter()
            .map(|n| header.iter().position(|h| h == n).unwrap())
            .collect();
            for r in &csv[1..] {
                let want: Vec<i64> = shown.iter().map(|i| r[*i].parse().unwrap()).collect();
                assert_eq!(
                    page.rows.get(&(table.to_string(), r[0].clone())),
                    Some(&want),
                    "{table} {}",
                    r[0]
                );
            }
        }
        assert_eq!(
            page.rows[&("by_month".to_string(), "2020-02".to_string())][1],
            2
        );
        assert_eq!(
            page.rows[&("by_category".to_string(), "child_exploitation".to_string())][1],
            1
        );
        // Removal times per platform: whatsapp removed one notice in 48 h.
        assert_eq!(
            page.rows[&("removal_times".to_string(), "whatsapp".to_string())],
            [1, 0]
        );
        assert!(page.text.contains("48.00"));

        // A bad date is refused before anything is written.
        let out = place.ronda(&[
            "report",
            "transparency",
            "--from",
            "2020-02-30",
            "--to",
            "2020-03-01",
            "--out",
            "/nonexistent/x",
        ]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
    }
}
