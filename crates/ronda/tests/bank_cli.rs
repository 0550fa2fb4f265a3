//! `ronda bank import|export|list` through the real binary, on SQLite and on PostgreSQL.
//! Only synthetic hashes are used.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ronda");

const H1: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const H2: &str = "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af";
const H3: &str = "ad64cd9875e131a177b1f2a0d6b38ae1de9ea80421e4c51dde1b0363deba3466";

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

fn round_trip(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let run = |sub: &[&str]| ronda(dir.path(), database_url, sub);
    let file = dir.path().join("list.csv");
    std::fs::write(
        &file,
        format!("# partner export\npdq,quality,label\n{H1},90,bridge\n{H2}\n{H1},80\n"),
    )
    .unwrap();
    let f = file.to_str().unwrap();

    // A missing bank needs a category.
    let out = run(&["bank", "import", "ads", f]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--category"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&[
        "bank",
        "import",
        "ads",
        f,
        "--category",
        "solicitation_photos",
        "--threshold",
        "20",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("2 added, 1 duplicates") && said.contains("bank created"),
        "{said}"
    );

    std::fs::write(&file, format!("{H2}\n{H3},70,third\n")).unwrap();
    let out = run(&["bank", "import", "ads", f]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 added, 1 duplicates"),
        "{}",
        text(&out.stdout)
    );

    // A bad line fails the command and names its line.
    std::fs::write(&file, format!("{H1}\nnot-a-hash\n")).unwrap();
    let out = run(&["bank", "import", "ads", f]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    // A category that contradicts the bank's is refused.
    std::fs::write(&file, format!("{H1}\n")).unwrap();
    let out = run(&["bank", "import", "ads", f, "--category", "ncii"]);
    assert!(!out.status.success());

    let out = run(&["bank", "export", "ads"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("pdq,quality,label\n{H1},90,bridge\n{H2},,\n{H3},70,third\n")
    );
    let out = run(&["bank", "export", "nope"]);
    assert!(!out.status.success());

    let out = run(&["bank", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    let line = listing.lines().find(|l| l.starts_with("ads ")).unwrap();
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        &cols[..6],
        ["ads", "solicitation_photos", "yes", "20", "50", "3"],
        "{listing}"
    );

    let out = run(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn bank_import_export_list_round_trip_on_sqlite() {
    round_trip(None);
}

#[test]
fn bank_import_export_list_round_trip_on_postgres() {
    let (url, _schema) = ronda_store::testing::fresh_pg_schema();
    round_trip(Some(&url));
}
