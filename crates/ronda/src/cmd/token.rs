//! `ronda token create|list|revoke`: API tokens, managed directly in the store.

use std::process::ExitCode;

use ronda_core::clock::to_rfc3339;
use ronda_core::model::Role;

use super::store_args::{StoreArgs, cli_actor};

/// Manage API tokens.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Create a token; its secret is printed once, alone on the last line.
    Create {
        /// admin, supervisor, analyst, police, platform or intake.
        #[arg(long)]
        role: Role,
        /// A name that says who holds it.
        #[arg(long)]
        name: String,
        /// The platform a platform token is bound to.
        #[arg(long)]
        platform: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by id.
    Revoke {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        TokenCommand::Create {
            role,
            name,
            platform,
            store,
        } => {
            let (_, store) = store.open()?;
            let t = store.create_token_blocking(&cli_actor(), &name, role, platform.as_deref())?;
            store.close();
            eprintln!(
                "created token {} ({}, role {}{}); store the secret now, it is not shown again:",
                t.info.id,
                t.info.name,
                t.info.role,
                t.info
                    .platform
                    .as_deref()
                    .map(|p| format!(", platform {p}"))
                    .unwrap_or_default()
            );
            println!("{}", t.secret);
        }
        TokenCommand::List { store } => {
            let (_, store) = store.open()?;
            let list = store.list_tokens()?;
            store.close();
            println!(
                "{:>5}  {:<11} {:<12} {:<25} {:<25} NAME",
                "ID", "ROLE", "PLATFORM", "CREATED", "REVOKED"
            );
            for t in list {
                println!(
                    "{:>5}  {:<11} {:<12} {:<25} {:<25} {}",
                    t.id,
                    t.role.as_str(),
                    t.platform.as_deref().unwrap_or("-"),
                    to_rfc3339(t.created_at),
                    t.revoked_at.map_or_else(|| "-".to_string(), to_rfc3339),
                    t.name
                );
            }
        }
        TokenCommand::Revoke { id, store } => {
            let (_, store) = store.open()?;
            store.revoke_token_blocking(&cli_actor(), id)?;
            store.close();
            println!("revoked token {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
