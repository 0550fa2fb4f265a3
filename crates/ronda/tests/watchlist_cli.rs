//! `ronda watchlist` with the real binary on the embedded store: `add` prints the id alone on
//! the last line and stores canonical seeds, bad options are refused naming the option (exit
//! 2, nothing stored), `list`, `show` (JSON), `disable` and `enable`.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ronda");

fn ronda(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("RONDA_CONFIG")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn watch_lists_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let add = ronda(
        d,
        &[
            "watchlist",
            "add",
            "--name",
            "Forum jual beli",
            "--seed",
            "HTTP://Forum.test/jual#top",
            "--seed",
            "http://forum.test/sitemap.xml",
            "--depth",
            "2",
            "--scope",
            "listed",
            "--host",
            "cdn.forum.test",
            "--every",
            "6h",
            "--ignore-robots",
        ],
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let id: i64 = stdout(&add).lines().last().unwrap().trim().parse().unwrap();

    for (args, field) in [
        (vec!["--seed", "ftp://x.test/"], "--seed"),
        (
            vec!["--seed", "http://x.test/", "--every", "soon"],
            "--every",
        ),
        (
            vec!["--seed", "http://x.test/", "--scope", "world"],
            "--scope",
        ),
        (vec!["--seed", "http://x.test/", "--depth", "50"], "--depth"),
        (
            vec!["--seed", "http://x.test/", "--host", "y.test"],
            "--host",
        ),
    ] {
        let mut a = vec!["watchlist", "add", "--name", "bad"];
        a.extend(args);
        let o = ronda(d, &a);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(field), "{a:?}: {}", stderr(&o));
    }
    let dup = ronda(
        d,
        &[
            "watchlist",
            "add",
            "--name",
            "Forum jual beli",
            "--seed",
            "http://x.test/",
        ],
    );
    assert_eq!(dup.status.code(), Some(2));
    assert!(stderr(&dup).contains("exists"), "{}", stderr(&dup));

    let list = ronda(d, &["watchlist", "list"]);
    let text = stdout(&list);
    assert_eq!(text.lines().count(), 1, "nothing bad was stored: {text}");
    assert!(
        text.contains("Forum jual beli")
            && text.contains("every 6h")
            && text.contains("robots.txt ignored"),
        "{text}"
    );

    let show = ronda(d, &["watchlist", "show", &id.to_string()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&show)).unwrap();
    assert_eq!(
        v["seeds"],
        serde_json::json!(["http://forum.test/jual", "http://forum.test/sitemap.xml"])
    );
    assert_eq!(
        (
            v["depth"].as_i64(),
            v["scope"].as_str(),
            v["every"].as_str()
        ),
        (Some(2), Some("listed"), Some("6h"))
    );
    assert_eq!(v["hosts"], serde_json::json!(["cdn.forum.test"]));
    assert_eq!(
        (v["ignore_robots"].as_bool(), v["enabled"].as_bool()),
        (Some(true), Some(true))
    );

    let off = ronda(d, &["watchlist", "disable", &id.to_string()]);
    assert!(stdout(&off).contains("disabled"), "{}", stdout(&off));
    assert!(stdout(&ronda(d, &["watchlist", "list"])).contains("disabled"));
    let on = ronda(d, &["watchlist", "enable", &id.to_string()]);
    assert!(stdout(&on).contains("enabled"));
    let obey = ronda(d, &["watchlist", "obey-robots", &id.to_string()]);
    assert!(
        stdout(&obey).contains(&format!("watch list {id} obeys robots.txt")),
        "{}",
        stdout(&obey)
    );
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&ronda(d, &["watchlist", "show", &id.to_string()]))).unwrap();
    assert_eq!(v["ignore_robots"].as_bool(), Some(false));
    let again = ronda(d, &["watchlist", "obey-robots", &id.to_string()]);
    assert!(
        stdout(&again).contains("already obeys"),
        "{}",
        stdout(&again)
    );
    let missing = ronda(d, &["watchlist", "show", "999"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("999"));
}
