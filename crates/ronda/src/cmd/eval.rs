//! `ronda eval`: per-category precision, recall, F1 and a confusion matrix on labelled JSONL.
//!
//! The prediction is what `ronda scan` reports: the `category` of a non-clear verdict, else
//! `clear`. Lines may instead (or also) carry `"phones": ["+62…", …]`: the set of phones
//! extracted must then equal it exactly (phone exact-match rate).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use rayon::prelude::*;
use ronda_detect::{Category, IdKind, Reading};
use serde::Deserialize;
use serde_json::json;

use super::scan::{load_engine, with_pool};

/// Arguments of this subcommand.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Labelled JSONL: {"text": "…", "label": "…"} and/or {"text": "…", "phones": ["+62…"]}.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Print the figures as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Model file instead of the built-in model.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Rule file (TOML) instead of the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print each misclassified line to stderr.
    #[arg(long)]
    pub errors: bool,
    /// Read each text as a complaint (a public or police report), as the service does.
    #[arg(long)]
    pub complaint: bool,
}

#[derive(Deserialize)]
struct Line {
    text: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    phones: Option<Vec<String>>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let engine = load_engine(args.rules.as_deref(), args.model.as_deref())?;
    let src = std::fs::read_to_string(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?;
    let mut lines = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(raw)
            .with_context(|| format!("{}: line {}", args.data.display(), i + 1))?;
        let label = match &l.label {
            Some(s) => Some(Category::parse(s).with_context(|| {
                format!(
                    "{}: line {}: unknown label {s:?}",
                    args.data.display(),
                    i + 1
                )
            })?),
            None => None,
        };
        lines.push((i + 1, l, label));
    }
    let reading = if args.complaint {
        Reading::Complaint
    } else {
        Reading::Post
    };
    let results: Vec<(Option<Category>, Option<bool>)> = with_pool(args.threads, || {
        lines
            .par_iter()
            .map(|(_, l, _)| {
                let a = engine.analyze_as(&l.text, reading);
                let pred = a.category.unwrap_or(Category::Clear);
                let phone_ok = l.phones.as_ref().map(|want| {
                    let mut got: Vec<&str> = a
                        .identifiers
                        .iter()
                        .filter(|i| i.kind == IdKind::Phone)
                        .map(|i| i.value.as_str())
                        .collect();
                    got.sort_unstable();
                    got.dedup();
                    let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
                    want.sort_unstable();
                    want.dedup();
                    got == want
                });
                (Some(pred), phone_ok)
            })
            .collect()
    })?;
    let mut confusion = [[0u64; 4]; 4];
    let (mut phones_n, mut phones_ok) = (0u64, 0u64);
    for ((line_no, l, label), (pred, phone_ok)) in lines.iter().zip(&results) {
        if let (Some(t), Some(p)) = (label, pred) {
            confusion[t.index()][p.index()] += 1;
            if args.errors && t != p {
                eprintln!(
                    "line {line_no}: label {} predicted {}: {}",
                    t.as_str(),
                    p.as_str(),
                    l.text
                );
            }
        }
        if let Some(ok) = phone_ok {
            phones_n += 1;
            phones_ok += u64::from(*ok);
            if args.errors && !ok {
                eprintln!(
                    "line {line_no}: phones {:?} not extracted exactly: {}",
                    l.phones, l.text
                );
            }
        }
    }
    let n: u64 = confusion.iter().flatten().sum();
    let mut per = Vec::new();
    for c in Category::ALL {
        let i = c.index();
        let tp = confusion[i][i] as f64;
        let predicted: u64 = (0..4).map(|t| confusion[t][i]).sum();
        let support: u64 = confusion[i].iter().sum();
        let p = if predicted > 0 {
            tp / predicted as f64
        } else {
            0.0
        };
        let r = if support > 0 {
            tp / support as f64
        } else {
            0.0
        };
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        per.push((c, p, r, f1, support));
    }
    let correct: u64 = (0..4).map(|i| confusion[i][i]).sum();
    let accuracy = if n > 0 {
        correct as f64 / n as f64
    } else {
        0.0
    };
    let phone_rate = if phones_n > 0 {
        phones_ok as f64 / phones_n as f64
    } else {
        0.0
    };
    if args.json {
        let mut cats = serde_json::Map::new();
        for (c, p, r, f1, support) in &per {
            cats.insert(
                c.as_str().to_string(),
                json!({"precision": p, "recall": r, "f1": f1, "support": support}),
            );
        }
        let v = json!({
            "examples": n,
            "accuracy": accuracy,
            "categories": cats,
            "confusion": {
                "labels": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "rows_are": "true label",
                "matrix": confusion,
            },
            "phones": {"examples": phones_n, "exact_match": phone_rate},
        });
        println!("{v}");
    } else {
        println!("{} labelled examples, accuracy {:.4}", n, accuracy);
        println!(
            "{:<14}{:>10}{:>10}{:>10}{:>10}",
            "category", "precision", "recall", "f1", "support"
        );
        for (c, p, r, f1, support) in &per {
            println!(
                "{:<14}{:>10.4}{:>10.4}{:>10.4}{:>10}",
                c.as_str(),
                p,
                r,
                f1,
                support
            );
        }
        println!("\nconfusion matrix (rows: true label, columns: predicted)");
        print!("{:<14}", "");
        for c in Category::ALL {
            print!("{:>14}", c.as_str());
        }
        println!();
        for t in Category::ALL {
            print!("{:<14}", t.as_str());
            for p in Category::ALL {
                print!("{:>14}", confusion[t.index()][p.index()]);
            }
            println!();
        }
        if phones_n > 0 {
            println!(
                "\nphones: {phones_ok}/{phones_n} lines extracted exactly ({:.4})",
                phone_rate
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
