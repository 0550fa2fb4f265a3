//! `ronda train`: trains the classifier from labelled JSONL (`{"text": …, "label": …}`) and
//! writes a model file. Deterministic: the same data and options give a byte-identical file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ronda_detect::train::{TrainConfig, train};
use ronda_detect::{Category, RuleSet};
use serde::Deserialize;

/// Arguments of this subcommand.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Labelled JSONL: {"text": "…", "label": "prostitution|pornography|gambling|clear"}.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Where to write the model.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
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

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let src = std::fs::read_to_string(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?;
    let mut examples = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let l: Labelled = serde_json::from_str(line)
            .with_context(|| format!("{}: line {}", args.data.display(), i + 1))?;
        let c = Category::parse(&l.label).with_context(|| {
            format!(
                "{}: line {}: unknown label {:?}",
                args.data.display(),
                i + 1,
                l.label
            )
        })?;
        examples.push((l.text, c));
    }
    let rules = match &args.rules {
        Some(p) => RuleSet::from_toml(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("loading rule file {}", p.display()))?,
        None => RuleSet::default_rules().context("loading the built-in rules")?,
    };
    let cfg = TrainConfig {
        bits: args.bits,
        epochs: args.epochs,
        seed: args.seed,
        l2: args.l2,
        rule_prior: args.rule_prior,
        ..TrainConfig::default()
    };
    let (model, report) = train(&examples, &rules, &cfg).context("training")?;
    let bytes = model.to_bytes();
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
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
        args.out.display(),
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}
