//! `ronda audit verify`: recompute the audit hash chain and name the first altered event.

use std::process::ExitCode;

use super::store_args::StoreArgs;

/// Inspect the audit log.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Verify the hash chain; exits 1 naming the first event that was altered.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { store } = args.command;
    let (_, store) = store.open()?;
    let result = store.verify_audit();
    store.close();
    match result? {
        Ok(n) => {
            println!("audit chain intact: {n} events verified");
            Ok(ExitCode::SUCCESS)
        }
        Err(bad) => {
            eprintln!("audit chain BROKEN: {bad}");
            Ok(ExitCode::from(1))
        }
    }
}
