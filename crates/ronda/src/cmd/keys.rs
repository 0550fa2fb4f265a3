//! `ronda keys show`: the public half of the instance's evidence signing key, for those who
//! verify bundles (`ronda evidence verify --public-key`).

use std::process::ExitCode;

use ronda_core::evidence::public_key_hex;
use ronda_service::bootstrap::signing_key;

use super::store_args::StoreArgs;

/// The instance's signing key.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Print the Ed25519 public key (64 hex digits) that signs evidence bundles; creates the key
    /// (`<data_dir>/signing.key`, mode 0600) if there is none yet.
    Show {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let KeysCommand::Show { store } = args.command;
    let config = store.config(None)?;
    println!("{}", public_key_hex(&signing_key(&config)?));
    Ok(ExitCode::SUCCESS)
}
