//! Integration tests of `ronda link`: the real binary, a fresh temporary directory per test.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn ronda(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ronda"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ronda");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(s) = stdin {
            let _ = input.write_all(s.as_bytes());
        }
    }
    child.wait_with_output().expect("wait")
}

fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

const AD: &str = "avail malam ini st lt include room hotel area seturan fast respon no tipu real pict langganan dijamin puas";

fn input() -> String {
    let avatar = "f".repeat(64);
    let near = format!("e{}", "f".repeat(63)); // one bit away
    [
        serde_json::json!({"account":"michat:rina22","platform":"michat","handle":"rina22",
            "display_name":"Rina","bio":"WA 0812-3456-7890, DP ke BCA 1234567890",
            "posts":["open bo jogja 350k"],"avatar_pdq":null,"status":"taken_down"})
        .to_string(),
        "{this is not json".to_string(),
        serde_json::json!({"account":"michat:rina_new","platform":"michat","handle":"rina_new",
            "display_name":"Mely","bio":"transfer bca 1234567890 ya","posts":[],
            "avatar_pdq":null,"status":"active"})
        .to_string(),
        serde_json::json!({"account":"x:tmpl1","display_name":"Sari","bio":"","posts":[AD],
            "avatar_pdq":avatar,"status":"taken_down"})
        .to_string(),
        serde_json::json!({"account":"x:bad","status":"gone"}).to_string(),
        serde_json::json!({"account":"x:tmpl2","display_name":"Gita Cantik","bio":"","posts":[AD],
            "avatar_pdq":near,"status":"active"})
        .to_string(),
        serde_json::json!({"account":"shop:kue","display_name":"Toko Kue","bio":"Open order, bisa COD, DM ya",
            "posts":["nastar ready"],"avatar_pdq":null,"status":"active"})
        .to_string(),
        serde_json::json!({"account":"x:badhash","avatar_pdq":"zz"}).to_string(),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn link_reports_each_line_in_order_with_errors_in_place() {
    let out = ronda(&["link", "-"], Some(&input()));
    ok(&out);
    let v = lines(&out.stdout);
    assert_eq!(v.len(), 8);
    assert_eq!(v[0]["account"], "michat:rina22");
    assert_eq!(v[1]["line"], 2);
    assert!(v[1]["error"].as_str().unwrap().contains("invalid JSON"));
    assert_eq!(v[2]["account"], "michat:rina_new");
    assert_eq!(v[2]["actor"], v[0]["actor"]);
    assert_eq!(v[2]["recreation_of"], serde_json::json!(["michat:rina22"]));
    assert_eq!(
        v[2]["evidence"],
        serde_json::json!([{"signal":"bank","value":"bca:1234567890","with":"michat:rina22"}])
    );
    assert!(v[0]["recreation_of"].as_array().unwrap().is_empty());
    assert_eq!(v[4]["line"], 5);
    assert!(v[4]["error"].as_str().unwrap().contains("status"));
    // Template + avatar: two weak signals.
    assert_eq!(v[5]["actor"], v[3]["actor"]);
    assert_eq!(v[5]["recreation_of"], serde_json::json!(["x:tmpl1"]));
    let sig: Vec<&str> = v[5]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["signal"].as_str().unwrap())
        .collect();
    assert_eq!(sig, vec!["text", "avatar"]);
    assert_ne!(v[6]["actor"], v[0]["actor"]);
    assert_ne!(v[6]["actor"], v[3]["actor"]);
    assert!(v[6]["evidence"].as_array().unwrap().is_empty());
    assert_eq!(v[7]["line"], 8);
    // Actor ids are integers in order of creation.
    assert_eq!(v[0]["actor"], 1);
}

#[test]
fn link_file_and_run_subcommand_agree_and_out_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let inp = dir.path().join("accounts.jsonl");
    std::fs::write(&inp, input()).unwrap();
    let a = ronda(&["link", inp.to_str().unwrap()], None);
    ok(&a);
    let outp = dir.path().join("linked.jsonl");
    let b = ronda(
        &[
            "link",
            "run",
            inp.to_str().unwrap(),
            "--out",
            outp.to_str().unwrap(),
        ],
        None,
    );
    ok(&b);
    assert!(b.stdout.is_empty());
    assert_eq!(std::fs::read(&outp).unwrap(), a.stdout);
}

#[test]
fn missing_input_file_fails_and_bad_thresholds_fail() {
    let out = ronda(&["link", "/nonexistent/accounts.jsonl"], None);
    assert!(!out.status.success());
    let out = ronda(&["link", "--jaccard", "1.5", "-"], Some(""));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("jaccard"));
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn generate_link_eval_round_trip_and_min_threshold_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let (acc, truth, linked) = (
        p(dir.path(), "a.jsonl"),
        p(dir.path(), "t.jsonl"),
        p(dir.path(), "l.jsonl"),
    );
    ok(&ronda(
        &[
            "link",
            "generate",
            "--accounts",
            "1500",
            "--seed",
            "5",
            "--out",
            &acc,
            "--truth",
            &truth,
        ],
        None,
    ));
    ok(&ronda(&["link", &acc, "--out", &linked], None));
    let e = ronda(
        &[
            "link", "eval", "--truth", &truth, "--output", &linked, "--json", "--min", "0.95",
        ],
        None,
    );
    ok(&e);
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    for k in ["actors", "recreation"] {
        for m in ["precision", "recall"] {
            assert!(v[k][m].as_f64().unwrap() >= 0.95, "{v}");
        }
    }
    // An impossible bar fails with exit code 1.
    let e = ronda(
        &[
            "link", "eval", "--truth", &truth, "--output", &linked, "--min", "1.01",
        ],
        None,
    );
    assert_eq!(e.status.code(), Some(1));
}
