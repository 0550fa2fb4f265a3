//! Complaint reading: public and police reports are the reporter's words about someone else's
//! content. Two hand-written sets, never trained on: `complaints_dev.jsonl`, which the
//! complaint rules were written against, and `complaints.jsonl`, written after the rules were
//! frozen and never used to tune them (see `data/README.md`).

use ronda_detect::{Category, Engine, Reading, Verdict};
use serde_json::Value;

const DEV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/heldout/complaints_dev.jsonl"
));
const HELD_OUT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/heldout/complaints.jsonl"
));

struct Line {
    text: String,
    label: String,
    minor: bool,
}

fn lines(set: &str) -> Vec<Line> {
    set.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON line");
            Line {
                text: v["text"].as_str().expect("text").to_string(),
                label: v["label"].as_str().expect("label").to_string(),
                minor: v["minor"].as_bool().expect("minor"),
            }
        })
        .collect()
}

fn predicted(engine: &Engine, text: &str, reading: Reading) -> (String, bool) {
    let a = engine.analyze_as(text, reading);
    let label = match (a.verdict, a.category) {
        (Verdict::Clear, _) | (_, None) => "clear",
        (_, Some(c)) => c.as_str(),
    };
    (label.to_string(), a.minor && a.sexual)
}

fn recall(engine: &Engine, set: &[Line], reading: Reading, label: &str) -> (usize, usize) {
    let of: Vec<&Line> = set.iter().filter(|l| l.label == label).collect();
    let hit = of
        .iter()
        .filter(|l| predicted(engine, &l.text, reading).0 == label)
        .count();
    (hit, of.len())
}

#[test]
fn the_issue_example_is_a_minor_in_a_solicitation() {
    let engine = Engine::with_defaults().expect("default engine");
    let text = "ada yang nawarin open BO di michat, akunnya sasa_manja, katanya masih 16 tahun";
    let a = engine.analyze_as(text, Reading::Complaint);
    assert_ne!(a.verdict, Verdict::Clear, "{a:?}");
    assert_eq!(a.category, Some(Category::Prostitution));
    assert_eq!(a.ages, vec![16]);
    assert!(a.minor && a.sexual, "{a:?}");
    assert!(
        a.rules.iter().all(|r| r.category != "news"),
        "reporting words must not fire the news rule: {:?}",
        a.rules
    );
    let open_bo = a
        .rules
        .iter()
        .find(|r| r.id == "prostitution.open_bo")
        .expect("the open BO rule fired");
    assert_eq!(&text[open_bo.span.clone()], "open BO");
}

/// Recall per category, of minors in sexual complaints, and false alarms, as fractions out of
/// 100 (printed with the misses).
struct Figures {
    prostitution: usize,
    gambling: usize,
    pornography: usize,
    minors: usize,
    false_alarms: usize,
}

fn figures(name: &str, src: &str) -> Figures {
    let engine = Engine::with_defaults().expect("default engine");
    let set = lines(src);
    let set = set.as_slice();
    let (p_hit, p_all) = recall(&engine, set, Reading::Complaint, "prostitution");
    let (g_hit, g_all) = recall(&engine, set, Reading::Complaint, "gambling");
    let (x_hit, x_all) = recall(&engine, set, Reading::Complaint, "pornography");
    // The same lines read as posts: what the complaint reading adds.
    let (p_post, _) = recall(&engine, set, Reading::Post, "prostitution");
    let minors: Vec<&Line> = set
        .iter()
        .filter(|l| l.minor && l.label != "clear")
        .collect();
    let minors_hit = minors
        .iter()
        .filter(|l| predicted(&engine, &l.text, Reading::Complaint).1)
        .count();
    let clear: Vec<&Line> = set.iter().filter(|l| l.label == "clear").collect();
    let false_alarms: Vec<&str> = clear
        .iter()
        .filter(|l| predicted(&engine, &l.text, Reading::Complaint).0 != "clear")
        .map(|l| l.text.as_str())
        .collect();
    let false_minor: Vec<&str> = clear
        .iter()
        .filter(|l| predicted(&engine, &l.text, Reading::Complaint).1)
        .map(|l| l.text.as_str())
        .collect();
    println!(
        "{name}: prostitution {p_hit}/{p_all} (as posts {p_post}/{p_all}), gambling {g_hit}/{g_all}, \
         pornography {x_hit}/{x_all}, minors {minors_hit}/{}, false alarms {}/{} {false_alarms:?}",
        minors.len(),
        false_alarms.len(),
        clear.len()
    );
    for l in set {
        let (label, child) = predicted(&engine, &l.text, Reading::Complaint);
        if label != l.label || child != (l.minor && l.label != "clear") {
            println!(
                "miss: want {} minor={} got {label} child={child}: {}",
                l.label, l.minor, l.text
            );
        }
    }
    assert!(
        false_minor.is_empty(),
        "a minor without a sexual signal: {false_minor:?}"
    );
    let pct = |a: usize, b: usize| (a * 100).checked_div(b).unwrap_or(100);
    Figures {
        prostitution: pct(p_hit, p_all),
        gambling: pct(g_hit, g_all),
        pornography: pct(x_hit, x_all),
        minors: pct(minors_hit, minors.len()),
        false_alarms: pct(false_alarms.len(), clear.len()),
    }
}

#[test]
fn development_complaints() {
    let f = figures("complaints_dev", DEV);
    assert!(
        f.prostitution >= 90 && f.minors >= 90,
        "{}/{}",
        f.prostitution,
        f.minors
    );
    assert!(f.gambling >= 80 && f.pornography >= 80 && f.false_alarms <= 10);
}

/// The floors sit just under the figures measured when the set was written (recorded in
/// `data/README.md`): a change to the rules that loses recall here fails.
#[test]
fn held_out_complaints() {
    let f = figures("complaints", HELD_OUT);
    assert!(
        f.prostitution >= PROSTITUTION && f.minors >= MINORS,
        "{}/{}",
        f.prostitution,
        f.minors
    );
    assert!(f.gambling >= GAMBLING && f.pornography >= PORNOGRAPHY);
    assert!(f.false_alarms <= FALSE_ALARMS, "{}", f.false_alarms);
}

// Measured: prostitution 7/10, minors 3/4 (2/4 before `umurnya baru 15` was read as an age),
// gambling 4/4, pornography 4/4, false alarms 0/12.
const PROSTITUTION: usize = 70;
const MINORS: usize = 75;
const GAMBLING: usize = 75;
const PORNOGRAPHY: usize = 75;
const FALSE_ALARMS: usize = 10;
