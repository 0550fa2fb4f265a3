//! The `ronda` binary: the CLI definition plus glue around the library crates.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ronda_service::config::ConfigError;

/// Ronda — the online-content patrol platform: intake, detection, linking, takedown notices.
#[derive(Debug, Parser)]
#[command(name = "ronda", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (SQLite in ./ronda-data by default).
    Serve(cmd::serve::Args),
    /// Manage API tokens.
    Token(cmd::token::Args),
    /// Manage console users (people who sign in with a password).
    User(cmd::user::Args),
    /// Verify the audit log's hash chain.
    Audit(cmd::audit::Args),
    /// Import reports in bulk from JSON Lines.
    Import(cmd::import::Args),
    /// Load generators and benchmarks.
    Bench(cmd::bench::Args),
    /// Case lists: export as CSV or JSON Lines.
    Cases(cmd::cases::Args),
    /// Takedown notices.
    Notices(cmd::notices::Args),
    /// Apply the escalation ladder to overdue notices.
    Escalations(cmd::escalations::Args),
    /// Scan posts (JSONL) with the detection engine.
    Scan(cmd::scan::Args),
    /// Train the text classifier from labelled JSONL, or from the team's decisions.
    Train(cmd::train::Args),
    /// Detection models trained from decisions: list, show, activate, roll back.
    Models(cmd::models::Args),
    /// The patrol crawler: run the due watch lists, or show the frontier.
    Patrol(cmd::patrol::Args),
    /// The patrol's watch lists: add, list, show, disable, enable.
    Watchlist(cmd::watchlist::Args),
    /// Evaluate the classifier on labelled JSONL.
    Eval(cmd::eval::Args),
    /// Compute PDQ hashes of images (reference tool's CSV format).
    Hash(cmd::hash::Args),
    /// Match PDQ hashes against a bank file within a Hamming radius.
    Match(cmd::match_cmd::Args),
    /// Manage hash banks (import, export, list).
    Bank(cmd::bank::Args),
    /// Signed evidence bundles: export from the store, verify offline.
    Evidence(cmd::evidence::Args),
    /// The instance's evidence signing key.
    Keys(cmd::keys::Args),
    /// Police referrals.
    Referrals(cmd::referrals::Args),
    /// Remove closed cases' content and reporter contacts after the configured days.
    Retention(cmd::retention::Args),
    /// Statistics for a window of days: table, CSV or JSON.
    Stats(cmd::stats::Args),
    /// Public reports (transparency).
    Report(cmd::report::Args),
    /// Link accounts into actors and flag re-created accounts (`ronda link FILE.jsonl`).
    Link(cmd::link::Args),
}

fn init_logging() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("RONDA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The PostgreSQL client logs every statement's parameter values at debug level: report
    // texts, handles, tracking codes, token hashes. Whatever RONDA_LOG asks, never below info.
    for quiet in ["tokio_postgres=info", "postgres=info"] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Serve(a) => cmd::serve::run(a),
        Command::Token(a) => cmd::token::run(a),
        Command::User(a) => cmd::user::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Cases(a) => cmd::cases::run(a),
        Command::Notices(a) => cmd::notices::run(a),
        Command::Escalations(a) => cmd::escalations::run(a),
        Command::Scan(a) => cmd::scan::run(a),
        Command::Train(a) => cmd::train::run(a),
        Command::Models(a) => cmd::models::run(a),
        Command::Patrol(a) => cmd::patrol::run(a),
        Command::Watchlist(a) => cmd::watchlist::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Hash(a) => cmd::hash::run(a),
        Command::Match(a) => cmd::match_cmd::run(a),
        Command::Bank(a) => cmd::bank::run(a),
        Command::Evidence(a) => cmd::evidence::run(a),
        Command::Keys(a) => cmd::keys::run(a),
        Command::Referrals(a) => cmd::referrals::run(a),
        Command::Retention(a) => cmd::retention::run(a),
        Command::Stats(a) => cmd::stats::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Link(a) => cmd::link::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
