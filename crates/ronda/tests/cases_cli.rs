//! `ronda cases export` through the real binary, on SQLite and on PostgreSQL: the filters of
//! `GET /cases`, search by a phone number in any written form, CSV and JSON Lines.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ronda");

fn ronda(dir: &std::path::Path, database_url: Option<&str>, sub: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(sub)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("RONDA_CONFIG");
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn export(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let run = |sub: &[&str]| ronda(dir.path(), database_url, sub);
    let file = dir.path().join("reports.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"source":"patrol","platform":"michat","target":{"account":"rina22"},"text":"open bo, wa 0812 3456 7890","external_id":"a1"}"#,
            "\n",
            r#"{"source":"patrol","platform":"michat","target":{"account":"slot_gacor"},"text":"daftar slot gacor, \"bonus\", deposit","external_id":"a2"}"#,
            "\n",
            r#"{"source":"police","platform":"michat","target":{"account":"pelaku"},"category":"child_exploitation","external_id":"a3"}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = run(&["import", "reports", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(&["cases", "export"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[0].starts_with("id,status,priority,category,child_safety,platform"),
        "{}",
        lines[0]
    );
    // Newest first; the police report of child exploitation is urgent.
    assert!(
        lines[1].contains(",urgent,child_exploitation,police_report,michat,account,pelaku,"),
        "{}",
        lines[1]
    );
    // A text with a quote and commas is one quoted field.
    assert!(
        lines[2].contains(r#""daftar slot gacor, ""bonus"", deposit""#),
        "{}",
        lines[2]
    );

    // The number written another way finds the case through its identifier.
    let out = run(&[
        "cases",
        "export",
        "--q",
        "+62-812-3456-7890",
        "--format",
        "jsonl",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let found: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["target"]["account"], "rina22");
    let out = run(&[
        "cases",
        "export",
        "--priority",
        "urgent",
        "--format",
        "jsonl",
    ]);
    assert_eq!(text(&out.stdout).lines().count(), 1);

    // Bad input: a message naming the option, a non-zero exit.
    let out = run(&["cases", "export", "--status", "nope"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--status"),
        "{}",
        text(&out.stderr)
    );
    let long = "x".repeat(201);
    let out = run(&["cases", "export", "--q", &long]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--q"), "{}", text(&out.stderr));
}

#[test]
fn cases_export_on_sqlite() {
    export(None);
}

#[test]
fn cases_export_on_postgres() {
    let (url, _schema) = ronda_store::testing::fresh_pg_schema();
    export(Some(&url));
}

/// `RONDA_LOG=debug` on PostgreSQL logs no statement parameter: no report text, no handle.
#[test]
fn debug_logs_on_postgres_hold_no_parameter_values() {
    let (url, _schema) = ronda_store::testing::fresh_pg_schema();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.jsonl");
    std::fs::write(
        &file,
        r#"{"source":"patrol","platform":"michat","target":{"account":"handle_zq81"},"text":"open bo teks_rahasia_77"}"#,
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["import", "reports", file.to_str().unwrap(), "--data-dir"])
        .arg(dir.path())
        .args(["--database-url", &url])
        .env("RONDA_LOG", "debug")
        .env_remove("RONDA_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let logs = text(&out.stderr);
    assert!(
        !logs.contains("teks_rahasia_77") && !logs.contains("handle_zq81"),
        "{logs}"
    );
}
