//! Integration tests of `ronda scan`, `ronda train` and `ronda eval`: the real binary, a fresh
//! temporary directory per test.

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
            // The program may exit before reading (a bad rule file): a broken pipe is fine.
            let _ = input.write_all(s.as_bytes());
        }
    }
    child.wait_with_output().expect("wait")
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write file");
    p.to_string_lossy().into_owned()
}

#[test]
fn scan_reports_each_line_in_order_and_keeps_going_after_bad_lines() {
    let input = concat!(
        r#"{"id":"a","text":"0p3n b0 jogja ST 350k include room, WA 0812-3456-7890"}"#,
        "\n",
        "this is not json\n",
        r#"{"id":"c","no_text":true}"#,
        "\n",
        r#"{"id":7,"text":"Open order brownies, bisa COD, DP 50%"}"#,
        "\n",
        r#"{"id":"e","text":"slot gacor maxwin depo 10k"}"#,
        "\n",
    );
    let out = ronda(&["scan", "-"], Some(input));
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = lines(&out);
    assert_eq!(v.len(), 5);
    assert_eq!(v[0]["id"], "a");
    assert_eq!(v[0]["verdict"], "violation");
    assert_eq!(v[0]["category"], "prostitution");
    assert_eq!(v[0]["priority"], "high");
    assert!(
        v[0]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .any(|r| r == "prostitution.open_bo")
    );
    assert!(
        v[0]["identifiers"]
            .as_array()
            .expect("identifiers")
            .iter()
            .any(|i| i["kind"] == "phone" && i["value"] == "+6281234567890")
    );
    for k in ["prostitution", "pornography", "gambling"] {
        let s = v[0]["scores"][k].as_f64().expect("score");
        assert!((0.0..=1.0).contains(&s));
    }
    assert_eq!(v[1]["line"], 2);
    assert!(v[1]["error"].as_str().expect("error").contains("JSON"));
    assert_eq!(v[2]["line"], 3);
    assert!(v[2]["error"].as_str().expect("error").contains("text"));
    assert_eq!(v[3]["id"], 7);
    assert_eq!(v[3]["verdict"], "clear");
    assert!(v[3]["category"].is_null());
    assert_eq!(v[4]["category"], "gambling");
}

#[test]
fn scan_keeps_order_across_threads_and_reads_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut input = String::new();
    for i in 0..20_000 {
        let text = if i % 3 == 0 {
            "open bo malam ini"
        } else {
            "jual kue kering enak"
        };
        input.push_str(&format!("{{\"id\":{i},\"text\":\"{text} {i}\"}}\n"));
    }
    let path = write(dir.path(), "posts.jsonl", &input);
    let out = ronda(&["scan", &path, "--threads", "2"], None);
    assert!(out.status.success());
    let v = lines(&out);
    assert_eq!(v.len(), 20_000);
    for (i, l) in v.iter().enumerate() {
        assert_eq!(l["id"], i as u64);
    }
}

#[test]
fn scan_fails_clearly_on_unreadable_input_bad_rules_or_corrupt_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.jsonl");
    let out = ronda(&["scan", &missing.to_string_lossy()], None);
    assert!(!out.status.success());

    let rules = write(
        dir.path(),
        "bad.toml",
        "[[rule]]\nid = \"my.rule\"\ncategory = \"prostitution\"\nterms = [\"x\"]\nweight = \"heavy\"\n",
    );
    let out = ronda(&["scan", "--rules", &rules], Some("{\"text\":\"x\"}\n"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("my.rule") && err.contains("weight"), "{err}");

    let model = write(dir.path(), "model.bin", "RONDAMDL garbage");
    let out = ronda(&["scan", "--model", &model], Some("{\"text\":\"x\"}\n"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("model"), "{err}");
}

#[test]
fn scan_uses_an_overriding_rule_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write(
        dir.path(),
        "rules.toml",
        "[[rule]]\nid = \"local.word\"\ncategory = \"gambling\"\nweight = 1\nterms = [\"zonk\"]\n",
    );
    let out = ronda(
        &["scan", "--rules", &rules],
        Some("{\"id\":1,\"text\":\"ZONK hari ini\"}\n"),
    );
    assert!(out.status.success());
    assert_eq!(lines(&out)[0]["rules"], serde_json::json!(["local.word"]));
}

