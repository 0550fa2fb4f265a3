//! `ronda import reports FILE.jsonl`: bulk intake with per-line errors and a summary.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ronda_core::report::{FieldError, ReportInput};
use ronda_service::detection::Detector;
use ronda_service::intake::{Intake, Refusal, Submitter};

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

/// One line as the intake service takes it: a report input, or why the line is not one.
fn parse_line(line: &str) -> Result<ReportInput, Refusal> {
    let de = &mut serde_json::Deserializer::from_str(line);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        let message = if path == "." {
            msg
        } else {
            format!("{path}: {msg}")
        };
        Refusal::Invalid(FieldError::new("invalid", "", message))
    })
}

/// Why a line was refused, as the summary prints it.
fn line_error(r: &Refusal) -> String {
    match r {
        Refusal::Invalid(f) if f.field.is_empty() => f.message.clone(),
        other => other.to_string(),
    }
}

fn flush(
    intake: &Intake<'_>,
    pending: &mut Vec<(u64, Result<ReportInput, Refusal>)>,
    sum: &mut Summary,
    errors: &mut Vec<String>,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let (lines, items): (Vec<u64>, Vec<_>) = pending.drain(..).unzip();
    let who = Submitter::Operator {
        actor: format!("{}:import", cli_actor()),
    };
    let outcomes = intake.submit_batch_blocking(items, &who)?;
    for (outcome, n) in outcomes.into_iter().zip(lines) {
        match outcome {
            Ok(a) if a.replayed => sum.replayed += 1,
            Ok(a) => {
                sum.accepted += 1;
                sum.new_cases += u64::from(a.new_case);
            }
            Err(r) => {
                sum.refused += 1;
                errors.push(format!("line {n}: {}", line_error(&r)));
            }
        }
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ImportCommand::Reports { file, chunk, store } = args.command;
    let (config, store) = store.open()?;
    // The registered models in use and in the shadow, as `ronda serve` reads them.
    let detector =
        Detector::from_config(&config).map_err(|e| anyhow::anyhow!("detection engine: {e}"))?;
    detector
        .refresh(&config, &store)
        .map_err(|e| anyhow::anyhow!("detection engine: {e}"))?;
    let intake = Intake {
        store: &store,
        detector: &detector,
    };
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
        pending.push((n, parse_line(&line)));
        if pending.len() >= chunk.max(1) {
            flush(&intake, &mut pending, &mut sum, &mut errors)?;
            for e in errors.drain(..) {
                bar.suspend(|| eprintln!("{e}"));
            }
        }
    }
    flush(&intake, &mut pending, &mut sum, &mut errors)?;
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
