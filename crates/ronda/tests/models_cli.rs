//! The learning loop with the real binary: posts using a code phrase the shipped model does not
//! know ("teh manis anget", made up for this test) are imported, analysts confirm the offers
//! and reject the harmless posts that share the phrase's words, `ronda train --from-store
//! --register` learns from those decisions (deterministically), `ronda models activate` puts
//! the model in use — and new posts with the phrase then land as prostitution while the
//! harmless ones stay clear. Before that, in the shadow, it reads new reports beside the model
//! in use without changing a case, and `ronda models show` counts where the two differ. Then a
//! rollback puts the configured model back.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use ronda_core::clock::SystemClock;
use ronda_core::model::Category;
use ronda_core::workflow::DeadlinePolicy;
use ronda_service::config::{Config, Overrides};
use ronda_store::Store;
use ronda_store::review::{Decision, Reviewer, Verdict};

const BIN: &str = env!("CARGO_BIN_EXE_ronda");
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn ronda(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("RONDA_CONFIG")
        .current_dir(REPO)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ronda {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn open(dir: &Path) -> Store {
    let config = Config::load(
        None,
        &Overrides {
            data_dir: Some(dir.to_path_buf()),
            ..Overrides::default()
        },
    )
    .unwrap();
    ronda_service::bootstrap::open_store(&config, Arc::new(SystemClock)).unwrap()
}

const AREAS: [&str; 12] = [
    "Depok",
    "Bekasi",
    "Blok M",
    "Kemang",
    "Cawang",
    "Sunter",
    "Serpong",
    "Bintaro",
    "Cibubur",
    "Kelapa Gading",
    "Tebet",
    "Grogol",
];

/// An offer in the code phrase, and a harmless post sharing its words.
fn offer(i: usize) -> String {
    let a = AREAS[i % AREAS.len()];
    match i % 4 {
        0 => format!("ada teh manis anget malam ini area {a}, japri kak"),
        1 => format!("teh manis anget tersedia lagi buat yang mau, daerah {a}, chat aja"),
        2 => format!("yang cari teh manis anget sekitar {a}, langsung pm ya"),
        _ => format!("teh manis anget {a} bisa ke tempat kamu, serius dm"),
    }
}

fn harmless(i: usize) -> String {
    let a = AREAS[i % AREAS.len()];
    match i % 4 {
        0 => format!("teh manis anget di warung dekat stasiun {a} enak banget buat sarapan"),
        1 => "resep teh manis anget biar nggak masuk angin pas hujan".to_string(),
        2 => format!("pagi di {a} paling enak minum teh manis anget sambil baca koran"),
        _ => "ibu bikinin teh manis anget waktu aku demam kemarin".to_string(),
    }
}

/// Imports `posts` as patrol reports (one account each); the case id of each, in order.
fn import(dir: &Path, tag: &str, posts: &[String]) -> Vec<i64> {
    let lines: String = posts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({"source": "patrol", "platform": "michat",
                "target": {"account": format!("{tag}_{i}")}, "text": t})
            .to_string()
                + "\n"
        })
        .collect();
    let file = dir.join(format!("{tag}.jsonl"));
    std::fs::write(&file, lines).unwrap();
    ronda(dir, &["import", "reports", file.to_str().unwrap()]);
    let store = open(dir);
    let ids = (0..posts.len())
        .map(|i| {
            let handle = format!("{tag}_{i}");
            store
                .read(|c| {
                    c.query_one(
                        "SELECT id FROM cases WHERE target_value = $1",
                        &[ronda_store::db::Param::from(handle.as_str())],
                    )?
                    .i64(0)
                })
                .unwrap()
        })
        .collect();
    store.close();
    ids
}

/// How many of the cases the detection calls prostitution (review or violation).
fn flagged(dir: &Path, cases: &[i64]) -> usize {
    let store = open(dir);
    let n = cases
        .iter()
        .filter(|id| {
            let c = store.get_case(**id).unwrap().unwrap();
            c.detection.is_some_and(|d| {
                d.verdict != "clear" && d.category.as_deref() == Some("prostitution")
            })
        })
        .count();
    store.close();
    n
}

