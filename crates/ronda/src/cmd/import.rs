//! `ronda import reports FILE.jsonl`: bulk intake with per-line errors and a summary.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ronda_core::report::{FieldError, ReportInput, ValidReport};
use ronda_service::detection::{Detector, load_engine};
use ronda_store::Store;
use ronda_store::intake::IntakeContext;

use super::store_args::{StoreArgs, cli_actor};

/// Import data in bulk.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ImportCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ImportCommand {
    /// Import reports from JSON Lines (the item shape of POST /api/v1/reports). Lines with an
    /// `external_id` can be imported again safely: they are stored once.
    Reports {
        /// The JSONL file (`-` for standard input).
        file: PathBuf,
        /// Reports committed per transaction.
        #[arg(long, default_value_t = 1000)]
        chunk: usize,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Default)]
struct Summary {
    accepted: u64,
    replayed: u64,
    new_cases: u64,
    refused: u64,
}

fn parse_line(line: &str, detector: &Detector) -> Result<ValidReport, String> {
    let de = &mut serde_json::Deserializer::from_str(line);
    let input: ReportInput = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        if path == "." {
            msg
        } else {
            format!("{path}: {msg}")
        }
    })?;
    let mut report = input.validate(None).map_err(|e| e.to_string())?;
    detector.read(&mut report);
    Ok(report)
}

fn flush(
    store: &Store,
    pending: &mut Vec<(u64, Result<ValidReport, String>)>,
    sum: &mut Summary,
    errors: &mut Vec<String>,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let lines: Vec<u64> = pending.iter().map(|(n, _)| *n).collect();
    let mut items = Vec::with_capacity(pending.len());
    for (n, item) in pending.drain(..) {
        match item {
            Ok(r) => items.push(Ok(r)),
            Err(msg) => {
                errors.push(format!("line {n}: {msg}"));
                items.push(Err(FieldError::new("refused", "", "")));
            }
        }
    }
    let refused_before: Vec<bool> = items.iter().map(Result::is_err).collect();
    let ctx = IntakeContext {
        actor: format!("{}:import", cli_actor()),
        token_id: None,
        idempotency_key: None,
    };
    let outcomes = store.submit_batch_blocking(items, ctx)?;
    for ((outcome, n), was_refused) in outcomes.into_iter().zip(lines).zip(refused_before) {
        match outcome {
            Ok(a) if a.replayed => sum.replayed += 1,
            Ok(a) => {
                sum.accepted += 1;
                sum.new_cases += u64::from(a.new_case);
            }
            Err(_) if was_refused => sum.refused += 1,
            Err(e) => {
                sum.refused += 1;
                errors.push(format!("line {n}: {e}"));
            }
        }
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ImportCommand::Reports { file, chunk, store } = args.command;
    let (config, store) = store.open()?;
    let detector = Detector::new(
        load_engine(&config).map_err(|e| anyhow::anyhow!("detection engine: {e}"))?,
        &config.link_config(),
    );
    let (reader, total): (Box<dyn BufRead>, u64) = if file.as_os_str() == "-" {
        (Box::new(BufReader::new(std::io::stdin())), 0)
    } else {
        let f = File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(BufReader::new(f)), len)
    };
    let bar = if std::io::stderr().is_terminal() && total > 0 {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let mut sum = Summary::default();
    let mut pending = Vec::with_capacity(chunk);
    let mut errors = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.with_context(|| format!("reading line {n}"))?;
        bar.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        pending.push((n, parse_line(&line, &detector)));
        if pending.len() >= chunk.max(1) {
            flush(&store, &mut pending, &mut sum, &mut errors)?;
            for e in errors.drain(..) {
                bar.suspend(|| eprintln!("{e}"));
            }
        }
    }
    flush(&store, &mut pending, &mut sum, &mut errors)?;
    for e in errors.drain(..) {
        eprintln!("{e}");
    }
    bar.finish_and_clear();
    store.close();
    println!(
        "imported {} reports ({} new cases); {} already imported; {} lines refused",
        sum.accepted, sum.new_cases, sum.replayed, sum.refused
    );
    Ok(if sum.refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
