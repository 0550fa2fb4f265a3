//! `ronda train`: trains the classifier from labelled JSONL (`{"text": …, "label": …}`) and
//! writes a model file. Deterministic: the same data and options give a byte-identical file.
//!
//! `ronda train --from-store [--since YYYY-MM-DD] [--corpus FILE] --register` learns from the
//! team's decisions instead: every case whose last decision stands is an example — its
//! reports' texts, labelled with the confirmed category or `clear` for a rejection (child
//! exploitation and "other" confirmations are left out: the classifier has no class for them,
//! and texts about minors are not trained on). Cases are ordered by decision time and the most
//! recent 20% are held out; the rest are merged with the corpus file, each decided text counted
//! `--decision-weight` times (default 5: a few hundred decisions must be able to move a model
//! trained on tens of thousands of generated lines). The new model is scored on the hold-out —
//! beside the model in use, on the same texts — and on every labelled set in `--heldout`, and
//! registered in the store with those figures (`ronda models`); its id is the last line printed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ronda_detect::train::{TrainConfig, train};
use ronda_detect::{Category, Engine, PolicyConfig, Reading, RuleSet};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::store_args::{StoreArgs, cli_actor};

/// Arguments of this subcommand.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Labelled JSONL: {"text": "…", "label": "prostitution|pornography|gambling|clear"}.
    #[arg(long, value_name = "FILE", required_unless_present = "from_store")]
    pub data: Option<PathBuf>,
    /// Where to write the model (with --from-store: besides, or instead of, --register).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Learn from the team's decisions in the store (see the module docs).
    #[arg(long, conflicts_with = "data")]
    pub from_store: bool,
    /// With --from-store: only decisions taken on or after this day (WIB).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "from_store")]
    pub since: Option<String>,
    /// With --from-store: the labelled corpus the decisions are merged with (the shipped one is
    /// `data/train.jsonl`, see data/README.md).
    #[arg(long, value_name = "FILE", requires = "from_store")]
    pub corpus: Option<PathBuf>,
    /// With --from-store: how many times each decided text counts beside a corpus line.
    #[arg(long, default_value_t = 5, requires = "from_store")]
    pub decision_weight: u32,
    /// With --from-store: a folder of labelled sets (`*.jsonl` with `label`) the new model is
    /// scored on; `complaints*.jsonl` are read as complaints.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "data/heldout",
        requires = "from_store"
    )]
    pub heldout: PathBuf,
    /// With --from-store: register the model in the store and print its id on the last line.
    #[arg(long, requires = "from_store")]
    pub register: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Rule file (TOML) whose hits become features (default: built-in rules).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Hash space bits (buckets = 2^bits).
    #[arg(long, default_value_t = ronda_detect::classifier::DEFAULT_BITS)]
    pub bits: u8,
    /// Passes over the data.
    #[arg(long, default_value_t = 6)]
    pub epochs: u32,
    /// L2 regularisation strength.
    #[arg(long, default_value_t = TrainConfig::default().l2)]
    pub l2: f32,
    /// Multiplier of the rule prior (each fired rule's weight added to its class's logit).
    #[arg(long, default_value_t = TrainConfig::default().rule_prior)]
    pub rule_prior: f32,
    /// Shuffle seed.
    #[arg(long, default_value_t = 0x5eed_2026)]
    pub seed: u64,
}

#[derive(Deserialize)]
struct Labelled {
    text: String,
    label: String,
}

fn read_labelled(path: &std::path::Path) -> anyhow::Result<Vec<(String, Category)>> {
    let src =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut examples = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let l: Labelled = serde_json::from_str(line)
            .with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        let c = Category::parse(&l.label).with_context(|| {
            format!(
                "{}: line {}: unknown label {:?}",
                path.display(),
                i + 1,
                l.label
            )
        })?;
        examples.push((l.text, c));
    }
    Ok(examples)
}

