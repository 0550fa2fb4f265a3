//! The `ronda` binary: the CLI definition plus glue around the library crates.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Ronda — the online-content patrol platform.
#[derive(Debug, Parser)]
#[command(name = "ronda", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan posts (JSONL) with the detection engine.
    Scan(cmd::scan::Args),
    /// Train the text classifier from labelled JSONL.
    Train(cmd::train::Args),
    /// Evaluate the classifier on labelled JSONL.
    Eval(cmd::eval::Args),
    /// Compute PDQ hashes of images (reference tool's CSV format).
    Hash(cmd::hash::Args),
    /// Match PDQ hashes against a bank file within a Hamming radius.
    Match(cmd::match_cmd::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(a) => cmd::scan::run(a),
        Command::Train(a) => cmd::train::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Hash(a) => cmd::hash::run(a),
        Command::Match(a) => cmd::match_cmd::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