/// The team's decisions, in the order given.
fn decide(dir: &Path, cases: &[(i64, Verdict)]) {
    let store = open(dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for &(id, verdict) in cases {
        let id = &id;
        let who = Reviewer::token(1, "user:ana");
        rt.block_on(store.claim_case(who.clone(), *id, 60_000))
            .unwrap();
        let d = Decision {
            verdict,
            category: (verdict == Verdict::Confirm).then_some(Category::Prostitution),
            legal_basis: (verdict == Verdict::Confirm).then(|| "uu_ite_27_1".to_string()),
            note: Some("kode baru: teh manis anget".into()),
            override_claim: false,
            approval_categories: Vec::new(),
        };
        rt.block_on(store.decide_case(who, *id, d, DeadlinePolicy::default()))
            .unwrap();
    }
    store.close();
}

#[test]
fn decisions_teach_a_new_code_phrase_and_a_rollback_undoes_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The corpus the shipped model was trained on (generated, as data/README.md says).
    let corpus = d.join("train.jsonl");
    let gen_out = Command::new("python3")
        .args(["data/gen_corpus.py", "--out", corpus.to_str().unwrap()])
        .current_dir(REPO)
        .output()
        .unwrap();
    assert!(
        gen_out.status.success(),
        "{}",
        String::from_utf8_lossy(&gen_out.stderr)
    );

    // 160 offers and 160 harmless posts, decided by the team.
    let offers: Vec<String> = (0..160).map(offer).collect();
    let benign: Vec<String> = (0..160).map(harmless).collect();
    let o = import(d, "offer", &offers);
    let b = import(d, "tea", &benign);
    let before = flagged(d, &o);
    // (One wording of four, "… bisa ke tempat kamu, serius dm", reads as an offer already.)
    assert!(
        before <= 48,
        "the shipped model already knows the phrase: {before}/160"
    );
    assert_eq!(flagged(d, &b), 0);
    // Offers and harmless posts come to the team mixed, as the queue serves them.
    let mixed: Vec<(i64, Verdict)> = o
        .iter()
        .zip(&b)
        .flat_map(|(x, y)| [(*x, Verdict::Confirm), (*y, Verdict::Reject)])
        .collect();
    decide(d, &mixed);

    // What the shipped model missed, as a team lead reads it weekly.
    let gaps: serde_json::Value =
        serde_json::from_slice(&ronda(d, &["models", "gaps", "--json"]).stdout).unwrap();
    let missed: Vec<&str> = gaps["missed"]["phrases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["phrase"].as_str())
        .collect();
    eprintln!("gaps before training: {}", gaps["missed"]);
    assert_eq!(
        gaps["missed"]["cases"].as_u64(),
        Some(160 - before as u64),
        "{gaps}"
    );
    assert!(
        missed
            .iter()
            .any(|p| p.contains("teh") || p.contains("anget"))
            && !missed.contains(&"warung"),
        "the code phrase tops what was missed: {missed:?}"
    );

    let train = |extra: &[&str]| {
        let mut args = vec![
            "train",
            "--from-store",
            "--corpus",
            corpus.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        ronda(d, &args)
    };
    let (f1, f2) = (d.join("a.bin"), d.join("b.bin"));
    train(&["--out", f1.to_str().unwrap()]);
    let out = train(&["--out", f2.to_str().unwrap(), "--register"]);
    assert_eq!(
        std::fs::read(&f1).unwrap(),
        std::fs::read(&f2).unwrap(),
        "the same decisions and corpus give the same model"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let id = stdout.lines().last().unwrap().trim().to_string();
    assert!(
        id.parse::<i64>().is_ok(),
        "the id alone on the last line: {stdout:?}"
    );

    let show: serde_json::Value =
        serde_json::from_slice(&ronda(d, &["models", "show", &id]).stdout).unwrap();
    assert_eq!(show["training"]["cases"], 320);
    assert_eq!(
        show["training"]["hold_out_cases"], 64,
        "the latest 20% held out"
    );
    let hold = &show["metrics"]["hold_out"]["categories"];
    assert!(
        hold["prostitution"]["recall"].as_f64().unwrap() >= 0.9,
        "the new model on the hold-out: {hold}"
    );
    let in_use = &show["metrics"]["hold_out_in_use"]["scores"]["categories"];
    eprintln!("hold-out (64 cases): new model {hold}; model in use {in_use}");
    assert!(
        in_use["prostitution"]["recall"].as_f64().unwrap_or(0.0) < 0.5,
        "the model in use on the same hold-out: {in_use}"
    );
    assert!(
        show["metrics"]["heldout"]["handwritten.jsonl"]["accuracy"]
            .as_f64()
            .unwrap()
            >= 0.95,
        "the new model still reads the held-out sets: {}",
        show["metrics"]["heldout"]
    );

    let list = String::from_utf8(ronda(d, &["models", "list"]).stdout).unwrap();
    assert!(!list.contains('*'), "nothing in use yet: {list}");

    // In the shadow first: it reads every new report beside the model in use, changing nothing.
    ronda(d, &["models", "shadow", &id]);
    let probe: Vec<String> = (0..8)
        .map(|i| {
            if i % 2 == 0 {
                format!("teh manis anget {} malam ini, japri", AREAS[i])
            } else {
                format!("segelas teh manis anget hangat di pagi hari, {}", AREAS[i])
            }
        })
        .collect();
    let p = import(d, "probe", &probe);
    assert_eq!(flagged(d, &p), 0, "the shadow changes no case");
    let show: serde_json::Value =
        serde_json::from_slice(&ronda(d, &["models", "show", &id]).stdout).unwrap();
    let sh = &show["shadow"];
    assert_eq!(
        (sh["reports"].as_u64(), sh["agree"].as_u64()),
        (Some(8), Some(4)),
        "{sh}"
    );
    let differ: Vec<i64> = sh["differ"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["case_id"].as_i64().unwrap())
        .collect();
    assert_eq!(differ.len(), 4);
    assert!(
        differ.iter().all(|c| [p[0], p[2], p[4], p[6]].contains(c)),
        "the offers differ: {sh}"
    );
    assert!(
        sh["differ"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["shadow"]["outcome"] == "prostitution" && x["in_use"]["outcome"] == "clear")
    );
    ronda(d, &["models", "unshadow"]);
    ronda(d, &["models", "activate", &id]);
    let list = String::from_utf8(ronda(d, &["models", "list"]).stdout).unwrap();
    assert!(list.trim_start().starts_with('*'), "{list}");

    // New posts, other areas and wording than the decided ones.
    let fresh_offers: Vec<String> = (0..24)
        .map(|i| {
            let a = AREAS[(i * 5) % 12];
            if i % 2 == 0 {
                format!("teh manis anget {a} malam ini, japri")
            } else {
                format!("mau teh manis anget di {a} malam ini? japri")
            }
        })
        .collect();
    let fresh_benign: Vec<String> = (0..24)
        .map(|i| {
            format!(
                "segelas teh manis anget hangat di pagi hari, {}",
                AREAS[(i * 7) % 12]
            )
        })
        .collect();
    let scan_file = d.join("fresh.jsonl");
    let lines: String = fresh_offers
        .iter()
        .map(|t| serde_json::json!({ "text": t }).to_string() + "\n")
        .collect();
    std::fs::write(&scan_file, lines).unwrap();
    let scanned = Command::new(BIN)
        .args(["scan", scan_file.to_str().unwrap()])
        .output()
        .unwrap();
    let shipped = String::from_utf8(scanned.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"category\":\"prostitution\""))
        .count();
    let fo = import(d, "later_offer", &fresh_offers);
    let fb = import(d, "later_tea", &fresh_benign);
    let caught = flagged(d, &fo);
    let false_alarms = flagged(d, &fb);
    eprintln!(
        "before: {before}/160 decided offers flagged, {shipped}/24 new ones by the shipped model; \
         after activation: {caught}/24 new offers, {false_alarms}/24 harmless"
    );
    assert!(
        shipped <= 4,
        "the shipped model on the new offers: {shipped}/24"
    );
    assert!(caught >= 22, "new offers in the phrase: {caught}/24");
    assert_eq!(
        false_alarms, 0,
        "harmless posts sharing its words stay clear"
    );
    let store = open(d);
    let json = store
        .get_case(fo[0])
        .unwrap()
        .unwrap()
        .detection
        .unwrap()
        .details_json
        .unwrap();
    store.close();
    assert!(
        json.contains(&format!("\"model\":\"registry:{id}\"")),
        "{json}"
    );

    let gaps: serde_json::Value =
        serde_json::from_slice(&ronda(d, &["models", "gaps", "--json"]).stdout).unwrap();
    assert!(
        gaps["missed"]["cases"].as_u64().unwrap() <= 8,
        "the model in use misses little now: {gaps}"
    );
    let rolled = String::from_utf8(ronda(d, &["models", "rollback"]).stdout).unwrap();
    assert!(
        rolled.contains("the configured model in use again"),
        "{rolled}"
    );
    let again = import(d, "after_rollback", &fresh_offers[..8]);
    assert!(flagged(d, &again) <= 2, "the configured model is back");
    let store = open(d);
    let actions: Vec<String> = store
        .read(|c| {
            c.query("SELECT action FROM audit_events WHERE target LIKE 'detection_model:%' ORDER BY seq", &[])?
                .iter()
                .map(|r| r.string(0))
                .collect()
        })
        .unwrap();
    store.close();
    assert_eq!(
        actions,
        [
            "detection_model.registered",
            "detection_model.shadowed",
            "detection_model.unshadowed",
            "detection_model.activated",
            "detection_model.rolled_back"
        ]
    );
}