fn rules_of(args: &Args) -> anyhow::Result<RuleSet> {
    match &args.rules {
        Some(p) => RuleSet::from_toml(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("loading rule file {}", p.display())),
        None => RuleSet::default_rules().context("loading the built-in rules"),
    }
}

fn config_of(args: &Args) -> TrainConfig {
    TrainConfig {
        bits: args.bits,
        epochs: args.epochs,
        seed: args.seed,
        l2: args.l2,
        rule_prior: args.rule_prior,
        ..TrainConfig::default()
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.from_store {
        return from_store(&args);
    }
    let (Some(data), Some(out)) = (&args.data, &args.out) else {
        anyhow::bail!("--data and --out are needed (or --from-store)");
    };
    let examples = read_labelled(data)?;
    let rules = rules_of(&args)?;
    let (model, report) = train(&examples, &rules, &config_of(&args)).context("training")?;
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "trained on {} examples (prostitution {}, pornography {}, gambling {}, clear {} in the fit split; \
         {} held back for calibration): temperature {:.2}, calibration log-loss {:.4}; wrote {} ({} bytes)",
        report.examples,
        report.per_class[0],
        report.per_class[1],
        report.per_class[2],
        report.per_class[3],
        report.calibration_examples,
        report.temperature,
        report.calibration_log_loss,
        out.display(),
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The label a decision gives its texts; `None`: not trained on (see the module docs).
fn label_of(d: &ronda_store::models::Decided) -> Option<Category> {
    match (d.decision.as_str(), d.category.as_deref()) {
        ("reject", _) => Some(Category::Clear),
        ("confirm", Some(c @ ("prostitution" | "pornography" | "gambling"))) => Category::parse(c),
        _ => None,
    }
}

/// Per-category precision and recall and the accuracy of `engine` on `examples`, as `ronda
/// eval` counts them (the category of a non-clear verdict, else clear).
pub fn score(engine: &Engine, examples: &[(String, Category)], reading: Reading) -> Value {
    let classes = [
        Category::Prostitution,
        Category::Pornography,
        Category::Gambling,
        Category::Clear,
    ];
    let mut tp = [0usize; 4];
    let mut pred = [0usize; 4];
    let mut actual = [0usize; 4];
    for (text, want) in examples {
        let a = engine.analyze_as(text, reading);
        let got = a.category.unwrap_or(Category::Clear);
        let (g, w) = (
            classes.iter().position(|c| *c == got).unwrap_or(3),
            classes.iter().position(|c| c == want).unwrap_or(3),
        );
        pred[g] += 1;
        actual[w] += 1;
        tp[g] += usize::from(g == w);
    }
    let ratio = |a: usize, b: usize| {
        if b == 0 {
            Value::Null
        } else {
            json!(a as f64 / b as f64)
        }
    };
    let mut per = serde_json::Map::new();
    for (i, c) in classes.iter().enumerate() {
        if actual[i] + pred[i] > 0 {
            per.insert(
                c.as_str().to_string(),
                json!({"precision": ratio(tp[i], pred[i]), "recall": ratio(tp[i], actual[i]), "support": actual[i]}),
            );
        }
    }
    json!({"examples": examples.len(), "accuracy": ratio(tp.iter().sum(), examples.len()), "categories": per})
}

fn from_store(args: &Args) -> anyhow::Result<ExitCode> {
    if !args.register && args.out.is_none() {
        anyhow::bail!("--from-store needs --register, --out FILE, or both");
    }
    let since_ms = match &args.since {
        Some(d) => ronda_core::wib::day_start_ms(
            ronda_core::wib::parse_date(d)
                .ok_or_else(|| anyhow::anyhow!("--since: `{d}` is not a date (YYYY-MM-DD)"))?,
        ),
        None => i64::MIN,
    };
    let (config, store) = args.store.open()?;
    let decided = store.decided_cases(since_ms)?;
    let (usable, skipped): (Vec<_>, Vec<_>) = decided.iter().partition(|d| label_of(d).is_some());
    if usable.len() < 5 {
        store.close();
        anyhow::bail!(
            "{} decided case(s) with text to learn from (at least 5 are needed: 20% are held out)",
            usable.len()
        );
    }
    let held = usable.len().div_ceil(5);
    let (fit_cases, hold_cases) = usable.split_at(usable.len() - held);
    let texts_of = |cases: &[&ronda_store::models::Decided]| -> Vec<(String, Category)> {
        cases
            .iter()
            .flat_map(|d| {
                let label = label_of(d).unwrap_or(Category::Clear);
                d.texts.iter().map(move |t| (t.clone(), label))
            })
            .collect()
    };
    let fit_texts = texts_of(fit_cases);
    let hold_texts = texts_of(hold_cases);
    let (corpus, corpus_info) = match &args.corpus {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            let lines = read_labelled(p)?;
            let info = json!({"path": p.display().to_string(), "lines": lines.len(),
                              "sha256": hex::encode(Sha256::digest(&bytes))});
            (lines, info)
        }
        None => {
            eprintln!("no --corpus: training on the decisions alone");
            (Vec::new(), Value::Null)
        }
    };
    let mut examples = corpus;
    for (t, c) in &fit_texts {
        for _ in 0..args.decision_weight.max(1) {
            examples.push((t.clone(), *c));
        }
    }
    let rules = rules_of(args)?;
    let cfg = config_of(args);
    let (model, report) = train(&examples, &rules, &cfg).context("training")?;
    let bytes = model.to_bytes();
    let fresh = Engine::new(rules, model, PolicyConfig::default());
    let (in_use, in_use_name) = ronda_service::detection::engine_in_use(&config, &store)
        .map_err(|e| anyhow::anyhow!("the model in use: {e}"))?;
    let mut heldout = serde_json::Map::new();
    if args.heldout.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&args.heldout)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for f in files {
            let Ok(set) = read_labelled(&f) else { continue };
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let reading = if name.starts_with("complaints") {
                Reading::Complaint
            } else {
                Reading::Post
            };
            heldout.insert(name, score(&fresh, &set, reading));
        }
    }
    let metrics = json!({
        "hold_out": score(&fresh, &hold_texts, Reading::Post),
        "hold_out_in_use": {"model": in_use_name, "scores": score(&in_use, &hold_texts, Reading::Post)},
        "heldout": heldout,
    });
    let training = json!({
        "from_store": true, "since": args.since, "cases": usable.len(), "fit_cases": fit_cases.len(),
        "hold_out_cases": hold_cases.len(), "fit_texts": fit_texts.len(), "hold_out_texts": hold_texts.len(),
        "not_trained_on": skipped.len(), "decision_weight": args.decision_weight, "corpus": corpus_info,
        "examples": report.examples + report.calibration_examples,
        "options": {"bits": cfg.bits, "epochs": cfg.epochs, "l2": cfg.l2, "rule_prior": cfg.rule_prior, "seed": cfg.seed},
        "hold_out_from": hold_cases.first().map(|d| ronda_core::clock::to_rfc3339(d.decided_at)),
    });
    eprintln!(
        "learnt from {} decided cases ({} texts, each counted {}×) and {} corpus lines; held out the latest {} cases ({} texts)",
        fit_cases.len(),
        fit_texts.len(),
        args.decision_weight.max(1),
        examples.len() - fit_texts.len() * args.decision_weight.max(1) as usize,
        hold_cases.len(),
        hold_texts.len()
    );
    eprintln!("hold-out, new model: {}", metrics["hold_out"]);
    eprintln!(
        "hold-out, model in use ({}): {}",
        in_use_name, metrics["hold_out_in_use"]["scores"]
    );
    if let Some(out) = &args.out {
        std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    if args.register {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let id = rt.block_on(store.register_model(
            cli_actor(),
            bytes,
            training.to_string(),
            metrics.to_string(),
        ))?;
        store.close();
        eprintln!("registered as model {id}; `ronda models activate {id}` puts it in use");
        println!("{id}");
    } else {
        store.close();
    }
    Ok(ExitCode::SUCCESS)
}