#[test]
fn train_is_deterministic_and_eval_reports_precision_recall_and_confusion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut data = String::new();
    for i in 0..40 {
        data.push_str(&format!(
            "{{\"text\":\"open bo {i} real pict no tipu\",\"label\":\"prostitution\"}}\n"
        ));
        data.push_str(&format!(
            "{{\"text\":\"video bokep full {i}\",\"label\":\"pornography\"}}\n"
        ));
        data.push_str(&format!(
            "{{\"text\":\"slot gacor maxwin {i}\",\"label\":\"gambling\"}}\n"
        ));
        data.push_str(&format!(
            "{{\"text\":\"kue bolu ready stock {i}\",\"label\":\"clear\"}}\n"
        ));
    }
    let train = write(dir.path(), "train.jsonl", &data);
    let a = dir.path().join("a.bin").to_string_lossy().into_owned();
    let b = dir.path().join("b.bin").to_string_lossy().into_owned();
    for out in [&a, &b] {
        let o = ronda(
            &["train", "--data", &train, "--out", out, "--bits", "14"],
            None,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));

    let eval = write(
        dir.path(),
        "eval.jsonl",
        concat!(
            "{\"text\":\"open bo jogja\",\"label\":\"prostitution\"}\n",
            "{\"text\":\"kue bolu enak\",\"label\":\"clear\"}\n",
            "{\"text\":\"hubungi 0812 3456 7890\",\"phones\":[\"+6281234567890\"]}\n",
        ),
    );
    let o = ronda(&["eval", "--data", &eval, "--model", &a, "--json"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["examples"], 2);
    assert_eq!(v["categories"]["prostitution"]["support"], 1);
    assert_eq!(
        v["confusion"]["matrix"].as_array().expect("matrix").len(),
        4
    );
    assert_eq!(v["phones"]["exact_match"], 1.0);

    let o = ronda(&["eval", "--data", &eval, "--model", &a], None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("precision") && text.contains("confusion matrix"),
        "{text}"
    );
}

#[test]
fn train_rejects_unknown_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let train = write(
        dir.path(),
        "t.jsonl",
        "{\"text\":\"x\",\"label\":\"spam\"}\n",
    );
    let out = dir.path().join("m.bin").to_string_lossy().into_owned();
    let o = ronda(&["train", "--data", &train, "--out", &out], None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("spam"));
}

#[test]
fn scan_explains_on_request() {
    let out = ronda(
        &["scan", "--explain", "3"],
        Some("{\"id\":1,\"text\":\"open bo jogja malam ini\"}\n"),
    );
    assert!(out.status.success());
    let v = lines(&out);
    let ex = v[0]["explain"].as_array().expect("explain");
    assert!(!ex.is_empty() && ex.len() <= 3, "{ex:?}");
    assert!(ex[0][0].is_string() && ex[0][1].is_number());
    // Without the flag there is no `explain` field.
    let out = ronda(&["scan"], Some("{\"id\":1,\"text\":\"open bo\"}\n"));
    assert!(lines(&out)[0].get("explain").is_none());
}

/// Spans are byte ranges of the text as given, through its disguises: what a console
/// highlights.
#[test]
fn scan_gives_the_byte_range_of_each_rule_and_identifier() {
    let text = "main di 𝑴𝑨𝑾𝑨𝑹𝟓𝟐𝟏, cuan terus, wa 0812 3456 7890";
    let line = serde_json::json!({"id": 1, "text": text}).to_string() + "\n";
    let out = ronda(&["scan"], Some(&line));
    assert!(out.status.success());
    let v = lines(&out);
    let spans = v[0]["spans"].as_array().expect("spans");
    let at = |key: &str, name: &str| {
        spans
            .iter()
            .find(|s| s[key] == name)
            .map(|s| {
                let (a, b) = (
                    s["start"].as_u64().unwrap() as usize,
                    s["end"].as_u64().unwrap() as usize,
                );
                text[a..b].to_string()
            })
            .unwrap_or_default()
    };
    assert_eq!(at("rule", "gambling.brand"), "𝑴𝑨𝑾𝑨𝑹𝟓𝟐𝟏");
    assert_eq!(at("rule", "gambling.brand_payout"), "cuan");
    assert_eq!(at("identifier", "phone"), "0812 3456 7890");
    let clear = ronda(&["scan"], Some("{\"id\":2,\"text\":\"selamat pagi\"}\n"));
    assert!(
        lines(&clear)[0].get("spans").is_none(),
        "nothing to highlight, no field"
    );
}

#[test]
fn scan_and_eval_read_complaints_as_the_service_does() {
    let complaint = r#"{"id":1,"text":"ada yang nawarin open BO di michat, akunnya sasa_manja, katanya masih 16 tahun"}"#;
    let out = ronda(&["scan", "--complaint"], Some(complaint));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let l = &lines(&out)[0];
    assert_eq!(l["category"], "prostitution", "{l}");
    assert_eq!(
        (l["minor"].as_bool(), l["sexual"].as_bool()),
        (Some(true), Some(true)),
        "{l}"
    );
    // Read as a post, the reporter's words ("katanya") make it news.
    let out = ronda(&["scan"], Some(complaint));
    assert_eq!(lines(&out)[0]["verdict"], "clear");

    let set = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/heldout/complaints.jsonl"
    );
    let out = ronda(&["eval", "--data", set, "--complaint", "--json"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let post = ronda(&["eval", "--data", set, "--json"], None);
    let recall = |o: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["categories"]["prostitution"]["recall"]
            .as_f64()
            .unwrap_or_else(|| panic!("{v}"))
    };
    assert!(
        recall(&out) > recall(&post) + 0.3,
        "{} vs {}",
        recall(&out),
        recall(&post)
    );
}
