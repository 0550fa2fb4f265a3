//! `ronda escalations run [--now RFC3339]`: one pass of the escalation step, by hand.

use std::process::ExitCode;

use ronda_core::clock::{parse_rfc3339, to_rfc3339};

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
        /// The time to run the pass at, RFC 3339 (for operations and tests).
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let EscalationsCommand::Run { now, store } = args.command;
    let now = match now {
        Some(t) => parse_rfc3339(&t)
            .ok_or_else(|| anyhow::anyhow!("--now: `{t}` is not an RFC 3339 time"))?,
        None => chrono::Utc::now().timestamp_millis(),
    };
    let (config, store) = store.open()?;
    let steps = store.run_escalations_blocking(&cli_actor(), &config.deadline_policy(), now);
    store.close();
    let steps = steps?;
    for s in &steps {
        println!(
            "notice {} (case {}): {} (due {})",
            s.notice_id,
            s.case_id,
            s.step.as_str(),
            to_rfc3339(s.due_at)
        );
    }
    println!("{} escalation steps applied", steps.len());
    Ok(ExitCode::SUCCESS)
}
