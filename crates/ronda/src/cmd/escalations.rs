//! `ronda escalations run [--now RFC3339] [--dry-run] [--yes]`: one pass of the escalation
//! step, by hand. A pass at a time in the future escalates real notices early and for good, so
//! it needs `--yes`; `--dry-run` shows what a pass would do and changes nothing.

use std::process::ExitCode;

use ronda_core::clock::{parse_rfc3339, to_rfc3339};
use ronda_core::wib::to_jakarta;

use super::store_args::{StoreArgs, cli_actor};

/// Apply the escalation ladder to overdue notices.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: EscalationsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum EscalationsCommand {
    /// Run one pass: every rung due at --now (default: the current time) is applied and audited.
    Run {
        /// The time to run the pass at, RFC 3339 (for operations and tests). A time in the
        /// future needs --yes (or --dry-run).
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
        /// Show the rungs a pass would apply; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Confirm a pass at a --now in the future (its rungs are applied for good).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// How far ahead of the clock `--now` may be without `--yes` (clock skew between machines).
const FUTURE_TOLERANCE_MS: i64 = 60_000;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let EscalationsCommand::Run {
        now,
        dry_run,
        yes,
        store,
    } = args.command;
    let clock = chrono::Utc::now().timestamp_millis();
    let now = match now {
        Some(t) => parse_rfc3339(&t)
            .ok_or_else(|| anyhow::anyhow!("--now: `{t}` is not an RFC 3339 time"))?,
        None => clock,
    };
    if now > clock + FUTURE_TOLERANCE_MS && !dry_run && !yes {
        anyhow::bail!(
            "--now {} ({}) is in the future: a pass then escalates notices early, for good. \
             Add --dry-run to see what it would do, or --yes to run it",
            to_rfc3339(now),
            to_jakarta(now)
        );
    }
    let (config, store) = store.open()?;
    let policy = config.deadline_policy();
    let steps = if dry_run {
        store.escalations_due(&policy, now)
    } else {
        store.run_escalations_blocking(&cli_actor(), &policy, now)
    };
    store.close();
    let steps = steps?;
    let verb = if dry_run { "would be" } else { "" };
    for s in &steps {
        println!(
            "notice {} (case {}): {} -> {} {}(due {}, {})",
            s.notice_id,
            s.case_id,
            s.from.as_str(),
            s.step.as_str(),
            if dry_run { "[dry run] " } else { "" },
            to_jakarta(s.due_at),
            to_rfc3339(s.due_at)
        );
    }
    if dry_run {
        println!(
            "{} escalation steps {verb} applied at {} (dry run: nothing changed)",
            steps.len(),
            to_jakarta(now)
        );
    } else {
        println!(
            "{} escalation steps applied at {}",
            steps.len(),
            to_jakarta(now)
        );
    }
    Ok(ExitCode::SUCCESS)
}
