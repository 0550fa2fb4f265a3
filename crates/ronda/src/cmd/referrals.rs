//! `ronda referrals list [--status S]`: police referrals, newest first.

use std::process::ExitCode;

use ronda_core::clock::to_rfc3339;
use ronda_core::model::ReferralStatus;
use ronda_store::referrals::Subject;

use super::store_args::StoreArgs;

/// Police referrals.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ReferralsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ReferralsCommand {
    /// List referrals: id, request number, status, subject, created.
    List {
        /// Only referrals in this status: sent, acknowledged, investigating, closed.
        #[arg(long)]
        status: Option<ReferralStatus>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ReferralsCommand::List {
        status,
        limit,
        store,
    } = args.command;
    let (_, store) = store.open()?;
    let list = store.referrals(status, None, limit);
    store.close();
    for r in list? {
        let subject = match r.subject {
            Subject::Case(id) => format!("case {id}"),
            Subject::Actor(id) => format!("actor {id}"),
        };
        println!(
            "{}\t{}\t{}\t{}\t{}",
            r.id,
            r.request_number,
            r.status,
            subject,
            to_rfc3339(r.created_at)
        );
    }
    Ok(ExitCode::SUCCESS)
}
