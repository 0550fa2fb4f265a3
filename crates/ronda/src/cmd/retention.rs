//! `ronda retention run [--now RFC3339] [--dry-run]`: removes closed cases' content snapshots
//! and reporter contacts once the configured days (`[retention]`) have passed, and audits it.

use std::process::ExitCode;

use ronda_core::clock::parse_rfc3339;

use super::store_args::{StoreArgs, cli_actor};

/// Apply the retention policy.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: RetentionCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RetentionCommand {
    /// Remove what is due at --now (default: the current time) and print the counts.
    Run {
        /// The time to apply retention at, RFC 3339 (for operations and tests).
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
        /// Count what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let RetentionCommand::Run {
        now,
        dry_run,
        store,
    } = args.command;
    let now = match now {
        Some(t) => parse_rfc3339(&t)
            .ok_or_else(|| anyhow::anyhow!("--now: `{t}` is not an RFC 3339 time"))?,
        None => chrono::Utc::now().timestamp_millis(),
    };
    let (config, store) = store.open()?;
    let policy = config.retention.policy();
    if policy.content_days.is_none() && policy.reporter_contact_days.is_none() {
        store.close();
        println!(
            "retention is off: set [retention] content_days and/or reporter_contact_days in the configuration"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = store.run_retention_blocking(&cli_actor(), policy, now, dry_run);
    store.close();
    let o = outcome?;
    let verb = if dry_run { "would remove" } else { "removed" };
    println!(
        "{verb}: {} content snapshots, {} reporter identities, in {} closed cases",
        o.content_items, o.reporters, o.cases
    );
    Ok(ExitCode::SUCCESS)
}
